"""Products and their barcodes."""

from __future__ import annotations

from dataclasses import dataclass, fields

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server import audit, sql
from server.catalog.barcodes import classify
from server.catalog.models import Barcode, Brand, Category, Product
from server.errors import AlreadyExists, Invalid, NotFound

MAX_SKU_LENGTH = 64


@dataclass
class ProductDetails:
    """The editable facts of a product; ``None`` leaves a fact as it is on update."""

    name: str | None = None
    category: str | None = None
    brand: str | None = None
    unit: str | None = None
    color: str | None = None
    size: str | None = None
    material: str | None = None
    style: str | None = None
    tracks_lots: bool | None = None
    barcodes: list[str] | None = None


def _clean_sku(sku: str) -> str:
    sku = sku.strip()
    if not sku or len(sku) > MAX_SKU_LENGTH or any(c.isspace() for c in sku):
        raise Invalid(f"A SKU must be 1 to {MAX_SKU_LENGTH} characters without spaces.", field="sku")
    return sku


def _clean_text(value: str, field: str, max_length: int, *, required: bool = False) -> str | None:
    value = value.strip()
    if required and not value:
        raise Invalid(f"The {field} must not be empty.", field=field)
    if len(value) > max_length:
        raise Invalid(f"The {field} must have at most {max_length} characters.", field=field)
    return value or None


async def _named(conn: BaseDBAsyncClient, table: str, name: str | None) -> int | None:
    """The id of the category or brand with this name, created if new (without a race)."""
    if not name:
        return None
    await sql.execute(conn, f"INSERT INTO {table} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name)
    row = await sql.fetch_one(conn, f"SELECT id FROM {table} WHERE name = $1", name)
    assert row is not None
    return int(row["id"])


def find_products(
    *, search: str | None = None, category: str | None = None, brand: str | None = None, include_archived: bool = False
) -> QuerySet[Product]:
    """Products matching a search of SKU or name, a category and a brand; archived ones left out by default."""
    query = Product.all().select_related("category", "brand")
    if not include_archived:
        query = query.filter(is_archived=False)
    if search:
        query = query.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    if category:
        query = query.filter(category__name=category)
    if brand:
        query = query.filter(brand__name=brand)
    return query


async def _apply(conn: BaseDBAsyncClient, product: Product, details: ProductDetails) -> dict[str, object]:
    """Copy ``details`` onto ``product`` and return what changed, for the audit log."""
    changes: dict[str, object] = {}
    for spec in fields(details):
        value = getattr(details, spec.name)
        if value is None or spec.name in ("category", "brand", "barcodes"):
            continue
        if isinstance(value, str):
            limit = 255 if spec.name == "name" else 64
            value = _clean_text(value, spec.name, limit, required=spec.name in ("name", "unit"))
        setattr(product, spec.name, value)
        changes[spec.name] = value
    if details.category is not None:
        category = _clean_text(details.category, "category", 100)
        product.category_id = await _named(conn, Category._meta.db_table, category)  # type: ignore[attr-defined]
        changes["category"] = category
    if details.brand is not None:
        brand = _clean_text(details.brand, "brand", 100)
        product.brand_id = await _named(conn, Brand._meta.db_table, brand)  # type: ignore[attr-defined]
        changes["brand"] = brand
    return changes


async def _replace_barcodes(conn: BaseDBAsyncClient, product: Product, codes: list[str]) -> None:
    classified = [classify(code) for code in codes]
    if len({c.normalized for c in classified}) != len(classified):
        raise Invalid("The same barcode is given twice.", field="barcodes")
    await Barcode.filter(product_id=product.id).using_db(conn).delete()
    for code in classified:
        taken = await Barcode.filter(normalized=code.normalized).using_db(conn).exists()
        if taken:
            raise AlreadyExists(f"The barcode {code.code} belongs to another product.", field="barcodes")
        await Barcode.create(product=product, code=code.code, normalized=code.normalized, kind=code.kind, using_db=conn)


async def create_product(sku: str, details: ProductDetails, *, actor_id: int | None) -> Product:
    sku = _clean_sku(sku)
    if details.name is None:
        raise Invalid("A product needs a name.", field="name")
    try:
        async with in_transaction() as conn:
            product = Product(sku=sku)
            changes = await _apply(conn, product, details)
            if await Product.filter(sku=sku).using_db(conn).exists():
                raise AlreadyExists(f"The SKU {sku} is taken.", field="sku")
            await product.save(using_db=conn)
            await _replace_barcodes(conn, product, details.barcodes or [])
            await audit.record(
                conn,
                actor_id=actor_id,
                action="product.create",
                object_type="product",
                object_id=product.id,
                data={"sku": sku, **changes, "barcodes": details.barcodes or []},
            )
    except IntegrityError:  # a concurrent create of the same SKU or barcode won the race
        raise AlreadyExists(f"The SKU {sku} or one of its barcodes is taken.", field="sku") from None
    return product


async def update_product(sku: str, details: ProductDetails, *, actor_id: int | None) -> Product:
    try:
        async with in_transaction() as conn:
            product = await Product.select_for_update().using_db(conn).get_or_none(sku=sku.strip())
            if product is None:
                raise NotFound(f"There is no product with SKU {sku!r}.", field="sku")
            if details.tracks_lots is not None and details.tracks_lots != product.tracks_lots:
                await _refuse_if_stocked(conn, product)
            changes = await _apply(conn, product, details)
            await product.save(using_db=conn)
            if details.barcodes is not None:
                await _replace_barcodes(conn, product, details.barcodes)
                changes["barcodes"] = details.barcodes
            await audit.record(
                conn,
                actor_id=actor_id,
                action="product.update",
                object_type="product",
                object_id=product.id,
                data=changes,
            )
    except IntegrityError:
        raise AlreadyExists("One of the barcodes belongs to another product.", field="barcodes") from None
    return product


async def _refuse_if_stocked(conn: BaseDBAsyncClient, product: Product) -> None:
    """Lot tracking changes only while nothing is in stock: counts and issues read quants by lot."""
    stocked = await sql.fetch_one(
        conn,
        "SELECT 1 AS stocked FROM quant WHERE product_id = $1 AND CAST(on_hand AS NUMERIC) <> 0 LIMIT 1",
        product.id,
    )
    if stocked is not None:
        raise Invalid(f"{product.sku} has stock: lot tracking can change only when it has none.", field="tracksLots")


async def set_archived(sku: str, archived: bool, *, actor_id: int | None) -> Product:
    """Archive (or restore) a product: it stays in the ledger but takes no new stock."""
    async with in_transaction() as conn:
        product = await Product.select_for_update().using_db(conn).get_or_none(sku=sku.strip())
        if product is None:
            raise NotFound(f"There is no product with SKU {sku!r}.", field="sku")
        product.is_archived = archived
        await product.save(using_db=conn, update_fields=["is_archived", "updated_at"])
        await audit.record(
            conn,
            actor_id=actor_id,
            action="product.archive" if archived else "product.restore",
            object_type="product",
            object_id=product.id,
            data={"sku": product.sku},
        )
    return product
