from __future__ import annotations

import dataclasses
from datetime import date

import strawberry

from schema.context import Info
from schema.inventory.putaway import PutawaySuggestion
from schema.inventory.types import Location, LocationUsage, Mixing, PeriodLock, StockMove, Warehouse
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.scalars import Decimal
from schema.scanning.types import ScanInput
from server.auth.permissions import Permission
from server.inventory import ledger, locations, periods
from server.inventory.ledger import Posting
from server.inventory.lots import LotDates
from server.inventory.moves import Move
from server.inventory.putaway import suggest_after_receipt
from server.scanning import ScanInfo


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CreateLocationInput:
    warehouse_code: str
    code: str = strawberry.field(description="Unique across all warehouses; what the bin label says.")
    name: str
    parent_code: str | None = strawberry.field(default=None, description="Defaults to the warehouse itself.")
    usage: LocationUsage | None = strawberry.field(
        default=None, description="Null: the parent's. Also sets `sellable` to its default unless given: only STORAGE"
        " sells.",
    )  # fmt: skip
    sellable: bool | None = strawberry.field(default=None, description="Null: the parent's (or the usage's default).")
    max_units: Decimal | None = strawberry.field(
        default=None, description="Base units of all products together it may hold; null: no limit."
    )
    max_weight_kg: Decimal | None = strawberry.field(
        default=None, description="Kilograms it may hold (products without a weight count 0); null: no limit."
    )
    mixing: Mixing | None = strawberry.field(default=None, description="Null: MIXED.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)

    def settings(self) -> locations.LocationSettings:
        """The settings given, checked by the service as ``updateLocation``'s are; null ones are left out."""
        given = {"usage": self.usage, "sellable": self.sellable, "max_units": self.max_units,
                 "max_weight_kg": self.max_weight_kg, "mixing": self.mixing}  # fmt: skip
        return locations.LocationSettings(**{name: value for name, value in given.items() if value is not None})


@strawberry.input
class ReceiveStockInput:
    sku: str
    location_code: str
    quantity: Decimal
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    lot: str | None = None
    expires_on: date | None = strawberry.field(default=None, description="The lot's expiry (needs a lot).")
    accept_expired: bool = strawberry.field(
        default=False, description="Receive a lot already past its expiry (LOT_EXPIRED without this)."
    )
    unit_cost: Decimal | None = strawberry.field(
        default=None,
        description="What one base unit cost. Without it: the warehouse's average cost of the product while it"
        " holds some, else the product's last cost, else 0.",
    )
    best_before_on: date | None = strawberry.field(default=None, description="The lot's best-before date.")
    removal_on: date | None = strawberry.field(
        default=None, description="After this day the lot is not taken for sale unless named (defaults to expiresOn)."
    )
    alert_on: date | None = strawberry.field(default=None, description="When to look at what is left of the lot.")
    scan: ScanInput | None = None

    def lot_dates(self) -> LotDates:
        return LotDates(best_before_on=self.best_before_on, removal_on=self.removal_on, alert_on=self.alert_on)


IssueReason = strawberry.enum(ledger.IssueReason, name="IssueReason")
ScrapReason = strawberry.enum(ledger.ScrapReason, name="ScrapReason")


@strawberry.input
class IssueStockInput:
    sku: str
    location_code: str
    quantity: Decimal
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    reason: IssueReason = IssueReason.SALE
    scrap_reason: ScrapReason | None = strawberry.field(
        default=None, description="With reason SCRAP: why, kept on the move and shown by stockLosses."
    )
    lot: str | None = strawberry.field(default=None, description="Without it, the first lot to expire goes first.")
    scan: ScanInput | None = None


@strawberry.input
class MoveStockInput:
    sku: str
    from_location_code: str
    to_location_code: str
    quantity: Decimal
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    lot: str | None = None
    scan: ScanInput | None = None


@strawberry.input
class AdjustStockInput:
    sku: str
    location_code: str
    counted_quantity: Decimal
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    lot: str | None = None
    scan: ScanInput | None = None


@strawberry.type
class WarehousePayload(Payload):
    warehouse: Warehouse | None = None


@strawberry.type
class LocationPayload(Payload):
    location: Location | None = None


@strawberry.type
class StockPayload(Payload):
    moves: list[StockMove] = strawberry.field(
        default_factory=list, description="The ledger entries written (one per lot; none when a count matched)."
    )
    replayed: bool = strawberry.field(default=False, description="True when this answers a repeated idempotency key.")
    posted: strawberry.Private[list[Move]] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, posting: Posting) -> StockPayload:
        return cls(moves=[StockMove.from_move(m) for m in posting.moves], replayed=posting.replayed,
                   posted=posting.moves)  # fmt: skip

    @strawberry.field(
        description="After a receipt into a location that is not for storage (a dock): the storage bin to move it to"
        " (see putawaySuggestion). Null for other postings, a receipt straight into storage, or when nothing fits."
    )
    async def putaway(self) -> PutawaySuggestion | None:
        return PutawaySuggestion.of(await suggest_after_receipt(self.posted))


@strawberry.input
class SetPeriodLockInput:
    warehouse: str | None = strawberry.field(default=None, description="A warehouse's code; null: the whole company.")
    locked_until: date | None = strawberry.field(
        description="Postings effective on or before this day are refused (PERIOD_LOCKED); null opens every period."
    )


@strawberry.type
class PeriodLockPayload(Payload):
    lock: PeriodLock | None = None


def _shown_lock(lock: periods.LockDate) -> PeriodLockPayload:
    return PeriodLockPayload(lock=PeriodLock(warehouse=lock.warehouse_code, locked_until=lock.locked_until,
                                             updated_at=lock.updated_at))  # fmt: skip


def _scan(scan: ScanInput | None) -> ScanInfo | None:
    return scan.info() if scan else None


@strawberry.type
class InventoryMutation:
    @mutation(Permission.PERIODS_MANAGE, description="Close the periods up to a day, for the company or a warehouse.")
    async def set_period_lock(self, info: Info, input: SetPeriodLockInput) -> PeriodLockPayload:
        return await answer(
            PeriodLockPayload,
            lambda: periods.set_period_lock(input.warehouse, input.locked_until, actor_id=info.context.user_id),
            _shown_lock,
        )

    @mutation(Permission.WAREHOUSE_MANAGE)
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> WarehousePayload:
        return await answer(
            WarehousePayload,
            lambda: locations.create_warehouse(input.code, input.name, actor_id=info.context.user_id,
                                               idempotency_key=input.idempotency_key),
            lambda row: WarehousePayload(warehouse=Warehouse.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.WAREHOUSE_MANAGE)
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        return await answer(
            LocationPayload,
            lambda: locations.create_location(
                input.warehouse_code, input.code, input.name, parent_code=input.parent_code,
                settings=input.settings(), actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            lambda row: LocationPayload(location=Location.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.STOCK_RECEIVE)
    async def receive_stock(self, info: Info, input: ReceiveStockInput) -> StockPayload:
        return await answer(
            StockPayload,
            lambda: ledger.receive(
                input.sku, input.location_code, input.quantity, lot=input.lot, expires_on=input.expires_on,
                dates=input.lot_dates(), accept_expired=input.accept_expired, actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key, scan=_scan(input.scan), unit_cost=input.unit_cost,
            ),
            StockPayload.of,
        )  # fmt: skip

    @mutation(Permission.STOCK_ISSUE)
    async def issue_stock(self, info: Info, input: IssueStockInput) -> StockPayload:
        return await answer(
            StockPayload,
            lambda: ledger.issue(
                input.sku, input.location_code, input.quantity, reason=input.reason, scrap_reason=input.scrap_reason,
                lot=input.lot,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key, scan=_scan(input.scan),
            ),
            StockPayload.of,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE)
    async def move_stock(self, info: Info, input: MoveStockInput) -> StockPayload:
        return await answer(
            StockPayload,
            lambda: ledger.move(
                input.sku, input.from_location_code, input.to_location_code, input.quantity, lot=input.lot,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key, scan=_scan(input.scan),
            ),
            StockPayload.of,
        )  # fmt: skip

    @mutation(Permission.STOCK_ADJUST)
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockPayload:
        return await answer(
            StockPayload,
            lambda: ledger.adjust(
                input.sku, input.location_code, input.counted_quantity, lot=input.lot,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key, scan=_scan(input.scan),
            ),
            StockPayload.of,
        )  # fmt: skip
