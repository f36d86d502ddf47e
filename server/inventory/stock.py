"""The ledger's read side: stock levels per product, location and lot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.expressions import Q

from server import sql
from server.catalog.models import SKU
from server.db import connection
from server.errors import NotFound
from server.inventory import quantities
from server.inventory.models import LOCATION_CODE, NO_LOT, WAREHOUSE_CODE, Location, Lot, Quant, Warehouse
from server.text import shown


@dataclass(frozen=True)
class StockLevel:
    id: int
    product_id: int
    sku: str
    location_id: int
    location_code: str
    warehouse_id: int | None
    lot_id: int | None
    lot_code: str | None
    expires_on: date | None
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


async def _to_levels(quants: list[Quant]) -> list[StockLevel]:
    lot_ids = {q.lot_id for q in quants if q.lot_id != NO_LOT}
    lots = {lot.id: lot for lot in await Lot.filter(id__in=lot_ids)} if lot_ids else {}
    return [
        StockLevel(
            id=q.id,
            product_id=q.product.id,
            sku=q.product.sku,
            location_id=q.location.id,
            location_code=q.location.code,
            warehouse_id=q.location.warehouse_id,  # type: ignore[attr-defined]
            lot_id=q.lot_id or None,
            lot_code=lots[q.lot_id].code if q.lot_id in lots else None,
            expires_on=lots[q.lot_id].expires_on if q.lot_id in lots else None,
            on_hand=quantities.from_db(q.on_hand),
            reserved=quantities.from_db(q.reserved),
        )
        for q in quants
    ]


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
    query = Quant.all().select_related("product", "location").order_by("id")
    if sku is not None:
        if (sku_key := SKU.key(sku)) is None:
            return []
        query = query.filter(product__sku=sku_key)
    if location_code is not None:
        key = LOCATION_CODE.key(location_code)
        location = await Location.get_or_none(code=key) if key else None
        if location is None:
            raise NotFound(f"There is no location {shown(location_code)}.", field="locationCode")
        query = query.filter(Q(location__path__startswith=location.path) | Q(location_id=location.id))
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        warehouse = await Warehouse.get_or_none(code=key) if key else None
        if warehouse is None:
            raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
        query = query.filter(location__warehouse_id=warehouse.id)
    if not include_empty:
        query = query.filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return await _to_levels(await query.limit(limit))


async def levels_by_product(product_ids: list[int], *, per_product: int) -> dict[int, list[StockLevel]]:
    """The first ``per_product`` non-empty stock levels of each product (oldest quant first), in one
    query for a page of products (for dataloaders): a product in thousands of bins sends ``per_product``."""
    if not product_ids or per_product <= 0:
        return {}
    # CAST: SQLite keeps decimals as text, and '0.0000' > 0 holds for text.
    rows = await sql.fetch(
        connection(),
        "SELECT q.id, q.product_id, product.sku, q.location_id, location.code AS location_code,"
        " location.warehouse_id, q.lot_id, lot.code AS lot_code, lot.expires_on, q.on_hand, q.reserved"
        " FROM (SELECT id, product_id, location_id, lot_id, on_hand, reserved,"
        "  ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY id) AS position"
        f"  FROM quant WHERE product_id IN ({sql.placeholders(1, len(product_ids))})"
        "  AND (CAST(on_hand AS NUMERIC) > 0 OR CAST(reserved AS NUMERIC) > 0)) AS q"
        " JOIN product ON product.id = q.product_id JOIN location ON location.id = q.location_id"
        " LEFT JOIN lot ON lot.id = q.lot_id"
        f" WHERE q.position <= ${len(product_ids) + 1} ORDER BY q.id",
        *product_ids,
        per_product,
    )
    grouped: dict[int, list[StockLevel]] = defaultdict(list)
    for row in rows:
        grouped[row["product_id"]].append(
            StockLevel(
                id=row["id"],
                product_id=row["product_id"],
                sku=row["sku"],
                location_id=row["location_id"],
                location_code=row["location_code"],
                warehouse_id=row["warehouse_id"],
                lot_id=row["lot_id"] or None,
                lot_code=row["lot_code"],
                expires_on=sql.as_date(row["expires_on"]),
                on_hand=quantities.from_db(row["on_hand"]),
                reserved=quantities.from_db(row["reserved"]),
            )
        )
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
    quants = await Quant.filter(id__in=ids).select_related("product", "location")
    return {level.id: level for level in await _to_levels(quants)}
