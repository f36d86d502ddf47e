"""Supplier bills: recording one against purchase orders, posting it through the three-way match, releasing
one the match held, and what is payable.

A bill is a ``purchase.bill`` document (lines, prices, taxes, totals, number) with a ``purchase_bill`` row;
each line bills one order line (``document_line_link``). Its states::

    draft → posted, or draft → on_hold → posted (released), and cancelled from draft or on_hold

Posting matches it (``server.purchasing.matching``): within the supplier's tolerances it posts; outside
them it is held with its reasons until a user with ``bills.release`` releases it. Posting or releasing
bills the order lines and revalues the receipts a price difference concerns. A posted bill is due by
the supplier's payment terms, counted from the bill date; until payments come, every posted bill is open.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Command, Write
from server.db import connection
from server.documents import service
from server.documents.kinds import CANCELLED, DRAFT, DocumentKind, IllegalTransition, Transition, register
from server.documents.lines import MAX_LINES, UNIT_CODE, LineInput
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.errors import AlreadyExists, DomainError, Invalid, ManyErrors, NotFound
from server.money.rates import rate_on
from server.money.service import currency_places
from server.numbers import AMOUNT, PERCENTAGE
from server.paging import MAX_ID
from server.partners.models import PARTY_CODE, Party, PartyRole
from server.purchasing import matching
from server.purchasing import orders as po
from server.purchasing.bill_models import PurchaseBill
from server.text import Text

BILL = "purchase.bill"
HELD, POSTED = matching.HELD, "posted"
POST, HOLD, RELEASE = "post", "hold", "release"
BILLABLE_ORDERS = frozenset({po.CONFIRMED, po.SENT, po.PARTIAL, po.RECEIVED, po.CLOSED})
SUPPLIER_REFERENCE = Text("supplier reference", 64)
MAX_ORDERS = 20  # one bill bills lines of at most this many orders
# A bill date outside these is a typing mistake, and its due date could pass the end of the calendar.
FIRST_BILL_DATE, LAST_BILL_DATE = date(2000, 1, 1), date(2999, 12, 31)

BILL_KIND = register(DocumentKind(
    type=BILL, title="Supplier bill", prefix="BILL", party_role=PartyRole.SUPPLIER, party_required=True,
    purchase=True, made_by="createSupplierBill", editable=frozenset(),
    transitions=(
        Transition(POST, frozenset({DRAFT}), POSTED),
        Transition(HOLD, frozenset({DRAFT}), HELD),
        Transition(RELEASE, frozenset({HELD}), POSTED),
        Transition("cancel", frozenset({DRAFT, HELD}), CANCELLED),
    ),
    own_actions=frozenset({POST, HOLD, RELEASE}),
))  # fmt: skip


@dataclass(frozen=True)
class BillLineInput:
    """One line of the supplier's bill: what it bills of one order line, in ``unit`` (None: the order line's),
    at ``price`` per that unit (None: the order line's price) less ``discount_percent`` (None: the order's)."""

    order: int
    position: int
    quantity: object
    unit: str | None = None
    price: object | None = None
    discount_percent: object | None = None


@dataclass(frozen=True)
class CheckedBillLine:
    order: int
    position: int
    quantity: Decimal
    unit: str | None
    price: Decimal | None
    discount_percent: Decimal | None


@dataclass(frozen=True)
class CreateSupplierBill(Command):
    operation = "supplier_bill.create"
    supplier_reference: str
    bill_date: date | None
    notes: str | None
    lines: tuple[CheckedBillLine, ...]


@dataclass(frozen=True)
class PostSupplierBill(Command):
    operation = "supplier_bill.post"
    document_id: int
    version: int | None


@dataclass(frozen=True)
class ReleaseSupplierBill(Command):
    operation = "supplier_bill.release"
    document_id: int
    version: int | None


def _checked(given: list[BillLineInput]) -> tuple[CheckedBillLine, ...]:
    """The lines' shape, before the database sees them: every problem at once."""
    if not given:
        raise Invalid("A bill bills at least one order line.", field="lines")
    if len(given) > MAX_LINES:
        raise Invalid(f"A bill has at most {MAX_LINES} lines.", field="lines")
    problems: list[DomainError] = []
    checked = []
    for index, line in enumerate(given):
        at = ("lines", index)
        try:
            if not isinstance(line.order, int) or not 0 < line.order <= MAX_ID:
                raise NotFound("There is no such purchase order.", field=(*at, "order"))
            if not isinstance(line.position, int) or not 0 < line.position <= MAX_LINES:
                raise NotFound("The order has no such line.", field=(*at, "position"))
            unit = UNIT_CODE.clean(line.unit, (*at, "unit")) if line.unit is not None and line.unit.strip() else None
            checked.append(CheckedBillLine(
                line.order, line.position, AMOUNT.parse(line.quantity, field=(*at, "quantity"), allow_zero=False),
                unit, AMOUNT.parse(line.price, field=(*at, "price")) if line.price is not None else None,
                PERCENTAGE.parse(line.discount_percent, field=(*at, "discountPercent"))
                if line.discount_percent is not None else None,
            ))  # fmt: skip
        except DomainError as error:
            problems.append(error)
    if len({line.order for line in given}) > MAX_ORDERS:
        problems.append(Invalid(f"A bill bills lines of at most {MAX_ORDERS} orders.", field="lines"))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked)


async def create_bill(
    supplier_reference: str, lines: list[BillLineInput], *, bill_date: date | None = None, notes: str | None = None,
    actor_id: int | None, idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """A draft bill of a supplier against lines of its purchase orders (of one store and currency), priced as
    the supplier billed them; its due date from the supplier's payment terms."""
    reference = SUPPLIER_REFERENCE.clean(supplier_reference, "supplierReference")
    if bill_date is not None and not FIRST_BILL_DATE <= bill_date <= LAST_BILL_DATE:
        raise Invalid(f"A bill date is between {FIRST_BILL_DATE.isoformat()} and {LAST_BILL_DATE.isoformat()}.",
                      field="billDate")  # fmt: skip
    given_notes = service.NOTES.optional(notes, "notes") if notes is not None else None
    command = CreateSupplierBill(reference, bill_date, given_notes, _checked(lines))

    async def run(write: Write) -> Document:
        return await _create(write, command)

    return await po.write_new_document(command, run, actor_id, idempotency_key)


async def _create(write: Write, command: CreateSupplierBill) -> Document:
    conn = write.conn
    orders = await _orders(conn, command.lines)
    first = orders[min(orders)]
    supplier = await Party.get(id=first.party_id).using_db(conn)  # type: ignore[attr-defined]
    await _refuse_duplicate(conn, supplier, command.supplier_reference)
    order_lines = await _order_lines(conn, command.lines)
    bill = await service.create_within(
        write, BILL, first.store_id,  # type: ignore[attr-defined]
        [LineInput(order_lines[i].product.sku, line.quantity, line.unit or order_lines[i].unit,
                   line.price if line.price is not None else Decimal(order_lines[i].price),
                   line.discount_percent if line.discount_percent is not None
                   else Decimal(order_lines[i].discount_percent)) for i, line in enumerate(command.lines)],
        header=service.Header(party=supplier.code, business_date=command.bill_date, currency=first.currency,
                              prices_include_tax=first.prices_include_tax, notes=command.notes),
    )  # fmt: skip
    bill_lines = await DocumentLine.filter(document_id=bill.id).using_db(conn).order_by("position")
    await DocumentLineLink.bulk_create(
        [DocumentLineLink(line_id=b.id, source_id=order_lines[i].id, quantity=b.base_quantity)
         for i, b in enumerate(bill_lines)], using_db=conn,
    )  # fmt: skip
    due_on, discount_on, discount = payment_terms(supplier, bill.business_date, Decimal(bill.gross),
                                                  await currency_places(bill.currency))  # fmt: skip
    await PurchaseBill.create(id=bill.id, supplier_reference=command.supplier_reference, due_on=due_on,
                              discount_on=discount_on, discount_amount=discount, using_db=conn)  # fmt: skip
    return bill


async def _orders(conn: BaseDBAsyncClient, lines: tuple[CheckedBillLine, ...]) -> dict[int, Document]:
    """The orders billed: purchase orders past their draft, of one supplier, store and currency."""
    found: dict[int, Document] = {}
    for order_id in sorted({line.order for line in lines}):
        at = ("lines", next(i for i, line in enumerate(lines) if line.order == order_id), "order")
        document = await Document.get_or_none(id=order_id, type=po.ORDER, using_db=conn)
        if document is None:
            raise NotFound("There is no such purchase order.", field=at)
        if document.state not in BILLABLE_ORDERS:
            raise IllegalTransition(f"The purchase order {document.number} is {document.state}: it is not billed.",
                                    field=at)  # fmt: skip
        found[order_id] = document
    first = found[min(found)]
    for document in found.values():
        if (document.party_id, document.store_id, document.currency) != (  # type: ignore[attr-defined]
            first.party_id, first.store_id, first.currency,  # type: ignore[attr-defined]
        ):  # fmt: skip
            raise Invalid("A bill bills orders of one supplier, store and currency.", field="lines")
    return found


async def _order_lines(conn: BaseDBAsyncClient, lines: tuple[CheckedBillLine, ...]) -> list[DocumentLine]:
    """The order line each input line bills, in input order."""
    found: list[DocumentLine] = []
    problems: list[DomainError] = []
    for index, line in enumerate(lines):
        row = await DocumentLine.get_or_none(document_id=line.order, position=line.position, using_db=conn)\
            .select_related("product")  # fmt: skip
        if row is None:
            problems.append(NotFound(f"The order has no line {line.position}.", field=("lines", index, "position")))
        else:
            found.append(row)
    if problems:
        raise ManyErrors(problems)
    return found


async def _refuse_duplicate(conn: BaseDBAsyncClient, supplier: Party, reference: str) -> None:
    """Under a lock of the supplier's invoice number until the commit: two recordings of one invoice at once
    would otherwise both find none and both be made (nothing else keeps it unique)."""
    # An invoice number is one number however it is typed: inv-1 and INV-1 are the same invoice.
    await sql.lock_name(conn, f"supplier-bill:{supplier.id}:{reference.upper()}")
    row = await sql.fetch_one(
        conn,
        "SELECT d.number FROM purchase_bill b JOIN document d ON d.id = b.id WHERE d.party_id = $1"
        " AND UPPER(b.supplier_reference) = $2 AND d.state <> $3",
        supplier.id, reference.upper(), CANCELLED,
    )  # fmt: skip
    if row is not None:
        known = f" as {row['number']}" if row["number"] else ""
        raise AlreadyExists(f"The bill {reference} of {supplier.code} is recorded already{known}.",
                            field="supplierReference")  # fmt: skip


def payment_terms(supplier: Party, bill_date: date, gross: Decimal, places: int) -> tuple[date, date | None, Decimal]:
    """When a bill is due (net days after its date, or after the end of its month) and, with an early-payment
    discount, by when it is earned and how much it is."""
    start = bill_date
    if supplier.end_of_month:
        start = bill_date.replace(day=calendar.monthrange(bill_date.year, bill_date.month)[1])
    due_on = start + timedelta(days=supplier.net_days)
    percent = Decimal(supplier.discount_percent)
    if percent <= 0 or supplier.discount_days <= 0:
        return due_on, None, Decimal(0)
    discount = (gross * percent / 100).quantize(Decimal(1).scaleb(-places))
    return due_on, bill_date + timedelta(days=supplier.discount_days), discount


async def post_bill(
    document_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Match a draft bill and post it, or hold it with its reasons when it is outside the supplier's tolerances."""

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        BILL_KIND.target_of(document.state, POST)
        billed = await matching.billed_lines(write.conn, document.id)
        await _lock_billable_orders(write.conn, billed)
        progress = await matching.lock_order_lines(write.conn, billed)
        held = await matching.held_elsewhere(write.conn, document.id, list(progress))
        supplier = await Party.get(id=document.party_id).using_db(write.conn)  # type: ignore[attr-defined]
        document.rate = await rate_on(document.currency, document.business_date)
        reasons = matching.match(billed, progress, held, supplier, await currency_places(document.currency))
        details = await PurchaseBill.get(id=document.id, using_db=write.conn)
        if reasons:
            details.hold_reasons = [reason.stored() for reason in reasons]
            await details.save(using_db=write.conn, update_fields=["hold_reasons"])
            return await service.transition(write, document, HOLD, _nothing)
        await _book(write, document, details, billed, progress)
        return await service.transition(write, document, POST, _nothing)

    return await service.write_document(PostSupplierBill(document_id, version), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def release_bill(
    document_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Post a held bill as it is: its reasons were read and accepted (the caller holds ``bills.release``)."""

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        BILL_KIND.target_of(document.state, RELEASE)
        billed = await matching.billed_lines(write.conn, document.id)
        await _lock_billable_orders(write.conn, billed)
        progress = await matching.lock_order_lines(write.conn, billed)
        details = await PurchaseBill.get(id=document.id, using_db=write.conn)
        details.released_by_id = write.actor_id  # type: ignore[attr-defined]
        details.released_at = now()
        await _book(write, document, details, billed, progress)
        return await service.transition(write, document, RELEASE, _nothing)

    return await service.write_document(ReleaseSupplierBill(document_id, version), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def _book(write: Write, document: Document, details: PurchaseBill, billed: list[matching.BilledLine],
                progress: dict[int, Any]) -> None:  # fmt: skip
    booked = await matching.book(write, document, billed, progress)
    details.price_difference = booked.price_difference
    details.exchange_difference = booked.exchange_difference
    await details.save(using_db=write.conn)


async def _lock_billable_orders(conn: BaseDBAsyncClient, billed: list[matching.BilledLine]) -> None:
    """The orders billed, locked in id order (as receipts take them), each still past its draft and not cancelled:
    an order cancelled or reopened since the bill was recorded is not billed (its cancel waits on this lock)."""
    ids = sorted({line.order_line.document_id for line in billed})  # type: ignore[attr-defined]
    for order in await Document.filter(id__in=ids).using_db(conn).order_by("id").select_for_update():
        if order.state not in BILLABLE_ORDERS:
            raise IllegalTransition(f"The purchase order {order.number} is {order.state} now: it is not billed."
                                    " Cancel the bill.", field="id")  # fmt: skip


def _refuse_other_types(document: Document) -> None:
    if document.type != BILL:
        raise Invalid("This document is not a supplier bill.", field="id")


async def _nothing(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    """A transition of the bill that books nothing itself (the match did, before it)."""


# Reads


@dataclass(frozen=True)
class BillLineView:
    """A bill line with the order line it bills and how far that line has come."""

    line: DocumentLine
    order_id: int
    order_number: str | None
    order_line: po.OrderLineProgress | None


@dataclass(frozen=True)
class BillView:
    document: Document
    details: PurchaseBill
    lines: list[BillLineView]

    @property
    def id(self) -> int:
        return self.document.id

    @property
    def amount_due(self) -> Decimal:
        """What is still to pay (nothing while it is not posted)."""
        if self.document.state != POSTED:
            return Decimal(0)
        return Decimal(self.document.gross) - Decimal(self.details.paid)


def find_bills(*, supplier: str | None = None, state: str | None = None, open_only: bool = False) -> Any:
    """Bills matching every filter, by id (none for a code or state nobody can have). ``open_only``: posted and
    not paid: what is payable."""
    query = Document.filter(type=BILL)
    if supplier is not None:
        key = PARTY_CODE.key(supplier)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(party__code=key)
    if state is not None:
        key = service.STATE.key(state)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(state=key)
    if open_only:
        query = query.filter(state=POSTED)
    return query


async def bill_page(query: Any, after_id: int | None, limit: int) -> list[BillView]:
    """One page of ``find_bills``, forward by id, with each bill's details and lines."""
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    ids = await query.order_by("id").limit(limit).values_list("id", flat=True)
    return await bills_by_ids(list(ids))


async def bills_by_ids(ids: list[int]) -> list[BillView]:
    """The bills among ``ids``, in id order: a few queries for the whole page."""
    if not ids:
        return []
    documents = await Document.filter(id__in=ids, type=BILL).select_related("store", "party", "approved_by")\
        .order_by("id")  # fmt: skip
    details = {row.id: row for row in await PurchaseBill.filter(id__in=ids).select_related("released_by")}
    lines = await service.lines_of([d.id for d in documents])
    line_ids = [line.id for rows in lines.values() for line in rows]
    sources: dict[int, tuple[int, int, str | None]] = {}
    for chunk in sql.chunks(line_ids):
        rows = await sql.fetch(
            connection(),
            "SELECT k.line_id, k.source_id, o.id AS order_id, o.number FROM document_line_link k"
            " JOIN document_line ol ON ol.id = k.source_id JOIN document o ON o.id = ol.document_id"
            f" WHERE k.line_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )  # fmt: skip
        sources |= {int(r["line_id"]): (int(r["source_id"]), int(r["order_id"]), r["number"]) for r in rows}
    progress = await po.order_progress(sorted({order_id for _, order_id, _ in sources.values()}))
    by_line = {p.line_id: p for rows in progress.values() for p in rows}
    views = []
    for document in documents:
        shown = []
        for line in lines[document.id]:
            source_id, order_id, number = sources[line.id]
            shown.append(BillLineView(line, order_id, number, by_line.get(source_id)))
        views.append(BillView(document, details[document.id], shown))
    return views
