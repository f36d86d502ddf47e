"""The arq worker: its functions, cron schedule and start-up, as arq expects them."""

from __future__ import annotations

import functools
from typing import Any

from arq import cron  # type: ignore[attr-defined]
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function, Worker, func

from server import db
from server.settings import Settings, get_settings
from workers import jobs
from workers.constants import SWEEP_LOST_JOBS, cron_name, queue_name, recorded_job_id
from workers.queue import ArqQueue
from workers.schedule import DAILY, EVERY_MINUTE
from workers.serialization import deserialize, serialize


async def on_startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or get_settings()
    await db.open_database(settings)
    ctx["queue"] = ArqQueue(ctx["redis"], settings.namespace)


async def on_shutdown(ctx: dict[str, Any]) -> None:
    await db.close_database()


def _with_recorded_id(namespace: str, job: jobs.Job) -> jobs.Job:
    """The job as arq runs it: arq passes the id it knows (with the namespace), the job gets the recorded one."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if ctx.get("job_id") is not None:
            ctx = {**ctx, "job_id": recorded_job_id(namespace, ctx["job_id"])}
        return await job(ctx, **kwargs)

    return run


def functions(namespace: str) -> list[Function]:
    return [func(_with_recorded_id(namespace, job), name=name) for name, job in jobs.FUNCTIONS.items()]


def cron_jobs(namespace: str) -> list[CronJob]:
    def scheduled(name: str, **when: Any) -> CronJob:
        job = _with_recorded_id(namespace, jobs.FUNCTIONS[name])
        return cron(job, name=cron_name(namespace, name), unique=True, **when)

    daily = [scheduled(name, hour={at.hour}, minute={at.minute}) for name, at in DAILY.items()]
    minutely = [scheduled(name) for name in EVERY_MINUTE]  # arq's cron: at second 0 of every minute
    return [*daily, *minutely, scheduled(SWEEP_LOST_JOBS, minute=set(range(0, 60, 5)))]


def worker_options(settings: Settings) -> dict[str, Any]:
    if not settings.redis_url:
        raise ValueError("the worker needs STOREKEEPER_REDIS_URL; without it jobs run inside the server")
    return {
        "functions": functions(settings.namespace),
        "cron_jobs": cron_jobs(settings.namespace),
        "queue_name": queue_name(settings.namespace),
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "ctx": {"settings": settings},
        "job_timeout": 600,
    }


def build_worker(settings: Settings, **overrides: Any) -> Worker:
    return Worker(**{**worker_options(settings), **overrides})


def _worker_settings_class() -> type:
    settings = get_settings()
    if settings.redis_url:
        options = worker_options(settings)
    else:
        options = {"functions": functions(settings.namespace), "cron_jobs": cron_jobs(settings.namespace)}
    return type("WorkerSettings", (), options)


# For ``arq workers.settings.WorkerSettings``: the options ``storekeeper worker`` runs with.
WorkerSettings = _worker_settings_class()
