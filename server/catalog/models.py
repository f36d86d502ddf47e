from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.text import Code, Text, column_length


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)

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
    is_archived = fields.BooleanField(default=False)
    archived_at = fields.DatetimeField(null=True)  # when it last stopped taking stock
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    barcodes: fields.ReverseRelation[Barcode]

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

    class Meta:
        table = "barcode"


# What a caller may send for each column (see server/text.py).
SKU = Code("SKU", column_length(Product, "sku"))
PRODUCT_NAME = Text("name", column_length(Product, "name"))
UNIT = Text("unit", column_length(Product, "unit"))
ATTRIBUTES = {name: Text(name, column_length(Product, name)) for name in ("color", "size", "material", "style")}
CATEGORY_NAME = Text("category", column_length(Category, "name"))
BRAND_NAME = Text("brand", column_length(Brand, "name"))
BARCODE = Code("barcode", column_length(Barcode, "code"))
