"""The costing method of a product: moving average (the default) or FIFO layers."""

from __future__ import annotations

from dataclasses import dataclass

from server import sql
from server.catalog.models import SKU, Product
from server.commands import Command, Write, execute, row_effect
from server.errors import Invalid, NotFound
from server.inventory.valuation.books import COSTING_METHODS
from server.text import shown, storable


@dataclass(frozen=True)
class SetCostingMethod(Command):
    operation = "product.costing_method"
    sku: str
    method: str


async def set_costing_method(
    sku: str, method: str, *, actor_id: int | None, idempotency_key: str | None = None
) -> Product:
    """Value a product's stock by ``method`` from now on: only while it has no stock anywhere (transit
    included), since its buckets' values and layers were built by the other method. The product's row
    is locked FOR UPDATE, which waits for the postings that hold it FOR SHARE, so none slips in between."""
    if method not in COSTING_METHODS:
        raise Invalid(f"A costing method is one of {', '.join(COSTING_METHODS)}.", field="costingMethod")
    key = SKU.key(sku)
    command = SetCostingMethod(key or storable(sku), method)

    async def run(write: Write) -> Product:
        product = await Product.select_for_update().using_db(write.conn).get_or_none(sku=key) if key else None
        if product is None:
            raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
        if product.costing_method != method:
            stocked = await sql.fetch_one(
                write.conn,
                "SELECT 1 AS stocked FROM quant WHERE product_id = $1 AND CAST(on_hand AS NUMERIC) <> 0 LIMIT 1",
                product.id,
            )
            if stocked is not None:
                raise Invalid(
                    f"{product.sku} has stock: its costing method can change only when it has none anywhere.",
                    field="costingMethod",
                )
            product.costing_method = method
            await product.save(using_db=write.conn, update_fields=["costing_method", "updated_at"])
        return product

    return (await execute(command, row_effect(run, Product, "product"), actor_id=actor_id,
                          idempotency_key=idempotency_key)).result  # fmt: skip
