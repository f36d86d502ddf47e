"""What picking and shipping share: the orders they lock, the reserved stock they list, the document they
write, and booking their moves.

Locks are taken in one order everywhere: the pick list or shipment document, then the orders (by id),
then the allocations (by id), then quants (``server.inventory``, by product, location, lot). Every change
of an order's fulfillment holds the order's document row, so picking, shipping, cancelling and amending
one order run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.commands import Write
from server.documents import service
from server.documents.kinds import CONFIRMED, IllegalTransition
from server.documents.lines import LineInput
from server.documents.models import Document
from server.errors import DomainError, ErrorCode, Field, NotFound
from server.inventory import quantities
from server.inventory.moves import Move
from server.inventory.posting import Entry, Trail, post_all
from server.sales.models import SalesAllocation, SalesOrder, ShippingPolicy
from server.sales.orders import ALLOCATION, ORDER, ZERO


@dataclass(frozen=True)
class HeldStock:
    """Part of an allocation's reservation: in one bin and lot."""

    allocation_id: int
    location_id: int
    location_code: str
    lot_id: int
    lot_code: str | None
    quantity: Decimal


@dataclass(frozen=True)
class PlannedLine:
    """A line of a pick list or shipment about to be written."""

    allocation: SalesAllocation
    order: Document
    sku: str
    location_id: int
    location_code: str
    lot_id: int
    lot_code: str | None
    quantity: Decimal
    staged_id: int | None = None


async def lock_orders(
    conn: BaseDBAsyncClient, order_ids: Sequence[int], fields: Sequence[Field], *, confirmed_only: bool = True
) -> dict[int, Document]:
    """The confirmed sales orders named, locked in id order (``fields``: where each was named); ``confirmed_only``
    False: in any state (a pick list made before one of its orders was cancelled)."""
    at = dict(zip(order_ids, fields, strict=True))
    found: dict[int, Document] = {}
    for order_id in sorted(set(order_ids)):
        document = await Document.select_for_update().using_db(conn).get_or_none(id=order_id, type=ORDER)
        if document is None:
            raise NotFound("There is no such sales order.", field=at[order_id])
        if confirmed_only and document.state != CONFIRMED:
            raise IllegalTransition(f"The order {document.number} is {document.state}: only a confirmed order ships.",
                                    field=at[order_id])  # fmt: skip
        found[order_id] = document
    return found


async def lock_allocations(conn: BaseDBAsyncClient, ids: Sequence[int]) -> dict[int, SalesAllocation]:
    rows: list[SalesAllocation] = []
    for chunk in sql.chunks(sorted(set(ids))):
        rows += await SalesAllocation.filter(id__in=chunk).using_db(conn).order_by("id").select_for_update()
    return {row.id: row for row in rows}


async def reserved_of(conn: BaseDBAsyncClient, order_ids: Sequence[int]) -> dict[int, Decimal]:
    """What each allocation of these orders holds reserved now, by allocation id."""
    found: dict[int, Decimal] = {}
    for chunk in sql.chunks(sorted(set(order_ids))):
        rows = await sql.fetch(
            conn,
            f"SELECT line_id, reserved FROM stock_demand WHERE document_type = '{ALLOCATION}'"
            f" AND document_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )
        found |= {int(r["line_id"]): quantities.from_db(r["reserved"]) for r in rows}
    return found


async def held_stock(conn: BaseDBAsyncClient, order_ids: Sequence[int]) -> dict[int, list[HeldStock]]:
    """Where each allocation of these orders holds its reservation: by bin and lot, in bin code order."""
    found: dict[int, list[HeldStock]] = {}
    for chunk in sql.chunks(sorted(set(order_ids))):
        rows = await sql.fetch(
            conn,
            "SELECT d.line_id, q.location_id, l.code AS location_code, q.lot_id, lot.code AS lot_code, a.quantity"
            " FROM stock_demand d JOIN stock_allocation a ON a.demand_id = d.id JOIN quant q ON q.id = a.quant_id"
            " JOIN location l ON l.id = q.location_id LEFT JOIN lot ON lot.id = q.lot_id"
            f" WHERE d.document_type = '{ALLOCATION}' AND d.document_id IN ({sql.placeholders(1, len(chunk))})"
            " ORDER BY l.code, q.lot_id",
            *chunk,
        )
        for r in rows:
            found.setdefault(int(r["line_id"]), []).append(HeldStock(
                int(r["line_id"]), int(r["location_id"]), r["location_code"], int(r["lot_id"]), r["lot_code"],
                quantities.from_db(r["quantity"]),
            ))  # fmt: skip
    return found


class NotReady(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK


async def refuse_incomplete(conn: BaseDBAsyncClient, document: Document, order: SalesOrder, field: Field) -> None:
    """An order that ships complete is picked (or shipped from the bins) only once all of it is reserved or
    picked: INSUFFICIENT_STOCK naming what still waits."""
    if order.shipping_policy != ShippingPolicy.SHIP_COMPLETE:
        return
    reserved = await reserved_of(conn, [document.id])
    rows = await sql.fetch(
        conn,
        "SELECT a.id, a.quantity, a.shipped, a.staged, p.sku FROM sales_allocation a"
        " JOIN product p ON p.id = a.product_id WHERE a.order_id = $1 ORDER BY a.id",
        document.id,
    )
    waiting = []
    for r in rows:
        short = (quantities.from_db(r["quantity"]) - quantities.from_db(r["shipped"])
                 - quantities.from_db(r["staged"]) - reserved.get(int(r["id"]), ZERO))  # fmt: skip
        if short > 0:
            waiting.append(f"{short.normalize():f} {r['sku']}")
    if waiting:
        raise NotReady(
            f"The order {document.number} ships complete: nothing of it is picked or shipped until all of it is"
            f" reserved ({', '.join(waiting[:5])} still waiting).",
            field=field,
        )


async def write_lines_document(
    write: Write, document_type: str, store_id: int, planned: list[PlannedLine], party: str | None = None
) -> tuple[Document, list[int]]:
    """A new draft document of ``planned`` lines (unpriced: they list goods, not sales) and its line ids in
    the same order."""
    lines = [LineInput(p.sku, p.quantity, price=Decimal(0), location=p.location_code, lot=p.lot_code)
             for p in planned]  # fmt: skip
    document = await service.create_within(write, document_type, store_id, lines, header=service.Header(party=party))
    rows = await sql.fetch(write.conn, "SELECT id FROM document_line WHERE document_id = $1 ORDER BY position",
                           document.id)  # fmt: skip
    return document, [int(r["id"]) for r in rows]


async def book(write: Write, entries: list[Entry]) -> list[list[Move]]:
    """Post the entries in the write's transaction (the moves of each, in order); subscribers hear of the stock
    after the commit."""
    if not entries:
        return []
    booked = await post_all(write.conn, entries, Trail(actor_id=write.actor_id, key=write.idempotency_key))
    changed = sorted({entry.product.id for entry in entries})

    def tell_subscribers() -> None:
        for product_id in changed:
            events.publish_stock_changed(product_id)

    write.after_commit(tell_subscribers)
    return booked
