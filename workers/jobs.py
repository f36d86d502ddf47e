"""Job functions: thin shells around service calls, safe to run twice."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from server import idempotency
from server.inventory import check, expiry, reservations
from server.inventory.replenishment import proposals as replenishment
from server.inventory.valuation import snapshots
from server.jobs import service as job_records
from server.mail import service as mail
from server.purchasing import planning_run
from server.sales import quotations, reserving

log = logging.getLogger(__name__)
Job = Callable[..., Coroutine[Any, Any, dict[str, Any]]]


def tracked(function: Job) -> Job:
    """Keep the job's record in the database current: running, then done or failed."""

    @functools.wraps(function)
    async def run(ctx: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        job_id = ctx.get("job_id")
        if job_id is not None:
            await job_records.mark_running(job_id)
        try:
            result = await function(ctx, **kwargs)
        except Exception as error:
            if job_id is not None:
                await job_records.mark_finished(job_id, error=f"{type(error).__name__}: {error}")
            raise
        if job_id is not None:
            await job_records.mark_finished(job_id, result=result)
        return result

    return run


@tracked
async def check_ledger(ctx: dict[str, Any]) -> dict[str, Any]:
    outcome = await check.run_and_store(job_id=ctx.get("job_id"))
    if not outcome.ok:
        log.error("ledger check %s found %d problems", outcome.id, len(outcome.problems))
    return {"ledger_check_id": outcome.id, "ok": outcome.ok}


@tracked
async def snapshot_valuation(ctx: dict[str, Any]) -> dict[str, Any]:
    """Keep the valuation at the company's lock date, so a valuation at any later date reads only the
    moves after it, however long the ledger grows. A day already kept stays as it is; no closed day,
    nothing to keep."""
    kept = await snapshots.take_snapshot()
    return {"taken_on": kept.taken_on.isoformat(), "buckets": kept.buckets} if kept else {"taken_on": None}


@tracked
async def reservations_off_expired(ctx: dict[str, Any]) -> dict[str, Any]:
    """Reservations held on lots that passed their removal date at midnight move to stock that may be
    reserved; a rerun finds nothing left to move."""
    return {"replanned": await reservations.move_reservations_off_expired()}


@tracked
async def expiry_alerts(ctx: dict[str, Any]) -> dict[str, Any]:
    """Lots reaching their alert date with stock left: raised once per lot and date, mailed together."""
    return {"raised": len(await expiry.raise_expiry_alerts())}


@tracked
async def replenish(ctx: dict[str, Any], warehouse_code: str | None = None) -> dict[str, Any]:
    """Propose refills of pick bins at or below their minimum: one draft transfer per warehouse, which a
    rerun updates in place (or cancels when nothing is left to refill)."""
    return replenishment.summary(await replenishment.replenish(warehouse_code))


@tracked
async def plan_purchases(ctx: dict[str, Any], warehouse_code: str | None = None) -> dict[str, Any]:
    """Turn reorder rules and recent demand into draft purchase orders, one per supplier, store and warehouse;
    a rerun changes only the lines it wrote that nobody has edited since."""
    return planning_run.summary(await planning_run.plan_purchases(warehouse_code))


@tracked
async def expire_quotations(ctx: dict[str, Any]) -> dict[str, Any]:
    """Expire the sent and accepted quotations whose last valid day has passed; a rerun finds none left."""
    return {"expired": await quotations.expire_due()}


@tracked
async def reserve_before_ship(ctx: dict[str, Any]) -> dict[str, Any]:
    """Reserve the sales orders whose day to reserve before their ship date has come, one order per transaction;
    a rerun finds them reserved and writes nothing."""
    return reserving.summary(await reserving.reserve_due())


@tracked
async def purge_idempotency_keys(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"purged": await idempotency.purge_expired()}


@tracked
async def deliver_mail(ctx: dict[str, Any]) -> dict[str, Any]:
    """Send the mail that is due; safe to run any time, twice at once included (messages are claimed)."""
    report = await mail.deliver_due()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}


async def sweep_lost_jobs(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"requeued": await job_records.sweep_lost(ctx["queue"])}


FUNCTIONS: dict[str, Job] = {
    "check_ledger": check_ledger,
    "purge_idempotency_keys": purge_idempotency_keys,
    "snapshot_valuation": snapshot_valuation,
    "reservations_off_expired": reservations_off_expired,
    "expiry_alerts": expiry_alerts,
    "replenish": replenish,
    "plan_purchases": plan_purchases,
    "reserve_before_ship": reserve_before_ship,
    "expire_quotations": expire_quotations,
    "sweep_lost_jobs": sweep_lost_jobs,
    mail.DELIVER_MAIL: deliver_mail,
}
