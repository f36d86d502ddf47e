"""Replenishment over GraphQL: the min/max rules of pick bins, and a run of the replenishment job on demand."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.inventory.types import Location
from schema.jobs.types import JobPayload
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.nodes import Fetchable
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import quantities
from server.inventory.replenishment import proposals, rules
from server.inventory.replenishment.models import ReplenishmentRule as RuleRow


@strawberry.type(description="Keep a product in a pick bin between a minimum and a maximum, refilled from reserve.")
class ReplenishmentRule(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    id: relay.NodeID[int]
    warehouse_code: str
    sku: str
    location: Location = strawberry.field(description="The pick bin.")
    minimum: Decimal = strawberry.field(description="Base units: at or below this, a run proposes a refill.")
    maximum: Decimal = strawberry.field(description="Base units: what a refill brings the bin up to.")
    source: Location | None = strawberry.field(
        description="The zone or bin refills come from; null: any reserve storage of the warehouse."
    )

    @classmethod
    def from_model(cls, row: RuleRow) -> ReplenishmentRule:
        return cls(
            id=row.id, warehouse_code=row.warehouse.code, sku=row.product.sku,
            location=Location.from_model(row.location),
            minimum=quantities.from_db(row.minimum), maximum=quantities.from_db(row.maximum),  # type: ignore[arg-type]
            source=Location.from_model(row.source) if row.source else None,
        )  # fmt: skip

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {row.id: cls.from_model(row) for row in await rules.rules_by_ids(ids)}


@strawberry.type(name="ReplenishmentRuleConnection")
class ReplenishmentRuleConnection(relay.Connection[ReplenishmentRule]):
    pass


@strawberry.input
class SetReplenishmentRuleInput:
    location_code: str = strawberry.field(description="The pick bin: a sellable bin without sub-locations.")
    sku: str
    minimum: Decimal = strawberry.field(description="Base units, zero or more.")
    maximum: Decimal = strawberry.field(description="Base units, above the minimum.")
    source_location_code: str | None = strawberry.field(
        default=None, description="A zone or bin of the same warehouse to refill from; null: any reserve storage."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class RemoveReplenishmentRuleInput:
    location_code: str
    sku: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class RunReplenishmentInput:
    idempotency_key: str = strawberry.field(description="The same key enqueues the run once.")
    warehouse_code: str | None = strawberry.field(default=None, description="Null: every warehouse with rules.")


@strawberry.type
class ReplenishmentRulePayload(Payload):
    rule: ReplenishmentRule | None = None


@strawberry.type
class RemoveReplenishmentRulePayload(Payload):
    removed_id: strawberry.ID | None = None


@strawberry.type
class ReplenishmentQuery:
    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def replenishment_rules(
        self, info: Info, warehouse_code: str | None = None, location_code: str | None = None, sku: str | None = None,
        first: int | None = None, after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> ReplenishmentRuleConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        query = rules.find_rules(warehouse_code=warehouse_code, location_code=location_code, sku=sku)
        return await paginate_queryset(ReplenishmentRuleConnection, query, window, ReplenishmentRule.from_model)


@strawberry.type
class ReplenishmentMutation:
    @mutation(Permission.WAREHOUSE_MANAGE, description="Keep a product in a pick bin between a minimum and a maximum"
              " (set again: changed).")  # fmt: skip
    async def set_replenishment_rule(self, info: Info, input: SetReplenishmentRuleInput) -> ReplenishmentRulePayload:
        return await answer(
            ReplenishmentRulePayload,
            lambda: rules.set_rule(
                input.location_code, input.sku, input.minimum, input.maximum, source_code=input.source_location_code,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            lambda row: ReplenishmentRulePayload(rule=ReplenishmentRule.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.WAREHOUSE_MANAGE, description="Stop keeping a product in a pick bin.")
    async def remove_replenishment_rule(
        self, info: Info, input: RemoveReplenishmentRuleInput
    ) -> RemoveReplenishmentRulePayload:
        return await answer(
            RemoveReplenishmentRulePayload,
            lambda: rules.remove_rule(input.location_code, input.sku, actor_id=info.context.user_id,
                                      idempotency_key=input.idempotency_key),
            lambda gone: RemoveReplenishmentRulePayload(
                removed_id=strawberry.ID(relay.to_base64("ReplenishmentRule", gone))),
        )  # fmt: skip

    @mutation(
        Permission.JOBS_RUN,
        description="Run the replenishment job now (in the background): a draft stock.transfer per warehouse"
        " (reason replenishment) refilling its pick bins at or below their minimum, kept up to date by every run.",
    )
    async def run_replenishment(self, info: Info, input: RunReplenishmentInput) -> JobPayload:
        queue = info.context.queue
        if queue is None:
            raise RuntimeError("no job queue in this context")
        return await answer(
            JobPayload,
            lambda: proposals.request_replenishment(queue, input.idempotency_key, input.warehouse_code,
                                                    actor_id=info.context.user_id),
            lambda queued: JobPayload(job_id=queued[0], enqueued=queued[1]),
        )  # fmt: skip
