"""Every argument of every query, mutation and subscription, sent generated strings, numbers and
dates (hypothesis): the graph answers with data, UserErrors, an expected error with its code, or a
request error, and never with an unexpected one. The ledger stays balanced throughout.

The operations are built from the schema itself, so a field added later is fuzzed without a word
here. STOREKEEPER_FUZZ_EXAMPLES raises the number of examples per field (default 25).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import string
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema import build_schema
from schema.production import is_bug
from schema.websocket import ConnectionContext
from server.auth import service as auth
from server.auth.service import authenticate
from server.auth.throttle import LoginThrottle
from server.errors import ErrorCode
from server.inventory.check import check_ledger
from server.settings import Settings
from tests.conftest import PASSWORD, Actor, GraphQLClient, Place
from workers.queue import InProcessQueue

EXAMPLES = int(os.environ.get("STOREKEEPER_FUZZ_EXAMPLES", "20"))
MASKED = "Unexpected error."
KNOWN_CODES = frozenset(code.value for code in ErrorCode)
GRAPHQL_SCHEMA = build_schema()._schema

# Strings a hostile client tries first, beside whatever hypothesis makes up.
NASTY = [
    "", " ", "\x00", "A\x00B", "\u200b", "MUG\u202eETIHW", "\ufeffX", "\x1d", "\t\n", "'; DROP TABLE product; --",
    "%", "_", "\\", "\U0001f600", "\uff2d\uff35\uff27", "\u0664\u0660\u0660\u0666", "x" * 65, "y" * 300, "z" * 5000,
    "VIRTUAL/SUPPLIER", "null", "0", "-1", "1e400", "NaN", "Infinity", "2030-W01-1", "20300101", "2030-02-30",
    "9999-12-31", "0000-01-01",
]  # fmt: skip
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
    st.text(string.ascii_uppercase + string.digits + "-./", min_size=1, max_size=70),
)
NUMBERS = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), st.just(2**31))
NODE_IDS = st.builds(
    lambda kind, key: base64.b64encode(f"{kind}:{key}".encode()).decode(),
    st.sampled_from(["Product", "Location", "Warehouse", "Lot", "StockLevel", "StockMove", "Scan", "Nope"]),
    st.one_of(st.integers(-5, 2**64).map(str), TEXT),
)


def _scalar(type_: GraphQLScalarType, known: list[str]) -> st.SearchStrategy[Any]:
    strings = st.one_of(TEXT, st.sampled_from(known))
    if type_.name == "Int":
        return st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(0, 200), NUMBERS)
    if type_.name == "Boolean":
        return st.one_of(st.booleans(), st.just("true"))
    if type_.name == "Decimal":
        decimals = st.decimals(allow_nan=True, allow_infinity=True).map(str)
        return st.one_of(decimals, NUMBERS, strings, st.sampled_from(["1", "0.5", "1_000", "1.23456", "-2"]))
    if type_.name in ("Date", "DateTime"):
        return st.one_of(st.dates().map(str), strings, NUMBERS)
    if type_.name == "ID":
        return st.one_of(NODE_IDS, strings)
    return strings  # String


def values(type_: GraphQLType, known: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for a GraphQL input type: mostly well-formed, often not."""
    if isinstance(type_, GraphQLNonNull):
        return values(type_.of_type, known, depth)
    nullable = st.none()
    if isinstance(type_, GraphQLList):
        return st.one_of(nullable, st.lists(values(type_.of_type, known, depth + 1), max_size=25))
    if isinstance(type_, GraphQLEnumType):
        return st.one_of(st.sampled_from(list(type_.values)), TEXT)
    if isinstance(type_, GraphQLInputObjectType):
        required = {n: values(f.type, known, depth + 1) for n, f in type_.fields.items() if _required(f.type)}
        optional = {n: values(f.type, known, depth + 1) for n, f in type_.fields.items() if not _required(f.type)}
        return st.fixed_dictionaries(required, optional=optional)
    assert isinstance(type_, GraphQLScalarType)
    return st.one_of(nullable, _scalar(type_, known))


def _required(type_: GraphQLType) -> bool:
    return isinstance(type_, GraphQLNonNull) and not isinstance(type_.of_type, GraphQLList)


def selection(type_: GraphQLType) -> str:
    """What to ask of a result: its scalars, its errors, or a connection's cursors."""
    named: GraphQLNamedType = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return " { __typename }" if not isinstance(named, GraphQLScalarType | GraphQLEnumType) else ""
    fields = named.fields
    if "edges" in fields:
        return " { edges { cursor } pageInfo { hasNextPage } }"
    picked = [n for n, f in fields.items() if not f.args and isinstance(get_named_type(f.type), GraphQLScalarType)]
    if "errors" in fields:
        picked.append("errors { field code message }")
    return " { __typename " + " ".join(picked) + " }"


def operation(kind: str, name: str, field: GraphQLField) -> str:
    declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    head = f"{kind} Fuzz({declared})" if declared else f"{kind} Fuzz"
    return f"{head} {{ {name}{f'({passed})' if passed else ''}{selection(field.type)} }}"


def root_fields(kind: str) -> list[tuple[str, str, GraphQLField]]:
    root = {"query": GRAPHQL_SCHEMA.query_type, "mutation": GRAPHQL_SCHEMA.mutation_type,
            "subscription": GRAPHQL_SCHEMA.subscription_type}[kind]  # fmt: skip
    assert root is not None
    return [(kind, name, field) for name, field in root.fields.items()]


FIELDS = root_fields("query") + root_fields("mutation")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples in every run: CI stays reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def bugs(errors: list[GraphQLError] | None) -> list[GraphQLError]:
    """Errors raised by our code that are no expected failure (as production would mask them)."""
    return [error for error in errors or [] if is_bug(error)]


def unexpected(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Bugs, as a production server answers them: masked, or raised while resolving without a code of ours."""
    return [
        error for error in body.get("errors", [])
        if error.get("message") == MASKED
        or (error.get("path") and (error.get("extensions") or {}).get("code") not in KNOWN_CODES)
    ]  # fmt: skip


@pytest.fixture(scope="module")
async def production(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """The API as production serves it: bugs masked (whatever their path), so none can hide."""
    from server.app import create_app

    app = create_app(dataclasses.replace(settings, environment="production", secret_key="fuzz-secret-not-default"))
    app.state.graphql.queue = queue = InProcessQueue()  # the transport below does not run the lifespan
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storekeeper.test") as http:
        yield GraphQLClient(http, queue, transport)
    await queue.close()


@pytest.fixture
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fuzzed logins must not slow the rest of the suite's logins."""
    monkeypatch.setattr(auth, "login_throttle", LoginThrottle())


@pytest.mark.parametrize(("kind", "name", "field"), FIELDS, ids=[f"{kind}.{name}" for kind, name, _ in FIELDS])
@FUZZ
@given(data=st.data())
async def test_every_argument_takes_hostile_values_without_an_unexpected_error(
    production: GraphQLClient, admin: Actor, place: Place, fresh_throttle: None,
    kind: str, name: str, field: GraphQLField, data: st.DataObject,
) -> None:  # fmt: skip
    known = [place.sku, place.lot_sku, place.bin_a, place.bin_b, place.warehouse, "1", "2030-01-31"]
    variables = {arg: data.draw(values(spec.type, known), label=arg) for arg, spec in field.args.items()}
    token: str | None = admin.token
    if name == "login":
        token = data.draw(st.sampled_from([admin.token, None]), label="token")
    elif name in ("logout", "renewSession"):  # they end the session they are sent with: not the suite's
        token = await auth.login(admin.username, PASSWORD)
    response = await production.post(operation(kind, name, field), variables, token)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert not unexpected(body), body


@pytest.mark.parametrize(("kind", "name", "field"), root_fields("subscription"))
@FUZZ
@given(data=st.data())
async def test_every_subscription_argument_takes_hostile_values(
    settings: Settings, admin: Actor, place: Place, kind: str, name: str, field: GraphQLField, data: st.DataObject
) -> None:
    known = [place.sku, place.lot_sku]
    variables = {arg: data.draw(values(spec.type, known), label=arg) for arg, spec in field.args.items()}
    context = ConnectionContext(settings=settings, principal=await authenticate(admin.token))
    stream = await build_schema().subscribe(operation(kind, name, field), variable_values=variables,
                                            context_value=context)  # fmt: skip
    if not hasattr(stream, "__anext__"):  # refused before it started: a request error
        assert not bugs(stream.errors)
        return
    try:
        first = await asyncio.wait_for(anext(stream), 10)
        assert not bugs(first.errors), first.errors
    finally:
        await stream.aclose()


# --- one hostile value at a time, everything else right ---------------------------------------------

SWEEP = ["", "\x00", "A\x00B", "\u200b", "X\u202eY", "x" * 65, "y" * 300, "z" * 70_000, "\uff2d\uff35\uff27",
         "\u0663", "1e3", "NaN", "-1", "20300101", "2030-02-30", 2**31, 1.5, True, [], {}]  # fmt: skip


def _baseline(name: str, type_: GraphQLType, place: Place) -> Any:
    """A value that passes for the argument ``name``, so a sweep reaches the one it spoils."""
    if isinstance(type_, GraphQLNonNull):
        return _baseline(name, type_.of_type, place)
    if isinstance(type_, GraphQLList):
        return []
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {n: _baseline(n, f.type, place) for n, f in type_.fields.items() if _required(f.type)}
    by_name = {"sku": place.sku, "locationCode": place.bin_a, "fromLocationCode": place.bin_a,
               "toLocationCode": place.bin_b, "warehouseCode": place.warehouse, "quantity": "1",
               "countedQuantity": "1", "idempotencyKey": "fuzz-key", "id": "UHJvZHVjdDox", "first": 5}  # fmt: skip
    return by_name.get(name, "FUZZ-VALUE")


def _leaves(type_: GraphQLType, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every path to a value the caller types in, optional ones included."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType):
        return [leaf for n, f in named.fields.items() for leaf in _leaves(f.type, (*path, n))]
    return [path]


def _with(variables: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    if len(path) == 1:
        return {**variables, path[0]: value}
    inner = variables.get(path[0])
    return {**variables, path[0]: _with(inner if isinstance(inner, dict) else {}, path[1:], value)}


@pytest.mark.parametrize(("kind", "name", "field"), FIELDS, ids=[f"{kind}.{name}" for kind, name, _ in FIELDS])
async def test_each_argument_alone_takes_every_hostile_value(
    production: GraphQLClient,
    admin: Actor,
    place: Place,
    fresh_throttle: None,
    kind: str,
    name: str,
    field: GraphQLField,
) -> None:
    baseline = {arg: _baseline(arg, spec.type, place) for arg, spec in field.args.items()}
    query = operation(kind, name, field)
    for arg, spec in field.args.items():
        for path in _leaves(spec.type, (arg,)):
            for value in SWEEP:
                variables = _with(baseline, path, value)
                own_session = name in ("logout", "renewSession")
                token = await auth.login(admin.username, PASSWORD) if own_session else admin.token
                response = await production.post(query, variables, None if name == "login" else token)
                assert response.status_code in (200, 400), (path, value, response.text[:500])
                assert not unexpected(response.json()), (path, repr(value)[:80], response.text[:1000])
    report = await check_ledger()  # whatever was written, the ledger still balances
    assert report.ok, report.problems


@pytest.mark.parametrize(("kind", "name", "field"), root_fields("subscription"))
async def test_each_subscription_argument_alone_takes_every_hostile_value(
    settings: Settings, admin: Actor, place: Place, kind: str, name: str, field: GraphQLField
) -> None:
    baseline = {arg: _baseline(arg, spec.type, place) for arg, spec in field.args.items()}
    context = ConnectionContext(settings=settings, principal=await authenticate(admin.token))
    for arg, spec in field.args.items():
        for path in _leaves(spec.type, (arg,)):
            for value in SWEEP:
                stream = await build_schema().subscribe(operation(kind, name, field),
                                                        variable_values=_with(baseline, path, value),
                                                        context_value=context)  # fmt: skip
                if not hasattr(stream, "__anext__"):
                    assert not bugs(stream.errors)
                    continue
                try:
                    first = await asyncio.wait_for(anext(stream), 10)
                    assert not bugs(first.errors), (value, first.errors)
                finally:
                    await stream.aclose()
