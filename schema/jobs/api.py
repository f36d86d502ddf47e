from __future__ import annotations

import strawberry

from schema.context import Info
from schema.errors import UserError
from schema.permissions import require
from server.auth.permissions import Permission
from server.errors import DomainError
from server.jobs import service as jobs


@strawberry.input
class RunLedgerCheckInput:
    idempotency_key: str = strawberry.field(description="The same key enqueues the check once.")


@strawberry.type
class JobPayload:
    job_id: str | None = None
    enqueued: bool = strawberry.field(default=False, description="False when this key had already queued the job.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class JobsMutation:
    @strawberry.mutation(
        permission_classes=[require(Permission.JOBS_RUN)],
        description="Check the ledger now (in the background); see ledgerChecks for the outcome.",
    )
    async def run_ledger_check(self, info: Info, input: RunLedgerCheckInput) -> JobPayload:
        if info.context.queue is None:
            raise RuntimeError("no job queue in this context")
        try:
            job_id, enqueued = await jobs.request_ledger_check(
                info.context.queue, input.idempotency_key, actor_id=info.context.user_id
            )
        except DomainError as error:
            return JobPayload(errors=[UserError.from_domain(error)])
        return JobPayload(job_id=job_id, enqueued=enqueued)
