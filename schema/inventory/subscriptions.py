from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from schema.context import Info
from schema.inventory.types import StockLevel
from schema.permissions import require
from server import events
from server.auth.permissions import Permission
from server.catalog.models import Product
from server.inventory.stock import stock_levels


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="The stock levels of a product, now and after every change.",
    )
    async def stock_levels(self, info: Info, sku: str) -> AsyncGenerator[list[StockLevel], None]:
        product = await Product.get_or_none(sku=sku.strip())
        if product is None:
            raise GraphQLError(f"There is no product with SKU {sku!r}.", extensions={"code": "NOT_FOUND"})
        # Listen before the first read, so a change between the two is not lost.
        with events.broker.subscribe(events.stock_topic(product.id)) as changes:
            while True:
                levels = await stock_levels(sku=product.sku, limit=info.context.settings.max_page_size)
                yield [StockLevel.from_level(level) for level in levels]
                await changes.get()
                while not changes.empty():  # a burst of changes needs one fresh read
                    changes.get_nowait()
