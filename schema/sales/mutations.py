from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.documents.mutations import DocumentLineInput, DocumentPayload, _shown
from schema.documents.types import document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.purchasing.mutations import AmendedLineInput
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents import service
from server.sales import changes, confirming, orders, policy
from server.sales.models import SalesPolicy

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."


@strawberry.input
class CreateSalesOrderInput:
    customer: str = strawberry.field(description="The code of the customer.")
    store: str = strawberry.field(description="The code of the store that sells.")
    lines: list[DocumentLineInput] = strawberry.field(
        description="Prices from the customer's price list when not given."
    )
    channel: str = strawberry.field(default="counter", description="counter, api or marketplace.")
    external_reference: str | None = strawberry.field(
        default=None, description="Its number on the channel: an order sent again with it is the order made first."
    )
    warehouse: str | None = strawberry.field(
        default=None, description="Ship everything from this warehouse of the store; null: allocate by the strategy."
    )
    ship_to: int | None = strawberry.field(default=None, description="The id of a shipping address of the customer.")
    bill_to: int | None = strawberry.field(default=None, description="The id of a billing address of the customer.")
    shipping_policy: str = strawberry.field(
        default="ship_available",
        description="ship_available (ship what is here, the rest is a backorder) or ship_complete.",
    )
    reservation: str = strawberry.field(
        default="on_confirm", description="on_confirm, manual, or before_ship (reserveDaysBefore the shipOn date)."
    )
    reserve_days_before: int = 0
    allocation_strategy: str = strawberry.field(
        default="priority", description="priority (the store's warehouses in order) or most_stock."
    )
    priority: int = strawberry.field(default=0, description="Of its reservations, from -1000 to 1000: higher first.")
    ship_on: datetime.date | None = None
    promised_on: datetime.date | None = strawberry.field(
        default=None, description="Waiting demand is served by priority, then this date, then confirmation time."
    )
    currency: str | None = strawberry.field(default=None, description="The customer's, else the store's.")
    notes: str | None = None
    marks: list[str] | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)

    def header(self) -> orders.OrderHeader:
        return orders.OrderHeader(
            self.customer, self.store, self.channel, self.external_reference, self.warehouse, self.ship_to,
            self.bill_to, self.shipping_policy, self.reservation, self.reserve_days_before, self.allocation_strategy,
            self.priority, self.ship_on, self.promised_on, self.currency, self.notes, tuple(self.marks or ()),
        )  # fmt: skip


@strawberry.input
class SalesOrderActionInput:
    id: strawberry.ID
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CancelSalesOrderRemainingInput:
    id: strawberry.ID
    positions: list[int] = strawberry.field(description="The lines whose remainder will not ship.")
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class AmendSalesOrderInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read: if it changed since, the amendment is STALE.")
    lines: list[AmendedLineInput] = strawberry.field(description="The order's lines as they are to be, all of them.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class MoveFulfillmentGroupInput:
    id: strawberry.ID
    from_warehouse: str
    to_warehouse: str
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SetSalesPolicyInput:
    store: str
    max_discount_percent: Decimal | None = strawberry.field(
        default=None, description="A line discounted more needs approval to confirm; null: any discount."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class SalesPolicyPayload(Payload):
    store: str | None = None
    max_discount_percent: Decimal | None = None


def _approver(info: Info) -> bool:
    principal = info.context.principal
    return principal is not None and principal.can(Permission.DOCUMENTS_APPROVE)


@strawberry.type
class SalesMutation:
    @mutation(Permission.SALES_MANAGE, description="A draft sales order (one per channel reference).")
    async def create_sales_order(self, info: Info, input: CreateSalesOrderInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: orders.create_order(input.header(), [line.line() for line in input.lines],
                                        actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Confirm a draft order: past the customer's credit limit or the store's discount limit only a user"
        " with documents.approve may; its lines are allocated to warehouses and reserved.",
    )
    async def confirm_sales_order(self, info: Info, input: SalesOrderActionInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: confirming.confirm_order(document_id(input.id), version=input.version, can_approve=_approver(info),
                                             actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Cancel an order: what is not shipped is cancelled and its reservations released.",
    )
    async def cancel_sales_order(self, info: Info, input: SalesOrderActionInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: changes.cancel_order(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                         idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.SALES_MANAGE, description="Cancel what is left to ship of some lines of a confirmed order.")
    async def cancel_sales_order_remaining(self, info: Info, input: CancelSalesOrderRemainingInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: changes.cancel_remaining(document_id(input.id), input.positions, version=input.version,
                                             actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Amend a confirmed order in place: only what is not shipped changes; reserved again, credit and"
        " discounts checked again.",
    )
    async def amend_sales_order(self, info: Info, input: AmendSalesOrderInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: changes.amend_order(
                document_id(input.id), [service.Amended(line.position, line.line()) for line in input.lines],
                version=input.version, can_approve=_approver(info), actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.SALES_MANAGE, description="Reserve what a confirmed order still has to ship.")
    async def reserve_sales_order(self, info: Info, input: SalesOrderActionInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: confirming.reserve_order(document_id(input.id), reserve=True, version=input.version,
                                             actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.SALES_MANAGE, description="Release an order's reservations (its allocation stays).")
    async def release_sales_order(self, info: Info, input: SalesOrderActionInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: confirming.reserve_order(document_id(input.id), reserve=False, version=input.version,
                                             actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Ship what one warehouse has left to ship of an order from another: re-reserved in one step.",
    )
    async def move_fulfillment_group(self, info: Info, input: MoveFulfillmentGroupInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: confirming.move_group(document_id(input.id), input.from_warehouse, input.to_warehouse,
                                          version=input.version, actor_id=info.context.user_id,
                                          idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.SALES_MANAGE, description="A store's sales policy: the discount that needs approval.")
    async def set_sales_policy(self, info: Info, input: SetSalesPolicyInput) -> SalesPolicyPayload:
        async def shown(row: SalesPolicy) -> SalesPolicyPayload:
            await row.fetch_related("store")
            return SalesPolicyPayload(store=row.store.code, max_discount_percent=row.max_discount_percent)  # type: ignore[arg-type]

        return await answer(
            SalesPolicyPayload,
            lambda: policy.set_policy(input.store, max_discount_percent=input.max_discount_percent,
                                      actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            shown,
        )  # fmt: skip
