from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.context import Info
from schema.inventory.types import StockLevel
from schema.permissions import require, still_allowed
from server.auth.permissions import Permission
from server.catalog.service import product_by_sku
from server.errors import NotFound
from server.inventory.feed import watch_stock
from server.text import shown


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="The stock levels of a product, now and after every change.",
    )
    async def stock_levels(self, info: Info, sku: str) -> AsyncGenerator[list[StockLevel], None]:
        # Ends with an UNAUTHENTICATED error at the first change after the token stops being valid.
        product = await product_by_sku(sku)
        if product is None:
            raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
        fresh_loaders = getattr(info.context, "fresh_loaders", None)
        limit = info.context.settings.max_page_size
        # One read per change for all subscribers of the product in this process; each checks its own token.
        with watch_stock(product.id, product.sku, limit=limit) as feed:
            while True:
                levels = await feed.next()
                await still_allowed(info, Permission.STOCK_VIEW)
                if fresh_loaders is not None:  # each event reads fresh, not through the first one's cache
                    fresh_loaders()
                yield [StockLevel.from_level(level) for level in levels]
