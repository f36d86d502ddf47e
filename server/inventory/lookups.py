"""What a posting names: the product, its locations and its lot, read in the posting's transaction."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import now
from server.errors import Invalid, NotFound
from server.inventory.capacity import Limits
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.lots import DATE_COLUMNS, LotDates
from server.inventory.models import LOCATION_CODE, LOT_CODE, LocationKind
from server.text import shown


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    tracks_lots: bool = False
    archived: bool = False
    tracks_serials: bool = False  # each lot a serial: one unit, never in two places (server.inventory.serials)

    def refuse_new_stock_if_archived(self) -> None:
        if self.archived:
            raise Invalid(f"The product {self.sku} is archived and takes no new stock: restore it first.", field="sku")


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    holds_stock: bool
    warehouse_id: int | None = None  # None: a virtual location
    sellable: bool = True  # False: stock here is on hand, never available to sell or reserve
    limits: Limits | None = None  # None: no capacity or mixing limits (see server.inventory.capacity)
    # The period lock dates read with the place, (warehouse id, locked until) with 0 for the company's,
    # held as server.inventory.periods holds them: a posting reads no lock row of its own for them.
    lock_dates: tuple[tuple[int, date | None], ...] = ()
    path: str = "/"  # ids from the warehouse's root down (a virtual location's is "/": under nothing)
    limited_above: bool = False  # a location above it has limits (server.inventory.capacity checks them too)


@dataclass(frozen=True)
class LotRef:
    id: int
    code: str
    expires_on: date | None = None
    removal_on: date | None = None  # taken by name after it only with stock.take_expired (server.inventory.lots)


async def lookup(
    conn: BaseDBAsyncClient,
    sku: str,
    *locations: tuple[str, str],
    lot: str | None,
    lot_required: bool = False,
) -> tuple[Product, list[Place]]:
    """The product and the real locations ``(code, input field)`` to post, in one query (see ``lookup_with``)."""
    product, places, _ = await lookup_with(conn, sku, *locations, lot=lot, lot_required=lot_required)
    return product, places


async def lookup_with(
    conn: BaseDBAsyncClient,
    sku: str,
    *locations: tuple[str, str],
    lot: str | None,
    lot_required: bool = False,
    also: str = "",
) -> tuple[Product, list[Place], dict[str, Any]]:
    """The product and the real locations ``(code, input field)`` to post, in one query.

    The rows are read FOR SHARE: a change of the product's settings (lot tracking, archiving)
    locks its row FOR UPDATE, so it waits for the postings that relied on the old settings, and a
    posting that comes after it reads the new ones. Location rows are held the same way, so a
    change of a location's settings (``update_location``: flags, limits) locks it FOR UPDATE too.

    A product tracked by lot must name its lot where ``lot_required`` (stock created or counted);
    one that is not may not name a lot at all, or a count could miss stock held in lots.

    ``also``: more columns to read with them (of ``product`` and ``location``), answered in the row of the
    first location, the third thing returned.
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
        "SELECT product.id, product.sku, product.tracks_lots, product.is_archived, product.tracks_serials,"
        f" location.id AS location_id, location.code, location.kind, location.warehouse_id, {_SETTINGS}, {_LOCK_DATES}"
        f"{', ' + also if also else ''}"
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
                      archived=bool(row["is_archived"]), tracks_serials=bool(row["tracks_serials"]))  # fmt: skip
    if product.tracks_lots and lot_required and not lot:
        raise Invalid(f"The product {product.sku} is tracked by lot: give the lot.", field="lot")
    if not product.tracks_lots and lot:
        raise Invalid(f"The product {product.sku} is not tracked by lot.", field="lot")
    return product, [_place(found[c], int(found[c]["location_id"])) for c in codes], found[codes[0]]


# Where quants are kept: real locations, and the transit location, where a transfer's stock is between
# warehouses (it holds stock, but nobody names it in a posting or count, and it never sells).
HOLDS_STOCK = frozenset({LocationKind.INTERNAL, LocationKind.TRANSIT})

# What a posting needs of a location beyond its identity, read with it (no statement of its own).
_SETTINGS = (
    "location.sellable, location.max_units, location.max_weight_kg, location.mixing, location.path,"
    " location.limits_above"
)
# The lock dates of the company (row 0: periods.COMPANY) and of the location's warehouse, FOR SHARE as
# periods.refuse_if_locked reads them, so a change of a lock date waits for the posting or is seen by it.
_LOCK_DATES = (
    "(SELECT locked_until FROM period_lock WHERE warehouse_id = 0 FOR SHARE) AS company_locked_until,"
    " (SELECT locked_until FROM period_lock WHERE warehouse_id = location.warehouse_id FOR SHARE)"
    " AS warehouse_locked_until"
)


def _place(row: dict[str, Any], location_id: int) -> Place:
    lock_dates = [(0, sql.as_date(row["company_locked_until"]))]
    if row["warehouse_id"] is not None:
        lock_dates.append((int(row["warehouse_id"]), sql.as_date(row["warehouse_locked_until"])))
    return Place(
        id=location_id, code=row["code"], holds_stock=row["kind"] in HOLDS_STOCK, warehouse_id=row["warehouse_id"],
        sellable=bool(row["sellable"]) and row["kind"] == LocationKind.INTERNAL, limits=Limits.of_row(row),
        lock_dates=tuple(lock_dates), path=row["path"], limited_above=bool(row["limits_above"]),
    )  # fmt: skip


async def places_by_ids(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, Place]:
    """Locations as postings need them (flags and limits too), held FOR SHARE as ``lookup`` holds them."""
    if not ids:
        return {}
    rows = await sql.fetch(
        conn,
        f"SELECT location.id, location.code, location.kind, location.warehouse_id, {_SETTINGS}, {_LOCK_DATES}"
        " FROM location"
        f" WHERE location.id IN ({sql.placeholders(1, len(ids))}) ORDER BY location.id FOR SHARE",
        *sorted(ids),
    )
    return {int(row["id"]): _place(row, int(row["id"])) for row in rows}


async def products_by_ids(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, Product]:
    """Products by id as a posting needs them: held FOR SHARE in id order as ``lookup`` holds them, so a
    change of their settings waits for the posting."""
    if not ids:
        return {}
    rows = await sql.fetch(
        conn,
        "SELECT id, sku, tracks_lots, is_archived, tracks_serials FROM product"
        f" WHERE id IN ({sql.placeholders(1, len(ids))}) ORDER BY id FOR SHARE",
        *sorted(ids),
    )
    return {
        int(r["id"]): Product(
            int(r["id"]), r["sku"], bool(r["tracks_lots"]), bool(r["is_archived"]), bool(r["tracks_serials"])
        )
        for r in rows
    }


_virtual: dict[LocationKind, Place] = {}


async def virtual(conn: BaseDBAsyncClient, kind: LocationKind) -> Place:
    """A virtual location (supplier, customer, loss ...); their ids never change, so they are cached."""
    if kind not in _virtual:
        code = VIRTUAL_LOCATIONS[kind][0]
        row = await sql.fetch_one(conn, "SELECT id FROM location WHERE code = $1", code)
        if row is None:
            raise RuntimeError(f"The virtual location {code} is missing: run `storekeeper migrate`.")
        # Nothing sells from a virtual location; the transit location holds stock (see HOLDS_STOCK).
        _virtual[kind] = Place(id=int(row["id"]), code=code, holds_stock=kind in HOLDS_STOCK, sellable=False)
    return _virtual[kind]


def forget_cached_locations() -> None:
    """Tests that recreate the database call this; ids of virtual locations change with it."""
    _virtual.clear()


async def lot_for_receipt(conn: BaseDBAsyncClient, product: Product, code: str, dates: LotDates) -> LotRef:
    """The lot stock arrives in, created on its first receipt; a lot keeps the dates it came with."""
    code = LOT_CODE.clean(code, "lot")
    await sql.execute(
        conn,
        f"INSERT INTO lot (product_id, code, {', '.join(DATE_COLUMNS)}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (product_id, code) DO NOTHING",
        product.id, code, *astuple(dates.for_new_lot()), now(),
    )  # fmt: skip
    row = await sql.fetch_one(conn, _LOT_BY_CODE, product.id, code)
    assert row is not None
    stored = _dates(row)
    for conflict in dates.conflicts(stored, code):
        raise conflict
    return LotRef(id=int(row["id"]), code=code, expires_on=stored.expires_on, removal_on=stored.removal_on)


_LOT_BY_CODE = f"SELECT id, code, {', '.join(DATE_COLUMNS)} FROM lot WHERE product_id = $1 AND code = $2"


def _dates(row: dict[str, Any]) -> LotDates:
    """A lot's dates; one from before removal dates were kept is removed at its expiry."""
    expires_on = sql.as_date(row["expires_on"])
    removal_on = sql.as_date(row["removal_on"])
    return LotDates(expires_on, sql.as_date(row["best_before_on"]), removal_on if removal_on else expires_on,
                    sql.as_date(row["alert_on"]))  # fmt: skip


async def existing_lot(conn: BaseDBAsyncClient, product: Product, code: str) -> LotRef:
    key = LOT_CODE.key(code)
    row = await sql.fetch_one(conn, _LOT_BY_CODE, product.id, key) if key else None
    if row is None:
        raise NotFound(f"There is no lot {shown(code)} of {product.sku}.", field="lot")
    stored = _dates(row)
    return LotRef(id=int(row["id"]), code=row["code"], expires_on=stored.expires_on, removal_on=stored.removal_on)
