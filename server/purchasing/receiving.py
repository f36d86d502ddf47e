"""Receiving against purchase orders: one scan at a time or many lines at once, from one order or from
several of one supplier.

A receipt locks its orders (in id order), then the progress rows of the lines it fills, so receipts of
one order at once queue there: what a line has received is read and raised under that lock, and a
receipt that would take it past the ordered quantity plus the supplier's tolerance is refused
(``OVER_RECEIPT``), counted cumulatively in base units. What is received becomes a
``purchase.receipt`` document, booked at once (supplier → the bin) at the unit cost its order line
fixes: the line's net amount in the company currency (at the rate of the receipt's date) over its
base quantity, to 4 places. The orders then move on (``orders.settle``).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events
from server.catalog import units
from server.commands import Audited, Command, Effect, Write, execute
from server.documents import service
from server.documents.kinds import IllegalTransition
from server.documents.lines import MAX_LINES, LineInput
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.documents.stock import line_lot, moved_at, products_for_posting
from server.errors import DomainError, ErrorCode, Invalid, ManyErrors, NotFound
from server.inventory import putaway, quantities
from server.inventory.lookups import places_by_ids, virtual
from server.inventory.models import LOT_CODE, LocationKind
from server.inventory.posting import Entry, Source, Trail, post_all
from server.money.rates import rate_on
from server.paging import MAX_ID
from server.partners.models import Party
from server.purchasing import orders as po
from server.purchasing.models import PurchaseLine, PurchaseOrder
from server.scanning import ScanInfo, record_scan

COST_STEP = Decimal("0.0001")
MAX_SERIALS = 1000  # per line
MAX_ORDERS = 20  # one receipt fills lines of at most this many orders


class OverReceipt(DomainError):
    code = ErrorCode.OVER_RECEIPT


@dataclass(frozen=True)
class ReceiptLineInput:
    """What arrived for one order line: ``quantity`` in ``unit`` (None: the order line's unit)."""

    order: int
    position: int
    quantity: object
    unit: str | None = None
    location: str | None = None  # None: the order line's, else the order's receive-into location
    lot: str | None = None
    expires_on: date | None = None
    best_before_on: date | None = None
    removal_on: date | None = None
    alert_on: date | None = None
    serials: tuple[str, ...] = ()  # a serial-tracked product: one per unit


@dataclass(frozen=True)
class ReceivePurchase(Command):
    operation = "purchase.receive"
    lines: tuple[ReceiptLineInput, ...]


@dataclass(frozen=True)
class Received:
    receipt: Document
    orders: list[Document]


@dataclass
class _Planned:
    """One input line, checked: the order line it fills and what the receipt books for it."""

    index: int
    line: DocumentLine
    order: PurchaseOrder
    base_quantity: Decimal
    receipt_lines: list[LineInput]


def _checked(given: list[ReceiptLineInput]) -> tuple[ReceiptLineInput, ...]:
    """The input's shape, before the database sees it: every problem at once."""
    if not given:
        raise Invalid("Say what arrived: give at least one line.", field="lines")
    if len(given) > MAX_LINES:
        raise Invalid(f"A receipt has at most {MAX_LINES} lines.", field="lines")
    problems: list[DomainError] = []
    checked = []
    for index, line in enumerate(given):
        at = ("lines", index)
        if not isinstance(line.order, int) or not 0 < line.order <= MAX_ID:
            problems.append(NotFound("There is no such purchase order.", field=(*at, "order")))
        if not isinstance(line.position, int) or not 0 < line.position <= MAX_LINES:
            problems.append(NotFound("The order has no such line.", field=(*at, "position")))
        if len(line.serials) > MAX_SERIALS:
            problems.append(Invalid(f"A line takes at most {MAX_SERIALS} serials.", field=(*at, "serials")))
            continue
        serials = []
        for i, serial in enumerate(line.serials):
            try:
                serials.append(LOT_CODE.clean(serial, (*at, "serials", i)))
            except DomainError as error:
                problems.append(error)
        if len(set(serials)) != len(serials):
            problems.append(Invalid("A serial is named twice.", field=(*at, "serials")))
        checked.append(dataclasses.replace(line, serials=tuple(serials)))
    if len({line.order for line in given}) > MAX_ORDERS:
        problems.append(Invalid(f"A receipt fills lines of at most {MAX_ORDERS} orders.", field="lines"))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked)


async def receive(
    lines: list[ReceiptLineInput],
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
    scan: ScanInfo | None = None,
) -> Received:
    """Book what arrived against purchase orders of one supplier: one receipt document, booked at once and
    dated when ``scan`` was scanned (a receipt queued on a handheld books the day it was scanned), else now;
    the scan is kept in the scan log with the receipt's first move."""
    command = ReceivePurchase(_checked(lines))

    async def run(write: Write) -> Received:
        return await _receive(write, command.lines, scan)

    async def recall(stored: dict[str, Any]) -> Received:
        receipt = await Document.get(id=stored["receipt_id"])
        orders = await Document.filter(id__in=stored["order_ids"]).order_by("id")
        return Received(receipt, list(orders))

    effect = Effect(run, lambda r: Audited("document", r.receipt.id, command.request()),
                    lambda r: {"receipt_id": r.receipt.id, "order_ids": [o.id for o in r.orders]}, recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def _receive(write: Write, given: tuple[ReceiptLineInput, ...], scan: ScanInfo | None) -> Received:
    conn = write.conn
    documents = await _lock_orders(conn, given)
    first = documents[min(documents)]
    headers = {o.id: o for o in await PurchaseOrder.filter(id__in=list(documents)).using_db(conn)
               .select_related("warehouse", "receive_into")}  # fmt: skip
    lines = await _order_lines(conn, given)
    progress: dict[int, PurchaseLine] = {}
    for order_id in sorted(documents):
        ids = [line.id for (order, _), line in lines.items() if order == order_id]
        progress |= await po.lock_progress(conn, order_id, ids)
    supplier = await Party.get(id=first.party_id).using_db(conn)  # type: ignore[attr-defined]
    planned = await _plan(conn, given, lines, headers, progress, supplier)
    scanned_at = scan.scanned_at if scan is not None else None
    scanned_on = scanned_at.astimezone(UTC).date() if scanned_at is not None else None
    receipt = await service.create_within(
        write, po.RECEIPT, first.store_id, [r for p in planned for r in p.receipt_lines],  # type: ignore[attr-defined]
        header=service.Header(party=supplier.code, currency=first.currency, business_date=scanned_on),
    )  # fmt: skip
    receipt_lines = await DocumentLine.filter(document_id=receipt.id).using_db(conn).order_by("position")
    owners = [p for p in planned for _ in p.receipt_lines]  # the input line each receipt line books
    await DocumentLineLink.bulk_create(
        [DocumentLineLink(line_id=r.id, source_id=o.line.id, quantity=r.base_quantity)
         for r, o in zip(receipt_lines, owners, strict=True)], using_db=conn,
    )  # fmt: skip
    receipt.rate = await rate_on(receipt.currency, receipt.business_date)

    async def book(write: Write, document: Document, booked: list[DocumentLine]) -> None:
        first_move = await _book(write, document, booked, owners, scanned_at)
        if scan is not None:
            await record_scan(write.conn, scan, user_id=write.actor_id, move_id=first_move, deferred=write.deferred)

    receipt = await service.transition(write, receipt, po.BOOK, book)
    for p in planned:
        row = progress[p.line.id]
        row.received = quantities.from_db(row.received) + p.base_quantity
        await row.save(using_db=conn, update_fields=["received"])
    settled = [await po.settle(write, documents[order_id]) for order_id in sorted(documents)]
    return Received(receipt, settled)


async def _lock_orders(conn: BaseDBAsyncClient, given: tuple[ReceiptLineInput, ...]) -> dict[int, Document]:
    """The orders named, locked in id order; each must take a receipt, all from one supplier and store."""
    documents: dict[int, Document] = {}
    for order_id in sorted({line.order for line in given}):
        document = await Document.select_for_update().using_db(conn).get_or_none(id=order_id, type=po.ORDER)
        at = ("lines", next(i for i, line in enumerate(given) if line.order == order_id), "order")
        if document is None:
            raise NotFound("There is no such purchase order.", field=at)
        if document.state not in po.RECEIVABLE:
            raise IllegalTransition(
                f"The purchase order {document.number} is {document.state.replace('_', ' ')}: it takes no receipt.",
                field=at,
            )
        documents[order_id] = document
    first = documents[min(documents)]
    for document in documents.values():
        if (document.party_id, document.store_id, document.currency) != (  # type: ignore[attr-defined]
            first.party_id, first.store_id, first.currency,  # type: ignore[attr-defined]
        ):  # fmt: skip
            raise Invalid("One receipt takes orders of one supplier, store and currency: receive them apart.",
                          field="lines")  # fmt: skip
    return documents


async def _order_lines(
    conn: BaseDBAsyncClient, given: tuple[ReceiptLineInput, ...]
) -> dict[tuple[int, int], DocumentLine]:
    wanted: dict[int, set[int]] = defaultdict(set)
    for line in given:
        wanted[line.order].add(line.position)
    found: dict[tuple[int, int], DocumentLine] = {}
    for order_id, positions in wanted.items():
        rows = await DocumentLine.filter(document_id=order_id, position__in=sorted(positions)).using_db(conn)\
            .select_related("product", "location")  # fmt: skip
        found |= {(order_id, row.position): row for row in rows}
    return found


async def _plan(
    conn: BaseDBAsyncClient, given: tuple[ReceiptLineInput, ...], lines: dict[tuple[int, int], DocumentLine],
    headers: dict[int, PurchaseOrder], progress: dict[int, PurchaseLine], supplier: Party,
) -> list[_Planned]:  # fmt: skip
    """Every input line against its order line, under the lines' locks: units, tolerance, where it goes."""
    tolerance = 1 + Decimal(supplier.over_receipt_percent) / 100
    taking: dict[int, Decimal] = defaultdict(Decimal)  # by order line: what this receipt brings so far
    planned: list[_Planned] = []
    problems: list[DomainError] = []
    for index, item in enumerate(given):
        at = ("lines", index)
        line = lines.get((item.order, item.position))
        if line is None:
            problems.append(NotFound(f"The order has no line {item.position}.", field=(*at, "position")))
            continue
        try:
            unit = item.unit if item.unit is not None and item.unit.strip() else line.unit
            quantity = quantities.parse(item.quantity, field=(*at, "quantity"))
            converted = await units.to_base(conn, line.product, quantity, unit, field=(*at, "quantity"))
            location = await _where(conn, item, line, headers[item.order], converted.base_quantity, at)
        except DomainError as error:
            problems.append(error)
            continue
        base = converted.base_quantity
        row = progress[line.id]
        ordered = quantities.from_db(line.base_quantity)
        room = (ordered - po.value_of(row, "cancelled")) * tolerance - po.counted(row) - taking[line.id]
        if base > room:
            problems.append(OverReceipt(
                f"Line {line.position} ({line.product.sku}) may take {max(room, Decimal(0)).normalize():f} more"
                f" {line.product.unit} (ordered {ordered.normalize():f}, tolerance {supplier.over_receipt_percent}%):"
                f" {base.normalize():f} is too many.", field=(*at, "quantity"),
            ))  # fmt: skip
            continue
        taking[line.id] += base
        try:
            receipt_lines = _receipt_lines(item, line, converted.quantity, converted.unit, base, location, at)
        except DomainError as error:
            problems.append(error)
            continue
        planned.append(_Planned(index, line, headers[item.order], base, receipt_lines))
    if problems:
        raise ManyErrors(problems)
    return planned


async def _where(conn: BaseDBAsyncClient, item: ReceiptLineInput, line: DocumentLine, order: PurchaseOrder,
                 quantity: Decimal, at: tuple[str, int]) -> str:  # fmt: skip
    """The bin the goods go to: the scan's, else the order line's, else the order's receive-into location
    (a dock or quality control), else the putaway suggestion (a rule, a bin holding the product, an empty one)."""
    if item.location is not None and item.location.strip():
        return (await po.bin_of(conn, order.warehouse, item.location, (*at, "location"))).code
    if line.location is not None:
        return line.location.code
    if order.receive_into is not None:
        return order.receive_into.code
    suggestion = await putaway.suggest_within(conn, order.warehouse.id, line.product.id, quantity)
    if suggestion is None:
        raise Invalid("No bin of the warehouse has room for it: say where the goods go (a location).",
                      field=(*at, "location"))  # fmt: skip
    return suggestion.location_code


def _receipt_lines(item: ReceiptLineInput, line: DocumentLine, quantity: Decimal, unit: str, base: Decimal,
                   location: str, at: tuple[str, int]) -> list[LineInput]:  # fmt: skip
    """The receipt's lines for one input line, priced as its order line; a serial-tracked product's, one per
    serial, in the base unit at the order line's price per base unit."""

    def line_of(quantity: Decimal, unit: str, price: Decimal, lot: str | None) -> LineInput:
        return LineInput(line.product.sku, quantity, unit, price, line.discount_percent, location, lot,
                         item.expires_on, best_before_on=item.best_before_on, removal_on=item.removal_on,
                         alert_on=item.alert_on)  # fmt: skip

    if not item.serials:
        return [line_of(quantity, unit, po.price_per_unit(line, quantity, base), item.lot)]
    if not line.product.tracks_serials:
        raise Invalid(f"The product {line.product.sku} is not tracked by serial.", field=(*at, "serials"))
    if Decimal(len(item.serials)) != base:
        raise Invalid(f"{base.normalize():f} {line.product.unit} arrived: give as many serials, one each.",
                      field=(*at, "serials"))  # fmt: skip
    per_base = po.price_per_unit(line, Decimal(1), Decimal(1))
    return [line_of(Decimal(1), line.product.unit, per_base, serial) for serial in item.serials]


async def _book(write: Write, receipt: Document, lines: list[DocumentLine], planned: list[_Planned],
                scanned_at: datetime | None) -> int | None:  # fmt: skip
    """The receipt's lines from the supplier into their bins, at the cost their order lines fix: the order
    line's net amount over its base quantity, whatever unit the receipt counted in (``planned``: the input
    line each receipt line books); dated ``scanned_at``, else by the receipt. The first move's id."""
    owners = [p.index for p in planned]
    conn = write.conn
    supplier = await virtual(conn, LocationKind.SUPPLIER)
    products = await products_for_posting(conn, {line.product_id for line in lines})  # type: ignore[attr-defined]
    places = await places_by_ids(conn, {line.location_id for line in lines})  # type: ignore[attr-defined]
    rate = Decimal(receipt.rate or 1)
    entries: list[Entry] = []
    problems: list[DomainError] = []
    for index, line in enumerate(lines):
        product = products[line.product_id]  # type: ignore[attr-defined]
        try:
            product.refuse_new_stock_if_archived()
            lot = await line_lot(conn, product, line, incoming=True)
        except DomainError as error:
            problems.append(error.at(("lines", owners[index], "lot" if error.field != "sku" else "sku")))
            continue
        ordered = planned[index].line
        net = Decimal(ordered.net)
        cost = (net * rate / Decimal(ordered.base_quantity)).quantize(COST_STEP) if net > 0 else None
        entries.append(Entry(product, supplier, places[line.location_id], line.base_quantity, lot, "receive",  # type: ignore[attr-defined]
                             "purchase", Source(receipt.type, receipt.id, line.id), unit_cost=cost))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    trail = Trail(actor_id=write.actor_id, key=write.idempotency_key, effective_at=scanned_at or moved_at(receipt))
    try:
        moved = await post_all(conn, entries, trail)
    except ManyErrors as many:
        raise ManyErrors([_placed(error, owners) for error in many.errors]) from None
    except DomainError as error:
        raise _placed(error, owners) from None
    changed = sorted({move.product_id for moves in moved for move in moves})

    def tell_subscribers() -> None:
        for product_id in changed:
            events.publish_stock_changed(product_id)

    write.after_commit(tell_subscribers)
    return next((moves[0].id for moves in moved if moves), None)


def _placed(error: DomainError, owners: list[int]) -> DomainError:
    """An error of the receipt's line ``i``, told at the input line it came from."""
    field = error.field
    if isinstance(field, tuple) and len(field) == 3 and field[0] == "lines":
        return error.at(("lines", owners[int(field[1])], field[2]))
    return error
