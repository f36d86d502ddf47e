"""What every request must respect: token, alias and depth limits, introspection off in
production, and no data without a valid token (only ``login`` and ``__typename``).

One extension does it all, with its validation rules built once per process: rules built per
request are new classes every time, so the validation cache would never hit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule

from server.settings import Settings

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


@dataclass(frozen=True)
class Policy:
    max_tokens: int
    rules: tuple[type[ASTValidationRule], ...]
    public_fields: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        rules = (max_aliases_rule(settings.max_aliases), max_depth_rule(settings.max_query_depth, None, None))
        if settings.production:
            return cls(settings.max_tokens, (*rules, NoSchemaIntrospectionCustomRule), PUBLIC_ROOT_FIELDS)
        return cls(settings.max_tokens, rules, PUBLIC_ROOT_FIELDS | INTROSPECTION_FIELDS)


class RequestPolicy(SchemaExtension):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.policy.max_tokens
        context.validation_rules = context.validation_rules + self.policy.rules
        yield

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
            if operation is None or not set(_root_fields(operation)) <= self.policy.public_fields:
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
