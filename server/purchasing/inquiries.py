"""Inquiries (requests for quotation): ask several suppliers for the same lines, record what each quotes,
and order the chosen quotes.

An inquiry is a ``purchase.inquiry`` document on the kernel (its lines say what is wanted, in which unit;
it is numbered when made, ``RFQ-...``) with a ``purchase_inquiry`` row for its warehouse and the suppliers
asked beside it. Each supplier's answer per line is a ``supplier_quote``: a price per unit or pack in a
currency, a lead time, a validity, a minimum, or a decline. Choosing quotes makes one draft purchase order
per supplier through ``orders.new_order_within``, in the same command; its lines link back to the inquiry
lines (``document_line_link``) and ``inquiry_choice`` holds one row per ordered inquiry line, so a line is
never ordered twice. Every write locks the inquiry's document first, so quotes and choices of one inquiry
queue there. Its states: open → closed, and cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server.catalog import units
from server.clock import now, today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents import output, service
from server.documents.kinds import CANCELLED, DocumentKind, IllegalTransition, Transition, register
from server.documents.lines import MAX_LINES, UNIT_CODE, CheckedLine, LineInput, check_lines
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.errors import AlreadyExists, DomainError, Field, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.jobs.queue import JobQueue
from server.money.rates import company_currency, currency_code, require_currency
from server.numbers import AMOUNT
from server.paging import MAX_ID
from server.partners.models import PARTY_CODE, Contact, Party, PartyRole, Store
from server.partners.service import require_party, require_store
from server.purchasing import orders
from server.purchasing.inquiry_models import InquiryChoice, InquirySupplier, PurchaseInquiry, SupplierQuote
from server.text import shown

INQUIRY = "purchase.inquiry"
OPEN, CLOSED = "open", "closed"
MAX_SUPPLIERS = 20  # asked by one inquiry
MAX_LEAD_TIME_DAYS = 3650
PRICE_STEP = Decimal("0.0001")


async def _printed_details(conn: BaseDBAsyncClient, document: Document) -> list[str]:
    inquiry = await PurchaseInquiry.get_or_none(id=document.id, using_db=conn)
    return [f"Reply by: {inquiry.reply_by.isoformat()}"] if inquiry is not None and inquiry.reply_by else []


INQUIRY_KIND = register(DocumentKind(
    type=INQUIRY, title="Request for quotation", prefix="RFQ", initial=OPEN, editable=frozenset(), purchase=True,
    priced=False, printed_details=_printed_details,  # it asks for prices
    made_by="createPurchaseInquiry", numbered_when_made=True,
    transitions=(Transition("close", frozenset({OPEN}), CLOSED), Transition("cancel", frozenset({OPEN}), CANCELLED)),
))  # fmt: skip


@dataclass(frozen=True)
class InquiryHeader:
    """What a caller sends for a new inquiry beside its lines."""

    store: str
    warehouse: str
    suppliers: tuple[str, ...]
    reply_by: date | None = None
    notes: str | None = None
    mail: bool = False  # mail the inquiry's PDF to each supplier's contacts with an email, in the same write
    subject: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class InquiryLine:
    sku: str
    quantity: object
    unit: str | None = None  # None: the product's base unit
    notes: str | None = None


@dataclass(frozen=True)
class QuoteInput:
    """A supplier's answer for one inquiry line (by ``position``): a price per ``unit``, or a decline."""

    position: int
    price: object | None = None
    unit: str | None = None  # None: the inquiry line's unit
    currency: str | None = None  # None: the supplier's, else the company's
    lead_time_days: int | None = None  # None: the supplier's
    valid_until: date | None = None
    min_quantity: object | None = None  # in ``unit``
    declined: bool = False


@dataclass(frozen=True)
class CheckedQuote:
    position: int
    declined: bool
    price: Decimal | None
    unit: str | None
    currency: str | None
    lead_time_days: int | None
    valid_until: date | None
    min_quantity: Decimal | None


@dataclass(frozen=True)
class ChoiceInput:
    position: int
    supplier: str


@dataclass(frozen=True)
class CreatePurchaseInquiry(Command):
    operation = "purchase_inquiry.create"
    store: str
    warehouse: str
    suppliers: tuple[str, ...]
    reply_by: date | None
    notes: str | None
    mail: bool
    subject: str | None
    message: str
    lines: tuple[CheckedLine, ...]


@dataclass(frozen=True)
class RecordQuotes(Command):
    operation = "purchase_inquiry.quote"
    document_id: int
    supplier: str
    quotes: tuple[CheckedQuote, ...]


@dataclass(frozen=True)
class ChooseQuotes(Command):
    operation = "purchase_inquiry.choose"
    document_id: int
    choices: tuple[tuple[int, str], ...]
    expected_on: date | None


@dataclass(frozen=True)
class Chosen:
    inquiry: Document
    orders: list[Document]


async def create_inquiry(
    header: InquiryHeader, lines: list[InquiryLine], *, queue: JobQueue | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """An open inquiry of a store for one warehouse, asking each supplier named (mailed, when asked to)."""
    conn = connection()
    store = await require_store(conn, header.store, field="store")
    warehouse = await orders.warehouse_of(conn, header.warehouse)
    suppliers = await _suppliers(conn, header.suppliers)
    if not lines:
        raise Invalid("Say what you ask for: give at least one line.", field="lines")
    given = [LineInput(line.sku, line.quantity, line.unit, Decimal(0), notes=line.notes) for line in lines]
    checked, _, _ = await check_lines(conn, INQUIRY_KIND, given)
    notes = service.NOTES.optional(header.notes, "notes") if header.notes is not None else None
    subject = output.SUBJECT.optional(header.subject, "subject") if header.subject is not None else None
    text = (output.MESSAGE.optional(header.message, "message") or "") if header.message is not None else ""
    command = CreatePurchaseInquiry(store.code, warehouse.code, tuple(s.code for s in suppliers), header.reply_by,
                                    notes, header.mail, subject, text, tuple(checked))  # fmt: skip

    async def run(write: Write) -> Document:
        document = await service.create_within(write, INQUIRY, store.id, given, header=service.Header(notes=notes))
        await PurchaseInquiry.create(id=document.id, warehouse_id=warehouse.id, reply_by=header.reply_by,
                                     using_db=write.conn)  # fmt: skip
        for index, supplier in enumerate(suppliers):
            mailed_at = None
            if header.mail:
                to = await _emails(write.conn, supplier, ("suppliers", index))
                await output.mail_within(write, document, to, subject, text, queue=queue)
                mailed_at = now()
            await InquirySupplier.create(inquiry_id=document.id, supplier_id=supplier.id, mailed_at=mailed_at,
                                         using_db=write.conn)  # fmt: skip
        return document

    return await orders.write_new_document(command, run, actor_id, idempotency_key)


async def _suppliers(conn: BaseDBAsyncClient, codes: tuple[str, ...]) -> list[Party]:
    if not codes:
        raise Invalid("Say whom you ask: name at least one supplier.", field="suppliers")
    if len(codes) > MAX_SUPPLIERS:
        raise Invalid(f"An inquiry asks at most {MAX_SUPPLIERS} suppliers.", field="suppliers")
    found: list[Party] = []
    problems: list[DomainError] = []
    for index, code in enumerate(codes):
        try:
            party = await require_party(conn, code, field=("suppliers", index), role=PartyRole.SUPPLIER)
        except DomainError as error:
            problems.append(error)
            continue
        if any(p.id == party.id for p in found):
            problems.append(Invalid(f"The supplier {party.code} is named twice.", field=("suppliers", index)))
        found.append(party)
    if problems:
        raise ManyErrors(problems)
    return found


async def _emails(conn: BaseDBAsyncClient, supplier: Party, field: Field) -> tuple[str, ...]:
    contacts = await Contact.filter(party_id=supplier.id).using_db(conn).order_by("id")
    emails = tuple(c.email for c in contacts if c.email)
    if not emails:
        raise Invalid(f"The supplier {supplier.code} has no contact with an email address to mail.", field=field)
    return emails


async def record_quotes(
    document_id: int, supplier: str, quotes: list[QuoteInput], *, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """What one supplier asked by an open inquiry quotes (or declines) for some of its lines; a line quoted
    again replaces that supplier's earlier quote, until the line is ordered."""
    key = PARTY_CODE.key(supplier)
    if key is None:
        raise NotFound(f"There is no supplier {shown(supplier)}.", field="supplier")
    if not 0 < document_id <= MAX_ID:
        raise NotFound("There is no such inquiry.", field="id")
    command = RecordQuotes(document_id, key, _checked_quotes(quotes))

    async def run(write: Write, document: Document) -> Document:
        conn = write.conn
        _refuse_closed(document)
        asked = await InquirySupplier.filter(inquiry_id=document.id, supplier__code=key).using_db(conn)\
            .select_related("supplier").first()  # fmt: skip
        if asked is None:
            raise NotFound(f"The inquiry did not ask a supplier {shown(supplier)}.", field="supplier")
        party: Party = asked.supplier
        lines = await _lines(conn, document.id)
        ordered = InquiryChoice.filter(line_id__in=[line.id for line in lines.values()]).using_db(conn)
        chosen = {int(i) for i in await ordered.values_list("line_id", flat=True)}  # type: ignore[call-overload]
        problems: list[DomainError] = []
        for index, quote in enumerate(command.quotes):
            try:
                await _record(conn, document, party, lines, chosen, quote, ("quotes", index))
            except DomainError as error:
                problems.append(error)
        if problems:
            raise ManyErrors(problems)
        return document

    return await service.write_document(command, document_id, None, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


def _checked_quotes(quotes: list[QuoteInput]) -> tuple[CheckedQuote, ...]:
    """The quotes' shape, before the database sees them: every problem at once."""
    if not quotes:
        raise Invalid("Give at least one quote.", field="quotes")
    if len(quotes) > MAX_LINES:
        raise Invalid(f"An inquiry has at most {MAX_LINES} lines.", field="quotes")
    problems: list[DomainError] = []
    checked: list[CheckedQuote] = []
    for index, quote in enumerate(quotes):
        try:
            checked.append(_checked_quote(quote, ("quotes", index)))
        except DomainError as error:
            problems.append(error)
    positions = [q.position for q in quotes]
    if len(set(positions)) != len(positions):
        problems.append(Invalid("Quote each line once.", field="quotes"))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked)


def _checked_quote(quote: QuoteInput, at: tuple[str, int]) -> CheckedQuote:
    if not isinstance(quote.position, int) or not 0 < quote.position <= MAX_LINES:
        raise NotFound("The inquiry has no such line.", field=(*at, "position"))
    if quote.declined:
        given = (quote.price, quote.unit, quote.currency, quote.lead_time_days, quote.valid_until, quote.min_quantity)
        if any(value is not None for value in given):
            raise Invalid("A declined line carries no price, unit, currency, lead time, validity or minimum.",
                          field=(*at, "declined"))  # fmt: skip
        return CheckedQuote(quote.position, True, None, None, None, None, None, None)
    if quote.price is None:
        raise Invalid("Give the price, or decline the line.", field=(*at, "price"))
    price = AMOUNT.parse(quote.price, field=(*at, "price"))
    unit = UNIT_CODE.clean(quote.unit, (*at, "unit")) if quote.unit is not None and quote.unit.strip() else None
    currency = currency_code(quote.currency, (*at, "currency")) if quote.currency is not None else None
    lead = quote.lead_time_days
    if lead is not None and not 0 <= lead <= MAX_LEAD_TIME_DAYS:
        raise Invalid(f"A lead time is 0 to {MAX_LEAD_TIME_DAYS} days.", field=(*at, "leadTimeDays"))
    minimum = (quantities.parse(quote.min_quantity, field=(*at, "minQuantity"), allow_zero=True)
               if quote.min_quantity is not None else None)  # fmt: skip
    return CheckedQuote(quote.position, False, price, unit, currency, lead, quote.valid_until, minimum)


async def _record(
    conn: BaseDBAsyncClient, document: Document, supplier: Party, lines: dict[int, DocumentLine], chosen: set[int],
    quote: CheckedQuote, at: tuple[str, int],
) -> None:  # fmt: skip
    line = lines.get(quote.position)
    if line is None:
        raise NotFound(f"The inquiry has no line {quote.position}.", field=(*at, "position"))
    if line.id in chosen:
        raise Invalid(f"Line {quote.position} is ordered already: its quotes stay as they were.",
                      field=(*at, "position"))  # fmt: skip
    values: dict[str, Any] = {"declined": True, "price": None, "unit": None, "unit_base": None, "currency": None,
                              "lead_time_days": None, "valid_until": None, "min_quantity": None}  # fmt: skip
    if not quote.declined:
        unit = quote.unit or line.unit
        one = await units.to_base(conn, line.product, Decimal(1), unit, field=(*at, "price"))
        currency = quote.currency or supplier.currency or await company_currency()
        await require_currency(currency, field=(*at, "currency"), conn=conn)
        lead = quote.lead_time_days if quote.lead_time_days is not None else supplier.lead_time_days
        values = {"declined": False, "price": quote.price, "unit": one.unit, "unit_base": one.base_quantity,
                  "currency": currency, "lead_time_days": lead, "valid_until": quote.valid_until,
                  "min_quantity": quote.min_quantity}  # fmt: skip
    existing = await SupplierQuote.filter(line_id=line.id, supplier_id=supplier.id).using_db(conn).first()
    if existing is None:
        await SupplierQuote.create(inquiry_id=document.id, line_id=line.id, supplier_id=supplier.id,
                                   using_db=conn, **values)  # fmt: skip
    else:
        existing.update_from_dict(values)
        await existing.save(using_db=conn)


async def choose_quotes(
    document_id: int, choices: list[ChoiceInput], *, expected_on: date | None = None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Chosen:  # fmt: skip
    """Order the chosen quotes: one draft purchase order per supplier, its lines at the quoted prices and in
    the quote's currency, each linked to its inquiry line; a line is ordered once."""
    if not choices:
        raise Invalid("Choose at least one quote.", field="choices")
    if len(choices) > MAX_LINES:
        raise Invalid(f"An inquiry has at most {MAX_LINES} lines.", field="choices")
    problems: list[DomainError] = []
    checked: list[tuple[int, str]] = []
    for index, choice in enumerate(choices):
        key = PARTY_CODE.key(choice.supplier)
        if not isinstance(choice.position, int) or not 0 < choice.position <= MAX_LINES:
            problems.append(NotFound("The inquiry has no such line.", field=("choices", index, "position")))
        elif key is None:
            problems.append(NotFound(f"There is no supplier {shown(choice.supplier)}.",
                                     field=("choices", index, "supplier")))  # fmt: skip
        else:
            checked.append((choice.position, key))
    if len({position for position, _ in checked}) != len(checked):
        problems.append(Invalid("Choose one quote per line.", field="choices"))
    if problems:
        raise ManyErrors(problems)
    if not 0 < document_id <= MAX_ID:
        raise NotFound("There is no such inquiry.", field="id")
    command = ChooseQuotes(document_id, tuple(checked), expected_on)

    async def run(write: Write) -> Chosen:
        document = await Document.select_for_update().using_db(write.conn).get_or_none(id=document_id, type=INQUIRY)
        if document is None:
            raise NotFound("There is no such inquiry.", field="id")
        _refuse_closed(document)
        return Chosen(document, await _order(write, document, command))

    async def recall(stored: dict[str, Any]) -> Chosen:
        made = {d.id: d for d in await Document.filter(id__in=stored["order_ids"])}
        return Chosen(await Document.get(id=stored["inquiry_id"]), [made[i] for i in stored["order_ids"]])

    effect = Effect(run, lambda c: Audited("document", c.inquiry.id, {**command.request(),
                                                                      "orders": [o.id for o in c.orders]}),
                    lambda c: {"inquiry_id": c.inquiry.id, "order_ids": [o.id for o in c.orders]}, recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def _order(write: Write, document: Document, command: ChooseQuotes) -> list[Document]:
    conn = write.conn
    lines = await _lines(conn, document.id)
    quotes = {(q.line_id, q.supplier.code): q for q in await SupplierQuote.filter(inquiry_id=document.id)  # type: ignore[attr-defined]
              .using_db(conn).select_related("supplier")}  # fmt: skip
    ordered = {c.line_id: c for c in await InquiryChoice.filter(line_id__in=[line.id for line in lines.values()])  # type: ignore[attr-defined]
               .using_db(conn).select_related("order")}  # fmt: skip
    grouped: dict[int, list[tuple[DocumentLine, SupplierQuote]]] = defaultdict(list)
    problems: list[DomainError] = []
    for index, (position, code) in enumerate(command.choices):
        try:
            line, quote = _chosen(lines, quotes, ordered, position, code, ("choices", index))
        except DomainError as error:
            problems.append(error)
            continue
        grouped[quote.supplier_id].append((line, quote))  # type: ignore[attr-defined]
    for picked in grouped.values():
        if len({quote.currency for _, quote in picked}) > 1:
            problems.append(Invalid(f"{picked[0][1].supplier.code} quoted these lines in several currencies:"
                                    " order them apart.", field="choices"))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    header = await PurchaseInquiry.filter(id=document.id).using_db(conn).select_related("warehouse").get()
    store = await Store.get(id=document.store_id, using_db=conn)  # type: ignore[attr-defined]
    made: list[Document] = []
    for picked in grouped.values():
        supplier = picked[0][1].supplier
        lead = max(quote.lead_time_days or 0 for _, quote in picked)
        order_lines = [LineInput(line.product.sku, Decimal(line.quantity), line.unit, _price_per_line_unit(line, quote))
                       for line, quote in picked]  # fmt: skip
        order = await orders.new_order_within(
            write, supplier.code, store.id, header.warehouse.id, order_lines,
            expected_on=command.expected_on or today() + timedelta(days=lead), currency=picked[0][1].currency,
            notes=f"From {document.number}.",
        )  # fmt: skip
        made_lines = await DocumentLine.filter(document_id=order.id).using_db(conn).order_by("position")
        for (line, quote), order_line in zip(picked, made_lines, strict=True):
            await DocumentLineLink.create(line_id=order_line.id, source_id=line.id, quantity=order_line.base_quantity,
                                          using_db=conn)  # fmt: skip
            await InquiryChoice.create(line_id=line.id, quote_id=quote.id, order_id=order.id, using_db=conn)
        made.append(order)
    return made


def _chosen(
    lines: dict[int, DocumentLine], quotes: dict[tuple[int, str], SupplierQuote],
    ordered: dict[int, InquiryChoice], position: int, code: str, at: tuple[str, int],
) -> tuple[DocumentLine, SupplierQuote]:  # fmt: skip
    """The quote of ``code`` for line ``position``, if it may be ordered now."""
    line = lines.get(position)
    if line is None:
        raise NotFound(f"The inquiry has no line {position}.", field=(*at, "position"))
    if line.id in ordered:
        raise AlreadyExists(f"Line {position} is ordered already, in {ordered[line.id].order.number}.",
                            field=(*at, "position"))  # fmt: skip
    quote = quotes.get((line.id, code))
    if quote is None:
        raise NotFound(f"{code} has not quoted line {position}.", field=(*at, "supplier"))
    if quote.declined:
        raise Invalid(f"{code} declined line {position}.", field=(*at, "supplier"))
    if quote.valid_until is not None and quote.valid_until < today():
        raise Invalid(f"The quote of {code} for line {position} expired on {quote.valid_until.isoformat()}.",
                      field=(*at, "supplier"))  # fmt: skip
    if quote.min_quantity is not None:
        wanted = quantities.from_db(line.base_quantity) / quantities.from_db(quote.unit_base)
        if wanted < quantities.from_db(quote.min_quantity):
            least = quantities.from_db(quote.min_quantity).normalize()
            raise Invalid(f"{code} sells at least {least:f} {quote.unit} of line {position}'s product: the line asks"
                          " for less.", field=(*at, "supplier"))  # fmt: skip
    return line, quote


def _price_per_line_unit(line: DocumentLine, quote: SupplierQuote) -> Decimal:
    """The quoted price per the inquiry line's unit (a price per case for a line in pieces is per piece)."""
    price = Decimal(quote.price or 0)
    if quote.unit == line.unit:
        return price
    line_unit_base = quantities.from_db(line.base_quantity) / quantities.from_db(line.quantity)
    return (price * line_unit_base / quantities.from_db(quote.unit_base)).quantize(PRICE_STEP)


async def _lines(conn: BaseDBAsyncClient, document_id: int) -> dict[int, DocumentLine]:
    rows = await DocumentLine.filter(document_id=document_id).using_db(conn).select_related("product")
    return {row.position: row for row in rows}


def _refuse_closed(document: Document) -> None:
    if document.type != INQUIRY:
        raise Invalid("This document is not a purchase inquiry.", field="id")
    if document.state != OPEN:
        raise IllegalTransition(f"The inquiry is {document.state}: it takes no more quotes or choices.", field="id")
