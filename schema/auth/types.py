"""What signing in answers, and who a token belongs to."""

from __future__ import annotations

import datetime

import strawberry

from schema.mutations import Payload


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.type
class LoginPayload(Payload):
    token: str | None = strawberry.field(default=None, description="Send as `Authorization: Bearer <token>`.")


@strawberry.type
class RenewSessionPayload(Payload):
    token: str | None = strawberry.field(default=None, description="The new token; the old one ends in 2 minutes.")
    expires_at: datetime.datetime | None = None


@strawberry.type
class Me:
    username: str
    role: str
    permissions: list[str]
    expires_at: datetime.datetime | None = strawberry.field(
        default=None, description="When this token stops working (null: an API token, until revoked)."
    )
