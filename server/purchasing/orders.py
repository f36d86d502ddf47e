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

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
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
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.models import LOCATION_CODE, WAREHOUSE_CODE, Location, Warehouse
from server.jobs.queue import JobQueue
from server.partners.models import PartyRole
from server.partners.service import require_party, require_store
from server.purchasing.models import PurchaseLine, PurchaseOrder
from server.text import Text, shown

ORDER, RECEIPT = "purchase.order", "purchase.receipt"
SENT, PARTIAL, RECEIVED, CLOSED = "sent", "partially_received", "received", "closed"
SEND, RECEIVE, COMPLETE, CLOSE, BOOK = "send", "receive", "complete", "close", "book"
RECEIVABLE = frozenset({CONFIRMED, SENT, PARTIAL, RECEIVED})  # a receipt may come (over-receipt within tolerance)
OPEN = frozenset({CONFIRMED, SENT, PARTIAL})  # what is still due will come
SUPPLIER_REFERENCE = Text("supplier reference", 64)
ZERO = Decimal(0)

ORDER_KIND = register(DocumentKind(
    type=ORDER, title="Purchase order", prefix="PO", party_role=PartyRole.SUPPLIER, party_required=True,
    purchase=True, made_by="createPurchaseOrder", numbered_when_made=True,
    transitions=(
        Transition("confirm", frozenset({DRAFT}), CONFIRMED),
        Transition("reopen", frozenset({CONFIRMED}), DRAFT),
        Transition(SEND, frozenset({CONFIRMED, SENT}), SENT),
        Transition(SEND, frozenset({PARTIAL}), PARTIAL),  # an amended order goes out again
        Transition(SEND, frozenset({RECEIVED}), RECEIVED),
        Transition(RECEIVE, RECEIVABLE, PARTIAL),
        Transition(COMPLETE, frozenset({PARTIAL}), RECEIVED),
        Transition(CLOSE, frozenset({PARTIAL, RECEIVED}), CLOSED),
        Transition("cancel", frozenset({DRAFT, CONFIRMED, SENT}), CANCELLED),
    ),
    own_actions=frozenset({SEND, RECEIVE, COMPLETE, CLOSE}),
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
    warehouse = await _warehouse(conn, header.warehouse)
    dock = await bin_of(conn, warehouse, header.receive_into, "receiveInto") if header.receive_into else None
    checked, _, _ = await check_lines(conn, ORDER_KIND, lines)
    for index, line in enumerate(checked):
        if line.location is not None:
            await bin_of(conn, warehouse, line.location, ("lines", index, "location"))
    reference = (SUPPLIER_REFERENCE.optional(header.supplier_reference, "supplierReference") or ""
                 if header.supplier_reference is not None else "")  # fmt: skip
    expected_on = header.expected_on or today() + timedelta(days=supplier.lead_time_days)
    currency = header.currency or supplier.currency
    command = CreatePurchaseOrder(supplier.code, store.code, warehouse.code, header.expected_on, currency,
                                  dock.code if dock else None, reference, header.notes, tuple(checked))  # fmt: skip

    async def run(write: Write) -> Document:
        document = await service.create_within(
            write, ORDER, store.id, lines,
            header=service.Header(party=supplier.code, currency=currency, notes=header.notes),
        )  # fmt: skip
        await PurchaseOrder.create(
            id=document.id, warehouse_id=warehouse.id, receive_into_id=dock.id if dock else None,
            expected_on=expected_on, supplier_reference=reference, using_db=write.conn,
        )  # fmt: skip
        return document

    return await _write(command, run, actor_id, idempotency_key)


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
        document = await service.transition(write, document, SEND, _nothing)
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
        return await service.transition(write, document, CLOSE, _nothing)

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


async def settle(write: Write, document: Document) -> Document:
    """Move an order to the state its lines' progress says: partly or wholly received, or cancelled when
    nothing is due and nothing came. Called under the order's lock after any change of progress."""
    rows = await sql.fetch(
        write.conn,
        "SELECT l.base_quantity, p.received, p.returned_refund, p.returned_replace, p.cancelled FROM document_line l"
        " LEFT JOIN purchase_line p ON p.id = l.id WHERE l.document_id = $1",
        document.id,
    )
    if document.state not in RECEIVABLE:  # closed: what went back since (a refund) leaves it closed
        return document
    came = sum((net_received(r) for r in rows), ZERO)
    due = sum((max(due_of(quantities.from_db(r["base_quantity"]), r), ZERO) for r in rows), ZERO)
    if came == 0 and due == 0 and document.state in (CONFIRMED, SENT):
        return await service.act_within(write, document.id, "cancel", version=None)
    # A received order all of whose goods went back to be replaced is partly received again.
    if came > 0 or document.state in (PARTIAL, RECEIVED):
        if document.state != PARTIAL:
            document = await service.transition(write, document, RECEIVE, _nothing)
        if due == 0:
            document = await service.transition(write, document, COMPLETE, _nothing)
    return document


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


async def _nothing(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    """A transition of the order that books nothing itself (its receipt does)."""


async def _warehouse(conn: BaseDBAsyncClient, code: str) -> Warehouse:
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


async def _write(command: Command, run: Any, actor_id: int | None, key: str | None) -> Document:
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
