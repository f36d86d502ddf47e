from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission

from schema.policy import TOKEN_ENDED, unauthenticated
from server.auth.permissions import Permission
from server.auth.service import recheck
from server.errors import ErrorCode


def require(permission: Permission) -> type[BasePermission]:
    """A permission class for fields that need ``permission``."""

    class Required(BasePermission):
        message = f"You need the {permission.value} permission."
        error_extensions = {"code": ErrorCode.FORBIDDEN.value}

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            principal = info.context.principal
            return principal is not None and principal.can(permission)

    Required.__name__ = f"Requires_{permission.name}"
    return Required


def require_any(*permissions: Permission) -> type[BasePermission]:
    """A permission class for fields that need one of ``permissions``."""

    class RequiredAny(BasePermission):
        message = f"You need one of the permissions {', '.join(p.value for p in permissions)}."
        error_extensions = {"code": ErrorCode.FORBIDDEN.value}

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            principal = info.context.principal
            return principal is not None and any(principal.can(permission) for permission in permissions)

    RequiredAny.__name__ = "Requires_any_" + "_".join(p.name for p in permissions)
    return RequiredAny


async def still_allowed(info: Any, permission: Permission) -> None:
    """A subscription outlives the check made when it started: before each event, check the
    token again (logged out, revoked, expired?) and that its role still grants ``permission``."""
    principal = info.context.principal
    current = await recheck(principal) if principal is not None else None
    info.context.principal = current
    if current is None:
        raise unauthenticated(TOKEN_ENDED)
    if not current.can(permission):
        message = f"You need the {permission.value} permission."
        raise GraphQLError(message, extensions={"code": ErrorCode.FORBIDDEN.value})
