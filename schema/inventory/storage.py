"""What locations are for and what they hold: their flags and limits, and the weights products count with."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.catalog.mutations import ProductPayload
from schema.catalog.types import Product
from schema.context import Info
from schema.inventory.mutations import LocationPayload
from schema.inventory.types import Location, LocationUsage, Mixing
from schema.mutations import IDEMPOTENCY_KEY, answer, mutation
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import capacity, locations

_CLEARS = " Left out: unchanged; null: no limit."


@strawberry.input(description="The settings to change; those left out stay as they are.")
class UpdateLocationInput:
    code: str
    name: str | None = strawberry.UNSET
    usage: LocationUsage | None = strawberry.field(
        default=strawberry.UNSET, description="Also sets `sellable` to its default unless given: only STORAGE sells."
    )
    sellable: bool | None = strawberry.field(
        default=strawberry.UNSET, description="False: stock here is on hand, never available to sell or reserve."
    )
    max_units: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Base units of all products together it may hold." + _CLEARS
    )
    max_weight_kg: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="Kilograms it may hold (products without a weight count 0)." + _CLEARS
    )
    mixing: Mixing | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SetProductWeightInput:
    sku: str
    weight_kg: Decimal | None = strawberry.field(description="Kilograms per base unit; null clears it.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


def _given(value: Any, *, nullable: bool = False) -> Any:
    """A setting as ``update_location`` takes it: KEEP when left out (or null where null means nothing)."""
    if value is strawberry.UNSET or (value is None and not nullable):
        return locations.KEEP
    return value


def _settings(input: UpdateLocationInput) -> locations.LocationSettings:
    return locations.LocationSettings(
        name=_given(input.name), usage=_given(input.usage), sellable=_given(input.sellable),
        max_units=_given(input.max_units, nullable=True), max_weight_kg=_given(input.max_weight_kg, nullable=True),
        mixing=_given(input.mixing),
    )  # fmt: skip


@strawberry.type
class StorageMutation:
    @mutation(
        Permission.WAREHOUSE_MANAGE,
        description="Rename a location, set what it is for (usage, sellable) and its limits (units, weight, mixing)."
        " Limits apply to stock put in from then on.",
    )
    async def update_location(self, info: Info, input: UpdateLocationInput) -> LocationPayload:
        return await answer(
            LocationPayload,
            lambda: locations.update_location(input.code, _settings(input), actor_id=info.context.user_id,
                                              idempotency_key=input.idempotency_key),
            lambda row: LocationPayload(location=Location.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE, description="A product's weight per base unit, for locations' weight limits.")
    async def set_product_weight(self, info: Info, input: SetProductWeightInput) -> ProductPayload:
        return await answer(
            ProductPayload,
            lambda: capacity.set_product_weight(input.sku, input.weight_kg, actor_id=info.context.user_id,
                                                idempotency_key=input.idempotency_key),
            lambda row: ProductPayload(product=Product.from_model(row)),
        )  # fmt: skip
