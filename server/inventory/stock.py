"""The ledger's read side: stock levels per product, location and lot."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.expressions import Q

from server.errors import NotFound
from server.inventory import quantities
from server.inventory.models import NO_LOT, Location, Lot, Quant, Warehouse


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
        query = query.filter(product__sku=sku.strip())
    if location_code is not None:
        location = await Location.get_or_none(code=location_code.strip())
        if location is None:
            raise NotFound(f"There is no location {location_code!r}.", field="locationCode")
        query = query.filter(Q(location__path__startswith=location.path) | Q(location_id=location.id))
    if warehouse_code is not None:
        warehouse = await Warehouse.get_or_none(code=warehouse_code.strip())
        if warehouse is None:
            raise NotFound(f"There is no warehouse {warehouse_code!r}.", field="warehouseCode")
        query = query.filter(location__warehouse_id=warehouse.id)
    if not include_empty:
        query = query.filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return await _to_levels(await query.limit(limit))


async def levels_by_product(product_ids: list[int]) -> dict[int, list[StockLevel]]:
    """Every non-empty stock level of each product, in one query (for dataloaders)."""
    quants = (
        await Quant.filter(product_id__in=product_ids)
        .filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
        .select_related("product", "location")
        .order_by("id")
    )
    grouped: dict[int, list[StockLevel]] = defaultdict(list)
    for level in await _to_levels(quants):
        grouped[level.product_id].append(level)
    return grouped


async def stock_levels_by_ids(ids: list[int]) -> dict[int, StockLevel]:
    quants = await Quant.filter(id__in=ids).select_related("product", "location")
    return {level.id: level for level in await _to_levels(quants)}
