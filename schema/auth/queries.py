from __future__ import annotations

import strawberry

from schema.auth.types import Me
from schema.context import Info


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Who the token belongs to.")
    def me(self, info: Info) -> Me | None:
        principal = info.context.principal
        if principal is None:
            return None
        return Me(
            username=principal.username, role=principal.role, permissions=sorted(principal.permissions),
            expires_at=principal.expires_at,
        )  # fmt: skip
