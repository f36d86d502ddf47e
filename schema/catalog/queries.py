from __future__ import annotations

import strawberry

from schema.catalog.types import Product, ProductConnection
from schema.context import Info
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
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
