"""Availability when entering an order line (server/sales/promising.py): now, incoming, and the day to promise."""

from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.sales import promising


@strawberry.type(description="A quantity a document will bring into the warehouse, and the day it is expected.")
class SalesIncoming:
    sku: str = strawberry.field(description="The product coming: the line's, or a bundle's component.")
    document_type: str
    document_number: str | None
    expected_on: datetime.date = strawberry.field(description="When it is expected (a late one counts as today).")
    quantity: Decimal = strawberry.field(description="In the product's base unit.")


@strawberry.type(description="One product a sold unit takes in a warehouse: the product, or a bundle's component.")
class SalesSupply:
    sku: str
    per_unit: Decimal = strawberry.field(description="Base units in one sold unit (1 but for a bundle's component).")
    available: Decimal = strawberry.field(description="Available now: on hand - reserved in sellable bins.")
    waiting: Decimal = strawberry.field(
        description="What orders (and other demands) there already wait for: arriving stock serves them first."
    )


@strawberry.type(description="What one warehouse of the store can give a new line.")
class SalesWarehouseAvailability:
    warehouse_code: str
    available: Decimal = strawberry.field(description="Units (whole sets of a bundle) available now.")
    promised_on: datetime.date | None = strawberry.field(
        description="With a quantity: the earliest day this warehouse alone has it; null: nothing known covers it."
    )
    supplies: list[SalesSupply]
    all_incoming: strawberry.Private[list[SalesIncoming]]

    @strawberry.field(description="What is coming, earliest first: the first `first` (null: the server's page size).")
    def incoming(self, info: Info, first: int | None = 20) -> list[SalesIncoming]:
        return self.all_incoming[: page_window(info, first, None).limit]


@strawberry.type(description="What can be promised of a product when entering an order line.")
class SalesAvailability:
    sku: str
    bundle: bool = strawberry.field(description="Sold as its components: quantities are whole sets.")
    quantity: Decimal | None
    available: Decimal = strawberry.field(description="The store's warehouses together, now.")
    promised_on: datetime.date | None = strawberry.field(
        description="With a quantity: today when the warehouses have it now, else the first day they will together"
        " (stock waited for by other orders served first); null: nothing known covers it."
    )
    warehouses: list[SalesWarehouseAvailability]

    @classmethod
    def of(cls, found: promising.Promise) -> SalesAvailability:
        return cls(
            sku=found.sku, bundle=found.bundle, quantity=found.quantity, available=found.available,  # type: ignore[arg-type]
            promised_on=found.promised_on,
            warehouses=[
                SalesWarehouseAvailability(
                    warehouse_code=w.warehouse_code, available=w.available, promised_on=w.promised_on,  # type: ignore[arg-type]
                    supplies=[SalesSupply(sku=s.sku, per_unit=s.per_unit, available=s.available, waiting=s.waiting)  # type: ignore[arg-type]
                              for s in w.supplies],
                    all_incoming=sorted(
                        (SalesIncoming(sku=s.sku, document_type=i.document_type, document_number=i.document_number,
                                       expected_on=i.expected_on, quantity=i.quantity)  # type: ignore[arg-type]
                         for s in w.supplies for i in s.incoming),
                        key=lambda i: (i.expected_on, i.sku, i.document_number or ""),
                    ),
                )
                for w in found.warehouses
            ],
        )  # fmt: skip


@strawberry.type
class SalesAvailabilityQuery:
    @strawberry.field(
        permission_classes=[require(Permission.SALES_VIEW)],
        description="For a line being entered: per warehouse of the store, what is available now and what is coming"
        " when; with `quantity` (the product's base unit; sets of a bundle), the earliest day it can be promised.",
    )
    async def sales_availability(self, store: str, sku: str, quantity: Decimal | None = None) -> SalesAvailability:
        return SalesAvailability.of(await promising.promise(store, sku, quantity))
