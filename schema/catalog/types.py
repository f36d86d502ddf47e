from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.nodes import Fetchable
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.catalog import models
from server.catalog.barcodes import MAX_BARCODES_PER_PRODUCT

if TYPE_CHECKING:
    from schema.inventory.types import StockLevel


@strawberry.type
class Barcode:
    code: str
    kind: str = strawberry.field(description="gtin or other")

    @classmethod
    def from_model(cls, row: models.Barcode) -> Barcode:
        return cls(code=row.code, kind=row.kind)


@strawberry.type
class Product(Fetchable, relay.Node):
    view_permission = Permission.CATALOG_VIEW
    id: relay.NodeID[int]
    sku: str
    name: str
    category: str | None
    brand: str | None
    unit: str
    color: str | None
    size: str | None
    material: str | None
    style: str | None
    tracks_lots: bool
    is_archived: bool

    @classmethod
    def from_model(cls, row: models.Product) -> Product:
        return cls(
            id=row.id,
            sku=row.sku,
            name=row.name,
            category=row.category.name if row.category else None,
            brand=row.brand.name if row.brand else None,
            unit=row.unit,
            color=row.color,
            size=row.size,
            material=row.material,
            style=row.style,
            tracks_lots=row.tracks_lots,
            is_archived=row.is_archived,
        )

    @strawberry.field(description=f"At most {MAX_BARCODES_PER_PRODUCT}: the catalog refuses more.")
    async def barcodes(self, info: Info) -> list[Barcode]:
        rows = await info.context.loaders.catalog.barcodes.load(self.id)
        return [Barcode.from_model(r) for r in rows]

    @strawberry.field(
        description="Where the product is, per location and lot (empty locations left out), oldest first: the first"
        " `first` of them (10 unless asked; null means the server's page size, 100 unless configured, and more is"
        " clamped to it); page through all of them with the root `stockLevels(sku:)`. `onHand` counts every location."
    )
    async def stock_levels(
        self, info: Info, first: int | None = 10
    ) -> list[Annotated[StockLevel, strawberry.lazy("schema.inventory.types")]]:
        from schema.inventory.types import StockLevel

        size = page_window(info, first, None).limit  # the connections' rule: negative is INVALID, more is clamped
        levels = await info.context.loaders.inventory.stock(size).load(self.id)
        return [StockLevel.from_level(level) for level in levels]

    @strawberry.field(description="On hand over all locations.")
    async def on_hand(self, info: Info) -> Decimal:
        return await info.context.loaders.inventory.on_hand.load(self.id)  # type: ignore[return-value]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.catalog.products.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(name="ProductConnection")
class ProductConnection(relay.Connection[Product]):
    pass
