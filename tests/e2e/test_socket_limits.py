"""A hostile client against a real ``storekeeper serve``: frames bigger than an HTTP body is allowed
to be, and frames that break the graphql-transport-ws protocol, close the socket with a code and a
reason, never with a traceback, and the server goes on serving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from schema.http import MAX_BODY_BYTES
from tests.e2e.test_serving import STOCK_SUBSCRIPTION, login
from tests.live_server import LiveServer, demo_server

ME = "{ me { username } }"
MESSAGE_TOO_BIG = 1009  # RFC 6455
INVALID_MESSAGE = 4400  # graphql-transport-ws


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with demo_server(tmp_path_factory.mktemp("socket-limits")) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return login(server)


async def _connect(server: LiveServer, token: str) -> ClientConnection:
    ws = await connect(server.ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    return ws


async def _closed(ws: ClientConnection) -> tuple[int | None, str | None]:
    await asyncio.wait_for(ws.wait_closed(), 10)
    return ws.close_code, ws.close_reason


async def _still_serves(server: LiveServer, token: str) -> None:
    """The server answers its health check, and a new socket runs a query."""
    assert (await asyncio.to_thread(httpx.get, server.url + "/healthz", timeout=10)).status_code == 200
    ws = await _connect(server, token)
    try:
        await ws.send(json.dumps({"id": "me", "type": "subscribe", "payload": {"query": ME}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert answer == {"id": "me", "type": "next", "payload": {"data": {"me": {"username": "demo"}}}}
    finally:
        await ws.close()


def _log_since(server: LiveServer, offset: int) -> str:
    return server.log.read_bytes()[offset:].decode(errors="replace")


async def test_a_frame_bigger_than_a_request_body_closes_the_socket_1009(server: LiveServer, token: str) -> None:
    ws = await _connect(server, token)
    padding = "x" * (2 * 1024 * 1024)
    assert len(padding) > MAX_BODY_BYTES
    await ws.send(json.dumps({"type": "ping", "payload": {"padding": padding}}))
    code, _reason = await _closed(ws)
    assert code == MESSAGE_TOO_BIG
    await _still_serves(server, token)


@dataclass(frozen=True)
class Raw:
    """A frame sent as it is, not encoded as JSON."""

    text: str


SUBSCRIBE = {"id": "1", "type": "subscribe"}
MALFORMED = [
    pytest.param([], id="an empty array"),
    pytest.param([1], id="an array"),
    pytest.param("x", id="a string"),
    pytest.param(5, id="a number"),
    pytest.param(None, id="null"),
    pytest.param(Raw("[" * 100_000), id="nested deeper than a JSON parser recurses"),
    pytest.param({"type": 5}, id="a type not a string"),
    pytest.param({"type": "x" * 300}, id="an unknown type longer than a close reason"),
    pytest.param({"type": "\ud800"}, id="an unknown type that is not UTF-8"),
    pytest.param(SUBSCRIBE, id="subscribe without payload"),
    pytest.param({**SUBSCRIBE, "payload": 5}, id="payload a number"),
    pytest.param({**SUBSCRIBE, "payload": [ME]}, id="payload an array"),
    pytest.param({**SUBSCRIBE, "payload": {}}, id="payload without query"),
    pytest.param({**SUBSCRIBE, "payload": {"query": 5}}, id="query a number"),
    pytest.param({**SUBSCRIBE, "payload": {"query": "{"}}, id="query not GraphQL"),
    pytest.param({**SUBSCRIBE, "payload": {"query": "x" * 300}}, id="a syntax error longer than a close reason"),
    pytest.param({**SUBSCRIBE, "payload": {"query": "{ " + "me " * 3000 + "}"}}, id="more tokens than allowed"),
    pytest.param({**SUBSCRIBE, "payload": {"query": "#" + "x" * 70_000 + "\n" + ME}}, id="a document too long"),
    pytest.param({**SUBSCRIBE, "payload": {"query": ME, "variables": []}}, id="variables an array"),
    pytest.param({**SUBSCRIBE, "payload": {"query": ME, "variables": "x"}}, id="variables a string"),
    pytest.param({**SUBSCRIBE, "payload": {"query": ME, "operationName": 5}}, id="operationName a number"),
    pytest.param({**SUBSCRIBE, "payload": {"query": ME, "extensions": [1]}}, id="extensions an array"),
    pytest.param({**SUBSCRIBE, "id": 5, "payload": {"query": ME}}, id="subscribe id a number"),
    pytest.param({**SUBSCRIBE, "id": ["1"], "payload": {"query": ME}}, id="subscribe id an array"),
    pytest.param({"id": {"a": 1}, "type": "complete"}, id="complete id an object"),
]


@pytest.mark.parametrize("frame", MALFORMED)
async def test_a_malformed_message_closes_the_socket_4400_without_a_traceback(
    server: LiveServer, token: str, frame: Any
) -> None:
    ws = await _connect(server, token)
    logged = server.log.stat().st_size
    await ws.send(frame.text if isinstance(frame, Raw) else json.dumps(frame))
    code, reason = await _closed(ws)
    await _still_serves(server, token)

    assert code == INVALID_MESSAGE and reason, (code, reason)
    log = _log_since(server, logged)
    assert "Traceback" not in log and "Exception" not in log, log


async def test_a_second_subscribe_under_a_running_id_closes_the_socket_4409_however_long_the_id(
    server: LiveServer, token: str
) -> None:
    ws = await _connect(server, token)
    logged = server.log.stat().st_size
    subscribe = {"id": "i" * 300, "type": "subscribe",
                 "payload": {"query": STOCK_SUBSCRIPTION, "variables": {"sku": "MUG-WHITE"}}}  # fmt: skip
    await ws.send(json.dumps(subscribe))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "next"
    await ws.send(json.dumps(subscribe))
    code, reason = await _closed(ws)
    await _still_serves(server, token)

    assert code == 4409 and reason, (code, reason)
    log = _log_since(server, logged)
    assert "Traceback" not in log and "Exception" not in log, log


async def test_a_client_gone_mid_body_or_mid_operation_leaves_no_traceback(server: LiveServer, token: str) -> None:
    logged = server.log.stat().st_size
    host, port = server.url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"q'
    )
    await writer.drain()
    writer.close()  # ten bytes of a thousand, then gone
    await writer.wait_closed()

    levels = {"query": STOCK_SUBSCRIPTION, "variables": {"sku": "MUG-WHITE"}}
    for _ in range(10):
        ws = await _connect(server, token)
        for n in range(5):  # operations still answering when the socket is closed under them
            await ws.send(json.dumps({"id": f"s{n}", "type": "subscribe", "payload": levels}))
        # The server closes this socket (4400) while the queries sent right after it are answering.
        await ws.send(json.dumps({"id": "bad", "type": "subscribe", "payload": {"query": "{"}}))
        for n in range(19):
            await ws.send(json.dumps({"id": f"q{n}", "type": "subscribe", "payload": {"query": ME}}))
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
    await asyncio.sleep(0.5)  # what the server logs about it, it logs right away
    async with httpx.AsyncClient() as client:
        assert (await client.get(server.url + "/healthz", timeout=5)).status_code == 200
    log = _log_since(server, logged)
    assert "Traceback" not in log and "Exception" not in log, log
