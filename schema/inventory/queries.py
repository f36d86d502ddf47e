from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.catalog.types import Product
from schema.context import Info
from schema.inventory.types import (
    LedgerCheck,
    LedgerCheckConnection,
    Location,
    LocationConnection,
    Lot,
    StockLevel,
    StockLevelConnection,
    StockMove,
    StockMoveConnection,
    Warehouse,
    WarehouseConnection,
)
from schema.permissions import require
from schema.relay import Window, paginate_queryset, paginate_with
from server import scanning
from server.auth.permissions import Permission
from server.catalog.models import Product as ProductRow
from server.inventory import models
from server.inventory.moves import list_moves
from server.inventory.stock import stock_levels


@strawberry.enum
class CodeKind(Enum):
    PRODUCT = "product"
    LOCATION = "location"
    LOT = "lot"
    UNKNOWN = "unknown"


@strawberry.type
class Gs1Element:
    ai: str = strawberry.field(description="GS1 application identifier, e.g. 01 (GTIN), 10 (lot), 17 (expiry).")
    title: str
    value: str


@strawberry.type(description="What a scanned code is.")
class BarcodeResolution:
    code: str
    kind: CodeKind
    product: Product | None
    location: Location | None
    lot: Lot | None
    expires_on: date | None
    gs1: list[Gs1Element]
    message: str | None = strawberry.field(description="Why the code is unknown, if it is.")


def _window(info: Info, first: int | None, after: str | None, last: int | None, before: str | None) -> Window:
    return Window.of(first=first, after=after, last=last, before=before, max_size=info.context.settings.max_page_size)


@strawberry.type
class InventoryQuery:
    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def warehouses(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> WarehouseConnection:  # fmt: skip
        window = _window(info, first, after, last, before)
        return await paginate_queryset(WarehouseConnection, models.Warehouse.all(), window, Warehouse.from_model)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def locations(
        self, info: Info, warehouse_code: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> LocationConnection:  # fmt: skip
        window = _window(info, first, after, last, before)
        query = models.Location.all()
        if warehouse_code is not None:
            query = query.filter(warehouse__code=warehouse_code.strip())
        return await paginate_queryset(LocationConnection, query, window, Location.from_model)

    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="On hand, reserved and available per product, location and lot; a location includes its"
        " sub-locations.",
    )
    async def stock_levels(
        self, info: Info, sku: str | None = None, location_code: str | None = None,
        warehouse_code: str | None = None, first: int | None = None, after: str | None = None,
    ) -> StockLevelConnection:  # fmt: skip
        window = _window(info, first, after, None, None)

        async def fetch(after_id: int | None, limit: int) -> list:  # type: ignore[type-arg]
            return await stock_levels(
                sku=sku, location_code=location_code, warehouse_code=warehouse_code, after_id=after_id, limit=limit
            )

        return await paginate_with(StockLevelConnection, fetch, window, StockLevel.from_level)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def stock_moves(
        self, info: Info, sku: str | None = None, first: int | None = None, after: str | None = None
    ) -> StockMoveConnection:
        window = _window(info, first, after, None, None)
        product_id = None
        if sku is not None:
            product = await ProductRow.get_or_none(sku=sku.strip())
            product_id = product.id if product else -1

        async def fetch(after_id: int | None, limit: int) -> list:  # type: ignore[type-arg]
            return await list_moves(product_id=product_id, after_id=after_id, limit=limit)

        return await paginate_with(StockMoveConnection, fetch, window, StockMove.from_move)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def resolve_barcode(self, info: Info, code: str) -> BarcodeResolution:
        found = await scanning.resolve(code)
        if found.product is not None:
            await found.product.fetch_related("category", "brand")
        return BarcodeResolution(
            code=found.code,
            kind=CodeKind(found.kind.value),
            product=Product.from_model(found.product) if found.product else None,
            location=Location.from_model(found.location) if found.location else None,
            lot=Lot.from_model(found.lot) if found.lot else None,
            expires_on=found.expires_on,
            gs1=[Gs1Element(ai=e.ai, title=e.title, value=e.value) for e in found.gs1],
            message=found.message,
        )

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def ledger_checks(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> LedgerCheckConnection:  # fmt: skip
        window = _window(info, first, after, last, before)
        return await paginate_queryset(LedgerCheckConnection, models.LedgerCheck.all(), window, LedgerCheck.from_model)
