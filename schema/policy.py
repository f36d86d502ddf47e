"""What every request must respect: token, alias and depth limits, one ``login`` per operation,
introspection off in production, no data without a valid token (only ``login`` and
``__typename``), and a cost limit (schema/cost.py) checked before anything executes.

``RequestPolicy`` does it all for the schema's one extension (schema/extension.py), with its validation
rules built once per process: rules built per request are new classes every time, so the validation
cache would never hit.

A WebSocket connection authenticates once, at ``connection_init``, and then runs operations for
as long as it stays open: its token is checked again before each of them, so a logout (or an
expiry) ends what the socket may do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
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
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule, ValidationContext
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType as ExecutionType

from schema.cost import operation_cost
from server.auth.service import recheck
from server.errors import ErrorCode
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


class _FoldFragmentsOnce:
    """Folds selection sets into one number (a depth, an alias count), each named fragment once.

    Strawberry's own depth and alias limiters walk a fragment again at every spread: a fragment
    spreading another twice, which spreads another twice, and so on, held them for minutes with
    a 1.5 kB document. Two frames per level of nesting: graphql-core refuses documents nested
    more than 200 levels (through fragments too) before the rules below look at them.
    """

    def __init__(self, context: ValidationContext) -> None:
        self.context = context
        self.fragments: dict[str, int] = {}

    def field(self, node: FieldNode) -> int:
        raise NotImplementedError

    def combine(self, total: int, value: int) -> int:
        raise NotImplementedError

    def fold(self, selection_set: SelectionSetNode) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total = self.combine(total, self.field(selection))
            elif isinstance(selection, InlineFragmentNode):
                total = self.combine(total, self.fold(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                total = self.combine(total, self.fragment(selection.name.value))
        return total

    def fragment(self, name: str) -> int:
        if name not in self.fragments:
            self.fragments[name] = 0  # a cycle is reported by NoFragmentCycles
            fragment = self.context.get_fragment(name)
            self.fragments[name] = self.fold(fragment.selection_set) if fragment is not None else 0
        return self.fragments[name]


class _Depth(_FoldFragmentsOnce):
    def field(self, node: FieldNode) -> int:
        # Introspection fields do not count, as with Strawberry's limiter: GraphiQL's query is deep.
        if node.selection_set is None or node.name.value.startswith("__"):
            return 0
        return 1 + self.fold(node.selection_set)

    def combine(self, total: int, value: int) -> int:
        return max(total, value)


class _Aliases(_FoldFragmentsOnce):
    def field(self, node: FieldNode) -> int:
        return (node.alias is not None) + (self.fold(node.selection_set) if node.selection_set else 0)

    def combine(self, total: int, value: int) -> int:
        return total + value


def max_depth_rule(max_depth: int) -> type[ASTValidationRule]:
    """Fields nested more than ``max_depth`` deep (fragments expanded) are refused."""

    class MaxDepth(ASTValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            if _Depth(self.context).fold(node.selection_set) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node))
            return self.SKIP

    return MaxDepth


def max_aliases_rule(max_aliases: int) -> type[ASTValidationRule]:
    """More than ``max_aliases`` aliases in a document (counted at every spread of a fragment) are refused."""

    class MaxAliases(ASTValidationRule):
        def leave_document(self, node: DocumentNode, *_args: Any) -> Any:
            # On leaving: graphql-core has refused too deep a nesting of fragments by then.
            count = _Aliases(self.context)
            total = sum(count.fold(d.selection_set) for d in node.definitions if isinstance(d, OperationDefinitionNode))
            if total > max_aliases:
                self.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return MaxAliases


@dataclass(frozen=True)
class Policy:
    max_tokens: int
    rules: tuple[type[ASTValidationRule], ...]
    public_fields: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        rules = (
            max_aliases_rule(settings.max_aliases),
            max_depth_rule(settings.max_query_depth),
            OneLoginPerOperation,
        )
        if settings.production:
            return cls(settings.max_tokens, (*rules, NoSchemaIntrospectionCustomRule), PUBLIC_ROOT_FIELDS)
        return cls(settings.max_tokens, rules, PUBLIC_ROOT_FIELDS | INTROSPECTION_FIELDS)


def _operation_count(document: DocumentNode) -> int:
    return sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)


def unauthenticated(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": UNAUTHENTICATED})


def too_complex(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"This operation costs {cost:,}, more than the limit of {limit:,}: ask for smaller pages (first),"
        " fewer nested lists or fewer fields. Each field counts once per item of the lists around it.",
        extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value},
    )


# What each user's live subscriptions cost together, in this process. Every change runs each of
# them again, so together they may cost no more than one operation may.
_live_subscription_cost: defaultdict[int, int] = defaultdict(int)


class RequestPolicy:
    """The policy applied to one operation: ``begin`` when it starts, ``check`` before it executes, ``end``
    when it is over (for a subscription, when it ends)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._held: tuple[int, int] | None = None  # (user, cost) of a live subscription

    def begin(self, context: ExecutionContext) -> None:
        self.execution_context = context
        context.parse_options["max_tokens"] = self.policy.max_tokens
        context.validation_rules = context.validation_rules + self.policy.rules
        fresh_loaders = getattr(context.context, "fresh_loaders", None)
        if fresh_loaders is not None:  # a connection's context: new dataloaders for each operation
            fresh_loaders()

    def end(self) -> None:
        if self._held is not None:
            user, cost = self._held
            _live_subscription_cost[user] -= cost
            if _live_subscription_cost[user] <= 0:
                del _live_subscription_cost[user]

    async def check(self) -> None:
        context = self.execution_context
        refusal = await self._refusal() or self._too_costly()
        if refusal is not None:
            if context.operation_type is ExecutionType.SUBSCRIPTION:
                # Strawberry's subscription path does not look at ``context.result``: fail instead.
                raise refusal
            context.result = ExecutionResult(data=None, errors=[refusal])

    async def _refusal(self) -> GraphQLError | None:
        context = self.execution_context
        # Strawberry falls back to the first operation's name; the spec calls a missing name a request error.
        named = context._provided_operation_name is not None  # type: ignore[attr-defined]
        if not named and _operation_count(context.graphql_document) > 1:  # type: ignore[arg-type]
            return GraphQLError("The document holds several operations: name the one to run (operationName).")
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

    def _too_costly(self) -> GraphQLError | None:
        """Refuse what would cost more than the limit, before a resolver runs. The limit and the
        page size come from the request's settings: the same the resolvers page with."""
        context = self.execution_context
        settings: Settings = context.context.settings
        cost = operation_cost(
            context.schema._schema,
            context.graphql_document,  # type: ignore[arg-type]
            context.operation_name,
            context.variables,
            max_page_size=settings.max_page_size,
        )
        if cost is None:
            return None
        if cost.total > settings.max_query_cost:
            return too_complex(cost.total, settings.max_query_cost)
        principal = context.context.principal
        if context.operation_type is ExecutionType.SUBSCRIPTION and principal is not None:
            live = _live_subscription_cost[principal.user_id]
            if live + cost.total > settings.max_query_cost:
                return GraphQLError(
                    f"This subscription costs {cost.total:,} at every change, and your open subscriptions already"
                    f" {live:,}: together more than the limit of {settings.max_query_cost:,}. End one, or ask less.",
                    extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value},
                )
            _live_subscription_cost[principal.user_id] = live + cost.total
            self._held = (principal.user_id, cost.total)
        return None
