"""Landed costs: freight, duty or insurance spread over goods receipts (costs.manage)."""

from __future__ import annotations

import datetime
from enum import StrEnum

import strawberry

from schema.context import Info
from schema.documents.types import document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.purchasing.returns import receipt_id
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.purchasing import landed
from server.purchasing.landed_models import LandedCost as CostRow
from server.purchasing.landed_models import LandedCostShare as ShareRow


@strawberry.enum(description="What the landed cost paid for.")
class LandedCostKind(StrEnum):
    FREIGHT = "freight"
    DUTY = "duty"
    INSURANCE = "insurance"
    OTHER = "other"


@strawberry.enum(description="How a landed cost is spread over the receipts' lines.")
class LandedCostSplit(StrEnum):
    QUANTITY = "quantity"  # by base quantity
    VALUE = "value"  # by quantity times the current unit cost
    WEIGHT = "weight"  # by quantity times the product's weight_kg


@strawberry.type(description="The part of a landed cost one receipt line took, in the company currency.")
class LandedCostShare:
    receipt_number: str | None
    position: int = strawberry.field(description="The `position` of the receipt's line.")
    sku: str
    quantity: Decimal = strawberry.field(description="The receipt line's, in base units.")
    basis: Decimal = strawberry.field(description="Its quantity, value or weight, as the cost was split.")
    amount: Decimal
    unit_cost_before: Decimal
    unit_cost_after: Decimal
    revalued: Decimal = strawberry.field(description="What the part still on hand gained in value.")
    cost_of_goods: Decimal = strawberry.field(description="What the part already gone added to the cost of goods.")

    @classmethod
    def of(cls, row: ShareRow) -> LandedCostShare:
        return cls(
            receipt_number=row.receipt.number, position=row.line.position, sku=row.line.product.sku,
            quantity=row.quantity, basis=row.basis, amount=row.amount,  # type: ignore[arg-type]
            unit_cost_before=row.unit_cost_before, unit_cost_after=row.unit_cost_after,  # type: ignore[arg-type]
            revalued=row.revalued, cost_of_goods=row.cost_of_goods,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type(description="An amount another party billed, spread over goods receipts.")
class LandedCost:
    id: int
    kind: LandedCostKind
    party: str = strawberry.field(description="The code of the party that billed it.")
    reference: str
    reason: str
    amount: Decimal = strawberry.field(description="In `currency`.")
    currency: str
    rate: Decimal = strawberry.field(description="Company currency per unit of `currency`, when it was added.")
    amount_company: Decimal = strawberry.field(description="In the company currency: the sum of the shares.")
    split: LandedCostSplit
    created_at: datetime.datetime
    all_shares: strawberry.Private[list[ShareRow]]

    @classmethod
    def of(cls, row: CostRow, shares: list[ShareRow]) -> LandedCost:
        return cls(
            id=row.id, kind=LandedCostKind(row.kind), party=row.party.code, reference=row.reference,
            reason=row.reason, amount=row.amount, currency=row.currency, rate=row.rate,  # type: ignore[arg-type]
            amount_company=row.amount_company, split=LandedCostSplit(row.split),  # type: ignore[arg-type]
            created_at=row.created_at, all_shares=shares,
        )  # fmt: skip

    @strawberry.field(description="Its shares, per receipt line: the first `first` (null: the server's page size).")
    def shares(self, info: Info, first: int | None = 100) -> list[LandedCostShare]:
        return [LandedCostShare.of(row) for row in self.all_shares[: page_window(info, first, None).limit]]


@strawberry.input
class AddLandedCostInput:
    receipts: list[strawberry.ID] = strawberry.field(description="The goods receipts (Document ids) it is spread over.")
    kind: LandedCostKind
    party: str = strawberry.field(description="The code of the party that billed it (a carrier, customs).")
    amount: Decimal = strawberry.field(description="In `currency`.")
    split: LandedCostSplit
    currency: str | None = strawberry.field(default=None, description="The company currency when not given.")
    reference: str | None = strawberry.field(default=None, description="The number of the party's bill.")
    reason: str | None = None
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type
class LandedCostPayload(Payload):
    landed_cost: LandedCost | None = None


async def _shown(done: landed.Landed) -> LandedCostPayload:
    shares = await landed.shares_of([done.cost.id])
    return LandedCostPayload(landed_cost=LandedCost.of(done.cost, shares[done.cost.id]))


@strawberry.type
class LandedCostsMutation:
    @mutation(
        Permission.COSTS_MANAGE,
        description="Spread freight, duty or insurance over goods receipts: each receipt line's cost rises by its"
        " share; what is on hand is revalued, what was sold becomes a cost-of-goods adjustment, both dated now.",
    )
    async def add_landed_cost(self, info: Info, input: AddLandedCostInput) -> LandedCostPayload:
        return await answer(
            LandedCostPayload,
            lambda: landed.add_landed_cost(
                landed.LandedCostInput(
                    [receipt_id(r, ("receipts", i)) for i, r in enumerate(input.receipts[: landed.MAX_RECEIPTS + 1])],
                    input.kind.value, input.party, input.amount, input.split.value, input.currency, input.reference,
                    input.reason,
                ),
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip


@strawberry.type
class LandedCostsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.COSTS_VIEW)],
        description="The landed costs spread over a goods receipt, oldest first: the first `first` (10 by default, so"
        " that every field of their shares fits the query cost limit).",
    )
    async def landed_costs(self, info: Info, receipt: strawberry.ID, first: int | None = 10) -> list[LandedCost]:
        size = page_window(info, first, None).limit
        wanted = document_id(receipt, "receipt")
        costs = (await landed.landed_costs_of([wanted]))[wanted][:size]
        shares = await landed.shares_of([c.id for c in costs])
        return [LandedCost.of(c, shares[c.id]) for c in costs]
