"""Currencies and their rates, taxes, sales price lists and supplier prices.

Amounts are kept exactly (NUMERIC with 4 places); a document rounds to its currency's minor units
only where it totals them (``server.money.taxes``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES
from server.partners.models import MONEY_DIGITS, MONEY_PLACES
from server.text import Code, Text, column_length

if TYPE_CHECKING:
    from server.catalog.models import Category, Product
    from server.partners.models import CustomerClass, Party

RATE_DIGITS, RATE_PLACES = 18, 8  # as the document keeps it
PERCENT_DIGITS, PERCENT_PLACES = 7, 4  # as a document line keeps its tax rate
COMPANY_ID = 1  # the company row: there is one


def _money(**kwargs: Any) -> Any:
    return fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs)


def _quantity(**kwargs: Any) -> Any:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, **kwargs)


class Currency(Model):
    """An ISO 4217 currency: ``minor_units`` is how many decimals a document rounds its totals to."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=3, unique=True)
    name = fields.CharField(max_length=100)
    minor_units = fields.SmallIntField(default=2)  # 0..4

    class Meta:
        table = "currency"


class TaxRate(Model):
    """A tax (VAT 21 %, reduced 10 %, zero-rated): what a line's ``tax_code`` and ``tax_rate`` come from."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=100)
    percent = fields.DecimalField(max_digits=PERCENT_DIGITS, decimal_places=PERCENT_PLACES)  # 0..100

    class Meta:
        table = "tax_rate"


class Company(Model):
    """The one row of company-wide money settings (``id`` is always ``COMPANY_ID``)."""

    id = fields.IntField(primary_key=True)
    currency: fields.ForeignKeyRelation[Currency] = fields.ForeignKeyField(
        "storekeeper.Currency", related_name="companies", on_delete=fields.RESTRICT
    )
    default_tax: fields.ForeignKeyNullableRelation[TaxRate] = fields.ForeignKeyField(
        "storekeeper.TaxRate", related_name="default_for", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "company"


class ExchangeRate(Model):
    """From ``valid_from`` on (until the next), one unit of ``currency`` is worth ``rate`` company-currency units."""

    id = fields.IntField(primary_key=True)
    currency: fields.ForeignKeyRelation[Currency] = fields.ForeignKeyField(
        "storekeeper.Currency", related_name="rates", on_delete=fields.RESTRICT
    )
    valid_from = fields.DateField()
    rate = fields.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES)  # > 0

    class Meta:
        table = "exchange_rate"
        unique_together = (("currency", "valid_from"),)


class CategoryTax(Model):
    """The tax of every product in a category (the company's default tax for the others)."""

    id = fields.IntField(primary_key=True)
    category: fields.OneToOneRelation[Category] = fields.OneToOneField(
        "storekeeper.Category", related_name="tax_link", on_delete=fields.CASCADE
    )
    tax: fields.ForeignKeyRelation[TaxRate] = fields.ForeignKeyField(
        "storekeeper.TaxRate", related_name="category_links", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "category_tax"


class PriceList(Model):
    """Sales prices in one currency for one customer class (or, without one, for everyone), over a period.

    Where several lists could price a line, a list for the customer's class comes before one for
    everyone, then the higher ``priority``.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    currency: fields.ForeignKeyRelation[Currency] = fields.ForeignKeyField(
        "storekeeper.Currency", related_name="price_lists", on_delete=fields.RESTRICT
    )
    customer_class: fields.ForeignKeyNullableRelation[CustomerClass] = fields.ForeignKeyField(
        "storekeeper.CustomerClass", related_name="price_lists", null=True, on_delete=fields.RESTRICT
    )
    prices_include_tax = fields.BooleanField(default=False)
    valid_from = fields.DateField()
    valid_to = fields.DateField(null=True)  # the last day it applies; None: until further notice
    priority = fields.IntField(default=0)  # 0..1000, the higher first
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "price_list"


class PriceListItem(Model):
    """A product's price per ``unit`` from ``min_quantity`` on (a quantity break), optionally for a shorter period."""

    id = fields.IntField(primary_key=True)
    price_list: fields.ForeignKeyRelation[PriceList] = fields.ForeignKeyField(
        "storekeeper.PriceList", related_name="items", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="price_list_items", on_delete=fields.RESTRICT
    )
    unit = fields.CharField(max_length=32)  # a unit code ("pcs", "kg") or a packaging level ("case")
    min_quantity = _quantity(default=0)
    price = _money()
    valid_from = fields.DateField(null=True)  # None: the list's own period
    valid_to = fields.DateField(null=True)

    class Meta:
        table = "price_list_item"
        indexes = (("price_list_id", "product_id"), ("product_id",))


class SupplierPrice(Model):
    """What a supplier charges for a product, in its purchase unit or pack, from a minimum quantity on."""

    id = fields.IntField(primary_key=True)
    supplier: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="supplier_prices", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="supplier_prices", on_delete=fields.RESTRICT
    )
    supplier_item_code = fields.CharField(max_length=64, null=True)  # the supplier's own code for it
    unit = fields.CharField(max_length=32)  # the purchase unit or pack the price is per
    pack_quantity = _quantity(default=1)  # how many of the product's base unit one ``unit`` holds
    min_quantity = _quantity(default=0)  # in ``unit``
    price = _money()  # per ``unit``
    currency: fields.ForeignKeyRelation[Currency] = fields.ForeignKeyField(
        "storekeeper.Currency", related_name="supplier_prices", on_delete=fields.RESTRICT
    )
    lead_time_days = fields.IntField(null=True)  # None: the supplier's usual lead time
    valid_from = fields.DateField(null=True)
    valid_to = fields.DateField(null=True)

    class Meta:
        table = "supplier_price"
        indexes = (("supplier_id", "product_id"), ("product_id",))


# What a caller may send for each column (see server/text.py).
CURRENCY_CODE = Code("currency code", column_length(Currency, "code"), re.compile(r"[A-Z]{3}"), "letters (ISO 4217)")
CURRENCY_NAME = Text("currency name", column_length(Currency, "name"))
TAX_CODE = Code("tax code", column_length(TaxRate, "code"))
TAX_NAME = Text("tax name", column_length(TaxRate, "name"))
PRICE_LIST_CODE = Code("price list code", column_length(PriceList, "code"))
PRICE_LIST_NAME = Text("price list name", column_length(PriceList, "name"))
UNIT = Text("unit", column_length(PriceListItem, "unit"))
SUPPLIER_ITEM_CODE = Code("supplier item code", column_length(SupplierPrice, "supplier_item_code"))
