from __future__ import annotations

from decimal import Decimal as PyDecimal
from typing import Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.inventory.types import Warehouse
from schema.nodes import Fetchable
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.partners import models


def _fixed(value: object, places: int) -> Decimal:
    """A stored amount with the places its column keeps, however it was read (a default, SQLite, PostgreSQL)."""
    return Decimal(PyDecimal(str(value)).quantize(PyDecimal(1).scaleb(-places)))


PartyRole = strawberry.enum(models.PartyRole, name="PartyRole")
AddressKind = strawberry.enum(models.AddressKind, name="AddressKind")
TaxRounding = strawberry.enum(
    models.TaxRounding, name="TaxRounding", description="Round tax on each line, or once on the document's total."
)


@strawberry.type
class Contact:
    name: str
    phone: str | None = strawberry.field(description="As it was written.")
    email: str | None = strawberry.field(description="In lower case.")

    @classmethod
    def from_model(cls, row: models.Contact) -> Contact:
        return cls(name=row.name, phone=row.phone, email=row.email)


@strawberry.type
class Address:
    kind: AddressKind
    street: str
    city: str
    postal_code: str
    region: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, such as ES.")

    @classmethod
    def from_model(cls, row: models.Address) -> Address:
        return cls(
            kind=row.kind, street=row.street, city=row.city, postal_code=row.postal_code, region=row.region,
            country=row.country,
        )  # fmt: skip


@strawberry.type(
    description="When an invoice is due: `netDays` after its date (after the end of its month with `endOfMonth`);"
    " `discountPercent` off when paid within `discountDays`."
)
class PaymentTerms:
    net_days: int
    end_of_month: bool
    discount_days: int
    discount_percent: Decimal


@strawberry.type(description="A class of customers (retail, wholesale): it decides which price list applies.")
class CustomerClass(Fetchable, relay.Node):
    view_permission = Permission.PARTNERS_VIEW
    id: relay.NodeID[int]
    code: str
    name: str

    @classmethod
    def from_model(cls, row: models.CustomerClass) -> CustomerClass:
        return cls(id=row.id, code=row.code, name=row.name)

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.partners.customer_classes.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(description="A customer, supplier or carrier; one party may be several.")
class Party(Fetchable, relay.Node):
    view_permission = Permission.PARTNERS_VIEW
    id: relay.NodeID[int]
    code: str
    name: str
    roles: list[PartyRole]
    tax_id: str | None
    currency: str | None = strawberry.field(description="ISO 4217; null: the company's currency.")
    payment_terms: PaymentTerms
    notes: str
    marks: list[str]
    credit_limit: Decimal | None = strawberry.field(description="Customers: null means no limit.")
    tax_exempt: bool = strawberry.field(description="Customers: no tax is charged.")
    lead_time_days: int = strawberry.field(description="Suppliers: days from order to delivery.")
    over_receipt_percent: Decimal = strawberry.field(
        description="Suppliers: how much more than ordered a receipt may take, in percent."
    )
    minimum_order_value: Decimal = strawberry.field(description="Suppliers: the smallest order they accept.")
    bill_quantity_tolerance_percent: Decimal = strawberry.field(
        description="Suppliers: how much more than received (or ordered) a bill may bill before it is held, in percent."
    )
    bill_price_tolerance_percent: Decimal = strawberry.field(
        description="Suppliers: how far a bill's price may stray from the order's before it is held, in percent."
    )
    bills_before_receipt: bool = strawberry.field(
        description="Suppliers: their bills come before the goods (matched against what was ordered)."
    )
    is_archived: bool
    customer_class_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Party) -> Party:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            roles=[models.PartyRole(role) for role in row.roles],
            tax_id=row.tax_id,
            currency=row.currency,
            payment_terms=PaymentTerms(
                net_days=row.net_days,
                end_of_month=row.end_of_month,
                discount_days=row.discount_days,
                discount_percent=_fixed(row.discount_percent, 2),
            ),
            notes=row.notes,
            marks=list(row.marks),
            credit_limit=_fixed(row.credit_limit, models.MONEY_PLACES) if row.credit_limit is not None else None,
            tax_exempt=row.tax_exempt,
            lead_time_days=row.lead_time_days,
            over_receipt_percent=_fixed(row.over_receipt_percent, 2),
            minimum_order_value=_fixed(row.minimum_order_value, models.MONEY_PLACES),
            bill_quantity_tolerance_percent=_fixed(row.bill_quantity_tolerance_percent, 2),
            bill_price_tolerance_percent=_fixed(row.bill_price_tolerance_percent, 2),
            bills_before_receipt=row.bills_before_receipt,
            is_archived=row.is_archived,
            customer_class_id=row.customer_class_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="Customers: the class that decides their price list.")
    async def customer_class(self, info: Info) -> CustomerClass | None:
        if self.customer_class_id is None:
            return None
        row = await info.context.loaders.partners.customer_classes.load(self.customer_class_id)
        return CustomerClass.from_model(row) if row else None

    @strawberry.field(description=f"At most {models.MAX_CONTACTS}, in the order they were given.")
    async def contacts(self, info: Info) -> list[Contact]:
        return [Contact.from_model(r) for r in await info.context.loaders.partners.contacts.load(self.id)]

    @strawberry.field(description=f"At most {models.MAX_ADDRESSES}, in the order they were given.")
    async def addresses(self, info: Info) -> list[Address]:
        return [Address.from_model(r) for r in await info.context.loaders.partners.addresses.load(self.id)]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.partners.parties.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(description="One of the merchant's shops or sites.")
class Store(Fetchable, relay.Node):
    view_permission = Permission.PARTNERS_VIEW
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Goes into the numbers of the store's documents.")
    name: str
    address: str
    currency: str = strawberry.field(description="ISO 4217, such as EUR.")
    tax_rounding: TaxRounding

    @classmethod
    def from_model(cls, row: models.Store) -> Store:
        return cls(
            id=row.id, code=row.code, name=row.name, address=row.address, currency=row.currency,
            tax_rounding=row.tax_rounding,
        )  # fmt: skip

    @strawberry.field(description=f"At most {models.MAX_WAREHOUSES_PER_STORE}, by code.")
    async def warehouses(self, info: Info) -> list[Warehouse]:
        return [Warehouse.from_model(w) for w in await info.context.loaders.partners.store_warehouses.load(self.id)]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.partners.stores.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(description="A user who works for one or more stores.")
class Employee(Fetchable, relay.Node):
    view_permission = Permission.PARTNERS_VIEW
    id: relay.NodeID[int]
    username: str
    name: str

    @classmethod
    def from_model(cls, row: models.Employee) -> Employee:
        return cls(id=row.id, username=row.user.username, name=row.name)

    @strawberry.field(description=f"At most {models.MAX_STORES_PER_EMPLOYEE}, by code.")
    async def stores(self, info: Info) -> list[Store]:
        return [Store.from_model(s) for s in await info.context.loaders.partners.employee_stores.load(self.id)]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.partners.employees.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(name="PartyConnection")
class PartyConnection(relay.Connection[Party]):
    pass


@strawberry.type(name="CustomerClassConnection")
class CustomerClassConnection(relay.Connection[CustomerClass]):
    pass


@strawberry.type(name="StoreConnection")
class StoreConnection(relay.Connection[Store]):
    pass


@strawberry.type(name="EmployeeConnection")
class EmployeeConnection(relay.Connection[Employee]):
    pass
