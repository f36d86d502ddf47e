"""Names in Redis: the queue and the ids arq knows jobs by, each within the deployment's namespace
(``Settings.namespace``), so deployments sharing one Redis neither take nor swallow each other's jobs.

arq keys a job by its id alone (``arq:job:<id>``, ``arq:result:<id>``): two deployments enqueueing
the same deterministic id (a nightly cron) would make the second enqueue a no-op. So the id handed
to arq carries the namespace; the id the database records (``job_record``, ``ctx["job_id"]`` in a
job) does not.
"""

from __future__ import annotations

from server.jobs.queue import (
    CHECK_LEDGER,
    EXPIRE_QUOTATIONS,
    EXPIRY_ALERTS,
    PLAN_PURCHASES,
    PURGE_IDEMPOTENCY_KEYS,
    REPLENISH,
    RESERVATIONS_OFF_EXPIRED,
    RESERVE_BEFORE_SHIP,
    SNAPSHOT_VALUATION,
    SWEEP_LOST_JOBS,
)


def queue_name(namespace: str) -> str:
    return f"storekeeper:{namespace}:queue"


def arq_job_id(namespace: str, job_id: str) -> str:
    return f"{namespace}:{job_id}"


def recorded_job_id(namespace: str, arq_id: str) -> str:
    """The id our records know a job by, from the one arq knows it by (a namespace has no ':')."""
    return arq_id.removeprefix(f"{namespace}:")


def cron_name(namespace: str, name: str) -> str:
    """The name of a cron job: arq's unique cron makes the job's id from it and the time it is due."""
    return arq_job_id(namespace, f"cron:{name}")


__all__ = [
    "CHECK_LEDGER",
    "EXPIRE_QUOTATIONS",
    "EXPIRY_ALERTS",
    "PLAN_PURCHASES",
    "PURGE_IDEMPOTENCY_KEYS",
    "REPLENISH",
    "RESERVATIONS_OFF_EXPIRED",
    "RESERVE_BEFORE_SHIP",
    "SNAPSHOT_VALUATION",
    "SWEEP_LOST_JOBS",
    "arq_job_id",
    "cron_name",
    "queue_name",
    "recorded_job_id",
]
