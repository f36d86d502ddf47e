"""WebSocket connections against a real ``storekeeper serve``: no connection without a token, and
a token that ends (logout) ends what an open connection may do."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.test_serving import RECEIVE, STOCK_SUBSCRIPTION, graphql, login, receive
from tests.live_server import LiveServer, demo_server

ME = "{ me { username } }"
BIN_STOCK = '{ stockLevels(locationCode: "WH1-B-01") { edges { node { product { sku } onHand } } } }'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with demo_server(tmp_path_factory.mktemp("ws-auth")) as live:
        yield live


async def _open(server: LiveServer, payload: dict[str, Any] | None) -> ClientConnection:
    ws = await connect(server.ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    message: dict[str, Any] = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    await ws.send(json.dumps(message))
    return ws


async def _connect(server: LiveServer, token: str) -> ClientConnection:
    ws = await _open(server, {"Authorization": f"Bearer {token}"})
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def _send(ws: ClientConnection, query: str, variables: dict[str, Any] | None = None) -> str:
    operation_id = uuid.uuid4().hex
    await ws.send(json.dumps({"id": operation_id, "type": "subscribe",
                              "payload": {"query": query, "variables": variables or {}}}))  # fmt: skip
    return operation_id


async def _messages(ws: ClientConnection, operation_id: str) -> list[dict[str, Any]]:
    """Every message of one operation up to its end (``complete`` or ``error``)."""
    messages = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message.get("id") == operation_id, message
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


async def _run(ws: ClientConnection, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one result of a query or mutation sent over the socket."""
    first, *rest = await _messages(ws, await _send(ws, query, variables))
    assert first["type"] == "next" and [m["type"] for m in rest] == ["complete"], [first, *rest]
    return dict(first["payload"])


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in payload.get("errors", [])]


@pytest.mark.parametrize(
    "payload", [None, {}, {"Authorization": ""}, {"Authorization": 42}, {"Authorization": "Bearer "}]
)
async def test_a_connection_without_a_token_is_closed_4403(server: LiveServer, payload: dict[str, Any] | None) -> None:
    ws = await _open(server, payload)
    await asyncio.wait_for(ws.wait_closed(), 10)
    assert ws.close_code == 4403


async def test_after_logout_an_open_socket_runs_nothing_more(server: LiveServer) -> None:
    token = await asyncio.to_thread(login, server)
    ws = await _connect(server, token)
    try:
        assert await _run(ws, ME) == {"data": {"me": {"username": "demo"}}}
        assert await asyncio.to_thread(graphql, server, "mutation { logout }", None, token) == {"logout": True}

        refused = await _run(ws, ME)
        assert refused.get("data") is None and _codes(refused) == ["UNAUTHENTICATED"]
        variables = {"input": {"sku": "MUG-WHITE", "locationCode": "WH1-B-01", "quantity": "5",
                               "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
        mutation = await _run(ws, RECEIVE, variables)
        assert mutation.get("data") is None and _codes(mutation) == ["UNAUTHENTICATED"]
        subscription = await _messages(ws, await _send(ws, STOCK_SUBSCRIPTION, {"sku": "MUG-WHITE"}))
        assert [m["type"] for m in subscription] == ["next", "complete"], subscription
        assert _codes(subscription[0]["payload"]) == ["UNAUTHENTICATED"]
    finally:
        await ws.close()
    fresh = await asyncio.to_thread(login, server)
    levels = (await asyncio.to_thread(graphql, server, BIN_STOCK, None, fresh))["stockLevels"]["edges"]
    mugs = [e["node"]["onHand"] for e in levels if e["node"]["product"]["sku"] == "MUG-WHITE"]
    assert mugs == ["40.0000"]  # the refused mutation wrote nothing


async def test_after_logout_an_open_subscription_ends_with_an_error_at_the_next_change(server: LiveServer) -> None:
    token, other = await asyncio.to_thread(login, server), await asyncio.to_thread(login, server)
    ws = await _connect(server, token)
    try:
        operation_id = await _send(ws, STOCK_SUBSCRIPTION, {"sku": "TSHIRT-RED-M"})
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["payload"]["data"]["stockLevels"] == [{"locationCode": "WH1-A-01", "onHand": "24.0000"}]

        assert await asyncio.to_thread(graphql, server, "mutation { logout }", None, token) == {"logout": True}
        await asyncio.to_thread(receive, server, other, "TSHIRT-RED-M", "WH1-A-01", "1")

        ended = await _messages(ws, operation_id)
        assert [m["type"] for m in ended] == ["next", "complete"], ended
        assert ended[0]["payload"].get("data") is None and _codes(ended[0]["payload"]) == ["UNAUTHENTICATED"]
    finally:
        await ws.close()


async def test_a_mutation_over_the_socket_can_enqueue_a_job(server: LiveServer) -> None:
    """Needs ``SubscriptionApp(schema, settings, queue=lambda: endpoint.queue)`` in server/app.py."""
    ws = await _connect(server, await asyncio.to_thread(login, server))
    try:
        run = "mutation R($k: String!) { runLedgerCheck(input: {idempotencyKey: $k}) { enqueued errors { code } } }"
        result = await _run(ws, run, {"k": str(uuid.uuid4())})
    finally:
        await ws.close()
    assert result == {"data": {"runLedgerCheck": {"enqueued": True, "errors": []}}}
