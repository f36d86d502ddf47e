from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Role(Model):
    """A named set of permissions. Every user has one."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    permissions: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]

    class Meta:
        table = "role"


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=150, unique=True)
    password_hash = fields.CharField(max_length=255)
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField("storekeeper.Role", related_name="users")
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Token(Model):
    """A bearer token: a session of a person or an API token of an integration. Only its hash is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("storekeeper.User", related_name="tokens")
    kind = fields.CharField(max_length=16)  # "session" | "api"
    name = fields.CharField(max_length=100, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_token"
