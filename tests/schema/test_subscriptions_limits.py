"""What one socket, and one user over all their sockets, may run at once; and messages too big to read.

The sockets talk to the WebSocket app in this event loop, as an ASGI server would hand it a client.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from typing import Any

import pytest
from starlette.websockets import WebSocket

from schema import build_schema
from schema.http import MAX_BODY_BYTES
from schema.websocket import SubscriptionApp
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place

STOCK_SUBSCRIPTION = "subscription S($sku: String!) { stockLevels(sku: $sku) { locationCode onHand } }"
RECEIVE = """
mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { id } errors { code } } }"""
WAIT = 10


class SocketClosed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class Socket:
    """A graphql-transport-ws client of an ASGI app, in this event loop (so it shares the test's database)."""

    def __init__(self, app: Any, client: tuple[str, int] = ("192.0.2.7", 50000)) -> None:
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
            "path": "/graphql", "raw_path": b"/graphql", "root_path": "", "query_string": b"",
            "headers": [(b"host", b"storekeeper.test"), (b"sec-websocket-protocol", b"graphql-transport-ws")],
            "subprotocols": ["graphql-transport-ws"], "client": client, "server": ("storekeeper.test", 80),
        }  # fmt: skip
        self._to_app.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self._to_app.get, self._from_app.put))

    async def open(self, token: str) -> Socket:
        accepted = await asyncio.wait_for(self._from_app.get(), WAIT)
        assert accepted["type"] == "websocket.accept", accepted
        await self.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert (await self.receive())["type"] == "connection_ack"
        return self

    async def send(self, message: Any) -> None:
        await self.send_text(json.dumps(message))

    async def send_text(self, text: str) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": text})

    async def receive(self) -> dict[str, Any]:
        event = await asyncio.wait_for(self._from_app.get(), WAIT)
        if event["type"] == "websocket.close":
            raise SocketClosed(event.get("code", 1000), event.get("reason", ""))
        assert event["type"] == "websocket.send", event
        return dict(json.loads(event.get("text") or event["bytes"]))

    def pending(self) -> int:
        """Messages the app has sent that the test has not read."""
        return self._from_app.qsize()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation_id = uuid.uuid4().hex
        await self.send({"id": operation_id, "type": "subscribe", "payload": {"query": query, "variables": variables}})
        return operation_id

    async def complete(self, operation_id: str) -> None:
        await self.send({"id": operation_id, "type": "complete"})

    async def close(self) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, WAIT)


async def levels_of(socket: Socket, operation_ids: set[str]) -> dict[str, Any]:
    """The next stock levels each of these subscriptions sends, by operation id."""
    received: dict[str, Any] = {}
    while set(received) != operation_ids:
        message = await socket.receive()
        assert message["type"] == "next" and message["id"] in operation_ids - set(received), message
        received[message["id"]] = message["payload"]["data"]["stockLevels"]
    return received


async def receive_stock(graphql: GraphQLClient, actor: Actor, place: Place, quantity: str) -> None:
    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": quantity,
                           "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    assert (await graphql.run(RECEIVE, variables, token=actor.token))["receiveStock"]["errors"] == []


def _limited(settings: Settings, *, per_socket: int, per_user: int = 100) -> SubscriptionApp:
    limited = dataclasses.replace(
        settings, max_subscriptions_per_socket=per_socket, max_subscriptions_per_user=per_user
    )
    return SubscriptionApp(build_schema(), limited)


def _too_many(message: dict[str, Any], operation_id: str) -> str:
    """The refusal's message, once checked to be an ``error`` for that operation with the right code."""
    assert message["type"] == "error" and message["id"] == operation_id, message
    [error] = message["payload"]
    assert error["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS"}, error
    return str(error["message"])


async def test_a_socket_runs_at_most_its_cap_and_a_refused_subscribe_frees_nothing(
    graphql: GraphQLClient, settings: Settings, admin: Actor, place: Place
) -> None:
    socket = await Socket(_limited(settings, per_socket=3)).open(admin.token)
    try:
        running = {await socket.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku}) for _ in range(3)}
        assert list((await levels_of(socket, running)).values()) == [[]] * 3  # nothing in stock yet
        refused = await socket.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku})
        message = _too_many(await socket.receive(), refused)
        assert "This connection already runs 3 subscriptions" in message

        await receive_stock(graphql, admin, place, "2")  # the three still run
        after = await levels_of(socket, running)
        assert list(after.values()) == [[{"locationCode": place.bin_a, "onHand": "2.0000"}]] * 3

        first = sorted(running)[0]
        await socket.complete(first)
        again = await socket.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku})
        assert await levels_of(socket, {again}) == {again: [{"locationCode": place.bin_a, "onHand": "2.0000"}]}
    finally:
        await socket.close()


async def test_a_user_runs_at_most_their_cap_over_all_their_sockets(
    graphql: GraphQLClient, settings: Settings, admin: Actor, viewer: Actor, place: Place
) -> None:
    app = _limited(settings, per_socket=3, per_user=5)
    first, second = await Socket(app).open(admin.token), await Socket(app).open(admin.token)
    other = await Socket(app).open(viewer.token)
    try:
        await levels_of(first, {await first.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku}) for _ in range(3)})
        await levels_of(second, {await second.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku}) for _ in range(2)})

        refused = await second.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku})
        assert "You already run 5 subscriptions" in _too_many(await second.receive(), refused)
        # another user is not held back by this one
        await levels_of(other, {await other.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku}) for _ in range(3)})

        await first.close()  # a closed socket gives its share back
        await levels_of(second, {await second.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku})})
    finally:
        for socket in (first, second, other):
            if not socket.task.done():
                await socket.close()


async def test_a_message_bigger_than_a_request_body_closes_the_socket_1009(settings: Settings, admin: Actor) -> None:
    """Under any ASGI server, not only ``storekeeper serve`` (whose uvicorn refuses the frame first)."""
    socket = await Socket(SubscriptionApp(build_schema(), settings)).open(admin.token)
    # Characters of three bytes: fewer characters than the limit, more bytes.
    await socket.send_text(
        json.dumps({"type": "ping", "payload": {"p": "€" * (MAX_BODY_BYTES // 2)}}, ensure_ascii=False)
    )
    with pytest.raises(SocketClosed) as closed:
        await socket.receive()  # not a pong
    assert closed.value.code == 1009 and str(MAX_BODY_BYTES) in closed.value.reason
    await asyncio.wait_for(socket.task, WAIT)


async def test_a_socket_context_knows_the_client_address(settings: Settings) -> None:
    """So a login sent over a socket is throttled by address like one over HTTP."""
    scope = {"type": "websocket", "path": "/graphql", "headers": [], "client": ("198.51.100.4", 4711)}
    websocket = WebSocket(scope, receive=None, send=None)  # type: ignore[arg-type]
    context = await SubscriptionApp(build_schema(), settings).get_context(websocket, websocket)
    assert context.client_address == "198.51.100.4"
