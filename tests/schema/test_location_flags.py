"""Not every bin sells, and bins hold only so much: location flags, capacity and mixing over GraphQL."""

from __future__ import annotations

import uuid
from typing import Any

from server.catalog.service import ProductDetails, create_product
from server.inventory.check import check_ledger
from server.inventory.locations import create_location
from server.inventory.models import StockMove
from tests.conftest import Actor, GraphQLClient, Place, SQLLog, unique

UPDATE_LOCATION = """
mutation U($input: UpdateLocationInput!) {
  updateLocation(input: $input) {
    location { code name usage sellable maxUnits maxWeightKg mixing }
    errors { field code message }
  }
}"""
SET_WEIGHT = """
mutation W($input: SetProductWeightInput!) {
  setProductWeight(input: $input) { product { sku weightKg } errors { field code message } }
}"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { quantity toLocationCode } errors { field code message } }
}"""
ISSUE = """
mutation I($input: IssueStockInput!) {
  issueStock(input: $input) { moves { quantity toLocationCode } errors { field code message } }
}"""
MOVE = """
mutation M($input: MoveStockInput!) {
  moveStock(input: $input) { moves { quantity } errors { field code message } }
}"""
ADJUST = """
mutation A($input: AdjustStockInput!) {
  adjustStock(input: $input) { moves { quantity } errors { field code message } }
}"""
LEVELS = """
query L($sku: String!, $location: String!) {
  stockLevels(sku: $sku, locationCode: $location) { edges { node { onHand } } }
}"""
LOCATIONS = """
query Q($warehouse: String!) { locations(warehouseCode: $warehouse) { edges { node { code usage sellable } } } }
"""


async def _update(graphql: GraphQLClient, token: str, code: str, **settings: Any) -> dict[str, Any]:
    variables = {"input": {"code": code, **settings}}
    return (await graphql.run(UPDATE_LOCATION, variables, token=token))["updateLocation"]  # type: ignore[no-any-return]


async def _post(graphql: GraphQLClient, token: str, document: str, **fields: Any) -> dict[str, Any]:
    data = await graphql.run(document, {"input": {"idempotencyKey": str(uuid.uuid4()), **fields}}, token=token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def _on_hand(graphql: GraphQLClient, token: str, sku: str, location: str) -> list[str]:
    data = await graphql.run(LEVELS, {"sku": sku, "location": location}, token=token)
    return [edge["node"]["onHand"] for edge in data["stockLevels"]["edges"]]


async def _ledger_is_sound(*skus: str) -> None:
    problems = [p for p in (await check_ledger()).problems if p.startswith(tuple(skus))]
    assert problems == []


async def _product(admin: Actor, name: str = "Thing") -> str:
    sku = unique("SKU")
    await create_product(sku, ProductDetails(name=name), actor_id=admin.user_id)
    return sku


async def test_a_sale_from_a_quarantine_bin_is_refused_and_scrapping_it_works(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    received = await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="5")
    assert received["errors"] == []
    updated = await _update(graphql, admin.token, place.bin_a.lower(), usage="QUARANTINE")
    assert updated["errors"] == []
    assert updated["location"]["usage"] == "QUARANTINE" and updated["location"]["sellable"] is False

    moves_before = await StockMove.filter(product__sku=place.sku).count()
    sale = await _post(graphql, admin.token, ISSUE, sku=place.sku, locationCode=place.bin_a, quantity="1")
    assert sale["moves"] == []
    assert sale["errors"] == [
        {"field": ["input", "locationCode"], "code": "NOT_SELLABLE", "message": sale["errors"][0]["message"]}
    ]
    assert await StockMove.filter(product__sku=place.sku).count() == moves_before
    await _ledger_is_sound(place.sku)

    scrap = await _post(graphql, admin.token, ISSUE, sku=place.sku, locationCode=place.bin_a, quantity="2",
                        reason="SCRAP")  # fmt: skip
    assert scrap["errors"] == [] and scrap["moves"][0]["toLocationCode"] == "VIRTUAL/SCRAP"
    assert await _on_hand(graphql, admin.token, place.sku, place.bin_a) == ["3.0000"]
    await _ledger_is_sound(place.sku)

    back = await _update(graphql, admin.token, place.bin_a, usage="STORAGE")
    assert back["location"]["sellable"] is True
    sale = await _post(graphql, admin.token, ISSUE, sku=place.sku, locationCode=place.bin_a, quantity="1")
    assert sale["errors"] == []
    await _ledger_is_sound(place.sku)


async def test_sellable_follows_the_usage_unless_given_and_new_locations_take_their_parents_flags(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    zone = unique("QC")
    await create_location(place.warehouse, zone, "QC zone", actor_id=admin.user_id)
    updated = await _update(graphql, admin.token, zone, usage="QUALITY_CONTROL", name="Quality control")
    expected = {"code": zone, "name": "Quality control", "usage": "QUALITY_CONTROL", "sellable": False,
                "maxUnits": None, "maxWeightKg": None, "mixing": "MIXED"}  # fmt: skip
    assert updated["location"] == expected
    child = unique("QC-BIN")
    await create_location(place.warehouse, child, "QC bin", parent_code=zone, actor_id=admin.user_id)
    listed = (await graphql.run(LOCATIONS, {"warehouse": place.warehouse}, token=admin.token))["locations"]["edges"]
    assert {"code": child, "usage": "QUALITY_CONTROL", "sellable": False} in [edge["node"] for edge in listed]

    sellable_damaged = await _update(graphql, admin.token, child, usage="DAMAGED", sellable=True)
    assert sellable_damaged["location"]["usage"] == "DAMAGED" and sellable_damaged["location"]["sellable"] is True
    kept = await _update(graphql, admin.token, child, name="Renamed")
    assert kept["location"]["usage"] == "DAMAGED" and kept["location"]["sellable"] is True


async def test_a_receipt_over_a_bins_unit_capacity_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    other = await _product(admin)
    limited = await _update(graphql, admin.token, place.bin_a, maxUnits="10")
    assert limited["location"]["maxUnits"] == "10" and limited["errors"] == []
    first = await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="8")
    assert first["errors"] == []

    moves_before = await StockMove.filter(to_location__code=place.bin_a).count()
    over = await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_a, quantity="3")
    assert over["moves"] == [] and [e["code"] for e in over["errors"]] == ["CAPACITY_EXCEEDED"]
    assert over["errors"][0]["field"] == ["input", "quantity"] and "10" in over["errors"][0]["message"]
    assert await StockMove.filter(to_location__code=place.bin_a).count() == moves_before
    assert await _on_hand(graphql, admin.token, other, place.bin_a) == []
    moved_in = await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_b, quantity="3")
    assert moved_in["errors"] == []
    over_by_move = await _post(graphql, admin.token, MOVE, sku=other, fromLocationCode=place.bin_b,
                               toLocationCode=place.bin_a, quantity="3")  # fmt: skip
    assert [e["code"] for e in over_by_move["errors"]] == ["CAPACITY_EXCEEDED"]

    fits = await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_a, quantity="2")
    assert fits["errors"] == []
    # A count says what is there: it is booked even beyond the limit.
    counted = await _post(graphql, admin.token, ADJUST, sku=other, locationCode=place.bin_a, countedQuantity="4")
    assert counted["errors"] == [] and counted["moves"][0]["quantity"] == "2.0000"
    # Over its limit, the bin still lets stock out.
    out = await _post(graphql, admin.token, ISSUE, sku=other, locationCode=place.bin_a, quantity="1")
    assert out["errors"] == []
    cleared = await _update(graphql, admin.token, place.bin_a, maxUnits=None)
    assert cleared["location"]["maxUnits"] is None
    assert (await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_a, quantity="50"))[
        "errors"
    ] == []
    await _ledger_is_sound(place.sku, other)


async def test_a_weight_limit_counts_product_weights_and_a_product_without_weight_counts_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    light = await _product(admin)
    weighed = await graphql.run(SET_WEIGHT, {"input": {"sku": place.sku.lower(), "weightKg": "2.5"}}, token=admin.token)
    assert weighed["setProductWeight"] == {"product": {"sku": place.sku, "weightKg": "2.5"}, "errors": []}
    limited = await _update(graphql, admin.token, place.bin_a, maxWeightKg="20")
    assert limited["location"]["maxWeightKg"] == "20"

    assert (await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="8"))[
        "errors"
    ] == []  # 20 kg: full
    heavy = await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="0.5")
    assert [e["code"] for e in heavy["errors"]] == ["CAPACITY_EXCEEDED"] and "kg" in heavy["errors"][0]["message"]
    weightless = await _post(graphql, admin.token, RECEIVE, sku=light, locationCode=place.bin_a, quantity="100")
    assert weightless["errors"] == []
    await _ledger_is_sound(place.sku, light)


async def test_mixing_same_product_and_empty_only_refuse_and_write_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    other = await _product(admin)
    await _update(graphql, admin.token, place.bin_a, mixing="SAME_PRODUCT")
    assert (await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="2"))[
        "errors"
    ] == []
    again = await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="2")
    assert again["errors"] == []
    mixed = await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_a, quantity="1")
    assert [(e["code"], e["field"]) for e in mixed["errors"]] == [("MIXING_REFUSED", ["input", "locationCode"])]
    assert await _on_hand(graphql, admin.token, other, place.bin_a) == []

    await _update(graphql, admin.token, place.bin_b, mixing="EMPTY_ONLY")
    assert (await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_b, quantity="1"))[
        "errors"
    ] == []
    top_up = await _post(graphql, admin.token, RECEIVE, sku=other, locationCode=place.bin_b, quantity="1")
    assert [e["code"] for e in top_up["errors"]] == ["MIXING_REFUSED"]
    into_full = await _post(graphql, admin.token, MOVE, sku=place.sku, fromLocationCode=place.bin_a,
                            toLocationCode=place.bin_b, quantity="1")  # fmt: skip
    assert [(e["code"], e["field"]) for e in into_full["errors"]] == [("MIXING_REFUSED", ["input", "toLocationCode"])]
    emptied = await _post(graphql, admin.token, ISSUE, sku=other, locationCode=place.bin_b, quantity="1")
    assert emptied["errors"] == []
    into_empty = await _post(graphql, admin.token, MOVE, sku=place.sku, fromLocationCode=place.bin_a,
                             toLocationCode=place.bin_b, quantity="4")  # fmt: skip
    assert into_empty["errors"] == []
    assert await _on_hand(graphql, admin.token, place.sku, place.bin_b) == ["4.0000"]
    await _ledger_is_sound(place.sku, other)


async def test_a_bin_without_limits_costs_no_statement_of_its_own(
    graphql: GraphQLClient, admin: Actor, place: Place, sql_log: SQLLog
) -> None:
    # The first receipt of the product in the warehouse reads its last cost: compare two that do not.
    for _ in range(2):
        sql_log.statements.clear()
        assert (await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="1"))[
            "errors"
        ] == []
    plain = list(sql_log.statements)
    await _update(graphql, admin.token, place.bin_b, maxUnits="100")
    sql_log.statements.clear()
    assert (await _post(graphql, admin.token, RECEIVE, sku=place.sku, locationCode=place.bin_b, quantity="1"))[
        "errors"
    ] == []
    limited = list(sql_log.statements)

    def capacity_reads(statements: list[str]) -> list[str]:
        return [s for s in statements if "JOIN product ON product.id = quant.product_id" in s or "advisory" in s]

    assert capacity_reads(plain) == [] and capacity_reads(limited)
    assert len(limited) > len(plain)


async def test_hostile_location_settings_and_weights_are_refused_as_user_errors(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place
) -> None:
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        ({"code": "\x00"}, "NOT_FOUND", ["input", "code"]),
        ({"code": "X" * 900_000}, "NOT_FOUND", ["input", "code"]),
        ({"code": unique("NOPE")}, "NOT_FOUND", ["input", "code"]),
        ({"code": "VIRTUAL/SUPPLIER", "sellable": False}, "INVALID", ["input", "code"]),
        ({"code": place.warehouse, "maxUnits": "5"}, "INVALID", ["input", "max_units"]),
        ({"code": place.bin_a, "name": "a\x00b"}, "INVALID", ["input", "name"]),
        ({"code": place.bin_a, "name": "n" * 900_000}, "INVALID", ["input", "name"]),
        ({"code": place.bin_a, "maxUnits": "-1"}, "INVALID", ["input", "maxUnits"]),
        ({"code": place.bin_a, "maxUnits": "0"}, "INVALID", ["input", "maxUnits"]),
        ({"code": place.bin_a, "maxUnits": "1e5"}, "INVALID", ["input", "maxUnits"]),
        ({"code": place.bin_a, "maxUnits": "9" * 10_000}, "INVALID", ["input", "maxUnits"]),
        ({"code": place.bin_a, "maxUnits": 12}, "INVALID", ["input", "maxUnits"]),
        ({"code": place.bin_a, "maxWeightKg": "0.0000001"}, "INVALID", ["input", "maxWeightKg"]),
        ({"code": place.bin_a, "maxWeightKg": "NaN"}, "INVALID", ["input", "maxWeightKg"]),
    ]
    for settings, code, field in cases:
        answer = await _update(graphql, admin.token, **settings)  # type: ignore[arg-type]
        assert answer["location"] is None, settings
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, field)], (str(settings)[:80], answer)
    unknown_enum = await graphql.post(UPDATE_LOCATION, {"input": {"code": place.bin_a, "mixing": "CHAOS"}}, admin.token)
    assert "errors" in unknown_enum.json()
    refused = await graphql.post(UPDATE_LOCATION, {"input": {"code": place.bin_a, "sellable": False}}, viewer.token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _update(graphql, admin.token, place.bin_a))["location"]["sellable"] is True

    for weight, code in (("-2", "INVALID"), ("0", "INVALID"), ("1.1234567", "INVALID"), ("x\x00", "INVALID")):
        answer = await graphql.run(SET_WEIGHT, {"input": {"sku": place.sku, "weightKg": weight}}, token=admin.token)
        assert [(e["code"], e["field"]) for e in answer["setProductWeight"]["errors"]] == [
            (code, ["input", "weightKg"])
        ]
    for sku in ("\x00", "S" * 900_000, unique("NOPE")):
        answer = await graphql.run(SET_WEIGHT, {"input": {"sku": sku, "weightKg": "1"}}, token=admin.token)
        assert [(e["code"], e["field"]) for e in answer["setProductWeight"]["errors"]] == [
            ("NOT_FOUND", ["input", "sku"])
        ]
    cleared = await graphql.run(SET_WEIGHT, {"input": {"sku": place.sku, "weightKg": None}}, token=admin.token)
    assert cleared["setProductWeight"]["product"]["weightKg"] is None


DOCUMENT = """
mutation C($input: CreateDocumentInput!) { createDocument(input: $input) { document { id } errors { field code } } }
"""
ACT = """
mutation A($input: TransitionDocumentInput!) {
  transitionDocument(input: $input) { document { state } errors { field code message } }
}"""


async def test_a_document_over_a_bins_limits_is_refused_on_its_lines_and_books_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    other = await _product(admin)
    await _update(graphql, admin.token, place.bin_a, maxUnits="5", mixing="SAME_PRODUCT")
    lines = [
        {"sku": place.sku, "quantity": "4", "location": place.bin_a},
        {"sku": place.sku, "quantity": "1", "location": place.bin_b},
        {"sku": place.sku, "quantity": "2", "location": place.bin_a},
    ]
    created = await graphql.run(DOCUMENT, {"input": {"type": "stock.inbound", "store": store, "lines": lines}},
                                token=admin.token)  # fmt: skip
    document = created["createDocument"]["document"]
    for action in ("confirm", "post"):
        answer = (await graphql.run(ACT, {"input": {"id": document["id"], "action": action}}, token=admin.token))[
            "transitionDocument"
        ]
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("CAPACITY_EXCEEDED", ["input", "lines", "0", "quantity"]),
        ("CAPACITY_EXCEEDED", ["input", "lines", "2", "quantity"]),
    ]
    assert await _on_hand(graphql, admin.token, place.sku, place.bin_b) == []

    mixed = [{"sku": place.sku, "quantity": "1", "location": place.bin_a},
             {"sku": other, "quantity": "1", "location": place.bin_a}]  # fmt: skip
    created = await graphql.run(DOCUMENT, {"input": {"type": "stock.inbound", "store": store, "lines": mixed}},
                                token=admin.token)  # fmt: skip
    document = created["createDocument"]["document"]
    for action in ("confirm", "post"):
        answer = (await graphql.run(ACT, {"input": {"id": document["id"], "action": action}}, token=admin.token))[
            "transitionDocument"
        ]
    assert [(e["code"], e["field"]) for e in answer["errors"]] == [
        ("MIXING_REFUSED", ["input", "lines", "0", "location"]),
        ("MIXING_REFUSED", ["input", "lines", "1", "location"]),
    ]
    await _ledger_is_sound(place.sku, other)
