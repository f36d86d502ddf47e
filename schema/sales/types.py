from __future__ import annotations

import datetime
from decimal import Decimal as D
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.relay import page_window
from schema.scalars import Decimal
from server.partners.models import MONEY_PLACES, Address
from server.sales.models import SalesOrder as OrderRow
from server.sales.orders import GroupLine, LineProgress, value_of

MONEY_STEP = D(1).scaleb(-MONEY_PLACES)

if TYPE_CHECKING:
    from schema.sales.payments import SalesPayment


@strawberry.type(description="How far a sales order line has come, in the product's base unit.")
class SalesOrderLine:
    position: int = strawberry.field(description="The `position` of the order's document line.")
    ordered: Decimal
    cancelled: Decimal = strawberry.field(description="Will not ship.")
    shipped: Decimal
    returned: Decimal
    invoiced: Decimal
    open: Decimal = strawberry.field(description="Still to ship: ordered - cancelled - shipped.")

    @classmethod
    def of(cls, line: LineProgress) -> SalesOrderLine:
        return cls(position=line.position, ordered=line.ordered, cancelled=line.cancelled, shipped=line.shipped,  # type: ignore[arg-type]
                   returned=line.returned, invoiced=line.invoiced, open=line.open)  # type: ignore[arg-type]  # fmt: skip


@strawberry.type(description="What one warehouse ships of an order line (of a bundle's component, for a bundle).")
class FulfillmentLine:
    position: int = strawberry.field(description="The order line's position.")
    sku: str = strawberry.field(description="The product shipped: the line's, or a bundle's component.")
    quantity: Decimal = strawberry.field(description="To ship from this warehouse, shipped included.")
    shipped: Decimal
    reserved: Decimal
    waiting: Decimal = strawberry.field(description="Wanted but not reserved yet: a backorder (or pre-order).")


@strawberry.type(description="What one warehouse ships of an order: its lines there.")
class FulfillmentGroup:
    warehouse: str
    all_lines: strawberry.Private[list[FulfillmentLine]]

    @strawberry.field(description="Its lines by position: the first `first` (null: the server's page size).")
    def lines(self, info: Info, first: int | None = 100) -> list[FulfillmentLine]:
        return self.all_lines[: page_window(info, first, None).limit]


@strawberry.type(description="An address of the customer.")
class OrderAddress:
    id: int
    street: str
    city: str
    postal_code: str
    region: str
    country: str

    @classmethod
    def of(cls, row: Address | None) -> OrderAddress | None:
        if row is None:
            return None
        return cls(id=row.id, street=row.street, city=row.city, postal_code=row.postal_code, region=row.region,
                   country=row.country)  # fmt: skip


@strawberry.type(description="What only a sales order has, beside its document.")
class SalesOrderDetails:
    id: strawberry.Private[int]
    gross: strawberry.Private[D]
    channel: str = strawberry.field(description="counter, api or marketplace.")
    external_reference: str | None = strawberry.field(description="Its number on the channel: unique there.")
    warehouse: str | None = strawberry.field(description="The warehouse it all ships from; null: allocated.")
    ship_to: OrderAddress | None
    bill_to: OrderAddress | None
    shipping_policy: str = strawberry.field(description="ship_available (the rest waits) or ship_complete.")
    reservation: str = strawberry.field(description="on_confirm, manual or before_ship.")
    reserve_days_before: int
    allocation_strategy: str = strawberry.field(description="priority (the store's warehouse order) or most_stock.")
    priority: int
    ship_on: datetime.date | None
    promised_on: datetime.date | None
    net_days: int = strawberry.field(description="Payment terms: due this many days after the invoice.")
    end_of_month: bool
    fulfillment: str = strawberry.field(description="unfulfilled, partial, fulfilled, partly_returned or returned.")
    payment: str = strawberry.field(description="none, partial, paid or refunded.")
    invoicing: str = strawberry.field(description="not_invoiced, partial or invoiced.")
    paid: Decimal = strawberry.field(description="Payments less refunds, in the order's currency.")
    revision: int = strawberry.field(description="Raised by each amendment of the confirmed order.")
    confirmed_at: datetime.datetime | None

    @strawberry.field(description="What is still to pay: the order's gross less what was cancelled and paid.")
    async def balance_due(self, info: Info) -> Decimal:
        lines = await info.context.loaders.sales.progress.load(self.id)
        value = value_of(lines) if lines else self.gross
        return (value - D(self.paid)).quantize(MONEY_STEP)  # type: ignore[return-value]

    @classmethod
    def of(cls, row: OrderRow, gross: D) -> SalesOrderDetails:
        return cls(
            id=row.id, gross=gross, channel=str(row.channel), external_reference=row.external_reference,
            warehouse=row.warehouse.code if row.warehouse else None, ship_to=OrderAddress.of(row.ship_to),
            bill_to=OrderAddress.of(row.bill_to), shipping_policy=str(row.shipping_policy),
            reservation=str(row.reservation), reserve_days_before=row.reserve_days_before,
            allocation_strategy=str(row.allocation_strategy), priority=row.priority, ship_on=row.ship_on,
            promised_on=row.promised_on, net_days=row.net_days, end_of_month=row.end_of_month,
            fulfillment=str(row.fulfillment), payment=str(row.payment), invoicing=str(row.invoicing),
            paid=D(row.paid), revision=row.revision, confirmed_at=row.confirmed_at,  # type: ignore[arg-type]
        )  # fmt: skip

    @strawberry.field(
        description="Its lines with what each has come to, by position: the first `first` (null: the server's page"
        " size) after the line `afterPosition`."
    )
    async def lines(self, info: Info, first: int | None = 100, after_position: int | None = None) -> list[
        SalesOrderLine
    ]:  # fmt: skip
        size = page_window(info, first, None).limit
        rows = await info.context.loaders.sales.progress.load(self.id)
        return [SalesOrderLine.of(line) for line in rows if line.position > (after_position or 0)][:size]

    @strawberry.field(description="Its fulfillment groups, one per warehouse that ships part of it, by warehouse.")
    async def fulfillment_groups(self, info: Info) -> list[FulfillmentGroup]:
        by_warehouse: dict[str, list[GroupLine]] = {}
        for line in await info.context.loaders.sales.groups.load(self.id):
            by_warehouse.setdefault(line.warehouse_code, []).append(line)
        return [
            FulfillmentGroup(warehouse=code, all_lines=[
                FulfillmentLine(position=g.position, sku=g.sku, quantity=g.quantity, shipped=g.shipped,  # type: ignore[arg-type]
                                reserved=g.reserved, waiting=g.waiting)  # type: ignore[arg-type]
                for g in lines
            ])
            for code, lines in by_warehouse.items()
        ]  # fmt: skip

    @strawberry.field(
        description="Its payments and refunds, oldest first: the first `first` (null: the server's page size)."
    )
    async def payments(
        self, info: Info, first: int | None = 50
    ) -> list[Annotated[SalesPayment, strawberry.lazy("schema.sales.payments")]]:
        from schema.sales.payments import SalesPayment

        rows = await info.context.loaders.sales.payments.load(self.id)
        return [SalesPayment.from_model(row) for row in rows[: page_window(info, first, None).limit]]
