"""What signing in answers, and who a token belongs to."""

from __future__ import annotations

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
class Me:
    username: str
    role: str
    permissions: list[str]
