"""When the scheduled jobs run. arq's cron runs them on a worker; without Redis the server runs
the same schedule in-process (``run_in_process``), and resumes jobs a previous process left.

Daily jobs run once a day under an id of their day. Minutely ones (mail delivery) are called
directly, one run after the other, without a job record each: 1,440 records a day would say
nothing, and each run is idempotent, so a run lost with the process is simply the next one."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

from server.clock import now
from server.mail.service import DELIVER_MAIL
from workers.constants import (
    CHECK_LEDGER,
    EXPIRE_QUOTATIONS,
    EXPIRY_ALERTS,
    PLAN_PURCHASES,
    PURGE_IDEMPOTENCY_KEYS,
    REPLENISH,
    RESERVATIONS_OFF_EXPIRED,
    RESERVE_BEFORE_SHIP,
    SNAPSHOT_VALUATION,
)
from workers.queue import InProcessQueue

log = logging.getLogger(__name__)

DAILY: dict[str, time] = {
    RESERVATIONS_OFF_EXPIRED: time(0, 5, tzinfo=UTC),  # a lot past its removal date since midnight
    SNAPSHOT_VALUATION: time(2, 30, tzinfo=UTC),
    CHECK_LEDGER: time(3, 0, tzinfo=UTC),
    PURGE_IDEMPOTENCY_KEYS: time(4, 30, tzinfo=UTC),
    EXPIRY_ALERTS: time(6, 0, tzinfo=UTC),  # in the morning mail
    REPLENISH: time(5, 0, tzinfo=UTC),  # pick bins refilled before the first pick (runReplenishment: any time)
    PLAN_PURCHASES: time(5, 30, tzinfo=UTC),  # drafts for the buyer in the morning (runPurchasePlanning: any time)
    # Orders whose day to reserve before shipping has come, before the first pick (runSalesReservations: any time).
    RESERVE_BEFORE_SHIP: time(0, 15, tzinfo=UTC),
    EXPIRE_QUOTATIONS: time(0, 10, tzinfo=UTC),  # a quotation valid until yesterday is expired
}
EVERY_MINUTE: tuple[str, ...] = (DELIVER_MAIL,)


def next_run(after: datetime) -> tuple[datetime, str]:
    """The next daily job due strictly after ``after``, and its name."""
    candidates = []
    for name, at in DAILY.items():
        due = datetime.combine(after.date(), at)
        if due <= after:
            due += timedelta(days=1)
        candidates.append((due, name))
    return min(candidates)


def job_id(name: str, due: datetime) -> str:
    """One id per job and day: a restart around the due time does not run it twice."""
    return f"cron:{name}:{due:%Y-%m-%d}"


def next_minute(after: datetime) -> datetime:
    """The start of the minute after ``after``: when the minutely jobs run next."""
    return after.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def run_in_process(queue: InProcessQueue) -> None:
    await queue.resume_unfinished()
    async with asyncio.TaskGroup() as group:  # cancelling the schedule cancels both loops
        group.create_task(_daily(queue))
        group.create_task(_every_minute(queue))


async def _every_minute(queue: InProcessQueue) -> None:
    from workers.jobs import FUNCTIONS

    while True:
        await asyncio.sleep(max((next_minute(now()) - now()).total_seconds(), 0))
        for name in EVERY_MINUTE:
            try:
                await FUNCTIONS[name]({"queue": queue})
            except Exception:  # a failed run must not end the schedule; the next minute tries again
                log.exception("scheduled job %s failed", name)


async def _daily(queue: InProcessQueue) -> None:
    while True:
        due, name = next_run(now())
        await asyncio.sleep(max((due - now()).total_seconds(), 0))
        try:
            await queue.enqueue(name, job_id=job_id(name, due))
        except Exception:  # a failed enqueue must not end the schedule
            log.exception("could not enqueue %s", name)
