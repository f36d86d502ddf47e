"""The real programs: ``storekeeper serve``, ``worker`` and ``check-ledger`` as an operator runs them."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import skip_or_fail
from tests.live_server import LiveServer, load_demo, run_storekeeper, serving, sqlite_env

LOGIN = 'mutation { login(input: {username: "demo", password: "demo-password"}) { token } }'
RECEIVE = """
mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { id } errors { code } } }"""
STOCK_SUBSCRIPTION = "subscription S($sku: String!) { stockLevels(sku: $sku) { locationCode onHand } }"


def redis_url() -> str:
    url = os.environ.get("STOREKEEPER_TEST_REDIS_URL")
    if not url:
        skip_or_fail("STOREKEEPER_TEST_REDIS_URL is not set")
    assert url is not None
    return url


def graphql(server: LiveServer, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(server.url + "/graphql", json={"query": query, "variables": variables or {}},
                          headers=headers, timeout=10)  # fmt: skip
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def login(server: LiveServer) -> str:
    return str(graphql(server, LOGIN)["login"]["token"])


def receive(server: LiveServer, token: str, sku: str, bin_code: str, quantity: str) -> None:
    variables = {"input": {"sku": sku, "locationCode": bin_code, "quantity": quantity,
                           "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    assert graphql(server, RECEIVE, variables, token)["receiveStock"]["errors"] == []


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[tuple[Path, dict[str, str]]]:
    env = sqlite_env(tmp_path)
    load_demo(env, tmp_path)
    yield tmp_path, env


def test_a_first_start_migrates_loads_the_demo_once_and_serves(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    with serving(env, tmp_path, "--migrate", "--demo") as server:
        assert "demo user: demo / password: demo-password" in server.log.read_text()
        token = login(server)
        products = graphql(server, "{ products(first: 50) { edges { node { sku } } } }", token=token)
        documents = graphql(server, "{ documents(first: 50) { edges { node { state number reverses { number } } } } }",
                            token=token)["documents"]["edges"]  # fmt: skip
        states = {edge["node"]["state"] for edge in documents}  # the notebooks' purchase order is half received
        assert states == {"draft", "confirmed", "done", "cancelled", "partially_received"}
        assert any(edge["node"]["reverses"] for edge in documents)  # a reversal, pointing back
    with serving(env, tmp_path, "--migrate", "--demo") as again:
        assert "demo data already present" in again.log.read_text()
        assert graphql(again, "{ products(first: 50) { edges { node { sku } } } }", token=login(again)) == products
    assert len(products["products"]["edges"]) == 5


def test_check_ledger_exits_1_and_says_what_is_wrong(demo: tuple[Path, dict[str, str]]) -> None:
    workdir, env = demo
    assert run_storekeeper(["check-ledger"], env, workdir).returncode == 0
    with sqlite3.connect(workdir / "storekeeper.sqlite3") as db:
        db.execute("UPDATE quant SET on_hand = '99.0000' WHERE id = (SELECT MIN(id) FROM quant)")
    done = run_storekeeper(["check-ledger"], env, workdir, check=False)
    assert done.returncode == 1
    assert "quant says 99.0000, moves say 24.0000" in done.stderr
    assert "ledger WRONG" in done.stdout


async def _subscribe(server: LiveServer, token: str, sku: str) -> ClientConnection:
    ws = await connect(server.ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": STOCK_SUBSCRIPTION, "variables": {"sku": sku}}}))  # fmt: skip
    return ws


async def _next_levels(ws: ClientConnection) -> list[dict[str, str]]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    return list(message["payload"]["data"]["stockLevels"])


async def test_a_subscriber_sees_stock_change(demo: tuple[Path, dict[str, str]]) -> None:
    workdir, env = demo
    with serving(env, workdir) as server:
        token = login(server)
        ws = await _subscribe(server, token, "MUG-WHITE")
        try:
            assert await _next_levels(ws) == [{"locationCode": "WH1-B-01", "onHand": "40.0000"}]
            await asyncio.to_thread(receive, server, token, "MUG-WHITE", "WH1-B-01", "2")
            assert await _next_levels(ws) == [{"locationCode": "WH1-B-01", "onHand": "42.0000"}]
        finally:
            await ws.close()


async def test_subscriptions_refuse_a_bad_token_and_the_legacy_protocol(demo: tuple[Path, dict[str, str]]) -> None:
    workdir, env = demo
    with serving(env, workdir) as server:
        ws = await connect(server.ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}))
        await asyncio.wait_for(ws.wait_closed(), 10)
        assert ws.close_code == 4403
        legacy = await connect(server.ws_url, subprotocols=["graphql-ws"])  # type: ignore[list-item]
        await asyncio.wait_for(legacy.wait_closed(), 10)
        assert legacy.close_code == 4406


async def test_subscriptions_fan_out_across_servers_through_redis(demo: tuple[Path, dict[str, str]]) -> None:
    workdir, env = demo
    env = {**env, "STOREKEEPER_REDIS_URL": redis_url()}
    with serving(env, workdir) as watched, serving(env, workdir) as written:
        token = login(watched)
        ws = await _subscribe(watched, token, "TSHIRT-BLU-L")
        try:
            assert await _next_levels(ws) == [{"locationCode": "WH1-A-02", "onHand": "12.0000"}]
            await asyncio.to_thread(receive, written, token, "TSHIRT-BLU-L", "WH1-A-02", "3")
            assert await _next_levels(ws) == [{"locationCode": "WH1-A-02", "onHand": "15.0000"}]
        finally:
            await ws.close()


def test_a_worker_process_runs_the_ledger_check_asked_for_over_the_api(demo: tuple[Path, dict[str, str]]) -> None:
    workdir, env = demo
    env = {**env, "STOREKEEPER_REDIS_URL": redis_url()}
    key = str(uuid.uuid4())
    with serving(env, workdir) as server:
        token = login(server)
        run = (
            "mutation R($k: String!) { runLedgerCheck(input: {idempotencyKey: $k}) { jobId enqueued errors { code } } }"
        )
        first = graphql(server, run, {"k": key}, token)["runLedgerCheck"]
        second = graphql(server, run, {"k": key}, token)["runLedgerCheck"]
        assert (first["enqueued"], second["enqueued"], first["errors"]) == (True, False, [])

        run_storekeeper(["worker", "--burst"], env, workdir)

        checks = graphql(server, "{ ledgerChecks(last: 5) { edges { node { ok problems quantsChecked } } } }",
                         token=token)["ledgerChecks"]["edges"]  # fmt: skip
    # the demo's five stocked (product, bin, lot)
    assert [edge["node"] for edge in checks] == [{"ok": True, "problems": [], "quantsChecked": 5}]


def test_production_hides_graphiql_and_introspection(demo: tuple[Path, dict[str, str]]) -> None:
    workdir, env = demo
    env = {**env, "STOREKEEPER_ENV": "production", "STOREKEEPER_SECRET_KEY": "s3cret-for-the-test"}
    with serving(env, workdir) as server:
        page = httpx.get(server.url + "/graphql", headers={"accept": "text/html"}, timeout=10)
        assert page.status_code == 404
        token = login(server)
        response = httpx.post(server.url + "/graphql", json={"query": "{ __schema { types { name } } }"},
                              headers={"authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
        assert "introspection" in response.json()["errors"][0]["message"].lower()
        unknown = '{ stockLevels(locationCode: "NOWHERE") { edges { cursor } } }'
        expected = httpx.post(server.url + "/graphql", json={"query": unknown},
                              headers={"authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
        error = expected.json()["errors"][0]  # an expected failure is not masked as a bug
        assert (error["message"], error["extensions"]["code"]) == ("There is no location 'NOWHERE'.", "NOT_FOUND")


def test_behind_a_trusted_proxy_logins_are_throttled_per_client_not_per_proxy(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    load_demo(env, tmp_path)
    guess = 'mutation { login(input: {username: "demo", password: "wrong-guess"}) { token errors { code } } }'
    with serving(env, tmp_path, "--forwarded-allow-ips", "127.0.0.1") as server:

        def login_from(client: str, query: str = guess) -> str:
            headers = {"x-forwarded-for": client}
            body = httpx.post(server.url + "/graphql", json={"query": query}, headers=headers, timeout=10).json()
            return "OK" if body["data"]["login"]["token"] else body["data"]["login"]["errors"][0]["code"]

        answers = [login_from("203.0.113.10") for _ in range(6)]
        assert answers == ["UNAUTHENTICATED"] * 5 + ["TOO_MANY_ATTEMPTS"]
        assert login_from("198.51.100.20", LOGIN.replace("{ token }", "{ token errors { code } }")) == "OK"
