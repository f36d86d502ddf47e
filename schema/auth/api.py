from __future__ import annotations

import strawberry

from schema.context import Info
from schema.errors import UserError
from server.auth import service
from server.errors import DomainError


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(default=None, description="Send as `Authorization: Bearer <token>`.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Me:
    username: str
    role: str
    permissions: list[str]


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Who the token belongs to.")
    def me(self, info: Info) -> Me | None:
        principal = info.context.principal
        if principal is None:
            return None
        return Me(username=principal.username, role=principal.role, permissions=sorted(principal.permissions))


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Exchange a username and password for a session token.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        try:
            token = await service.login(input.username, input.password, address=info.context.client_address)
        except DomainError as error:
            return LoginPayload(errors=[UserError.from_domain(error)])
        return LoginPayload(token=token)

    @strawberry.mutation(description="End this token's session; other replicas notice within seconds.")
    async def logout(self, info: Info) -> bool:
        if info.context.principal is None:
            return False
        await service.revoke(info.context.principal)
        info.context.principal = None  # over WebSocket the context outlives this operation
        return True
