from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.money.types import (
    Currency,
    ExchangeRate,
    ExchangeRateConnection,
    PriceAnswer,
    PriceList,
    PriceListConnection,
    PriceListItem,
    PriceListItemConnection,
    RateOnDay,
    SupplierPrice,
    SupplierPriceConnection,
    TaxRate,
)
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.clock import today
from server.money import pricelists, prices, rates, service

VIEW = [require(Permission.PRICES_VIEW)]


@strawberry.input
class PriceListFilter:
    currency: str | None = None
    customer_class: str | None = strawberry.field(
        default=None, description='A customer class code; "" for the lists for everyone.'
    )


@strawberry.type
class MoneyQuery:
    @strawberry.field(permission_classes=VIEW, description="Currencies by code: the first `first`.")
    async def currencies(self, info: Info, first: int | None = None) -> list[Currency]:
        limit = page_window(info, first, None).limit
        return [Currency.from_model(row) for row in await rates.currencies().limit(limit)]

    @strawberry.field(permission_classes=VIEW, description="The currency the books are kept in.")
    async def company_currency(self, info: Info) -> Currency:
        return Currency.from_model(await rates.company_currency_row())

    @strawberry.field(permission_classes=VIEW, description="The rate of a currency in force on a day (today if none).")
    async def exchange_rate(self, info: Info, currency: str, on: datetime.date | None = None) -> RateOnDay:
        day = on or today()
        code, rate, valid_from = await rates.rate_in_force(currency, day)
        return RateOnDay(currency=code, on=day, rate=rate, valid_from=valid_from)  # type: ignore[arg-type]

    @strawberry.field(permission_classes=VIEW, description="The rates of a currency, in the order they were set.")
    async def exchange_rates(
        self, info: Info, currency: str, first: int | None = None, after: str | None = None
    ) -> ExchangeRateConnection:
        window = page_window(info, first, after)
        return await paginate_queryset(
            ExchangeRateConnection, rates.exchange_rates(currency), window, ExchangeRate.from_model
        )

    @strawberry.field(permission_classes=VIEW, description="Tax rates by code: the first `first`.")
    async def tax_rates(self, info: Info, first: int | None = None) -> list[TaxRate]:
        limit = page_window(info, first, None).limit
        default_id = await service.default_tax_id()
        return [TaxRate.from_model(row, default_id) for row in await service.tax_rates().limit(limit)]

    @strawberry.field(permission_classes=VIEW)
    async def price_lists(
        self,
        info: Info,
        filter: PriceListFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> PriceListConnection:
        window = page_window(info, first, after, last, before)
        filter = filter or PriceListFilter()
        query = pricelists.price_lists(currency=filter.currency, customer_class=filter.customer_class)
        return await paginate_queryset(PriceListConnection, query, window, PriceList.from_model)

    @strawberry.field(permission_classes=VIEW)
    async def price_list(self, info: Info, code: str) -> PriceList | None:
        row = await pricelists.price_list_by_code(code)
        return PriceList.from_model(row) if row else None

    @strawberry.field(permission_classes=VIEW, description="The items of a price list, optionally of one product.")
    async def price_list_items(
        self,
        info: Info,
        price_list_code: str,
        sku: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PriceListItemConnection:
        window = page_window(info, first, after)
        query = pricelists.price_list_items(price_list_code, sku=sku)
        return await paginate_queryset(PriceListItemConnection, query, window, PriceListItem.from_model)

    @strawberry.field(permission_classes=VIEW, description="A supplier's prices, optionally of one product.")
    async def supplier_prices(
        self, info: Info, party_code: str, sku: str | None = None, first: int | None = None, after: str | None = None
    ) -> SupplierPriceConnection:
        window = page_window(info, first, after)
        query = pricelists.supplier_prices(party_code, sku=sku)
        return await paginate_queryset(SupplierPriceConnection, query, window, SupplierPrice.from_model)

    @strawberry.field(
        permission_classes=VIEW,
        description="The price that applies to `quantity` of a product in `unit` (the product's own unit if none) on"
        " a day (today if none), for a party (none: the lists for everyone), and why. `purchase`: ask the supplier"
        " prices (true) or the sales price lists (false); null decides by the party's roles.",
    )
    async def price(
        self,
        info: Info,
        sku: str,
        quantity: Decimal,
        party_code: str | None = None,
        unit: str | None = None,
        on: datetime.date | None = None,
        currency: str | None = None,
        purchase: bool | None = None,
    ) -> PriceAnswer:
        answer = await prices.price_for(
            sku, party_code, quantity, unit, on or today(), currency=currency, purchase=purchase
        )
        return PriceAnswer.from_answer(answer)
