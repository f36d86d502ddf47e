"""Hardening of the API's edges: password hashing off the event loop, one login per operation and
a limit on failed logins, tokens checked again on long-lived connections, cursors, body size and
the production secret."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from argon2.exceptions import VerifyMismatchError
from starlette.requests import Request

from schema import build_schema
from schema.http import MAX_BODY_BYTES, HTTPError, read_body
from schema.policy import UNAUTHENTICATED
from schema.relay import decode_cursor, encode_cursor
from schema.websocket import ConnectionContext, SubscriptionApp
from server.auth import service as auth
from server.auth.throttle import TooManyAttempts, client_key
from server.errors import ErrorCode, Invalid
from server.settings import DEVELOPMENT_SECRET_KEY, ConfigurationError, Settings
from tests.conftest import Actor, GraphQLClient, Place, unique

PASSWORD = "correct horse battery"
LOGIN = "mutation L($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token errors { code } } }"
RECEIVE = """
mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { id } errors { code } } }"""
STOCK_SUBSCRIPTION = "subscription S($sku: String!) { stockLevels(sku: $sku) { locationCode onHand } }"


# --- argon2 off the event loop ------------------------------------------------------------------


class BlockingHasher:
    """Stands in for argon2: holds every verify until released, and records where and how many ran."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.inside = 0
        self.most_at_once = 0
        self.threads: set[int] = set()

    def verify(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.inside += 1
            self.most_at_once = max(self.most_at_once, self.inside)
            self.threads.add(threading.get_ident())
        try:
            self.release.wait(10)
        finally:
            with self.lock:
                self.inside -= 1
        raise VerifyMismatchError


async def test_password_checks_run_in_threads_two_at_a_time_while_the_loop_goes_on(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = BlockingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    logins = [asyncio.create_task(auth.login(unique("nobody"), "wrong password")) for _ in range(5)]
    try:
        for _ in range(200):  # the loop keeps running while the hashes are being checked
            if hasher.inside == 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert (hasher.inside, hasher.most_at_once) == (2, 2)
    finally:
        hasher.release.set()
        results = await asyncio.gather(*logins, return_exceptions=True)
    assert all(isinstance(r, auth.LoginFailed) for r in results), results
    assert hasher.most_at_once == 2
    assert threading.get_ident() not in hasher.threads


# --- one login per operation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        'mutation { a: login(input: {username: "%s", password: "x1"}) { token }'
        ' b: login(input: {username: "%s", password: "x2"}) { token } }',
        'mutation { login(input: {username: "%s", password: "x1"}) { token } ...More }'
        ' fragment More on Mutation { again: login(input: {username: "%s", password: "x2"}) { token } }',
        'mutation { ... on Mutation { a: login(input: {username: "%s", password: "x1"}) { token } }'
        ' ... on Mutation { b: login(input: {username: "%s", password: "x2"}) { token } } }',
    ],
    ids=["aliases", "fragment", "inline-fragments"],
)
async def test_an_operation_with_more_than_one_login_is_a_request_error(graphql: GraphQLClient, operation: str) -> None:
    username = unique("guesser").lower()
    response = await graphql.post(operation % (username, username), accept="application/graphql-response+json")
    body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body
    assert body["errors"][0]["message"] == "Only one login may be sent per operation."
    assert auth.login_throttle.failures(username, "127.0.0.1") == 0  # no password was tried


async def test_one_login_per_operation_still_works(graphql: GraphQLClient, admin: Actor) -> None:
    body = (await graphql.post(LOGIN, {"u": admin.username, "p": PASSWORD})).json()
    assert body["data"]["login"]["errors"] == [] and body["data"]["login"]["token"]


# --- failed logins per username and address -----------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        import time

        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now


async def _login(graphql: GraphQLClient, username: str, password: str, address: str = "127.0.0.1") -> dict[str, Any]:
    with graphql.calling_from(address):
        response = await graphql.post(LOGIN, {"u": username, "p": password})
    assert response.status_code == 200
    return dict(response.json()["data"]["login"])


def _code(answer: dict[str, Any]) -> str:
    return "OK" if answer["token"] else answer["errors"][0]["code"]


async def test_failed_logins_slow_that_username_from_that_address_with_growing_delays(
    graphql: GraphQLClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(auth.login_throttle, "clock", clock)
    victim = unique("victim").lower()
    await auth.create_user(victim, PASSWORD, "viewer")

    answers = [_code(await _login(graphql, victim, "guess-guess", "203.0.113.9")) for _ in range(6)]
    assert answers == ["UNAUTHENTICATED"] * 5 + ["TOO_MANY_ATTEMPTS"]
    clock.now += 1.5  # the sixth try waits 1 s after the fifth failure ...
    assert _code(await _login(graphql, victim, "guess-guess", "203.0.113.9")) == "UNAUTHENTICATED"
    clock.now += 1.5  # ... the seventh 2 s after the sixth
    assert _code(await _login(graphql, victim, "guess-guess", "203.0.113.9")) == "TOO_MANY_ATTEMPTS"
    clock.now += 1
    assert _code(await _login(graphql, victim, PASSWORD, "203.0.113.9")) == "OK"
    assert auth.login_throttle.failures(victim, "203.0.113.9") == 0  # a success starts afresh


async def test_an_attacker_elsewhere_cannot_lock_a_real_user_out(
    graphql: GraphQLClient, settings: Settings, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth.login_throttle, "clock", FakeClock())
    for _ in range(8):
        await _login(graphql, admin.username, "guess-guess", "198.51.100.66")
    assert _code(await _login(graphql, admin.username, "guess-guess", "198.51.100.66")) == "TOO_MANY_ATTEMPTS"
    assert _code(await _login(graphql, admin.username, PASSWORD, "192.0.2.10")) == "OK"


async def test_an_unknown_username_is_slowed_the_same_way(
    graphql: GraphQLClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth.login_throttle, "clock", FakeClock())
    ghost = unique("ghost").lower()
    answers = [_code(await _login(graphql, ghost, "guess-guess")) for _ in range(6)]
    assert answers == ["UNAUTHENTICATED"] * 5 + ["TOO_MANY_ATTEMPTS"]


def test_an_address_guessing_many_usernames_is_refused_until_its_window_passes() -> None:
    now = [100.0]
    throttle = auth.LoginThrottle(address_limit=10, window_seconds=60, clock=lambda: now[0])
    for n in range(10):
        throttle.begin(f"user{n}", "203.0.113.7")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.begin("user-next", "203.0.113.7")
    assert refused.value.code == ErrorCode.TOO_MANY_ATTEMPTS
    assert "60 seconds" in refused.value.message
    throttle.begin("user-next", "203.0.113.8")  # another address is not affected
    now[0] += 61
    throttle.begin("user-next", "203.0.113.7")


def test_the_same_name_counts_however_it_is_spelled_and_a_success_clears_only_its_own() -> None:
    throttle = auth.LoginThrottle(free_failures=3, clock=lambda: 100.0)
    throttle.begin("Ann", "a")
    throttle.begin("ann ", "a")
    throttle.begin("bob", "a")
    assert throttle.failures("ANN", "a") == 2
    throttle.succeeded(throttle.begin("ann", "a"))
    assert throttle.failures("ann", "a") == 0
    assert throttle.failures("bob", "a") == 1


def test_attempts_in_flight_count_so_a_burst_cannot_slip_past_the_limit() -> None:
    throttle = auth.LoginThrottle(free_failures=5, clock=lambda: 7.0)
    for _ in range(5):
        throttle.begin("target", "203.0.113.1")  # five guesses sent at once, none answered yet
    with pytest.raises(TooManyAttempts):
        throttle.begin("target", "203.0.113.1")


def test_delays_double_up_to_their_ceiling() -> None:
    throttle = auth.LoginThrottle(free_failures=5, first_delay=1, max_delay=900)
    assert [throttle.delay_after(n) for n in (4, 5, 6, 7, 14, 15, 10_000)] == [0, 1, 2, 4, 512, 900, 900]


def test_a_slow_guesser_keeps_waiting_longer_up_to_the_ceiling() -> None:
    now = [0.0]
    throttle = auth.LoginThrottle(free_failures=5, first_delay=1, max_delay=900, clock=lambda: now[0])
    waits = []
    for _ in range(20):  # each guess as soon as it is allowed
        while True:
            try:
                throttle.begin("target", "203.0.113.5")
                break
            except TooManyAttempts:
                now[0] += 1
        waits.append(throttle.delay_after(throttle.failures("target", "203.0.113.5")))
    assert waits[-1] == 900 and now[0] > 3600  # the count outlived the address window: still the ceiling
    now[0] += 3601  # an hour without a failure: forgotten
    assert throttle.failures("target", "203.0.113.5") == 0


def test_an_ipv6_client_is_counted_by_its_network() -> None:
    throttle = auth.LoginThrottle(free_failures=2, clock=lambda: 5.0)
    throttle.begin("target", "2001:db8:1:2::1")
    throttle.begin("target", "2001:db8:1:2::ffff")
    with pytest.raises(TooManyAttempts):
        throttle.begin("target", "2001:db8:1:2:abcd::9")  # the same /64
    throttle.begin("target", "2001:db8:1:3::1")  # another network
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1" and client_key(None) == "-"


def test_a_full_throttle_forgets_the_lightest_counts_first() -> None:
    now = [0.0]
    throttle = auth.LoginThrottle(max_keys=100, address_limit=10_000, clock=lambda: now[0])
    for _ in range(8):
        with contextlib.suppress(TooManyAttempts):
            throttle.begin("victim", "198.51.100.1")
        now[0] += 600
    held = throttle.failures("victim", "198.51.100.1")
    for n in range(500):  # an attacker churning through names to wash the victim's count out
        throttle.begin(f"churn{n}", "198.51.100.1")
    assert throttle.failures("victim", "198.51.100.1") == held >= 6
    assert len(throttle._streaks) <= 100


# --- long-lived connections: the token is checked again -------------------------------------------


async def _connection(settings: Settings, username: str) -> ConnectionContext:
    principal = await auth.authenticate(await auth.login(username, PASSWORD))
    assert principal is not None
    return ConnectionContext(settings=settings, principal=principal)


async def test_a_connection_runs_nothing_more_after_its_token_is_revoked(settings: Settings, admin: Actor) -> None:
    schema = build_schema()
    context = await _connection(settings, admin.username)
    assert (await schema.execute("{ me { username } }", context_value=context)).data == {
        "me": {"username": admin.username}
    }
    assert context.principal is not None
    await auth.revoke(context.principal)
    for operation in ("{ me { username } }", "mutation { logout }", "{ __typename }"):
        refused = await schema.execute(operation, context_value=context)
        assert refused.data is None
        assert refused.errors and refused.errors[0].extensions == {"code": UNAUTHENTICATED}


async def test_logout_over_a_connection_ends_it(settings: Settings, admin: Actor) -> None:
    schema = build_schema()
    context = await _connection(settings, admin.username)
    assert (await schema.execute("mutation { logout }", context_value=context)).data == {"logout": True}
    refused = await schema.execute("{ me { username } }", context_value=context)
    assert refused.errors and refused.errors[0].extensions == {"code": UNAUTHENTICATED}


async def test_an_expired_token_is_refused_even_from_the_cache(settings: Settings, admin: Actor) -> None:
    from datetime import timedelta

    from server.auth.models import Token
    from server.clock import now

    context = await _connection(settings, admin.username)
    assert context.principal is not None
    await Token.filter(token_hash=context.principal.token_hash).update(expires_at=now() - timedelta(seconds=1))
    auth._principals.pop(context.principal.token_hash, None)
    assert await auth.recheck(context.principal) is None
    # and a principal cached just before its expiry stops with it
    object.__setattr__(context.principal, "expires_at", now() - timedelta(seconds=1))
    auth._principals[context.principal.token_hash] = (float("inf"), context.principal)
    try:
        assert await auth.recheck(context.principal) is None
    finally:
        auth._principals.pop(context.principal.token_hash, None)


async def _subscribe(context: ConnectionContext, sku: str) -> AsyncIterator[Any]:
    stream = await build_schema().subscribe(STOCK_SUBSCRIPTION, variable_values={"sku": sku}, context_value=context)
    assert not isinstance(stream, Exception)
    return stream  # type: ignore[return-value]


async def test_a_subscription_ends_with_an_error_at_the_first_change_after_logout(
    graphql: GraphQLClient, settings: Settings, admin: Actor, place: Place
) -> None:
    context = await _connection(settings, admin.username)
    stream = await _subscribe(context, place.sku)
    first = await asyncio.wait_for(anext(stream), 10)
    assert first.errors is None and first.data == {"stockLevels": []}

    assert context.principal is not None
    await auth.revoke(context.principal)
    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1",
                           "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    await graphql.run(RECEIVE, variables, token=admin.token)

    ended = await asyncio.wait_for(anext(stream), 10)
    assert ended.data is None
    assert ended.errors and ended.errors[0].extensions == {"code": UNAUTHENTICATED}
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(stream), 10)


async def test_a_subscription_on_a_connection_without_a_valid_token_is_refused(
    settings: Settings, place: Place
) -> None:
    stream = await _subscribe(ConnectionContext(settings=settings, principal=None), place.sku)
    refused = await asyncio.wait_for(anext(stream), 10)
    assert refused.data is None
    assert refused.errors and refused.errors[0].extensions == {"code": UNAUTHENTICATED}


async def test_a_connection_gives_each_operation_its_own_dataloaders(settings: Settings) -> None:
    context = ConnectionContext(settings=settings, principal=None)

    async def operation() -> Any:
        context.fresh_loaders()
        return context.loaders.catalog.products

    first, second = await asyncio.gather(operation(), operation())
    assert first is not second
    assert context.loaders.catalog.products is context.loaders.catalog.products  # within one operation


async def test_the_websocket_app_hands_the_job_queue_to_its_context(settings: Settings) -> None:
    queue: Any = object()
    direct = await SubscriptionApp(build_schema(), settings, queue=queue).get_context(None, None)
    later = await SubscriptionApp(build_schema(), settings, queue=lambda: queue).get_context(None, None)
    assert direct.queue is queue and later.queue is queue
    assert isinstance(direct, ConnectionContext) and direct.long_lived


# --- cursors ---------------------------------------------------------------------------------------


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "raw",
    ["cursor:99999999999999999999", f"cursor:{2**63}", "cursor:0", "cursor:-1", "cursor:+5", "cursor: 5",
     "cursor:5_0", "cursor:\u0665", "cursor:", "cursor:" + "9" * 5000, "other:5"],
)  # fmt: skip
def test_a_cursor_outside_the_ids_a_row_can_have_is_invalid(raw: str) -> None:
    with pytest.raises(Invalid) as error:
        decode_cursor(_cursor(raw), "after")
    assert error.value.field == "after"
    assert len(error.value.message) < 120


def test_cursors_round_trip_up_to_the_largest_id() -> None:
    for item_id in (1, 42, 2**63 - 1):
        assert decode_cursor(encode_cursor(item_id), "after") == item_id


async def test_a_huge_cursor_is_a_user_error_not_an_unexpected_one(graphql: GraphQLClient, admin: Actor) -> None:
    query = "query Q($after: String) { locations(first: 1, after: $after) { edges { cursor } } }"
    body = (await graphql.post(query, {"after": _cursor("cursor:99999999999999999999")}, admin.token)).json()
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["after"]}
    for beyond in (2**31, 2**63 - 1):  # past an INTEGER id column (PostgreSQL), or past any id
        after = await graphql.run(query, {"after": encode_cursor(beyond)}, token=admin.token)
        assert after == {"locations": {"edges": []}}
        before = "query Q($before: String) { locations(last: 1, before: $before) { edges { cursor } } }"
        last = await graphql.run(before, {"before": encode_cursor(beyond)}, token=admin.token)
        newest = await graphql.run("{ locations(last: 1) { edges { cursor } } }", token=admin.token)
        assert last == newest and len(newest["locations"]["edges"]) == 1


# --- request body size -----------------------------------------------------------------------------


async def test_a_body_over_one_mebibyte_is_refused_with_413(graphql: GraphQLClient) -> None:
    declared = await graphql.http.post("/graphql", content=b" " * (MAX_BODY_BYTES + 1),
                                       headers={"content-type": "application/json"})  # fmt: skip
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(17):
            yield b" " * 65536

    streamed = await graphql.http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert "must not exceed" in streamed.json()["errors"][0]["message"]


async def test_a_body_just_under_the_limit_is_served(graphql: GraphQLClient) -> None:
    query = b'{"query": "{ __typename }", "variables": {"pad": "'
    body = query + b"x" * (MAX_BODY_BYTES - len(query) - 3) + b'"}}'
    assert len(body) == MAX_BODY_BYTES
    response = await graphql.http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_a_content_length_that_is_not_a_number_is_refused() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"1e9")]}
    with pytest.raises(HTTPError) as error:
        await read_body(Request(scope, receive))
    assert error.value.status == 400


# --- the production secret -------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET_KEY, "", "   "])
def test_production_refuses_a_missing_or_development_secret_however_settings_are_built(secret: str) -> None:
    with pytest.raises(ConfigurationError, match="STOREKEEPER_SECRET_KEY"):
        Settings(environment="production", secret_key=secret)
    with pytest.raises(ConfigurationError, match="STOREKEEPER_SECRET_KEY"):
        Settings.from_env({"STOREKEEPER_ENV": "production", "STOREKEEPER_SECRET_KEY": secret})


def test_production_runs_with_a_real_secret_and_development_with_the_default() -> None:
    with pytest.raises(ConfigurationError):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="a-real-secret").production
    assert Settings().secret_key == DEVELOPMENT_SECRET_KEY
    assert Settings.from_env({"STOREKEEPER_ENV": "production", "STOREKEEPER_SECRET_KEY": "s3cret"}).production
