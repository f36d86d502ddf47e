"""Which locations have a location with limits above them (``location.limits_above``).

A zone's limits cap every bin under it, so a posting into a bin must check them; the flag on the bin,
read with it by every posting, says whether there is anything above to check. It is set for a new
location from its parent, and rewritten for a location's subtree whenever that location's limits
change, in the same transaction: the UPDATE of a bin's row waits for the postings that hold it FOR
SHARE, and the postings after it read the new flag.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.inventory.capacity import Limits, ancestor_ids
from server.inventory.models import Location


def limits_above_new(parent: Location) -> bool:
    """The flag of a new location under ``parent``."""
    limits = {"max_units": parent.max_units, "max_weight_kg": parent.max_weight_kg, "mixing": parent.mixing}
    return parent.limits_above or Limits.of_row(limits) is not None


async def refresh_subtree(conn: BaseDBAsyncClient, location: Location) -> None:
    """Set the flag of every location under ``location`` again, after its limits changed."""
    rows = await sql.fetch(
        conn,
        "SELECT id, path, max_units, max_weight_kg, mixing, limits_above FROM location WHERE warehouse_id = $1",
        location.warehouse_id,  # type: ignore[attr-defined]
    )
    limited = {int(r["id"]) for r in rows if Limits.of_row(r) is not None}
    flips: dict[bool, list[int]] = {True: [], False: []}
    for row in rows:
        if row["path"] == location.path or not row["path"].startswith(location.path):
            continue
        wanted = any(ancestor in limited for ancestor in ancestor_ids(row["path"]))
        if wanted != bool(row["limits_above"]):
            flips[wanted].append(int(row["id"]))
    for flag, ids in flips.items():
        for chunk in sql.chunks(ids):
            await sql.execute(
                conn, f"UPDATE location SET limits_above = $1 WHERE id IN ({sql.placeholders(2, len(chunk))})",
                flag, *chunk,
            )  # fmt: skip
