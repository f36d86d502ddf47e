from __future__ import annotations

import strawberry

from server.errors import DomainError


@strawberry.type(description="An expected failure: bad input, missing data, a rule that refused the change.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if any.")
    code: str = strawberry.field(description="Stable: NOT_FOUND, INVALID, INSUFFICIENT_STOCK, ...")
    message: str

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(field=error.field, code=error.code.value, message=error.message)
