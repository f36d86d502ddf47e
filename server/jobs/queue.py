"""What the server needs of a job queue; ``workers.queue`` has the arq and in-process ones."""

from __future__ import annotations

from typing import Any, Protocol

CHECK_LEDGER = "check_ledger"
PURGE_IDEMPOTENCY_KEYS = "purge_idempotency_keys"
SWEEP_LOST_JOBS = "sweep_lost_jobs"
SNAPSHOT_VALUATION = "snapshot_valuation"
RESERVATIONS_OFF_EXPIRED = "reservations_off_expired"
EXPIRY_ALERTS = "expiry_alerts"
REPLENISH = "replenish"
PLAN_PURCHASES = "plan_purchases"
RESERVE_BEFORE_SHIP = "reserve_before_ship"
EXPIRE_QUOTATIONS = "expire_quotations"


class JobQueue(Protocol):
    async def enqueue(
        self, function: str, *, job_id: str, kwargs: dict[str, Any] | None = None, actor_id: int | None = None
    ) -> bool:
        """Queue a job once per id (recorded in the database first); True when this call queued it."""
        ...

    async def is_known(self, job_id: str) -> bool:
        """Whether the queue itself still holds the job (queued, running or just finished)."""
        ...

    async def requeue(self, job_id: str, function: str, kwargs: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...
