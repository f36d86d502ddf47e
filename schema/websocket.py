"""Subscriptions over WebSocket: the graphql-transport-ws subprotocol only (the legacy one had
an auth bypass). The token comes in ``connection_init``'s payload as ``Authorization``.

A connection without a valid token is closed with 4403 at ``connection_init``. A connection
lives long and runs many operations with one context, so the token is checked again before
each operation (``RequestPolicy``) and before each subscription event, and each operation
gets its own dataloaders rather than reading through a cache as old as the connection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from schema.context import Context
from schema.http import HTTPError, principal_from
from schema.policy import SIGN_IN_FIRST
from server.jobs.queue import JobQueue
from server.settings import Settings

# Each operation of a connection runs in a task of its own, which copies the context variables:
# setting this at the start of an operation gives it (and only it) new dataloaders.
_operation_loaders: ContextVar[dict[str, Any] | None] = ContextVar("operation_loaders", default=None)


@dataclass
class ConnectionContext(Context):
    """The context shared by every operation of one WebSocket connection."""

    long_lived: ClassVar[bool] = True

    def fresh_loaders(self) -> None:
        _operation_loaders.set({})

    def loader(self, name: str, factory: Any) -> Any:
        loaders = _operation_loaders.get()
        if loaders is None:
            return super().loader(name, factory)
        if name not in loaders:
            loaders[name] = factory()
        return loaders[name]


class SubscriptionApp(GraphQL):  # type: ignore[type-arg]
    def __init__(
        self, schema: Any, settings: Settings, queue: JobQueue | Callable[[], JobQueue | None] | None = None
    ) -> None:
        """``queue`` is the job queue, or a function that returns it once the app has started."""
        super().__init__(schema, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))
        self.settings = settings
        self.queue = queue

    def job_queue(self) -> JobQueue | None:
        queue = self.queue
        return queue() if callable(queue) else queue

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        return ConnectionContext(settings=self.settings, principal=None, queue=self.job_queue())

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if not isinstance(authorization, str) or not authorization.strip():
            raise ConnectionRejectionError({"message": SIGN_IN_FIRST})
        try:
            context.principal = await principal_from(authorization)
        except HTTPError as error:
            raise ConnectionRejectionError({"message": error.message}) from None
        return await super().on_ws_connect(context)
