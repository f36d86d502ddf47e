"""Demo money: the standard currencies with the company in euros, rates for the dollar and the pound,
VAT 21 % by default and 10 % on groceries, a retail list for everyone (tax included), a wholesale
list with quantity breaks, and supplier prices. Loading twice changes nothing: what exists is kept,
and whatever of the catalog or the partners demo is missing is skipped."""

from __future__ import annotations

from datetime import date

from server.auth.models import User
from server.catalog.models import Category, Product
from server.money import pricelists, rates, service
from server.money.models import CategoryTax, Company, ExchangeRate, PriceList, SupplierPrice, TaxRate
from server.partners.models import CustomerClass, Party

DEMO_USERNAME = "demo"
SINCE = date(2025, 1, 1)
_RATES = [("USD", "0.92"), ("GBP", "1.17")]
_TAXES = [("VAT21", "VAT 21 %", "21"), ("VAT10", "VAT 10 % (reduced)", "10")]
_DEFAULT_TAX = "VAT21"
_CATEGORY_TAXES = [("Grocery", "VAT10")]
_RETAIL = [("TSHIRT-RED-M", "0", "19.90"), ("TSHIRT-BLU-L", "0", "19.90"), ("MUG-WHITE", "0", "8.50"),
           ("COFFEE-1KG", "0", "14.90")]  # fmt: skip
_WHOLESALE = [("TSHIRT-RED-M", "0", "9.00"), ("TSHIRT-RED-M", "10", "8.25"), ("TSHIRT-RED-M", "50", "7.50"),
              ("TSHIRT-BLU-L", "0", "9.00"), ("TSHIRT-BLU-L", "10", "8.25"), ("MUG-WHITE", "0", "4.00"),
              ("MUG-WHITE", "24", "3.60"), ("COFFEE-1KG", "0", "10.00"), ("COFFEE-1KG", "10", "9.20")]  # fmt: skip
_SUPPLIER_PRICES = {
    "SUP-NORTHWIND": [
        pricelists.SupplierPriceInput("TSHIRT-RED-M", "pcs", "5.50", supplier_item_code="NW-TS-RED-M"),
        pricelists.SupplierPriceInput("TSHIRT-RED-M", "case", "60.00", supplier_item_code="NW-TS-RED-M-12",
                                      pack_quantity="12", min_quantity="1", lead_time_days=5),
        pricelists.SupplierPriceInput("TSHIRT-BLU-L", "pcs", "5.50", supplier_item_code="NW-TS-BLU-L"),
    ],
    "SUP-CONTOSO": [
        pricelists.SupplierPriceInput("MUG-WHITE", "pcs", "2.80", currency="GBP", supplier_item_code="CT-MUG-300",
                                      min_quantity="24"),
        pricelists.SupplierPriceInput("COFFEE-1KG", "pcs", "6.40", currency="GBP", supplier_item_code="CT-BEANS-1K"),
    ],
}  # fmt: skip


async def load_demo() -> None:
    """Add what of the demo money is missing."""
    user = await User.get_or_none(username=DEMO_USERNAME)
    actor_id = user.id if user else None
    await rates.ensure_company()
    home = await rates.company_currency()
    for code, rate in _RATES:
        if code != home and not await ExchangeRate.exists(currency__code=code):
            await rates.set_exchange_rate(code, SINCE, rate, actor_id=actor_id)
    for code, name, percent in _TAXES:
        if not await TaxRate.exists(code=code):
            await service.create_tax_rate(code, name, percent, actor_id=actor_id)
    if await Company.filter(default_tax_id=None).exists():
        await service.set_default_tax(_DEFAULT_TAX, actor_id=actor_id)
    for category, tax in _CATEGORY_TAXES:
        if await Category.exists(name=category) and not await CategoryTax.exists(category__name=category):
            await service.set_category_tax(category, tax, actor_id=actor_id)
    skus: set[str] = {str(sku) for sku in await Product.all().values_list("sku", flat=True)}
    await _price_list("RETAIL-EUR", "Retail", None, True, 0, _RETAIL, skus, actor_id)
    if await CustomerClass.exists(code="WHOLESALE"):
        await _price_list("WHOLESALE-EUR", "Wholesale", "WHOLESALE", False, 10, _WHOLESALE, skus, actor_id)
    for party_code, rows in _SUPPLIER_PRICES.items():
        party = await Party.get_or_none(code=party_code)
        if party is None or await SupplierPrice.exists(supplier_id=party.id):
            continue
        present = [row for row in rows if row.sku in skus]
        if present:
            await pricelists.set_supplier_prices(party_code, present, actor_id=actor_id)


async def _price_list(
    code: str,
    name: str,
    customer_class: str | None,
    include_tax: bool,
    priority: int,
    items: list[tuple[str, str, str]],
    skus: set[str],
    actor_id: int | None,
) -> None:
    if await PriceList.exists(code=code):
        return
    details = pricelists.PriceListDetails(
        name=name, currency="EUR", customer_class=customer_class, prices_include_tax=include_tax, valid_from=SINCE,
        priority=priority,
    )  # fmt: skip
    await pricelists.create_price_list(code, details, actor_id=actor_id)
    rows = [pricelists.ItemInput(sku, "pcs", price, minimum) for sku, minimum, price in items if sku in skus]
    await pricelists.set_price_list_items(code, rows, actor_id=actor_id)
