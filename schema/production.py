"""What production answers leave out: the text of bugs (masked as "Unexpected error.") and
GraphQL's "Did you mean ...?" hints, which name fields, arguments and enum values to anyone who
probes, token or not. Expected failures (domain errors, permissions, GraphQL's own request
errors) keep their message and code.

Decided per request from the context's settings, so one schema serves both modes.
"""

from __future__ import annotations

import re

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from server.errors import DomainError

_SUGGESTION = re.compile(r"\s*Did you mean\b.*$", re.DOTALL)


# How Strawberry reports a request that names no operation it can run (an unknown operationName,
# say): the client's mistake, which its message explains, not a bug.
_EXPECTED = (GraphQLError, PermissionError, DomainError, CannotGetOperationTypeError, InvalidOperationTypeError,
             MissingQueryError)  # fmt: skip


def is_bug(error: GraphQLError) -> bool:
    """Exceptions from our code; not GraphQL's own errors nor expected (domain) failures."""
    original = error.original_error
    return original is not None and not isinstance(original, _EXPECTED)


def without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
        original_error=error.original_error, extensions=error.extensions,
    )  # fmt: skip


class ProductionErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_bug)

    def _production(self) -> bool:
        settings = getattr(self.execution_context.context, "settings", None)
        return bool(getattr(settings, "production", False))

    def _process_result(self, result: object) -> None:
        # Most answers carry no errors: skip MaskErrors' isinstance against a runtime-checkable
        # Protocol, which walks the protocol's members on every call (a few percent of a request).
        if getattr(result, "errors", None):
            super()._process_result(result)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        if not self._production():
            return errors
        return [without_suggestion(error) for error in super()._process_errors(errors)]
