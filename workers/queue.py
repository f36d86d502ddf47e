"""Enqueueing jobs: on arq/Redis when configured, else in this process with the same functions.

Either way the job is first recorded in the database under its deterministic id, so enqueueing
twice queues once, and the sweeper can re-enqueue what Redis lost.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from server.jobs import service as job_records
from server.jobs.queue import JobQueue
from server.settings import Settings
from workers.constants import arq_job_id, queue_name
from workers.serialization import deserialize, serialize

log = logging.getLogger(__name__)


class ArqQueue:
    """Jobs on arq, in the deployment's own queue and under ids within its namespace."""

    def __init__(self, pool: Any, namespace: str) -> None:
        self.pool = pool
        self.namespace = namespace
        self.queue_name = queue_name(namespace)

    @classmethod
    async def connect(cls, redis_url: str, namespace: str) -> ArqQueue:
        from arq import create_pool
        from arq.connections import RedisSettings

        pool = await create_pool(
            RedisSettings.from_dsn(redis_url),
            job_serializer=serialize,
            job_deserializer=deserialize,
            default_queue_name=queue_name(namespace),
        )
        return cls(pool, namespace)

    def arq_id(self, job_id: str) -> str:
        return arq_job_id(self.namespace, job_id)

    async def enqueue(
        self, function: str, *, job_id: str, kwargs: dict[str, Any] | None = None, actor_id: int | None = None
    ) -> bool:
        """Queue a job once per id; True when this call queued it."""
        kwargs = kwargs or {}
        if not await job_records.record_enqueued(job_id, function, kwargs, actor_id=actor_id):
            return False  # known: queued, running or done; only the sweeper puts a lost one back
        await self._put(job_id, function, kwargs)
        return True

    async def _put(self, job_id: str, function: str, kwargs: dict[str, Any]) -> None:
        await self.pool.enqueue_job(function, _job_id=self.arq_id(job_id), _queue_name=self.queue_name, **kwargs)

    async def is_known(self, job_id: str) -> bool:
        from arq.jobs import Job, JobStatus

        job = Job(self.arq_id(job_id), self.pool, _queue_name=self.queue_name, _deserializer=deserialize)
        return await job.status() != JobStatus.not_found

    async def requeue(self, job_id: str, function: str, kwargs: dict[str, Any]) -> None:
        log.warning("re-enqueueing lost job %s", job_id)
        await self._put(job_id, function, kwargs)

    async def close(self) -> None:
        await self.pool.aclose()


class InProcessQueue:
    """The embedded default: no Redis, jobs run as tasks of this process."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    async def enqueue(
        self, function: str, *, job_id: str, kwargs: dict[str, Any] | None = None, actor_id: int | None = None
    ) -> bool:
        kwargs = kwargs or {}
        if not await job_records.record_enqueued(job_id, function, kwargs, actor_id=actor_id):
            return False
        self._start(job_id, function, kwargs)
        return True

    def _start(self, job_id: str, function: str, kwargs: dict[str, Any]) -> None:
        from workers.jobs import FUNCTIONS

        ctx = {"job_id": job_id, "queue": self}
        job = FUNCTIONS[function](ctx, **kwargs)
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(job, name=job_id)
        self._tasks[job_id] = task
        task.add_done_callback(lambda t: self._finished(job_id, t))

    def _finished(self, job_id: str, task: asyncio.Task[Any]) -> None:
        self._tasks.pop(job_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s failed: %s", job_id, task.exception())

    async def is_known(self, job_id: str) -> bool:
        return job_id in self._tasks

    async def requeue(self, job_id: str, function: str, kwargs: dict[str, Any]) -> None:
        self._start(job_id, function, kwargs)

    async def resume_unfinished(self) -> int:
        """Run again what a previous process of this embedded server queued but did not finish."""
        unfinished = await job_records.unfinished_since(timedelta(0))
        for record in unfinished:
            if record.job_id not in self._tasks:
                log.warning("resuming job %s left unfinished", record.job_id)
                self._start(record.job_id, record.function, record.kwargs)
        return len(unfinished)

    async def wait(self) -> None:
        """Let running jobs finish (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        await self.wait()


async def open_queue(settings: Settings) -> JobQueue:
    if settings.redis_url:
        return await ArqQueue.connect(settings.redis_url, settings.namespace)
    return InProcessQueue()
