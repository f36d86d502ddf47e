"""Removal strategies, availability and reservations in the graph: thin over server.inventory."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.context import Info
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.errors import Invalid
from server.inventory import availability as stock_availability
from server.inventory import removal, removal_settings, reservations

RemovalStrategy = strawberry.enum(
    removal.RemovalStrategy, name="RemovalStrategy",
    description="FIFO: oldest stock first. FEFO: the lot to be removed first goes first. CLOSEST: the bins nearest"
    " (in the location tree) to a start location first, then by code.",
)  # fmt: skip

_FIRST = "At most this many (default and most: the server's page size)."


@strawberry.type
class Portion:
    location_code: str
    lot_code: str | None
    removal_on: date | None
    quantity: Decimal


@strawberry.type(description="Where to take a quantity from: free stock in sellable bins, in the strategy's order.")
class RemovalSuggestion:
    strategy: RemovalStrategy
    short: Decimal = strawberry.field(description="What the location lacks of the quantity asked for.")
    all_portions: strawberry.Private[list[Portion]]

    @strawberry.field(description=_FIRST)
    def portions(self, info: Info, first: int | None = None) -> list[Portion]:
        return self.all_portions[: page_window(info, first, None).limit]


@strawberry.type
class BinAvailability:
    warehouse_code: str
    location_code: str
    lot_code: str | None
    removal_on: date | None
    sellable: bool
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = strawberry.field(description="On hand less reserved; 0 where not sellable or past removal.")


@strawberry.type
class WarehouseAvailability:
    warehouse_code: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@strawberry.type(description="A quantity a document will bring in.")
class IncomingStock:
    document_type: str
    document_id: int
    document_number: str | None
    warehouse_code: str | None
    location_code: str | None
    quantity: Decimal
    expected_on: date


@strawberry.type(description="What of a product can be sold or reserved, and what is coming.")
class Availability:
    sku: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = strawberry.field(description="In sellable bins and lots not past their removal date.")
    found: strawberry.Private[stock_availability.Availability]

    @strawberry.field(description=_FIRST)
    def warehouses(self, info: Info, first: int | None = None) -> list[WarehouseAvailability]:
        limit = page_window(info, first, None).limit
        return [WarehouseAvailability(warehouse_code=w.warehouse_code, on_hand=w.totals.on_hand,  # type: ignore[arg-type]
                                      reserved=w.totals.reserved, available=w.totals.available)  # type: ignore[arg-type]
                for w in self.found.warehouses[:limit]]  # fmt: skip

    @strawberry.field(description="Bins by warehouse, location and lot. " + _FIRST)
    def bins(self, info: Info, first: int | None = None) -> list[BinAvailability]:
        limit = page_window(info, first, None).limit
        return [BinAvailability(**vars(b)) for b in self.found.bins[:limit]]

    @strawberry.field(description="Earliest first. " + _FIRST)
    def incoming(self, info: Info, first: int | None = None) -> list[IncomingStock]:
        limit = page_window(info, first, None).limit
        return [IncomingStock(**vars(i)) for i in self.found.incoming[:limit]]


@strawberry.type
class Held:
    location_code: str
    lot_code: str | None
    quantity: Decimal


@strawberry.type(description="Stock held for a document line; what it wants beyond that waits for stock.")
class Reservation:
    document_type: str
    document_id: int
    line_id: int
    sku: str
    warehouse_code: str
    lot_code: str | None
    priority: int
    wanted: Decimal
    reserved: Decimal
    waiting: Decimal = strawberry.field(description="Wanted but not reserved yet: served when stock comes.")
    all_held: strawberry.Private[list[reservations.Held]]

    @strawberry.field(description="Where it is held. " + _FIRST)
    def held(self, info: Info, first: int | None = None) -> list[Held]:
        return [Held(**vars(h)) for h in self.all_held[: page_window(info, first, None).limit]]

    @classmethod
    def of(cls, r: reservations.Reservation) -> Reservation:
        return cls(
            document_type=r.key.document_type, document_id=r.key.document_id, line_id=r.key.line_id, sku=r.sku,
            warehouse_code=r.warehouse_code, lot_code=r.lot_code, priority=r.priority, wanted=r.wanted,  # type: ignore[arg-type]
            reserved=r.reserved, waiting=r.waiting, all_held=r.held,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.input
class ReserveStockInput:
    document_type: str = strawberry.field(description="The kind of document the line is on, e.g. sales.order.")
    document_id: int
    line_id: int
    sku: str
    warehouse_code: str
    quantity: Decimal = strawberry.field(description="What the line wants in all (not more): asked again, it changes.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    priority: int = strawberry.field(default=0, description="-1000 to 1000; higher is served first.")
    lot: str | None = strawberry.field(default=None, description="Only this lot or serial.")
    all_or_nothing: bool = strawberry.field(
        default=False, description="Refuse (INSUFFICIENT_STOCK) unless all of it can be reserved now."
    )


@strawberry.input
class ReleaseStockInput:
    document_type: str
    document_id: int
    line_id: int
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    quantity: Decimal | None = strawberry.field(default=None, description="How much less it wants; null: all of it.")


@strawberry.type
class ReservationPayload(Payload):
    reservation: Reservation | None = strawberry.field(default=None, description="Null once released entirely.")
    replayed: bool = False

    @classmethod
    def of(cls, done: reservations.Reserved) -> ReservationPayload:
        shown = Reservation.of(done.reservation) if done.reservation else None
        return cls(reservation=shown, replayed=done.replayed)


@strawberry.input(description="A product's or a category's strategy: give exactly one of sku and category.")
class SetRemovalStrategyInput:
    sku: str | None = None
    category: str | None = None
    strategy: RemovalStrategy | None = strawberry.field(description="Null: follow the next in line.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SetLocationRemovalStrategyInput:
    location_code: str
    strategy: RemovalStrategy | None = strawberry.field(description="Null: follow the parent location.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class RemovalStrategyPayload(Payload):
    strategy: RemovalStrategy | None = None

    @classmethod
    def of(cls, setting: removal_settings.StrategySetting) -> RemovalStrategyPayload:
        return cls(strategy=setting.strategy)


def _owner(input: SetRemovalStrategyInput) -> tuple[removal_settings.StrategyOwner, str]:
    if (input.sku is None) == (input.category is None):
        raise Invalid("Give exactly one of sku and category.", field="sku")
    if input.sku is not None:
        return removal_settings.StrategyOwner.PRODUCT, input.sku
    return removal_settings.StrategyOwner.CATEGORY, input.category  # type: ignore[return-value]


@strawberry.type
class ReservationsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="On hand, reserved and available of a product for the company, per warehouse and per bin,"
        " and what documents will bring in.",
    )
    async def availability(self, info: Info, sku: str, warehouse_code: str | None = None) -> Availability:
        found = await stock_availability.availability(
            sku, warehouse_code=warehouse_code, limit=info.context.settings.max_page_size
        )
        totals = found.totals
        return Availability(sku=found.sku, on_hand=totals.on_hand, reserved=totals.reserved,  # type: ignore[arg-type]
                            available=totals.available, found=found)  # type: ignore[arg-type]  # fmt: skip

    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="Where to take a quantity of a product from, below a location (a warehouse or a zone).",
    )
    async def removal_suggestion(
        self, sku: str, location_code: str, quantity: Decimal, lot: str | None = None,
        near_location_code: str | None = None,
    ) -> RemovalSuggestion:  # fmt: skip
        found = await removal.suggest(sku, location_code, quantity, lot=lot, near=near_location_code)
        portions = [Portion(location_code=p.location_code, lot_code=p.lot_code, removal_on=p.removal_on,
                            quantity=p.quantity) for p in found.portions]  # type: ignore[arg-type]  # fmt: skip
        return RemovalSuggestion(strategy=found.strategy, short=found.short, all_portions=portions)  # type: ignore[arg-type]

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)], description="What a line has reserved.")
    async def reservation(self, document_type: str, document_id: int, line_id: int) -> Reservation | None:
        try:
            key = reservations.DemandKey.of(document_type, document_id, line_id)
        except Invalid:
            return None
        found = await reservations.reservation(key)
        return Reservation.of(found) if found else None

    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="What the lines of a document have reserved, by line. " + _FIRST,
    )
    async def reservations(
        self, info: Info, document_type: str, document_id: int, first: int | None = None
    ) -> list[Reservation]:
        limit = page_window(info, first, None).limit
        found = await reservations.reservations_of_document(document_type, document_id, limit=limit)
        return [Reservation.of(r) for r in found]


@strawberry.type
class ReservationsMutation:
    @mutation(Permission.STOCK_RESERVE, description="Reserve stock of a warehouse for a document line.")
    async def reserve_stock(self, info: Info, input: ReserveStockInput) -> ReservationPayload:
        return await answer(
            ReservationPayload,
            lambda: reservations.reserve(
                input.document_type, input.document_id, input.line_id, input.sku, input.warehouse_code,
                input.quantity, priority=input.priority, lot=input.lot, all_or_nothing=input.all_or_nothing,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            ReservationPayload.of,
        )  # fmt: skip

    @mutation(Permission.STOCK_RESERVE, description="Release what a document line reserved, or part of it.")
    async def release_stock(self, info: Info, input: ReleaseStockInput) -> ReservationPayload:
        return await answer(
            ReservationPayload,
            lambda: reservations.release(
                input.document_type, input.document_id, input.line_id, quantity=input.quantity,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            ReservationPayload.of,
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE, description="Which stock of a product or category leaves first.")
    async def set_removal_strategy(self, info: Info, input: SetRemovalStrategyInput) -> RemovalStrategyPayload:
        async def call() -> removal_settings.StrategySetting:
            owner, name = _owner(input)
            return await removal_settings.set_removal_strategy(
                owner, name, input.strategy, actor_id=info.context.user_id, idempotency_key=input.idempotency_key
            )

        return await answer(RemovalStrategyPayload, call, RemovalStrategyPayload.of)

    @mutation(Permission.WAREHOUSE_MANAGE, description="Which stock leaves first from a location and those below.")
    async def set_location_removal_strategy(
        self, info: Info, input: SetLocationRemovalStrategyInput
    ) -> RemovalStrategyPayload:
        return await answer(
            RemovalStrategyPayload,
            lambda: removal_settings.set_removal_strategy(
                removal_settings.StrategyOwner.LOCATION, input.location_code, input.strategy,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            RemovalStrategyPayload.of,
        )  # fmt: skip
