"""Deployments sharing one Redis, each in its own namespace: each runs its own jobs, even under the
same job id (as a nightly cron's), and the job sees the id the database records."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from arq.utils import to_unix_ms
from arq.worker import Worker

from server.inventory.models import LedgerCheck
from server.jobs.models import JobRecord, JobStatus
from server.settings import Settings
from tests.conftest import skip_or_fail
from workers.constants import CHECK_LEDGER
from workers.queue import ArqQueue
from workers.settings import build_worker


def _redis_url() -> str:
    url = os.environ.get("STOREKEEPER_TEST_REDIS_URL")
    if not url:
        skip_or_fail("STOREKEEPER_TEST_REDIS_URL is not set")
    assert url is not None
    return url


def _deployment(settings: Settings, name: str) -> Settings:
    namespace = f"{name}-{uuid.uuid4().hex[:8]}"
    return Settings(database_url=settings.database_url, redis_url=_redis_url(), environment="test",
                    redis_namespace=namespace)  # fmt: skip


def _deployments(settings: Settings) -> tuple[Settings, Settings]:
    """Two deployments on one Redis (and, for this test, one database)."""
    return _deployment(settings, "ours"), _deployment(settings, "theirs")


async def _burst_worker(deployment: Settings, *, cron: str | None = None) -> Worker:
    """A worker of ``deployment`` that stops once its queue is empty, on this process's open database.

    With only the ``cron`` job named, if any: another falling due meanwhile (mail, every minute)
    would count among the jobs run."""
    queue = await ArqQueue.connect(_redis_url(), deployment.namespace)  # the worker closes its pool
    worker = build_worker(deployment, redis_pool=queue.pool, burst=True, handle_signals=False, poll_delay=0.05)
    worker.cron_jobs = [job for job in worker.cron_jobs if cron is not None and job.name.endswith(f"cron:{cron}")]
    worker.on_startup = None
    worker.on_shutdown = None
    return worker


async def _jobs_run_by(worker: Worker) -> int:
    await worker.main()
    await worker.close()
    return worker.jobs_complete


async def test_two_deployments_enqueueing_the_same_job_id_each_run_their_own(settings: Settings) -> None:
    ours, theirs = _deployments(settings)
    job_id = f"{CHECK_LEDGER}:{uuid.uuid4()}"
    queues = [await ArqQueue.connect(_redis_url(), deployment.namespace) for deployment in (ours, theirs)]
    try:
        assert await queues[0].enqueue(CHECK_LEDGER, job_id=job_id) is True
        # The other deployment has a database of its own, where this id is new: forget ours to stand for it.
        await JobRecord.filter(job_id=job_id).delete()
        assert await queues[1].enqueue(CHECK_LEDGER, job_id=job_id) is True

        workers = [await _burst_worker(ours), await _burst_worker(theirs)]
        assert [await _jobs_run_by(worker) for worker in workers] == [1, 1]
        # the job ran under the id our records know, not arq's
        assert (await JobRecord.get(job_id=job_id)).status == JobStatus.DONE
        assert await LedgerCheck.filter(job_id=job_id).count() == 1
    finally:
        for queue in queues:
            await queue.pool.delete(f"arq:result:{queue.arq_id(job_id)}", f"arq:job:{queue.arq_id(job_id)}")
            await queue.close()


async def test_two_deployments_each_run_their_own_nightly_ledger_check(settings: Settings) -> None:
    due = datetime.now(UTC).replace(microsecond=0)
    workers = [await _burst_worker(deployment, cron=CHECK_LEDGER) for deployment in _deployments(settings)]
    checks = []
    for worker in workers:  # both crons come due at once, before either worker runs a job
        [check] = [job for job in worker.cron_jobs if job.name.endswith(f"cron:{CHECK_LEDGER}")]
        check.next_run = due
        checks.append(check.name)
        await worker.run_cron(due, delay=0.5)  # what arq's cron does when the time comes
    try:
        assert [await _jobs_run_by(worker) for worker in workers] == [1, 1]
        # the job ran under the id our records know: the cron's name and time, without the namespace
        assert await LedgerCheck.filter(job_id=f"cron:{CHECK_LEDGER}:{to_unix_ms(due)}").count() == 1
    finally:
        queue = await ArqQueue.connect(_redis_url(), "cleanup")
        for name in checks:  # arq keeps a unique cron's id in progress for a while after it ran
            await queue.pool.delete(f"arq:in-progress:{name}:{to_unix_ms(due)}", f"arq:result:{name}:{to_unix_ms(due)}")
        await queue.close()


def test_a_server_and_a_worker_of_one_database_share_a_namespace_however_they_log_in() -> None:
    server = Settings(database_url="postgres://app:secret@db.example:5432/shop?sslmode=require")
    worker = Settings(database_url="postgres://worker:rotated@db.example/shop")
    other_shop = Settings(database_url="postgres://app:secret@db.example:5432/shop2")
    assert server.namespace == worker.namespace != other_shop.namespace
    assert Settings(database_url="sqlite://a.sqlite3", redis_namespace="eu-1").namespace == "eu-1"
