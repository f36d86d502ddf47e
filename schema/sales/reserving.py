"""Reserving before the ship date on demand: the daily job (server/sales/reserving.py) run now."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.jobs.types import JobPayload
from schema.mutations import answer
from schema.permissions import require_any
from server.auth.permissions import Permission
from server.sales import reserving


@strawberry.input
class RunSalesReservationsInput:
    idempotency_key: str = strawberry.field(description="The same key enqueues the run once.")


@strawberry.type
class SalesReservingMutation:
    @strawberry.mutation(
        permission_classes=[require_any(Permission.JOBS_RUN, Permission.SALES_MANAGE)],
        description="Reserve now (in the background) every confirmed order reserved before its ship date whose day"
        " has come, as the daily job does: one order at a time; a rerun changes nothing.",
    )
    async def run_sales_reservations(self, info: Info, input: RunSalesReservationsInput) -> JobPayload:
        queue = info.context.queue
        if queue is None:
            raise RuntimeError("no job queue in this context")
        return await answer(
            JobPayload,
            lambda: reserving.request_reserving(queue, input.idempotency_key, actor_id=info.context.user_id),
            lambda queued: JobPayload(job_id=queued[0], enqueued=queued[1]),
        )
