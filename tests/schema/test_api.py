"""The GraphQL API as a client sees it, over HTTP."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from schema import export_sdl
from server.inventory.models import StockMove
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, SQLLog, unique
from workers.queue import InProcessQueue

RECEIVE = """
mutation Receive($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { sku quantity toLocationCode } replayed errors { field code message } }
}"""
PRODUCTS_WITH_STOCK = """
query Products($search: String!, $first: Int) {
  products(filter: {search: $search}, first: $first) {
    edges { node { sku barcodes { code } stockLevels(first: 10) { locationCode onHand available } location: onHand } }
    pageInfo { hasNextPage }
  }
}"""
RESOLVE = "query R($code: String!) { resolveBarcode(code: $code) { kind message product { sku } location { code } } }"
SCAN = """
mutation S($input: ScanInput!) {
  scanBarcode(input: $input) { resolution { kind location { code } } errors { code } }
}"""
CREATE_PRODUCT = """
mutation C($input: CreateProductInput!) { createProduct(input: $input) { product { sku } errors { field code } } }"""


def test_the_committed_sdl_matches_the_code() -> None:
    committed = (Path(__file__).parents[2] / "schema" / "schema.graphql").read_text()
    assert committed == export_sdl(), "run `make schema` and commit schema/schema.graphql"


async def test_without_a_token_only_login_and_typename_answer(graphql: GraphQLClient, place: Place) -> None:
    refused = await graphql.post("{ products(first: 1) { edges { node { sku } } } }")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    mutation = await graphql.post(RECEIVE, {"input": {"sku": place.sku, "locationCode": place.bin_a,
                                                      "quantity": "1", "idempotencyKey": "k"}})  # fmt: skip
    assert mutation.status_code == 401
    assert await StockMove.filter(product__sku=place.sku).count() == 0
    assert (await graphql.post("{ __typename }")).json() == {"data": {"__typename": "Query"}}
    bad_token = await graphql.post("{ __typename }", token="sk_s_not-a-token")
    assert bad_token.status_code == 401


async def test_login_with_a_wrong_password_is_a_user_error(graphql: GraphQLClient, admin: Actor) -> None:
    query = 'mutation { login(input: {username: "%s", password: "nope"}) { token errors { code } } }'
    body = (await graphql.post(query % admin.username)).json()
    assert body["data"]["login"] == {"token": None, "errors": [{"code": "UNAUTHENTICATED"}]}


async def test_a_viewer_cannot_receive_stock(graphql: GraphQLClient, viewer: Actor, place: Place) -> None:
    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1", "idempotencyKey": "v"}}
    body = (await graphql.post(RECEIVE, variables, viewer.token)).json()
    assert "stock.receive" in body["errors"][0]["message"]
    assert await StockMove.filter(product__sku=place.sku).count() == 0


async def test_receive_and_replay_over_http(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "2.5",
                           "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    first = (await graphql.run(RECEIVE, variables, token=admin.token))["receiveStock"]
    again = (await graphql.run(RECEIVE, variables, token=admin.token))["receiveStock"]
    assert first == {"moves": [{"sku": place.sku, "quantity": "2.5000", "toLocationCode": place.bin_a}],
                     "replayed": False, "errors": []}  # fmt: skip
    assert again["replayed"] is True and again["moves"] == first["moves"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"sku": "NO-SUCH"}, "sku", "NOT_FOUND"),
        ({"locationCode": "NO-SUCH"}, "locationCode", "NOT_FOUND"),
        ({"quantity": "0"}, "quantity", "INVALID"),
        ({"quantity": "-3"}, "quantity", "INVALID"),
        ({"quantity": "-0"}, "quantity", "INVALID"),
        ({"quantity": "1.00000"}, "quantity", "INVALID"),  # written with five places, though it is 1
        ({"quantity": "lots"}, "quantity", "INVALID"),
        ({"quantity": "99999999999999999999"}, "quantity", "INVALID"),
        ({"quantity": 1.5}, "quantity", "INVALID"),  # a JSON number has lost its digits: refused
        ({"quantity": 2}, "quantity", "INVALID"),
        ({"quantity": "1_000"}, "quantity", "INVALID"),
        ({"quantity": "\u0661\u0662"}, "quantity", "INVALID"),  # Arabic-Indic digits
        ({"quantity": "1e3"}, "quantity", "INVALID"),
        ({"quantity": " 1"}, "quantity", "INVALID"),
        ({"idempotencyKey": ""}, "idempotencyKey", "INVALID"),
    ],
)
async def test_bad_input_is_a_user_error_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, change: dict[str, object], field: str | None, code: str | None
) -> None:
    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1",
                           "idempotencyKey": str(uuid.uuid4()), **change}}  # fmt: skip
    response = await graphql.post(RECEIVE, variables, admin.token)
    assert response.status_code == 200
    errors = response.json()["data"]["receiveStock"]["errors"]
    if code is None:
        assert errors == []
        return
    assert [(e["field"], e["code"]) for e in errors] == [(["input", field], code)]
    assert await StockMove.filter(product__sku=place.sku).count() == 0


async def test_a_product_with_a_bad_gtin_check_digit_is_refused(graphql: GraphQLClient, admin: Actor) -> None:
    variables = {"input": {"sku": unique("P"), "name": "Bad", "barcodes": ["4006381333932"]}}
    body = await graphql.run(CREATE_PRODUCT, variables, token=admin.token)
    assert body["createProduct"] == {"product": None, "errors": [{"field": ["input", "barcodes"], "code": "INVALID"}]}


async def test_resolve_barcode_tells_what_a_scan_is(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    sku = unique("P")
    await graphql.run(CREATE_PRODUCT, {"input": {"sku": sku, "name": "Gum", "barcodes": ["96385074"]}},
                      token=admin.token)  # fmt: skip
    by_ean8 = await graphql.run(RESOLVE, {"code": "96385074"}, token=admin.token)
    assert by_ean8["resolveBarcode"]["product"] == {"sku": sku}
    gs1 = await graphql.run(RESOLVE, {"code": "]C1010000009638507410LOT7"}, token=admin.token)
    assert gs1["resolveBarcode"]["product"] == {"sku": sku}
    location = await graphql.run(RESOLVE, {"code": place.bin_a}, token=admin.token)
    assert location["resolveBarcode"]["kind"] == "LOCATION"
    malformed = await graphql.run(RESOLVE, {"code": "96385075"}, token=admin.token)
    assert malformed["resolveBarcode"]["kind"] == "UNKNOWN"
    assert "check digit" in malformed["resolveBarcode"]["message"]


async def test_queries_for_a_page_do_not_grow_with_its_size(
    graphql: GraphQLClient, admin: Actor, place: Place, sql_log: SQLLog
) -> None:
    prefix = unique("QC")
    for n in range(100):
        sku = f"{prefix}-{n:03d}"
        await graphql.run(CREATE_PRODUCT, {"input": {"sku": sku, "name": sku}}, token=admin.token)
        variables = {"input": {"sku": sku, "locationCode": place.bin_a, "quantity": "1",
                               "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
        await graphql.run(RECEIVE, variables, token=admin.token)
    counts = []
    for size in (1, 10, 100):
        sql_log.statements.clear()
        data = await graphql.run(PRODUCTS_WITH_STOCK, {"search": prefix, "first": size}, token=admin.token)
        assert len(data["products"]["edges"]) == size
        assert all(e["node"]["stockLevels"][0]["onHand"] == "1.0000" for e in data["products"]["edges"])
        counts.append(len(sql_log.statements))
    assert counts[0] == counts[1] == counts[2], counts


async def test_connections_cap_first_at_the_page_limit(settings: Settings, admin: Actor, place: Place) -> None:
    import dataclasses

    import httpx

    from server.app import create_app

    app = create_app(dataclasses.replace(settings, max_page_size=2))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storekeeper.test") as http:
        capped = await GraphQLClient(http, InProcessQueue(), transport).run(
            "{ locations(first: 50) { edges { cursor } pageInfo { hasNextPage } } }", token=admin.token
        )
    assert len(capped["locations"]["edges"]) == 2  # the place alone has three locations
    assert capped["locations"]["pageInfo"]["hasNextPage"] is True


async def test_too_deep_a_query_is_refused(graphql: GraphQLClient, admin: Actor) -> None:
    deep = "{ stockLevels(first: 1) { edges { node { " + "location { parent { " * 6 + "code" + " } }" * 6 + " } } } }"
    response = await graphql.post(deep, token=admin.token, accept="application/graphql-response+json")
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


async def test_after_logout_the_token_is_refused(graphql: GraphQLClient, admin: Actor) -> None:
    login = 'mutation { login(input: {username: "%s", password: "correct horse battery"}) { token } }'
    token = (await graphql.run(login % admin.username, token=admin.token))["login"]["token"]
    assert await graphql.run("{ me { username } }", token=token) == {"me": {"username": admin.username}}
    assert await graphql.run("mutation { logout }", token=token) == {"logout": True}
    refused = await graphql.post("{ me { username } }", token=token)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_repeated_query_is_validated_once(
    graphql: GraphQLClient, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation rules built per request would be new classes each time and never hit the cache."""
    from schema import query_cache as documents

    validated = []
    real = documents.validate_document
    monkeypatch.setattr(documents, "validate_document", lambda *a: validated.append(1) or real(*a))
    query = "{ warehouses(first: 1) { edges { cursor } } a" + uuid.uuid4().hex[:6] + ": __typename }"
    for _ in range(3):
        await graphql.run(query, token=admin.token)
    assert len(validated) == 1


async def test_every_scan_is_kept_with_who_scanned_it_where_and_the_move_it_caused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.scanning.models import Scan

    scan = {"code": place.bin_a, "symbology": "Code128", "device": "hh-07"}
    looked_up = await graphql.run(SCAN, {"input": scan}, token=admin.token)
    assert looked_up["scanBarcode"]["resolution"] == {"kind": "LOCATION", "location": {"code": place.bin_a}}

    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1",
                           "idempotencyKey": str(uuid.uuid4()), "scan": {**scan, "code": place.sku}}}  # fmt: skip
    await graphql.run(RECEIVE, variables, token=admin.token)

    lookup, receipt = await Scan.filter(code__in=[place.bin_a, place.sku]).order_by("id")
    assert (lookup.code, lookup.symbology, lookup.device, lookup.user_id, lookup.move_id) == (
        place.bin_a, "Code128", "hh-07", admin.user_id, None,
    )  # fmt: skip
    move = await StockMove.get(product__sku=place.sku)
    assert (receipt.code, receipt.device, receipt.move_id) == (place.sku, "hh-07", move.id)


async def test_a_ledger_check_asked_for_twice_with_one_key_runs_once_and_is_audited(
    graphql: GraphQLClient, admin: Actor
) -> None:
    from server.audit.models import AuditEntry
    from server.inventory.models import LedgerCheck

    run = "mutation R($k: String!) { runLedgerCheck(input: {idempotencyKey: $k}) { jobId enqueued errors { code } } }"
    key = str(uuid.uuid4())
    first = (await graphql.run(run, {"k": key}, token=admin.token))["runLedgerCheck"]
    again = (await graphql.run(run, {"k": key}, token=admin.token))["runLedgerCheck"]
    assert (first["enqueued"], again["enqueued"], again["jobId"]) == (True, False, first["jobId"])

    await graphql.queue.wait()
    check = await LedgerCheck.get(job_id=first["jobId"])
    assert check.ok, check.problems
    audited = await AuditEntry.filter(action="job.enqueue", object_id=first["jobId"])
    assert [entry.actor_id for entry in audited] == [admin.user_id]  # type: ignore[attr-defined]


async def test_a_query_with_an_unknown_location_says_so_with_a_code(graphql: GraphQLClient, admin: Actor) -> None:
    response = await graphql.post('{ stockLevels(locationCode: "NOWHERE") { edges { cursor } } }', token=admin.token)
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "NOT_FOUND", "field": ["locationCode"]}
    assert "NOWHERE" in error["message"]


async def test_a_gs1_code_with_a_bad_gtin_says_why_and_is_still_logged(graphql: GraphQLClient, admin: Actor) -> None:
    from server.scanning.models import Scan

    code = "]C10100000000000001"  # GTIN 00000000000001: wrong check digit
    data = await graphql.run(SCAN, {"input": {"code": code, "device": "hh-gs1"}}, token=admin.token)
    assert data["scanBarcode"]["resolution"]["kind"] == "UNKNOWN"
    resolved = await graphql.run(RESOLVE, {"code": code}, token=admin.token)
    assert "check digit" in resolved["resolveBarcode"]["message"]
    assert await Scan.filter(code=code, device="hh-gs1").count() == 1


async def test_stock_asked_for_in_a_virtual_location_is_not_every_bin(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1",
                           "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    await graphql.run(RECEIVE, variables, token=admin.token)
    data = await graphql.run(
        '{ stockLevels(locationCode: "VIRTUAL/SUPPLIER") { edges { cursor } } }', token=admin.token
    )
    assert data["stockLevels"]["edges"] == []


NODE = "query N($id: ID!) { node(id: $id) { __typename ... on Product { sku } ... on StockMove { quantity } } }"


async def test_nodes_by_id_need_the_permission_their_lists_need(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    import base64

    from server.auth.models import Role
    from server.auth.service import create_user, login

    role = await Role.create(name=unique("catalog-only").lower(), permissions=["catalog.view"])
    name = unique("cat").lower()
    await create_user(name, "correct horse battery", role.name)
    token = await login(name, "correct horse battery")

    variables = {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1",
                           "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    move_id = await graphql.run(RECEIVE.replace("moves {", "moves { id"), variables, token=admin.token)
    move_gid = move_id["receiveStock"]["moves"][0]["id"]
    product_gid = base64.b64encode(f"Product:{await place_product_id(place)}".encode()).decode()

    refused = (await graphql.post(NODE, {"id": move_gid}, token)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await graphql.post(NODE, {"id": move_gid}, admin.token)).json()["data"]["node"]["__typename"] == "StockMove"
    product = await graphql.run(NODE, {"id": product_gid}, token=token)
    assert product["node"] == {"__typename": "Product", "sku": place.sku}

    bogus = base64.b64encode(b"Product:99999999999999999999999").decode()
    error = (await graphql.post(NODE, {"id": bogus}, admin.token)).json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID"


async def place_product_id(place: Place) -> int:
    from server.catalog.models import Product

    return (await Product.get(sku=place.sku)).id


async def test_a_node_id_beyond_the_table_is_simply_not_there(graphql: GraphQLClient, admin: Actor) -> None:
    import base64

    for type_name, raw_id in (("Location", 3_000_000_000), ("Product", 2**63 - 1), ("StockMove", 2**63 - 1)):
        global_id = base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()
        assert await graphql.run(NODE, {"id": global_id}, token=admin.token) == {"node": None}
