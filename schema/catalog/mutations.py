from __future__ import annotations

import strawberry

from schema.catalog.types import Product
from schema.context import Info
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from server.auth.permissions import Permission
from server.catalog import service
from server.catalog.models import Product as ProductRow


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
    tracks_lots: bool | None = None
    barcodes: list[str] | None = strawberry.field(
        default=None, description="Every barcode of the product; GTINs must have a valid check digit."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)

    def details(self) -> service.ProductDetails:
        return service.ProductDetails(**{k: getattr(self, k) for k in service.ProductDetails.__dataclass_fields__})


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


@strawberry.type
class ProductPayload(Payload):
    product: Product | None = None


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
