from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    """The first result of a write sent with this key, kept so that a retry replays it."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=255)
    # Keys are scoped by user as Stripe scopes them by account; 0 for the system (a NULL in a
    # unique key would let duplicates in on PostgreSQL).
    user_id = fields.IntField(default=0)
    operation = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    response: dict | None = fields.JSONField(null=True)  # type: ignore[assignment]
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("user_id", "key"),)
