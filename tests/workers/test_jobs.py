"""Jobs: the ledger check on demand, in-process and on arq with a real Redis; enqueue is idempotent."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import msgpack

from server.inventory.models import LedgerCheck
from server.inventory.periods import set_period_lock
from server.inventory.valuation.models import ValuationDay, ValuationSnapshot
from server.jobs.models import JobRecord, JobStatus
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, skip_or_fail
from workers.constants import CHECK_LEDGER, SNAPSHOT_VALUATION
from workers.queue import ArqQueue, InProcessQueue

RECEIVE = "mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { errors { code message } } }"


async def test_the_ledger_check_runs_in_process_once_per_job_id(settings: Settings) -> None:
    queue = InProcessQueue()
    job_id = f"{CHECK_LEDGER}:{uuid.uuid4()}"
    assert await queue.enqueue(CHECK_LEDGER, job_id=job_id) is True
    assert await queue.enqueue(CHECK_LEDGER, job_id=job_id) is False
    await queue.wait()

    check = await LedgerCheck.get(job_id=job_id)
    assert check.ok, check.problems
    record = await JobRecord.get(job_id=job_id)
    assert (record.status, record.attempts, record.result) == (
        JobStatus.DONE,
        1,
        {"ledger_check_id": check.id, "ok": True},
    )


async def test_the_ledger_check_runs_on_an_arq_worker_and_a_rerun_changes_nothing(settings: Settings) -> None:
    redis_url = os.environ.get("STOREKEEPER_TEST_REDIS_URL")
    if not redis_url:
        skip_or_fail("STOREKEEPER_TEST_REDIS_URL is not set")
    assert redis_url is not None
    from workers.settings import build_worker

    worker_settings = Settings(database_url=settings.database_url, redis_url=redis_url, environment="test")
    queue = await ArqQueue.connect(redis_url, worker_settings.namespace)
    job_id = f"{CHECK_LEDGER}:{uuid.uuid4()}"
    try:
        assert await queue.enqueue(CHECK_LEDGER, job_id=job_id) is True
        assert await queue.enqueue(CHECK_LEDGER, job_id=job_id) is False
        raw = await queue.pool.get(f"arq:job:{queue.arq_id(job_id)}")
        assert msgpack.unpackb(raw, timestamp=3)["f"] == CHECK_LEDGER  # msgpack, not pickle

        # Without the cron jobs: one that falls due while the worker runs (mail every minute) would run too.
        worker = build_worker(worker_settings, burst=True, handle_signals=False, poll_delay=0.05, cron_jobs=[])
        worker.on_startup = None  # this process's database is already open
        worker.on_shutdown = None
        worker.ctx["queue"] = queue
        await worker.main()
        await worker.close()
        assert worker.jobs_complete == 1

        checks = await LedgerCheck.filter(job_id=job_id)
        assert len(checks) == 1 and checks[0].ok
        record = await JobRecord.get(job_id=job_id)
        assert record.status == JobStatus.DONE

        # A second run of the same job (as after a worker died) stores nothing new.
        from workers.jobs import check_ledger

        again = await check_ledger({"job_id": job_id})
        assert again == {"ledger_check_id": checks[0].id, "ok": True}
        assert await LedgerCheck.filter(job_id=job_id).count() == 1
    finally:
        await queue.pool.delete(f"arq:result:{queue.arq_id(job_id)}", f"arq:job:{queue.arq_id(job_id)}")
        await queue.close()
    assert queue.queue_name.startswith("storekeeper:")


async def test_the_sweeper_re_enqueues_a_job_redis_lost(settings: Settings) -> None:
    redis_url = os.environ.get("STOREKEEPER_TEST_REDIS_URL")
    if not redis_url:
        skip_or_fail("STOREKEEPER_TEST_REDIS_URL is not set")
    assert redis_url is not None
    from workers.jobs import sweep_lost_jobs
    from workers.settings import build_worker

    worker_settings = Settings(database_url=settings.database_url, redis_url=redis_url, environment="test")
    queue = await ArqQueue.connect(redis_url, worker_settings.namespace)
    job_id = f"{CHECK_LEDGER}:{uuid.uuid4()}"
    try:
        await queue.enqueue(CHECK_LEDGER, job_id=job_id)
        # Redis restarts without persistence: the job is gone from the queue, the database remembers it.
        await queue.pool.delete(f"arq:job:{queue.arq_id(job_id)}")
        await queue.pool.zrem(queue.queue_name, queue.arq_id(job_id))
        await JobRecord.filter(job_id=job_id).update(enqueued_at=datetime.now(UTC) - timedelta(minutes=30))
        assert not await queue.is_known(job_id)

        assert (await sweep_lost_jobs({"queue": queue}))["requeued"] >= 1
        assert await queue.is_known(job_id)

        worker = build_worker(worker_settings, burst=True, handle_signals=False, poll_delay=0.05)
        worker.on_startup = None
        worker.on_shutdown = None
        await worker.main()
        await worker.close()
        assert (await JobRecord.get(job_id=job_id)).status == JobStatus.DONE
        assert await LedgerCheck.filter(job_id=job_id).count() == 1
    finally:
        await queue.pool.delete(f"arq:result:{queue.arq_id(job_id)}", f"arq:job:{queue.arq_id(job_id)}")
        await queue.close()


async def test_the_nightly_snapshot_keeps_the_closed_day_once(
    settings: Settings, graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    long_ago = datetime(2003, 5, 1, 12, tzinfo=UTC)
    scan = {"code": place.sku, "scannedAt": long_ago.isoformat()}  # effective then: before the closed day
    receipt = {"sku": place.sku, "locationCode": place.bin_a, "quantity": "7", "unitCost": "3",
               "idempotencyKey": str(uuid.uuid4()), "scan": scan}  # fmt: skip
    data = await graphql.run(RECEIVE, {"input": receipt}, token=admin.token)
    assert data["receiveStock"]["errors"] == []
    queue = InProcessQueue()
    closed = date(2003, 6, 30)
    await set_period_lock(None, closed, actor_id=admin.user_id)
    try:
        for run in ("first", "again"):  # a rerun, as after a crash, keeps the same day
            job_id = f"{SNAPSHOT_VALUATION}:{run}:{uuid.uuid4()}"
            assert await queue.enqueue(SNAPSHOT_VALUATION, job_id=job_id) is True
            await queue.wait()
            record = await JobRecord.get(job_id=job_id)
            assert (record.status, record.result["taken_on"]) == (JobStatus.DONE, "2003-06-30"), record.result

        assert await ValuationDay.filter(taken_on=closed).count() == 1
        kept = await ValuationSnapshot.filter(taken_on=closed, product__sku=place.sku).values_list("quantity", "value")
        assert [(Decimal(quantity), Decimal(value)) for quantity, value in kept] == [(Decimal(7), Decimal(21))]
    finally:
        await set_period_lock(None, None, actor_id=admin.user_id)  # reopening drops the snapshot
    assert await ValuationDay.filter(taken_on=closed).count() == 0


async def test_the_nightly_snapshot_keeps_nothing_while_no_day_is_closed(settings: Settings) -> None:
    queue = InProcessQueue()
    job_id = f"{SNAPSHOT_VALUATION}:{uuid.uuid4()}"
    await queue.enqueue(SNAPSHOT_VALUATION, job_id=job_id)
    await queue.wait()
    record = await JobRecord.get(job_id=job_id)
    assert (record.status, record.result) == (JobStatus.DONE, {"taken_on": None})
