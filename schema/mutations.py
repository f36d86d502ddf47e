"""Mutations written once: ``mutation(permission)`` declares one, ``answer`` runs its service call.

A resolver says which permission it needs, calls one service function and says how to show the
result; an expected failure (a ``DomainError``) becomes a ``UserError`` in the payload's ``errors``
with the path of the input at fault. Anything else is a bug, and stays an exception.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from schema.errors import UserError
from schema.permissions import require
from server.auth.permissions import Permission
from server.errors import MAX_ERRORS, DomainError, ManyErrors

R = TypeVar("R")
P = TypeVar("P", bound="Payload")

IDEMPOTENCY_KEY = "A key of your choosing (a UUID) that makes retries safe: a repeat returns the first result."


@strawberry.interface(description="What every mutation answers: its result, or the errors that refused it.")
class Payload:
    errors: list[UserError] = strawberry.field(default_factory=list)


def mutation(permission: Permission | None = None, *, description: str | None = None) -> Any:
    """``@mutation(Permission.X)``: a mutation only callers holding ``X`` may run."""
    classes = [require(permission)] if permission is not None else []
    return strawberry.mutation(permission_classes=classes, description=description)


async def answer(payload: type[P], call: Callable[[], Awaitable[R]], shown: Callable[[R], P | Awaitable[P]]) -> P:
    """Run ``call`` (a function, so that building its arguments may fail as the call itself may) and
    show its result with ``shown``; a domain error becomes the payload's error."""
    try:
        result = await call()
    except DomainError as error:
        return payload(errors=[UserError.from_domain(error)])
    except ManyErrors as many:
        return payload(errors=[UserError.from_domain(error) for error in _reported(many.errors)])
    done = shown(result)
    return await done if inspect.isawaitable(done) else done


def _reported(errors: list[DomainError]) -> list[DomainError]:
    if len(errors) <= MAX_ERRORS:
        return errors
    more = len(errors) - (MAX_ERRORS - 1)
    return [*errors[: MAX_ERRORS - 1], DomainError(f"... and {more} more problems like these: fix those first.")]
