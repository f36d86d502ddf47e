from __future__ import annotations

import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.nodes import Fetchable
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.money import models, pricelists, rates
from server.money.prices import PriceAnswer as Answer


@strawberry.type
class Currency:
    code: str
    name: str
    minor_units: int = strawberry.field(description="Decimals a document rounds its totals to (0 to 4).")

    @classmethod
    def from_model(cls, row: models.Currency) -> Currency:
        return cls(code=row.code, name=row.name, minor_units=row.minor_units)


@strawberry.type(
    description="From validFrom on, one unit of the currency is worth `rate` units of the company currency."
)
class ExchangeRate(Fetchable, relay.Node):
    view_permission = Permission.PRICES_VIEW
    id: relay.NodeID[int]
    currency: str
    valid_from: datetime.date
    rate: Decimal

    @classmethod
    def from_model(cls, row: models.ExchangeRate) -> ExchangeRate:
        return cls(id=row.id, currency=row.currency.code, valid_from=row.valid_from, rate=row.rate)  # type: ignore[arg-type]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await rates.exchange_rates_by_ids(ids)}


@strawberry.type(description="The rate of a currency in force on a day.")
class RateOnDay:
    currency: str
    on: datetime.date
    rate: Decimal = strawberry.field(description="Company-currency units per one unit of the currency.")
    valid_from: datetime.date | None = strawberry.field(
        description="The day that rate started; null for the company currency, whose rate is always 1."
    )


@strawberry.type(name="ExchangeRateConnection")
class ExchangeRateConnection(relay.Connection[ExchangeRate]):
    pass


@strawberry.type
class TaxRate:
    id: strawberry.Private[int]
    code: str
    name: str
    percent: Decimal
    is_default: bool = strawberry.field(description="The tax of products whose category has none of its own.")

    @classmethod
    def from_model(cls, row: models.TaxRate, default_id: int | None = None) -> TaxRate:
        return cls(id=row.id, code=row.code, name=row.name, percent=row.percent, is_default=row.id == default_id)  # type: ignore[arg-type]

    @strawberry.field(description="The categories taxed at this rate, in alphabetical order: the first `first`.")
    async def categories(self, info: Info, first: int | None = 20) -> list[str]:
        from schema.relay import page_window

        names: list[str] = await info.context.loaders.money.categories.load(self.id)
        return names[: page_window(info, first, None).limit]


@strawberry.type
class PriceList(Fetchable, relay.Node):
    view_permission = Permission.PRICES_VIEW
    id: relay.NodeID[int]
    code: str
    name: str
    currency: str
    customer_class: str | None = strawberry.field(description="The class of customers it is for; null: everyone.")
    prices_include_tax: bool
    valid_from: datetime.date
    valid_to: datetime.date | None = strawberry.field(description="The last day it applies; null: open-ended.")
    priority: int = strawberry.field(description="Among lists for the same customers, the higher comes first.")

    @classmethod
    def from_model(cls, row: models.PriceList) -> PriceList:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            currency=row.currency.code,
            customer_class=row.customer_class.code if row.customer_class else None,
            prices_include_tax=row.prices_include_tax,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            priority=row.priority,
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await pricelists.price_lists_by_ids(ids)}


@strawberry.type(name="PriceListConnection")
class PriceListConnection(relay.Connection[PriceList]):
    pass


async def _sku(info: Info, product_id: int) -> str:
    product = await info.context.loaders.catalog.products.load(product_id)
    return product.sku if product is not None else ""


@strawberry.type
class PriceListItem(Fetchable, relay.Node):
    view_permission = Permission.PRICES_VIEW
    id: relay.NodeID[int]
    product_id: strawberry.Private[int]
    unit: str
    min_quantity: Decimal = strawberry.field(description="The quantity break: the price applies from it on.")
    price: Decimal
    valid_from: datetime.date | None = strawberry.field(description="Null: from the list's own start.")
    valid_to: datetime.date | None = strawberry.field(description="Null: to the list's own end.")

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.product_id)

    @classmethod
    def from_model(cls, row: models.PriceListItem) -> PriceListItem:
        return cls(
            id=row.id,
            product_id=row.product_id,  # type: ignore[attr-defined]
            unit=row.unit,
            min_quantity=row.min_quantity,  # type: ignore[arg-type]
            price=row.price,  # type: ignore[arg-type]
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await pricelists.price_list_items_by_ids(ids)}


@strawberry.type(name="PriceListItemConnection")
class PriceListItemConnection(relay.Connection[PriceListItem]):
    pass


@strawberry.type
class SupplierPrice(Fetchable, relay.Node):
    view_permission = Permission.PRICES_VIEW
    id: relay.NodeID[int]
    product_id: strawberry.Private[int]
    supplier_item_code: str | None
    unit: str = strawberry.field(description="The purchase unit or pack the price is per.")
    pack_quantity: Decimal = strawberry.field(description="How many of the product's base unit one `unit` holds.")
    min_quantity: Decimal
    price: Decimal
    currency: str
    lead_time_days: int | None = strawberry.field(description="Null: the supplier's usual lead time.")
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    @strawberry.field
    async def sku(self, info: Info) -> str:
        return await _sku(info, self.product_id)

    @classmethod
    def from_model(cls, row: models.SupplierPrice) -> SupplierPrice:
        return cls(
            id=row.id,
            product_id=row.product_id,  # type: ignore[attr-defined]
            supplier_item_code=row.supplier_item_code,
            unit=row.unit,
            pack_quantity=row.pack_quantity,  # type: ignore[arg-type]
            min_quantity=row.min_quantity,  # type: ignore[arg-type]
            price=row.price,  # type: ignore[arg-type]
            currency=row.currency.code,
            lead_time_days=row.lead_time_days,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await pricelists.supplier_prices_by_ids(ids)}


@strawberry.type(name="SupplierPriceConnection")
class SupplierPriceConnection(relay.Connection[SupplierPrice]):
    pass


@strawberry.enum(description="Where a price came from.")
class PriceSource(Enum):
    PRICE_LIST = "price_list"
    SUPPLIER_PRICE = "supplier_price"
    NONE = "none"


@strawberry.type(description="The price that applies to a line, and why.")
class PriceAnswer:
    price: Decimal | None = strawberry.field(description="Per unit; null when no price applies (source NONE).")
    currency: str
    prices_include_tax: bool
    source: PriceSource
    price_list_code: str | None
    min_quantity: Decimal | None = strawberry.field(description="The quantity break that applied.")
    reason: str = strawberry.field(description="Where the price came from, in a sentence for a clerk.")
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    supplier_item_code: str | None
    pack_quantity: Decimal | None
    lead_time_days: int | None

    @classmethod
    def from_answer(cls, answer: Answer) -> PriceAnswer:
        source = PriceSource(answer.source)
        return cls(
            price=answer.price if source is not PriceSource.NONE else None,  # type: ignore[arg-type]
            currency=answer.currency,
            prices_include_tax=answer.prices_include_tax,
            source=source,
            price_list_code=answer.price_list_code,
            min_quantity=answer.min_quantity,  # type: ignore[arg-type]
            reason=answer.reason,
            valid_from=answer.valid_from,
            valid_to=answer.valid_to,
            supplier_item_code=answer.supplier_item_code,
            pack_quantity=answer.pack_quantity,  # type: ignore[arg-type]
            lead_time_days=answer.lead_time_days,
        )
