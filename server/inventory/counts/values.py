"""What a count's differences are worth before they are booked: the product's unit cost in the warehouse
(its cost bucket's, else its last cost anywhere). The approval's moves fix the real value."""

from __future__ import annotations

from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.inventory.valuation.books import money


async def unit_costs(conn: BaseDBAsyncClient, warehouse_id: int, product_ids: set[int]) -> dict[int, Decimal]:
    """Product id -> unit cost (0 when it has none), for the products given."""
    costs: dict[int, Decimal] = {}
    ids = sorted(product_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await sql.fetch(
            conn,
            "SELECT product_id, warehouse_id, unit_cost FROM cost_bucket WHERE unit_cost IS NOT NULL"
            f" AND product_id IN ({sql.placeholders(1, len(chunk))}) ORDER BY updated_at",
            *chunk,
        )
        anywhere = {int(r["product_id"]): Decimal(str(r["unit_cost"])) for r in rows}  # the latest wins
        here = {int(r["product_id"]): Decimal(str(r["unit_cost"])) for r in rows if r["warehouse_id"] == warehouse_id}
        for product_id in chunk:
            costs[product_id] = here.get(product_id, anywhere.get(product_id, Decimal(0)))
    return costs


def value_of(difference: Decimal, unit_cost: Decimal) -> Decimal:
    return money(difference * unit_cost)
