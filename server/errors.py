"""Expected failures of a service call: a stable code, the input field at fault, a message.

They are small data carriers; the GraphQL layer turns them into ``UserError``s.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    LOT_EXPIRED = "LOT_EXPIRED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"


class DomainError(Exception):
    """``field``: the input at fault, as the API names it: ``"quantity"``, ``"scan.device"``, or a
    path such as ``("lines", 3, "quantity")``."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(
        self, message: str, *, field: str | tuple[str | int, ...] | None = None, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    @property
    def path(self) -> list[str]:
        """The path to the input at fault, each step a string (GraphQL's own paths say "3" for an index)."""
        if self.field is None:
            return []
        steps = self.field.split(".") if isinstance(self.field, str) else self.field
        return [str(step) for step in steps]

    @property
    def extensions(self) -> dict[str, object]:
        """Where one escapes as a GraphQL error (in a query, say), clients still get the code and the path."""
        return {"code": self.code.value, **({"field": self.path} if self.field else {})}


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Invalid(DomainError):
    code = ErrorCode.INVALID


class AlreadyExists(DomainError):
    code = ErrorCode.ALREADY_EXISTS


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
