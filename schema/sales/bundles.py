"""Bundles over GraphQL: what a bundle is made of (server/sales/bundles.py) and how many whole sets can be sold."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.sales import bundles


@strawberry.type(description="A component of a bundle: how many base units of it make one bundle.")
class BundleComponent:
    sku: str
    quantity: Decimal


@strawberry.type(description="What a bundle is made of; a product without components is no bundle.")
class Bundle:
    sku: str
    components: list[BundleComponent] = strawberry.field(
        description=f"In their order (at most {bundles.MAX_BUNDLE_COMPONENTS})."
    )

    @classmethod
    def of(cls, bundle: bundles.Bundle) -> Bundle:
        return cls(sku=bundle.sku, components=[BundleComponent(sku=c.sku, quantity=c.quantity)  # type: ignore[arg-type]
                                               for c in bundle.components])  # fmt: skip


@strawberry.type(description="A component's stock in a warehouse, as a bundle counts it.")
class BundleComponentStock:
    sku: str
    quantity: Decimal = strawberry.field(description="Base units in one bundle.")
    available: Decimal = strawberry.field(description="Available now in the warehouse (on hand - reserved).")


@strawberry.type(description="How many whole bundles one warehouse can give now.")
class BundleWarehouseAvailability:
    warehouse_code: str
    sets: Decimal = strawberry.field(description="The least number of whole sets the components make here.")
    components: list[BundleComponentStock]


@strawberry.type(description="How many whole bundles can be sold now.")
class BundleAvailability:
    sku: str
    sets: Decimal = strawberry.field(
        description="The warehouses' sets together: each set ships whole from one warehouse."
    )
    warehouses: list[BundleWarehouseAvailability]

    @classmethod
    def of(cls, found: bundles.BundleAvailability) -> BundleAvailability:
        return cls(
            sku=found.sku, sets=found.sets,  # type: ignore[arg-type]
            warehouses=[
                BundleWarehouseAvailability(
                    warehouse_code=w.warehouse_code, sets=w.sets,  # type: ignore[arg-type]
                    components=[BundleComponentStock(sku=c.sku, quantity=c.quantity, available=c.available)  # type: ignore[arg-type]
                                for c in w.components],
                )
                for w in found.warehouses
            ],
        )  # fmt: skip


@strawberry.input
class BundleComponentInput:
    sku: str
    quantity: Decimal = strawberry.field(description="Base units of the component in one bundle.")


@strawberry.input
class SetBundleComponentsInput:
    sku: str = strawberry.field(description="The bundle: a product that never held stock and is no kit.")
    components: list[BundleComponentInput] = strawberry.field(
        description=f"Every component, in order (at most {bundles.MAX_BUNDLE_COMPONENTS}): it replaces the list;"
        " none: the product is no bundle any more. A component is a stocked product, never a bundle itself."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class BundlePayload(Payload):
    bundle: Bundle | None = None


@strawberry.type
class BundlesQuery:
    @strawberry.field(
        permission_classes=[require(Permission.CATALOG_VIEW)],
        description="What a product is sold as: its bundle components (none: it is no bundle).",
    )
    async def bundle(self, sku: str) -> Bundle:
        return Bundle.of(await bundles.bundle_components(sku))

    @strawberry.field(
        permission_classes=[require(Permission.SALES_VIEW)],
        description="How many whole bundles can be sold now, per warehouse (the store's; without a store, those"
        f" holding a component, at most {bundles.MAX_WAREHOUSES_SHOWN}) and in all.",
    )
    async def bundle_availability(self, sku: str, store: str | None = None) -> BundleAvailability:
        return BundleAvailability.of(await bundles.bundle_availability(sku, store=store))


@strawberry.type
class BundlesMutation:
    @mutation(
        Permission.CATALOG_MANAGE,
        description="Set what a bundle is made of, replaced whole: it is sold, reserved and shipped as its"
        " components and takes no stock of its own.",
    )
    async def set_bundle_components(self, info: Info, input: SetBundleComponentsInput) -> BundlePayload:
        return await answer(
            BundlePayload,
            lambda: bundles.set_bundle_components(
                input.sku, [bundles.ComponentSpec(c.sku, c.quantity) for c in input.components],
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            lambda bundle: BundlePayload(bundle=Bundle.of(bundle)),
        )  # fmt: skip
