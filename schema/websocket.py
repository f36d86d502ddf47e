"""Subscriptions over WebSocket: the graphql-transport-ws subprotocol only (the legacy one had
an auth bypass). The token comes in ``connection_init``'s payload as ``Authorization``."""

from __future__ import annotations

from typing import Any

from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from schema.context import Context
from schema.http import HTTPError, principal_from
from server.settings import Settings


class SubscriptionApp(GraphQL):  # type: ignore[type-arg]
    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        self.settings = settings

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        return Context(settings=self.settings, principal=None)

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        try:
            context.principal = await principal_from(authorization if isinstance(authorization, str) else None)
        except HTTPError as error:
            raise ConnectionRejectionError({"message": error.message}) from None
        return await super().on_ws_connect(context)
