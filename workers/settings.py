"""The arq worker: its functions, cron schedule and start-up, as arq expects them."""

from __future__ import annotations

from typing import Any

from arq import cron  # type: ignore[attr-defined]
from arq.connections import RedisSettings
from arq.worker import Worker, func

from server import db
from server.settings import Settings, get_settings
from workers import jobs
from workers.constants import QUEUE_NAME
from workers.queue import ArqQueue
from workers.schedule import DAILY
from workers.serialization import deserialize, serialize


async def on_startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or get_settings()
    await db.open_database(settings)
    ctx["queue"] = ArqQueue(ctx["redis"])


async def on_shutdown(ctx: dict[str, Any]) -> None:
    await db.close_database()


FUNCTIONS = [func(job, name=name) for name, job in jobs.FUNCTIONS.items()]
CRON_JOBS = [
    *(
        cron(jobs.FUNCTIONS[name], name=f"cron:{name}", hour={at.hour}, minute={at.minute}, unique=True)
        for name, at in DAILY.items()
    ),
    cron(jobs.sweep_lost_jobs, name="cron:sweep_lost_jobs", minute=set(range(0, 60, 5)), unique=True),
]


def worker_options(settings: Settings) -> dict[str, Any]:
    if not settings.redis_url:
        raise ValueError("the worker needs STOREKEEPER_REDIS_URL; without it jobs run inside the server")
    return {
        "functions": FUNCTIONS,
        "cron_jobs": CRON_JOBS,
        "queue_name": QUEUE_NAME,
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
    options = worker_options(settings) if settings.redis_url else {"functions": FUNCTIONS, "cron_jobs": CRON_JOBS}
    return type("WorkerSettings", (), options)


# For ``arq workers.settings.WorkerSettings``: the options ``storekeeper worker`` runs with.
WorkerSettings = _worker_settings_class()
