"""The database's record of background jobs: what was enqueued, what ran, what it returned.

Redis holds the queue; this table is what survives a Redis restart, so the sweeper can put
back what was lost.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from server import sql
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.idempotency import validate_key
from server.jobs.models import JobRecord, JobStatus
from server.jobs.queue import CHECK_LEDGER, JobQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EnqueueJob(Command):
    operation = "job.enqueue"
    job_id: str
    function: str
    kwargs: dict[str, Any]


async def record_enqueued(job_id: str, function: str, kwargs: dict[str, Any], *, actor_id: int | None = None) -> bool:
    """Note a job before it is queued; False when that job id is already known (enqueue is idempotent).

    A job a person asked for is audited with them, once; the record of a scheduled one is its own trace.
    """

    async def run(write: Write) -> bool:
        row = await sql.fetch_one(
            write.conn,
            "INSERT INTO job_record (job_id, function, kwargs, status, attempts, enqueued_at)"
            " VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (job_id) DO NOTHING RETURNING id",
            job_id, function, _json(kwargs), JobStatus.QUEUED.value, now(),
        )  # fmt: skip
        return row is not None

    def audited(new: bool) -> Audited | None:
        return Audited("job", job_id) if new and actor_id is not None else None

    return (await execute(EnqueueJob(job_id, function, kwargs), Effect(run, audited), actor_id=actor_id)).result


async def mark_running(job_id: str) -> None:
    await sql.execute(
        connection(),
        "UPDATE job_record SET status = $1, started_at = $2, attempts = attempts + 1 WHERE job_id = $3",
        JobStatus.RUNNING.value,
        now(),
        job_id,
    )


async def mark_finished(job_id: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
    await JobRecord.filter(job_id=job_id).update(
        status=JobStatus.FAILED if error else JobStatus.DONE, finished_at=now(), result=result, error=error
    )


async def unfinished_since(age: timedelta) -> list[JobRecord]:
    """Jobs queued or running for longer than ``age``: candidates for the sweeper."""
    cutoff = now() - age
    return (
        await JobRecord.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING], enqueued_at__lt=cutoff)
        .order_by("id")
        .limit(500)
    )


async def get(job_id: str) -> JobRecord | None:
    return await JobRecord.get_or_none(job_id=job_id)


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value, default=str).decode()


def requested_job_id(function: str, idempotency_key: str, actor_id: int | None) -> str:
    """The id of a job a person asks for: one per user and key (keys are scoped per user, as for
    writes), and short whatever the key's length, since job ids are columns and Redis keys."""
    digest = hashlib.sha256(validate_key(idempotency_key).encode()).hexdigest()[:40]
    return f"{function}:{actor_id or 0}:{digest}"


async def request_ledger_check(queue: JobQueue, idempotency_key: str, *, actor_id: int | None) -> tuple[str, bool]:
    """Ask for a ledger check now; the same key asks once. The job id, and whether this call queued it."""
    job_id = requested_job_id(CHECK_LEDGER, idempotency_key, actor_id)
    return job_id, await queue.enqueue(CHECK_LEDGER, job_id=job_id, actor_id=actor_id)


LOST_AFTER = timedelta(minutes=10)


async def sweep_lost(queue: JobQueue) -> int:
    """Re-enqueue jobs the database knows as unfinished but the queue has lost (a Redis restart)."""
    requeued = 0
    for record in await unfinished_since(LOST_AFTER):
        if not await queue.is_known(record.job_id):
            log.warning("re-enqueueing lost job %s", record.job_id)
            await queue.requeue(record.job_id, record.function, record.kwargs)
            requeued += 1
    return requeued
