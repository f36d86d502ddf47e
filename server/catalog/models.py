from __future__ import annotations

import re

from tortoise import fields
from tortoise.models import Model

from server.text import LABEL_CODE, Code, Text, column_length

# Quantities in base units are kept at the ledger's scale (server/inventory/models.py QUANTITY_DIGITS,
# QUANTITY_PLACES): the catalog sits below the ledger and does not import it.
QUANTITY_DIGITS, QUANTITY_PLACES = 18, 4
# A unit's factor is an exact decimal in its category's reference unit: 0.001 (g in kg), 12 (a
# dozen), 0.45359237 (a pound in kg), 0.0295735295625 (a US fluid ounce in litres).
FACTOR_DIGITS, FACTOR_PLACES = 30, 15


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    # Which stock leaves first, for products of the category without their own: fifo, fefo or closest
    # (server/inventory/removal.py). Null: the location's, else the default.
    removal_strategy = fields.CharField(max_length=8, null=True)

    class Meta:
        table = "category"


class Brand(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)

    class Meta:
        table = "brand"


class Product(Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=255)
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "storekeeper.Category", related_name="products", null=True
    )
    brand: fields.ForeignKeyNullableRelation[Brand] = fields.ForeignKeyField(
        "storekeeper.Brand", related_name="products", null=True
    )
    unit = fields.CharField(max_length=16, default="pcs")
    color = fields.CharField(max_length=64, null=True)
    size = fields.CharField(max_length=64, null=True)
    material = fields.CharField(max_length=64, null=True)
    style = fields.CharField(max_length=64, null=True)
    tracks_lots = fields.BooleanField(default=False)
    # Which stock leaves first: fifo, fefo or closest (server/inventory/removal.py). Null: the category's.
    removal_strategy = fields.CharField(max_length=8, null=True)
    # A serial product is tracked by lot too (tracks_lots is true): each of its lots is one unit, a serial.
    tracks_serials = fields.BooleanField(default=False, db_default=False)  # rows written before it had none
    # How its stock is valued: "average" (moving average per warehouse) or "fifo" (cost layers, oldest first).
    costing_method = fields.CharField(max_length=8, default="average", db_default="average")
    is_archived = fields.BooleanField(default=False)
    archived_at = fields.DatetimeField(null=True)  # when it last stopped taking stock
    # Kilograms per base unit, for the weight limits of locations: a product without one weighs nothing there.
    weight_kg = fields.DecimalField(max_digits=18, decimal_places=6, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    barcodes: fields.ReverseRelation[Barcode]
    packagings: fields.ReverseRelation[Packaging]

    class Meta:
        table = "product"


class Barcode(Model):
    """A code printed on a product. Each code names one product only."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField("storekeeper.Product", related_name="barcodes")
    code = fields.CharField(max_length=64)  # as printed on the item
    # GTINs as GTIN-14, so an EAN-13 label and the GTIN in a GS1-128 carton code find the same product
    normalized = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16)  # "gtin" | "other"
    # Set for a code printed on a packaging level (a case's GTIN): a scan of it is that many base units.
    packaging: fields.ForeignKeyNullableRelation[Packaging] = fields.ForeignKeyField(
        "storekeeper.Packaging", related_name="barcodes", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "barcode"


class UnitCategory(Model):
    """Units that convert into one another (count, weight, volume, length)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)  # lower case: "count", "weight"
    name = fields.CharField(max_length=64)

    units: fields.ReverseRelation[Unit]

    class Meta:
        table = "unit_category"


class Unit(Model):
    """A unit of measure: ``factor`` says how many of its category's reference unit (factor 1) it is."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)  # as ``Product.unit`` names it: "pcs", "kg"
    name = fields.CharField(max_length=64)
    category: fields.ForeignKeyRelation[UnitCategory] = fields.ForeignKeyField(
        "storekeeper.UnitCategory", related_name="units", on_delete=fields.RESTRICT
    )
    factor = fields.DecimalField(max_digits=FACTOR_DIGITS, decimal_places=FACTOR_PLACES)  # > 0, exact

    class Meta:
        table = "unit"


class Packaging(Model):
    """A packaging level of a product (inner, case, pallet): ``quantity`` base units in one."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="packagings", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=16)  # upper case, unique per product, never a unit's code: "CASE"
    name = fields.CharField(max_length=64, null=True)
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)  # > 0
    whole_units_only = fields.BooleanField(default=True)  # 0.5 of a sealed case is refused
    position = fields.SmallIntField()  # its place in the product's list: each, inner, case, pallet

    barcodes: fields.ReverseRelation[Barcode]

    class Meta:
        table = "packaging"
        unique_together = (("product", "code"),)


# What a caller may send for each column (see server/text.py).
SKU = Code("SKU", column_length(Product, "sku"))
PRODUCT_NAME = Text("name", column_length(Product, "name"))
UNIT = Text("unit", column_length(Product, "unit"))
ATTRIBUTES = {name: Text(name, column_length(Product, name)) for name in ("color", "size", "material", "style")}
CATEGORY_NAME = Text("category", column_length(Category, "name"))
BRAND_NAME = Text("brand", column_length(Brand, "name"))
BARCODE = Code("barcode", column_length(Barcode, "code"))
UNIT_CODE = Code(
    "unit code", column_length(Unit, "code"), re.compile(r"[a-z0-9][a-z0-9._/-]*"),
    "lower-case letters, digits and . _ / -, starting with a letter or digit", str.lower,
)  # fmt: skip
UNIT_CATEGORY_CODE = Code(
    "unit category code", column_length(UnitCategory, "code"), re.compile(r"[a-z0-9][a-z0-9._-]*"),
    "lower-case letters, digits and . _ -, starting with a letter or digit", str.lower,
)  # fmt: skip
UNIT_NAME = Text("name", column_length(Unit, "name"))
UNIT_CATEGORY_NAME = Text("name", column_length(UnitCategory, "name"))
PACKAGING_CODE = Code(
    "packaging code", column_length(Packaging, "code"), LABEL_CODE,
    "letters, digits and . _ / -, starting with a letter or digit",
)  # fmt: skip
PACKAGING_NAME = Text("name", column_length(Packaging, "name"))
