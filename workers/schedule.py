"""When the daily jobs run. arq's cron runs them on a worker; without Redis the server runs
the same schedule in-process (``run_in_process``), and resumes jobs a previous process left."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

from server.clock import now
from workers.constants import CHECK_LEDGER, PURGE_IDEMPOTENCY_KEYS
from workers.queue import InProcessQueue

log = logging.getLogger(__name__)

DAILY: dict[str, time] = {
    CHECK_LEDGER: time(3, 0, tzinfo=UTC),
    PURGE_IDEMPOTENCY_KEYS: time(4, 30, tzinfo=UTC),
}


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


async def run_in_process(queue: InProcessQueue) -> None:
    await queue.resume_unfinished()
    while True:
        due, name = next_run(now())
        await asyncio.sleep(max((due - now()).total_seconds(), 0))
        try:
            await queue.enqueue(name, job_id=job_id(name, due))
        except Exception:  # a failed enqueue must not end the schedule
            log.exception("could not enqueue %s", name)
