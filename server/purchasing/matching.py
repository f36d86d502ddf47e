"""The three-way match of a supplier bill: what was ordered, what came (less refunds) and what is billed.

Every bill line bills one order line. Under the order lines' progress rows, locked (``orders.lock_progress``,
orders in id order), a bill is compared line by line with its order:

- quantity: what this bill bills of an order line, with what posted bills billed (``PurchaseLine.billed``)
  and what bills on hold claim, may not pass what is billable by more than the supplier's quantity
  tolerance. Billable is what came less refund returns, or, for a supplier who bills before the goods
  arrive (``Party.bills_before_receipt``), what was ordered (less what was cancelled and refunded);
- price: the bill's net price per base unit may not stray from the order line's by more than the supplier's
  price tolerance, either way.

What passes (or what a user with ``bills.release`` released) is booked: ``billed`` goes up, each receipt
move the line covers takes the price difference into its unit cost through the revaluation API (at the
rate of its receipt: the exchange-rate difference does not revalue stock) and the exchange-rate difference
between each receipt and the bill is summed apart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.commands import Write
from server.documents.models import Document, DocumentLine
from server.inventory import quantities
from server.inventory.valuation.books import money
from server.inventory.valuation.revalue import Revalue, _revalue, current_unit_cost
from server.partners.models import Party
from server.purchasing import orders as po
from server.purchasing.models import PurchaseLine

ZERO = Decimal(0)
COST_STEP = Decimal("0.0001")
PRICE, QUANTITY = "price", "quantity"
HELD = "on_hold"


@dataclass(frozen=True)
class BilledLine:
    """A bill line and the order line it bills."""

    bill_line: DocumentLine
    order_line: DocumentLine

    @property
    def position(self) -> int:
        return self.bill_line.position

    @property
    def base_quantity(self) -> Decimal:
        return quantities.from_db(self.bill_line.base_quantity)


@dataclass(frozen=True)
class HoldReason:
    position: int
    kind: str  # price or quantity
    message: str

    def stored(self) -> dict[str, Any]:
        return {"position": self.position, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Booked:
    price_difference: Decimal  # company currency: stock revalued plus cost of goods adjusted
    exchange_difference: Decimal  # company currency


def net_per_base(line: DocumentLine) -> Decimal:
    """A line's price after its discount, per base unit, in its document's currency (unrounded)."""
    price = Decimal(line.price) * (1 - Decimal(line.discount_percent) / 100)
    return price * Decimal(line.quantity) / Decimal(line.base_quantity)


async def billed_lines(conn: BaseDBAsyncClient, bill_id: int) -> list[BilledLine]:
    """The bill's lines in position order, each with its order line."""
    lines = await DocumentLine.filter(document_id=bill_id).using_db(conn).order_by("position")\
        .select_related("product")  # fmt: skip
    if not lines:
        return []
    sources: dict[int, int] = {}
    for chunk in sql.chunks([line.id for line in lines]):
        rows = await sql.fetch(
            conn,
            f"SELECT line_id, source_id FROM document_line_link WHERE line_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )  # fmt: skip
        sources |= {int(r["line_id"]): int(r["source_id"]) for r in rows}
    order_lines: dict[int, DocumentLine] = {}
    for chunk in sql.chunks(sorted(set(sources.values()))):
        order_lines |= {o.id: o for o in await DocumentLine.filter(id__in=list(chunk)).using_db(conn)}
    return [BilledLine(line, order_lines[sources[line.id]]) for line in lines]


async def lock_order_lines(conn: BaseDBAsyncClient, billed: list[BilledLine]) -> dict[int, PurchaseLine]:
    """The progress rows of the order lines billed, FOR UPDATE: orders in id order, their lines in id order,
    as receipts take them."""
    by_order: dict[int, set[int]] = defaultdict(set)
    for line in billed:
        by_order[line.order_line.document_id].add(line.order_line.id)  # type: ignore[attr-defined]
    progress: dict[int, PurchaseLine] = {}
    for order_id in sorted(by_order):
        progress |= await po.lock_progress(conn, order_id, sorted(by_order[order_id]))
    return progress


async def held_elsewhere(conn: BaseDBAsyncClient, bill_id: int, order_line_ids: list[int]) -> dict[int, Decimal]:
    """Per order line, what other bills on hold claim of it (read under its progress row lock, which every
    bill that holds or posts takes first)."""
    claimed: dict[int, Decimal] = defaultdict(Decimal)
    for chunk in sql.chunks(sorted(set(order_line_ids))):
        rows = await sql.fetch(
            conn,
            "SELECT k.source_id, l.base_quantity FROM document_line_link k JOIN document_line l ON l.id = k.line_id"
            " JOIN document b ON b.id = l.document_id WHERE b.type = $1 AND b.state = $2 AND b.id <> $3"
            f" AND k.source_id IN ({sql.placeholders(4, len(chunk))})",
            "purchase.bill", HELD, bill_id, *chunk,
        )  # fmt: skip
        for row in rows:
            claimed[int(row["source_id"])] += quantities.from_db(row["base_quantity"])
    return claimed


def _shown(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _money_shown(value: Decimal, places: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def match(
    billed: list[BilledLine], progress: dict[int, PurchaseLine], held: dict[int, Decimal], supplier: Party,
    places: int,
) -> list[HoldReason]:  # fmt: skip
    """Why the bill falls outside the supplier's tolerances, line by line (nothing: it posts)."""
    quantity_tolerance = Decimal(supplier.bill_quantity_tolerance_percent)
    price_tolerance = Decimal(supplier.bill_price_tolerance_percent)
    reasons: list[HoldReason] = []
    taking: dict[int, Decimal] = defaultdict(Decimal)  # by order line: what this bill bills of it so far
    for line in billed:
        order_line, row = line.order_line, progress[line.order_line.id]
        before = po.value_of(row, "billed") + held.get(order_line.id, ZERO) + taking[order_line.id]
        taking[order_line.id] += line.base_quantity
        received = po.net_received(row)  # what went back, refunded or to be replaced, is not billed until it comes
        if supplier.bills_before_receipt:
            ordered = quantities.from_db(order_line.base_quantity) - po.value_of(row, "cancelled")
            billable, what = max(ordered, po.value_of(row, "received")) - po.value_of(row, "returned_refund"), "ordered"
        else:
            billable, what = received, "received"
        if before + line.base_quantity > billable * (1 + quantity_tolerance / 100):
            earlier = f", billed before {_shown(before)}" if before else ""
            reasons.append(HoldReason(line.position, QUANTITY, (
                f"line {line.position}: billed {_shown(line.base_quantity)}, {what} {_shown(billable)}{earlier}"
                f" (tolerance {_shown(quantity_tolerance)}%)"
            )))  # fmt: skip
        billed_price, ordered_price = net_per_base(line.bill_line), net_per_base(order_line)
        if billed_price == ordered_price:
            continue
        per_unit = Decimal(line.bill_line.base_quantity) / Decimal(line.bill_line.quantity)
        shown_billed, shown_ordered = billed_price * per_unit, ordered_price * per_unit
        if ordered_price == 0:
            change = "new"
        else:
            percent = (billed_price - ordered_price) / ordered_price * 100
            if abs(percent) <= price_tolerance:
                continue
            change = f"{'+' if percent > 0 else ''}{_shown(percent.quantize(Decimal('0.01')))}%"
        reasons.append(HoldReason(line.position, PRICE, (
            f"line {line.position}: billed {_money_shown(shown_billed, places)} per {line.bill_line.unit}, ordered at"
            f" {_money_shown(shown_ordered, places)} ({change}, tolerance {_shown(price_tolerance)}%)"
        )))  # fmt: skip
    return reasons


async def book(write: Write, bill: Document, billed: list[BilledLine], progress: dict[int, PurchaseLine]) -> Booked:
    """Bill the order lines (under their locks, taken by the caller) and carry the price difference into the
    cost of the receipts each line covers, in receipt order from what was billed before.

    The receipts whose costs change are locked (documents by id) before their moves' current costs are read,
    as a landed cost and a return lock them: a landed cost on one of them at the same time is either seen
    whole or waits, and neither undoes the other. The moves are revalued in product order, the order
    postings lock cost buckets in."""
    conn = write.conn
    bill_rate = Decimal(bill.rate or 1)
    exchange_difference = ZERO
    changes: list[tuple[_ReceiptMove, Decimal, int]] = []  # a move, its cost change (company currency), the line
    for line in billed:
        row = progress[line.order_line.id]
        start = po.value_of(row, "billed")
        billed_price, ordered_price = net_per_base(line.bill_line), net_per_base(line.order_line)
        for move in await _receipt_moves(conn, line.order_line.id):
            covered = _overlap(start, line.base_quantity, move.offset, move.quantity)
            if covered <= 0:
                continue
            exchange_difference += covered * billed_price * (bill_rate - move.rate)
            if billed_price != ordered_price:
                changes.append((move, (billed_price - ordered_price) * move.rate * covered, line.position))
        row.billed = start + line.base_quantity
        await row.save(using_db=conn, update_fields=["billed"])
    for receipt_id in sorted({move.receipt_id for move, _, _ in changes}):
        await Document.select_for_update().using_db(conn).get(id=receipt_id)
    price_difference = ZERO
    for move, change, position in sorted(changes, key=lambda c: (c[0].product_id, c[0].move_id)):
        current = await current_unit_cost(conn, move.move_id, move.unit_cost)
        new_cost = max(current + change / move.quantity, ZERO).quantize(COST_STEP)
        reason = f"Supplier bill {bill.id}, line {position}"  # numbered after: the series is held last
        done = await _revalue(write, Revalue(move.move_id, new_cost, reason))
        price_difference += done.revalued + done.cost_of_goods
    return Booked(money(price_difference), money(exchange_difference))


@dataclass(frozen=True)
class _ReceiptMove:
    move_id: int
    receipt_id: int
    product_id: int
    quantity: Decimal
    offset: Decimal  # what of the order line earlier receipt moves brought
    rate: Decimal  # of the receipt date
    unit_cost: Decimal | None


async def _receipt_moves(conn: BaseDBAsyncClient, order_line_id: int) -> list[_ReceiptMove]:
    """The moves that booked what came for an order line, oldest first, each with where it starts."""
    rows = await sql.fetch(
        conn,
        "SELECT m.id, m.product_id, m.quantity, m.unit_cost, r.id AS receipt_id, r.rate FROM document_line_link k"
        " JOIN document_line rl ON rl.id = k.line_id JOIN document r ON r.id = rl.document_id"
        " JOIN stock_move m ON m.document_id = r.id AND m.document_line_id = rl.id"
        " WHERE k.source_id = $1 AND r.type = $2 AND r.state = 'done' ORDER BY m.id",
        order_line_id, po.RECEIPT,
    )  # fmt: skip
    moves, offset = [], ZERO
    for row in rows:
        quantity = quantities.from_db(row["quantity"])
        cost = quantities.from_db(row["unit_cost"]) if row["unit_cost"] is not None else None
        moves.append(_ReceiptMove(int(row["id"]), int(row["receipt_id"]), int(row["product_id"]), quantity, offset,
                                  Decimal(str(row["rate"] or 1)), cost))  # fmt: skip
        offset += quantity
    return moves


def _overlap(start: Decimal, length: Decimal, offset: Decimal, quantity: Decimal) -> Decimal:
    return max(min(start + length, offset + quantity) - max(start, offset), ZERO)
