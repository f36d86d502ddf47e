"""The GraphQL graph: types, queries, mutations and subscriptions over the server's services."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
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
from server.settings import Settings


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


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list = [  # type: ignore[type-arg]
        RequireToken(allow_introspection=not settings.production),
        ParserCache(maxsize=1024),
        ValidationCache(maxsize=1024),
        MaxTokensLimiter(max_token_count=settings.max_tokens),
        MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        QueryDepthLimiter(max_depth=settings.max_query_depth),
    ]
    if settings.production:
        extensions += [DisableIntrospection(), MaskErrors(should_mask_error=_is_bug)]
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(),
    )


def export_sdl() -> str:
    return build_schema(Settings()).as_str() + "\n"
