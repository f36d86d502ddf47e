"""ABC classes of a warehouse's products, by the value that left its stock over a window.

A: the products that make the first 80% of that value, B: the next 15%, C: the rest, with every product
in stock there that moved nothing. Cycle counts look at A often and at C seldom.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql

A_SHARE, B_SHARE = Decimal("0.80"), Decimal("0.95")


async def classify(conn: BaseDBAsyncClient, warehouse_id: int, since: datetime) -> dict[int, str]:
    """Product id -> "A", "B" or "C", for every product in stock in the warehouse or moved out of it since ``since``."""
    moved = await sql.fetch(
        conn,
        "SELECT m.product_id, SUM(COALESCE(m.value, 0)) AS moved FROM stock_move m"
        " JOIN location f ON f.id = m.from_location_id JOIN location t ON t.id = m.to_location_id"
        " WHERE f.warehouse_id = $1 AND f.kind = 'internal' AND (t.warehouse_id IS NULL OR t.warehouse_id <> $2)"
        " AND m.effective_at >= $3 GROUP BY m.product_id",
        warehouse_id,
        warehouse_id,
        since,
    )
    in_stock = await sql.fetch(
        conn,
        "SELECT DISTINCT q.product_id FROM quant q JOIN location l ON l.id = q.location_id"
        " WHERE l.warehouse_id = $1 AND CAST(q.on_hand AS NUMERIC) > 0",
        warehouse_id,
    )
    values = {int(r["product_id"]): abs(Decimal(str(r["moved"] or 0))) for r in moved}  # SQLite sums as float
    classes = dict.fromkeys((int(r["product_id"]) for r in in_stock), "C")
    total = sum(values.values(), Decimal(0))
    running = Decimal(0)
    for product_id, value in sorted(values.items(), key=lambda item: (-item[1], item[0])):
        share_before = running / total if total else Decimal(1)
        running += value
        if value == 0:
            classes[product_id] = "C"
        elif share_before < A_SHARE:  # the product that crosses 80% is still an A
            classes[product_id] = "A"
        elif share_before < B_SHARE:
            classes[product_id] = "B"
        else:
            classes[product_id] = "C"
    return classes
