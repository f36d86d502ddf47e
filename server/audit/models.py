from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User


class AuditEntry(Model):
    """Who changed what, when: written in the transaction of the change it records."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="audit_entries", null=True
    )
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=32)
    object_id = fields.CharField(max_length=64)
    data: dict = fields.JSONField(default=dict)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_entry"
        indexes = (("object_type", "object_id"),)
