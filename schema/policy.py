"""What every request must respect: token, alias and depth limits, one ``login`` per operation,
introspection off in production, and no data without a valid token (only ``login`` and
``__typename``).

One extension does it all, with its validation rules built once per process: rules built per
request are new classes every time, so the validation cache would never hit.

A WebSocket connection authenticates once, at ``connection_init``, and then runs operations for
as long as it stays open: its token is checked again before each of them, so a logout (or an
expiry) ends what the socket may do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.types.graphql import OperationType as ExecutionType

from server.auth.service import recheck
from server.settings import Settings

PUBLIC_ROOT_FIELDS = frozenset({"login", "__typename"})
# The schema's shape is public (schema/schema.graphql is in the repository) and GraphiQL loads it
# before a token can be set; production turns introspection off altogether.
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
UNAUTHENTICATED = "UNAUTHENTICATED"
SIGN_IN_FIRST = "Sign in first: send `Authorization: Bearer <token>` (see the login mutation)."
TOKEN_ENDED = "The token of this connection is no longer valid (logged out, revoked or expired): sign in again."


def _root_fields(operation: OperationDefinitionNode) -> Iterator[str]:
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        else:  # fragments at the root could hide anything: treat them as private
            yield "..."


class OneLoginPerOperation(ASTValidationRule):
    """Each ``login`` checks a password (argon2, slow on purpose): aliasing it many times in one
    operation would try many passwords and hold the hasher for seconds, so only one is allowed."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
        if node.operation == OperationType.MUTATION:
            logins = sum(1 for name in self._root_names(node.selection_set, set()) if name == "login")
            if logins > 1:
                self.report_error(GraphQLError("Only one login may be sent per operation.", node))
        return self.SKIP

    def _root_names(self, selection_set: SelectionSetNode, seen: set[str]) -> Iterator[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                yield from self._root_names(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)  # a cycle is reported by NoFragmentCycles
                fragment = self.context.get_fragment(selection.name.value)
                if fragment is not None:
                    yield from self._root_names(fragment.selection_set, seen)


@dataclass(frozen=True)
class Policy:
    max_tokens: int
    rules: tuple[type[ASTValidationRule], ...]
    public_fields: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        rules = (
            max_aliases_rule(settings.max_aliases),
            max_depth_rule(settings.max_query_depth, None, None),
            OneLoginPerOperation,
        )
        if settings.production:
            return cls(settings.max_tokens, (*rules, NoSchemaIntrospectionCustomRule), PUBLIC_ROOT_FIELDS)
        return cls(settings.max_tokens, rules, PUBLIC_ROOT_FIELDS | INTROSPECTION_FIELDS)


def unauthenticated(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": UNAUTHENTICATED})


class RequestPolicy(SchemaExtension):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.policy.max_tokens
        context.validation_rules = context.validation_rules + self.policy.rules
        fresh_loaders = getattr(context.context, "fresh_loaders", None)
        if fresh_loaders is not None:  # a connection's context: new dataloaders for each operation
            fresh_loaders()
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        refusal = await self._refusal()
        if refusal is not None:
            if context.operation_type is ExecutionType.SUBSCRIPTION:
                # Strawberry's subscription path does not look at ``context.result``: fail instead.
                raise refusal
            context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    async def _refusal(self) -> GraphQLError | None:
        context = self.execution_context
        request = context.context
        if getattr(request, "long_lived", False):
            if request.principal is not None:
                request.principal = await recheck(request.principal)
            return unauthenticated(TOKEN_ENDED) if request.principal is None else None
        if request.principal is not None:
            return None
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
            return unauthenticated(SIGN_IN_FIRST)
        return None
