"""Expected failures as a client sees them: in a mutation's payload, a ``UserError`` with the path
of the input at fault; in a query, a GraphQL error carrying the same ``code``."""

from __future__ import annotations

import strawberry

from server import errors

ErrorCode = strawberry.enum(errors.ErrorCode, name="ErrorCode", description="Why a request was refused; stable.")


@strawberry.type(description="An expected failure: bad input, missing data, a rule that refused the change.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='The path to the input at fault, e.g. ["input", "lines", "3", "quantity"]; null when none is.'
    )
    code: ErrorCode
    message: str

    @classmethod
    def from_domain(cls, error: errors.DomainError) -> UserError:
        path = error.path
        return cls(field=["input", *path] if path else None, code=ErrorCode(error.code), message=error.message)
