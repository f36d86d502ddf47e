"""Products and their barcodes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.barcodes import MAX_BARCODES_PER_PRODUCT, ProductCode, classify
from server.catalog.models import (
    ATTRIBUTES,
    BRAND_NAME,
    CATEGORY_NAME,
    PRODUCT_NAME,
    SKU,
    UNIT,
    Barcode,
    Brand,
    Category,
    Packaging,
    Product,
)
from server.catalog.units import unit_named
from server.clock import now
from server.codes import CodeOwner, claim
from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, DomainError, Invalid, NotFound
from server.numbers import NumberKind
from server.text import Text, shown, storable

SEARCH = Text("search", max(PRODUCT_NAME.max_length, SKU.max_length))
# Kilograms to the milligram: a product's weight per base unit, and the weight limits of locations that
# count it (server/inventory/capacity.py).
WEIGHT = NumberKind("weight", 6, Decimal(10) ** 9)


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # a fact ``update_product`` leaves as it is where None would clear it (the weight)


def product_weight(value: object) -> Decimal | None:
    """A product's weight per base unit as given (None: it has none), checked alike however it is set."""
    return None if value is None else WEIGHT.parse(value, field="weightKg", allow_zero=False)


class Tracking(StrEnum):
    """How a product's stock is told apart: not at all, by lot, or by serial (each lot one unit)."""

    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"

    @classmethod
    def of(cls, product: Product) -> Tracking:
        if product.tracks_serials:
            return cls.SERIAL
        return cls.LOT if product.tracks_lots else cls.NONE


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
    tracking: str | None = None  # a Tracking: supersedes tracks_lots (a serial product tracks lots too)
    barcodes: list[str] | None = None
    weight_kg: object = KEEP  # kilograms per base unit; None: no weight (see ``product_weight``)


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
    """Products matching a search of SKU or name, a category and a brand; archived ones left out by default.

    A filter no product can match (too long, invisible characters) finds nothing rather than failing.
    """
    query = Product.all().select_related("category", "brand")
    if not include_archived:
        query = query.filter(is_archived=False)
    for given, spec in ((search, SEARCH), (category, CATEGORY_NAME), (brand, BRAND_NAME)):
        if given is not None and given.strip() and spec.key(given) is None:
            return query.filter(id__in=[])
    if search and search.strip():
        term = SEARCH.key(search)
        query = query.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    if category and category.strip():
        query = query.filter(category__name=CATEGORY_NAME.key(category))
    if brand and brand.strip():
        query = query.filter(brand__name=BRAND_NAME.key(brand))
    return query


async def product_by_sku(sku: str, *, include_archived: bool = True) -> Product | None:
    """The product with this SKU (in any case), or None; a string no SKU can be finds none."""
    key = SKU.key(sku)
    if key is None:
        return None
    return await find_products(include_archived=include_archived).get_or_none(sku=key)


def _tracking(details: ProductDetails) -> dict[str, object]:
    """The tracking columns ``details`` set: by ``tracking``, or by ``tracks_lots`` (true keeps serials as they are)."""
    if details.tracking is None:
        if details.tracks_lots is None:
            return {}
        return {"tracks_lots": bool(details.tracks_lots)}  # false ends serials too (see ``_apply``)
    if details.tracking not in set(Tracking):
        raise Invalid(f"Tracking is one of {', '.join(t.name for t in Tracking)}.", field="tracking")
    tracking = Tracking(details.tracking)
    if details.tracks_lots is not None and details.tracks_lots != (tracking != Tracking.NONE):
        said = str(details.tracks_lots).lower()
        raise Invalid(f"tracksLots says {said} but tracking says {tracking.name}: give one.", field="tracksLots")
    return {"tracks_lots": tracking != Tracking.NONE, "tracks_serials": tracking == Tracking.SERIAL}


def _clean_details(details: ProductDetails) -> dict[str, object]:
    """Every fact given, checked against its column; an empty optional fact clears it."""
    given: dict[str, object] = {}
    if details.name is not None:
        given["name"] = PRODUCT_NAME.clean(details.name, "name")
    if details.unit is not None:
        given["unit"] = UNIT.clean(details.unit, "unit")
    for name, spec in ATTRIBUTES.items():
        if (value := getattr(details, name)) is not None:
            given[name] = spec.optional(value, name)
    if details.category is not None:
        given["category"] = CATEGORY_NAME.optional(details.category, "category")
    if details.brand is not None:
        given["brand"] = BRAND_NAME.optional(details.brand, "brand")
    given.update(_tracking(details))
    if details.barcodes is not None:
        if len(details.barcodes) > MAX_BARCODES_PER_PRODUCT:
            raise Invalid(f"A product has at most {MAX_BARCODES_PER_PRODUCT} barcodes.", field="barcodes")
        codes = [classify(code) for code in details.barcodes]
        if len({c.normalized for c in codes}) != len(codes):
            raise Invalid("The same barcode is given twice.", field="barcodes")
        given["barcodes"] = codes
    if details.weight_kg is not KEEP:
        given["weight_kg"] = product_weight(details.weight_kg)
    return given


async def _apply(conn: BaseDBAsyncClient, product: Product, given: dict[str, object]) -> None:
    """Copy the checked facts (barcodes aside) onto ``product``."""
    for name, value in given.items():
        if name == "category":
            product.category_id = await _named(conn, Category._meta.db_table, value)  # type: ignore[attr-defined, arg-type]
        elif name == "brand":
            product.brand_id = await _named(conn, Brand._meta.db_table, value)  # type: ignore[attr-defined, arg-type]
        elif name not in ("barcodes", "unit"):
            setattr(product, name, value)
    if not product.tracks_lots:  # a serial is a lot: no lots, no serials
        product.tracks_serials = False


async def _replace_barcodes(
    conn: BaseDBAsyncClient, product: Product, codes: list[ProductCode], *, packaging: Packaging | None = None,
    field: str | tuple[str | int, ...] = "barcodes",
) -> None:  # fmt: skip
    """Give ``product`` these barcodes (those of ``packaging``, when given, which the caller has just
    made): each claimed as ``server.codes`` claims a barcode, so no scan could read it as anything else."""
    if packaging is None:
        await Barcode.filter(product_id=product.id, packaging_id__isnull=True).using_db(conn).delete()
    for code in codes:
        try:
            await claim(conn, code.normalized, CodeOwner.BARCODE, field="barcodes", product_id=product.id)
        except DomainError as error:
            error.field = field
            raise
        taken = await Barcode.filter(normalized=code.normalized).using_db(conn).first()
        if taken is not None:
            whose = "a packaging level of " if taken.packaging_id is not None else ""  # type: ignore[attr-defined]
            whose += "this product" if taken.product_id == product.id else "another product"  # type: ignore[attr-defined]
            raise AlreadyExists(f"The barcode {code.code} belongs to {whose}.", field=field)
        await Barcode.create(product=product, packaging=packaging, code=code.code, normalized=code.normalized,
                             kind=code.kind, using_db=conn)  # fmt: skip


async def _set_unit(conn: BaseDBAsyncClient, product: Product, given: dict[str, object]) -> None:
    """The base unit named in ``given``, as the unit's code; a change only while the product has neither
    stock nor packaging levels, which count in the old unit."""
    if "unit" not in given:
        return
    unit = await unit_named(conn, given["unit"])
    if unit is None:
        raise Invalid(f"There is no unit {shown(str(given['unit']))}: the query `units` lists them.", field="unit")
    if product.id is not None and unit.code != product.unit:
        await _refuse_if_stocked(conn, product, "its base unit", "unit")
        if await Packaging.filter(product_id=product.id).using_db(conn).exists():
            raise Invalid(f"{product.sku} has packaging levels counted in {product.unit}: remove them first.",
                          field="unit")  # fmt: skip
    product.unit = unit.code


@dataclass(frozen=True)
class CreateProduct(Command):
    operation = "product.create"
    sku: str
    facts: dict[str, object]  # the checked facts; barcodes as their normalized codes


@dataclass(frozen=True)
class UpdateProduct(Command):
    operation = "product.update"
    sku: str
    facts: dict[str, object]


@dataclass(frozen=True)
class ArchiveProduct(Command):
    operation = "product.archive"
    sku: str
    archived: bool


def _request_facts(given: dict[str, object]) -> dict[str, object]:
    return {k: [c.normalized for c in v] if k == "barcodes" else v for k, v in given.items()}  # type: ignore[attr-defined]


async def _product_write(
    command: Command, run: Callable[[Write], Awaitable[Product]], actor_id: int | None, key: str | None
) -> Product:
    return (await execute(command, row_effect(run, Product, "product"), actor_id=actor_id, idempotency_key=key)).result


async def create_product(
    sku: str, details: ProductDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> Product:
    sku = SKU.clean(sku, "sku")
    if details.name is None:
        raise Invalid("A product needs a name.", field="name")
    given = _clean_details(details)

    async def run(write: Write) -> Product:
        await claim(write.conn, sku, CodeOwner.SKU, field="sku")
        if await Product.filter(sku=sku).using_db(write.conn).exists():
            raise AlreadyExists(f"The SKU {sku} is taken.", field="sku")
        product = Product(sku=sku)
        await _apply(write.conn, product, given)
        await _set_unit(write.conn, product, given)
        await product.save(using_db=write.conn)
        await _replace_barcodes(write.conn, product, given.get("barcodes", []))  # type: ignore[arg-type]
        return product

    try:
        return await _product_write(CreateProduct(sku, _request_facts(given)), run, actor_id, idempotency_key)
    except IntegrityError:  # a concurrent create of the same SKU or barcode won the race
        raise AlreadyExists(f"The SKU {sku} or one of its barcodes is taken.", field="sku") from None


async def _locked(conn: BaseDBAsyncClient, sku: str) -> Product:
    """The product, locked against every posting: a posting holds it FOR SHARE while it relies on
    the product's settings (lot tracking, archived), so a change waits for those in flight, and
    postings that come after read the change (see ``server.inventory.lookups``)."""
    key = SKU.key(sku)
    product = await Product.select_for_update().using_db(conn).get_or_none(sku=key) if key else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    return product


async def update_product(
    sku: str, details: ProductDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> Product:
    given = _clean_details(details)
    tracking_field = "tracking" if details.tracking is not None else "tracksLots"

    async def run(write: Write) -> Product:
        product = await _locked(write.conn, sku)
        if given.get("tracks_lots", product.tracks_lots) != product.tracks_lots:
            await _refuse_if_stocked(write.conn, product, "lot tracking", tracking_field)
        elif given.get("tracks_serials", product.tracks_serials) != product.tracks_serials:
            await _refuse_if_stocked(write.conn, product, "serial tracking", tracking_field)
        await _set_unit(write.conn, product, given)
        await _apply(write.conn, product, given)
        await product.save(using_db=write.conn)
        if "barcodes" in given:
            await _replace_barcodes(write.conn, product, given["barcodes"])  # type: ignore[arg-type]
        return product

    command = UpdateProduct(SKU.key(sku) or storable(sku), _request_facts(given))
    try:
        return await _product_write(command, run, actor_id, idempotency_key)
    except IntegrityError:
        raise AlreadyExists("One of the barcodes belongs to another product.", field="barcodes") from None


async def _refuse_if_stocked(conn: BaseDBAsyncClient, product: Product, setting: str, field: str) -> None:
    """Some settings change only while nothing is in stock: lot tracking (counts and issues read quants
    by lot) and the base unit (the ledger's quantities are in it)."""
    stocked = await sql.fetch_one(
        conn,
        "SELECT 1 AS stocked FROM quant WHERE product_id = $1 AND CAST(on_hand AS NUMERIC) <> 0 LIMIT 1",
        product.id,
    )
    if stocked is not None:
        raise Invalid(f"{product.sku} has stock: {setting} can change only when it has none.", field=field)


async def set_archived(
    sku: str, archived: bool, *, actor_id: int | None, idempotency_key: str | None = None
) -> Product:
    """Archive (or restore) a product: it stays in the ledger, can be moved, sold and scrapped, but
    takes no new stock; ``archived_at`` lets the ledger check prove that nothing came in since."""

    async def run(write: Write) -> Product:
        product = await _locked(write.conn, sku)
        if product.is_archived != archived:
            product.is_archived = archived
            product.archived_at = now() if archived else None
            await product.save(using_db=write.conn, update_fields=["is_archived", "archived_at", "updated_at"])
        return product

    command = ArchiveProduct(SKU.key(sku) or storable(sku), bool(archived))
    return await _product_write(command, run, actor_id, idempotency_key)


async def products_by_ids(ids: list[int]) -> list[Product]:
    """The products with these ids, with category and brand (for dataloaders)."""
    return await Product.filter(id__in=ids).select_related("category", "brand")


async def barcodes_by_product(product_ids: list[int]) -> dict[int, list[Barcode]]:
    """The barcodes of each product itself (not of its packaging levels), in the order they were given
    (for dataloaders)."""
    grouped: dict[int, list[Barcode]] = defaultdict(list)
    for barcode in await Barcode.filter(product_id__in=product_ids, packaging_id__isnull=True).order_by("id"):
        grouped[barcode.product_id].append(barcode)  # type: ignore[attr-defined]
    return grouped
