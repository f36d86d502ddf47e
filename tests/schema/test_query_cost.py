"""The query cost limit, and lists that are paged or capped so that the cost can count them."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import uuid
from decimal import Decimal
from typing import Any

import httpx
from graphql import (
    GraphQLSchema,
    get_introspection_query,
    get_nullable_type,
    is_interface_type,
    is_list_type,
    is_object_type,
    parse,
)

from handheld.logic.resolution import SCAN as HANDHELD_SCAN
from handheld.logic.scan import STOCK as HANDHELD_STOCK
from handheld.logic.session import LOGIN as HANDHELD_LOGIN
from schema import build_schema
from schema.cost import CONNECTION_LISTS, LIST_CAPS, declared_cap, is_connection, operation_cost
from schema.websocket import ConnectionContext
from server.auth import service as auth
from server.errors import MAX_ERRORS
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, SQLLog, unique
from workers.queue import InProcessQueue

GRAPHQL_RESPONSE = "application/graphql-response+json"
LEVEL_FIELDS = "sku locationCode lotCode onHand reserved available"
# The finding: thirty aliases, each a page of products with every one of their stock levels (as many as
# the server lists; it listed all before they were capped).
FAN_OUT = (
    "{ "
    + " ".join(
        f"a{i}: products(first: 100) {{ edges {{ node {{ sku stockLevels(first: 100) {{ {LEVEL_FIELDS} }} }} }} }}"
        for i in range(30)
    )
    + " }"
)
FAN_OUT_COST = 30 * (2 + 100 * (2 + 1 + 100 * 6))  # products, edges; per product: node, sku, the list and 6 fields
PAGE = """
query Page($search: String!) {
  products(filter: {search: $search}, first: 20) {
    edges { node { sku barcodes { code } stockLevels(first: 5) { locationCode onHand } onHand } }
    pageInfo { hasNextPage endCursor }
  }
}"""
# n products, n levels each, their product, n levels of it: 2 + 2n + n^2 (n + 2).
NESTED = """
query Nested($n: Int) {
  products(first: $n) { edges { node { stockLevels(first: $n) { product { stockLevels(first: $n) { onHand } } } } } }
}"""
NESTED_IN_FRAGMENTS = """
query Nested($n: Int) { products(first: $n) { ...Page } }
fragment Page on ProductConnection { edges { node { ... on Product { stockLevels(first: $n) { ...Level } } } } }
fragment Level on StockLevel { product { stockLevels(first: $n) { onHand } } }
"""
LEVEL_SPREAD_TWICE = NESTED_IN_FRAGMENTS.replace("{ ...Level }", "{ ...Level ...Level }")
STOCK_OF = """
query StockOf($sku: String!, $first: Int) {
  product(sku: $sku) { stockLevels(first: $first) { locationCode onHand } all: stockLevels { locationCode } onHand }
}"""
PAGE_WITH_STOCK = """
query P($search: String!, $n: Int) {
  products(filter: {search: $search}, first: $n) { edges { node { sku stockLevels(first: 2) { onHand } onHand } } }
}"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { id } errors { code } } }"""


def nested_cost(n: int) -> int:
    return 2 + 2 * n + n * n * (n + 2)


def largest_nested_page(limit: int) -> int:
    """The largest n for which NESTED stays within the limit (23 for 15,000)."""
    n = 1
    while nested_cost(n + 1) <= limit:
        n += 1
    assert 3 <= n < 99, "the tests below need a limit between a few hundred and a million"
    return n


def fragment_bomb(levels: int, leaf: str = "sku") -> str:
    """Fragment k spreads fragment k-1 twice: 2^levels copies of ``leaf`` in about 10 tokens a level."""
    fragments = [f"fragment F0 on Product {{ {leaf} }}"]
    fragments += [f"fragment F{k} on Product {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, levels + 1)]
    return f"{{ products(first: 1) {{ edges {{ node {{ ...F{levels} }} }} }} }}\n" + "\n".join(fragments)


def cost_of(document: str, variables: dict[str, Any] | None = None, max_page_size: int = 100) -> int:
    cost = operation_cost(build_schema()._schema, parse(document), None, variables, max_page_size=max_page_size)
    assert cost is not None
    return cost.total


def refusal(response: httpx.Response) -> dict[str, Any]:
    """The one error of an operation refused before it ran, as graphql-response+json answers it."""
    body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body and len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
    return error


async def receive(sku: str, location: str, quantity: str, actor: Actor) -> None:
    from server.inventory import ledger

    await ledger.receive(sku, location, Decimal(quantity), actor_id=actor.user_id, idempotency_key=str(uuid.uuid4()))


async def stocked_products(prefix: str, count: int, bins: list[str], actor: Actor) -> None:
    from server.catalog.service import ProductDetails, create_product

    for n in range(count):
        sku = f"{prefix}-{n:03d}"
        await create_product(sku, ProductDetails(name=sku), actor_id=actor.user_id)
        for quantity, bin_code in enumerate(bins, start=1):
            await receive(sku, bin_code, str(quantity), actor)


async def third_bin(place: Place, actor: Actor) -> str:
    from server.inventory.locations import create_location

    code = unique("BIN")
    await create_location(place.warehouse, code, code, actor_id=actor.user_id)
    return code


# --- the limit ------------------------------------------------------------------------------------


async def test_thirty_aliases_fanning_out_through_stock_levels_are_refused_before_any_sql(
    graphql: GraphQLClient, viewer: Actor, settings: Settings, sql_log: SQLLog
) -> None:
    await graphql.run("{ me { username } }", token=viewer.token)  # the token is looked up once, then cached
    sql_log.statements.clear()

    response = await graphql.post(FAN_OUT, token=viewer.token, accept=GRAPHQL_RESPONSE)

    error = refusal(response)
    assert f"costs {FAN_OUT_COST:,}" in error["message"]
    assert f"limit of {settings.max_query_cost:,}" in error["message"]
    assert sql_log.statements == []
    legacy = await graphql.post(FAN_OUT, token=viewer.token)  # application/json: 200, still no data
    assert legacy.status_code == 200 and "data" not in legacy.json()


async def test_a_normal_page_of_products_is_accepted(graphql: GraphQLClient, viewer: Actor, admin: Actor) -> None:
    prefix = unique("PG")
    await stocked_products(prefix, 3, [], admin)

    response = await graphql.post(PAGE, {"search": prefix}, viewer.token, accept=GRAPHQL_RESPONSE)

    assert response.status_code == 200 and "errors" not in response.json(), response.json()
    nodes = [edge["node"] for edge in response.json()["data"]["products"]["edges"]]
    assert [node["sku"] for node in nodes] == [f"{prefix}-{n:03d}" for n in range(3)]
    assert cost_of(PAGE, {"search": prefix}) == 2 + 20 * 35 + 3  # far below the limit


async def test_first_from_a_variable_is_counted(graphql: GraphQLClient, viewer: Actor, settings: Settings) -> None:
    n = largest_nested_page(settings.max_query_cost)

    accepted = await graphql.post(NESTED, {"n": n}, viewer.token)
    assert accepted.status_code == 200 and "errors" not in accepted.json(), accepted.json()
    refused = refusal(await graphql.post(NESTED, {"n": n + 1}, viewer.token, accept=GRAPHQL_RESPONSE))
    assert f"costs {nested_cost(n + 1):,}" in refused["message"]
    beyond_the_page = refusal(await graphql.post(NESTED, {"n": 5000}, viewer.token, accept=GRAPHQL_RESPONSE))
    assert f"costs {nested_cost(100):,}" in beyond_the_page["message"]  # counted as the page it is clamped to


async def test_fragments_are_counted_where_they_are_spread(
    graphql: GraphQLClient, viewer: Actor, settings: Settings
) -> None:
    n = largest_nested_page(settings.max_query_cost)
    inline = refusal(await graphql.post(NESTED, {"n": n + 1}, viewer.token, accept=GRAPHQL_RESPONSE))
    in_fragments = refusal(await graphql.post(NESTED_IN_FRAGMENTS, {"n": n + 1}, viewer.token, accept=GRAPHQL_RESPONSE))
    assert in_fragments["message"] == inline["message"]

    once = await graphql.post(NESTED_IN_FRAGMENTS, {"n": n}, viewer.token)
    assert once.status_code == 200 and "errors" not in once.json(), once.json()
    twice = refusal(await graphql.post(LEVEL_SPREAD_TWICE, {"n": n}, viewer.token, accept=GRAPHQL_RESPONSE))
    assert f"costs {2 + 2 * n + 2 * n * n * (n + 2):,}" in twice["message"]


async def test_a_fragment_bomb_is_refused_with_its_cost_each_fragment_walked_once(
    graphql: GraphQLClient, viewer: Actor
) -> None:
    bomb = fragment_bomb(150)  # 2^150 copies of one field, in 1.6 kB

    error = refusal(await graphql.post(bomb, token=viewer.token, accept=GRAPHQL_RESPONSE))

    assert f"costs {2**150 + 3:,}" in error["message"]
    cost = operation_cost(build_schema()._schema, parse(bomb), None, None, max_page_size=100)
    assert cost is not None and cost.fields_walked == 4  # products, edges, node, sku: once each
    aliased = await graphql.post(fragment_bomb(150, leaf="a: sku"), token=viewer.token, accept=GRAPHQL_RESPONSE)
    assert aliased.status_code == 400
    assert f"{2**150} aliases found" in aliased.json()["errors"][0]["message"]


async def test_a_costly_mutation_is_refused_and_writes_nothing(graphql: GraphQLClient, admin: Actor) -> None:
    from server.catalog.models import Product

    sku = unique("COSTLY")
    levels = "stockLevels(first: 100) { product { stockLevels(first: 100) { product { stockLevels(first: 100) {"
    levels += " onHand } } } } }"
    mutation = "mutation C($input: CreateProductInput!) { createProduct(input: $input) { product { LEVELS } } }"
    mutation = mutation.replace("LEVELS", levels)

    refusal(await graphql.post(mutation, {"input": {"sku": sku, "name": "x"}}, admin.token, accept=GRAPHQL_RESPONSE))

    assert not await Product.exists(sku=sku)


async def test_a_costly_subscription_on_a_connection_is_refused_before_any_sql(
    settings: Settings, admin: Actor, place: Place, sql_log: SQLLog
) -> None:
    principal = await auth.authenticate(await auth.login(admin.username, "correct horse battery"))
    context = ConnectionContext(settings=settings, principal=principal)
    sql_log.statements.clear()
    levels = "product { stockLevels(first: 100) { product { stockLevels(first: 100) { onHand } } } }"  # 100 x 100 x 100
    nested = f"subscription S($sku: String!) {{ stockLevels(sku: $sku) {{ {levels} }} }}"

    stream = await build_schema().subscribe(nested, variable_values={"sku": place.sku}, context_value=context)
    refused = await asyncio.wait_for(anext(stream), 10)  # type: ignore[arg-type]

    assert refused.data is None
    assert refused.errors and refused.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert sql_log.statements == []
    # graphql-transport-ws runs queries and mutations through Schema.stream too
    query: Any = await anext(await build_schema().stream(FAN_OUT, context_value=context))
    assert query.data is None and query.errors and query.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert sql_log.statements == []


async def test_introspection_is_free_so_graphiql_keeps_working(graphql: GraphQLClient) -> None:
    introspection = get_introspection_query(descriptions=True)
    assert cost_of(introspection) == 0
    response = await graphql.post(introspection)  # no token needed outside production
    assert response.status_code == 200 and response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_the_handhelds_and_the_readmes_operations_cost_little() -> None:
    costs = {
        "handheld login": cost_of(HANDHELD_LOGIN),
        "handheld scan": cost_of(HANDHELD_SCAN, {"input": {"code": "X"}}),  # its package's contents take `first`
        "handheld stock": cost_of(HANDHELD_STOCK, {"sku": "X", "first": 100}),
        "readme stock": cost_of('{ stockLevels(sku: "X") { edges { node { locationCode onHand available } } } }'),
    }
    # The scan's cost is mostly its GS1 elements: as many as a code of MAX_SCAN_LENGTH characters can hold.
    assert all(cost <= 10_000 for cost in costs.values()), costs


# --- every list is paged or capped ----------------------------------------------------------------


def _list_fields(schema: GraphQLSchema) -> dict[str, tuple[Any, str, Any]]:
    return {
        f"{type_.name}.{name}": (type_, name, field)
        for type_ in schema.type_map.values()
        if not type_.name.startswith("__") and (is_object_type(type_) or is_interface_type(type_))
        for name, field in type_.fields.items()
        if is_list_type(get_nullable_type(field.type))
    }


def test_every_list_field_is_paged_or_capped() -> None:
    """A list added later must take `first`, be a connection's edges, or be declared in LIST_CAPS."""
    lists = _list_fields(build_schema()._schema)
    unsized = [
        key
        for key, (type_, name, field) in lists.items()
        if not (is_connection(type_) and name in CONNECTION_LISTS) and "first" not in field.args
        if declared_cap(type_, name) is None
    ]
    assert unsized == []
    assert sorted(set(LIST_CAPS) - set(lists)) == []  # no cap left behind for a field that is gone
    assert all(cap.why for cap in LIST_CAPS.values())


async def test_stock_levels_lists_the_first_of_them_while_on_hand_counts_every_bin(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.inventory import ledger

    emptied = await third_bin(place, admin)  # the oldest quant, but nothing left in it: not listed
    await receive(place.sku, emptied, "2", admin)
    await ledger.issue(place.sku, emptied, Decimal(2), actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    bins = [place.bin_a, place.bin_b, await third_bin(place, admin)]
    for quantity, bin_code in zip(("1", "2", "4.5"), bins, strict=True):
        await receive(place.sku, bin_code, quantity, admin)

    product = (await graphql.run(STOCK_OF, {"sku": place.sku, "first": 2}, token=admin.token))["product"]

    assert product["stockLevels"] == [{"locationCode": place.bin_a, "onHand": "1.0000"},
                                      {"locationCode": place.bin_b, "onHand": "2.0000"}]  # fmt: skip
    assert [level["locationCode"] for level in product["all"]] == bins
    assert product["onHand"] == "7.5000"
    negative = (await graphql.post(STOCK_OF, {"sku": place.sku, "first": -1}, admin.token)).json()
    assert negative["errors"][0]["extensions"]["code"] == "INVALID"


async def test_stock_levels_beyond_the_page_size_are_clamped_to_it(
    settings: Settings, admin: Actor, place: Place
) -> None:
    from server.app import create_app

    for bin_code in (place.bin_a, place.bin_b, await third_bin(place, admin)):
        await receive(place.sku, bin_code, "1", admin)
    app = create_app(dataclasses.replace(settings, max_page_size=2))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storekeeper.test") as http:
        product = (await GraphQLClient(http, InProcessQueue(), transport).run(
            STOCK_OF, {"sku": place.sku, "first": 50}, token=admin.token
        ))["product"]  # fmt: skip
    assert len(product["stockLevels"]) == len(product["all"]) == 2
    assert product["onHand"] == "3.0000"


async def test_sql_for_a_page_of_products_with_stock_does_not_grow_with_its_size(
    graphql: GraphQLClient, admin: Actor, place: Place, sql_log: SQLLog
) -> None:
    prefix = unique("SQ")
    await stocked_products(prefix, 30, [place.bin_a, place.bin_b, await third_bin(place, admin)], admin)
    await graphql.run(PAGE_WITH_STOCK, {"search": prefix, "n": 1}, token=admin.token)  # the token is looked up now
    counts = []
    for size in (1, 10, 30):
        sql_log.statements.clear()
        data = await graphql.run(PAGE_WITH_STOCK, {"search": prefix, "n": size}, token=admin.token)
        nodes = [edge["node"] for edge in data["products"]["edges"]]
        assert len(nodes) == size
        assert all(len(node["stockLevels"]) == 2 and node["onHand"] == "6.0000" for node in nodes)
        counts.append(len(sql_log.statements))
    assert counts[0] == counts[1] == counts[2], counts


async def test_ledger_check_problems_take_first(graphql: GraphQLClient, admin: Actor) -> None:
    from server.clock import now
    from server.inventory.models import LedgerCheck

    check = await LedgerCheck.create(started_at=now(), finished_at=now(), ok=False, quants_checked=5,
                                     problems=[f"problem {n}" for n in range(5)])  # fmt: skip
    node_id = base64.b64encode(f"LedgerCheck:{check.id}".encode()).decode()
    query = "query N($id: ID!) { node(id: $id) { ... on LedgerCheck { problems(first: 2) all: problems } } }"

    data = await graphql.run(query, {"id": node_id}, token=admin.token)

    assert data["node"] == {"problems": ["problem 0", "problem 1"], "all": [f"problem {n}" for n in range(5)]}


def test_a_mutations_payload_counts_its_moves_as_at_most_a_page() -> None:
    # receiveStock, moves of ids, errors of codes (a document's posting may report MAX_ERRORS problems at once)
    assert cost_of(RECEIVE) == 1 + (1 + 100 * 1) + (1 + MAX_ERRORS * 1)


def test_items_of_a_list_count_even_when_only_free_fields_are_asked() -> None:
    typename_only = "{ " + " ".join(f"s{n}: stockLevels(first: 100) {{ __typename }}" for n in range(29)) + " }"
    hollow = '{ product(sku: "X") { stockLevels(first: 100) { product ' + typename_only + " } } }"
    assert cost_of(hollow) == 1 + 1 + 100 * (1 + 29 * (1 + 100))  # 100 x 29 x 100 levels are built
    assert cost_of(hollow) > 15_000


async def test_a_users_subscriptions_together_stay_within_one_operations_cost(
    settings: Settings, admin: Actor, place: Place
) -> None:
    principal = await auth.authenticate(await auth.login(admin.username, "correct horse battery"))
    heavy = "subscription S($sku: String!) { stockLevels(sku: $sku) { product { stockLevels(first: 40) { onHand } } } }"
    each = cost_of(heavy, {"sku": "X"})
    streams = []
    try:
        for _ in range(settings.max_query_cost // each + 2):
            context = ConnectionContext(settings=settings, principal=principal)
            stream = await build_schema().subscribe(heavy, variable_values={"sku": place.sku}, context_value=context)
            first = await asyncio.wait_for(anext(stream), 10)  # type: ignore[arg-type]
            streams.append(stream)
            if first.errors:
                break
        assert first.errors, "every subscription was admitted"
        refused = first.errors[0]
        assert refused.extensions == {"code": "QUERY_TOO_COMPLEX"}
        assert len(streams) - 1 == settings.max_query_cost // each  # those admitted, all still running
        await streams.pop(0).aclose()  # one ends: its share is free again
        context = ConnectionContext(settings=settings, principal=principal)
        again = await build_schema().subscribe(heavy, variable_values={"sku": place.sku}, context_value=context)
        streams.append(again)
        assert not (await asyncio.wait_for(anext(again), 10)).errors  # type: ignore[arg-type]
    finally:
        for stream in streams:
            await stream.aclose()
