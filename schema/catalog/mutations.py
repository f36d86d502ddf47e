from __future__ import annotations

import strawberry

from schema.catalog.types import Product, Tracking, Unit
from schema.context import Info
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.catalog import packagings, service, units
from server.catalog.models import Product as ProductRow
from server.catalog.models import Unit as UnitRow


@strawberry.input
class ProductFields:
    name: str | None = None
    category: str | None = None
    brand: str | None = None
    unit: str | None = None
    color: str | None = None
    size: str | None = None
    material: str | None = None
    style: str | None = None
    tracks_lots: bool | None = strawberry.field(default=None, description="Kept for older clients: prefer tracking.")
    tracking: Tracking | None = strawberry.field(
        default=None,
        description="NONE, LOT or SERIAL (a serial is a lot of one unit); changes only while the product has no stock.",
    )
    barcodes: list[str] | None = strawberry.field(
        default=None, description="Every barcode of the product; GTINs must have a valid check digit."
    )
    weight_kg: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Kilograms per base unit, for locations' weight limits. Left out: unchanged; null: none.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)

    def details(self) -> service.ProductDetails:
        given = {k: getattr(self, k) for k in service.ProductDetails.__dataclass_fields__}
        if given["weight_kg"] is strawberry.UNSET:  # null clears the weight: only leaving it out keeps it
            given["weight_kg"] = service.KEEP
        return service.ProductDetails(**given)


@strawberry.input
class CreateProductInput(ProductFields):
    sku: str
    name: str  # type: ignore[assignment]


@strawberry.input
class UpdateProductInput(ProductFields):
    sku: str = strawberry.field(description="The product to change (SKUs do not change).")


@strawberry.input
class ArchiveProductInput:
    sku: str
    archived: bool = True
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CreateUnitCategoryInput:
    code: str = strawberry.field(description="e.g. weight; case-free.")
    name: str
    reference_unit: str = strawberry.field(description="The code of the unit the category's factors count in.")
    reference_unit_name: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CreateUnitInput:
    code: str = strawberry.field(description="e.g. lb; case-free, never a packaging level's code.")
    name: str
    category: str
    factor: Decimal = strawberry.field(
        description='How many of the category\'s reference unit one of it is, exactly (at most 15 places): "0.001"'
        " for g when kg is the reference."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class PackagingInput:
    code: str = strawberry.field(description="e.g. CASE; unique in the product, never a unit's code.")
    quantity: Decimal = strawberry.field(description="Base units in one.")
    name: str | None = None
    whole_units_only: bool = strawberry.field(default=True, description="Refuse fractions of it (0.5 of a case).")
    barcodes: list[str] = strawberry.field(
        default_factory=list, description="Codes printed on it; GTINs must have a valid check digit."
    )

    def spec(self) -> packagings.PackagingSpec:
        return packagings.PackagingSpec(self.code, self.quantity, self.name, self.whole_units_only,
                                        tuple(self.barcodes))  # fmt: skip


@strawberry.input
class SetProductPackagingsInput:
    sku: str
    packagings: list[PackagingInput] = strawberry.field(
        description="Every packaging level of the product, in order (each, inner, case, pallet): it replaces them."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class ProductPayload(Payload):
    product: Product | None = None


@strawberry.type
class UnitPayload(Payload):
    unit: Unit | None = None


def _unit_shown(row: UnitRow) -> UnitPayload:
    return UnitPayload(unit=Unit.from_model(row))


async def _shown(row: ProductRow) -> ProductPayload:
    await row.fetch_related("category", "brand")
    return ProductPayload(product=Product.from_model(row))


@strawberry.type
class CatalogMutation:
    @mutation(Permission.CATALOG_MANAGE)
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        return await answer(
            ProductPayload,
            lambda: service.create_product(input.sku, input.details(), actor_id=info.context.user_id,
                                           idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE)
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload:
        return await answer(
            ProductPayload,
            lambda: service.update_product(input.sku, input.details(), actor_id=info.context.user_id,
                                           idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE)
    async def archive_product(self, info: Info, input: ArchiveProductInput) -> ProductPayload:
        return await answer(
            ProductPayload,
            lambda: service.set_archived(input.sku, input.archived, actor_id=info.context.user_id,
                                         idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE, description="A category of units and its reference unit (answered).")
    async def create_unit_category(self, info: Info, input: CreateUnitCategoryInput) -> UnitPayload:
        return await answer(
            UnitPayload,
            lambda: units.create_unit_category(input.code, input.name, input.reference_unit, input.reference_unit_name,
                                               actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _unit_shown,
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE)
    async def create_unit(self, info: Info, input: CreateUnitInput) -> UnitPayload:
        return await answer(
            UnitPayload,
            lambda: units.create_unit(input.code, input.name, input.category, input.factor,
                                      actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _unit_shown,
        )  # fmt: skip

    @mutation(Permission.CATALOG_MANAGE)
    async def set_product_packagings(self, info: Info, input: SetProductPackagingsInput) -> ProductPayload:
        return await answer(
            ProductPayload,
            lambda: packagings.set_product_packagings(input.sku, [p.spec() for p in input.packagings],
                                                      actor_id=info.context.user_id,
                                                      idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip
