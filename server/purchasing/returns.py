"""Returns to the supplier: goods of a receipt sent back, for a refund or to be replaced.

A return is a ``purchase.return`` document, made only by ``return_to_supplier`` and booked at once
(the bin → the supplier). Each of its lines names a line of one goods receipt and is linked to it
(``document_line_link``); it takes the receipt line's lot or serial and leaves at the cost that
receipt line's move has now (its cost when booked, or its last revaluation: a landed cost, a
billed price), so the stock value drops by exactly what those units were worth.

What may go back is what the receipt line brought less what earlier returns took from it, counted
under the locks every change of the order's progress takes: the receipt and its orders (documents
by id), then the order lines' progress rows. ``refund`` lowers what is here and what may be billed
(``returned_refund``); ``replace`` makes the quantity due again (``returned_replace``): a received
order goes back to partially received. A closed order takes returns for a refund only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.catalog import units
from server.commands import Audited, Command, Effect, Write, execute
from server.documents import service
from server.documents.kinds import DONE, DRAFT, DocumentKind, IllegalTransition, Transition, register
from server.documents.lines import MAX_LINES, LineInput
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.documents.stock import line_lot, moved_at, products_for_posting
from server.errors import DomainError, ErrorCode, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.lookups import places_by_ids, virtual
from server.inventory.models import LocationKind
from server.inventory.posting import Entry, Source, Trail, post_all
from server.inventory.valuation.revalue import current_unit_cost
from server.paging import MAX_ID
from server.partners.models import Party, PartyRole
from server.purchasing import orders as po
from server.purchasing.models import PurchaseLine, PurchaseOrder
from server.text import Text

RETURN = "purchase.return"
REFUND, REPLACE = "refund", "replace"
MODES = (REFUND, REPLACE)
REASON = Text("reason", 1000, multiline=True)
ZERO = Decimal(0)

RETURN_KIND = register(DocumentKind(
    type=RETURN, title="Return to supplier", prefix="RS", party_role=PartyRole.SUPPLIER, party_required=True,
    purchase=True, made_by="returnToSupplier", lines_need_location=True, editable=frozenset(), reasons=MODES,
    transitions=(Transition(po.BOOK, frozenset({DRAFT}), DONE),), own_actions=frozenset({po.BOOK}),
))  # fmt: skip


class OverReturn(DomainError):
    code = ErrorCode.OVER_RETURN


@dataclass(frozen=True)
class ReturnLineInput:
    """What goes back of one receipt line: ``quantity`` in ``unit`` (None: the receipt line's unit), from
    ``location`` (None: the bin the receipt line brought it to)."""

    position: int
    quantity: object
    unit: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class ReturnToSupplier(Command):
    operation = "purchase.return"
    receipt_id: int
    mode: str
    reason: str
    lines: tuple[ReturnLineInput, ...]


@dataclass(frozen=True)
class Returned:
    document: Document  # the return, booked
    orders: list[Document]  # the orders whose lines it returns, as they are now


@dataclass
class _Planned:
    index: int
    receipt_line: DocumentLine
    order_line_id: int
    order_id: int
    base: Decimal
    line: LineInput


def _checked(receipt_id: object, mode: object, reason: object, given: list[ReturnLineInput]) -> ReturnToSupplier:
    """The input's shape before the database sees it."""
    if not isinstance(receipt_id, int) or not 0 < receipt_id <= MAX_ID:
        raise NotFound("There is no such goods receipt.", field="receipt")
    if mode not in MODES:
        raise Invalid(f"Say how the supplier makes it good: {' or '.join(MODES)}.", field="mode")
    text = REASON.clean(reason, "reason")
    if not given:
        raise Invalid("Say what goes back: give at least one line.", field="lines")
    if len(given) > MAX_LINES:
        raise Invalid(f"A return has at most {MAX_LINES} lines.", field="lines")
    problems: list[DomainError] = []
    for index, line in enumerate(given):
        if not isinstance(line.position, int) or not 0 < line.position <= MAX_LINES:
            problems.append(NotFound("The receipt has no such line.", field=("lines", index, "position")))
    if problems:
        raise ManyErrors(problems)
    return ReturnToSupplier(receipt_id, str(mode), text, tuple(given))


async def return_to_supplier(
    receipt_id: int, mode: str, reason: str, lines: list[ReturnLineInput], *, actor_id: int | None,
    idempotency_key: str,
) -> Returned:  # fmt: skip
    """Send goods of one receipt back to its supplier, booked now at the cost they were received at."""
    command = _checked(receipt_id, mode, reason, lines)

    async def run(write: Write) -> Returned:
        return await _return(write, command)

    async def recall(stored: dict[str, Any]) -> Returned:
        document = await Document.get(id=stored["document_id"])
        return Returned(document, list(await Document.filter(id__in=stored["order_ids"]).order_by("id")))

    def remember(done: Returned) -> dict[str, Any]:
        return {"document_id": done.document.id, "order_ids": [o.id for o in done.orders]}

    effect = Effect(run, lambda r: Audited("document", r.document.id, command.request()), remember, recall)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def _return(write: Write, command: ReturnToSupplier) -> Returned:
    conn = write.conn
    receipt = await Document.filter(id=command.receipt_id, type=po.RECEIPT).using_db(conn).first()
    if receipt is None or receipt.state != DONE:
        raise NotFound("There is no such goods receipt.", field="receipt")
    lines = await _receipt_lines(conn, receipt, command.lines)
    sources = {link.line_id: link.source_id for link in await DocumentLineLink.filter(  # type: ignore[attr-defined]
        line_id__in=[line.id for line in lines.values()]).using_db(conn)}  # fmt: skip
    order_of = {int(r["id"]): int(r["document_id"]) for r in await sql.fetch(
        conn, f"SELECT id, document_id FROM document_line WHERE id IN ({sql.placeholders(1, len(sources))})",
        *sources.values(),
    )} if sources else {}  # fmt: skip
    documents = await _lock(conn, receipt.id, sorted(set(order_of.values())))
    if command.mode == REPLACE:
        for order in documents.values():
            if order.state not in po.RECEIVABLE:
                raise IllegalTransition(
                    f"The purchase order {order.number} is {order.state}: nothing comes for it again, so its goods"
                    " go back for a refund only.", field="mode",
                )  # fmt: skip
    progress: dict[int, PurchaseLine] = {}
    for order_id in sorted(documents):
        progress |= await po.lock_progress(conn, order_id, [s for s in sources.values() if order_of[s] == order_id])
    returned = await _returned_from(conn, [line.id for line in lines.values()])
    planned = await _plan(conn, command, lines, sources, order_of, returned)
    supplier = await Party.get(id=receipt.party_id).using_db(conn)  # type: ignore[attr-defined]
    document = await service.create_within(
        write, RETURN, receipt.store_id, [p.line for p in planned],  # type: ignore[attr-defined]
        header=service.Header(party=supplier.code, currency=receipt.currency, reason=command.mode,
                              notes=command.reason),
    )  # fmt: skip
    made = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position")
    await DocumentLineLink.bulk_create(
        [DocumentLineLink(line_id=m.id, source_id=p.receipt_line.id, quantity=m.base_quantity)
         for m, p in zip(made, planned, strict=True)], using_db=conn,
    )  # fmt: skip
    document.rate = receipt.rate  # its amounts are the receipt's prices, at the receipt's rate

    async def book(write: Write, booked: Document, booked_lines: list[DocumentLine]) -> None:
        await _book(write, booked, booked_lines, receipt, planned)

    document = await service.transition(write, document, po.BOOK, book)
    column = "returned_refund" if command.mode == REFUND else "returned_replace"
    for p in planned:
        row = progress[p.order_line_id]
        setattr(row, column, quantities.from_db(getattr(row, column)) + p.base)
        await row.save(using_db=conn, update_fields=[column])
    settled = [await po.settle(write, documents[order_id]) for order_id in sorted(documents)]
    return Returned(document, settled)


async def _receipt_lines(
    conn: BaseDBAsyncClient, receipt: Document, given: tuple[ReturnLineInput, ...]
) -> dict[int, DocumentLine]:
    positions = sorted({line.position for line in given})
    rows = await DocumentLine.filter(document_id=receipt.id, position__in=positions).using_db(conn)\
        .select_related("product", "location")  # fmt: skip
    found = {row.position: row for row in rows}
    missing = [NotFound(f"The receipt {receipt.number} has no line {line.position}.", field=("lines", i, "position"))
               for i, line in enumerate(given) if line.position not in found]  # fmt: skip
    if missing:
        raise ManyErrors(missing)  # type: ignore[arg-type]
    return found


async def _lock(conn: BaseDBAsyncClient, receipt_id: int, order_ids: list[int]) -> dict[int, Document]:
    """The receipt and its orders, locked in id order (a landed cost on the receipt waits, and so does every
    receipt or return of those orders); the orders, by id."""
    locked = {}
    for document_id in sorted({receipt_id, *order_ids}):
        locked[document_id] = await Document.select_for_update().using_db(conn).get(id=document_id)
    return {i: locked[i] for i in order_ids}


async def _returned_from(conn: BaseDBAsyncClient, receipt_line_ids: list[int]) -> dict[int, Decimal]:
    """What returns took back from each receipt line so far (read under the order's lock)."""
    taken: dict[int, Decimal] = defaultdict(Decimal)
    rows = await sql.fetch(
        conn,
        "SELECT k.source_id, k.quantity FROM document_line_link k JOIN document_line l ON l.id = k.line_id"
        f" JOIN document d ON d.id = l.document_id WHERE d.type = $1"
        f" AND k.source_id IN ({sql.placeholders(2, len(receipt_line_ids))})",
        RETURN, *receipt_line_ids,
    )  # fmt: skip
    for row in rows:
        taken[int(row["source_id"])] += quantities.from_db(row["quantity"])
    return taken


async def _plan(
    conn: BaseDBAsyncClient, command: ReturnToSupplier, lines: dict[int, DocumentLine], sources: dict[int, int],
    order_of: dict[int, int], returned: dict[int, Decimal],
) -> list[_Planned]:  # fmt: skip
    """Every input line against its receipt line: units, the bin it leaves, and no more than is left of it."""
    warehouses = {int(o.id): o.warehouse for o in await PurchaseOrder.filter(
        id__in=sorted(set(order_of.values()))).using_db(conn).select_related("warehouse")}  # fmt: skip
    taking: dict[int, Decimal] = defaultdict(Decimal)
    planned: list[_Planned] = []
    problems: list[DomainError] = []
    for index, item in enumerate(command.lines):
        at = ("lines", index)
        line = lines[item.position]
        order_line_id = sources[line.id]
        try:
            unit = item.unit if item.unit is not None and item.unit.strip() else line.unit
            quantity = quantities.parse(item.quantity, field=(*at, "quantity"))
            converted = await units.to_base(conn, line.product, quantity, unit, field=(*at, "quantity"))
            location = line.location.code if line.location is not None else None
            if item.location is not None and item.location.strip():
                warehouse = warehouses[order_of[order_line_id]]
                location = (await po.bin_of(conn, warehouse, item.location, (*at, "location"))).code
        except DomainError as error:
            problems.append(error)
            continue
        base = converted.base_quantity
        left = quantities.from_db(line.base_quantity) - returned[line.id] - taking[line.id]
        if base > left:
            problems.append(OverReturn(
                f"Line {line.position} ({line.product.sku}) brought {quantities.from_db(line.base_quantity):f}"
                f" {line.product.unit} and {max(left, ZERO):f} of it may go back: {base:f} is too many.",
                field=(*at, "quantity"),
            ))  # fmt: skip
            continue
        taking[line.id] += base
        planned.append(_Planned(
            index, line, order_line_id, order_of[order_line_id], base,
            LineInput(line.product.sku, converted.quantity, converted.unit,
                      po.price_per_unit(line, converted.quantity, converted.base_quantity),
                      line.discount_percent, location, line.lot_code),
        ))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    return planned


async def _book(
    write: Write, document: Document, lines: list[DocumentLine], receipt: Document, planned: list[_Planned]
) -> None:
    """Each line from its bin to the supplier, in the receipt line's lot, at its move's cost now."""
    conn = write.conn
    supplier = await virtual(conn, LocationKind.SUPPLIER)
    products = await products_for_posting(conn, {line.product_id for line in lines})  # type: ignore[attr-defined]
    places = await places_by_ids(conn, {line.location_id for line in lines})  # type: ignore[attr-defined]
    ids = [p.receipt_line.id for p in planned]
    moves = {int(r["document_line_id"]): r for r in await sql.fetch(
        conn, "SELECT id, document_line_id, unit_cost FROM stock_move WHERE document_id = $1"
        f" AND document_line_id IN ({sql.placeholders(2, len(ids))}) ORDER BY id", receipt.id, *ids,
    )}  # fmt: skip
    entries: list[Entry] = []
    problems: list[DomainError] = []
    for line, p in zip(lines, planned, strict=True):
        product = products[line.product_id]  # type: ignore[attr-defined]
        try:
            lot = await line_lot(conn, product, line, incoming=False)
        except DomainError as error:
            problems.append(error.at(("lines", p.index, "quantity")))
            continue
        move = moves[p.receipt_line.id]
        cost = await current_unit_cost(conn, int(move["id"]), move["unit_cost"])
        bin_ = places[line.location_id]  # type: ignore[attr-defined]
        entries.append(Entry(product, bin_, supplier, line.base_quantity, lot, "issue", "supplier_return",
                             Source(document.type, document.id, line.id), unit_cost=cost))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    trail = Trail(actor_id=write.actor_id, key=write.idempotency_key, effective_at=moved_at(document))
    owners = [p.index for p in planned]
    try:
        moved = await post_all(conn, entries, trail)
    except ManyErrors as many:
        raise ManyErrors([_placed(error, owners) for error in many.errors]) from None
    except DomainError as error:
        raise _placed(error, owners) from None
    changed = sorted({move.product_id for booked in moved for move in booked})

    def tell_subscribers() -> None:
        for product_id in changed:
            events.publish_stock_changed(product_id)

    write.after_commit(tell_subscribers)


def _placed(error: DomainError, owners: list[int]) -> DomainError:
    """An error of the return's line ``i``, told at the input line it came from."""
    field = error.field
    if isinstance(field, tuple) and len(field) == 3 and field[0] == "lines":
        return error.at(("lines", owners[int(field[1])], field[2]))
    return error
