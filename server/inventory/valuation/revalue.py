"""Revaluation: correct the unit cost of an incoming move without rewriting it.

Purchasing and billing call ``revalue`` when an invoice's price differs from the receipt's. The
difference (new cost less the move's current cost, times its quantity) splits in two, both dated
now: what of the receipt is still on hand revalues its bucket (under FIFO, the receipt's layer),
what was already consumed is a cost-of-goods adjustment, which changes no stock value. A move's
current cost is the last correction's, or the one fixed when it was booked.

Which units of a receipt are still on hand: FIFO knows (its layer's remainder). Under the moving
average the units are alike, so the oldest are taken to have gone first: of what left the bucket
since the receipt, the stock it held before the receipt went first, then the receipt's units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import Invalid, NotFound
from server.inventory.models import LocationKind
from server.inventory.periods import refuse_if_locked
from server.inventory.valuation.books import FIFO, ZERO, Bucket, from_db, lock_buckets, money
from server.inventory.valuation.models import TRANSIT_BUCKET, CostAdjustment
from server.numbers import AMOUNT
from server.paging import MAX_ID
from server.text import Text

REASON = Text("reason", 255)
_INSIDE = (LocationKind.INTERNAL.value, LocationKind.TRANSIT.value)


@dataclass(frozen=True)
class Revalue(Command):
    operation = "valuation.revalue"
    move_id: int
    unit_cost: Decimal
    reason: str | None


@dataclass(frozen=True)
class Revaluation:
    move_id: int
    unit_cost_before: Decimal
    unit_cost_after: Decimal
    adjustments: list[CostAdjustment]
    replayed: bool = False

    @property
    def revalued(self) -> Decimal:
        return sum((a.value for a in self.adjustments if a.kind == "revaluation"), ZERO)

    @property
    def cost_of_goods(self) -> Decimal:
        return sum((a.value for a in self.adjustments if a.kind == "cost_of_goods"), ZERO)


async def revalue(
    move_id: int, unit_cost: object, *, reason: str | None = None, actor_id: int | None, idempotency_key: str
) -> Revaluation:
    """Correct the unit cost of the incoming move ``move_id`` to ``unit_cost``."""
    cost = AMOUNT.parse(unit_cost, field="unitCost")
    if not isinstance(move_id, int) or not 0 < move_id <= MAX_ID:
        raise NotFound("There is no such stock move.", field="moveId")
    command = Revalue(move_id, cost, REASON.optional(reason, "reason") if reason is not None else None)

    async def run(write: Write) -> Revaluation:
        return await _revalue(write, command)

    def remember(done: Revaluation) -> dict[str, Any]:
        return {"move_id": done.move_id, "before": str(done.unit_cost_before), "after": str(done.unit_cost_after),
                "adjustments": [a.id for a in done.adjustments]}  # fmt: skip

    async def recall(stored: dict[str, Any]) -> Revaluation:
        rows = await CostAdjustment.filter(id__in=stored["adjustments"]).order_by("id")
        return Revaluation(stored["move_id"], Decimal(stored["before"]), Decimal(stored["after"]), rows, True)

    def audited(done: Revaluation) -> Audited:
        return Audited(
            "stock_move", done.move_id, {**command.request(), "adjustments": [a.id for a in done.adjustments]}
        )

    effect = Effect(run, audited, remember, recall)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def revalue_within(write: Write, move_id: int, unit_cost: Decimal, *, reason: str | None = None) -> Revaluation:
    """``revalue`` inside another command's write (a landed cost revalues every receipt move it covers, in
    one transaction with its own record)."""
    return await _revalue(write, Revalue(move_id, unit_cost, reason))


async def _revalue(write: Write, command: Revalue) -> Revaluation:
    conn = write.conn
    move = await sql.fetch_one(
        conn,
        "SELECT m.id, m.product_id, m.quantity, m.unit_cost, f.kind AS from_kind, t.kind AS to_kind,"
        " t.warehouse_id FROM stock_move m JOIN location f ON f.id = m.from_location_id"
        " JOIN location t ON t.id = m.to_location_id WHERE m.id = $1",
        command.move_id,
    )
    if move is None:
        raise NotFound(f"There is no stock move #{command.move_id}.", field="moveId")
    if move["from_kind"] in _INSIDE or move["to_kind"] not in _INSIDE:
        raise Invalid("Only a move that brought stock in from outside (a receipt) can be revalued.", field="moveId")
    product_id, quantity = int(move["product_id"]), from_db(move["quantity"])
    warehouse_id = move["warehouse_id"]
    bucket_id = int(warehouse_id) if warehouse_id is not None else TRANSIT_BUCKET
    made = now()
    await refuse_if_locked(conn, made, [warehouse_id])
    # The product FOR SHARE as postings hold it (its costing method stays), then the bucket, as they lock it.
    await sql.fetch(conn, "SELECT id FROM product WHERE id = $1 FOR SHARE", product_id)
    bucket = (await lock_buckets(conn, [(product_id, bucket_id)]))[product_id, bucket_id]
    before = await current_unit_cost(conn, int(move["id"]), move["unit_cost"])
    difference = command.unit_cost - before
    if difference == 0:
        return Revaluation(command.move_id, before, command.unit_cost, [])
    if bucket.method == FIFO:
        on_hand = await _revalue_layer(conn, command.move_id, bucket_id, command.unit_cost, difference)
    else:
        on_hand = min(quantity - await _consumed(conn, bucket, command.move_id, quantity), bucket.quantity)
    on_hand = max(on_hand, ZERO)
    revalued = max(money(difference * on_hand), -bucket.value)  # a bucket's value never goes below zero
    consumed = money(difference * quantity) - revalued
    bucket.value += revalued
    bucket.unit_cost = bucket.average() or bucket.unit_cost
    await sql.execute(
        conn, "UPDATE cost_bucket SET value = $1, unit_cost = $2, updated_at = $3 WHERE id = $4",
        bucket.value, bucket.unit_cost, made, bucket.id,
    )  # fmt: skip
    adjustments = []
    for kind, share, value in (("revaluation", on_hand, revalued), ("cost_of_goods", quantity - on_hand, consumed)):
        if share > 0 or value != 0:
            adjustments.append(await CostAdjustment.create(
                product_id=product_id, warehouse_id=bucket_id, move_id=command.move_id, kind=kind, quantity=share,
                value=value, unit_cost_before=before, unit_cost_after=command.unit_cost, reason=command.reason,
                user_id=write.actor_id, effective_at=made, using_db=conn,
            ))  # fmt: skip
    return Revaluation(command.move_id, before, command.unit_cost, adjustments)


async def current_unit_cost(conn: BaseDBAsyncClient, move_id: int, booked: object) -> Decimal:
    """What one unit of an incoming move costs now: its last correction's cost, else ``booked`` (the cost
    fixed on the move). A return to the supplier leaves at it, a landed cost adds to it."""
    last = await sql.fetch_one(
        conn, "SELECT unit_cost_after FROM cost_adjustment WHERE move_id = $1 ORDER BY id DESC LIMIT 1", move_id
    )
    return from_db(last["unit_cost_after"] if last else (booked or 0))


async def _revalue_layer(
    conn: BaseDBAsyncClient, move_id: int, bucket_id: int, unit_cost: Decimal, difference: Decimal
) -> Decimal:
    """FIFO: the receipt's layer takes the new cost for what is left of it; that remainder is on hand."""
    layer = await sql.fetch_one(
        conn, "SELECT id, quantity_left, value_left FROM cost_layer WHERE move_id = $1 AND warehouse_id = $2",
        move_id, bucket_id,
    )  # fmt: skip
    if layer is None:
        return ZERO
    left = from_db(layer["quantity_left"])
    value_left = max(from_db(layer["value_left"]) + money(difference * left), ZERO)
    await sql.execute(
        conn, "UPDATE cost_layer SET unit_cost = $1, value_left = $2 WHERE id = $3", unit_cost, value_left, layer["id"]
    )
    return left


async def _consumed(conn: BaseDBAsyncClient, bucket: Bucket, move_id: int, quantity: Decimal) -> Decimal:
    """Average: how much of the receipt has left its bucket, the oldest units going first."""
    arrived, left = ZERO, ZERO
    for side, sign in (("to_location_id", 1), ("from_location_id", -1)):
        other = "from_location_id" if side == "to_location_id" else "to_location_id"
        rows = await sql.fetch(
            conn,
            f"SELECT m.quantity FROM stock_move m JOIN location l ON l.id = m.{side}"
            f" JOIN location o ON o.id = m.{other} WHERE m.product_id = $1 AND m.id > $2"
            " AND l.kind IN ($3, $4) AND COALESCE(l.warehouse_id, 0) = $5"
            " AND NOT (o.kind IN ($6, $7) AND COALESCE(o.warehouse_id, 0) = $8)",
            bucket.product_id, move_id, *_INSIDE, bucket.warehouse_id, *_INSIDE, bucket.warehouse_id,
        )  # fmt: skip
        total = sum((from_db(r["quantity"]) for r in rows), ZERO)
        if sign > 0:
            arrived = total
        else:
            left = total
    held_before = bucket.quantity - arrived - quantity + left  # what the bucket held just before the receipt
    return min(max(left - max(held_before, ZERO), ZERO), quantity)


async def cost_adjustments(
    *, move_id: int | None = None, product_id: int | None = None, after_id: int | None = None, limit: int = 100
) -> list[CostAdjustment]:
    query = CostAdjustment.all().order_by("id")
    if move_id is not None:
        query = query.filter(move_id=move_id)
    if product_id is not None:
        query = query.filter(product_id=product_id)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return await query.limit(limit)
