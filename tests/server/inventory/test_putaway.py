"""Putaway over GraphQL: rules per warehouse, then a bin holding the product with room, then an empty bin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from server.catalog.service import ProductDetails, create_product
from server.inventory.check import check_ledger
from server.inventory.locations import LocationSettings, create_location, create_warehouse, update_location
from tests.conftest import Actor, GraphQLClient, Place, unique

SUGGEST = """
query S($sku: String!, $warehouse: String!, $quantity: Decimal!, $lot: String) {
  putawaySuggestion(sku: $sku, warehouseCode: $warehouse, quantity: $quantity, lot: $lot) {
    locationCode reason location { code usage } rule { id sequence }
  }
}"""
CREATE_RULE = """
mutation C($input: CreatePutawayRuleInput!) {
  createPutawayRule(input: $input) {
    rule { id warehouseCode sku category sequence location { code } } errors { field code message }
  }
}"""
UPDATE_RULE = """
mutation U($input: UpdatePutawayRuleInput!) {
  updatePutawayRule(input: $input) { rule { id sequence location { code } } errors { field code message } }
}"""
DELETE_RULE = """
mutation D($input: DeletePutawayRuleInput!) {
  deletePutawayRule(input: $input) { deletedId errors { field code message } }
}"""
RULES = """
query R($warehouse: String) { putawayRules(warehouseCode: $warehouse) { edges { node { id sku category } } } }
"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { quantity } putaway { locationCode reason } errors { field code message } }
}"""


@dataclass
class Layout:
    """A warehouse with a receiving dock, two bins at its root and a zone of two bins (in id order)."""

    warehouse: str
    bin_a: str
    bin_b: str
    dock: str
    zone: str
    zone_a: str
    zone_b: str
    sku: str
    category: str


@pytest.fixture
async def layout(place: Place, admin: Actor) -> Layout:
    who: dict[str, Any] = {"actor_id": admin.user_id}
    dock, zone, zone_a, zone_b = unique("DOCK"), unique("ZONE"), unique("ZA"), unique("ZB")
    await create_location(place.warehouse, dock, "Dock", **who)
    await update_location(dock, LocationSettings(usage="receiving"), **who)
    await create_location(place.warehouse, zone, "Zone", **who)
    for code in (zone_a, zone_b):
        await create_location(place.warehouse, code, code, parent_code=zone, **who)
    category = unique("Category")
    await create_product(place.sku + "-C", ProductDetails(name="In a category", category=category), **who)
    return Layout(place.warehouse, place.bin_a, place.bin_b, dock, zone, zone_a, zone_b, place.sku + "-C", category)


async def _suggest(graphql: GraphQLClient, token: str, layout: Layout, quantity: str = "5", **extra: Any) -> Any:
    variables = {"sku": layout.sku, "warehouse": layout.warehouse.lower(), "quantity": quantity, **extra}
    return (await graphql.run(SUGGEST, variables, token=token))["putawaySuggestion"]


async def _mutate(graphql: GraphQLClient, token: str, document: str, **fields: Any) -> dict[str, Any]:
    data = await graphql.run(document, {"input": fields}, token=token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def _receive(graphql: GraphQLClient, token: str, sku: str, location: str, quantity: str, **extra: Any) -> Any:
    return await _mutate(graphql, token, RECEIVE, sku=sku, locationCode=location, quantity=quantity,
                         idempotencyKey=str(uuid.uuid4()), **extra)  # fmt: skip


async def _ledger_is_sound(sku: str) -> None:
    assert [p for p in (await check_ledger()).problems if p.startswith(sku)] == []


async def test_a_suggestion_follows_the_rules_then_existing_stock_with_room_then_an_empty_bin(
    graphql: GraphQLClient, admin: Actor, layout: Layout
) -> None:
    token, who = admin.token, {"actor_id": admin.user_id}
    empty = await _suggest(graphql, token, layout)
    assert (empty["locationCode"], empty["reason"], empty["rule"]) == (layout.bin_a, "EMPTY_BIN", None)

    assert (await _receive(graphql, token, layout.sku, layout.bin_b, "3"))["errors"] == []
    beside = await _suggest(graphql, token, layout)
    assert (beside["locationCode"], beside["reason"]) == (layout.bin_b, "EXISTING_STOCK")
    await update_location(layout.bin_b, LocationSettings(max_units="7"), **who)  # 3 + 5 would not fit
    no_room = await _suggest(graphql, token, layout)
    assert (no_room["locationCode"], no_room["reason"]) == (layout.bin_a, "EMPTY_BIN")
    assert (await _suggest(graphql, token, layout, quantity="4"))["locationCode"] == layout.bin_b  # 4 fits

    to_zone = await _mutate(graphql, token, CREATE_RULE, warehouseCode=layout.warehouse, locationCode=layout.zone,
                            sku=layout.sku.lower(), sequence=10)  # fmt: skip
    assert to_zone["errors"] == [] and to_zone["rule"]["sku"] == layout.sku
    by_zone = await _suggest(graphql, token, layout)
    assert (by_zone["locationCode"], by_zone["reason"]) == (layout.zone_a, "RULE")
    assert by_zone["rule"]["id"] == to_zone["rule"]["id"]

    to_bin = await _mutate(graphql, token, CREATE_RULE, warehouseCode=layout.warehouse, locationCode=layout.zone_b,
                           sku=layout.sku, sequence=5)  # fmt: skip
    assert (await _suggest(graphql, token, layout))["locationCode"] == layout.zone_b
    by_category = await _mutate(graphql, token, CREATE_RULE, warehouseCode=layout.warehouse,
                                locationCode=layout.bin_a, category=layout.category, sequence=5)  # fmt: skip
    assert by_category["rule"]["category"] == layout.category
    assert (await _suggest(graphql, token, layout))["locationCode"] == layout.zone_b  # a tie: the product's rule first
    moved = await _mutate(graphql, token, UPDATE_RULE, id=by_category["rule"]["id"], sequence=1)
    assert moved["rule"]["sequence"] == 1
    assert (await _suggest(graphql, token, layout))["locationCode"] == layout.bin_a

    # A rule's bin without room, or not for storage, passes to the next rule.
    await update_location(layout.bin_a, LocationSettings(usage="quarantine"), **who)
    assert (await _suggest(graphql, token, layout))["locationCode"] == layout.zone_b
    await update_location(layout.zone_b, LocationSettings(max_units="2"), **who)
    assert (await _suggest(graphql, token, layout))["locationCode"] == layout.zone_a

    # In the zone, a bin holding only another product, which mixes with nothing, is passed over.
    other = unique("OTHER")
    await create_product(other, ProductDetails(name="Other"), **who)
    await update_location(layout.zone_a, LocationSettings(mixing="same_product"), **who)
    assert (await _receive(graphql, token, other, layout.zone_a, "1"))["errors"] == []
    assert await _suggest(graphql, token, layout) is None  # zone_b too small, zone_a taken, bin_b full, bin_a QC

    for rule in (to_zone, to_bin, by_category):
        gone = await _mutate(graphql, token, DELETE_RULE, id=rule["rule"]["id"])
        assert gone == {"deletedId": rule["rule"]["id"], "errors": []}
    await update_location(layout.bin_b, LocationSettings(max_units=None), **who)
    assert (await _suggest(graphql, token, layout))["locationCode"] == layout.bin_b
    await _ledger_is_sound(layout.sku)


async def test_a_receipt_into_the_dock_answers_where_to_put_it_away(
    graphql: GraphQLClient, admin: Actor, layout: Layout
) -> None:
    token = admin.token
    await _mutate(graphql, token, CREATE_RULE, warehouseCode=layout.warehouse, locationCode=layout.zone_b,
                  sku=layout.sku)  # fmt: skip
    docked = await _receive(graphql, token, layout.sku, layout.dock, "6")
    assert docked["errors"] == [] and docked["putaway"] == {"locationCode": layout.zone_b, "reason": "RULE"}
    stored = await _receive(graphql, token, layout.sku, layout.zone_a, "1")
    assert stored["errors"] == [] and stored["putaway"] is None  # already in storage
    refused = await _receive(graphql, token, layout.sku, layout.dock, "-1")
    assert refused["putaway"] is None and refused["errors"][0]["code"] == "INVALID"
    await _ledger_is_sound(layout.sku)


async def test_lots_already_in_a_bin_draw_more_of_the_same_lot(
    graphql: GraphQLClient, admin: Actor, place: Place, layout: Layout
) -> None:
    token = admin.token
    assert (await _receive(graphql, token, place.lot_sku, layout.bin_b, "1", lot="L1"))["errors"] == []
    assert (await _receive(graphql, token, place.lot_sku, layout.zone_a, "1", lot="L2"))["errors"] == []
    variables = {"sku": place.lot_sku, "warehouse": layout.warehouse, "quantity": "1"}
    same_lot = (await graphql.run(SUGGEST, {**variables, "lot": "l2"}, token=token))["putawaySuggestion"]
    assert (same_lot["locationCode"], same_lot["reason"]) == (layout.zone_a, "EXISTING_STOCK")
    new_lot = (await graphql.run(SUGGEST, {**variables, "lot": "L9"}, token=token))["putawaySuggestion"]
    assert new_lot["locationCode"] == layout.bin_b
    await _ledger_is_sound(place.lot_sku)


async def test_putaway_rules_are_kept_by_idempotency_key_listed_and_managed_only_with_the_permission(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, layout: Layout
) -> None:
    key = str(uuid.uuid4())
    fields = {"warehouseCode": layout.warehouse, "locationCode": layout.zone, "sku": layout.sku, "idempotencyKey": key}
    first = await _mutate(graphql, admin.token, CREATE_RULE, **fields)
    again = await _mutate(graphql, admin.token, CREATE_RULE, **fields)
    assert first["errors"] == [] and again == first
    listed = (await graphql.run(RULES, {"warehouse": layout.warehouse}, token=viewer.token))["putawayRules"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [first["rule"]["id"]]
    assert (await graphql.run(RULES, {"warehouse": "\x00"}, token=viewer.token))["putawayRules"]["edges"] == []

    forbidden = await graphql.post(CREATE_RULE, {"input": {**fields, "idempotencyKey": None}}, viewer.token)
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    delete_key = str(uuid.uuid4())
    for _ in range(2):  # a retry answers the same, the rule being gone
        gone = await _mutate(graphql, admin.token, DELETE_RULE, id=first["rule"]["id"], idempotencyKey=delete_key)
        assert gone == {"deletedId": first["rule"]["id"], "errors": []}
    twice = await _mutate(graphql, admin.token, DELETE_RULE, id=first["rule"]["id"])
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [("NOT_FOUND", ["input", "id"])]


async def test_hostile_putaway_arguments_are_user_errors(
    graphql: GraphQLClient, admin: Actor, place: Place, layout: Layout
) -> None:
    token = admin.token
    huge = "X" * 900_000
    base: dict[str, Any] = {"sku": layout.sku, "warehouse": layout.warehouse, "quantity": "1"}
    for changed, code in (
        ({"sku": "\x00"}, "NOT_FOUND"), ({"sku": huge}, "NOT_FOUND"), ({"sku": unique("NOPE")}, "NOT_FOUND"),
        ({"warehouse": "\x00"}, "NOT_FOUND"), ({"warehouse": huge}, "NOT_FOUND"),
        ({"quantity": "-1"}, "INVALID"), ({"quantity": "abc"}, "INVALID"), ({"quantity": "1e9"}, "INVALID"),
        ({"quantity": "0"}, "INVALID"), ({"quantity": "9" * 50}, "INVALID"),
        ({"lot": "\x00"}, "INVALID"), ({"lot": huge}, "INVALID"), ({"lot": "L1"}, "INVALID"),  # not tracked by lot
    ):  # fmt: skip
        body = (await graphql.post(SUGGEST, {**base, **changed}, token)).json()
        assert body["data"] == {"putawaySuggestion": None}, changed
        assert [e["extensions"]["code"] for e in body["errors"]] == [code], (str(changed)[:60], body["errors"])

    rule: dict[str, Any] = {"warehouseCode": layout.warehouse, "locationCode": layout.zone, "sku": layout.sku}
    other_warehouse = unique("WH")
    await create_warehouse(other_warehouse, "Elsewhere", actor_id=admin.user_id)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"sku": None}, "INVALID", "sku"),
        ({"category": layout.category}, "INVALID", "sku"),
        ({"sku": "\x00"}, "NOT_FOUND", "sku"),
        ({"sku": huge}, "NOT_FOUND", "sku"),
        ({"sku": unique("NOPE")}, "NOT_FOUND", "sku"),
        ({"sku": None, "category": "\x00"}, "NOT_FOUND", "category"),
        ({"sku": None, "category": unique("Nothing")}, "NOT_FOUND", "category"),
        ({"warehouseCode": "\x00"}, "NOT_FOUND", "warehouseCode"),
        ({"warehouseCode": other_warehouse}, "INVALID", "locationCode"),
        ({"locationCode": huge}, "NOT_FOUND", "locationCode"),
        ({"locationCode": "VIRTUAL/SUPPLIER"}, "INVALID", "locationCode"),
        ({"locationCode": layout.warehouse}, "INVALID", "locationCode"),  # the root holds nothing
        ({"sequence": -1}, "INVALID", "sequence"),
        ({"sequence": 2_000_000_000}, "INVALID", "sequence"),
        ({"idempotencyKey": "\x00"}, "INVALID", "idempotencyKey"),
    ]
    for changed, code, field in cases:
        answer = await _mutate(graphql, token, CREATE_RULE, **{**rule, **changed})
        assert answer["rule"] is None, changed
        found = [(e["code"], e["field"]) for e in answer["errors"]]
        assert found == [(code, ["input", field])], (str(changed)[:60], answer["errors"])

    made = await _mutate(graphql, token, CREATE_RULE, **rule)
    product_id = (await graphql.run("{ products(first: 1) { edges { node { id } } } }", token=token))["products"]
    not_a_rule = product_id["edges"][0]["node"]["id"]
    for bad_id in ("\x00", huge[:1000], "abc", not_a_rule, "UHV0YXdheVJ1bGU6OTk5OTk5OTk5OTk5", "UHV0YXdheVJ1bGU6MA=="):
        for document in (UPDATE_RULE, DELETE_RULE):
            answer = await _mutate(graphql, token, document, id=bad_id)
            assert [e["code"] for e in answer["errors"]] in (["INVALID"], ["NOT_FOUND"]), (bad_id[:40], answer)
    updates: list[tuple[dict[str, Any], str, str]] = [
        ({"locationCode": "\x00"}, "NOT_FOUND", "locationCode"),
        ({"locationCode": place.warehouse}, "INVALID", "locationCode"),
        ({"sequence": -5}, "INVALID", "sequence"),
    ]
    for changed, code, field in updates:
        answer = await _mutate(graphql, token, UPDATE_RULE, id=made["rule"]["id"], **changed)
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [(code, ["input", field])]


async def test_a_bin_with_room_in_a_full_zone_is_not_suggested(
    graphql: GraphQLClient, admin: Actor, layout: Layout
) -> None:
    """The zone holds at most 6: with 3 in it, 5 more fit none of its bins (postings would refuse them), so the
    rule to the zone passes on to the bins outside it; 3 still fit."""
    token, who = admin.token, {"actor_id": admin.user_id}
    await update_location(layout.zone, LocationSettings(max_units="6"), **who)
    assert (await _receive(graphql, token, layout.sku, layout.zone_a, "3"))["errors"] == []
    await _mutate(graphql, token, CREATE_RULE, warehouseCode=layout.warehouse, locationCode=layout.zone,
                  sku=layout.sku, sequence=10)  # fmt: skip

    too_much = await _suggest(graphql, token, layout, quantity="5")
    fits = await _suggest(graphql, token, layout, quantity="3")

    assert (too_much["locationCode"], too_much["reason"]) == (layout.bin_a, "EMPTY_BIN")
    assert (fits["locationCode"], fits["reason"]) == (layout.zone_a, "RULE")
    refused = await _receive(graphql, token, layout.sku, layout.zone_b, "5")
    assert [e["code"] for e in refused["errors"]] == ["CAPACITY_EXCEEDED"]  # what the suggestion spared
