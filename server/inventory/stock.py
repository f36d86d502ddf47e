"""The ledger's read side: stock levels per product, location and lot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from server import sql
from server.catalog.models import SKU
from server.clock import today
from server.db import connection
from server.errors import NotFound
from server.inventory import quantities
from server.inventory.availability import available_to_sell
from server.inventory.models import LOCATION_CODE, WAREHOUSE_CODE, LocationKind
from server.text import shown


@dataclass(frozen=True)
class StockLevel:
    """One quant as people read it: on hand and reserved, and what of it can be sold or reserved."""

    id: int
    product_id: int
    sku: str
    location_id: int
    location_code: str
    location_kind: str
    location_sellable: bool  # the location's own flag
    warehouse_id: int | None
    lot_id: int | None
    lot_code: str | None
    expires_on: date | None
    removal_on: date | None  # the lot's removal date, else its expiry
    package_sscc: str | None  # None: loose stock
    on_hand: Decimal
    reserved: Decimal
    available: Decimal  # as of the day it was read

    @property
    def sellable(self) -> bool:
        return _sells(self.location_kind, self.location_sellable)


def _sells(kind: str, sellable: bool) -> bool:
    """Whether stock in a location sells at all: a real location flagged sellable; never a virtual one, not
    even the transit location, which holds stock on its way between warehouses."""
    return sellable and kind == LocationKind.INTERNAL


# Every read of levels selects these, from ``quant`` or a subquery of it named ``q``.
_COLUMNS = (
    "SELECT q.id, q.product_id, product.sku, q.location_id, location.code AS location_code,"
    " location.kind AS location_kind, location.sellable AS location_sellable, location.warehouse_id, q.lot_id,"
    " lot.code AS lot_code, lot.expires_on, COALESCE(lot.removal_on, lot.expires_on) AS removal_on,"
    " package.sscc AS package_sscc, q.on_hand, q.reserved"
)
_JOINS = (
    " JOIN product ON product.id = q.product_id JOIN location ON location.id = q.location_id"
    " LEFT JOIN lot ON lot.id = q.lot_id LEFT JOIN package ON package.id = q.package_id"
)
# CAST: SQLite keeps decimals as text, and '0.0000' > 0 holds for text.
_NOT_EMPTY = "(CAST(q.on_hand AS NUMERIC) > 0 OR CAST(q.reserved AS NUMERIC) > 0)"


def _level(row: dict[str, Any], day: date) -> StockLevel:
    """The one place a level is made: what is available follows ``availability``'s rule."""
    on_hand, reserved = quantities.from_db(row["on_hand"]), quantities.from_db(row["reserved"])
    removal_on = sql.as_date(row["removal_on"])
    sellable = _sells(row["location_kind"], bool(row["location_sellable"]))
    return StockLevel(
        id=int(row["id"]), product_id=int(row["product_id"]), sku=row["sku"], location_id=int(row["location_id"]),
        location_code=row["location_code"], location_kind=row["location_kind"],
        location_sellable=bool(row["location_sellable"]), warehouse_id=row["warehouse_id"],
        lot_id=row["lot_id"] or None, lot_code=row["lot_code"], expires_on=sql.as_date(row["expires_on"]),
        removal_on=removal_on, package_sscc=row["package_sscc"], on_hand=on_hand, reserved=reserved,
        available=available_to_sell(on_hand, reserved, sellable=sellable, removal_on=removal_on, day=day),
    )  # fmt: skip


async def _levels(query: str, *params: object) -> list[StockLevel]:
    day = today()
    return [_level(row, day) for row in await sql.fetch(connection(), query, *params)]


async def stock_levels(
    *,
    sku: str | None = None,
    location_code: str | None = None,
    warehouse_code: str | None = None,
    after_id: int | None = None,
    limit: int = 100,
    include_empty: bool = False,
) -> list[StockLevel]:
    """Quants matching the filters, by id; a location includes the locations below it."""
    conn = connection()
    where: list[str] = []
    params: list[object] = []

    def param(value: object) -> str:
        params.append(value)
        return f"${len(params)}"

    if sku is not None:
        if (sku_key := SKU.key(sku)) is None:
            return []
        where.append(f"product.sku = {param(sku_key)}")
    if location_code is not None:
        key = LOCATION_CODE.key(location_code)
        location = await sql.fetch_one(conn, "SELECT id, path FROM location WHERE code = $1", key) if key else None
        if location is None:
            raise NotFound(f"There is no location {shown(location_code)}.", field="locationCode")
        # A path holds ids and slashes only: nothing in it is a LIKE wildcard.
        where.append(f"(location.path LIKE {param(location['path'] + '%')} OR location.id = {param(location['id'])})")
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        warehouse = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", key) if key else None
        if warehouse is None:
            raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
        where.append(f"location.warehouse_id = {param(warehouse['id'])}")
    if not include_empty:
        where.append(_NOT_EMPTY)
    if after_id is not None:
        where.append(f"q.id > {param(after_id)}")
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    return await _levels(f"{_COLUMNS} FROM quant AS q{_JOINS}{condition} ORDER BY q.id LIMIT {param(limit)}", *params)


async def levels_by_product(product_ids: list[int], *, per_product: int) -> dict[int, list[StockLevel]]:
    """The first ``per_product`` non-empty stock levels of each product (oldest quant first), in one
    query for a page of products (for dataloaders): a product in thousands of bins sends ``per_product``."""
    if not product_ids or per_product <= 0:
        return {}
    quants = (
        "(SELECT q.id, q.product_id, q.location_id, q.lot_id, q.package_id, q.on_hand, q.reserved,"
        " ROW_NUMBER() OVER (PARTITION BY q.product_id ORDER BY q.id) AS position FROM quant AS q"
        f" WHERE q.product_id IN ({sql.placeholders(1, len(product_ids))}) AND {_NOT_EMPTY}) AS q"
    )
    query = f"{_COLUMNS} FROM {quants}{_JOINS} WHERE q.position <= ${len(product_ids) + 1} ORDER BY q.id"
    grouped: dict[int, list[StockLevel]] = defaultdict(list)
    for level in await _levels(query, *product_ids, per_product):
        grouped[level.product_id].append(level)
    return grouped


async def on_hand_by_product(product_ids: list[int]) -> dict[int, Decimal]:
    """On hand over all locations of each product, in one query for a page of products."""
    if not product_ids:
        return {}
    conn, where = connection(), f"WHERE product_id IN ({sql.placeholders(1, len(product_ids))})"
    totals: dict[int, Decimal] = defaultdict(Decimal)
    if sql.dialect(conn) == "postgres":  # exact NUMERIC sums in the database
        query = f"SELECT product_id, SUM(on_hand) AS on_hand FROM quant {where} GROUP BY product_id"
    else:  # SQLite keeps decimals as text and would sum them as floats: sum them as Decimal here
        query = f"SELECT product_id, on_hand FROM quant {where}"
    for row in await sql.fetch(conn, query, *product_ids):
        totals[row["product_id"]] += quantities.from_db(row["on_hand"])
    return totals


async def stock_levels_by_ids(ids: list[int]) -> dict[int, StockLevel]:
    if not ids:
        return {}
    query = f"{_COLUMNS} FROM quant AS q{_JOINS} WHERE q.id IN ({sql.placeholders(1, len(ids))})"
    return {level.id: level for level in await _levels(query, *ids)}
