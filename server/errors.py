"""Expected failures of a service call: a stable code, the input field at fault, a message.

They are small data carriers; the GraphQL layer turns them into ``UserError``s.
"""

from __future__ import annotations

from enum import StrEnum

Field = str | tuple[str | int, ...]  # an input's name, or its path: ("lines", 3, "quantity")


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
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    STALE = "STALE"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    PERIOD_LOCKED = "PERIOD_LOCKED"
    SERIAL_IN_STOCK = "SERIAL_IN_STOCK"
    NOT_SELLABLE = "NOT_SELLABLE"
    CAPACITY_EXCEEDED = "CAPACITY_EXCEEDED"
    MIXING_REFUSED = "MIXING_REFUSED"
    SAME_COUNTER = "SAME_COUNTER"  # a recount by someone who counted the bin
    OVER_RECEIPT = "OVER_RECEIPT"  # more received than an order line and its supplier's tolerance allow
    OVER_RETURN = "OVER_RETURN"  # more back than a receipt line brought or a sales line shipped, less earlier returns
    CLAIMED = "CLAIMED"  # a pick list another picker has claimed


class DomainError(Exception):
    """``field``: the input at fault, as the API names it: ``"quantity"``, ``"scan.device"``, or a
    path such as ``("lines", 3, "quantity")``."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: str, *, field: Field | None = None, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def at(self, field: Field) -> DomainError:
        """The same error, placed at another input (a line of a document, say)."""
        self.field = field
        return self

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


# A document of 2,000 lines may have as many problems; a client needs the first ones and the count.
MAX_ERRORS = 50


class ManyErrors(Exception):
    """Several expected failures found at once (every short line of a document): all are reported."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Invalid(DomainError):
    code = ErrorCode.INVALID


class AlreadyExists(DomainError):
    code = ErrorCode.ALREADY_EXISTS


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
