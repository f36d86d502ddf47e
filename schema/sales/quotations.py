"""Sales quotations over GraphQL: make, revise, send, accept or decline, and convert to an order."""

from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.documents.mutations import DocumentLineInput, DocumentPayload, _shown
from schema.documents.types import Document, DocumentConnection, document_id
from schema.mutations import IDEMPOTENCY_KEY, answer, mutation
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
from server.clock import today
from server.sales import quotations
from server.sales.quotation_models import SalesQuotation

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."


@strawberry.type(description="What only a sales quotation has: its validity, its versions and the order it became.")
class SalesQuotationDetails:
    id: strawberry.Private[int]
    original_id: strawberry.Private[int]
    previous_id: strawberry.Private[int | None]
    order_id: strawberry.Private[int | None]
    revision: int = strawberry.field(description="Which version this is: 1 for the first.")
    current: bool = strawberry.field(description="Whether this is the current version (not revised).")
    valid_until: datetime.date = strawberry.field(description="The last day it may be accepted or ordered.")
    sent_at: datetime.datetime | None

    @strawberry.field(description="Whether its validity has passed: it is neither accepted nor ordered then.")
    def expired(self) -> bool:
        return self.valid_until < today()

    @classmethod
    def of(cls, row: SalesQuotation, state: str) -> SalesQuotationDetails:
        return cls(
            id=row.id, original_id=row.original_id, previous_id=row.previous_id, order_id=row.order_id,  # type: ignore[attr-defined]
            revision=row.revision, current=state != quotations.REVISED, valid_until=row.valid_until,
            sent_at=row.sent_at,
        )  # fmt: skip

    @strawberry.field(description="The version this one revises (null for the first).")
    async def previous(self, info: Info) -> Document | None:
        return await _document(info, self.previous_id)

    @strawberry.field(description="The sales order it became (null until it is ordered).")
    async def order(self, info: Info) -> Document | None:
        return await _document(info, self.order_id)

    @strawberry.field(description="Every version of the quotation, the first first: the first `first`.")
    async def versions(self, info: Info, first: int | None = 20) -> list[Document]:
        rows = await info.context.loaders.sales.quotation_versions.load(self.original_id)
        return [Document.from_model(row) for row in rows[: page_window(info, first, None).limit]]

    @strawberry.field(description="The version in force now (this one, unless it was revised).")
    async def current_version(self, info: Info) -> Document | None:
        rows = await info.context.loaders.sales.quotation_versions.load(self.original_id)
        return Document.from_model(rows[-1]) if rows else None


async def _document(info: Info, key: int | None) -> Document | None:
    if key is None:
        return None
    row = await info.context.loaders.documents.documents.load(key)
    return Document.from_model(row) if row else None


async def quotation_details(info: Info, document: int, state: str) -> SalesQuotationDetails | None:
    row = await info.context.loaders.sales.quotations.load(document)
    return SalesQuotationDetails.of(row, state) if row else None


@strawberry.input
class CreateSalesQuotationInput:
    customer: str = strawberry.field(description="The code of the customer.")
    store: str = strawberry.field(description="The code of the store that offers.")
    lines: list[DocumentLineInput] = strawberry.field(
        description="Prices from the customer's price list when not given."
    )
    valid_until: datetime.date | None = strawberry.field(
        default=None, description=f"The last day it may be accepted; {quotations.DEFAULT_VALID_DAYS} days from today"
        " when not given."
    )  # fmt: skip
    currency: str | None = strawberry.field(default=None, description="The customer's, else the store's.")
    notes: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ReviseSalesQuotationInput:
    id: strawberry.ID
    version: int | None = strawberry.field(default=None, description=_VERSION)
    lines: list[DocumentLineInput] | None = strawberry.field(
        default=None, description="All its lines as they are to be; null keeps them (at their prices)."
    )
    valid_until: datetime.date | None = strawberry.field(
        default=None, description="A new version is valid for the default days from today when not given."
    )
    notes: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SendSalesQuotationInput:
    id: strawberry.ID
    mail: bool = strawberry.field(default=True, description="Mail its PDF; false: it was handed over.")
    to: list[str] | None = strawberry.field(default=None, description="The customer's contacts with an email.")
    subject: str | None = None
    message: str | None = None
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SalesQuotationActionInput:
    id: strawberry.ID
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ConvertSalesQuotationInput:
    id: strawberry.ID
    warehouse: str | None = strawberry.field(
        default=None, description="Ship everything from this warehouse of the store; null: allocate by the strategy."
    )
    ship_to: int | None = strawberry.field(default=None, description="The id of a shipping address of the customer.")
    bill_to: int | None = strawberry.field(default=None, description="The id of a billing address of the customer.")
    shipping_policy: str = strawberry.field(default="ship_available", description="ship_available or ship_complete.")
    promised_on: datetime.date | None = None
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SalesQuotationFilter:
    number: str | None = strawberry.field(default=None, description="Part of the number.")
    state: str | None = strawberry.field(
        default=None, description="draft, sent, accepted, declined, expired, revised, ordered or cancelled."
    )
    customer: str | None = strawberry.field(default=None, description="The code of the customer.")
    current: bool | None = strawberry.field(default=None, description="true: current versions only; false: revised.")


async def _act(info: Info, input: SalesQuotationActionInput, action: str) -> DocumentPayload:
    return await answer(
        DocumentPayload,
        lambda: quotations.act_on_quotation(document_id(input.id), action, version=input.version,
                                            actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
        _shown,
    )  # fmt: skip


@strawberry.type
class SalesQuotationsMutation:
    @mutation(Permission.SALES_MANAGE, description="A draft quotation for a customer (version 1).")
    async def create_sales_quotation(self, info: Info, input: CreateSalesQuotationInput) -> DocumentPayload:
        header = quotations.QuotationHeader(input.customer, input.store, input.valid_until, input.currency,
                                            input.notes)  # fmt: skip
        return await answer(
            DocumentPayload,
            lambda: quotations.create_quotation(header, [line.line() for line in input.lines],
                                                actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Change a quotation: a draft in place; a sent, accepted, declined or expired one becomes a new"
        " draft version (answered), the old one kept as it was, revised.",
    )
    async def revise_sales_quotation(self, info: Info, input: ReviseSalesQuotationInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: quotations.revise_quotation(
                document_id(input.id), version=input.version,
                lines=[line.line() for line in input.lines] if input.lines is not None else None,
                valid_until=input.valid_until, notes=input.notes, actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.SALES_MANAGE, description="Send the current version to the customer: its PDF by mail.")
    async def send_sales_quotation(self, info: Info, input: SendSalesQuotationInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: quotations.send_quotation(
                document_id(input.id), version=input.version, mail=input.mail, to=input.to, subject=input.subject,
                message=input.message, queue=info.context.queue, actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.SALES_MANAGE, description="The customer accepted a sent quotation (while it is valid).")
    async def accept_sales_quotation(self, info: Info, input: SalesQuotationActionInput) -> DocumentPayload:
        return await _act(info, input, quotations.ACCEPT)

    @mutation(Permission.SALES_MANAGE, description="The customer declined a sent quotation.")
    async def decline_sales_quotation(self, info: Info, input: SalesQuotationActionInput) -> DocumentPayload:
        return await _act(info, input, quotations.DECLINE)

    @mutation(Permission.SALES_MANAGE, description="Mark a sent or accepted quotation past its validity expired.")
    async def expire_sales_quotation(self, info: Info, input: SalesQuotationActionInput) -> DocumentPayload:
        return await _act(info, input, quotations.EXPIRE)

    @mutation(Permission.SALES_MANAGE, description="Cancel a draft, sent or accepted quotation.")
    async def cancel_sales_quotation(self, info: Info, input: SalesQuotationActionInput) -> DocumentPayload:
        return await _act(info, input, quotations.CANCEL)

    @mutation(
        Permission.SALES_MANAGE,
        description="The draft sales order a valid quotation (its current version: draft, sent or accepted) becomes,"
        " at its prices and discounts, each line linked to the quotation line; asked again, the same order.",
    )
    async def convert_sales_quotation(self, info: Info, input: ConvertSalesQuotationInput) -> DocumentPayload:
        terms = quotations.OrderTerms(input.warehouse, input.ship_to, input.bill_to, input.shipping_policy,
                                      input.promised_on)  # fmt: skip
        return await answer(
            DocumentPayload,
            lambda: quotations.order_quotation(document_id(input.id), terms, version=input.version,
                                               actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip


@strawberry.type
class SalesQuotationsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.SALES_VIEW)],
        description="Sales quotations (every version) matching the filter, oldest first; each one's"
        " `salesQuotation` has its validity and versions.",
    )
    async def sales_quotations(
        self, info: Info, filter: SalesQuotationFilter | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> DocumentConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        f = filter or SalesQuotationFilter()
        query = quotations.find_quotations(number=f.number, state=f.state, customer=f.customer, current=f.current)
        return await paginate_queryset(
            DocumentConnection, query.select_related("store", "party", "approved_by"), window, Document.from_model,
        )  # fmt: skip
