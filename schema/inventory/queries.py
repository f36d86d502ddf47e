from __future__ import annotations

import strawberry

from schema.context import Info
from schema.inventory.types import (
    LedgerCheck,
    LedgerCheckConnection,
    Location,
    LocationConnection,
    PeriodLock,
    StockLevel,
    StockLevelConnection,
    StockMove,
    StockMoveConnection,
    Warehouse,
    WarehouseConnection,
)
from schema.permissions import require
from schema.relay import page_window, paginate_queryset, paginate_with
from server.auth.permissions import Permission
from server.inventory import periods
from server.inventory.check import ledger_checks
from server.inventory.locations import find_locations, find_warehouses
from server.inventory.moves import list_moves
from server.inventory.stock import stock_levels


@strawberry.type
class InventoryQuery:
    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="The closed periods: the company's lock date first, then each warehouse's that has one"
        " (up to the server's page size).",
    )
    async def period_locks(self, info: Info) -> list[PeriodLock]:
        locks = await periods.lock_dates(limit=info.context.settings.max_page_size)
        return [PeriodLock(warehouse=lock.warehouse_code, locked_until=lock.locked_until, updated_at=lock.updated_at)
                for lock in locks]  # fmt: skip

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def warehouses(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> WarehouseConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        return await paginate_queryset(WarehouseConnection, find_warehouses(), window, Warehouse.from_model)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def locations(
        self, info: Info, warehouse_code: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> LocationConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        query = find_locations(warehouse_code=warehouse_code)
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
        window = page_window(info, first, after)

        async def fetch(after_id: int | None, limit: int) -> list:  # type: ignore[type-arg]
            return await stock_levels(
                sku=sku, location_code=location_code, warehouse_code=warehouse_code, after_id=after_id, limit=limit
            )

        return await paginate_with(StockLevelConnection, fetch, window, StockLevel.from_level)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def stock_moves(
        self, info: Info, sku: str | None = None, first: int | None = None, after: str | None = None
    ) -> StockMoveConnection:
        window = page_window(info, first, after)

        async def fetch(after_id: int | None, limit: int) -> list:  # type: ignore[type-arg]
            return await list_moves(sku=sku, after_id=after_id, limit=limit)

        return await paginate_with(StockMoveConnection, fetch, window, StockMove.from_move)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def ledger_checks(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> LedgerCheckConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        return await paginate_queryset(LedgerCheckConnection, ledger_checks(), window, LedgerCheck.from_model)
