from __future__ import annotations

import strawberry

from schema.mutations import Payload


@strawberry.input
class RunLedgerCheckInput:
    idempotency_key: str = strawberry.field(description="The same key enqueues the check once.")


@strawberry.type
class JobPayload(Payload):
    job_id: str | None = None
    enqueued: bool = strawberry.field(default=False, description="False when this key had already queued the job.")
