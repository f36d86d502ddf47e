"""Purchase orders: their document types, making one, sending it, and closing what will not come.

An order is a ``purchase.order`` document on the kernel (lines, prices from the supplier's prices,
taxes, totals, approval on confirm, PDF) with a ``purchase_order`` row for what only an order has.
Its states::

    draft → confirmed → sent → partially_received → received → closed, and cancelled

Confirming is the kernel's (the store's approval rule applies); sending mails the PDF and remembers
the revision the supplier got; receiving (``server.purchasing.receiving``) moves it on as goods
arrive; closing closes short what is still due. Each receipt is a ``purchase.receipt`` document,
booked as it is made, its lines linked to the order lines they fill.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents import output, service
from server.documents.kinds import (
    CANCELLED,
    CONFIRMED,
    DONE,
    DRAFT,
    DocumentKind,
    IllegalTransition,
    Transition,
    register,
)
from server.documents.lines import CheckedLine, LineInput, check_lines
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.models import LOCATION_CODE, WAREHOUSE_CODE, Location, Warehouse
from server.jobs.queue import JobQueue
from server.partners.models import PartyRole, StoreWarehouse
from server.partners.service import require_party, require_store
from server.purchasing.models import PurchaseLine, PurchaseOrder
from server.text import Text, shown

ORDER, RECEIPT = "purchase.order", "purchase.receipt"
SENT, PARTIAL, RECEIVED, CLOSED = "sent", "partially_received", "received", "closed"
SEND, RECEIVE, COMPLETE, CLOSE, BOOK, AMEND = "send", "receive", "complete", "close", "book", "amend"
RECEIVABLE = frozenset({CONFIRMED, SENT, PARTIAL, RECEIVED})  # a receipt may come (over-receipt within tolerance)
OPEN = frozenset({CONFIRMED, SENT, PARTIAL})  # what is still due will come
SUPPLIER_REFERENCE = Text("supplier reference", 64)
ZERO = Decimal(0)
PRICE_STEP = Decimal("0.0001")  # a line's price is kept to 4 places


async def _refuse_undoing_what_others_hold(write: Write, document: Document, action: str) -> None:
    """An order that a receipt or a bill (not cancelled) points at is not reopened (its lines would be
    rewritten under them) or cancelled (what came, or was billed, stays on it): close it instead."""
    if action not in ("reopen", "cancel") or document.type != ORDER:
        return
    held = await sql.fetch_one(
        write.conn,
        "SELECT d.number, d.type FROM document_line_link k JOIN document_line ol ON ol.id = k.source_id"
        " JOIN document_line x ON x.id = k.line_id JOIN document d ON d.id = x.document_id"
        " WHERE ol.document_id = $1 AND d.state <> $2 AND d.type <> $3 LIMIT 1",
        document.id, CANCELLED, ORDER,
    )  # fmt: skip
    if held is not None:
        raise IllegalTransition(
            f"{held['number'] or 'A ' + str(held['type'])} points at this order's lines: it is not"
            f" {'reopened' if action == 'reopen' else 'cancelled'} (close it: what is still due is closed short).",
            field="action",
        )  # fmt: skip


ORDER_KIND = register(DocumentKind(
    type=ORDER, title="Purchase order", prefix="PO", party_role=PartyRole.SUPPLIER, party_required=True,
    purchase=True, made_by="createPurchaseOrder", numbered_when_made=True, guard=_refuse_undoing_what_others_hold,
    transitions=(
        Transition("confirm", frozenset({DRAFT}), CONFIRMED),
        Transition("reopen", frozenset({CONFIRMED}), DRAFT),
        Transition(SEND, frozenset({CONFIRMED, SENT}), SENT),
        Transition(SEND, frozenset({PARTIAL}), PARTIAL),  # an amended order goes out again
        Transition(SEND, frozenset({RECEIVED}), RECEIVED),
        Transition(RECEIVE, RECEIVABLE, PARTIAL),
        Transition(COMPLETE, frozenset({PARTIAL}), RECEIVED),
        Transition(CLOSE, frozenset({PARTIAL, RECEIVED}), CLOSED),
        Transition(AMEND, frozenset({CONFIRMED, SENT}), CONFIRMED),  # an amended order is sent again
        Transition(AMEND, frozenset({PARTIAL}), PARTIAL),
        Transition(AMEND, frozenset({RECEIVED}), RECEIVED),
        Transition("cancel", frozenset({DRAFT, CONFIRMED, SENT}), CANCELLED),
    ),
    own_actions=frozenset({SEND, RECEIVE, COMPLETE, CLOSE, AMEND}),
))  # fmt: skip

RECEIPT_KIND = register(DocumentKind(
    type=RECEIPT, title="Goods receipt", prefix="GR", party_role=PartyRole.SUPPLIER, party_required=True,
    purchase=True, made_by="receivePurchaseOrder", lines_need_location=True, editable=frozenset(),
    transitions=(Transition(BOOK, frozenset({DRAFT}), DONE),), own_actions=frozenset({BOOK}),
))  # fmt: skip


@dataclass(frozen=True)
class OrderHeader:
    """What a caller sends for a new order beside its lines."""

    supplier: str
    store: str
    warehouse: str
    expected_on: date | None = None  # None: today plus the supplier's lead time
    currency: str | None = None  # None: the supplier's, else the store's
    receive_into: str | None = None  # a bin or dock of the warehouse (None: the putaway suggestion)
    supplier_reference: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class CreatePurchaseOrder(Command):
    operation = "purchase_order.create"
    supplier: str
    store: str
    warehouse: str
    expected_on: date | None
    currency: str | None
    receive_into: str | None
    supplier_reference: str
    notes: str | None
    lines: tuple[CheckedLine, ...]


@dataclass(frozen=True)
class SendPurchaseOrder(Command):
    operation = "purchase_order.send"
    document_id: int
    version: int | None
    to: tuple[str, ...]
    subject: str | None
    message: str


@dataclass(frozen=True)
class ClosePurchaseOrder(Command):
    operation = "purchase_order.close"
    document_id: int
    version: int | None


@dataclass(frozen=True)
class CancelRemaining(Command):
    operation = "purchase_order.cancel_remaining"
    document_id: int
    version: int | None
    positions: tuple[int, ...]


async def create_order(
    header: OrderHeader, lines: list[LineInput], *, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """A draft purchase order for a supplier, into one warehouse; lines priced from the supplier's prices
    unless a price is given."""
    conn = connection()
    supplier = await require_party(conn, header.supplier, field="supplier", role=PartyRole.SUPPLIER)
    store = await require_store(conn, header.store, field="store")
    warehouse = await warehouse_of(conn, header.warehouse)
    if not await StoreWarehouse.filter(store_id=store.id, warehouse_id=warehouse.id).using_db(conn).exists():
        raise Invalid(f"The store {store.code} does not buy into the warehouse {warehouse.code}: link them first.",
                      field="warehouse")  # fmt: skip
    dock = await bin_of(conn, warehouse, header.receive_into, "receiveInto") if header.receive_into else None
    checked, _, _ = await check_lines(conn, ORDER_KIND, lines)
    for index, line in enumerate(checked):
        if line.location is not None:
            await bin_of(conn, warehouse, line.location, ("lines", index, "location"))
    reference = (SUPPLIER_REFERENCE.optional(header.supplier_reference, "supplierReference") or ""
                 if header.supplier_reference is not None else "")  # fmt: skip
    currency = header.currency or supplier.currency
    expected_on = header.expected_on or today() + timedelta(days=supplier.lead_time_days)
    command = CreatePurchaseOrder(supplier.code, store.code, warehouse.code, header.expected_on, currency,
                                  dock.code if dock else None, reference, header.notes, tuple(checked))  # fmt: skip

    async def run(write: Write) -> Document:
        return await new_order_within(
            write, supplier.code, store.id, warehouse.id, lines, expected_on=expected_on, currency=currency,
            notes=header.notes, receive_into_id=dock.id if dock else None, supplier_reference=reference,
        )  # fmt: skip

    return await write_new_document(command, run, actor_id, idempotency_key)


async def new_order_within(
    write: Write, supplier: str, store_id: int, warehouse_id: int, lines: list[LineInput], *, expected_on: date,
    currency: str | None, notes: str | None = None, receive_into_id: int | None = None, supplier_reference: str = "",
) -> Document:  # fmt: skip
    """A draft order's document and its ``purchase_order`` row, inside a command that checked what it names
    (``create_order``, or the planning job under its lock)."""
    document = await service.create_within(
        write, ORDER, store_id, lines, header=service.Header(party=supplier, currency=currency, notes=notes)
    )
    await PurchaseOrder.create(
        id=document.id, warehouse_id=warehouse_id, receive_into_id=receive_into_id, expected_on=expected_on,
        supplier_reference=supplier_reference, using_db=write.conn,
    )  # fmt: skip
    return document


async def send_order(
    document_id: int, to: list[str] | None, subject: str | None, message: str | None, *, version: int | None,
    queue: JobQueue | None, actor_id: int | None, idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Mail a confirmed order's PDF to the supplier (its contacts, or ``to``) and mark it sent: the
    revision it carries is the one the supplier has."""
    given_subject = output.SUBJECT.optional(subject, "subject") if subject is not None else None
    text = (output.MESSAGE.optional(message, "message") or "") if message is not None else ""
    command = SendPurchaseOrder(document_id, version, tuple(to or ()), given_subject, text)

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        order = await PurchaseOrder.get(id=document.id, using_db=write.conn)
        document = await service.transition(write, document, SEND, None)
        await output.mail_within(write, document, command.to, given_subject, text, queue=queue)
        order.sent_revision = order.revision
        await order.save(using_db=write.conn, update_fields=["sent_revision"])
        return document

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def close_order(
    document_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Close an order: what is still due of each line is cancelled (closed short) and no receipt comes after."""

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        await _cancel_due(write.conn, document.id, None)
        return await service.transition(write, document, CLOSE, None)

    return await service.write_document(ClosePurchaseOrder(document_id, version), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def cancel_remaining(
    document_id: int, positions: list[int], *, version: int | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Cancel what is still due of these lines of an open order: they will not come. An order left with
    nothing due is received (when something came) or cancelled (when nothing did)."""
    if not positions:
        raise Invalid("Name the lines whose remainder is cancelled.", field="positions")
    if len(positions) > 2000 or len(set(positions)) != len(positions):
        raise Invalid("Name each line once, at most 2000.", field="positions")
    command = CancelRemaining(document_id, version, tuple(sorted(positions)))

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        if document.state not in OPEN:
            raise IllegalTransition(f"A {document.state} purchase order has nothing due to cancel.", field="id")
        await _cancel_due(write.conn, document.id, command.positions)
        return await settle(write, document)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


@dataclass(frozen=True)
class AmendPurchaseOrder(Command):
    operation = "purchase_order.amend"
    document_id: int
    version: int
    expected_on: date | None
    positions: tuple[int | None, ...]
    lines: tuple[CheckedLine, ...]


AMENDABLE = frozenset({CONFIRMED, SENT, PARTIAL, RECEIVED})


async def amend_order(
    document_id: int, lines: list[service.Amended], *, version: int, expected_on: date | None = None,
    can_approve: bool, actor_id: int | None, idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Amend a confirmed order: ``lines`` is the whole new list, each naming the ``position`` of the line it
    changes (None: a new line; a line left out is removed). A line keeps its product and never drops below
    what it received; a line that received, returned or billed anything stays. The revision goes up, the
    approval rule applies again, and a sent order must be sent again."""
    positions = service.amended_positions(lines, instead="cancel or close it")
    checked, _, _ = await check_lines(connection(), ORDER_KIND, [a.line for a in lines])
    command = AmendPurchaseOrder(document_id, version, expected_on, positions, tuple(checked))

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        if document.state not in AMENDABLE:
            raise IllegalTransition(f"A {document.state} purchase order is not amended"
                                    + (": edit the draft instead." if document.state == DRAFT else "."),
                                    field="id")  # fmt: skip
        conn = write.conn
        order = await PurchaseOrder.get(id=document.id, using_db=conn).select_related("warehouse")
        existing = {line.position: line for line in await DocumentLine.filter(document_id=document.id)
                    .using_db(conn).select_related("product")}  # fmt: skip
        progress = await lock_progress(conn, document.id, [line.id for line in existing.values()])
        await _refuse_amendments(conn, order, existing, progress, positions, checked)
        kept = [_keeping_terms(a, c, existing) for a, c in zip(lines, checked, strict=True)]
        amended = await service.amend_within(write, document, kept)
        for line in amended.values():
            row = progress.get(line.id)
            if row is not None:  # what was closed short stays closed only as far as the new quantity goes
                room = max(quantities.from_db(line.base_quantity) - net_received(row), ZERO)
                row.cancelled = min(value_of(row, "cancelled"), room)
                await row.save(using_db=conn, update_fields=["cancelled"])
        order.revision += 1
        if expected_on is not None:
            order.expected_on = expected_on
        await order.save(using_db=conn, update_fields=["revision", "expected_on"])
        await service.check_approval_within(write, document, can_approve=can_approve)
        document = await service.transition(write, document, AMEND, None)
        return await settle(write, document)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


def _keeping_terms(change: service.Amended, checked: CheckedLine, existing: dict[int, DocumentLine]) -> service.Amended:
    """A line kept at the price and discount agreed with the supplier unless the amendment names new ones: the
    same price per base unit when the amendment counts it in another unit (5 cases at 24.00 are 60 at 2.00)."""
    if change.position is None or change.position not in existing:
        return change
    current, line = existing[change.position], change.line
    price = line.price if line.price is not None else price_per_unit(current, checked.quantity, checked.base_quantity)
    discount = line.discount_percent if line.discount_percent is not None else current.discount_percent
    return service.Amended(change.position, dataclasses.replace(line, price=price, discount_percent=discount))


async def _refuse_amendments(
    conn: BaseDBAsyncClient, order: PurchaseOrder, existing: dict[int, DocumentLine],
    progress: dict[int, PurchaseLine], positions: tuple[int | None, ...], checked: list[CheckedLine],
) -> None:  # fmt: skip
    """Every amendment the order's progress forbids, at its line's path."""
    problems: list[DomainError] = []
    for index, (position, line) in enumerate(zip(positions, checked, strict=True)):
        at = ("lines", index)
        if line.location is not None:
            try:
                await bin_of(conn, order.warehouse, line.location, (*at, "location"))
            except DomainError as error:
                problems.append(error)
        if position is None:
            continue
        current = existing.get(position)
        if current is None:
            problems.append(NotFound(f"The order has no line {position}.", field=(*at, "position")))
            continue
        if current.product.sku != line.sku:
            problems.append(Invalid(f"Line {position} is for {current.product.sku}: remove it and add a new line for"
                                    " another product.", field=(*at, "sku")))  # fmt: skip
            continue
        here, billed = net_received(progress[current.id]), value_of(progress[current.id], "billed")
        floor, what = (here, "received") if here >= billed else (billed, "was billed")
        if line.base_quantity < floor:
            problems.append(Invalid(
                f"Line {position} {what} {floor.normalize():f} {current.product.unit}: it cannot be reduced below"
                " that.", field=(*at, "quantity"),
            ))  # fmt: skip
    kept = {p for p in positions if p is not None}
    for position, current in sorted(existing.items()):
        row = progress[current.id]
        if position not in kept and any(value_of(row, n) > 0 for n in ("received", "billed")):
            problems.append(Invalid(f"Line {position} has received or billed goods: it stays (set its quantity).",
                                    field="lines"))  # fmt: skip
    if problems:
        raise ManyErrors(problems)


async def _cancel_due(conn: BaseDBAsyncClient, document_id: int, positions: tuple[int, ...] | None) -> None:
    lines = await DocumentLine.filter(document_id=document_id).using_db(conn).order_by("position")
    by_position = {line.position: line for line in lines}
    chosen = lines if positions is None else []
    for index, position in enumerate(positions or ()):
        if position not in by_position:
            raise NotFound(f"The order has no line {str(position)[:20]}.", field=("positions", index))
        chosen.append(by_position[position])
    progress = await lock_progress(conn, document_id, [line.id for line in chosen])
    for line in chosen:
        done = progress[line.id]
        due = due_of(quantities.from_db(line.base_quantity), done)
        if due > 0:
            done.cancelled = quantities.from_db(done.cancelled) + due
            await done.save(using_db=conn, update_fields=["cancelled"])


def _numeric(column: str) -> str:
    return f"COALESCE(CAST({column} AS NUMERIC), 0)"


# What of an order line is here, and what is still due (the SQL of net_received and due_of).
_HERE = f"({_numeric('p.received')} - {_numeric('p.returned_refund')} - {_numeric('p.returned_replace')})"
_DUE = (
    f"({_numeric('l.base_quantity')} - {_numeric('p.cancelled')} - {_numeric('p.received')}"
    f" + {_numeric('p.returned_replace')})"
)


async def settle(write: Write, document: Document) -> Document:
    """Move an order to the state its lines' progress says: partly or wholly received, or cancelled when
    nothing is due and nothing came. Called under the order's lock after any change of progress."""
    # Counted in the database: a scan of a 1,000-line order reads two numbers, not 1,000 rows. A quantity has
    # 4 places, so anything above half its step is a real one (SQLite casts decimals to floating point).
    counts = await sql.fetch_one(
        write.conn,
        f"SELECT SUM(CASE WHEN {_DUE} > 0.00005 THEN 1 ELSE 0 END) AS due,"
        f" SUM(CASE WHEN {_HERE} > 0.00005 THEN 1 ELSE 0 END) AS came FROM document_line l"
        " LEFT JOIN purchase_line p ON p.id = l.id WHERE l.document_id = $1",
        document.id,
    )
    assert counts is not None
    came, due = int(counts["came"] or 0), int(counts["due"] or 0)
    if document.state not in RECEIVABLE:  # closed: what went back since (a refund) leaves it closed
        return document
    if came == 0 and document.state in (CONFIRMED, SENT):
        return await service.act_within(write, document.id, "cancel", version=None) if due == 0 else document
    target = RECEIVED if due == 0 else PARTIAL
    if document.state == target:
        return document
    if document.state != PARTIAL:  # confirmed or sent (a first receipt), received (due again)
        document = await service.transition(write, document, RECEIVE, _first_receipt)
    if target == RECEIVED:
        document = await service.transition(write, document, COMPLETE, None)
    return document


def price_per_unit(line: DocumentLine, quantity: Decimal, base_quantity: Decimal) -> Decimal:
    """The line's price for a quantity counted in another unit of its product (``quantity`` of it being
    ``base_quantity`` base units): the same price per base unit, to 4 places. A price per case is not a price
    per piece."""
    price, ordered, ordered_base = Decimal(line.price), Decimal(line.quantity), Decimal(line.base_quantity)
    if quantity * ordered_base == base_quantity * ordered:  # the line's own unit
        return price
    return (price * ordered * base_quantity / (ordered_base * quantity)).quantize(PRICE_STEP, rounding=ROUND_HALF_UP)


def value_of(row: Any, name: str) -> Decimal:
    value = row[name] if isinstance(row, dict) else getattr(row, name)
    return quantities.from_db(value) if value is not None else ZERO


def net_received(row: Any) -> Decimal:
    """What of a line is here: received less what went back (either way)."""
    return value_of(row, "received") - value_of(row, "returned_refund") - value_of(row, "returned_replace")


def counted(row: Any) -> Decimal:
    """What of a line counts as delivered: received less what went back to be replaced (a refunded unit
    was delivered and paid back: it does not come again)."""
    return value_of(row, "received") - value_of(row, "returned_replace")


def due_of(ordered: Decimal, row: Any) -> Decimal:
    """What of a line is still to come (negative: more came than ordered, within the tolerance)."""
    return ordered - value_of(row, "cancelled") - counted(row)


async def lock_progress(conn: BaseDBAsyncClient, document_id: int, line_ids: list[int]) -> dict[int, PurchaseLine]:
    """The progress rows of these lines, made on first use and held FOR UPDATE in id order."""
    ids = sorted(set(line_ids))
    for chunk in sql.chunks(ids):
        await sql.execute(
            conn,
            "INSERT INTO purchase_line (id, order_id, received, returned_refund, returned_replace, cancelled, billed)"
            f" VALUES {', '.join(f'(${2 * i + 1}, ${2 * i + 2}, 0, 0, 0, 0, 0)' for i in range(len(chunk)))}"
            " ON CONFLICT (id) DO NOTHING",
            *[value for line_id in chunk for value in (line_id, document_id)],
        )
    rows: list[PurchaseLine] = []
    for chunk in sql.chunks(ids):
        rows += await PurchaseLine.filter(id__in=chunk).using_db(conn).order_by("id").select_for_update()
    return {row.id: row for row in rows}


def _refuse_other_types(document: Document) -> None:
    if document.type != ORDER:
        raise Invalid("This document is not a purchase order.", field="id")


async def _first_receipt(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    """Receiving books through the receipt document; the order keeps when its goods first came (posted_at)."""


async def warehouse_of(conn: BaseDBAsyncClient, code: str) -> Warehouse:
    key = WAREHOUSE_CODE.key(code)
    found = await Warehouse.get_or_none(code=key, using_db=conn) if key else None
    if found is None:
        raise NotFound(f"There is no warehouse {shown(code)}.", field="warehouse")
    return found


async def bin_of(conn: BaseDBAsyncClient, warehouse: Warehouse, code: str, field: Any) -> Location:
    """A location of the warehouse that holds stock, by code."""
    key = LOCATION_CODE.key(code)
    found = await Location.get_or_none(code=key, using_db=conn) if key else None
    if found is None:
        raise NotFound(f"There is no location {shown(code)}.", field=field)
    if found.warehouse_id != warehouse.id or found.kind != "internal":  # type: ignore[attr-defined]
        raise Invalid(f"The location {found.code} is not a place of the warehouse {warehouse.code} that holds"
                      " stock.", field=field)  # fmt: skip
    return found


async def write_new_document(command: Command, run: Any, actor_id: int | None, key: str | None) -> Document:
    """``run`` makes a document in one command with its audit entry; a retry with the key answers that document."""

    async def recall(stored: dict[str, Any]) -> Document:
        return await Document.get(id=stored["document_id"])

    effect = Effect(run, lambda d: Audited("document", d.id, command.request()), lambda d: {"document_id": d.id},
                    recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=key)).result  # type: ignore[no-any-return]


# Reads


@dataclass(frozen=True)
class OrderLineProgress:
    """An order line and what it has come to, in the product's base unit."""

    line_id: int
    position: int
    ordered: Decimal
    received: Decimal
    returned: Decimal
    cancelled: Decimal
    billed: Decimal
    replaced: Decimal = ZERO  # of ``returned``: what went back to be replaced, so is due again

    @property
    def due(self) -> Decimal:
        return max(self.ordered - self.cancelled - (self.received - self.replaced), ZERO)


async def order_progress(document_ids: list[int]) -> dict[int, list[OrderLineProgress]]:
    """Per order, its lines in position order with what each has come to."""
    grouped: dict[int, list[OrderLineProgress]] = {i: [] for i in document_ids}
    if not document_ids:
        return grouped
    for chunk in sql.chunks(sorted(set(document_ids))):
        rows = await sql.fetch(
            connection(),
            "SELECT l.id, l.document_id, l.position, l.base_quantity, p.received, p.returned_refund,"
            " p.returned_replace, p.cancelled, p.billed FROM document_line l LEFT JOIN purchase_line p ON p.id = l.id"
            f" WHERE l.document_id IN ({sql.placeholders(1, len(chunk))}) ORDER BY l.document_id, l.position",
            *chunk,
        )
        for r in rows:
            grouped[int(r["document_id"])].append(OrderLineProgress(
                int(r["id"]), int(r["position"]), quantities.from_db(r["base_quantity"]), value_of(r, "received"),
                value_of(r, "returned_refund") + value_of(r, "returned_replace"), value_of(r, "cancelled"),
                value_of(r, "billed"), value_of(r, "returned_replace"),
            ))  # fmt: skip
    return grouped


async def orders_by_ids(ids: list[int]) -> list[PurchaseOrder]:
    return await PurchaseOrder.filter(id__in=ids).select_related("warehouse", "receive_into")
