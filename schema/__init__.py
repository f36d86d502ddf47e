"""The GraphQL graph: types, queries, mutations and subscriptions over the server's services."""

from __future__ import annotations

import functools
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from schema.auth.api import AuthMutation, AuthQuery
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.guard import RequireToken
from schema.inventory.mutations import InventoryMutation
from schema.inventory.queries import InventoryQuery
from schema.inventory.subscriptions import InventorySubscription
from schema.jobs.api import JobsMutation
from schema.scalars import SCALARS
from server.settings import get_settings


@strawberry.type
class Query(AuthQuery, CatalogQuery, InventoryQuery):
    node: strawberry.relay.Node | None = strawberry.relay.node()


@strawberry.type
class Mutation(AuthMutation, CatalogMutation, InventoryMutation, JobsMutation):
    pass


@strawberry.type
class Subscription(InventorySubscription):
    pass


def _is_bug(error: GraphQLError) -> bool:
    """Mask exceptions from our code; keep GraphQL's own errors and permission messages."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | PermissionError)


class _Nothing(SchemaExtension):
    """Stands in for an extension that the current settings leave out."""


def _when_production(extension: Callable[[], SchemaExtension]) -> Callable[[], SchemaExtension]:
    return lambda: extension() if get_settings().production else _Nothing()


@functools.cache
def build_schema() -> strawberry.Schema:
    """The one schema of this process (Strawberry's relay fields cannot be built into two).

    Extensions are factories, made per request from the current settings; the parser and
    validation caches are shared by all requests.
    """
    extensions: list = [  # type: ignore[type-arg]
        lambda: RequireToken(allow_introspection=not get_settings().production),
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: MaxTokensLimiter(max_token_count=get_settings().max_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=get_settings().max_aliases),
        lambda: QueryDepthLimiter(max_depth=get_settings().max_query_depth),
        _when_production(DisableIntrospection),
        _when_production(lambda: MaskErrors(should_mask_error=_is_bug)),
    ]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
