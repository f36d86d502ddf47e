from __future__ import annotations

import strawberry

from schema.catalog.types import Product, ProductConnection, QuantityConversion, Unit, UnitCategory
from schema.context import Info
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.catalog import units
from server.catalog.service import find_products, product_by_sku


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(default=None, description="Part of the SKU or the name.")
    category: str | None = None
    brand: str | None = None
    include_archived: bool = False


@strawberry.type
class CatalogQuery:
    @strawberry.field(permission_classes=[require(Permission.CATALOG_VIEW)])
    async def products(
        self,
        info: Info,
        filter: ProductFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ProductConnection:
        window = page_window(info, first, after, last, before)
        filter = filter or ProductFilter()
        query = find_products(
            search=filter.search, category=filter.category, brand=filter.brand, include_archived=filter.include_archived
        )
        return await paginate_queryset(ProductConnection, query, window, Product.from_model)

    @strawberry.field(permission_classes=[require(Permission.CATALOG_VIEW)])
    async def product(self, info: Info, sku: str) -> Product | None:
        row = await product_by_sku(sku)
        return Product.from_model(row) if row else None

    @strawberry.field(
        permission_classes=[require(Permission.CATALOG_VIEW)],
        description="Units of measure, of one category or all, by category: the first `first` of them (the server's"
        " page size unless asked, and never more).",
    )
    async def units(self, info: Info, category: str | None = None, first: int | None = None) -> list[Unit]:
        rows = await units.units(category=category, limit=page_window(info, first, None).limit)
        return [Unit.from_model(r) for r in rows]

    @strawberry.field(
        permission_classes=[require(Permission.CATALOG_VIEW)],
        description="Categories of units, oldest first: the first `first` of them (the server's page size unless"
        " asked, and never more).",
    )
    async def unit_categories(self, info: Info, first: int | None = None) -> list[UnitCategory]:
        rows = await units.unit_categories(page_window(info, first, None).limit)
        return [UnitCategory.from_model(r) for r in rows]

    @strawberry.field(
        permission_classes=[require(Permission.CATALOG_VIEW)],
        description="What `quantity` of `unit` (a unit of the product's category or one of its packaging levels;"
        " null: its base unit) is in the product's base unit, as a document line would book it. A bad quantity"
        " or unit is an error with its code and field.",
    )
    async def convert_quantity(
        self, info: Info, sku: str, quantity: Decimal, unit: str | None = None
    ) -> QuantityConversion:
        product, converted = await units.convert(sku, quantity, unit)
        return QuantityConversion(
            sku=product.sku, quantity=converted.quantity, unit=converted.unit,  # type: ignore[arg-type]
            packaging=converted.packaging, base_quantity=converted.base_quantity,  # type: ignore[arg-type]
            base_unit=product.unit,
        )  # fmt: skip
