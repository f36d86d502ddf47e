"""Putaway over GraphQL: where received stock should go, and the rules per warehouse that say so."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from schema.context import Info
from schema.inventory.types import Location
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.nodes import Fetchable, parse_node_id
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.errors import Invalid
from server.inventory import models, putaway
from server.text import shown

PutawayReason = strawberry.enum(putaway.Reason, name="PutawayReason", description="Why a bin was suggested.")


@strawberry.type(description="Where received stock of a product, or of a category, goes in a warehouse.")
class PutawayRule(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    id: relay.NodeID[int]
    warehouse_code: str
    sku: str | None = strawberry.field(description="The product it is for; null: a category's rule.")
    category: str | None = strawberry.field(description="The category it is for; null: a product's rule.")
    location: Location = strawberry.field(description="The zone (a bin with room under it) or the bin.")
    sequence: int = strawberry.field(description="Rules are tried lowest first, a product's before its category's.")

    @classmethod
    def from_model(cls, row: models.PutawayRule) -> PutawayRule:
        return cls(
            id=row.id, warehouse_code=row.warehouse.code, sku=row.product.sku if row.product else None,
            category=row.category.name if row.category else None, location=Location.from_model(row.location),
            sequence=row.sequence,
        )  # fmt: skip

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {row.id: cls.from_model(row) for row in await putaway.rules_by_ids(ids)}


@strawberry.type(name="PutawayRuleConnection")
class PutawayRuleConnection(relay.Connection[PutawayRule]):
    pass


@strawberry.type(description="A storage bin where received stock fits: by a rule, beside the same product, or empty.")
class PutawaySuggestion:
    location_code: str
    reason: PutawayReason
    location_id: strawberry.Private[int]
    rule_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, suggestion: putaway.Suggestion | None) -> PutawaySuggestion | None:
        if suggestion is None:
            return None
        return cls(location_code=suggestion.location_code, reason=PutawayReason(suggestion.reason),
                   location_id=suggestion.location_id, rule_id=suggestion.rule_id)  # fmt: skip

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_model(await info.context.loaders.inventory.locations.load(self.location_id))

    @strawberry.field(description="The rule that chose the bin (reason RULE).")
    async def rule(self, info: Info) -> PutawayRule | None:
        if self.rule_id is None:
            return None
        rows = await putaway.rules_by_ids([self.rule_id])
        return PutawayRule.from_model(rows[0]) if rows else None


def _rule_id(raw: str) -> int:
    """The row id in a PutawayRule's global id; anything else is INVALID at ``id``."""
    try:
        global_id = relay.GlobalID.from_id(raw)
    except GlobalIDValueError:
        raise Invalid(f"{shown(str(raw))} is not the id of a putaway rule.", field="id") from None
    if global_id.type_name != "PutawayRule":
        raise Invalid(f"{shown(str(raw))} is not the id of a putaway rule.", field="id")
    rule_id = parse_node_id(global_id.node_id)
    if rule_id > PutawayRule.max_id:
        raise Invalid(f"{shown(str(raw))} is not the id of a putaway rule.", field="id")
    return rule_id


@strawberry.input
class CreatePutawayRuleInput:
    warehouse_code: str
    location_code: str = strawberry.field(description="A zone or bin of the warehouse.")
    sku: str | None = strawberry.field(default=None, description="The product it is for (or give a category).")
    category: str | None = strawberry.field(default=None, description="The category it is for (or give a sku).")
    sequence: int = strawberry.field(default=10, description=f"0 to {putaway.MAX_SEQUENCE:,}: lowest tried first.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class UpdatePutawayRuleInput:
    id: strawberry.ID
    location_code: str | None = strawberry.field(default=None, description="Another zone or bin of its warehouse.")
    sequence: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class DeletePutawayRuleInput:
    id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class PutawayRulePayload(Payload):
    rule: PutawayRule | None = None


@strawberry.type
class DeletePutawayRulePayload(Payload):
    deleted_id: strawberry.ID | None = None


async def _shown(rule: models.PutawayRule) -> PutawayRulePayload:
    rows = await putaway.rules_by_ids([rule.id])  # with its warehouse, product, category and location
    return PutawayRulePayload(rule=PutawayRule.from_model(rows[0]))


@strawberry.type
class PutawayQuery:
    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="Where to put a quantity of a product received in a warehouse: a rule's bin or zone, else a bin"
        " already holding the product with room, else an empty bin; storage bins only, within their limits."
        " Null when nothing fits.",
    )
    async def putaway_suggestion(
        self, info: Info, sku: str, warehouse_code: str, quantity: Decimal, lot: str | None = None
    ) -> PutawaySuggestion | None:
        return PutawaySuggestion.of(await putaway.suggest(sku, warehouse_code, quantity, lot=lot))

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def putaway_rules(
        self, info: Info, warehouse_code: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> PutawayRuleConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        query = putaway.find_rules(warehouse_code=warehouse_code)
        return await paginate_queryset(PutawayRuleConnection, query, window, PutawayRule.from_model)


@strawberry.type
class PutawayMutation:
    @mutation(Permission.WAREHOUSE_MANAGE, description="A rule sending a product's or a category's stock to a zone.")
    async def create_putaway_rule(self, info: Info, input: CreatePutawayRuleInput) -> PutawayRulePayload:
        return await answer(
            PutawayRulePayload,
            lambda: putaway.create_rule(
                input.warehouse_code, input.location_code, sku=input.sku, category=input.category,
                sequence=input.sequence, actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.WAREHOUSE_MANAGE)
    async def update_putaway_rule(self, info: Info, input: UpdatePutawayRuleInput) -> PutawayRulePayload:
        return await answer(
            PutawayRulePayload,
            lambda: putaway.update_rule(
                _rule_id(input.id),
                location_code=putaway.KEEP if input.location_code is None else input.location_code,
                sequence=putaway.KEEP if input.sequence is None else input.sequence,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.WAREHOUSE_MANAGE)
    async def delete_putaway_rule(self, info: Info, input: DeletePutawayRuleInput) -> DeletePutawayRulePayload:
        return await answer(
            DeletePutawayRulePayload,
            lambda: putaway.delete_rule(
                _rule_id(input.id), actor_id=info.context.user_id, idempotency_key=input.idempotency_key
            ),
            lambda gone: DeletePutawayRulePayload(deleted_id=strawberry.ID(relay.to_base64("PutawayRule", gone))),
        )
