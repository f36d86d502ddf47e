"""Stock that comes in or goes out without an order: opening stock, gifts, samples, internal use, damage.

Two document types on the kernel, ``stock.inbound`` and ``stock.outbound``: draft → confirmed →
done, or cancelled. Posting books every line in one transaction (``post_all``: every quant locked
up front in key order); a line short of stock fails the whole document, and every short line is
reported at once. A done document is undone by a reversing one of the other type, which takes back
exactly the lots and bins the original moves used.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.clock import now, today
from server.commands import Write
from server.documents.kinds import DocumentKind, register, simple_flow
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.errors import DomainError, Invalid, ManyErrors
from server.inventory import quantities
from server.inventory.errors import LotExpired
from server.inventory.lookups import (
    LotRef,
    Place,
    Product,
    existing_lot,
    lot_for_receipt,
    places_by_ids,
    products_by_ids,
    virtual,
)
from server.inventory.lots import LotDates
from server.inventory.models import LocationKind
from server.inventory.posting import Entry, Source, Trail, post_all

INBOUND, OUTBOUND = "stock.inbound", "stock.outbound"

# Where stock that comes in comes from, and where stock that goes out goes, by the document's reason.
COMES_FROM = {
    "opening": LocationKind.INVENTORY_LOSS,  # opening stock is a gain against inventory
    "found": LocationKind.INVENTORY_LOSS,
    "gift": LocationKind.SUPPLIER,
    "sample": LocationKind.SUPPLIER,
    "other": LocationKind.INVENTORY_LOSS,
    "return": LocationKind.CUSTOMER,  # what a customer brings back: the only way a sold serial comes back
}
GOES_TO = {
    "internal_use": LocationKind.INVENTORY_LOSS,
    "damage": LocationKind.SCRAP,
    "gift": LocationKind.CUSTOMER,
    "sample": LocationKind.CUSTOMER,
    "other": LocationKind.INVENTORY_LOSS,
}


async def _post_inbound(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    await _post(write, document, lines, incoming=True)


async def _post_outbound(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    await _post(write, document, lines, incoming=False)


async def _post(write: Write, document: Document, lines: list[DocumentLine], *, incoming: bool) -> None:
    conn = write.conn
    if document.reverses_id is not None:  # type: ignore[attr-defined]
        entries = await _reversing_entries(conn, document, lines)
    else:
        entries = await _entries(conn, document, lines, incoming=incoming)
    trail = Trail(actor_id=write.actor_id, key=write.idempotency_key, effective_at=moved_at(document))
    moved = await post_all(conn, entries, trail)
    changed = {move.product_id for moves in moved for move in moves}
    write.after_commit(lambda: _tell_subscribers(changed))


def _tell_subscribers(product_ids: set[int]) -> None:
    for product_id in sorted(product_ids):
        events.publish_stock_changed(product_id)


def moved_at(document: Document) -> datetime:
    """When a document's stock moved: now for today's document, else the end of its business day (UTC).

    Every document that posts stock (goods in and out, transfers) dates its moves by it, so a document of
    an earlier day lands in that day's valuation and period; at the day's end, because it took out what
    the day brought in (its time within the day is not known, and a move never takes stock before it came)."""
    if document.business_date >= today():
        return now()
    return datetime.combine(document.business_date, time.max, UTC)


async def products_for_posting(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, Product]:
    """The products a document's lines name, by id, as a posting needs them (``lookups.products_by_ids``)."""
    return await products_by_ids(conn, ids)


async def _places(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, Place]:
    return await places_by_ids(conn, ids)  # with their flags and limits, which postings check


async def _entries(
    conn: BaseDBAsyncClient, document: Document, lines: list[DocumentLine], *, incoming: bool
) -> list[Entry]:
    reason = document.reason or "other"
    other_side = await virtual(conn, (COMES_FROM if incoming else GOES_TO)[reason])
    products = await products_for_posting(conn, {line.product_id for line in lines})  # type: ignore[attr-defined]
    places = await _places(conn, {line.location_id for line in lines})  # type: ignore[attr-defined]
    entries: list[Entry] = []
    problems: list[DomainError] = []
    for index, line in enumerate(lines):
        product = products[line.product_id]  # type: ignore[attr-defined]
        bin_ = places[line.location_id]  # type: ignore[attr-defined]
        try:
            lot = await line_lot(conn, product, line, incoming=incoming)
        except DomainError as error:
            problems.append(error.at(("lines", index, "lot")))
            continue
        if incoming and product.archived:
            problems.append(Invalid(f"The product {product.sku} is archived and takes no new stock.",
                                    field=("lines", index, "sku")))  # fmt: skip
            continue
        source, target = (other_side, bin_) if incoming else (bin_, other_side)
        entries.append(Entry(product, source, target, line.base_quantity, lot, "receive" if incoming else "issue",
                             reason, Source(document.type, document.id, line.id),
                             unit_cost=_unit_cost(line) if incoming else None))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    return entries


async def line_lot(conn: BaseDBAsyncClient, product: Product, line: DocumentLine, *, incoming: bool) -> LotRef | None:
    """The lot a line names: coming in, made (or met) with the line's dates, refused when already expired."""
    if not product.tracks_lots:
        if line.lot_code:
            raise Invalid(f"The product {product.sku} is not tracked by lot.")
        return None
    if not line.lot_code:
        if incoming:
            raise Invalid(f"The product {product.sku} is tracked by lot: give the lot.")
        return None  # going out: first expiring first
    if not incoming:
        return await existing_lot(conn, product, line.lot_code)
    dates = LotDates(line.expires_on, line.best_before_on, line.removal_on, line.alert_on)
    lot = await lot_for_receipt(conn, product, line.lot_code, dates)
    if lot.expires_on is not None and lot.expires_on < today():
        raise LotExpired(f"The lot {lot.code} expired on {lot.expires_on}.")
    return lot


def _unit_cost(line: DocumentLine) -> Decimal | None:
    """What one base unit of an incoming line cost: its net amount (after discount, before tax) over its
    base quantity; a line without a price leaves it to the valuation's rule."""
    net = Decimal(line.net)
    return (net / line.base_quantity).quantize(Decimal("0.0001")) if net > 0 and line.base_quantity > 0 else None


async def _reversing_entries(conn: BaseDBAsyncClient, document: Document, lines: list[DocumentLine]) -> list[Entry]:
    """Each move of each original line, the other way round: the same lots, bins and quantities."""
    links = await DocumentLineLink.filter(line_id__in=[line.id for line in lines]).using_db(conn)
    source_of = {link.line_id: link.source_id for link in links}  # type: ignore[attr-defined]
    original = {line.id: source_of[line.id] for line in lines}
    if not original:
        return []
    rows = await sql.fetch(
        conn,
        "SELECT document_line_id, product_id, quantity, from_location_id, to_location_id, lot_id, reason, unit_cost"
        # the original document's own moves: another area's lines (a count's) are numbered in their own sequence
        f" FROM stock_move WHERE document_id = $1 AND document_line_id IN ({sql.placeholders(2, len(original))})"
        " ORDER BY id",
        document.reverses_id,  # type: ignore[attr-defined]
        *original.values(),
    )
    products = await products_for_posting(conn, {int(r["product_id"]) for r in rows})
    places = await _places(conn, {int(r[k]) for r in rows for k in ("from_location_id", "to_location_id")})
    lot_codes = {int(r["id"]): r["code"] for r in await sql.fetch(
        conn, "SELECT id, code FROM lot WHERE id IN (SELECT lot_id FROM stock_move WHERE document_id = $1)",
        document.reverses_id,  # type: ignore[attr-defined]
    )}  # fmt: skip
    by_original_line: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_original_line.setdefault(int(row["document_line_id"]), []).append(row)
    entries = []
    incoming = document.type == INBOUND
    for line in lines:
        for row in by_original_line.get(original[line.id], []):
            lot_id = row["lot_id"]
            lot = LotRef(int(lot_id), lot_codes[int(lot_id)]) if lot_id else None  # type: ignore[arg-type]
            entries.append(Entry(
                products[int(row["product_id"])],  # type: ignore[arg-type]
                places[int(row["to_location_id"])], places[int(row["from_location_id"])],  # type: ignore[arg-type]
                quantities.from_db(row["quantity"]), lot, "receive" if incoming else "issue", "reversal",
                Source(document.type, document.id, line.id),
                # what went out comes back at the cost it left with
                unit_cost=quantities.from_db(row["unit_cost"]) if incoming and row["unit_cost"] is not None else None,
            ))  # fmt: skip
    return entries


register(DocumentKind(
    type=INBOUND, title="Goods in", prefix="IN", transitions=simple_flow(), poster=_post_inbound,
    reasons=tuple(COMES_FROM), lines_need_location=True, reversed_as=OUTBOUND, purchase=True,
))  # fmt: skip
register(DocumentKind(
    type=OUTBOUND, title="Goods out", prefix="OUT", transitions=simple_flow(), poster=_post_outbound,
    reasons=tuple(GOES_TO), lines_need_location=True, reversed_as=INBOUND,
))  # fmt: skip
