"""The valuation's invariant: each bucket's row equals what the ledger says it holds and is worth."""

from __future__ import annotations

from server import sql
from server.clock import today
from server.db import connection
from server.inventory.valuation.books import ZERO, from_db
from server.inventory.valuation.value import totals_at


async def valuation_problems() -> list[str]:
    """Buckets whose quantity or value differs from the sum of their moves and revaluations (stock
    booked before valuation existed shows here as a quantity the bucket does not hold)."""
    conn = connection()
    ledger = await totals_at(conn, today(), use_snapshots=False)
    rows = await sql.fetch(conn, "SELECT product_id, warehouse_id, quantity, value FROM cost_bucket")
    kept = {(int(r["product_id"]), int(r["warehouse_id"])): (from_db(r["quantity"]), from_db(r["value"])) for r in rows}
    problems = []
    for key in sorted(set(ledger) | set(kept)):
        expected, held = ledger.get(key, (ZERO, ZERO)), kept.get(key, (ZERO, ZERO))
        if expected != held:
            problems.append(f"product #{key[0]} in bucket {key[1]}: the bucket says {held}, the ledger {expected}")
    return problems
