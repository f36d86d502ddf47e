"""Subscriptions over WebSocket: the graphql-transport-ws subprotocol only (the legacy one had
an auth bypass). The token comes in ``connection_init``'s payload as ``Authorization``.

A connection without a valid token is closed with 4403 at ``connection_init``. A connection
lives long and runs many operations with one context, so the token is checked again before
each operation (``RequestPolicy``) and before each subscription event, and each operation
gets its own dataloaders rather than reading through a cache as old as the connection.

What a hostile client may send is refused here, before any work: a message bigger than an HTTP
body may be (1009), a message that breaks the protocol (4400, with the reason), and more operations
than one socket, or one user over all sockets of this process, may run at once (an ``error`` for
that operation with code TOO_MANY_SUBSCRIPTIONS; the socket and its other operations go on).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncGenerator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from graphql import GraphQLError, GraphQLSyntaxError
from starlette.websockets import WebSocketDisconnected as StarletteDisconnected
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)
from strawberry.types.execution import PreExecutionError

from schema.context import Context
from schema.http import MAX_BODY_BYTES, HTTPError, principal_from
from schema.loaders import Loaders
from schema.policy import SIGN_IN_FIRST
from schema.query_cache import MAX_DOCUMENT_LENGTH
from server.errors import ErrorCode
from server.jobs.queue import JobQueue
from server.settings import Settings

MESSAGE_TOO_BIG = 1009  # RFC 6455's close code
INVALID_MESSAGE = 4400  # graphql-transport-ws's close code
CONNECTION_INIT_WAIT = timedelta(seconds=10)
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame carries at most 125 bytes, two of them the code

# Each operation of a connection runs in a task of its own, which copies the context variables:
# setting this at the start of an operation gives it (and only it) new dataloaders.
_operation_loaders: ContextVar[Loaders | None] = ContextVar("operation_loaders", default=None)


@dataclass
class ConnectionContext(Context):
    """The context shared by every operation of one WebSocket connection."""

    long_lived: ClassVar[bool] = True

    def fresh_loaders(self) -> None:
        _operation_loaders.set(Loaders())

    @property  # type: ignore[override]
    def loaders(self) -> Loaders:
        """The dataloaders of the operation running now, not of the connection (as old as it)."""
        loaders = _operation_loaders.get()
        if loaders is None:
            loaders = Loaders()
            _operation_loaders.set(loaders)
        return loaders


def malformed(message: object) -> str | None:
    """Why a client's message breaks the protocol (the close reason), or None when it does not.

    Strawberry's handler reads these fields without checking their types; a wrong one crashed the
    socket (a list for a message) or the operation (a number for a query), with a traceback.
    """
    if not isinstance(message, dict):
        return "A message must be a JSON object."
    kind = message.get("type")
    if not isinstance(kind, str):
        return "A message needs a type, a string."
    if kind not in ("subscribe", "complete"):
        return None  # Strawberry's handler refuses unknown types and a bad connection_init itself
    if not isinstance(message.get("id"), str):
        return f"A {kind} message needs an id, a string."
    if kind == "complete":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return "A subscribe message needs a payload, an object."
    if not isinstance(payload.get("query"), str):
        return "The query of a subscribe message must be a string."
    if len(payload["query"]) > MAX_DOCUMENT_LENGTH:
        return f"The query must not exceed {MAX_DOCUMENT_LENGTH} characters: send values as variables."
    for field, expected, described in (
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
        ("operationName", str, "a string"),
    ):
        if payload.get(field) is not None and not isinstance(payload[field], expected):
            return f"The {field} of a subscribe message must be {described}."
    return None


def _too_many(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.TOO_MANY_SUBSCRIPTIONS.value})


# The sockets of this process that each user has open, to cap what one user runs over all of them.
_sockets_of_user: defaultdict[int, set[TransportHandler]] = defaultdict(set)


class TransportHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, refusing malformed messages and caps exceeded.

    The caps count operations in flight, as Strawberry's own per-connection cap does: mostly
    subscriptions, since a query or mutation over a socket is gone once answered.
    """

    user_id: int | None = None

    async def handle_message(self, message: Message) -> None:
        reason = malformed(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        principal = self.context.principal
        if self.connection_acknowledged and principal is not None and self.user_id is None:
            self.user_id = principal.user_id
            _sockets_of_user[principal.user_id].add(self)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Before acknowledgement or with a duplicate id, Strawberry closes the socket: let it.
        if self.connection_acknowledged and message["id"] not in self.operations:
            refusal = self.refusal()
            if refusal is not None:
                await self.send_message({"id": message["id"], "type": "error", "payload": [refusal.formatted]})
                return
        await super().handle_subscribe(message)

    def refusal(self) -> GraphQLError | None:
        """Why one more operation may not start on this socket, or None when it may."""
        settings = self.context.settings
        if len(self.operations) >= settings.max_subscriptions_per_socket:
            return _too_many(
                f"This connection already runs {len(self.operations)} subscriptions, the most one connection may:"
                " complete one before starting another."
            )
        if self.user_id is not None:
            running = sum(len(socket.operations) for socket in _sockets_of_user[self.user_id])
            if running >= settings.max_subscriptions_per_user:
                return _too_many(
                    f"You already run {running} subscriptions over your open connections, the most one user may:"
                    " complete one before starting another."
                )
        return None

    async def _send_result_stream(self, operation: Operation[Context, None], result_source: Any) -> None:
        try:
            await super()._send_result_stream(operation, result_source)
        except GraphQLSyntaxError as error:
            # The parser cache parses in an extension hook, outside the try that turns a syntax error
            # (or too many tokens) into a pre-execution error, so it escaped: the operation ended with
            # a bare ``complete`` and a traceback. Answer it as Strawberry means to: close with 4400.
            await self._handle_pre_execution_error(operation, PreExecutionError(data=None, errors=[error]))

    async def handle_task_exception(self, error: Exception) -> None:
        # The client closed the socket (or the server did, refusing a message) while operations were
        # still answering: they have nobody to answer, which is no error of ours. Strawberry and
        # Starlette each have a class for it.
        if not isinstance(error, WebSocketDisconnected | StarletteDisconnected):
            await super().handle_task_exception(error)

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            if self.user_id is not None:
                sockets = _sockets_of_user[self.user_id]
                sockets.discard(self)
                if not sockets:
                    del _sockets_of_user[self.user_id]


class MessageTooBig(Exception):
    """A WebSocket message longer than ``MAX_BODY_BYTES``."""


def _too_big(data: str | bytes) -> bool:
    if len(data) > MAX_BODY_BYTES:
        return True
    if isinstance(data, bytes) or len(data) * 4 <= MAX_BODY_BYTES:
        return False
    # A character takes one to four bytes: encode only when the count of characters cannot tell.
    return len(data.encode(errors="surrogatepass")) > MAX_BODY_BYTES


def _fit_close_reason(reason: str) -> str:
    # The reason may repeat the client's text: it may hold lone surrogates (JSON allows "\ud800"), which
    # UTF-8 cannot carry, and be longer than a close frame holds.
    encoded = reason.encode(errors="replace")
    if len(encoded) > MAX_CLOSE_REASON_BYTES:
        encoded = encoded[: MAX_CLOSE_REASON_BYTES - 3] + b"..."
    return encoded.decode(errors="ignore")  # a character cut in two is left out


class LimitedSocket(ASGIWebSocketAdapter):
    """The ASGI socket, closed with 1009 on a message bigger than an HTTP body may be, and with close
    reasons cut to what a close frame holds.

    ``storekeeper serve`` has uvicorn refuse such messages before they are read whole (``ws_max_size``);
    this covers any other ASGI server. Strawberry's reasons repeat what the client sent (a message type,
    an operation id, a syntax error's token): too long a reason made the server fail to close at all.
    """

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        messages = super().iter_json(ignore_parsing_errors=ignore_parsing_errors)
        try:
            async for message in messages:
                yield message
        except MessageTooBig:
            await self.close(MESSAGE_TOO_BIG, f"A message must not exceed {MAX_BODY_BYTES} bytes.")
        finally:
            await messages.aclose()

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, _fit_close_reason(reason))


class SubscriptionApp(GraphQL):  # type: ignore[type-arg]
    graphql_transport_ws_handler_class = TransportHandler
    websocket_adapter_class = LimitedSocket

    def __init__(
        self, schema: Any, settings: Settings, queue: JobQueue | Callable[[], JobQueue | None] | None = None
    ) -> None:
        """``queue`` is the job queue, or a function that returns it once the app has started."""
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # TransportHandler refuses first, with a code; Strawberry's own cap is the same number.
            max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
            # A client that opens a socket and says nothing holds it this long, not a minute (4408).
            connection_init_wait_timeout=CONNECTION_INIT_WAIT,
        )
        self.settings = settings
        self.queue = queue

    def job_queue(self) -> JobQueue | None:
        queue = self.queue
        return queue() if callable(queue) else queue

    def decode_json(self, data: str | bytes) -> object:
        if _too_big(data):
            raise MessageTooBig
        try:
            return super().decode_json(data)
        except RecursionError:  # nested deeper than the parser recurses: refused as any other bad JSON
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        client = getattr(request, "client", None)  # the socket, or None when there is no peer address
        return ConnectionContext(
            settings=self.settings,
            principal=None,
            queue=self.job_queue(),
            client_address=client.host if client is not None else None,
        )

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
