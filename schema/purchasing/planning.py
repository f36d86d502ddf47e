"""Purchase planning over GraphQL: reorder rules, what planning would order now and why, and a run on demand."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.jobs.types import JobPayload
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.nodes import Fetchable
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import quantities
from server.purchasing import planning, planning_run, reorder_rules
from server.purchasing.planning_models import DEFAULT_DEMAND_DAYS
from server.purchasing.planning_models import ReorderRule as RuleRow

MAX_SUGGESTIONS = 500


@strawberry.type(description="Keep a product in a warehouse: what purchase planning orders of it, and from whom.")
class ReorderRule(Fetchable, relay.Node):
    view_permission = Permission.PURCHASING_MANAGE
    id: relay.NodeID[int]
    warehouse_code: str
    sku: str
    minimum: Decimal = strawberry.field(description="Base units: at or below this (available + incoming), order"
                                        " up to the maximum.")  # fmt: skip
    maximum: Decimal = strawberry.field(description="Base units; 0: no min/max, demand alone decides.")
    safety_stock: Decimal = strawberry.field(description="Base units kept beyond the lead time's demand.")
    demand_days: int = strawberry.field(description="The days the average daily demand is read over.")
    supplier: str | None = strawberry.field(description="The preferred supplier; null: the lowest valid price.")

    @classmethod
    def from_model(cls, row: RuleRow) -> ReorderRule:
        return cls(
            id=row.id, warehouse_code=row.warehouse.code, sku=row.product.sku,
            minimum=quantities.from_db(row.minimum), maximum=quantities.from_db(row.maximum),  # type: ignore[arg-type]
            safety_stock=quantities.from_db(row.safety_stock), demand_days=row.demand_days,  # type: ignore[arg-type]
            supplier=row.supplier.code if row.supplier else None,
        )  # fmt: skip

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {row.id: cls.from_model(row) for row in await reorder_rules.rules_by_ids(ids)}


@strawberry.type(name="ReorderRuleConnection")
class ReorderRuleConnection(relay.Connection[ReorderRule]):
    pass


@strawberry.type(description="What purchase planning would order of a product for a warehouse now, and why.")
class PurchaseSuggestion:
    warehouse_code: str
    sku: str
    supplier: str | None = strawberry.field(description="Who it would be bought from; null: nobody has a price.")
    unit: str | None = strawberry.field(description="The supplier's unit or pack.")
    pack_quantity: Decimal | None = strawberry.field(description="Base units in one of the supplier's unit.")
    packs: Decimal = strawberry.field(description="How many of the supplier's unit would be ordered (whole packs).")
    quantity: Decimal = strawberry.field(description="Base units those packs hold.")
    need: Decimal = strawberry.field(description="Base units needed, before packs: the larger of the two needs.")
    demand_need: Decimal
    min_max_need: Decimal
    available: Decimal
    incoming: Decimal = strawberry.field(description="Open orders and other incoming, and drafts but planning's own.")
    demand: Decimal = strawberry.field(description="Base units that left to customers or assemblies in the window.")
    demand_days: int
    daily_demand: Decimal
    lead_time_days: int
    safety_stock: Decimal
    minimum: Decimal
    maximum: Decimal
    no_price: bool = strawberry.field(description="Needed, but no supplier has a valid price for it.")
    reason: str

    @classmethod
    def of(cls, s: planning.Suggestion) -> PurchaseSuggestion:
        return cls(
            warehouse_code=s.warehouse_code, sku=s.sku, supplier=s.offer.supplier_code if s.offer else None,
            unit=s.offer.unit if s.offer else None, pack_quantity=s.offer.pack_quantity if s.offer else None,  # type: ignore[arg-type]
            packs=s.packs, quantity=s.quantity, need=s.need, demand_need=s.demand_need,  # type: ignore[arg-type]
            min_max_need=s.min_max_need, available=s.available, incoming=s.incoming, demand=s.demand,  # type: ignore[arg-type]
            demand_days=s.demand_days, daily_demand=s.daily_demand, lead_time_days=s.lead_time_days,  # type: ignore[arg-type]
            safety_stock=s.safety_stock, minimum=s.minimum, maximum=s.maximum, no_price=s.no_price,  # type: ignore[arg-type]
            reason=s.reason,
        )  # fmt: skip


@strawberry.input
class SetReorderRuleInput:
    warehouse: str
    sku: str
    minimum: Decimal = strawberry.field(default="0", description="Base units, zero or more.")  # type: ignore[assignment]
    maximum: Decimal = strawberry.field(default="0", description="Base units, not below the minimum.")  # type: ignore[assignment]
    safety_stock: Decimal = strawberry.field(default="0", description="Base units, zero or more.")  # type: ignore[assignment]
    demand_days: int = strawberry.field(default=DEFAULT_DEMAND_DAYS, description="1 to 366 days.")
    supplier: str | None = strawberry.field(default=None, description="Null or blank: the lowest valid price.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class DeleteReorderRuleInput:
    warehouse: str
    sku: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class RunPurchasePlanningInput:
    idempotency_key: str = strawberry.field(description="The same key enqueues the run once.")
    warehouse_code: str | None = strawberry.field(default=None, description="Null: every warehouse with rules.")


@strawberry.type
class ReorderRulePayload(Payload):
    rule: ReorderRule | None = None


@strawberry.type
class DeleteReorderRulePayload(Payload):
    deleted_id: strawberry.ID | None = None


@strawberry.type
class PlanningQuery:
    @strawberry.field(permission_classes=[require(Permission.PURCHASING_MANAGE)])
    async def reorder_rules(
        self, info: Info, warehouse_code: str | None = None, sku: str | None = None,
        first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> ReorderRuleConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        query = reorder_rules.find_rules(warehouse=warehouse_code, sku=sku)
        return await paginate_queryset(ReorderRuleConnection, query, window, ReorderRule.from_model)

    @strawberry.field(
        permission_classes=[require(Permission.PURCHASING_MANAGE)],
        description="What purchase planning would order for a warehouse now and why, by SKU; writes nothing.",
    )
    async def purchase_suggestions(self, info: Info, warehouse_code: str, first: int = 100) -> list[PurchaseSuggestion]:
        found = await planning.suggestions(warehouse_code)
        return [PurchaseSuggestion.of(s) for s in found[: max(0, min(first, MAX_SUGGESTIONS))]]


@strawberry.type
class PlanningMutation:
    @mutation(Permission.PURCHASING_MANAGE, description="Plan purchases of a product for a warehouse by this rule"
              " (set again: changed).")  # fmt: skip
    async def set_reorder_rule(self, info: Info, input: SetReorderRuleInput) -> ReorderRulePayload:
        given = reorder_rules.RuleInput(input.warehouse, input.sku, input.minimum, input.maximum, input.safety_stock,
                                        input.demand_days, input.supplier)  # fmt: skip
        return await answer(
            ReorderRulePayload,
            lambda: reorder_rules.set_rule(given, actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            lambda row: ReorderRulePayload(rule=ReorderRule.from_model(row)),
        )

    @mutation(Permission.PURCHASING_MANAGE, description="Stop planning purchases of a product for a warehouse.")
    async def delete_reorder_rule(self, info: Info, input: DeleteReorderRuleInput) -> DeleteReorderRulePayload:
        return await answer(
            DeleteReorderRulePayload,
            lambda: reorder_rules.delete_rule(input.warehouse, input.sku, actor_id=info.context.user_id,
                                              idempotency_key=input.idempotency_key),
            lambda gone: DeleteReorderRulePayload(deleted_id=strawberry.ID(relay.to_base64("ReorderRule", gone))),
        )  # fmt: skip

    @mutation(
        Permission.PURCHASING_MANAGE,
        description="Run purchase planning now (in the background): draft purchase orders per supplier, store and"
        " warehouse; a rerun changes only the lines it wrote that nobody edited since.",
    )
    async def run_purchase_planning(self, info: Info, input: RunPurchasePlanningInput) -> JobPayload:
        queue = info.context.queue
        if queue is None:
            raise RuntimeError("no job queue in this context")
        return await answer(
            JobPayload,
            lambda: planning_run.request_planning(queue, input.idempotency_key, input.warehouse_code,
                                                  actor_id=info.context.user_id),
            lambda queued: JobPayload(job_id=queued[0], enqueued=queued[1]),
        )  # fmt: skip
