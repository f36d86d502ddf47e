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

A bundle line (sold and shipped as its components) comes back in whole sets: its return line becomes one
return line per component (sets x the component's quantity per bundle) tied to that component's shipment
moves, so receiving and inspection treat them as any line. The order line's ``returned`` counts the whole
sets they make, as its ``shipped`` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import Product as CatalogProduct
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
from server.purchasing.orders import PRICE_STEP, price_per_unit, write_new_document
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
    product: CatalogProduct  # the order line's, or a bundle's component
    price: Decimal  # per base unit of ``product``


def is_bundle(line: DocumentLine, parts: list[tuple[int, Decimal]]) -> bool:
    return parts != [(line.product_id, Decimal(1))]  # type: ignore[attr-defined]


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
    parts = await components_of(conn, [line.product_id for line in order_lines.values()])  # type: ignore[attr-defined]
    products = await _products(conn, parts, order_lines)
    progress = await lock_lines(conn, order.id, [line.id for line in order_lines.values()])
    moves = await shipped_moves(conn, [line.id for line in order_lines.values()])
    claimed = await _claimed(conn, [line.id for line in order_lines.values()])
    planned: list[_Planned] = []
    problems: list[DomainError] = []
    taking: dict[int, Decimal] = defaultdict(Decimal)  # by move: what this return takes of it
    for index, (position, quantity) in enumerate(command.lines):
        line = order_lines[position]
        per_set = parts[line.product_id]  # type: ignore[attr-defined]
        bundle = is_bundle(line, per_set)
        shipped = quantities.from_db(progress[line.id].shipped)  # a bundle: whole sets
        # A bundle line's returns take whole sets of every component: the most any component's say is taken.
        left = shipped - max(sum((claimed[m.id] + taking[m.id] for m in moves[line.id] if m.product_id == product),
                                 ZERO) / per for product, per in per_set)  # fmt: skip
        at = ("lines", index, "quantity")
        if bundle and quantity != quantity.to_integral_value():
            problems.append(Invalid(f"Line {position} is a bundle: it comes back in whole sets.", field=at))
            continue
        went, makes = {m.product_id for m in moves[line.id]}, {product for product, _ in per_set}
        if bundle and (went - makes or (shipped > 0 and makes - went)):
            problems.append(Invalid(f"Line {position} is a bundle whose components changed since it shipped: return"
                                    " them by hand.", field=at))  # fmt: skip
            continue
        if shipped <= 0:
            problems.append(OverReturn(f"Line {position} of the order {order.number} was never shipped: nothing of"
                                       " it can come back.", field=at))  # fmt: skip
            continue
        if quantity > left:
            noun = " sets" if bundle else ""
            problems.append(OverReturn(
                f"Line {position} of the order {order.number} shipped {shipped.normalize():f}{noun} and"
                f" {max(left, ZERO).normalize():f} of it may come back: {quantity.normalize():f} is too many.",
                field=at,
            ))  # fmt: skip
            continue
        # The set's price per base unit, shared evenly by the units of its components.
        price = (price_per_unit(line, quantity, quantity) / sum((per for _, per in per_set), ZERO)).quantize(
            PRICE_STEP, rounding=ROUND_HALF_UP)  # fmt: skip
        for product, per in per_set:
            wanted = quantity * per
            for move in moves[line.id]:  # the oldest shipment first
                if move.product_id != product:
                    continue
                free = move.quantity - claimed[move.id] - taking[move.id]
                part = min(free, wanted)
                if part <= 0:
                    continue
                taking[move.id] += part
                planned.append(_Planned(index, line, move, part, products[product], price))
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


async def _products(
    conn: BaseDBAsyncClient, parts: dict[int, list[tuple[int, Decimal]]], lines: dict[int, DocumentLine]
) -> dict[int, CatalogProduct]:
    """By id, the products that come back: the order lines', and their bundles' components."""
    found = {line.product_id: line.product for line in lines.values()}  # type: ignore[attr-defined]
    more = sorted({product for each in parts.values() for product, _ in each} - set(found))
    for row in await CatalogProduct.filter(id__in=more).using_db(conn) if more else []:
        found[row.id] = row
    return found


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
    lines = [LineInput(p.product.sku, p.quantity, p.product.unit, p.price, p.order_line.discount_percent)
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
    for order_line_id, back in (await sets_returned(conn, lines)).items():
        row = progress[order_line_id]
        row.returned = quantities.from_db(row.returned) + back
    for row in progress.values():
        await row.save(using_db=conn, update_fields=["returned"])
    await settle(write, order)
    header.received_at = now()
    await header.save(using_db=conn, update_fields=["received_at"])


async def sets_returned(conn: BaseDBAsyncClient, lines: list[SalesReturnLine]) -> dict[int, Decimal]:
    """By order line, what the return lines take back of it: a bundle line the least whole sets its components'
    quantities make (as its shipped is counted), any other line their sum."""
    order_lines = {row.id: row for row in await DocumentLine.filter(
        id__in=sorted({line.order_line_id for line in lines})).using_db(conn)}  # type: ignore[attr-defined]  # fmt: skip
    parts = await components_of(conn, [row.product_id for row in order_lines.values()])  # type: ignore[attr-defined]
    products = await move_products(conn, [line.move_id for line in lines])  # type: ignore[attr-defined]
    back: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for line in lines:
        back[(line.order_line_id, products[line.move_id])] += quantities.from_db(line.quantity)  # type: ignore[attr-defined]
    found: dict[int, Decimal] = {}
    for row in order_lines.values():
        per_set = parts[row.product_id]  # type: ignore[attr-defined]
        found[row.id] = min(back[(row.id, product)] / per for product, per in per_set)
        if is_bundle(row, per_set):
            found[row.id] = found[row.id].to_integral_value(rounding=ROUND_FLOOR)
    return found


async def move_products(conn: BaseDBAsyncClient, move_ids: list[int]) -> dict[int, int]:
    """By stock move, its product."""
    found: dict[int, int] = {}
    for chunk in sql.chunks(sorted(set(move_ids))):
        rows = await sql.fetch(
            conn, f"SELECT id, product_id FROM stock_move WHERE id IN ({sql.placeholders(1, len(chunk))})", *chunk
        )  # fmt: skip
        found.update({int(r["id"]): int(r["product_id"]) for r in rows})
    return found


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
