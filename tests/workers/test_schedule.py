"""The daily schedule the embedded server keeps when there is no arq cron."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from server.inventory.models import LedgerCheck
from server.jobs import service as job_records
from server.jobs.models import JobRecord, JobStatus
from server.settings import Settings
from workers.constants import CHECK_LEDGER, PURGE_IDEMPOTENCY_KEYS, RESERVATIONS_OFF_EXPIRED, SNAPSHOT_VALUATION
from workers.queue import InProcessQueue
from workers.schedule import job_id, next_run


def test_the_daily_jobs_are_due_in_their_order_after_midnight() -> None:
    assert next_run(datetime(2026, 11, 22, 1, 0, tzinfo=UTC)) == (
        datetime(2026, 11, 22, 2, 30, tzinfo=UTC),
        SNAPSHOT_VALUATION,
    )
    assert next_run(datetime(2026, 11, 22, 2, 30, tzinfo=UTC)) == (
        datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
        CHECK_LEDGER,
    )
    assert next_run(datetime(2026, 11, 22, 3, 0, tzinfo=UTC)) == (
        datetime(2026, 11, 22, 4, 30, tzinfo=UTC),
        PURGE_IDEMPOTENCY_KEYS,
    )
    assert next_run(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == (
        datetime(2026, 11, 23, 0, 5, tzinfo=UTC),
        RESERVATIONS_OFF_EXPIRED,
    )


def test_a_daily_job_has_one_id_per_day() -> None:
    due = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert job_id(CHECK_LEDGER, due) == "cron:check_ledger:2026-11-23"


async def test_a_restarted_embedded_server_finishes_what_the_last_one_left(settings: Settings) -> None:
    left = f"{CHECK_LEDGER}:{uuid.uuid4()}"
    await job_records.record_enqueued(left, CHECK_LEDGER, {})  # the process died before running it

    queue = InProcessQueue()
    assert await queue.resume_unfinished() >= 1
    await queue.wait()

    assert (await JobRecord.get(job_id=left)).status == JobStatus.DONE
    assert await LedgerCheck.filter(job_id=left).count() == 1
