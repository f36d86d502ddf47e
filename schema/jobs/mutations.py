from __future__ import annotations

import strawberry

from schema.context import Info
from schema.jobs.types import JobPayload, RunLedgerCheckInput
from schema.mutations import answer, mutation
from server.auth.permissions import Permission
from server.jobs import service as jobs


@strawberry.type
class JobsMutation:
    @mutation(
        Permission.JOBS_RUN, description="Check the ledger now (in the background); see ledgerChecks for the outcome."
    )
    async def run_ledger_check(self, info: Info, input: RunLedgerCheckInput) -> JobPayload:
        queue = info.context.queue
        if queue is None:
            raise RuntimeError("no job queue in this context")
        return await answer(
            JobPayload,
            lambda: jobs.request_ledger_check(queue, input.idempotency_key, actor_id=info.context.user_id),
            lambda queued: JobPayload(job_id=queued[0], enqueued=queued[1]),
        )
