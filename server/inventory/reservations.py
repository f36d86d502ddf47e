"""Reservations: stock of a warehouse held for a demand (a document line) until it is issued or released.

A demand is named by its document line (document type, document id, line id) and wants a
quantity of one product in one warehouse, optionally of one lot or serial. ``reserve`` sets what
it wants and its priority and reserves what is free now; what it cannot get yet it waits for (a
partial reservation), unless ``all_or_nothing``. Stock that arrives or is freed later goes to the
waiting demands, the highest priority first; stock that goes away under a reservation (a count,
scrap) cuts the lowest priority first and re-plans elsewhere in the warehouse (see
``server.inventory.replan``). Reserving never takes stock another demand holds.

Only sellable locations and lots not past their removal date are reserved; bins and lots are
chosen in the order of the product's removal strategy.

**For sales (issue 9): taking reserved stock.** In the transaction that issues an order line,
call ``consume(conn, key, quantity)`` first: it frees that much of the line's own reservation
(the best-placed first, or at the bin the picker names) and answers where it was, as ``Pick``s
(the bin's ``Place``, the ``LotRef``, the quantity). Post one ``Entry`` per pick naming that bin
and lot (``server.inventory.posting.post_all``): the stock just freed is the posting's to take,
and no other demand can take it in between since the quants stay locked to the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import now, today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.errors import InsufficientStock, LotExpired
from server.inventory.lookups import LotRef, Place, Product, existing_lot
from server.inventory.models import LOT_CODE, NO_LOT, WAREHOUSE_CODE
from server.inventory.removal import past_removal
from server.inventory.replan import DemandState, Plan, lock_warehouse_quants, move_off_ineligible
from server.inventory.reservation_models import Demand
from server.text import Code, column_length, shown, storable

DOCUMENT_TYPE = Code(
    "document type", column_length(Demand, "document_type"), re.compile(r"[a-z][a-z0-9._-]*"),
    "lower-case letters, digits and . _ -, starting with a letter", str.lower,
)  # fmt: skip
MAX_ID = 2**63 - 1  # BIGINT
MIN_PRIORITY, MAX_PRIORITY = -1000, 1000


@dataclass(frozen=True)
class DemandKey:
    """The document line a demand belongs to."""

    document_type: str
    document_id: int
    line_id: int

    @classmethod
    def of(cls, document_type: str, document_id: object, line_id: object) -> DemandKey:
        kind = DOCUMENT_TYPE.clean(document_type, "documentType")
        for value, field in ((document_id, "documentId"), (line_id, "lineId")):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
                raise Invalid("A document or line id is a whole number greater than zero.", field=field)
        return cls(kind, document_id, line_id)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Held:
    """Part of a reservation: where it is held."""

    location_code: str
    lot_code: str | None
    quantity: Decimal


@dataclass(frozen=True)
class Reservation:
    key: DemandKey
    sku: str
    warehouse_code: str
    lot_code: str | None
    priority: int
    wanted: Decimal
    reserved: Decimal
    held: list[Held]

    @property
    def waiting(self) -> Decimal:
        return self.wanted - self.reserved


@dataclass(frozen=True)
class Reserved:
    reservation: Reservation | None  # None: released entirely
    replayed: bool


@dataclass(frozen=True)
class Pick:
    """Reserved stock freed for its own demand's issue: post it from this bin and lot."""

    place: Place
    lot: LotRef | None
    quantity: Decimal


@dataclass(frozen=True)
class ReserveStock(Command):
    operation = "stock.reserve"
    document_type: str
    document_id: int
    line_id: int
    sku: str
    warehouse: str
    quantity: Decimal
    priority: int
    lot: str | None
    all_or_nothing: bool


@dataclass(frozen=True)
class ReleaseStock(Command):
    operation = "stock.release"
    document_type: str
    document_id: int
    line_id: int
    quantity: Decimal | None


def _priority(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_PRIORITY <= value <= MAX_PRIORITY:
        raise Invalid(f"A priority is a whole number from {MIN_PRIORITY} to {MAX_PRIORITY}.", field="priority")
    return value


async def reserve(
    document_type: str,
    document_id: int,
    line_id: int,
    sku: str,
    warehouse_code: str,
    quantity: object,
    *,
    priority: int = 0,
    lot: str | None = None,
    all_or_nothing: bool = False,
    actor_id: int | None,
    idempotency_key: str,
) -> Reserved:
    """The line wants ``quantity`` (in all, not more): reserve what is free of it now, the rest waits.

    Asked again for the same line, it changes what the line wants and its priority; less than is
    reserved frees the difference for the demands waiting. ``all_or_nothing``: INSUFFICIENT_STOCK,
    and nothing changes, unless all of it can be reserved now.
    """
    key = DemandKey.of(document_type, document_id, line_id)
    qty, rank = quantities.parse(quantity), _priority(priority)
    lot_key = LOT_CODE.clean(lot, "lot") if lot is not None and lot.strip() else None
    command = ReserveStock(
        key.document_type, key.document_id, key.line_id, SKU.key(sku) or storable(sku),
        WAREHOUSE_CODE.key(warehouse_code) or storable(warehouse_code), qty, rank, lot_key, all_or_nothing,
    )  # fmt: skip

    async def run(write: Write) -> Reservation | None:
        conn = write.conn
        product = await _product(conn, sku)
        warehouse_id = await _warehouse(conn, warehouse_code)
        lot_ref = await _lot(conn, product, lot_key)
        quant_ids = await lock_warehouse_quants(conn, product.id, warehouse_id)
        demand_id = await _upsert_demand(conn, key, product.id, warehouse_id, lot_ref, qty, rank)
        plan = await Plan.load(conn, product.id, warehouse_id, quant_ids, demand_ids=[demand_id])
        demand = plan.demands[demand_id]
        _same_demand(demand, product, warehouse_id, lot_ref)
        demand.wanted, demand.priority, demand.changed = qty, rank, True
        if demand.reserved > demand.wanted:
            plan.give_back(demand, demand.reserved - demand.wanted)
        plan.serve_waiting()  # this demand in its place among those waiting, by priority
        if all_or_nothing and demand.reserved < demand.wanted:
            raise InsufficientStock(product.sku, warehouse_code_shown(warehouse_code), demand.reserved, qty)
        await plan.flush(conn)
        return await reservation_of(conn, key)

    return await _run(command, key, run, actor_id, idempotency_key)


async def release(
    document_type: str,
    document_id: int,
    line_id: int,
    *,
    quantity: object | None = None,
    actor_id: int | None,
    idempotency_key: str,
) -> Reserved:
    """The line wants ``quantity`` less (None: nothing any more); what it frees goes to the demands waiting."""
    key = DemandKey.of(document_type, document_id, line_id)
    qty = quantities.parse(quantity) if quantity is not None else None
    command = ReleaseStock(key.document_type, key.document_id, key.line_id, qty)

    async def run(write: Write) -> Reservation | None:
        conn = write.conn
        plan, demand = await _planned(conn, key)
        if qty is not None and qty > demand.wanted:
            raise Invalid(f"The line wants {demand.wanted}: it cannot release {qty}.", field="quantity")
        demand.wanted = demand.wanted - qty if qty is not None else Decimal(0)
        demand.changed = True
        if demand.reserved > demand.wanted:
            plan.give_back(demand, demand.reserved - demand.wanted)
        demand.gone = demand.wanted == 0
        plan.serve_waiting()
        await plan.flush(conn)
        return await reservation_of(conn, key)

    return await _run(command, key, run, actor_id, idempotency_key)


async def consume(
    conn: BaseDBAsyncClient, key: DemandKey, quantity: Decimal, *, at: int | None = None, lot: int | None = None
) -> list[Pick]:
    """Free ``quantity`` of the line's reservation for its own issue, in the caller's transaction: where
    it was held (the strategy's best first; ``at``: that location's first, and ``lot``'s there: a pick line
    names the lot taken). Post those picks next.

    INSUFFICIENT_STOCK when less is reserved. What the line wants drops by ``quantity``; a line
    that wants nothing more is done.
    """
    plan, demand = await _planned(conn, key)
    if quantity > demand.reserved:
        raise InsufficientStock(key.document_type, f"line {key.line_id}'s reservation", demand.reserved, quantity)
    freed = plan.give_back(demand, quantity, best_first=True, at=at, lot=lot)
    demand.wanted -= quantity
    demand.gone = demand.wanted == 0
    await plan.flush(conn)
    return [
        Pick(
            Place(c.location_id, c.location_code, holds_stock=True, warehouse_id=plan.warehouse.id),
            LotRef(c.lot_id, c.lot_code or "", c.removal_on) if c.lot_id != NO_LOT else None,
            share,
        )
        for c, share in freed
    ]


async def want_within(
    conn: BaseDBAsyncClient, key: DemandKey, product_id: int, warehouse_id: int, quantity: Decimal, *,
    priority: int = 0, promised_on: date | None = None,
) -> Decimal:  # fmt: skip
    """In the caller's transaction (a sales order's confirmation): the line wants ``quantity`` (0: nothing any
    more) of any lot; reserve what is free of it now, the rest waits. What it reserves now."""
    if quantity <= 0:
        found = await sql.fetch_one(
            conn, "SELECT 1 FROM stock_demand WHERE document_type = $1 AND document_id = $2 AND line_id = $3",
            key.document_type, key.document_id, key.line_id,
        )  # fmt: skip
        if found is None:
            return Decimal(0)
    quant_ids = await lock_warehouse_quants(conn, product_id, warehouse_id)
    demand_id = await _upsert_demand(conn, key, product_id, warehouse_id, None, quantity, priority, promised_on)
    plan = await Plan.load(conn, product_id, warehouse_id, quant_ids, demand_ids=[demand_id])
    demand = plan.demands[demand_id]
    demand.wanted, demand.priority, demand.promised_on, demand.changed = quantity, priority, promised_on, True
    if demand.reserved > demand.wanted:
        plan.give_back(demand, demand.reserved - demand.wanted)
    demand.gone = demand.wanted <= 0
    plan.serve_waiting()
    await plan.flush(conn)
    return demand.reserved


async def reservation(key: DemandKey) -> Reservation | None:
    return await reservation_of(connection(), key)


async def reservations_of_document(document_type: str, document_id: int, *, limit: int) -> list[Reservation]:
    """The reservations of a document's lines, by line (the first ``limit``)."""
    kind = DOCUMENT_TYPE.key(document_type)
    if kind is None or not isinstance(document_id, int) or not 0 < document_id <= MAX_ID:
        return []
    conn = connection()
    rows = await sql.fetch(
        conn,
        "SELECT line_id FROM stock_demand WHERE document_type = $1 AND document_id = $2 ORDER BY line_id LIMIT $3",
        kind, document_id, limit,
    )  # fmt: skip
    found = [await reservation_of(conn, DemandKey(kind, document_id, int(r["line_id"]))) for r in rows]
    return [r for r in found if r is not None]


async def reservation_of(conn: BaseDBAsyncClient, key: DemandKey) -> Reservation | None:
    row = await sql.fetch_one(
        conn,
        "SELECT stock_demand.id, product.sku, warehouse.code AS warehouse_code, lot.code AS lot_code,"
        " stock_demand.priority, stock_demand.wanted, stock_demand.reserved FROM stock_demand"
        " JOIN product ON product.id = stock_demand.product_id"
        " JOIN warehouse ON warehouse.id = stock_demand.warehouse_id LEFT JOIN lot ON lot.id = stock_demand.lot_id"
        " WHERE document_type = $1 AND document_id = $2 AND line_id = $3",
        key.document_type, key.document_id, key.line_id,
    )  # fmt: skip
    if row is None:
        return None
    held = await sql.fetch(
        conn,
        "SELECT location.code AS location_code, lot.code AS lot_code, stock_allocation.quantity"
        " FROM stock_allocation JOIN quant ON quant.id = stock_allocation.quant_id"
        " JOIN location ON location.id = quant.location_id LEFT JOIN lot ON lot.id = quant.lot_id"
        " WHERE stock_allocation.demand_id = $1 ORDER BY location.code, quant.lot_id",
        row["id"],
    )
    return Reservation(
        key=key, sku=row["sku"], warehouse_code=row["warehouse_code"], lot_code=row["lot_code"],
        priority=int(row["priority"]), wanted=quantities.from_db(row["wanted"]),
        reserved=quantities.from_db(row["reserved"]),
        held=[Held(h["location_code"], h["lot_code"], quantities.from_db(h["quantity"])) for h in held],
    )  # fmt: skip


# ---- helpers ----


def warehouse_code_shown(code: str) -> str:
    return f"warehouse {WAREHOUSE_CODE.key(code) or shown(code)}"


async def _run(command: Command, key: DemandKey, run: Any, actor_id: int | None, idempotency_key: str) -> Reserved:
    async def recall(stored: dict[str, Any]) -> Reservation | None:
        return await reservation_of(connection(), key)

    def audited(result: Reservation | None) -> Audited:
        return Audited("stock_demand", f"{key.document_type}/{key.document_id}/{key.line_id}")

    effect = Effect(run, audited, lambda result: {"released": result is None}, recall)
    done = await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)
    return Reserved(done.result, done.replayed)


async def _planned(conn: BaseDBAsyncClient, key: DemandKey) -> tuple[Plan, DemandState]:
    """The plan of the demand's product and warehouse, its quants locked, and the demand in it."""
    row = await sql.fetch_one(
        conn,
        "SELECT id, product_id, warehouse_id FROM stock_demand"
        " WHERE document_type = $1 AND document_id = $2 AND line_id = $3",
        key.document_type, key.document_id, key.line_id,
    )  # fmt: skip
    if row is None:
        raise NotFound("Nothing is reserved for this line.", field="lineId")
    product_id, warehouse_id = int(row["product_id"]), int(row["warehouse_id"])
    quant_ids = await lock_warehouse_quants(conn, product_id, warehouse_id)  # quants first, then the demand
    plan = await Plan.load(conn, product_id, warehouse_id, quant_ids, demand_ids=[int(row["id"])])
    demand = plan.demands.get(int(row["id"]))
    if demand is None:  # released by another request while this one waited for the quants
        raise NotFound("Nothing is reserved for this line.", field="lineId")
    return plan, demand


async def _product(conn: BaseDBAsyncClient, sku: str) -> Product:
    sku_key = SKU.key(sku)
    row = await sql.fetch_one(
        conn, "SELECT id, sku, tracks_lots, is_archived FROM product WHERE sku = $1 FOR SHARE", sku_key
    ) if sku_key else None  # fmt: skip
    if row is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    return Product(int(row["id"]), row["sku"], bool(row["tracks_lots"]), bool(row["is_archived"]))


async def _warehouse(conn: BaseDBAsyncClient, code: str) -> int:
    key = WAREHOUSE_CODE.key(code)
    row = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", key) if key else None
    if row is None:
        raise NotFound(f"There is no warehouse {shown(code)}.", field="warehouseCode")
    return int(row["id"])


async def _lot(conn: BaseDBAsyncClient, product: Product, lot_key: str | None) -> LotRef | None:
    if lot_key is None:
        return None
    if not product.tracks_lots:
        raise Invalid(f"The product {product.sku} is not tracked by lot.", field="lot")
    lot = await existing_lot(conn, product, lot_key)
    row = await sql.fetch_one(conn, "SELECT COALESCE(removal_on, expires_on) AS removal_on FROM lot WHERE id = $1",
                              lot.id)  # fmt: skip
    removal_on = sql.as_date(row["removal_on"]) if row else None
    if past_removal(removal_on):
        raise LotExpired(f"The lot {lot.code} is past its removal date ({removal_on}): it is never reserved.",
                         field="lot")  # fmt: skip
    return lot


async def _upsert_demand(
    conn: BaseDBAsyncClient, key: DemandKey, product_id: int, warehouse_id: int, lot: LotRef | None,
    wanted: Decimal, priority: int, promised_on: date | None = None,
) -> int:  # fmt: skip
    stamp = now()
    await sql.execute(
        conn,
        "INSERT INTO stock_demand (document_type, document_id, line_id, product_id, warehouse_id, lot_id, priority,"
        " wanted, reserved, waiting, created_at, updated_at, promised_on)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12)"
        " ON CONFLICT (document_type, document_id, line_id) DO NOTHING",
        key.document_type, key.document_id, key.line_id, product_id, warehouse_id, lot.id if lot else NO_LOT,
        priority, wanted, True, stamp, stamp, promised_on,
    )  # fmt: skip
    row = await sql.fetch_one(
        conn, "SELECT id FROM stock_demand WHERE document_type = $1 AND document_id = $2 AND line_id = $3",
        key.document_type, key.document_id, key.line_id,
    )  # fmt: skip
    assert row is not None
    return int(row["id"])


def _same_demand(demand: DemandState, product: Product, warehouse_id: int, lot: LotRef | None) -> None:
    """A line keeps the product, warehouse and lot it first reserved: to change them, release it first."""
    if demand.product_id != product.id or demand.warehouse_id != warehouse_id:
        raise Invalid("This line reserves another product or warehouse: release it first.", field="sku")
    if demand.lot_id != (lot.id if lot else NO_LOT):
        raise Invalid("This line reserves another lot: release it first.", field="lot")


@dataclass(frozen=True)
class MoveOffExpired(Command):
    operation = "stock.reservations_off_expired"
    product_id: int
    warehouse_id: int


async def move_reservations_off_expired() -> int:
    """Move the reservations held on lots past their removal date onto stock that may be reserved,
    one product and warehouse per transaction (the nightly job); how many pairs it re-planned. A
    rerun finds nothing left to move."""
    rows = await sql.fetch(
        connection(),
        "SELECT DISTINCT quant.product_id, location.warehouse_id FROM quant"
        " JOIN location ON location.id = quant.location_id JOIN lot ON lot.id = quant.lot_id"
        " WHERE CAST(quant.reserved AS NUMERIC) > 0 AND COALESCE(lot.removal_on, lot.expires_on) < $1"
        " ORDER BY quant.product_id, location.warehouse_id",
        today(),
    )
    for row in rows:
        command = MoveOffExpired(int(row["product_id"]), int(row["warehouse_id"]))

        async def run(write: Write, command: MoveOffExpired = command) -> int:
            await move_off_ineligible(write.conn, command.product_id, command.warehouse_id)
            return command.product_id

        await execute(command, Effect(run, lambda product_id: Audited("product", str(product_id))), actor_id=None)
    return len(rows)
