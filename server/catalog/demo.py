"""Demo packaging for the demo products of ``server.demo``: mugs come in inners of 6 and cases of 12, red T-shirts
in cases of 12."""

from __future__ import annotations

from decimal import Decimal

from server.catalog.models import Packaging, Product
from server.catalog.packagings import PackagingSpec, set_product_packagings

# The mug's EAN-13 is 5901234123457; its case carries the same item with packaging indicator 1.
DEMO_PACKAGING: dict[str, list[PackagingSpec]] = {
    "MUG-WHITE": [
        PackagingSpec("INNER", Decimal(6), "Inner pack of 6", barcodes=("25901234123451",)),
        PackagingSpec("CASE", Decimal(12), "Case of 12", barcodes=("15901234123454",)),
    ],
    # Northwind sells the red T-shirt by the case of 12 (server/money/demo.py).
    "TSHIRT-RED-M": [PackagingSpec("CASE", Decimal(12), "Case of 12")],
}


async def load_demo_packaging(actor_id: int | None = None) -> None:
    """Give the demo products their packaging levels, once: a product that has some, or is not there, is left alone."""
    for sku, specs in DEMO_PACKAGING.items():
        product = await Product.get_or_none(sku=sku)
        if product is None or await Packaging.exists(product_id=product.id):
            continue
        await set_product_packagings(sku, specs, actor_id=actor_id, idempotency_key=f"demo:packaging:{sku}")
