"""Before execution: a request without a valid token may only log in or ask for ``__typename``."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

PUBLIC_ROOT_FIELDS = frozenset({"login", "__typename"})
# The schema's shape is public (schema/schema.graphql is in the repository) and GraphiQL loads it
# before a token can be set; production turns introspection off altogether.
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
UNAUTHENTICATED = "UNAUTHENTICATED"


def _root_fields(operation: OperationDefinitionNode) -> Iterator[str]:
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        else:  # fragments at the root could hide anything: treat them as private
            yield "..."


class RequireToken(SchemaExtension):
    def __init__(self, *, allow_introspection: bool = True) -> None:
        self.public = PUBLIC_ROOT_FIELDS | (INTROSPECTION_FIELDS if allow_introspection else frozenset())

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.context.principal is None:
            operation = next(
                (
                    d
                    for d in context.graphql_document.definitions  # type: ignore[union-attr]
                    if isinstance(d, OperationDefinitionNode)
                    and (context.operation_name is None or (d.name and d.name.value == context.operation_name))
                ),
                None,
            )
            if operation is None or not set(_root_fields(operation)) <= self.public:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            "Sign in first: send `Authorization: Bearer <token>` (see the login mutation).",
                            extensions={"code": UNAUTHENTICATED},
                        )
                    ],
                )
        yield
