"""Period snapshots: the valuation at the end of a closed day, kept so a valuation stays fast.

Only days on or before the company's lock date are snapshotted: nothing can be posted into them
any more (postings and revaluations there are refused), so a snapshot never goes stale. A day the
company reopens loses its snapshot (``forget_reopened``, called where the lock date changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from server import sql
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import Invalid
from server.inventory.valuation.models import ValuationDay
from server.inventory.valuation.value import totals_at

COMPANY = 0  # the company's row in period_lock


@dataclass(frozen=True)
class TakeSnapshot(Command):
    operation = "valuation.snapshot"
    taken_on: date


async def company_lock_date(conn: BaseDBAsyncClient) -> date | None:
    row = await sql.fetch_one(conn, "SELECT locked_until FROM period_lock WHERE warehouse_id = $1", COMPANY)
    return sql.as_date(row["locked_until"]) if row else None


async def take_snapshot(on: date | None = None, *, actor_id: int | None = None) -> ValuationDay | None:
    """Keep the valuation at the end of ``on`` (default: the company's lock date). A day already kept
    is answered as it is; None when no day is closed and none was asked for."""
    from server.db import connection

    day = on or await company_lock_date(connection())
    if day is None:
        return None
    if (kept := await ValuationDay.get_or_none(taken_on=day)) is not None:
        return kept

    async def run(write: Write) -> ValuationDay:
        # The company's lock row is held FOR SHARE, as postings do: a reopening waits for this snapshot.
        row = await sql.fetch_one(
            write.conn, "SELECT locked_until FROM period_lock WHERE warehouse_id = $1 FOR SHARE", COMPANY
        )
        locked_until = sql.as_date(row["locked_until"]) if row else None
        if locked_until is None or day > locked_until:
            closed = f"closed up to {locked_until}" if locked_until else "all open"
            raise Invalid(f"Only a closed day can be snapshotted: the company's periods are {closed}.", field="on")
        totals = await totals_at(write.conn, day)
        for (product_id, bucket), (quantity, value) in sorted(totals.items()):
            await sql.execute(
                write.conn,
                "INSERT INTO valuation_snapshot (taken_on, product_id, warehouse_id, quantity, value)"
                " VALUES ($1, $2, $3, $4, $5)",
                day, product_id, bucket, quantity, value,
            )  # fmt: skip
        return await ValuationDay.create(taken_on=day, taken_at=now(), buckets=len(totals), using_db=write.conn)

    effect = Effect(run, lambda kept: Audited("valuation_day", kept.taken_on.isoformat()))
    try:
        return (await execute(TakeSnapshot(day), effect, actor_id=actor_id)).result
    except IntegrityError:  # taken at the same moment by another run: keep the first
        return await ValuationDay.get(taken_on=day)


async def forget_reopened(conn: BaseDBAsyncClient, locked_until: date | None) -> None:
    """Drop the snapshots of days no longer closed: postings may reach them again."""
    if locked_until is None:
        await sql.execute(conn, "DELETE FROM valuation_snapshot")
        await sql.execute(conn, "DELETE FROM valuation_day")
    else:
        await sql.execute(conn, "DELETE FROM valuation_snapshot WHERE taken_on > $1", locked_until)
        await sql.execute(conn, "DELETE FROM valuation_day WHERE taken_on > $1", locked_until)
