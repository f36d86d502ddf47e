"""What stock is worth: value at a date, the stock card, revaluations and the costing method (costs.*)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from schema.context import Info
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.nodes import id_from_text
from schema.permissions import require
from schema.relay import page_window, paginate_with
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.clock import today
from server.errors import NotFound
from server.inventory.valuation import card, method, revalue, value
from server.inventory.valuation.books import AVERAGE, FIFO, ZERO
from server.inventory.valuation.models import CostAdjustment as AdjustmentRow
from server.text import shown


@strawberry.enum(description="Moving average per product and warehouse, or FIFO layers (the oldest cost goes first).")
class CostingMethod(StrEnum):
    AVERAGE = AVERAGE
    FIFO = FIFO


@strawberry.type(description="What the stock in scope was worth at the end of a day.")
class StockValue:
    on_date: date
    quantity: Decimal = strawberry.field(description="In base units: meaningful for one product.")
    value: Decimal


@strawberry.type(description="One product in one warehouse (or in transit) at the end of a day.")
class StockValueLine:
    id: strawberry.Private[int]
    sku: str
    warehouse_code: str | None = strawberry.field(description="null: in transit between warehouses.")
    quantity: Decimal
    value: Decimal

    @classmethod
    def of(cls, line: value.BucketValue) -> StockValueLine:
        return cls(id=line.id, sku=line.sku, warehouse_code=line.warehouse_code, quantity=line.quantity,  # type: ignore[arg-type]
                   value=line.value)  # type: ignore[arg-type]  # fmt: skip


@strawberry.type(
    description="A move on a product's stock card, or a revaluation of its stock (kind `revaluation`, quantity 0),"
    " with what the scope held after it."
)
class StockCardLine:
    id: strawberry.Private[int]
    move_id: strawberry.ID = strawberry.field(
        description="The StockMove's global id; on a revaluation, the receipt whose cost it corrected."
    )
    effective_at: datetime = strawberry.field(description="When it happened; a revaluation: when it was made.")
    kind: str = strawberry.field(description="The move's kind (receive, issue, move, adjust ...) or revaluation.")
    reason: str | None
    from_location_code: str | None = strawberry.field(description="Null on a revaluation, which moves nothing.")
    to_location_code: str | None = strawberry.field(description="Null on a revaluation, which moves nothing.")
    quantity: Decimal = strawberry.field(description="What the scope gained; negative: what it lost.")
    unit_cost: Decimal | None = strawberry.field(description="On a revaluation: the receipt's corrected unit cost.")
    value: Decimal = strawberry.field(
        description="Signed like quantity; on a revaluation, what it added to the stock's value (negative: took)."
    )
    quantity_after: Decimal
    value_after: Decimal = strawberry.field(
        description="The sum of the values so far, revaluations included: on the last line, the stock value."
    )

    @classmethod
    def of(cls, line: card.CardLine) -> StockCardLine:
        return cls(
            id=line.id, move_id=strawberry.ID(str(relay.GlobalID("StockMove", str(line.move_id)))),
            effective_at=line.effective_at, kind=line.kind, reason=line.reason,
            from_location_code=line.from_location_code, to_location_code=line.to_location_code,
            quantity=line.quantity, unit_cost=line.unit_cost, value=line.value,  # type: ignore[arg-type]
            quantity_after=line.quantity_after, value_after=line.value_after,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type(description="A correction of an incoming move's cost, dated when it was made.")
class CostAdjustment:
    id: strawberry.Private[int]
    move_id: strawberry.ID = strawberry.field(description="The StockMove's global id.")
    kind: str = strawberry.field(
        description="revaluation: the part still on hand (changes stock value). cost_of_goods: the part already"
        " consumed (an adjustment of the cost of goods)."
    )
    quantity: Decimal
    value: Decimal
    unit_cost_before: Decimal
    unit_cost_after: Decimal
    reason: str | None
    effective_at: datetime

    @classmethod
    def of(cls, row: AdjustmentRow) -> CostAdjustment:
        return cls(
            id=row.id, move_id=strawberry.ID(str(relay.GlobalID("StockMove", str(row.move_id)))), kind=row.kind,
            quantity=row.quantity, value=row.value, unit_cost_before=row.unit_cost_before,  # type: ignore[arg-type]
            unit_cost_after=row.unit_cost_after, reason=row.reason, effective_at=row.effective_at,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type(name="StockValueLineConnection")
class StockValueLineConnection(relay.Connection[StockValueLine]):
    pass


@strawberry.type(name="StockCardLineConnection")
class StockCardLineConnection(relay.Connection[StockCardLine]):
    pass


@strawberry.type(name="CostAdjustmentConnection")
class CostAdjustmentConnection(relay.Connection[CostAdjustment]):
    pass


COSTS = [require(Permission.COSTS_VIEW)]


@strawberry.type
class ValuationQuery:
    @strawberry.field(
        permission_classes=COSTS,
        description="The value of the stock at the end of a day (default today): of the company, a warehouse, a"
        " product, or a product in a warehouse.",
    )
    async def stock_value(
        self, on_date: date | None = None, sku: str | None = None, warehouse_code: str | None = None
    ) -> StockValue:
        day = on_date or today()
        lines = await value.stock_value(day, sku=sku, warehouse_code=warehouse_code)
        return StockValue(on_date=day, quantity=sum((line.quantity for line in lines), ZERO),  # type: ignore[arg-type]
                          value=sum((line.value for line in lines), ZERO))  # type: ignore[arg-type]  # fmt: skip

    @strawberry.field(permission_classes=COSTS, description="The stock value per product and warehouse at a day's end.")
    async def stock_value_lines(
        self, info: Info, on_date: date | None = None, sku: str | None = None, warehouse_code: str | None = None,
        first: int | None = None, after: str | None = None,
    ) -> StockValueLineConnection:  # fmt: skip
        window = page_window(info, first, after)

        async def fetch(after_id: int | None, limit: int) -> list[Any]:
            lines = await value.stock_value(on_date or today(), sku=sku, warehouse_code=warehouse_code)
            return [line for line in lines if after_id is None or line.id > after_id][:limit]

        return await paginate_with(StockValueLineConnection, fetch, window, StockValueLine.of)

    @strawberry.field(
        permission_classes=COSTS,
        description="Every move of a product in booking order (of one warehouse, or all), and every revaluation of"
        " its stock after the last move booked before it, with the running quantity and value.",
    )
    async def stock_card(
        self, info: Info, sku: str, warehouse_code: str | None = None, first: int | None = None,
        after: str | None = None,
    ) -> StockCardLineConnection:  # fmt: skip
        window = page_window(info, first, after)

        async def fetch(after_id: int | None, limit: int) -> list[Any]:
            return await card.stock_card(sku, warehouse_code=warehouse_code, after_id=after_id, limit=limit)

        return await paginate_with(StockCardLineConnection, fetch, window, StockCardLine.of)

    @strawberry.field(permission_classes=COSTS, description="Cost corrections, oldest first: of one move or all.")
    async def cost_adjustments(
        self, info: Info, move_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> CostAdjustmentConnection:
        window = page_window(info, first, after)
        wanted = _move_id(move_id) if move_id is not None else None

        async def fetch(after_id: int | None, limit: int) -> list[Any]:
            return await revalue.cost_adjustments(move_id=wanted, after_id=after_id, limit=limit)

        return await paginate_with(CostAdjustmentConnection, fetch, window, CostAdjustment.of)


def _move_id(raw: object) -> int:
    """The row id in a StockMove's global id; NOT_FOUND for anything else."""
    try:
        global_id = relay.GlobalID.from_id(raw) if isinstance(raw, str) else None
    except GlobalIDValueError:
        global_id = None
    move_id = id_from_text(global_id.node_id) if global_id and global_id.type_name == "StockMove" else None
    if move_id is None:
        raise NotFound(f"{shown(str(raw))} is not the id of a stock move.", field="moveId")
    return move_id


@strawberry.input
class RevalueStockMoveInput:
    move_id: strawberry.ID = strawberry.field(description="The incoming StockMove (a receipt) whose cost was wrong.")
    unit_cost: Decimal = strawberry.field(description="What one unit really cost.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    reason: str | None = None


@strawberry.type
class Revaluation:
    move_id: strawberry.ID
    unit_cost_before: Decimal
    unit_cost_after: Decimal
    revalued: Decimal = strawberry.field(description="What the stock still on hand gained (or lost) in value.")
    cost_of_goods: Decimal = strawberry.field(description="The adjustment of the cost of what was already consumed.")
    adjustments: list[CostAdjustment] = strawberry.field(description="At most two: revaluation, cost_of_goods.")


@strawberry.type
class RevaluationPayload(Payload):
    revaluation: Revaluation | None = None
    replayed: bool = False

    @classmethod
    def of(cls, done: revalue.Revaluation) -> RevaluationPayload:
        return cls(revaluation=Revaluation(
            move_id=strawberry.ID(str(relay.GlobalID("StockMove", str(done.move_id)))),
            unit_cost_before=done.unit_cost_before, unit_cost_after=done.unit_cost_after,  # type: ignore[arg-type]
            revalued=done.revalued, cost_of_goods=done.cost_of_goods,  # type: ignore[arg-type]
            adjustments=[CostAdjustment.of(a) for a in done.adjustments],
        ), replayed=done.replayed)  # fmt: skip


@strawberry.input
class SetCostingMethodInput:
    sku: str
    costing_method: CostingMethod
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class CostingMethodPayload(Payload):
    sku: str | None = None
    costing_method: CostingMethod | None = None


@strawberry.type
class ValuationMutation:
    @mutation(
        Permission.COSTS_MANAGE,
        description="Correct the unit cost of a receipt: what is still on hand is revalued, what was consumed"
        " becomes a cost-of-goods adjustment, both dated now.",
    )
    async def revalue_stock_move(self, info: Info, input: RevalueStockMoveInput) -> RevaluationPayload:
        return await answer(
            RevaluationPayload,
            lambda: revalue.revalue(
                _move_id(input.move_id), input.unit_cost, reason=input.reason, actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            RevaluationPayload.of,
        )  # fmt: skip

    @mutation(Permission.COSTS_MANAGE, description="How a product's stock is valued; changes only without stock.")
    async def set_costing_method(self, info: Info, input: SetCostingMethodInput) -> CostingMethodPayload:
        return await answer(
            CostingMethodPayload,
            lambda: method.set_costing_method(
                input.sku, CostingMethod(input.costing_method).value, actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            lambda row: CostingMethodPayload(sku=row.sku, costing_method=CostingMethod(row.costing_method)),
        )  # fmt: skip
