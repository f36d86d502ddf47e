"""Reserving before the ship date: the daily job that reserves orders kept unreserved until their day.

An order with reservation ``before_ship`` is allocated at confirmation but reserves nothing until
``reserve_days_before`` days before its ``ship_on`` (a ship date already passed is due too). The job finds
every confirmed order whose day has come and that still has an allocation left to ship with no demand,
and reserves it, each order in a transaction of its own under the order's lock (``reserve_due_order``):
one order's trouble does not keep the others from their stock. It is idempotent: an order it reserved
holds demands, so a rerun finds nothing to do and writes nothing.

An order released by hand (``releaseSalesOrder``) after its day has come is reserved again by the next
run: ``before_ship`` means reserved from that day on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.clock import today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents.models import Document
from server.errors import DomainError, ManyErrors
from server.inventory import quantities
from server.jobs.queue import RESERVE_BEFORE_SHIP, JobQueue
from server.jobs.service import requested_job_id
from server.sales.allocation import reserve_all
from server.sales.models import ReservationMode, SalesOrder
from server.sales.orders import ALLOCATION, MAX_DAYS_BEFORE, ORDER

log = logging.getLogger(__name__)
MAX_REPORTED = 200  # orders named in a job's record


@dataclass(frozen=True)
class ReserveDueOrder(Command):
    operation = "sales_order.reserve_before_ship"
    document_id: int
    day: date


@dataclass
class ReservingRun:
    day: date
    reserved: list[str] = field(default_factory=list)  # the numbers of the orders reserved
    failed: list[tuple[str, str]] = field(default_factory=list)  # (number, why)


def due_on(order: SalesOrder) -> date | None:
    """The day an order reserved before its ship date reserves (None: it does not wait for a day)."""
    if order.reservation != ReservationMode.BEFORE_SHIP or order.ship_on is None:
        return None
    return order.ship_on - timedelta(days=order.reserve_days_before)


async def reserve_due(day: date | None = None) -> ReservingRun:
    """Reserve every confirmed ``before_ship`` order whose day (``day``: today) has come and that holds nothing yet."""
    day = day or today()
    conn = connection()
    # Every order that may be due: its ship date at most the longest lead ahead (the exact day is checked here).
    rows = await sql.fetch(
        conn,
        "SELECT s.id, d.number, s.ship_on, s.reserve_days_before FROM sales_order s JOIN document d ON d.id = s.id"
        f" WHERE d.type = '{ORDER}' AND d.state = 'confirmed' AND s.reservation = $1 AND s.ship_on IS NOT NULL"
        " AND s.ship_on <= $2 ORDER BY s.ship_on, s.id",
        ReservationMode.BEFORE_SHIP.value, day + timedelta(days=MAX_DAYS_BEFORE),
    )  # fmt: skip
    due = [r for r in rows if sql.as_date(r["ship_on"]) - timedelta(days=int(r["reserve_days_before"])) <= day]  # type: ignore[operator]
    waiting = await _unreserved(conn, [int(r["id"]) for r in due])
    run = ReservingRun(day)
    for row in due:
        if int(row["id"]) not in waiting:
            continue
        try:
            if await reserve_due_order(int(row["id"]), day):
                run.reserved.append(row["number"])
        except (DomainError, ManyErrors) as error:  # the next order still gets its stock
            log.error("reserving %s before its ship date failed: %s", row["number"], error)
            run.failed.append((row["number"], str(error)[:500]))
    return run


async def _unreserved(conn: BaseDBAsyncClient, order_ids: list[int]) -> set[int]:
    """The orders with an allocation still to reserve (not shipped nor picked) that has no demand (reserved or
    waiting) yet."""
    found: set[int] = set()
    for chunk in sql.chunks(order_ids):
        rows = await sql.fetch(
            conn,
            "SELECT a.order_id, a.quantity, a.shipped, a.staged FROM sales_allocation a LEFT JOIN stock_demand d"
            f" ON d.document_type = '{ALLOCATION}' AND d.document_id = a.order_id AND d.line_id = a.id"
            f" WHERE d.id IS NULL AND a.order_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )
        # What was picked waits in the output location with no demand: only what is neither shipped nor picked
        # is still to reserve.
        found |= {int(r["order_id"]) for r in rows if quantities.from_db(r["quantity"])
                  > quantities.from_db(r["shipped"]) + quantities.from_db(r["staged"])}  # fmt: skip
    return found


async def reserve_due_order(document_id: int, day: date) -> bool:
    """Reserve one order whose day has come, in one transaction under its lock; False when, under the lock, it
    turns out to need nothing (another run reserved it, or it changed since it was read)."""

    async def run(write: Write) -> bool:
        conn = write.conn
        locked = await Document.filter(id=document_id).using_db(conn).select_for_update().first()
        order = await SalesOrder.get_or_none(id=document_id, using_db=conn)
        if locked is None or order is None or locked.state != "confirmed":
            return False
        when = due_on(order)
        if when is None or when > day or document_id not in await _unreserved(conn, [document_id]):
            return False
        await reserve_all(write, order)
        locked.version += 1
        await locked.save(using_db=conn, update_fields=["version", "updated_at"])
        write.after_commit(lambda: events.publish_document_changed(locked.id, locked.state, locked.version))
        return True

    def audited(reserved: bool) -> Audited | None:
        return Audited("document", document_id, {"reserved_before_ship": day.isoformat()}) if reserved else None

    return (await execute(ReserveDueOrder(document_id, day), Effect(run, audited), actor_id=None)).result


async def request_reserving(queue: JobQueue, idempotency_key: str, *, actor_id: int | None) -> tuple[str, bool]:
    """Ask for a run now, in the background; the same key asks once. The job id, and whether this call queued it."""
    job_id = requested_job_id(RESERVE_BEFORE_SHIP, idempotency_key, actor_id)
    return job_id, await queue.enqueue(RESERVE_BEFORE_SHIP, job_id=job_id, actor_id=actor_id)


def summary(run: ReservingRun) -> dict[str, Any]:
    """A run's outcome as a job records it (JSON)."""
    return {
        "day": run.day.isoformat(),
        "reserved": run.reserved[:MAX_REPORTED],
        "reserved_count": len(run.reserved),
        "failed": [{"order": number, "error": why} for number, why in run.failed[:MAX_REPORTED]],
    }
