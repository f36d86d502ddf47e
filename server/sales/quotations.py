"""Sales quotations: an offer to a customer, valid until a day, in versions, that becomes a sales order.

A quotation is a ``sales.quotation`` document on the kernel (lines priced from the customer's price list,
taxes, totals, PDF, mail) with a ``sales_quotation`` row for its validity and version. Its states::

    draft → sent → accepted → ordered;  sent → declined;  sent, accepted → expired;
    draft, sent, accepted → cancelled;  draft, sent, accepted → ordered (an order placed at once)

A draft is edited in place (``revise_quotation``, or the kernel's ``updateDocument`` for its lines). Once
sent, a change is a new version: the old document becomes ``revised`` and stays as the customer saw it,
and a new draft document numbered ``<first number>-R<n>`` points back at it; the current version is the
one not revised. Only the current version may be sent, accepted or ordered.

Ordering a quotation makes a draft sales order in the same command, its lines at the quotation's prices
and discounts and each linked to the quotation line it came from (``document_line_link``); the quotation
keeps the order, so ordering it again answers that order and never makes a second. A quotation whose
``valid_until`` has passed is neither accepted nor ordered: revise it for a new validity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from server.clock import now, today
from server.commands import Command, Write
from server.db import connection
from server.documents import output, service
from server.documents.errors import Stale
from server.documents.kinds import CANCELLED, DRAFT, DocumentKind, IllegalTransition, Transition, register
from server.documents.lines import CheckedLine, LineInput, check_lines
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.errors import Invalid
from server.jobs.queue import JobQueue
from server.partners.models import PARTY_CODE, Party, PartyRole
from server.partners.service import require_party, require_store
from server.purchasing.orders import write_new_document
from server.sales import orders
from server.sales.models import Channel, ShippingPolicy
from server.sales.quotation_models import SalesQuotation

QUOTATION = "sales.quotation"
SENT, ACCEPTED, DECLINED, EXPIRED, REVISED, ORDERED = "sent", "accepted", "declined", "expired", "revised", "ordered"
SEND, ACCEPT, DECLINE, EXPIRE = "send", "accept", "decline", "expire"
REVISE, ORDER, CANCEL = "revise", "order", "cancel"
OPEN = frozenset({DRAFT, SENT, ACCEPTED})  # may still be ordered
DEFAULT_VALID_DAYS = 30
MAX_VALID_DAYS = 366
MAX_REVISIONS = 99
ACTIONS = (ACCEPT, DECLINE, EXPIRE, CANCEL)  # what ``act_on_quotation`` takes; the others have their own calls


async def _printed_details(conn: BaseDBAsyncClient, document: Document) -> list[str]:
    """A quotation says until when it holds, and which version it is."""
    version = await SalesQuotation.get_or_none(id=document.id, using_db=conn)
    if version is None:
        return []
    revision = [f"Revision: {version.revision}"] if version.revision > 1 else []
    return [f"Valid until: {version.valid_until.isoformat()}", *revision]


QUOTATION_KIND = register(DocumentKind(
    type=QUOTATION, title="Sales quotation", prefix="QT", party_role=PartyRole.CUSTOMER, party_required=True,
    made_by="createSalesQuotation", numbered_when_made=True,
    transitions=(
        Transition(SEND, frozenset({DRAFT, SENT}), SENT),
        Transition(ACCEPT, frozenset({SENT}), ACCEPTED),
        Transition(DECLINE, frozenset({SENT}), DECLINED),
        Transition(EXPIRE, frozenset({SENT, ACCEPTED}), EXPIRED),
        Transition(REVISE, frozenset({SENT, ACCEPTED, DECLINED, EXPIRED}), REVISED),
        Transition(ORDER, OPEN, ORDERED),
        Transition(CANCEL, OPEN, CANCELLED),
    ),
    own_actions=frozenset({SEND, ACCEPT, DECLINE, EXPIRE, REVISE, ORDER, CANCEL}),
    printed_details=_printed_details,
))  # fmt: skip


@dataclass(frozen=True)
class QuotationHeader:
    customer: str
    store: str
    valid_until: date | None = None  # None: DEFAULT_VALID_DAYS from today
    currency: str | None = None  # None: the customer's, else the store's
    notes: str | None = None


@dataclass(frozen=True)
class OrderTerms:
    """What the order made from a quotation takes beside its lines; None takes the order's default."""

    warehouse: str | None = None
    ship_to: int | None = None
    bill_to: int | None = None
    shipping_policy: str = ShippingPolicy.SHIP_AVAILABLE.value
    promised_on: date | None = None


@dataclass(frozen=True)
class CreateSalesQuotation(Command):
    operation = "sales_quotation.create"
    customer: str
    store: str
    valid_until: date
    currency: str | None
    notes: str | None
    lines: tuple[CheckedLine, ...]


@dataclass(frozen=True)
class ReviseSalesQuotation(Command):
    operation = "sales_quotation.revise"
    document_id: int
    version: int | None
    valid_until: date | None
    notes: str | None
    lines: tuple[CheckedLine, ...] | None


@dataclass(frozen=True)
class SendSalesQuotation(Command):
    operation = "sales_quotation.send"
    document_id: int
    version: int | None
    mail: bool
    to: tuple[str, ...]
    subject: str | None
    message: str


@dataclass(frozen=True)
class ActOnSalesQuotation(Command):
    operation = "sales_quotation.act"
    document_id: int
    version: int | None
    action: str


@dataclass(frozen=True)
class OrderSalesQuotation(Command):
    operation = "sales_quotation.order"
    document_id: int
    version: int | None
    warehouse: str | None
    ship_to: int | None
    bill_to: int | None
    shipping_policy: str
    promised_on: date | None


def _validity(given: date | None) -> date:
    if given is None:
        return today() + timedelta(days=DEFAULT_VALID_DAYS)
    if not isinstance(given, date):
        raise Invalid("Dates are written YYYY-MM-DD.", field="validUntil")
    if given < today():
        raise Invalid(f"A quotation is valid until today ({today().isoformat()}) or later.", field="validUntil")
    if given > today() + timedelta(days=MAX_VALID_DAYS):
        raise Invalid(f"A quotation is valid for at most {MAX_VALID_DAYS} days.", field="validUntil")
    return given


def _notes(notes: str | None) -> str | None:
    return (service.NOTES.optional(notes, "notes") or "") if notes is not None else None


async def create_quotation(
    header: QuotationHeader, lines: list[LineInput], *, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """A draft quotation (version 1) for a customer; lines priced from the customer's price list unless a price
    is given."""
    conn = connection()
    valid_until = _validity(header.valid_until)
    notes = _notes(header.notes)
    if not lines:
        raise Invalid("A quotation offers at least one line.", field="lines")
    customer = await require_party(conn, header.customer, field="customer", role=PartyRole.CUSTOMER)
    store = await require_store(conn, header.store, field="store")
    checked, _, _ = await check_lines(conn, QUOTATION_KIND, lines)
    currency = header.currency or customer.currency
    command = CreateSalesQuotation(customer.code, store.code, valid_until, currency, notes, tuple(checked))

    async def run(write: Write) -> Document:
        document = await service.create_within(write, QUOTATION, store.id, lines,
                                               header=service.Header(party=customer.code, currency=currency,
                                                                     notes=notes))  # fmt: skip
        await SalesQuotation.create(id=document.id, original_id=document.id, revision=1, valid_until=valid_until,
                                    using_db=write.conn)  # fmt: skip
        return document

    return await write_new_document(command, run, actor_id, idempotency_key)


async def revise_quotation(
    document_id: int, *, version: int | None, lines: list[LineInput] | None = None, valid_until: date | None = None,
    notes: str | None = None, actor_id: int | None, idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Change a quotation: a draft in place; a sent, accepted, declined or expired one as a new draft version
    (its lines copied unless ``lines`` are given, valid for ``valid_until`` or the default from today), the old
    version kept as it was, ``revised``. Answers the version changed or made."""
    checked_until = _validity(valid_until) if valid_until is not None else None
    checked_notes = _notes(notes)
    if lines is not None and not lines:
        raise Invalid("A quotation offers at least one line.", field="lines")
    checked = (await check_lines(connection(), QUOTATION_KIND, lines))[0] if lines is not None else None
    command = ReviseSalesQuotation(document_id, version, checked_until, checked_notes,
                                   tuple(checked) if checked is not None else None)  # fmt: skip

    async def run(write: Write, document: Document) -> Document:
        quotation = await _quotation(write.conn, document)
        if document.state == DRAFT:
            if lines is not None or checked_notes is not None:
                given = lines if lines is not None else await _lines_as_given(write.conn, document.id)
                document = await service.rewrite_within(write, document.id, document.version, given,
                                                        notes=checked_notes)  # fmt: skip
            else:
                document = await _touched(write, document)
            if checked_until is not None:
                quotation.valid_until = checked_until
                await quotation.save(using_db=write.conn, update_fields=["valid_until"])
            return document
        await _refuse_unless_current(write.conn, document, quotation, "revised")
        if quotation.revision >= MAX_REVISIONS:
            raise Invalid(f"A quotation has at most {MAX_REVISIONS} versions: make a new one.", field="id")
        await service.transition(write, document, REVISE, None)
        return await _new_version(write, document, quotation, lines, checked_until, checked_notes)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def _new_version(
    write: Write, previous: Document, quotation: SalesQuotation, lines: list[LineInput] | None,
    valid_until: date | None, notes: str | None,
) -> Document:  # fmt: skip
    conn = write.conn
    original = await Document.get(id=quotation.original_id, using_db=conn)  # type: ignore[attr-defined]
    revision = quotation.revision + 1
    suffix = f"-R{revision}"
    document = Document(
        type=QUOTATION, state=DRAFT, store_id=previous.store_id, party_id=previous.party_id,  # type: ignore[attr-defined]
        business_date=today(), currency=previous.currency, prices_include_tax=previous.prices_include_tax,
        notes=previous.notes, marks=list(previous.marks), number=(original.number or "QT")[: 64 - len(suffix)] + suffix,
        created_by_id=write.actor_id, updated_by_id=write.actor_id,
    )  # fmt: skip
    await document.save(using_db=conn)
    given = lines if lines is not None else await _lines_as_given(conn, previous.id)
    document = await service.rewrite_within(write, document.id, document.version, given, notes=notes)
    await SalesQuotation.create(
        id=document.id, original_id=quotation.original_id, previous_id=previous.id, revision=revision,  # type: ignore[attr-defined]
        valid_until=valid_until or today() + timedelta(days=DEFAULT_VALID_DAYS), using_db=conn,
    )  # fmt: skip
    return document


async def _lines_as_given(conn: BaseDBAsyncClient, document_id: int) -> list[LineInput]:
    """A document's lines as a caller would send them again, at their prices and discounts."""
    rows = await DocumentLine.filter(document_id=document_id).using_db(conn).order_by("position").select_related(
        "product"
    )  # fmt: skip
    return [LineInput(row.product.sku, Decimal(row.quantity), row.unit, Decimal(row.price),
                      Decimal(row.discount_percent), notes=row.notes) for row in rows]  # fmt: skip


async def send_quotation(
    document_id: int, *, version: int | None, mail: bool = True, to: list[str] | None = None,
    subject: str | None = None, message: str | None = None, queue: JobQueue | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Mark a quotation sent (again, after a change of mind about whom to send it to), mailing its PDF to the
    customer's contacts (or ``to``) in the same write unless ``mail`` is False (handed over on paper)."""
    given_subject = output.SUBJECT.optional(subject, "subject") if subject is not None else None
    text = (output.MESSAGE.optional(message, "message") or "") if message is not None else ""
    command = SendSalesQuotation(document_id, version, bool(mail), tuple(to or ()), given_subject, text)

    async def run(write: Write, document: Document) -> Document:
        quotation = await _quotation(write.conn, document)
        await _refuse_unless_current(write.conn, document, quotation, "sent")
        _refuse_expired(quotation, "sent")
        document = await service.transition(write, document, SEND, None)
        if command.mail:
            await output.mail_within(write, document, command.to, given_subject, text, queue=queue)
        quotation.sent_at = now()
        await quotation.save(using_db=write.conn, update_fields=["sent_at"])
        return document

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def act_on_quotation(
    document_id: int, action: str, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Accept, decline, expire or cancel a quotation: accepting one past its validity is refused, and only one
    past it expires."""
    if action not in ACTIONS:
        raise Invalid(f"The actions here are {', '.join(ACTIONS)}.", field="action")

    async def run(write: Write, document: Document) -> Document:
        quotation = await _quotation(write.conn, document)
        if action == ACCEPT:
            await _refuse_unless_current(write.conn, document, quotation, "accepted")
            _refuse_expired(quotation, "accepted")
        if action == EXPIRE and quotation.valid_until >= today():
            raise Invalid(f"The quotation is valid until {quotation.valid_until.isoformat()}: it has not expired.",
                          field="action")  # fmt: skip
        return await service.transition(write, document, action, None)

    return await service.write_document(ActOnSalesQuotation(document_id, version, action), document_id, version,
                                        run, actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def expire_due(*, actor_id: int | None = None) -> int:
    """Expire every sent or accepted quotation whose validity has passed (a daily job): how many did."""
    past = await SalesQuotation.filter(valid_until__lt=today(), order_id__isnull=True).values_list("id", flat=True)
    due = await Document.filter(id__in=list(past), type=QUOTATION, state__in=[SENT, ACCEPTED]).values_list(
        "id", flat=True
    )  # fmt: skip
    expired = 0
    for document_id in due:
        try:
            await act_on_quotation(int(str(document_id)), EXPIRE, version=None, actor_id=actor_id)
        except IllegalTransition:  # ordered or cancelled meanwhile
            continue
        expired += 1
    return expired


async def order_quotation(
    document_id: int, terms: OrderTerms, *, version: int | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """The draft sales order a valid, open quotation becomes: its lines at the quotation's prices and discounts,
    each linked to its quotation line. A quotation ordered already answers its order."""
    policy = orders.choice(ShippingPolicy, terms.shipping_policy, "shippingPolicy")
    command = OrderSalesQuotation(document_id, version, terms.warehouse[:64] if terms.warehouse else None,
                                  terms.ship_to, terms.bill_to, policy.value, terms.promised_on)  # fmt: skip

    async def run(write: Write, document: Document) -> Document:
        quotation = await _quotation(write.conn, document)
        if quotation.order_id is not None:  # type: ignore[attr-defined]
            return document  # ordered already: that order, never a second (whatever version was read)
        if version is not None and document.version != version:
            raise Stale(f"The quotation changed since you read it (version {version}; it is now"
                        f" {document.version}): read it again.", field="version")  # fmt: skip
        await _refuse_unless_current(write.conn, document, quotation, "ordered")
        _refuse_expired(quotation, "ordered")
        order = await _order_within(write, document, terms, policy)
        await service.transition(write, document, ORDER, None)
        quotation.order_id = order.id  # type: ignore[attr-defined]
        await quotation.save(using_db=write.conn, update_fields=["order_id"])
        return document

    done = await service.write_document(command, document_id, None, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip
    ordered = await SalesQuotation.get(id=done.id)
    return await Document.get(id=ordered.order_id)  # type: ignore[attr-defined]


async def _order_within(write: Write, document: Document, terms: OrderTerms, policy: ShippingPolicy) -> Document:
    conn = write.conn
    customer = await Party.get(id=document.party_id).using_db(conn)  # type: ignore[attr-defined]
    warehouse = (await orders.store_warehouse(conn, document.store_id, terms.warehouse)  # type: ignore[attr-defined]
                 if terms.warehouse is not None else None)  # fmt: skip
    ship_to = await orders.customer_address(conn, customer, terms.ship_to, "shipTo")
    bill_to = await orders.customer_address(conn, customer, terms.bill_to, "billTo")
    source = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position")
    header = service.Header(party=customer.code, currency=document.currency,
                            prices_include_tax=document.prices_include_tax,
                            notes=f"From quotation {document.number}.")  # fmt: skip
    order = await orders.new_order_within(
        write, customer, document.store_id, await _lines_as_given(conn, document.id), header,  # type: ignore[attr-defined]
        channel=Channel.COUNTER, warehouse_id=warehouse.id if warehouse else None,
        ship_to_id=ship_to.id if ship_to else None, bill_to_id=bill_to.id if bill_to else None,
        shipping_policy=policy, promised_on=terms.promised_on,
    )  # fmt: skip
    made = await DocumentLine.filter(document_id=order.id).using_db(conn).order_by("position")
    await DocumentLineLink.bulk_create(
        [DocumentLineLink(line_id=line.id, source_id=quoted.id, quantity=line.base_quantity)
         for quoted, line in zip(source, made, strict=True)],
        using_db=conn,
    )  # fmt: skip
    return order


async def _touched(write: Write, document: Document) -> Document:
    document.version += 1
    document.updated_by_id = write.actor_id  # type: ignore[attr-defined]
    await document.save(using_db=write.conn, update_fields=["version", "updated_by_id", "updated_at"])
    return document


async def _quotation(conn: BaseDBAsyncClient, document: Document) -> SalesQuotation:
    if document.type != QUOTATION:
        raise Invalid("This document is not a sales quotation.", field="id")
    return await SalesQuotation.get(id=document.id, using_db=conn)


async def _refuse_unless_current(conn: BaseDBAsyncClient, document: Document, quotation: SalesQuotation,
                                 doing: str) -> None:  # fmt: skip
    if document.state != REVISED:
        return
    current = await current_version(conn, quotation.original_id)  # type: ignore[attr-defined]
    raise IllegalTransition(
        f"Version {quotation.revision} was revised: the current version is {current.number} (version"
        f" {await _revision_of(conn, current.id)}); only that one is {doing}.",
        field="id",
    )  # fmt: skip


def _refuse_expired(quotation: SalesQuotation, doing: str) -> None:
    if quotation.valid_until < today():
        raise IllegalTransition(
            f"The quotation expired on {quotation.valid_until.isoformat()}: it is not {doing} as it is. Revise it"
            " for a new validity.",
            field="id",
        )  # fmt: skip


async def current_version(conn: BaseDBAsyncClient, original_id: int) -> Document:
    """The version of a quotation that is not revised (the latest)."""
    latest = await SalesQuotation.filter(original_id=original_id).using_db(conn).order_by("-revision").first()
    assert latest is not None
    return await Document.get(id=latest.id, using_db=conn)


async def _revision_of(conn: BaseDBAsyncClient, document_id: int) -> int:
    return (await SalesQuotation.get(id=document_id, using_db=conn)).revision


# ---- reads ----


async def quotations_by_ids(ids: list[int]) -> list[SalesQuotation]:
    return await SalesQuotation.filter(id__in=ids)


async def versions_of(original_ids: list[int]) -> dict[int, list[Document]]:
    """Per quotation (its first version's id), every version's document, first version first."""
    grouped: dict[int, list[Document]] = {i: [] for i in original_ids}
    rows = await SalesQuotation.filter(original_id__in=original_ids).order_by("original_id", "revision")
    documents = {d.id: d for d in await Document.filter(id__in=[r.id for r in rows]).select_related(
        "store", "party", "approved_by")}  # fmt: skip
    for row in rows:
        grouped[row.original_id].append(documents[row.id])  # type: ignore[attr-defined]
    return grouped


def find_quotations(
    *, number: str | None = None, state: str | None = None, customer: str | None = None, current: bool | None = None
) -> QuerySet[Document]:
    """Quotations matching every filter given (``current``: only versions not revised, or only revised ones)."""
    query = Document.filter(type=QUOTATION)
    for given, spec, lookup in ((number, service.NUMBER_PART, "number__icontains"), (state, service.STATE, "state"),
                                (customer, PARTY_CODE, "party__code")):  # fmt: skip
        if given is None or not given.strip():
            continue
        key = spec.key(given)
        if key is None:
            return Document.filter(id__in=[])
        query = query.filter(**{lookup: key})
    if current is True:
        query = query.exclude(state=REVISED)
    elif current is False:
        query = query.filter(state=REVISED)
    return query
