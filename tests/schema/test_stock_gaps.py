"""Gaps the review of the stock core found, each as a user meets it over GraphQL: stock levels that offer
nothing for sale where nothing sells, reservation problems in the ledger check, a product's costing
method, a product's weight and a location's settings given when they are made, and revaluations on the
stock card. The ledger invariant holds after every step."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.models import Product
from server.db import connection
from server.inventory.check import check_ledger, run_and_store
from server.inventory.locations import VIRTUAL_LOCATIONS, create_location, create_warehouse
from server.inventory.models import Location, LocationKind
from tests.conftest import Actor, GraphQLClient, Place, unique

TRANSIT = VIRTUAL_LOCATIONS[LocationKind.TRANSIT][0]
ERRORS = "errors { field code message }"
RECEIVE = f"""mutation R($input: ReceiveStockInput!) {{
  receiveStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
ISSUE = f"""mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
UPDATE_LOCATION = f"""mutation U($input: UpdateLocationInput!) {{
  updateLocation(input: $input) {{ location {{ code }} {ERRORS} }} }}"""
RESERVE = f"""mutation R($input: ReserveStockInput!) {{
  reserveStock(input: $input) {{ reservation {{ reserved }} {ERRORS} }} }}"""
LEVEL = "locationCode lotCode sellable onHand reserved available"
LEVELS = f"""query L($sku: String!) {{
  stockLevels(sku: $sku, first: 50) {{ edges {{ node {{ id {LEVEL} }} }} }}
  product(sku: $sku) {{ stockLevels(first: 50) {{ {LEVEL} }} }} }}"""
LEVEL_NODE = f"""query N($id: ID!) {{ node(id: $id) {{ ... on StockLevel {{ {LEVEL} }} }} }}"""
AVAILABILITY = """query A($sku: String!) { availability(sku: $sku) { available bins { locationCode available } } }"""
CREATE_DOCUMENT = f"""mutation C($input: CreateDocumentInput!) {{
  createDocument(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{ transitionDocument(input: $input) {{ {ERRORS} }} }}"""
SHIP = f"""mutation S($input: ShipTransferInput!) {{ shipTransfer(input: $input) {{ {ERRORS} }} }}"""


def key() -> str:
    return str(uuid.uuid4())


async def ledger_ok() -> None:
    report = await check_ledger()
    assert report.ok, report.problems


async def post(graphql: GraphQLClient, actor: Actor, document: str, **input: Any) -> dict[str, Any]:
    data = await graphql.run(document, {"input": {"idempotencyKey": key(), **input}}, token=actor.token)
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def receive(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, quantity: str, **extra: Any) -> str:
    """Receive and check the ledger; the move's global id."""
    done = await post(graphql, actor, RECEIVE, sku=sku, locationCode=bin_, quantity=quantity, **extra)
    assert done["errors"] == [], done
    await ledger_ok()
    return done["moves"][0]["id"]  # type: ignore[no-any-return]


async def issue(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, quantity: str) -> None:
    done = await post(graphql, actor, ISSUE, sku=sku, locationCode=bin_, quantity=quantity)
    assert done["errors"] == [], done
    await ledger_ok()


async def levels(graphql: GraphQLClient, actor: Actor, sku: str) -> list[dict[str, Any]]:
    """The product's levels as the root query shows them, checked against ``Product.stockLevels`` and
    ``node(id)``: the three ways of reading a level must agree."""
    data = await graphql.run(LEVELS, {"sku": sku}, token=actor.token)
    nodes = [edge["node"] for edge in data["stockLevels"]["edges"]]
    shown = [{k: v for k, v in node.items() if k != "id"} for node in nodes]
    assert data["product"]["stockLevels"] == shown
    for node, level in zip(nodes, shown, strict=True):
        assert (await graphql.run(LEVEL_NODE, {"id": node["id"]}, token=actor.token))["node"] == level
    return shown


# ---- 1. stock levels: nothing is available where nothing sells ----


async def test_stock_in_a_bin_that_does_not_sell_is_on_hand_but_not_available_in_stock_levels(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "5")
    await receive(graphql, admin, place.sku, place.bin_b, "3")
    quarantined = await post(graphql, admin, UPDATE_LOCATION, code=place.bin_b, usage="QUARANTINE")
    assert quarantined["errors"] == []

    assert await levels(graphql, admin, place.sku) == [
        {"locationCode": place.bin_a, "lotCode": None, "sellable": True, "onHand": "5.0000", "reserved": "0.0000",
         "available": "5.0000"},
        {"locationCode": place.bin_b, "lotCode": None, "sellable": False, "onHand": "3.0000", "reserved": "0.0000",
         "available": "0.0000"},
    ]  # fmt: skip
    # the same as what availability says
    answer = (await graphql.run(AVAILABILITY, {"sku": place.sku}, token=admin.token))["availability"]
    assert answer["available"] == "5.0000"
    assert {b["locationCode"]: b["available"] for b in answer["bins"]} == {place.bin_a: "5.0000",
                                                                           place.bin_b: "0.0000"}  # fmt: skip


async def test_a_lot_past_its_removal_date_is_on_hand_but_not_available_in_stock_levels(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    gone = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
    fresh = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    await receive(graphql, admin, place.lot_sku, place.bin_a, "2", lot="OLD", expiresOn=gone, acceptExpired=True)
    await receive(graphql, admin, place.lot_sku, place.bin_a, "4", lot="NEW", expiresOn=fresh)
    shown = {level["lotCode"]: (level["sellable"], level["available"]) for level in
             await levels(graphql, admin, place.lot_sku)}  # fmt: skip
    assert shown == {"OLD": (True, "0.0000"), "NEW": (True, "4.0000")}


async def test_stock_in_transit_is_on_hand_but_never_available_in_stock_levels(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    far_warehouse, far_bin = unique("FAR"), unique("FARBIN")
    await create_warehouse(far_warehouse, "Far away", actor_id=admin.user_id)
    await create_location(far_warehouse, far_bin, far_bin, actor_id=admin.user_id)
    await receive(graphql, admin, place.sku, place.bin_a, "6")
    line = {"sku": place.sku, "quantity": "6", "location": place.bin_a, "toLocation": far_bin}
    draft = (await graphql.run(CREATE_DOCUMENT, {"input": {"type": "stock.transfer", "store": store, "lines": [line]}},
                               token=admin.token))["createDocument"]  # fmt: skip
    assert draft["errors"] == []
    document_id = draft["document"]["id"]
    confirmed = await graphql.run(ACT, {"input": {"id": document_id, "action": "confirm"}}, token=admin.token)
    assert confirmed["transitionDocument"]["errors"] == []
    assert (await graphql.run(SHIP, {"input": {"id": document_id}}, token=admin.token))["shipTransfer"]["errors"] == []
    await ledger_ok()

    assert await levels(graphql, admin, place.sku) == [
        {"locationCode": TRANSIT, "lotCode": None, "sellable": False, "onHand": "6.0000", "reserved": "0.0000",
         "available": "0.0000"},
    ]  # fmt: skip


# ---- 2. the ledger check proves the reservations too ----

LEDGER_CHECKS = """query C { ledgerChecks(last: 1) { edges { node { ok problems(first: 100) } } } }"""


async def test_the_ledger_check_reports_an_allocation_that_does_not_add_up(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "5")
    line = {"documentType": "sales.order", "documentId": 900_000_000 + uuid.uuid4().int % 10**8, "lineId": 1}
    reserved = await post(graphql, admin, RESERVE, **line, sku=place.sku, warehouseCode=place.warehouse, quantity="3")
    assert reserved["errors"] == [] and reserved["reservation"]["reserved"] == "3.0000"
    await ledger_ok()
    quant = await sql.fetch_one(
        connection(), "SELECT quant.id FROM quant JOIN product ON product.id = quant.product_id WHERE product.sku = $1",
        place.sku,
    )  # fmt: skip
    assert quant is not None
    await _corrupt_allocation(quant["id"], Decimal(4))  # the allocation says 4, the quant and the demand say 3
    try:
        await run_and_store()  # as the worker job and `storekeeper check-ledger` do
        checks = (await graphql.run(LEDGER_CHECKS, token=admin.token))["ledgerChecks"]["edges"]
        (latest,) = [edge["node"] for edge in checks]
        assert latest["ok"] is False
        demand = await sql.fetch_one(connection(), "SELECT id FROM stock_demand WHERE document_id = $1",
                                     line["documentId"])  # fmt: skip
        assert demand is not None
        assert [problem for problem in latest["problems"] if place.sku in problem] == [
            f"quant #{quant['id']} ({place.sku} in {place.bin_a}): reserved 3.0000, allocations 4.0000",
            f"demand #{demand['id']} ({place.sku}, sales.order {line['documentId']} line 1): reserved 3.0000,"
            " allocations 4.0000",
        ], latest["problems"]
    finally:
        await _corrupt_allocation(quant["id"], Decimal(3))
    await ledger_ok()


async def _corrupt_allocation(quant_id: int, quantity: Decimal) -> None:
    """Write an allocation's quantity behind the ledger's back, as a bug or a hand-edited row would."""
    async with in_transaction() as conn:
        await sql.execute(conn, "UPDATE stock_allocation SET quantity = $1 WHERE quant_id = $2", quantity, quant_id)


# ---- 3. a product's costing method is readable ----

COSTING = """query P($sku: String!) { product(sku: $sku) { sku costingMethod } }"""
SET_METHOD = f"""mutation S($input: SetCostingMethodInput!) {{ setCostingMethod(input: $input) {{ {ERRORS} }} }}"""


async def test_a_products_costing_method_is_shown_to_who_may_see_costs(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place
) -> None:
    assert (await graphql.run(COSTING, {"sku": place.sku}, token=admin.token))["product"] == {
        "sku": place.sku, "costingMethod": "AVERAGE"
    }  # fmt: skip
    assert (await post(graphql, admin, SET_METHOD, sku=place.sku, costingMethod="FIFO"))["errors"] == []
    assert (await graphql.run(COSTING, {"sku": place.sku}, token=admin.token))["product"]["costingMethod"] == "FIFO"
    body = (await graphql.post(COSTING, {"sku": place.sku}, token=viewer.token)).json()
    assert body["data"]["product"] == {"sku": place.sku, "costingMethod": None}  # hidden, the rest shown
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---- 5. a product's weight, and a location's settings, given when they are made ----

PRODUCT = "product { sku weightKg }"
CREATE_PRODUCT = f"""mutation C($input: CreateProductInput!) {{
  createProduct(input: $input) {{ {PRODUCT} {ERRORS} }} }}"""
UPDATE_PRODUCT = f"""mutation U($input: UpdateProductInput!) {{
  updateProduct(input: $input) {{ {PRODUCT} {ERRORS} }} }}"""
BAD_WEIGHTS = ["-1", "0", "abc", "1e3", "0.0000001", "1000000000", "\x00"]


async def test_a_products_weight_is_given_when_it_is_made_and_changed_with_its_other_facts(
    graphql: GraphQLClient, admin: Actor
) -> None:
    sku = unique("HEAVY")
    made = await post(graphql, admin, CREATE_PRODUCT, sku=sku, name="Anvil", weightKg="12.5")
    assert made == {"product": {"sku": sku, "weightKg": "12.5"}, "errors": []}
    renamed = await post(graphql, admin, UPDATE_PRODUCT, sku=sku, name="Big anvil")  # left out: unchanged
    assert renamed == {"product": {"sku": sku, "weightKg": "12.5"}, "errors": []}
    heavier = await post(graphql, admin, UPDATE_PRODUCT, sku=sku, weightKg="20.125")
    assert heavier == {"product": {"sku": sku, "weightKg": "20.125"}, "errors": []}
    cleared = await post(graphql, admin, UPDATE_PRODUCT, sku=sku, weightKg=None)
    assert cleared == {"product": {"sku": sku, "weightKg": None}, "errors": []}


@pytest.mark.parametrize("weight", BAD_WEIGHTS)
async def test_a_bad_weight_is_refused_and_writes_nothing(graphql: GraphQLClient, admin: Actor, weight: str) -> None:
    sku = unique("HEAVY")
    refused = await post(graphql, admin, CREATE_PRODUCT, sku=sku, name="Anvil", weightKg=weight)
    assert refused["product"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "weightKg"], "INVALID")]
    assert not await Product.filter(sku=sku).exists()
    assert (await post(graphql, admin, CREATE_PRODUCT, sku=sku, name="Anvil", weightKg="2"))["errors"] == []
    refused = await post(graphql, admin, UPDATE_PRODUCT, sku=sku, name="Renamed", weightKg=weight)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "weightKg"], "INVALID")]
    product = await Product.get(sku=sku)
    assert (product.name, product.weight_kg) == ("Anvil", 2)


LOCATION = "location { code usage sellable maxUnits maxWeightKg mixing parent { code } }"
CREATE_LOCATION = f"""mutation C($input: CreateLocationInput!) {{
  createLocation(input: $input) {{ {LOCATION} {ERRORS} }} }}"""


async def test_a_location_is_made_with_its_usage_and_limits(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    code = unique("QC")
    made = await post(graphql, admin, CREATE_LOCATION, warehouseCode=place.warehouse, code=code, name="QC bay",
                      usage="QUALITY_CONTROL", maxUnits="10", maxWeightKg="2.5", mixing="SAME_PRODUCT")  # fmt: skip
    assert made == {"location": {"code": code, "usage": "QUALITY_CONTROL", "sellable": False, "maxUnits": "10",
                                 "maxWeightKg": "2.5", "mixing": "SAME_PRODUCT", "parent": {"code": place.warehouse}},
                    "errors": []}  # fmt: skip
    # the limits hold from the first receipt
    over = await post(graphql, admin, RECEIVE, sku=place.sku, locationCode=code, quantity="11")
    assert [e["code"] for e in over["errors"]] == ["CAPACITY_EXCEEDED"]
    await receive(graphql, admin, place.sku, code, "10")
    assert [(level["locationCode"], level["sellable"], level["available"]) for level in
            await levels(graphql, admin, place.sku)] == [(code, False, "0.0000")]  # fmt: skip

    # a bin under it takes its usage unless told otherwise; a usage given brings its own sellable default
    child = await post(graphql, admin, CREATE_LOCATION, warehouseCode=place.warehouse, code=unique("QC"),
                       name="QC shelf", parentCode=code)  # fmt: skip
    assert (child["location"]["usage"], child["location"]["sellable"], child["location"]["maxUnits"]) == (
        "QUALITY_CONTROL", False, None)  # fmt: skip
    storage = await post(graphql, admin, CREATE_LOCATION, warehouseCode=place.warehouse, code=unique("ST"),
                         name="Shelf", parentCode=code, usage="STORAGE")  # fmt: skip
    assert (storage["location"]["usage"], storage["location"]["sellable"]) == ("STORAGE", True)
    kept = await post(graphql, admin, CREATE_LOCATION, warehouseCode=place.warehouse, code=unique("ST"),
                      name="Shelf", usage="STORAGE", sellable=False)  # fmt: skip
    assert (kept["location"]["usage"], kept["location"]["sellable"]) == ("STORAGE", False)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("maxUnits", "-1"), ("maxUnits", "0"), ("maxUnits", "1.00001"), ("maxWeightKg", "abc"), ("maxWeightKg", "0"),
     ("maxUnits", "\x00"), ("maxWeightKg", "9" * 1000)],
)  # fmt: skip
async def test_a_location_with_a_bad_limit_is_refused_and_not_made(
    graphql: GraphQLClient, admin: Actor, place: Place, setting: str, value: str
) -> None:
    code = unique("BAD")
    refused = await post(graphql, admin, CREATE_LOCATION, warehouseCode=place.warehouse, code=code, name="Bad",
                         **{setting: value})  # fmt: skip
    assert refused["location"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", setting], "INVALID")]
    assert not await Location.filter(code=code).exists()


# ---- 6. revaluations on the stock card ----

CARD = """query C($sku: String!, $warehouseCode: String, $first: Int, $after: String) {
  stockCard(sku: $sku, warehouseCode: $warehouseCode, first: $first, after: $after) {
    edges { cursor node { moveId kind quantity unitCost value quantityAfter valueAfter fromLocationCode } }
    pageInfo { hasNextPage endCursor } } }"""
VALUE = """query V($sku: String!, $warehouseCode: String) {
  stockValue(sku: $sku, warehouseCode: $warehouseCode) { quantity value } }"""
REVALUE = f"""mutation RV($input: RevalueStockMoveInput!) {{
  revalueStockMove(input: $input) {{ revaluation {{ revalued costOfGoods }} {ERRORS} }} }}"""


async def card(graphql: GraphQLClient, actor: Actor, sku: str, **variables: Any) -> dict[str, Any]:
    answer = await graphql.run(CARD, {"sku": sku, **variables}, token=actor.token)
    return answer["stockCard"]  # type: ignore[no-any-return]


async def card_in_pages(graphql: GraphQLClient, actor: Actor, sku: str, size: int, **variables: Any) -> list[Any]:
    lines, after = [], None
    while True:
        page = await card(graphql, actor, sku, first=size, after=after, **variables)
        lines += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return lines
        after = page["pageInfo"]["endCursor"]


async def test_a_revaluation_is_a_line_of_the_stock_card_so_the_running_value_adds_up(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    first = await receive(graphql, admin, place.sku, place.bin_a, "10", unitCost="5")
    await issue(graphql, admin, place.sku, place.bin_a, "4")
    await receive(graphql, admin, place.sku, place.bin_a, "6", unitCost="8")
    revalued = await post(graphql, admin, REVALUE, moveId=first, unitCost="6")  # 6 of its 10 units still here
    assert revalued["errors"] == [] and revalued["revaluation"] == {"revalued": "6.0000", "costOfGoods": "4.0000"}
    await ledger_ok()
    await issue(graphql, admin, place.sku, place.bin_a, "1")  # after the revaluation, at the new average

    lines = [edge["node"] for edge in (await card(graphql, admin, place.sku))["edges"]]
    assert [(line["kind"], line["quantity"], line["value"], line["quantityAfter"], line["valueAfter"])
            for line in lines] == [
        ("receive", "10.0000", "50.0000", "10.0000", "50.0000"),
        ("issue", "-4.0000", "-20.0000", "6.0000", "30.0000"),
        ("receive", "6.0000", "48.0000", "12.0000", "78.0000"),
        ("revaluation", "0.0000", "6.0000", "12.0000", "84.0000"),
        ("issue", "-1.0000", "-7.0000", "11.0000", "77.0000"),
    ]  # fmt: skip
    revaluation = lines[3]
    assert (revaluation["moveId"], revaluation["unitCost"], revaluation["fromLocationCode"]) == (first, "6.0000", None)
    value = (await graphql.run(VALUE, {"sku": place.sku}, token=admin.token))["stockValue"]
    assert (value["quantity"], value["value"]) == (lines[-1]["quantityAfter"], lines[-1]["valueAfter"])

    # page by page, whatever the size, the same lines with the same running figures
    for size in (1, 2, 3):
        assert await card_in_pages(graphql, admin, place.sku, size) == lines
    # the warehouse's card has it; another warehouse's has nothing of it
    assert await card_in_pages(graphql, admin, place.sku, 2, warehouseCode=place.warehouse) == lines
    other = unique("WH")
    await create_warehouse(other, "Elsewhere", actor_id=admin.user_id)
    assert (await card(graphql, admin, place.sku, warehouseCode=other))["edges"] == []


async def test_revaluations_made_one_after_another_keep_their_order_on_the_card(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    first = await receive(graphql, admin, place.sku, place.bin_a, "2", unitCost="1")
    second = await receive(graphql, admin, place.sku, place.bin_a, "2", unitCost="1")
    for move, cost in ((first, "2"), (second, "3"), (first, "4")):
        done = await post(graphql, admin, REVALUE, moveId=move, unitCost=cost)
        assert done["errors"] == [], done
    lines = await card_in_pages(graphql, admin, place.sku, 1)
    assert [(line["kind"], line["moveId"], line["value"], line["valueAfter"]) for line in lines] == [
        ("receive", first, "2.0000", "2.0000"),
        ("receive", second, "2.0000", "4.0000"),
        ("revaluation", first, "2.0000", "6.0000"),
        ("revaluation", second, "4.0000", "10.0000"),
        ("revaluation", first, "4.0000", "14.0000"),
    ]  # fmt: skip
    value = (await graphql.run(VALUE, {"sku": place.sku}, token=admin.token))["stockValue"]
    assert value == {"quantity": "4.0000", "value": "14.0000"}
    await ledger_ok()
