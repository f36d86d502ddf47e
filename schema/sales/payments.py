"""Payments on sales orders over GraphQL: record one, refund, and find them."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.mutations import Payload, answer, mutation
from schema.nodes import Fetchable
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents.models import Document as DocumentRow
from server.errors import DomainError
from server.sales import payments
from server.sales.payment_models import SalesPayment as PaymentRow


@strawberry.type(description="A payment received for a sales order, or a refund of one, in the order's currency.")
class SalesPayment(Fetchable, relay.Node):
    view_permission = Permission.SALES_VIEW
    max_id = 2**63 - 1
    id: relay.NodeID[int]
    order_id: strawberry.Private[int]
    kind: str = strawberry.field(description="payment or refund.")
    method: str = strawberry.field(description="cash, card, bank_transfer or cash_on_delivery.")
    amount: Decimal = strawberry.field(description="Above zero; a refund pays it back.")
    currency: str
    reference: str = strawberry.field(description="A card slip or bank statement reference; empty when none.")
    note: str
    received_on: datetime.date
    created_by: str | None = strawberry.field(description="Who booked it.")
    created_at: datetime.datetime

    @classmethod
    def from_model(cls, row: PaymentRow) -> SalesPayment:
        return cls(
            id=row.id, order_id=row.order_id, kind=str(row.kind), method=str(row.method), amount=row.amount,  # type: ignore[attr-defined]
            currency=row.currency, reference=row.reference, note=row.note, received_on=row.received_on,
            created_by=row.created_by.username if row.created_by else None, created_at=row.created_at,
        )  # fmt: skip

    @strawberry.field(description="The sales order it pays.")
    async def order(self, info: Info) -> Document | None:
        row = await info.context.loaders.documents.documents.load(self.order_id)
        return Document.from_model(row) if row else None

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await payments.payments_by_ids(ids)}


@strawberry.type(name="SalesPaymentConnection")
class SalesPaymentConnection(relay.Connection[SalesPayment]):
    pass


@strawberry.input
class SalesPaymentInput:
    order: strawberry.ID = strawberry.field(description="The id of the sales order (a Document).")
    amount: Decimal = strawberry.field(
        description="In the order's currency, above zero, with at most the currency's decimal places."
    )
    method: str = strawberry.field(description="cash, card, bank_transfer or cash_on_delivery.")
    reference: str | None = strawberry.field(default=None, description="A card slip or bank statement reference.")
    note: str | None = None
    idempotency_key: str = strawberry.field(
        description="Required: a key of your choosing (a UUID) per payment. A retry with it books nothing more and"
        " answers the payment booked first."
    )


@strawberry.input
class SalesPaymentFilter:
    customer: str | None = strawberry.field(default=None, description="The code of the customer.")
    kind: str | None = strawberry.field(default=None, description="payment or refund.")
    method: str | None = None
    received_from: datetime.date | None = strawberry.field(default=None, description="On or after this day.")
    received_to: datetime.date | None = strawberry.field(default=None, description="On or before this day.")


@strawberry.type
class SalesPaymentPayload(Payload):
    payment: SalesPayment | None = None
    order: Document | None = strawberry.field(default=None, description="The order, with its paid amount and status.")


def _order_id(raw: str) -> int:
    try:
        return document_id(raw, "order")
    except DomainError as error:
        raise error.at("order") from None


async def _shown(booked: payments.Booked) -> SalesPaymentPayload:
    order = await DocumentRow.get(id=booked.order.id).select_related("store", "party", "approved_by")
    payment = await PaymentRow.get(id=booked.payment.id).select_related("created_by")
    return SalesPaymentPayload(payment=SalesPayment.from_model(payment), order=Document.from_model(order))


@strawberry.type
class SalesPaymentsMutation:
    @mutation(
        Permission.SALES_MANAGE,
        description="Book a payment received for a sales order (draft, confirmed or completed); the order's paid"
        " amount and payment status follow. More than what is still due is refused.",
    )
    async def record_sales_payment(self, info: Info, input: SalesPaymentInput) -> SalesPaymentPayload:
        return await answer(
            SalesPaymentPayload,
            lambda: payments.book_payment(_order_id(input.order), input.amount, input.method,
                                          reference=input.reference, note=input.note, actor_id=info.context.user_id,
                                          idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Book money paid back to the customer for a sales order: at most what was paid less earlier"
        " refunds.",
    )
    async def record_sales_refund(self, info: Info, input: SalesPaymentInput) -> SalesPaymentPayload:
        return await answer(
            SalesPaymentPayload,
            lambda: payments.book_payment(_order_id(input.order), input.amount, input.method, refund=True,
                                          reference=input.reference, note=input.note, actor_id=info.context.user_id,
                                          idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip


@strawberry.type
class SalesPaymentsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.SALES_VIEW)],
        description="Payments and refunds of sales orders matching the filter, oldest first.",
    )
    async def sales_payments(
        self, info: Info, filter: SalesPaymentFilter | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> SalesPaymentConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        f = filter or SalesPaymentFilter()
        query = payments.find_payments(customer=f.customer, kind=f.kind, method=f.method,
                                       received_from=f.received_from, received_to=f.received_to)  # fmt: skip
        return await paginate_queryset(SalesPaymentConnection, query, window, SalesPayment.from_model)
