from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from server.auth.permissions import Permission
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
