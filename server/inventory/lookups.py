"""What a posting names: the product, its locations and its lot, read in the posting's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import now
from server.errors import Invalid, NotFound
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.models import LOCATION_CODE, LOT_CODE, LocationKind
from server.text import shown


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    tracks_lots: bool = False
    archived: bool = False

    def refuse_new_stock_if_archived(self) -> None:
        if self.archived:
            raise Invalid(f"The product {self.sku} is archived and takes no new stock: restore it first.", field="sku")


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    holds_stock: bool
    warehouse_id: int | None = None  # None: a virtual location


@dataclass(frozen=True)
class LotRef:
    id: int
    code: str
    expires_on: date | None = None


async def lookup(
    conn: BaseDBAsyncClient,
    sku: str,
    *locations: tuple[str, str],
    lot: str | None,
    lot_required: bool = False,
) -> tuple[Product, list[Place]]:
    """The product and the real locations ``(code, input field)`` to post, in one query.

    The rows are read FOR SHARE: a change of the product's settings (lot tracking, archiving)
    locks its row FOR UPDATE, so it waits for the postings that relied on the old settings, and a
    posting that comes after it reads the new ones. Location rows are held the same way, so a
    change of a location's settings (none can change yet; sellable flags will) must lock it too.

    A product tracked by lot must name its lot where ``lot_required`` (stock created or counted);
    one that is not may not name a lot at all, or a count could miss stock held in lots.
    """
    sku_key = SKU.key(sku)
    if sku_key is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    codes: list[str] = []
    for given, field in locations:
        code = LOCATION_CODE.key(given)
        if code is None:
            raise NotFound(f"There is no location {shown(given)}.", field=field)
        codes.append(code)
    rows = await sql.fetch(
        conn,
        "SELECT product.id, product.sku, product.tracks_lots, product.is_archived,"
        " location.id AS location_id, location.code, location.kind, location.warehouse_id"
        f" FROM product, location WHERE product.sku = $1 AND location.code IN ({sql.placeholders(2, len(codes))})"
        " ORDER BY location.id FOR SHARE",
        sku_key,
        *codes,
    )
    if not rows and await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", sku_key) is None:
        raise NotFound(f"There is no product with SKU {sku_key!r}.", field="sku")
    found = {row["code"]: row for row in rows}
    for (_, field), code in zip(locations, codes, strict=True):
        if code not in found:
            raise NotFound(f"There is no location {code!r}.", field=field)
        if found[code]["kind"] != LocationKind.INTERNAL:
            raise Invalid(f"The location {code} cannot hold stock.", field=field)
    row = rows[0]
    product = Product(id=int(row["id"]), sku=row["sku"], tracks_lots=bool(row["tracks_lots"]),
                      archived=bool(row["is_archived"]))  # fmt: skip
    if product.tracks_lots and lot_required and not lot:
        raise Invalid(f"The product {product.sku} is tracked by lot: give the lot.", field="lot")
    if not product.tracks_lots and lot:
        raise Invalid(f"The product {product.sku} is not tracked by lot.", field="lot")
    return product, [
        Place(id=int(found[c]["location_id"]), code=c, holds_stock=True, warehouse_id=found[c]["warehouse_id"])
        for c in codes
    ]


_virtual: dict[LocationKind, Place] = {}


async def virtual(conn: BaseDBAsyncClient, kind: LocationKind) -> Place:
    """A virtual location (supplier, customer, loss ...); their ids never change, so they are cached."""
    if kind not in _virtual:
        code = VIRTUAL_LOCATIONS[kind][0]
        row = await sql.fetch_one(conn, "SELECT id FROM location WHERE code = $1", code)
        if row is None:
            raise RuntimeError(f"The virtual location {code} is missing: run `storekeeper migrate`.")
        _virtual[kind] = Place(id=int(row["id"]), code=code, holds_stock=False)
    return _virtual[kind]


def forget_cached_locations() -> None:
    """Tests that recreate the database call this; ids of virtual locations change with it."""
    _virtual.clear()


async def lot_for_receipt(conn: BaseDBAsyncClient, product: Product, code: str, expires_on: date | None) -> LotRef:
    """The lot stock arrives in, created on its first receipt; a lot keeps the expiry it came with."""
    code = LOT_CODE.clean(code, "lot")
    await sql.execute(
        conn,
        "INSERT INTO lot (product_id, code, expires_on, created_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (product_id, code) DO NOTHING",
        product.id,
        code,
        expires_on,
        now(),
    )
    row = await sql.fetch_one(
        conn, "SELECT id, expires_on FROM lot WHERE product_id = $1 AND code = $2", product.id, code
    )
    assert row is not None
    stored = sql.as_date(row["expires_on"])
    if expires_on is not None and stored != expires_on:
        raise Invalid(f"The lot {code} is recorded with expiry {stored}, not {expires_on}.", field="expiresOn")
    return LotRef(id=int(row["id"]), code=code, expires_on=stored)


async def existing_lot(conn: BaseDBAsyncClient, product: Product, code: str) -> LotRef:
    key = LOT_CODE.key(code)
    row = await sql.fetch_one(
        conn, "SELECT id, code, expires_on FROM lot WHERE product_id = $1 AND code = $2", product.id, key
    ) if key else None  # fmt: skip
    if row is None:
        raise NotFound(f"There is no lot {shown(code)} of {product.sku}.", field="lot")
    return LotRef(id=int(row["id"]), code=row["code"], expires_on=sql.as_date(row["expires_on"]))
