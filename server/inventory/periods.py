"""Closed periods: a lock date for the company and, where set, for a warehouse.

A posting effective on or before the lock date that applies to it is refused (``PERIOD_LOCKED``):
what was counted, valued and reported for a closed month stays as it was, and a correction goes
into the open period. A posting reads the lock rows it relies on FOR SHARE, and a change of a lock
date takes its row FOR UPDATE, so a posting in flight when a period is closed either commits
before the lock is set or sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import DomainError, ErrorCode, NotFound
from server.inventory.models import WAREHOUSE_CODE, PeriodLock, Warehouse
from server.inventory.valuation.snapshots import forget_reopened
from server.text import shown

COMPANY = 0  # the lock row of the whole company (a NULL in a unique key would let twins in)


class PeriodLocked(DomainError):
    code = ErrorCode.PERIOD_LOCKED


@dataclass(frozen=True)
class LockDate:
    warehouse_id: int
    warehouse_code: str | None  # None: the company's
    locked_until: date | None
    updated_at: datetime | None


async def refuse_if_locked(
    conn: BaseDBAsyncClient,
    effective: datetime,
    warehouse_ids: Iterable[int | None],
    *,
    known: Mapping[int, date | None] | None = None,
) -> None:
    """PERIOD_LOCKED when ``effective`` falls on or before the lock date of the company or of one of
    the warehouses the posting touches. Reads the lock rows FOR SHARE, but for those in ``known``
    (warehouse id -> lock date, read and held the same way with the posting's locations)."""
    ids = sorted({COMPANY, *(i for i in warehouse_ids if i is not None)})
    dates = {i: known[i] for i in ids if known and i in known}
    missing = [i for i in ids if i not in dates]
    if missing:
        rows = await sql.fetch(
            conn,
            "SELECT warehouse_id, locked_until FROM period_lock"
            f" WHERE warehouse_id IN ({sql.placeholders(1, len(missing))}) ORDER BY warehouse_id FOR SHARE",
            *missing,
        )
        dates.update({int(row["warehouse_id"]): sql.as_date(row["locked_until"]) for row in rows})
    day = effective.astimezone(UTC).date()  # lock dates are UTC days, whatever zone the time was given in
    for warehouse_id in ids:
        locked_until = dates.get(warehouse_id)
        if locked_until is not None and day <= locked_until:
            whose = "the company" if warehouse_id == COMPANY else "this warehouse"
            raise PeriodLocked(
                f"The period up to {locked_until} is closed for {whose}: a posting effective {day} is refused."
                " Book the correction today (in the open period).",
                field="effectiveAt",
            )


@dataclass(frozen=True)
class SetPeriodLock(Command):
    operation = "period.lock"
    warehouse: str | None
    locked_until: date | None


async def set_period_lock(warehouse: str | None, locked_until: date | None, *, actor_id: int | None) -> LockDate:
    """Close the periods up to ``locked_until`` (None opens them all) for the company or a warehouse."""
    code = None
    if warehouse is not None:
        code = WAREHOUSE_CODE.key(warehouse)
        if code is None:
            raise NotFound(f"There is no warehouse {shown(warehouse)}.", field="warehouse")
    command = SetPeriodLock(code, locked_until)

    async def run(write: Write) -> LockDate:
        warehouse_id = COMPANY
        if code is not None:
            row = await sql.fetch_one(write.conn, "SELECT id FROM warehouse WHERE code = $1", code)
            if row is None:
                raise NotFound(f"There is no warehouse {code}.", field="warehouse")
            warehouse_id = int(row["id"])
        # Every posting holds the company's row FOR SHARE: a change of any lock date waits here for
        # the postings in flight, and those that come after read the new date.
        await sql.fetch(write.conn, "SELECT id FROM period_lock WHERE warehouse_id = $1 FOR UPDATE", COMPANY)
        await sql.execute(
            write.conn,
            "INSERT INTO period_lock (warehouse_id, locked_until, updated_at) VALUES ($1, NULL, $2)"
            " ON CONFLICT (warehouse_id) DO NOTHING",
            warehouse_id, now(),
        )  # fmt: skip
        changed = now()
        await sql.execute(
            write.conn, "UPDATE period_lock SET locked_until = $1, updated_at = $2 WHERE warehouse_id = $3",
            locked_until, changed, warehouse_id,
        )  # fmt: skip
        if warehouse_id == COMPANY:  # a valuation snapshot of a day reopened would go stale
            await forget_reopened(write.conn, locked_until)
        return LockDate(warehouse_id, code, locked_until, changed)

    effect = Effect(run, lambda lock: Audited("period_lock", lock.warehouse_code or "company"))
    return (await execute(command, effect, actor_id=actor_id)).result


async def lock_dates(*, limit: int) -> list[LockDate]:
    """The company's lock date first, then each warehouse's that has one (the first ``limit``)."""
    rows = await PeriodLock.all().order_by("warehouse_id").limit(limit)
    ids = [r.warehouse_id for r in rows if r.warehouse_id != COMPANY]
    codes = {w.id: w.code for w in await Warehouse.filter(id__in=ids)} if ids else {}
    return [LockDate(r.warehouse_id, codes.get(r.warehouse_id), r.locked_until, r.updated_at) for r in rows]
