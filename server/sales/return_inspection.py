"""Inspecting a received customer return: each line restocked to a sellable bin, scrapped, or split between
the two; and the customer refunded through the order's payments, in the same command.

Restocking moves the goods from the returns location to a bin of the same warehouse: both are valued in
the warehouse's bucket, so the value they came back at (the cost of goods of the move they shipped with)
stays. Scrapping sends them to the scrap location at that same cost, so what a return restocks is worth
exactly its original cost of goods and what it scraps leaves no trace in the stock value.

The refund is a ``sales_payment`` of kind refund on the order (``payments.book_within``): the value of
the returned lines at the order's prices (their gross share) unless an amount is given, never above what
the order was paid less earlier refunds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Command, Write
from server.documents import service
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.idempotency.service import validate_key
from server.inventory import quantities
from server.inventory.lookups import places_by_ids, virtual
from server.inventory.models import LOCATION_CODE, Location, LocationKind
from server.inventory.posting import Entry, Source
from server.money.amounts import MONEY
from server.money.service import currency_places
from server.sales import payments
from server.sales.fulfillment_stock import book
from server.sales.orders import ZERO, choice
from server.sales.payment_models import PaymentKind, PaymentMethod
from server.sales.return_models import ReturnsLocation, SalesReturn, SalesReturnLine
from server.sales.returns import (
    INSPECT,
    RETURN,
    move_lots,
    refuse_other_types,
    require_id,
    sets_returned,
    shipped_from,
)
from server.text import Text, shown

SCRAP_REASON = Text("scrap reason", 255)
NOTE = Text("note", 2000, multiline=True)


@dataclass(frozen=True)
class InspectedLine:
    """What inspection did with one return line (by position): ``restocked`` to ``location`` (None: the bin it
    shipped from, when that sells), ``scrapped`` for ``reason``; together all of the line."""

    position: int
    restocked: object = ZERO
    location: str | None = None
    scrapped: object = ZERO
    reason: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    method: str
    amount: object | None = None  # None: the value of what came back (at most what was paid)
    note: str | None = None


@dataclass(frozen=True)
class InspectSalesReturn(Command):
    operation = "sales_return.inspect"
    document_id: int
    version: int | None
    lines: tuple[tuple[int, Decimal, str | None, Decimal, str | None], ...]
    refund_method: str | None
    refund_amount: Decimal | None
    refund_note: str | None


def _checked(document_id: object, version: int | None, given: list[InspectedLine], refund: RefundRequest | None
             ) -> InspectSalesReturn:  # fmt: skip
    """The input's shape before the database sees it."""
    return_id = require_id(document_id, "return", "id")
    if not given:
        raise Invalid("Say what became of each line of the return.", field="lines")
    problems: list[DomainError] = []
    lines = []
    seen: set[int] = set()
    for index, line in enumerate(given[:MAX_GIVEN]):
        at = ("lines", index)
        try:
            if not isinstance(line.position, int) or isinstance(line.position, bool) or not 0 < line.position:
                raise NotFound("The return has no such line.", field=(*at, "position"))
            if line.position in seen:
                raise Invalid(f"Line {line.position} is named twice.", field=(*at, "position"))
            seen.add(line.position)
            restocked = quantities.parse(line.restocked, field=(*at, "restocked"), allow_zero=True)
            scrapped = quantities.parse(line.scrapped, field=(*at, "scrapped"), allow_zero=True)
            location = LOCATION_CODE.clean(line.location, (*at, "location")) if (
                line.location is not None and line.location.strip()) else None  # fmt: skip
            reason = SCRAP_REASON.optional(line.reason, (*at, "reason")) if line.reason is not None else None
            if scrapped > 0 and not reason:
                raise Invalid("Say why it is scrapped.", field=(*at, "reason"))
            lines.append((line.position, restocked, location, scrapped, reason or None))
        except DomainError as error:
            problems.append(error)
    if len(given) > MAX_GIVEN:
        problems.append(Invalid(f"A return has at most {MAX_GIVEN} lines.", field="lines"))
    if refund is not None:
        try:
            method = choice(PaymentMethod, refund.method, ("refund", "method")).value  # type: ignore[arg-type]
            amount = None if refund.amount is None else MONEY.parse(refund.amount, field=("refund", "amount"),
                                                                    allow_zero=False)  # fmt: skip
            note = NOTE.optional(refund.note, ("refund", "note")) if refund.note is not None else None
        except DomainError as error:
            problems.append(error)
    if problems:
        raise ManyErrors(problems)
    if refund is None:
        return InspectSalesReturn(return_id, version, tuple(lines), None, None, None)
    return InspectSalesReturn(return_id, version, tuple(lines), method, amount, note)


MAX_GIVEN = 2000


async def inspect_return(
    document_id: int, lines: list[InspectedLine], *, refund: RefundRequest | None = None, version: int | None,
    actor_id: int | None, idempotency_key: str | None,
) -> Document:  # fmt: skip
    """Restock or scrap every line of a received return (done), and refund the customer when asked."""
    if idempotency_key is None:
        raise Invalid("Inspecting a return takes an idempotency key: stock and money must never move twice.",
                      field="idempotencyKey")  # fmt: skip
    key = validate_key(idempotency_key)
    command = _checked(document_id, version, lines, refund)

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)

        async def effect(write: Write, booked: Document, rows: list[DocumentLine]) -> None:
            await _inspect(write, booked, rows, command)

        return await service.transition(write, document, INSPECT, effect)

    return await service.write_document(command, command.document_id, version, run, actor_id=actor_id,
                                        idempotency_key=key)  # fmt: skip


async def _inspect(write: Write, document: Document, rows: list[DocumentLine], command: InspectSalesReturn) -> None:
    conn = write.conn
    header = await SalesReturn.get(id=document.id, using_db=conn)
    lines = {line.id: line for line in await SalesReturnLine.filter(sales_return_id=document.id).using_db(conn)}
    by_position = {row.position: lines[row.id] for row in rows}
    problems: list[DomainError] = []
    named = {position for position, *_ in command.lines}
    for index, (position, restocked, _, scrapped, _) in enumerate(command.lines):
        line = by_position.get(position)
        if line is None:
            problems.append(NotFound(f"The return {document.number} has no line {position}.",
                                     field=("lines", index, "position")))  # fmt: skip
        elif restocked + scrapped != quantities.from_db(line.quantity):
            problems.append(Invalid(
                f"Line {position} brought back {quantities.from_db(line.quantity).normalize():f}: restock and scrap"
                f" all of it ({(restocked + scrapped).normalize():f} given).", field=("lines", index, "restocked"),
            ))  # fmt: skip
    missing = sorted(set(by_position) - named)
    if missing:
        problems.append(Invalid(f"Say what became of every line: lines {', '.join(map(str, missing))} are not named.",
                                field="lines"))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    returns_at = await _returns_locations(conn, {line.warehouse_id for line in lines.values()})  # type: ignore[attr-defined]
    from_bins = await shipped_from(conn, [line.move_id for line in lines.values()])  # type: ignore[attr-defined]
    targets: dict[int, int] = {}
    for index, (position, restocked, location, _, _) in enumerate(command.lines):
        if restocked > 0:
            line = by_position[position]
            try:
                targets[line.id] = await _restock_bin(conn, line, location, from_bins.get(line.move_id),  # type: ignore[attr-defined]
                                                      ("lines", index, "location"))  # fmt: skip
            except DomainError as error:
                problems.append(error)
    if problems:
        raise ManyErrors(problems)
    entries = await _entries(conn, document, command, by_position, returns_at, targets)
    await book(write, entries)
    for position, restocked, _, scrapped, reason in command.lines:
        line = by_position[position]
        line.restocked, line.scrapped, line.scrap_reason = restocked, scrapped, reason
        line.restocked_to_id = targets.get(line.id)  # type: ignore[attr-defined]
        await line.save(using_db=conn, update_fields=["restocked", "scrapped", "scrap_reason", "restocked_to_id"])
    header.inspected_at = now()
    if command.refund_method is not None:
        header.refunded = await _refund(write, document, header, list(lines.values()), command)
    await header.save(using_db=conn, update_fields=["inspected_at", "refunded"])


async def _returns_locations(conn: BaseDBAsyncClient, warehouse_ids: set[int]) -> dict[int, int]:
    rows = await ReturnsLocation.filter(warehouse_id__in=sorted(warehouse_ids)).using_db(conn)
    return {row.warehouse_id: int(row.location_id) for row in rows}  # type: ignore[attr-defined]


async def _restock_bin(
    conn: BaseDBAsyncClient, line: SalesReturnLine, code: str | None, shipped_from_id: int | None, field: object
) -> int:
    """The sellable bin of the line's warehouse it goes back to: the one named, else the one it shipped from."""
    if code is None:
        found = await Location.get_or_none(id=shipped_from_id, using_db=conn) if shipped_from_id else None
        if found is None or not found.sellable or found.kind != LocationKind.INTERNAL:
            raise Invalid("It shipped from a location that does not sell (the output location): say which bin it"
                          " goes back to.", field=field)  # type: ignore[arg-type]  # fmt: skip
        return found.id
    found = await Location.get_or_none(code=code, using_db=conn)
    if found is None:
        raise NotFound(f"There is no location {shown(code)}.", field=field)  # type: ignore[arg-type]
    if found.warehouse_id != line.warehouse_id or found.kind != LocationKind.INTERNAL or not found.sellable:  # type: ignore[attr-defined]
        raise Invalid(f"The location {found.code} is not a bin of the warehouse the goods came back to that sells.",
                      field=field)  # type: ignore[arg-type]  # fmt: skip
    return found.id


async def _entries(
    conn: BaseDBAsyncClient, document: Document, command: InspectSalesReturn, by_position: dict[int, SalesReturnLine],
    returns_at: dict[int, int], targets: dict[int, int],
) -> list[Entry]:  # fmt: skip
    """Per line: the restocked part from the returns location to its bin, the scrapped part to scrap at the cost
    it came back at."""
    lines = list(by_position.values())
    lots = await move_lots(conn, [line.move_id for line in lines])  # type: ignore[attr-defined]
    places = await places_by_ids(conn, {*returns_at.values(), *targets.values()})
    scrap = await virtual(conn, LocationKind.SCRAP)
    entries: list[Entry] = []
    for position, restocked, _, scrapped, _ in command.lines:
        line = by_position[position]
        product, lot = lots[line.move_id]  # type: ignore[attr-defined]
        source = places[returns_at[line.warehouse_id]]  # type: ignore[attr-defined]
        origin = Source(RETURN, document.id, line.id)
        if restocked > 0:
            entries.append(Entry(product, source, places[targets[line.id]], restocked, lot, "move", "restock",
                                 origin))  # fmt: skip
        if scrapped > 0:
            entries.append(Entry(product, source, scrap, scrapped, lot, "issue", "scrap", origin,
                                 unit_cost=Decimal(line.unit_cost)))  # fmt: skip
    return entries


async def _refund(write: Write, document: Document, header: SalesReturn, lines: list[SalesReturnLine],
                  command: InspectSalesReturn) -> Decimal:  # fmt: skip
    """Book the refund on the order (locked here, after the return: the order every return command takes)."""
    conn = write.conn
    order = await Document.select_for_update().using_db(conn).get(id=header.order_id)  # type: ignore[attr-defined]
    places = await currency_places(order.currency)
    step = Decimal(1).scaleb(-places)
    amount = command.refund_amount
    if amount is None:
        value = await returned_value(conn, lines)
        paid = Decimal(str((await sql.fetch_one(conn, "SELECT paid FROM sales_order WHERE id = $1", order.id) or
                            {"paid": 0})["paid"]))  # fmt: skip
        amount = min(value, paid).quantize(step)
        if amount <= 0:
            raise Invalid(f"Nothing was paid for the order {order.number}: there is nothing to refund.",
                          field="refund")  # fmt: skip
    try:
        await payments.book_within(write, order, PaymentKind.REFUND, PaymentMethod(str(command.refund_method)), amount,
                                   reference=document.number or "", note=command.refund_note or "")  # fmt: skip
    except DomainError as error:
        raise error.at(("refund", "amount") if error.field == "amount" else "refund") from None
    return amount


async def returned_value(conn: BaseDBAsyncClient, lines: list[SalesReturnLine]) -> Decimal:
    """What the lines come to at the order's prices: each order line's gross share of what came back (a
    bundle line's by the whole sets its component lines make)."""
    back = await sets_returned(conn, lines)
    order_lines = {row.id: row for row in await DocumentLine.filter(id__in=sorted(back)).using_db(conn)}
    value = ZERO
    for order_line_id, quantity in back.items():
        order_line = order_lines[order_line_id]
        base = Decimal(order_line.base_quantity)
        if base > 0:
            value += Decimal(order_line.gross) * quantity / base
    return value
