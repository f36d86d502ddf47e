from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from schema.catalog.types import Product, ProductConnection
from schema.context import Info
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
from server.catalog.models import Product as ProductRow


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
        query = ProductRow.all().select_related("category", "brand")
        filter = filter or ProductFilter()
        if not filter.include_archived:
            query = query.filter(is_archived=False)
        if filter.search:
            query = query.filter(Q(sku__icontains=filter.search) | Q(name__icontains=filter.search))
        if filter.category:
            query = query.filter(category__name=filter.category)
        if filter.brand:
            query = query.filter(brand__name=filter.brand)
        return await paginate_queryset(ProductConnection, query, window, Product.from_model)

    @strawberry.field(permission_classes=[require(Permission.CATALOG_VIEW)])
    async def product(self, info: Info, sku: str) -> Product | None:
        row = await ProductRow.get_or_none(sku=sku.strip()).select_related("category", "brand")
        return Product.from_model(row) if row else None
