"""Customer returns (RMA): shipped goods of an order coming back, received for inspection.

A return is a ``sales.return`` document (numbered RMA when made) for the order's customer::

    authorized → received → done (inspected), and cancelled while authorized

``create_return`` authorizes it: each line names an order line and a quantity, at most what the line
shipped less what other returns (not cancelled) took of it, counted under the order line's row lock, so
two returns of the same line at once never take back more than shipped. Each return line keeps the
shipment move its goods left with (the oldest not yet taken back first): their lot, warehouse and cost of
goods. ``receive_return`` books them customer → the warehouse's returns location (quality control, not
sellable; made on first use) at that cost, so the ledger takes them back at what they went out at, raises
the order lines' ``returned`` and settles the order (partly returned, returned).
``server.sales.return_inspection`` restocks or scraps them and may refund the customer.

Bundles (sold as their components) are not taken back yet: their lines are refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.codes import CodeOwner, claim
from server.commands import Command, Write
from server.documents import service
from server.documents.kinds import CANCELLED, DONE, DocumentKind, Transition, register
from server.documents.lines import MAX_LINES, LineInput
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, ErrorCode, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.lookups import LotRef, Product, places_by_ids, products_by_ids, virtual
from server.inventory.models import Location, LocationKind, LocationUsage, Warehouse
from server.inventory.posting import Entry, Source
from server.paging import MAX_ID
from server.partners.models import Party, PartyRole
from server.purchasing.orders import price_per_unit, write_new_document
from server.sales.allocation import components_of
from server.sales.fulfillment_kinds import SHIPMENT
from server.sales.fulfillment_stock import book
from server.sales.orders import ORDER, ZERO, lock_lines, settle
from server.sales.picking import lots_by_ids
from server.sales.return_models import ReturnsLocation, SalesReturn, SalesReturnLine
from server.text import Text

RETURN = "sales.return"
AUTHORIZED, RECEIVED = "authorized", "received"
RECEIVE, INSPECT, CANCEL = "receive", "inspect", "cancel"
REASON = Text("reason", 1000, multiline=True)
_CANDIDATES = 5  # codes tried for a returns location before giving up

RETURN_KIND = register(DocumentKind(
    type=RETURN, title="Customer return", prefix="RMA", party_role=PartyRole.CUSTOMER, party_required=True,
    made_by="createSalesReturn", numbered_when_made=True, initial=AUTHORIZED, editable=frozenset(),
    transitions=(
        Transition(RECEIVE, frozenset({AUTHORIZED}), RECEIVED),
        Transition(INSPECT, frozenset({RECEIVED}), DONE),
        Transition(CANCEL, frozenset({AUTHORIZED}), CANCELLED),  # nothing was booked yet
    ),
    own_actions=frozenset({RECEIVE, INSPECT}),
))  # fmt: skip


class OverReturn(DomainError):
    code = ErrorCode.OVER_RETURN


@dataclass(frozen=True)
class ReturnLineInput:
    """What comes back of one order line: ``quantity`` in the product's base unit."""

    position: int  # the order line's position
    quantity: object


@dataclass(frozen=True)
class CreateSalesReturn(Command):
    operation = "sales_return.create"
    order_id: int
    reason: str
    lines: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class ReceiveSalesReturn(Command):
    operation = "sales_return.receive"
    document_id: int
    version: int | None


@dataclass(frozen=True)
class ShippedMove:
    """A move that shipped goods of an order line to the customer."""

    id: int
    order_line_id: int
    product_id: int
    quantity: Decimal
    unit_cost: Decimal
    warehouse_id: int


@dataclass
class _Planned:
    index: int
    order_line: DocumentLine
    move: ShippedMove
    quantity: Decimal


def require_id(value: object, what: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise NotFound(f"There is no such {what}.", field=field)
    return value


def _checked(order_id: object, reason: object, given: list[ReturnLineInput]) -> CreateSalesReturn:
    """The input's shape before the database sees it."""
    order = require_id(order_id, "sales order", "order")
    text = REASON.clean(reason, "reason")
    if not given:
        raise Invalid("Say what comes back: give at least one line.", field="lines")
    if len(given) > MAX_LINES:
        raise Invalid(f"A return has at most {MAX_LINES} lines.", field="lines")
    problems: list[DomainError] = []
    lines: list[tuple[int, Decimal]] = []
    for index, line in enumerate(given):
        try:
            position = line.position
            if not isinstance(position, int) or isinstance(position, bool) or not 0 < position <= MAX_LINES:
                raise NotFound("The order has no such line.", field=("lines", index, "position"))
            lines.append((position, quantities.parse(line.quantity, field=("lines", index, "quantity"))))
        except DomainError as error:
            problems.append(error)
    if problems:
        raise ManyErrors(problems)
    return CreateSalesReturn(order, text, tuple(lines))


async def create_return(
    order_id: int, reason: str, lines: list[ReturnLineInput], *, actor_id: int | None, idempotency_key: str | None
) -> Document:
    """Authorize a return of shipped goods of an order: each line at most what its order line shipped less what
    other returns take back of it. A retry with the key answers the same return."""
    if idempotency_key is None:
        raise Invalid("A return takes an idempotency key: goods must never come back twice.", field="idempotencyKey")
    command = _checked(order_id, reason, lines)

    async def run(write: Write) -> Document:
        return await _create(write, command)

    return await write_new_document(command, run, actor_id, idempotency_key)


async def _create(write: Write, command: CreateSalesReturn) -> Document:
    conn = write.conn
    order = await Document.select_for_update().using_db(conn).get_or_none(id=command.order_id, type=ORDER)
    if order is None:
        raise NotFound("There is no such sales order.", field="order")
    order_lines = await _order_lines(conn, order, command.lines)
    await _refuse_bundles(conn, order_lines, command.lines)
    progress = await lock_lines(conn, order.id, [line.id for line in order_lines.values()])
    moves = await shipped_moves(conn, [line.id for line in order_lines.values()])
    claimed = await _claimed(conn, [line.id for line in order_lines.values()])
    planned: list[_Planned] = []
    problems: list[DomainError] = []
    taking: dict[int, Decimal] = defaultdict(Decimal)  # by move: what this return takes of it
    for index, (position, quantity) in enumerate(command.lines):
        line = order_lines[position]
        shipped = quantities.from_db(progress[line.id].shipped)
        left = shipped - sum((claimed[m.id] + taking[m.id] for m in moves[line.id]), ZERO)
        at = ("lines", index, "quantity")
        if shipped <= 0:
            problems.append(OverReturn(f"Line {position} of the order {order.number} was never shipped: nothing of"
                                       " it can come back.", field=at))  # fmt: skip
            continue
        if quantity > left:
            problems.append(OverReturn(
                f"Line {position} of the order {order.number} shipped {shipped.normalize():f} and"
                f" {max(left, ZERO).normalize():f} of it may come back: {quantity.normalize():f} is too many.",
                field=at,
            ))  # fmt: skip
            continue
        wanted = quantity
        for move in moves[line.id]:  # the oldest shipment first
            free = move.quantity - claimed[move.id] - taking[move.id]
            part = min(free, wanted)
            if part <= 0:
                continue
            taking[move.id] += part
            planned.append(_Planned(index, line, move, part))
            wanted -= part
            if wanted == 0:
                break
        if wanted > 0:  # the line says shipped, its moves do not: a bug, not the user's doing
            raise RuntimeError(f"The shipment moves of order line {line.id} do not add up to what it shipped")
    if problems:
        raise ManyErrors(problems)
    return await _write(write, order, command.reason, planned)


async def _order_lines(
    conn: BaseDBAsyncClient, order: Document, given: tuple[tuple[int, Decimal], ...]
) -> dict[int, DocumentLine]:
    positions = sorted({position for position, _ in given})
    rows = await DocumentLine.filter(document_id=order.id, position__in=positions).using_db(conn)\
        .select_related("product")  # fmt: skip
    found = {row.position: row for row in rows}
    missing = [NotFound(f"The order {order.number} has no line {position}.", field=("lines", i, "position"))
               for i, (position, _) in enumerate(given) if position not in found]  # fmt: skip
    if missing:
        raise ManyErrors(missing)  # type: ignore[arg-type]
    return found


async def _refuse_bundles(
    conn: BaseDBAsyncClient, lines: dict[int, DocumentLine], given: tuple[tuple[int, Decimal], ...]
) -> None:
    parts = await components_of(conn, [line.product_id for line in lines.values()])  # type: ignore[attr-defined]
    bundles = [Invalid(f"Line {position} is a bundle: a return of bundles is not taken yet, return its components"
                       " by hand.", field=("lines", i, "position"))
               for i, (position, _) in enumerate(given)
               if parts[lines[position].product_id] != [(lines[position].product_id, Decimal(1))]]  # type: ignore[attr-defined]  # fmt: skip
    if bundles:
        raise ManyErrors(bundles)  # type: ignore[arg-type]


async def shipped_moves(conn: BaseDBAsyncClient, order_line_ids: list[int]) -> dict[int, list[ShippedMove]]:
    """Per order line, the moves that shipped it to the customer, oldest first."""
    found: dict[int, list[ShippedMove]] = {i: [] for i in order_line_ids}
    customer = await virtual(conn, LocationKind.CUSTOMER)
    for chunk in sql.chunks(sorted(set(order_line_ids))):
        rows = await sql.fetch(
            conn,
            "SELECT m.id, a.line_id, m.product_id, m.quantity, m.unit_cost, f.warehouse_id FROM stock_move m"
            " JOIN sales_shipment_line s ON s.id = m.document_line_id JOIN sales_allocation a ON a.id = s.allocation_id"
            " JOIN location f ON f.id = m.from_location_id"
            " WHERE m.document_type = $1 AND m.to_location_id = $2"
            f" AND a.line_id IN ({sql.placeholders(3, len(chunk))})"
            " ORDER BY m.id",
            SHIPMENT, customer.id, *chunk,
        )  # fmt: skip
        for r in rows:
            found[int(r["line_id"])].append(ShippedMove(
                int(r["id"]), int(r["line_id"]), int(r["product_id"]), quantities.from_db(r["quantity"]),
                quantities.from_db(r["unit_cost"] or 0), int(r["warehouse_id"]),
            ))  # fmt: skip
    return found


async def _claimed(conn: BaseDBAsyncClient, order_line_ids: list[int]) -> dict[int, Decimal]:
    """By shipment move, what returns that are not cancelled take back of it (read under the lines' locks)."""
    taken: dict[int, Decimal] = defaultdict(Decimal)
    rows = await sql.fetch(
        conn,
        "SELECT r.move_id, r.quantity FROM sales_return_line r JOIN document d ON d.id = r.sales_return_id"
        f" WHERE d.state <> $1 AND r.order_line_id IN ({sql.placeholders(2, len(order_line_ids))})",
        CANCELLED, *order_line_ids,
    )  # fmt: skip
    for r in rows:
        taken[int(r["move_id"])] += quantities.from_db(r["quantity"])
    return taken


async def _write(write: Write, order: Document, reason: str, planned: list[_Planned]) -> Document:
    conn = write.conn
    customer = await Party.get(id=order.party_id).using_db(conn)  # type: ignore[attr-defined]
    lines = [LineInput(p.order_line.product.sku, p.quantity, p.order_line.product.unit,
                       price_per_unit(p.order_line, p.quantity, p.quantity), p.order_line.discount_percent)
             for p in planned]  # fmt: skip
    header = service.Header(party=customer.code, currency=order.currency, notes=reason,
                            prices_include_tax=order.prices_include_tax)  # fmt: skip
    document = await service.create_within(write, RETURN, order.store_id, lines, header=header)  # type: ignore[attr-defined]
    made = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position")
    await SalesReturn.create(id=document.id, order_id=order.id, using_db=conn)
    await SalesReturnLine.bulk_create([
        SalesReturnLine(id=m.id, sales_return_id=document.id, order_line_id=p.order_line.id, move_id=p.move.id,
                        warehouse_id=p.move.warehouse_id, quantity=p.quantity, unit_cost=p.move.unit_cost)
        for m, p in zip(made, planned, strict=True)
    ], using_db=conn)  # fmt: skip
    return document


# ---- receiving ----


async def receive_return(
    document_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None
) -> Document:
    """The goods of an authorized return are back: booked from the customer into each warehouse's returns
    location at the cost they shipped at; the order lines' returned and the order's fulfillment follow."""
    if idempotency_key is None:
        raise Invalid("Receiving a return takes an idempotency key: goods must never come back twice.",
                      field="idempotencyKey")  # fmt: skip
    command = ReceiveSalesReturn(require_id(document_id, "return", "id"), version)

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        return await service.transition(write, document, RECEIVE, _receive)

    return await service.write_document(command, command.document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


def refuse_other_types(document: Document) -> None:
    if document.type != RETURN:
        raise Invalid("This document is not a customer return.", field="id")


async def _receive(write: Write, document: Document, _: list[DocumentLine]) -> None:
    conn = write.conn
    header = await SalesReturn.get(id=document.id, using_db=conn)
    order = await Document.select_for_update().using_db(conn).get(id=header.order_id)  # type: ignore[attr-defined]
    lines = await SalesReturnLine.filter(sales_return_id=document.id).using_db(conn).order_by("id")
    progress = await lock_lines(conn, order.id, [line.order_line_id for line in lines])  # type: ignore[attr-defined]
    returns_at = {w: await returns_location_within(conn, w) for w in sorted({ln.warehouse_id for ln in lines})}  # type: ignore[attr-defined]
    entries = await _entries(conn, document, lines, lambda line: returns_at[line.warehouse_id])  # type: ignore[attr-defined]
    await book(write, entries)
    for line in lines:
        row = progress[line.order_line_id]  # type: ignore[attr-defined]
        row.returned = quantities.from_db(row.returned) + quantities.from_db(line.quantity)
    for row in progress.values():
        await row.save(using_db=conn, update_fields=["returned"])
    await settle(write, order)
    header.received_at = now()
    await header.save(using_db=conn, update_fields=["received_at"])


async def _entries(conn: BaseDBAsyncClient, document: Document, lines: list[SalesReturnLine], place_of: Any
                   ) -> list[Entry]:  # fmt: skip
    """Each line from the customer to its returns location, in its shipment move's lot, at its cost of goods."""
    lots = await move_lots(conn, [line.move_id for line in lines])  # type: ignore[attr-defined]
    places = await places_by_ids(conn, {place_of(line) for line in lines})
    customer = await virtual(conn, LocationKind.CUSTOMER)
    entries = []
    for line in lines:
        product, lot = lots[line.move_id]  # type: ignore[attr-defined]
        entries.append(Entry(product, customer, places[place_of(line)], quantities.from_db(line.quantity), lot,
                             "receive", "customer_return", Source(RETURN, document.id, line.id),
                             unit_cost=Decimal(line.unit_cost)))  # fmt: skip
    return entries


async def move_lots(conn: BaseDBAsyncClient, move_ids: list[int]) -> dict[int, tuple[Product, LotRef | None]]:
    """By shipment move, its product (as postings need it) and lot."""
    moves = await sql.fetch(
        conn, f"SELECT id, product_id, lot_id FROM stock_move WHERE id IN ({sql.placeholders(1, len(move_ids))})",
        *move_ids,
    )  # fmt: skip
    products = await products_by_ids(conn, {int(r["product_id"]) for r in moves})
    lots = await lots_by_ids(conn, [int(r["lot_id"]) for r in moves if r["lot_id"] is not None])
    return {int(r["id"]): (products[int(r["product_id"])], lots.get(int(r["lot_id"])) if r["lot_id"] is not None
                           else None) for r in moves}  # fmt: skip


async def shipped_from(conn: BaseDBAsyncClient, move_ids: list[int]) -> dict[int, int]:
    """By shipment move, the location it left."""
    rows = await sql.fetch(
        conn, f"SELECT id, from_location_id FROM stock_move WHERE id IN ({sql.placeholders(1, len(move_ids))})",
        *move_ids,
    )  # fmt: skip
    return {int(r["id"]): int(r["from_location_id"]) for r in rows}


async def returns_location_within(conn: BaseDBAsyncClient, warehouse_id: int) -> int:
    """The warehouse's returns location, made on first use under its row's lock (``<warehouse>-RETURNS``)."""
    await sql.execute(
        conn, "INSERT INTO sales_returns_location (warehouse_id) VALUES ($1) ON CONFLICT (warehouse_id) DO NOTHING",
        warehouse_id,
    )  # fmt: skip
    row = await ReturnsLocation.select_for_update().using_db(conn).get(warehouse_id=warehouse_id)
    if row.location_id is not None:  # type: ignore[attr-defined]
        return int(row.location_id)  # type: ignore[attr-defined]
    warehouse = await Warehouse.get(id=warehouse_id, using_db=conn)
    root = await Location.get(code=warehouse.code, using_db=conn)
    for attempt in range(_CANDIDATES):
        code = f"{warehouse.code}-RETURNS" + (f"-{attempt + 1}" if attempt else "")
        if await Location.filter(code=code).using_db(conn).exists():
            continue
        try:
            await claim(conn, code, CodeOwner.LOCATION, field="id")
        except DomainError:
            continue
        location = await Location.create(
            code=code, name=f"Returns of {warehouse.name}"[:255], kind=LocationKind.INTERNAL, warehouse=warehouse,
            parent=root, sellable=False, usage=LocationUsage.QUALITY_CONTROL, using_db=conn,
        )  # fmt: skip
        location.path = f"{root.path}{location.id}/"
        await location.save(update_fields=["path"], using_db=conn)
        row.location_id = location.id  # type: ignore[attr-defined]
        await row.save(using_db=conn, update_fields=["location_id"])
        return location.id
    raise Invalid(f"No code is free for the returns location of {warehouse.code}.", field="id")
