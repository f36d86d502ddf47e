"""The value each component brought into a warehouse's kits (``kit_share``), so that taking a kit apart gives
each component back what it brought, not what it is worth now (a FIFO component, or one with no cost yet
when it went in, would otherwise take value from the others).

Shares are proportions: a disassembly splits the kit's own value (what its move out of the bin is worth) by
them, and takes what it gave back off them. A kit never assembled here (bought as a kit) has none, and is
shared by its components' current costs. The rows are locked FOR UPDATE after the posting's quants and cost
buckets, by assemblies and disassemblies alike, in component order: one lock order for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.inventory.valuation.books import ZERO, from_db


async def shares_of(conn: BaseDBAsyncClient, kit_id: int, warehouse_id: int) -> dict[int, Decimal]:
    """Component id -> the value it brought into the kits of ``kit_id`` in the warehouse (read, not locked)."""
    rows = await sql.fetch(
        conn, "SELECT component_id, value FROM kit_share WHERE kit_id = $1 AND warehouse_id = $2", kit_id, warehouse_id
    )
    return {int(r["component_id"]): from_db(r["value"]) for r in rows}


async def add(conn: BaseDBAsyncClient, kit_id: int, warehouse_id: int, values: Mapping[int, Decimal]) -> None:
    """Add what each component brought (negative: took back), never below zero; after the posting's own locks."""
    for component_id in sorted(values):  # created first, so the next statement has a row to lock
        await sql.execute(
            conn, "INSERT INTO kit_share (kit_id, warehouse_id, component_id, value) VALUES ($1, $2, $3, 0)"
            " ON CONFLICT (kit_id, warehouse_id, component_id) DO NOTHING", kit_id, warehouse_id, component_id,
        )  # fmt: skip
    ids = sorted(values)
    if not ids:
        return
    rows = await sql.fetch(
        conn,
        "SELECT id, component_id, value FROM kit_share WHERE kit_id = $1 AND warehouse_id = $2"
        f" AND component_id IN ({sql.placeholders(3, len(ids))}) ORDER BY component_id FOR UPDATE",
        kit_id, warehouse_id, *ids,
    )  # fmt: skip
    for row in rows:  # summed as Decimal here: SQLite would add text as floats
        value = max(from_db(row["value"]) + values[int(row["component_id"])], ZERO)
        await sql.execute(conn, "UPDATE kit_share SET value = $1 WHERE id = $2", value, row["id"])


async def forget(conn: BaseDBAsyncClient, kit_id: int) -> None:
    """A new list of components: what the old ones brought says nothing of the new."""
    await sql.execute(conn, "DELETE FROM kit_share WHERE kit_id = $1", kit_id)
