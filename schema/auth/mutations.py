from __future__ import annotations

import strawberry

from schema.auth.types import LoginInput, LoginPayload
from schema.context import Info
from schema.mutations import answer, mutation
from server.auth import service


@strawberry.type
class AuthMutation:
    @mutation(description="Exchange a username and password for a session token.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        return await answer(
            LoginPayload,
            lambda: service.login(input.username, input.password, address=info.context.client_address),
            lambda token: LoginPayload(token=token),
        )

    @strawberry.mutation(description="End this token's session; other replicas notice within seconds.")
    async def logout(self, info: Info) -> bool:
        if info.context.principal is None:
            return False
        await service.revoke(info.context.principal)
        info.context.principal = None  # over WebSocket the context outlives this operation
        return True
