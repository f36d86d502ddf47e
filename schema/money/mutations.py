from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.money.types import Currency, ExchangeRate, PriceList, TaxRate
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.money import pricelists, rates, service
from server.money.models import TAX_CODE
from server.money.models import Currency as CurrencyRow
from server.money.models import PriceList as PriceListRow

MANAGE = Permission.PRICES_MANAGE


@strawberry.input
class CreateCurrencyInput:
    code: str = strawberry.field(description="Three letters (ISO 4217).")
    name: str
    minor_units: int = 2
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class UpdateCurrencyInput:
    code: str
    name: str | None = None
    minor_units: int | None = None


@strawberry.input
class SetCompanyCurrencyInput:
    currency: str


@strawberry.input
class SetExchangeRateInput:
    currency: str
    valid_from: datetime.date
    rate: Decimal = strawberry.field(description="Company-currency units per one unit; more than 0, at most 8 places.")


@strawberry.input
class CreateTaxRateInput:
    code: str
    name: str
    percent: Decimal = strawberry.field(description="0 to 100, at most 4 places.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SetCategoryTaxInput:
    category: str
    tax_code: str | None = strawberry.field(default=None, description="Null: the company's default tax.")


@strawberry.input
class SetDefaultTaxInput:
    tax_code: str | None = strawberry.field(default=None, description="Null: no tax by default.")


@strawberry.input
class PriceListFields:
    name: str | None = None
    currency: str | None = strawberry.field(default=None, description="On creation, the company currency if null.")
    customer_class: str | None = strawberry.field(default=None, description='A class code; "" for everyone.')
    prices_include_tax: bool | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = strawberry.field(default=None, description="The last day it applies.")
    clear_valid_to: bool = strawberry.field(default=False, description="Make the list open-ended again.")
    priority: int | None = strawberry.field(default=None, description="0 to 1000, the higher first.")

    def details(self) -> pricelists.PriceListDetails:
        fields = pricelists.PriceListDetails.__dataclass_fields__
        return pricelists.PriceListDetails(**{k: getattr(self, k) for k in fields})


@strawberry.input
class CreatePriceListInput(PriceListFields):
    code: str
    name: str  # type: ignore[assignment]
    valid_from: datetime.date  # type: ignore[assignment]
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class UpdatePriceListInput(PriceListFields):
    code: str = strawberry.field(description="The list to change (codes do not change).")


@strawberry.input
class PriceListItemInput:
    sku: str
    unit: str
    price: Decimal = strawberry.field(description="Per unit; at most 4 places.")
    min_quantity: Decimal | None = strawberry.field(default=None, description="The quantity break; 0 if null.")
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None

    def item(self) -> pricelists.ItemInput:
        minimum = self.min_quantity if self.min_quantity is not None else "0"
        return pricelists.ItemInput(self.sku, self.unit, self.price, minimum, self.valid_from, self.valid_to)


@strawberry.input
class SetPriceListItemsInput:
    price_list_code: str
    items: list[PriceListItemInput] = strawberry.field(
        description=f"Every item of the list (the others are removed); at most {pricelists.MAX_ITEMS}."
    )


@strawberry.input
class SupplierPriceInput:
    sku: str
    unit: str = strawberry.field(description="The purchase unit or pack the price is per.")
    price: Decimal
    currency: str | None = strawberry.field(default=None, description="Null: the supplier's, else the company's.")
    supplier_item_code: str | None = None
    pack_quantity: Decimal | None = strawberry.field(default=None, description="Base units per `unit`; 1 if null.")
    min_quantity: Decimal | None = None
    lead_time_days: int | None = strawberry.field(default=None, description="Null: the supplier's usual lead time.")
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None

    def row(self) -> pricelists.SupplierPriceInput:
        return pricelists.SupplierPriceInput(
            sku=self.sku,
            unit=self.unit,
            price=self.price,
            currency=self.currency,
            supplier_item_code=self.supplier_item_code,
            pack_quantity=self.pack_quantity if self.pack_quantity is not None else "1",
            min_quantity=self.min_quantity if self.min_quantity is not None else "0",
            lead_time_days=self.lead_time_days,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


@strawberry.input
class SetSupplierPricesInput:
    party_code: str
    sku: str | None = strawberry.field(
        default=None, description="Replace only this product's prices; null: replace all of the supplier's prices."
    )
    prices: list[SupplierPriceInput] = strawberry.field(description=f"At most {pricelists.MAX_ITEMS}.")


@strawberry.type
class CurrencyPayload(Payload):
    currency: Currency | None = None


@strawberry.type
class ExchangeRatePayload(Payload):
    exchange_rate: ExchangeRate | None = None


@strawberry.type
class TaxRatePayload(Payload):
    tax_rate: TaxRate | None = None


@strawberry.type
class CategoryTaxPayload(Payload):
    category: str | None = None
    tax_code: str | None = None


@strawberry.type
class PriceListPayload(Payload):
    price_list: PriceList | None = None


@strawberry.type
class PriceListItemsPayload(Payload):
    price_list: PriceList | None = None
    item_count: int | None = None


@strawberry.type
class SupplierPricesPayload(Payload):
    party_code: str | None = None
    count: int | None = strawberry.field(default=None, description="How many prices were written.")


def _currency(row: CurrencyRow) -> CurrencyPayload:
    return CurrencyPayload(currency=Currency.from_model(row))


async def _price_list(row: PriceListRow) -> PriceListPayload:
    await row.fetch_related("currency", "customer_class")
    return PriceListPayload(price_list=PriceList.from_model(row))


@strawberry.type
class MoneyMutation:
    @mutation(MANAGE)
    async def create_currency(self, info: Info, input: CreateCurrencyInput) -> CurrencyPayload:
        return await answer(
            CurrencyPayload,
            lambda: rates.create_currency(input.code, input.name, input.minor_units, actor_id=info.context.user_id,
                                          idempotency_key=input.idempotency_key),
            _currency,
        )  # fmt: skip

    @mutation(MANAGE)
    async def update_currency(self, info: Info, input: UpdateCurrencyInput) -> CurrencyPayload:
        return await answer(
            CurrencyPayload,
            lambda: rates.update_currency(input.code, name=input.name, minor_units=input.minor_units,
                                          actor_id=info.context.user_id),
            _currency,
        )  # fmt: skip

    @mutation(MANAGE, description="The currency the books are kept in; exchange rates are quoted against it.")
    async def set_company_currency(self, info: Info, input: SetCompanyCurrencyInput) -> CurrencyPayload:
        return await answer(
            CurrencyPayload,
            lambda: rates.set_company_currency(input.currency, actor_id=info.context.user_id),
            _currency,
        )

    @mutation(MANAGE, description="The rate from a day on; documents confirmed before keep the rate they stored.")
    async def set_exchange_rate(self, info: Info, input: SetExchangeRateInput) -> ExchangeRatePayload:
        return await answer(
            ExchangeRatePayload,
            lambda: rates.set_exchange_rate(input.currency, input.valid_from, input.rate,
                                            actor_id=info.context.user_id),
            lambda row: ExchangeRatePayload(exchange_rate=ExchangeRate.from_model(row)),
        )  # fmt: skip

    @mutation(MANAGE)
    async def create_tax_rate(self, info: Info, input: CreateTaxRateInput) -> TaxRatePayload:
        async def shown(row: object) -> TaxRatePayload:
            return TaxRatePayload(tax_rate=TaxRate.from_model(row, await service.default_tax_id()))  # type: ignore[arg-type]

        return await answer(
            TaxRatePayload,
            lambda: service.create_tax_rate(input.code, input.name, input.percent, actor_id=info.context.user_id,
                                            idempotency_key=input.idempotency_key),
            shown,
        )  # fmt: skip

    @mutation(MANAGE, description="The tax of every product in a category.")
    async def set_category_tax(self, info: Info, input: SetCategoryTaxInput) -> CategoryTaxPayload:
        return await answer(
            CategoryTaxPayload,
            lambda: service.set_category_tax(input.category, input.tax_code, actor_id=info.context.user_id),
            lambda category: CategoryTaxPayload(category=category.name, tax_code=TAX_CODE.key(input.tax_code)
                                                if input.tax_code is not None else None),
        )  # fmt: skip

    @mutation(MANAGE, description="The tax of products whose category has none of its own.")
    async def set_default_tax(self, info: Info, input: SetDefaultTaxInput) -> TaxRatePayload:
        return await answer(
            TaxRatePayload,
            lambda: service.set_default_tax(input.tax_code, actor_id=info.context.user_id),
            lambda tax: TaxRatePayload(tax_rate=TaxRate.from_model(tax, tax.id) if tax else None),
        )

    @mutation(MANAGE)
    async def create_price_list(self, info: Info, input: CreatePriceListInput) -> PriceListPayload:
        return await answer(
            PriceListPayload,
            lambda: pricelists.create_price_list(input.code, input.details(), actor_id=info.context.user_id,
                                                 idempotency_key=input.idempotency_key),
            _price_list,
        )  # fmt: skip

    @mutation(MANAGE)
    async def update_price_list(self, info: Info, input: UpdatePriceListInput) -> PriceListPayload:
        return await answer(
            PriceListPayload,
            lambda: pricelists.update_price_list(input.code, input.details(), actor_id=info.context.user_id),
            _price_list,
        )

    @mutation(MANAGE, description="Replace every item of a price list.")
    async def set_price_list_items(self, info: Info, input: SetPriceListItemsInput) -> PriceListItemsPayload:
        async def shown(done: tuple[PriceListRow, int]) -> PriceListItemsPayload:
            await done[0].fetch_related("currency", "customer_class")
            return PriceListItemsPayload(price_list=PriceList.from_model(done[0]), item_count=done[1])

        return await answer(
            PriceListItemsPayload,
            lambda: pricelists.set_price_list_items(input.price_list_code, [i.item() for i in input.items],
                                                    actor_id=info.context.user_id),
            shown,
        )  # fmt: skip

    @mutation(MANAGE, description="Replace a supplier's prices (all of them, or one product's).")
    async def set_supplier_prices(self, info: Info, input: SetSupplierPricesInput) -> SupplierPricesPayload:
        return await answer(
            SupplierPricesPayload,
            lambda: pricelists.set_supplier_prices(input.party_code, [p.row() for p in input.prices], sku=input.sku,
                                                   actor_id=info.context.user_id),
            lambda count: SupplierPricesPayload(party_code=pricelists.PARTY_CODE.key(input.party_code), count=count),
        )  # fmt: skip
