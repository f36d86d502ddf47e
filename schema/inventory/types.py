from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay

from schema.catalog.types import Product
from schema.context import Info
from schema.nodes import MAX_ID, Fetchable
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import models
from server.inventory.capacity import WEIGHT
from server.inventory.check import ledger_checks_by_ids
from server.inventory.locations import warehouses_by_ids
from server.inventory.moves import Move, load_moves
from server.inventory.stock import StockLevel as Level
from server.inventory.stock import stock_levels_by_ids
from server.numbers import QUANTITY, NumberKind

LocationKind = strawberry.enum(models.LocationKind, name="LocationKind")
LocationUsage = strawberry.enum(models.LocationUsage, name="LocationUsage", description="What a location is for.")
Mixing = strawberry.enum(models.Mixing, name="Mixing", description="Which stock a location takes beside its own.")


@strawberry.type
class Warehouse(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    id: relay.NodeID[int]
    code: str
    name: str

    @classmethod
    def from_model(cls, row: models.Warehouse) -> Warehouse:
        return cls(id=row.id, code=row.code, name=row.name)

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {w.id: cls.from_model(w) for w in await warehouses_by_ids(ids)}


def _limit(value: object, kind: NumberKind) -> Any:
    return None if value is None else kind.from_db(value).normalize()


@strawberry.type
class Location(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    id: relay.NodeID[int]
    code: str
    name: str
    kind: LocationKind
    usage: LocationUsage
    sellable: bool = strawberry.field(description="False: stock here is on hand, never available to sell or reserve.")
    max_units: Decimal | None = strawberry.field(description="Base units of all products it may hold; null: no limit.")
    max_weight_kg: Decimal | None = strawberry.field(
        description="Kilograms it may hold (products without a weight count 0); null: no limit."
    )
    mixing: Mixing
    parent_id: strawberry.Private[int | None]
    warehouse_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Location) -> Location:
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            kind=LocationKind(row.kind),
            usage=LocationUsage(row.usage),
            sellable=row.sellable,
            max_units=_limit(row.max_units, QUANTITY),
            max_weight_kg=_limit(row.max_weight_kg, WEIGHT),
            mixing=Mixing(row.mixing),
            parent_id=row.parent_id,  # type: ignore[attr-defined]
            warehouse_id=row.warehouse_id,  # type: ignore[attr-defined]
        )

    @strawberry.field
    async def parent(self, info: Info) -> Location | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.inventory.locations.load(self.parent_id)
        return Location.from_model(row) if row else None

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.inventory.locations.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type
class Lot(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    id: relay.NodeID[int]
    code: str
    expires_on: date | None
    best_before_on: date | None
    removal_on: date | None = strawberry.field(
        description="After this day the lot is never suggested or reserved, and taken by name only with the"
        " permission stock.take_expired."
    )
    alert_on: date | None
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Lot) -> Lot:
        return cls(
            id=row.id, code=row.code, expires_on=row.expires_on, best_before_on=row.best_before_on,
            removal_on=row.removal_on or row.expires_on, alert_on=row.alert_on,
            product_id=row.product_id, location_id=row.location_id,  # type: ignore[attr-defined]
        )  # fmt: skip

    @strawberry.field(description="For a serial: where its last move took it (a bin, or a customer); else null.")
    async def location(self, info: Info) -> Location | None:
        if self.location_id is None:
            return None
        row = await info.context.loaders.inventory.locations.load(self.location_id)
        return Location.from_model(row) if row else None

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_model(await info.context.loaders.catalog.products.load(self.product_id))

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.inventory.lots.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(description="On hand and reserved of one product in one location and lot.")
class StockLevel(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    max_id = MAX_ID  # BIGINT key
    id: relay.NodeID[int]
    sku: str
    location_code: str
    lot_code: str | None
    expires_on: date | None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = strawberry.field(
        description="On hand less reserved: what can be sold or reserved. 0 where stock does not sell (see"
        " `sellable`) and in a lot past its removal date."
    )
    sellable: bool = strawberry.field(
        description="False: the location does not sell (receiving, quality control, quarantine, damaged) or is the"
        " transit location; its stock is on hand, never available."
    )
    package_sscc: str | None = strawberry.field(
        description="The SSCC of the package (pallet, case, box) this stock is in; null for loose stock."
    )
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @classmethod
    def from_level(cls, level: Level) -> StockLevel:
        return cls(
            id=level.id,
            sku=level.sku,
            location_code=level.location_code,
            lot_code=level.lot_code,
            expires_on=level.expires_on,
            on_hand=level.on_hand,  # type: ignore[arg-type]
            reserved=level.reserved,  # type: ignore[arg-type]
            available=level.available,  # type: ignore[arg-type]
            sellable=level.sellable,
            package_sscc=level.package_sscc,
            product_id=level.product_id,
            location_id=level.location_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_model(await info.context.loaders.catalog.products.load(self.product_id))

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_model(await info.context.loaders.inventory.locations.load(self.location_id))

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {i: cls.from_level(level) for i, level in (await stock_levels_by_ids(ids)).items()}


@strawberry.type(description="One ledger entry: a quantity that left one location for another.")
class StockMove(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    max_id = MAX_ID  # BIGINT key
    id: relay.NodeID[int]
    sku: str
    quantity: Decimal
    from_location_code: str
    to_location_code: str
    lot_code: str | None
    kind: str
    reason: str | None
    created_at: datetime = strawberry.field(description="When it was booked.")
    effective_at: datetime = strawberry.field(
        description="When it happened: when the scan was read, or the document's business date."
    )
    cost: strawberry.Private[tuple[Any, Any]]  # (unit cost, value): shown to costs.view only

    @strawberry.field(
        permission_classes=[require(Permission.COSTS_VIEW)],
        description="What one unit cost, fixed when the move was booked (null: booked before valuation).",
    )
    def unit_cost(self) -> Decimal | None:
        return self.cost[0]  # type: ignore[no-any-return]

    @strawberry.field(
        permission_classes=[require(Permission.COSTS_VIEW)],
        description="The value the move carried: into or out of a warehouse, or the cost of goods of an issue.",
    )
    def value(self) -> Decimal | None:
        return self.cost[1]  # type: ignore[no-any-return]

    @classmethod
    def from_move(cls, move: Move) -> StockMove:
        return cls(
            id=move.id,
            sku=move.sku,
            quantity=move.quantity,  # type: ignore[arg-type]
            from_location_code=move.from_location_code,
            to_location_code=move.to_location_code,
            lot_code=move.lot_code,
            kind=move.kind,
            reason=move.reason,
            created_at=move.created_at,
            effective_at=move.effective_at,
            cost=(move.unit_cost, move.value),
        )

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {m.id: cls.from_move(m) for m in await load_moves(ids)}


@strawberry.type(description="Up to which day the periods are closed.")
class PeriodLock:
    warehouse: str | None = strawberry.field(description="null: the whole company.")
    locked_until: date | None = strawberry.field(description="null: every period is open.")
    updated_at: datetime | None


@strawberry.type
class LedgerCheck(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    id: relay.NodeID[int]
    ok: bool
    started_at: datetime
    finished_at: datetime
    quants_checked: int
    all_problems: strawberry.Private[list[str]]

    @classmethod
    def from_model(cls, row: models.LedgerCheck) -> LedgerCheck:
        return cls(
            id=row.id,
            ok=row.ok,
            started_at=row.started_at,
            finished_at=row.finished_at,
            quants_checked=row.quants_checked,
            all_problems=list(row.problems),
        )

    @strawberry.field(
        description="What the check found wrong, the first `first` of them (up to 1000 are kept). `first` defaults"
        " to the server's page size (100 unless configured) and more is clamped to it."
    )
    def problems(self, info: Info, first: int | None = None) -> list[str]:
        return self.all_problems[: page_window(info, first, None).limit]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await ledger_checks_by_ids(ids)}


@strawberry.type(name="WarehouseConnection")
class WarehouseConnection(relay.Connection[Warehouse]):
    pass


@strawberry.type(name="LocationConnection")
class LocationConnection(relay.Connection[Location]):
    pass


@strawberry.type(name="StockLevelConnection")
class StockLevelConnection(relay.Connection[StockLevel]):
    pass


@strawberry.type(name="StockMoveConnection")
class StockMoveConnection(relay.Connection[StockMove]):
    pass


@strawberry.type(name="LedgerCheckConnection")
class LedgerCheckConnection(relay.Connection[LedgerCheck]):
    pass
