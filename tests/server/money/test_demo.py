"""The demo money loads on whatever of the demo is there, and a second load changes nothing."""

from __future__ import annotations

from server.money import demo, rates, service
from server.money.models import CategoryTax, ExchangeRate, PriceList, PriceListItem, SupplierPrice, TaxRate
from tests.conftest import Actor
from tests.server.money.helpers import default_tax


async def _counts() -> list[int]:
    return [await model.all().count() for model in (ExchangeRate, TaxRate, CategoryTax, PriceList, PriceListItem,
                                                    SupplierPrice)]  # fmt: skip


async def test_the_demo_loads_once(admin: Actor) -> None:
    before = await service.default_tax_id()
    current = (await TaxRate.get(id=before)).code if before else None
    async with default_tax(current, admin.user_id):  # the session's other tests keep their default tax
        await demo.load_demo()
        loaded = await _counts()
        await demo.load_demo()
        assert await _counts() == loaded
        assert await rates.company_currency() == "EUR"
        assert await PriceList.exists(code="RETAIL-EUR", prices_include_tax=True, customer_class_id=None)
        assert {t.code for t in await TaxRate.filter(code__in=["VAT21", "VAT10"])} == {"VAT21", "VAT10"}
        assert await ExchangeRate.exists(currency__code="USD")
