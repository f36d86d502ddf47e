"""What a posting names: the product, its locations and its lot, read in the posting's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.errors import Invalid, NotFound
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.models import LocationKind


@dataclass(frozen=True)
class Product:
    id: int
    sku: str


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    holds_stock: bool


@dataclass(frozen=True)
class LotRef:
    id: int
    code: str


async def lookup(
    conn: BaseDBAsyncClient,
    sku: str,
    *locations: tuple[str, str],
    lot: str | None,
    lot_required: bool = False,
    receiving: bool = False,
) -> tuple[Product, list[Place]]:
    """The product and the real locations ``(code, input field)`` to post, in one query.

    A product tracked by lot must name its lot where ``lot_required`` (stock created or counted);
    one that is not may not name a lot at all, or a count could miss stock held in lots.
    """
    codes = [code.strip() for code, _ in locations]
    placeholders = ", ".join(f"${i}" for i in range(2, len(codes) + 2))
    rows = await sql.fetch(
        conn,
        "SELECT product.id, product.sku, product.tracks_lots, product.is_archived,"
        " location.id AS location_id, location.code, location.kind"
        f" FROM product, location WHERE product.sku = $1 AND location.code IN ({placeholders})",
        sku.strip(),
        *codes,
    )
    if not rows and await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", sku.strip()) is None:
        raise NotFound(f"There is no product with SKU {sku!r}.", field="sku")
    found = {row["code"]: row for row in rows}
    for (given, field), code in zip(locations, codes, strict=True):
        if code not in found:
            raise NotFound(f"There is no location {given!r}.", field=field)
        if found[code]["kind"] != LocationKind.INTERNAL:
            raise Invalid(f"The location {code} cannot hold stock.", field=field)
    row = rows[0]
    if receiving and row["is_archived"]:
        raise Invalid(f"The product {row['sku']} is archived and takes no new stock.", field="sku")
    if row["tracks_lots"] and lot_required and not lot:
        raise Invalid(f"The product {row['sku']} is tracked by lot: give the lot.", field="lot")
    if not row["tracks_lots"] and lot:
        raise Invalid(f"The product {row['sku']} is not tracked by lot.", field="lot")
    product = Product(id=int(row["id"]), sku=row["sku"])
    return product, [Place(id=int(found[c]["location_id"]), code=c, holds_stock=True) for c in codes]


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
    code = code.strip()
    if not code or len(code) > 64:
        raise Invalid("A lot code has 1 to 64 characters.", field="lot")
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
    return LotRef(id=int(row["id"]), code=code)


async def existing_lot(conn: BaseDBAsyncClient, product: Product, code: str) -> LotRef:
    row = await sql.fetch_one(
        conn, "SELECT id, code FROM lot WHERE product_id = $1 AND code = $2", product.id, code.strip()
    )
    if row is None:
        raise NotFound(f"There is no lot {code!r} of {product.sku}.", field="lot")
    return LotRef(id=int(row["id"]), code=row["code"])
