"""Hostile input is normal input: strings no column can hold, characters no one can see, codes
that look alike, scalars in forms the API does not document. Each answers with a UserError, an
empty result or "unknown", and writes nothing."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from server.catalog.models import Product
from server.inventory.models import Location, Lot, StockMove, Warehouse
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, unique
from workers.queue import InProcessQueue

LOGIN = "mutation L($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token errors { code } } }"
CREATE_PRODUCT = """
mutation C($input: CreateProductInput!) {
  createProduct(input: $input) { product { sku unit barcodes { code } } errors { field code message } }
}"""
PRODUCT = "query P($sku: String!) { product(sku: $sku) { sku } }"
STOCK_LEVELS = "query S($sku: String) { stockLevels(sku: $sku) { edges { node { onHand } } } }"
RESOLVE = """
query R($code: String!) {
  resolveBarcode(code: $code) { kind message product { sku } lot { code } expiresOn gs1 { ai value } }
}"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { quantity lotCode } errors { field code message } }
}"""
ADJUST = """
mutation A($input: AdjustStockInput!) { adjustStock(input: $input) { moves { quantity } errors { field code } } }"""
ARCHIVE = "mutation A($sku: String!) { archiveProduct(input: {sku: $sku}) { errors { code } } }"
LEDGER_CHECK = """
mutation L($key: String!) { runLedgerCheck(input: {idempotencyKey: $key}) { jobId errors { field code } } }"""
CREATE_WAREHOUSE = """
mutation W($code: String!) {
  createWarehouse(input: {code: $code, name: "W"}) { warehouse { code } errors { field code } }
}"""
CREATE_LOCATION = """
mutation L($input: CreateLocationInput!) {
  createLocation(input: $input) { location { code } errors { field code } }
}"""
SCAN = """
mutation S($input: ScanInput!) { scanBarcode(input: $input) { resolution { kind } errors { field code } } }"""

# A GS1 DataMatrix as printed on a pharmaceutical pack: GTIN, expiry, lot, then (after GS) a serial.
GTIN = "04006381333931"
DATAMATRIX = f"01{GTIN}17271231" + "10" + "B" * 20 + "\x1d" + "21" + "S" * 20 + "\x1d" + "2401234"


def _receive(place: Place, **change: Any) -> dict[str, Any]:
    return {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": "1",
                      "idempotencyKey": str(uuid.uuid4()), **change}}  # fmt: skip


async def _errors(graphql: GraphQLClient, query: str, variables: dict[str, Any], token: str, name: str) -> list[Any]:
    data = await graphql.run(query, variables, token=token)
    return [(_input_path(e["field"]), e["code"]) for e in data[name]["errors"]]


def _input_path(path: list[str] | None) -> str | None:
    """``["input", "scan", "device"]`` as ``"scan.device"``: the tests name fields as the services do."""
    if path is None:
        return None
    assert path[0] == "input", path
    return ".".join(path[1:])


# --- strings the database would refuse --------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin\x00", "x"), ("a" * 10_000, "x"), ("nobody", "pass\x00word"), ("x", "p" * 5000)],
)
async def test_a_login_with_any_string_is_only_a_failed_login(
    graphql: GraphQLClient, settings: Settings, username: str, password: str
) -> None:
    with graphql.calling_from(f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"):
        response = await graphql.post(LOGIN, {"u": username, "p": password})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["login"] == {"token": None, "errors": [{"code": "UNAUTHENTICATED"}]}


@pytest.mark.parametrize("sku", ["S" * 65, "SKU\x00", "x" * 100_000])
async def test_a_filter_no_row_can_match_finds_nothing(graphql: GraphQLClient, admin: Actor, sku: str) -> None:
    assert (await graphql.run(STOCK_LEVELS, {"sku": sku}, token=admin.token))["stockLevels"]["edges"] == []
    assert (await graphql.run(PRODUCT, {"sku": sku}, token=admin.token))["product"] is None


async def test_an_unpaired_surrogate_is_refused_before_any_resolver(graphql: GraphQLClient, admin: Actor) -> None:
    as_variable = await graphql.http.post(
        "/graphql", content=json.dumps({"query": STOCK_LEVELS, "variables": {"sku": "\ud83d"}}),
        headers={"authorization": f"Bearer {admin.token}", "content-type": "application/json"},
    )  # fmt: skip
    as_literal = await graphql.post('{ stockLevels(sku: "\\ud83d") { edges { cursor } } }', token=admin.token)
    assert as_variable.status_code == 400 and "JSON" in as_variable.json()["errors"][0]["message"]
    assert as_literal.status_code == 200 and "Invalid Unicode" in as_literal.json()["errors"][0]["message"]


async def test_the_services_take_unpaired_surrogates_from_other_transports(settings: Settings) -> None:
    """A WebSocket's JSON (Python's json module) lets lone surrogates through to the services."""
    from server import scanning
    from server.auth.service import LoginFailed, authenticate, login
    from server.catalog.service import product_by_sku
    from server.errors import DomainError
    from server.inventory import ledger

    with pytest.raises(LoginFailed):
        await login("\ud800", "\udfff", address="198.18.0.1")
    assert await product_by_sku("\ud83d") is None
    for spoiled in ({"sku": "\ud800"}, {"location_code": "B\udc00"}, {"lot": "\ud800"}):
        arguments = {"sku": "X", "location_code": "Y", **spoiled}
        with pytest.raises(DomainError):  # not found or invalid, never an encoder's TypeError
            await ledger.receive(arguments.pop("sku"), arguments.pop("location_code"), "1", **arguments,
                                 idempotency_key=str(uuid.uuid4()), actor_id=None)  # fmt: skip
    assert await authenticate("\ud800") is None
    found = await scanning.scan(scanning.ScanInfo(code="A\udcffB\x00"), user_id=None)
    assert found.kind == scanning.CodeKind.UNKNOWN and found.code == "A\\udcffB\\x00"  # echoed storable
    from server.scanning.models import Scan

    assert await Scan.filter(code="A\\udcffB\\x00").exists()  # kept, escaped


async def test_a_long_gs1_datamatrix_is_read_not_refused(graphql: GraphQLClient, admin: Actor) -> None:
    sku = unique("PHARMA")
    await graphql.run(CREATE_PRODUCT, {"input": {"sku": sku, "name": "Pills", "barcodes": [GTIN[1:]],
                                                 "tracksLots": True}}, token=admin.token)  # fmt: skip
    assert len(DATAMATRIX) > 64
    found = (await graphql.run(RESOLVE, {"code": DATAMATRIX}, token=admin.token))["resolveBarcode"]
    assert found["kind"] == "PRODUCT" and found["product"] == {"sku": sku}
    assert found["expiresOn"] == "2027-12-31"
    assert {"ai": "10", "value": "B" * 20} in found["gs1"] and {"ai": "21", "value": "S" * 20} in found["gs1"]


@pytest.mark.parametrize("code", ["x" * 65, "\x00", "A\x00B", "9" * 1000, "y" * 500_000])
async def test_any_scanned_code_up_to_the_request_limit_is_answered(
    graphql: GraphQLClient, admin: Actor, code: str
) -> None:
    found = (await graphql.run(RESOLVE, {"code": code}, token=admin.token))["resolveBarcode"]
    assert found["kind"] == "UNKNOWN" and found["message"]
    logged = await graphql.run(SCAN, {"input": {"code": code, "device": "hh-9"}}, token=admin.token)
    assert logged["scanBarcode"] == {"resolution": {"kind": "UNKNOWN"}, "errors": []}


async def test_scan_details_are_checked_like_any_field(graphql: GraphQLClient, admin: Actor) -> None:
    for device in ("d" * 65, "hh\x00"):
        errors = await _errors(graphql, SCAN, {"input": {"code": "X", "device": device}}, admin.token, "scanBarcode")
        assert errors == [("scan.device", "INVALID")]


async def test_a_long_idempotency_key_asks_for_one_ledger_check(graphql: GraphQLClient, admin: Actor) -> None:
    key = "k" * 60 + str(uuid.uuid4())
    first = (await graphql.run(LEDGER_CHECK, {"key": key}, token=admin.token))["runLedgerCheck"]
    again = (await graphql.run(LEDGER_CHECK, {"key": key}, token=admin.token))["runLedgerCheck"]
    assert first["errors"] == [] and first["jobId"] == again["jobId"] and len(first["jobId"]) <= 128
    refused = await _errors(graphql, LEDGER_CHECK, {"key": "k" * 256}, admin.token, "runLedgerCheck")
    assert refused == [("idempotencyKey", "INVALID")]


async def test_fields_are_checked_against_their_columns(graphql: GraphQLClient, admin: Actor) -> None:
    product = {"sku": unique("U"), "name": "Unit test", "unit": "u" * 20}
    assert await _errors(graphql, CREATE_PRODUCT, {"input": product}, admin.token, "createProduct") == [
        ("unit", "INVALID")
    ]
    for name in ("N\x00", "N\u202eevil", "n" * 256, "\u3164", "\u115f\u1160", "\u2800", "\u0301\u0301"):
        bad = {"sku": unique("N"), "name": name}
        assert await _errors(graphql, CREATE_PRODUCT, {"input": bad}, admin.token, "createProduct") == [
            ("name", "INVALID")
        ]
    code = "W" * 40
    assert await _errors(graphql, CREATE_WAREHOUSE, {"code": code}, admin.token, "createWarehouse") == [
        ("code", "INVALID")
    ]
    assert not await Product.filter(name__startswith="N").filter(sku__startswith="N-").exists()
    assert not await Warehouse.filter(code__startswith="WWWW").exists()


async def test_a_location_tree_stops_at_its_depth(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    from server.inventory.locations import MAX_DEPTH

    parent, made = place.warehouse, 0
    for level in range(80):
        code = f"{place.warehouse}-D{level}"
        variables = {"input": {"warehouseCode": place.warehouse, "code": code, "name": code, "parentCode": parent}}
        errors = await _errors(graphql, CREATE_LOCATION, variables, admin.token, "createLocation")
        if errors:
            assert errors == [("parentCode", "INVALID")]
            break
        parent, made = code, made + 1
    assert made == MAX_DEPTH - 1  # the warehouse's root is the first level
    assert not await Location.filter(code=f"{place.warehouse}-D{made}").exists()


# --- identifiers that look alike -----------------------------------------------------------------


async def test_codes_are_case_free_and_kept_in_capitals(graphql: GraphQLClient, admin: Actor) -> None:
    sku = unique("mug").lower()
    made = await graphql.run(CREATE_PRODUCT, {"input": {"sku": sku, "name": "Mug"}}, token=admin.token)
    assert made["createProduct"]["product"]["sku"] == sku.upper()
    twin = await _errors(graphql, CREATE_PRODUCT, {"input": {"sku": sku.upper(), "name": "Mug"}}, admin.token,
                         "createProduct")  # fmt: skip
    assert twin == [("sku", "ALREADY_EXISTS")]
    assert (await graphql.run(PRODUCT, {"sku": sku.title()}, token=admin.token))["product"] == {"sku": sku.upper()}


@pytest.mark.parametrize(
    "sku",
    ["MUG\u200bWHITE", "MUG\u202eETIHW", "MUG WHITE", "MUG\tWHITE", "\u041c\u0423G", "\x00", ""],
    ids=["zero-width space", "right-to-left override", "space", "tab", "cyrillic", "nul", "empty"],
)
async def test_invisible_and_foreign_look_alike_characters_make_no_code(
    graphql: GraphQLClient, admin: Actor, sku: str
) -> None:
    errors = await _errors(graphql, CREATE_PRODUCT, {"input": {"sku": sku, "name": "x"}}, admin.token, "createProduct")
    assert errors == [("sku", "INVALID")]


async def test_full_width_letters_and_digits_are_the_ascii_code(graphql: GraphQLClient, admin: Actor) -> None:
    tail = uuid.uuid4().hex[:6].upper()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in f"FW-{tail}")
    made = await graphql.run(CREATE_PRODUCT, {"input": {"sku": full_width, "name": "Wide"}}, token=admin.token)
    assert made["createProduct"]["product"]["sku"] == f"FW-{tail}"


async def test_a_gtin_is_ascii_digits_and_names_one_product(graphql: GraphQLClient, admin: Actor) -> None:
    gtin = "5901234123457"
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in gtin)
    full_width = "".join(chr(0xFF10 + int(d)) for d in gtin)
    first = {"sku": unique("G"), "name": "G", "barcodes": [full_width]}
    made = await graphql.run(CREATE_PRODUCT, {"input": first}, token=admin.token)
    assert made["createProduct"]["product"]["barcodes"] == [{"code": gtin}]
    second = {"sku": unique("G"), "name": "G", "barcodes": [gtin]}
    assert await _errors(graphql, CREATE_PRODUCT, {"input": second}, admin.token, "createProduct") == [
        ("barcodes", "ALREADY_EXISTS")
    ]
    third = {"sku": unique("G"), "name": "G", "barcodes": [arabic_indic]}
    assert await _errors(graphql, CREATE_PRODUCT, {"input": third}, admin.token, "createProduct") == [
        ("barcodes", "INVALID")
    ]


async def test_lot_and_location_codes_are_case_free(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    lot = f"lot-{uuid.uuid4().hex[:6]}"
    for spelled in (lot, lot.upper()):
        variables = {"input": {"sku": place.lot_sku, "locationCode": place.bin_a.lower(), "quantity": "1",
                               "lot": spelled, "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
        assert (await graphql.run(RECEIVE, variables, token=admin.token))["receiveStock"]["errors"] == []
    assert [row.code for row in await Lot.filter(product__sku=place.lot_sku)] == [lot.upper()]
    twin = {"input": {"warehouseCode": place.warehouse, "code": place.bin_a.lower(), "name": "Twin"}}
    assert await _errors(graphql, CREATE_LOCATION, twin, admin.token, "createLocation") == [("code", "ALREADY_EXISTS")]


# --- scalars in their documented forms only -----------------------------------------------------------


@pytest.mark.parametrize("expires_on", ["2030-W01-1", "20300101", "2030-02-30", "30-01-2030", "2030-1-1", 20300101])
async def test_a_date_is_yyyy_mm_dd_and_nothing_else(
    graphql: GraphQLClient, admin: Actor, place: Place, expires_on: object
) -> None:
    variables = {"input": {"sku": place.lot_sku, "locationCode": place.bin_a, "quantity": "1", "lot": "L-DATE",
                           "expiresOn": expires_on, "idempotencyKey": str(uuid.uuid4())}}  # fmt: skip
    response = await graphql.post(RECEIVE, variables, admin.token, accept="application/graphql-response+json")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.text or "calendar" in response.text
    assert await StockMove.filter(product__sku=place.lot_sku).count() == 0


async def test_an_expiry_without_a_lot_is_refused(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    errors = await _errors(graphql, RECEIVE, _receive(place, expiresOn="2031-01-01"), admin.token, "receiveStock")
    assert errors == [("expiresOn", "INVALID")]
    assert await StockMove.filter(product__sku=place.sku).count() == 0


async def test_a_lot_already_expired_is_received_only_on_purpose(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    past = (date.today() - timedelta(days=1)).isoformat()
    stale = _receive(place, sku=place.lot_sku, lot="OLD-1", expiresOn=past)
    assert await _errors(graphql, RECEIVE, stale, admin.token, "receiveStock") == [("lot", "LOT_EXPIRED")]
    assert await StockMove.filter(product__sku=place.lot_sku).count() == 0
    stale["input"]["acceptExpired"] = True
    assert await _errors(graphql, RECEIVE, stale, admin.token, "receiveStock") == []
    today = _receive(place, sku=place.lot_sku, lot="TODAY-1", expiresOn=date.today().isoformat())
    assert await _errors(graphql, RECEIVE, today, admin.token, "receiveStock") == []  # good through its last day


# --- smaller gaps --------------------------------------------------------------------------------------


async def test_an_archived_product_gains_no_stock_from_a_count(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    assert await _errors(graphql, RECEIVE, _receive(place, quantity="5"), admin.token, "receiveStock") == []
    await graphql.run(ARCHIVE, {"sku": place.sku}, token=admin.token)
    count = {"input": {"sku": place.sku, "locationCode": place.bin_a, "idempotencyKey": str(uuid.uuid4())}}
    count["input"]["countedQuantity"] = "9"
    assert await _errors(graphql, ADJUST, count, admin.token, "adjustStock") == [("sku", "INVALID")]
    count["input"].update(countedQuantity="4", idempotencyKey=str(uuid.uuid4()))
    assert await _errors(graphql, ADJUST, count, admin.token, "adjustStock") == []  # a loss is still booked


async def test_an_unknown_operation_name_says_so(graphql: GraphQLClient, admin: Actor) -> None:
    response = await graphql.http.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "Nope"},
        headers={"authorization": f"Bearer {admin.token}", "accept": "application/graphql-response+json"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == 'Unknown operation named "Nope".'


async def test_a_permission_refusal_carries_its_code(graphql: GraphQLClient, viewer: Actor, place: Place) -> None:
    body = (await graphql.post(RECEIVE, _receive(place), viewer.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_production_suggests_no_names(settings: Settings, admin: Actor) -> None:
    from server.app import create_app

    production = dataclasses.replace(settings, environment="production", secret_key="a-real-secret-for-the-test")
    unknown_field = '{ product(sku: "X") { skuu } }'
    unknown_enum = (
        'mutation { issueStock(input: {sku: "X", locationCode: "Y", quantity: "1", idempotencyKey: "k",'
        " reason: SALEE}) { errors { code } } }"
    )
    answers = {}
    for mode in (settings, production):
        transport = httpx.ASGITransport(app=create_app(mode))
        async with httpx.AsyncClient(transport=transport, base_url="http://storekeeper.test") as http:
            client = GraphQLClient(http, InProcessQueue(), transport)
            answers[mode.environment] = [
                (await client.post(query, token=token)).json()["errors"][0]["message"]
                for query in (unknown_field, unknown_enum)
                for token in (admin.token, None)
                if token or query is unknown_field
            ]
    assert all("Did you mean" in message for message in answers["test"])  # so the test can fail
    assert answers["production"] and not any("Did you mean" in message for message in answers["production"])
    assert all("skuu" in message or "SALEE" in message or "Sign in" in message for message in answers["production"])


async def test_expected_refusals_are_answers_not_log_errors(
    graphql: GraphQLClient, admin: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    fan_out = "products { edges { node { stockLevels { onHand } } } }"
    costly = "{ " + " ".join(f"a{n}: {fan_out}" for n in range(30)) + " }"
    refused = [
        (costly, admin.token),
        ("{ nope }", admin.token),
        ("{ products { edges { cursor } } }", None),
        ('{ stockLevels(locationCode: "NO-SUCH") { edges { cursor } } }', admin.token),
    ]
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        for query, token in refused:
            assert (await graphql.post(query, token=token)).json()["errors"]
    assert [r.getMessage() for r in caplog.records if r.name == "strawberry.execution"] == []


async def test_the_document_cache_keeps_a_bounded_amount_of_text(graphql: GraphQLClient) -> None:
    from schema.query_cache import CACHED_DOCUMENT_LENGTH, CACHED_TEXT, MAX_DOCUMENT_LENGTH, DocumentCache

    padded = "#" + "x" * (MAX_DOCUMENT_LENGTH - 40) + "\n{ __typename }"
    for n in range(3):  # the longest documents, no token needed: answered, never kept
        assert (await graphql.post(f"#{n}{padded}")).json() == {"data": {"__typename": "Query"}}
    assert all(len(query) <= CACHED_DOCUMENT_LENGTH for query in DocumentCache.entries)
    refused = await graphql.post("#" + "x" * 1_000_000 + "\n{ __typename }")  # longer: refused unparsed
    assert refused.status_code == 400 and "variables" in refused.json()["errors"][0]["message"]
    filler = "#" + "x" * (CACHED_DOCUMENT_LENGTH - 40)
    for n in range(2 * CACHED_TEXT // CACHED_DOCUMENT_LENGTH):  # twice the budget, in the largest kept documents
        assert (await graphql.post(f"#{n}{filler}\n{{ __typename }}")).status_code == 200
    assert DocumentCache.text_kept == sum(map(len, DocumentCache.entries)) <= CACHED_TEXT
    small = "{ __typename }"
    await graphql.post(small)
    assert small in DocumentCache.entries and next(reversed(DocumentCache.entries)) == small


async def test_a_bug_is_logged_with_its_traceback_not_the_documents_lines(
    graphql: GraphQLClient, admin: Actor, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import schema.catalog.queries

    async def broken(sku: str) -> None:
        raise RuntimeError("a bug in a resolver")

    monkeypatch.setattr(schema.catalog.queries, "product_by_sku", broken)  # fault injection: a bug, on purpose
    padded = " " * 60_000 + '{ a: product(sku: "X") { sku } b: product(sku: "Y") { sku } }'
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        body = (await graphql.post(padded, token=admin.token)).json()
    assert [e["path"] for e in body["errors"]] == [["a"], ["b"]]
    logged = [r for r in caplog.records if r.name == "strawberry.execution"]
    assert len(logged) == 2 and all(r.exc_info and len(r.getMessage()) < 200 for r in logged)
    assert "a bug in a resolver (at a)" in logged[0].getMessage()


@pytest.mark.parametrize("type_name", ["Node", "Query", "ProductConnection", "UserError"])
async def test_a_global_id_of_a_type_that_is_no_object_of_ours_is_invalid(
    graphql: GraphQLClient, admin: Actor, type_name: str
) -> None:
    import base64

    node_id = base64.b64encode(f"{type_name}:1".encode()).decode()
    body = (await graphql.post("query N($id: ID!) { node(id: $id) { id } }", {"id": node_id}, admin.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID", body


async def test_an_unknown_operation_name_over_a_socket_says_so_in_production(settings: Settings, admin: Actor) -> None:
    from schema import build_schema
    from schema.websocket import SubscriptionApp
    from tests.schema.test_subscriptions_limits import Socket, SocketClosed

    production = dataclasses.replace(settings, environment="production", secret_key="a-real-secret-for-the-test")
    socket = await Socket(SubscriptionApp(build_schema(), production)).open(admin.token)
    await socket.send({"id": "1", "type": "subscribe",
                       "payload": {"query": "query A { me { username } }", "operationName": "B"}})  # fmt: skip
    with pytest.raises(SocketClosed) as closed:  # the protocol's answer to an operation it cannot run
        await socket.receive()
    assert (closed.value.code, closed.value.reason) == (4400, 'Unknown operation named "B".')


async def test_a_scan_names_one_thing_so_locations_and_products_share_no_code(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    def location(code: str) -> dict[str, Any]:
        return {"input": {"warehouseCode": place.warehouse, "code": code, "name": code}}

    assert await _errors(graphql, CREATE_LOCATION, location(place.sku.lower()), admin.token, "createLocation") == [
        ("code", "ALREADY_EXISTS")
    ]
    assert await _errors(graphql, CREATE_LOCATION, location("4006381333931"), admin.token, "createLocation") == [
        ("code", "INVALID")
    ]
    product = {"input": {"sku": place.bin_a, "name": "Twin of a bin"}}
    assert await _errors(graphql, CREATE_PRODUCT, product, admin.token, "createProduct") == [("sku", "ALREADY_EXISTS")]
    product = {"input": {"sku": unique("P"), "name": "Labelled like a bin", "barcodes": [place.bin_b]}}
    assert await _errors(graphql, CREATE_PRODUCT, product, admin.token, "createProduct") == [
        ("barcodes", "ALREADY_EXISTS")
    ]
    found = await graphql.run(RESOLVE, {"code": place.sku}, token=admin.token)
    assert found["resolveBarcode"]["kind"] == "PRODUCT"


async def test_several_operations_without_a_name_are_a_request_error(graphql: GraphQLClient, admin: Actor) -> None:
    response = await graphql.post("query A { __typename } query B { me { username } }", token=admin.token,
                                  accept="application/graphql-response+json")  # fmt: skip
    assert response.status_code == 400 and "operationName" in response.json()["errors"][0]["message"]
    chosen = await graphql.http.post(
        "/graphql", json={"query": "query A { __typename } query B { me { username } }", "operationName": "B"},
        headers={"authorization": f"Bearer {admin.token}"},
    )  # fmt: skip
    assert chosen.json() == {"data": {"me": {"username": admin.username}}}


async def test_a_subscription_sent_over_http_is_told_where_to_go(graphql: GraphQLClient, admin: Actor) -> None:
    response = await graphql.post('subscription { stockLevels(sku: "X") { onHand } }', token=admin.token)
    assert response.status_code == 400 and "WebSocket" in response.json()["errors"][0]["message"]


async def test_a_scan_names_one_product_so_skus_and_barcodes_of_two_never_meet(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    free_code = unique("FREE")
    owner = {"input": {"sku": unique("OWNER"), "name": "Owner", "barcodes": [free_code, "9501101530003"]}}
    assert await _errors(graphql, CREATE_PRODUCT, owner, admin.token, "createProduct") == []
    for sku in (free_code, "09501101530003", "9501101530003"):  # its free code, its GTIN in two spellings
        taken = {"input": {"sku": sku, "name": "Twin"}}
        assert await _errors(graphql, CREATE_PRODUCT, taken, admin.token, "createProduct") == [
            ("sku", "ALREADY_EXISTS")
        ]
    labelled = {"input": {"sku": unique("L"), "name": "Labelled", "barcodes": [place.sku]}}
    assert await _errors(graphql, CREATE_PRODUCT, labelled, admin.token, "createProduct") == [
        ("barcodes", "ALREADY_EXISTS")
    ]
    own = {"input": {"sku": unique("SELF"), "name": "Its own"}}
    own["input"]["barcodes"] = [own["input"]["sku"]]  # a product's barcode may be its own SKU
    assert await _errors(graphql, CREATE_PRODUCT, own, admin.token, "createProduct") == []
    gs1_bin = {"input": {"warehouseCode": place.warehouse, "code": "0109501101530003", "name": "Looks like GS1"}}
    assert await _errors(graphql, CREATE_LOCATION, gs1_bin, admin.token, "createLocation") == [("code", "INVALID")]
