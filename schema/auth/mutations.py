from __future__ import annotations

import strawberry

from schema.auth.types import LoginInput, LoginPayload, RenewSessionPayload
from schema.context import Info
from schema.errors import ErrorCode, UserError
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

    @mutation(description="A new session token for this one, before it expires (the handheld renews its own).")
    async def renew_session(self, info: Info) -> RenewSessionPayload:
        principal = info.context.principal
        if principal is None:
            return RenewSessionPayload(errors=[UserError(field=None, code=ErrorCode.UNAUTHENTICATED,
                                                         message="Sign in first.")])  # fmt: skip
        return await answer(
            RenewSessionPayload,
            lambda: service.renew(principal),
            lambda renewed: RenewSessionPayload(token=renewed[0], expires_at=renewed[1]),
        )

    @strawberry.mutation(description="End this token's session; other replicas notice within seconds.")
    async def logout(self, info: Info) -> bool:
        if info.context.principal is None:
            return False
        await service.revoke(info.context.principal)
        info.context.principal = None  # over WebSocket the context outlives this operation
        return True
