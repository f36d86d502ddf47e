"""Replenishment over GraphQL: rules set, listed and removed (hostile input refused before the database),
and a run asked for on demand that proposes a draft transfer, which posts like any other."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from strawberry import relay

from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import LocationSettings, create_location, create_warehouse
from server.jobs.models import JobRecord, JobStatus
from tests.conftest import Actor, GraphQLClient, Place, unique

ERRORS = "errors { field code message }"
RULE = "rule { id warehouseCode sku minimum maximum location { code } source { code } }"
SET = f"mutation S($input: SetReplenishmentRuleInput!) {{ setReplenishmentRule(input: $input) {{ {RULE} {ERRORS} }} }}"
REMOVE = f"""mutation R($input: RemoveReplenishmentRuleInput!) {{
  removeReplenishmentRule(input: $input) {{ removedId {ERRORS} }} }}"""
RUN = f"mutation J($input: RunReplenishmentInput!) {{ runReplenishment(input: $input) {{ jobId enqueued {ERRORS} }} }}"
RULES = """query L($warehouseCode: String, $locationCode: String, $sku: String, $first: Int, $after: String) {
  replenishmentRules(warehouseCode: $warehouseCode, locationCode: $locationCode, sku: $sku, first: $first,
                     after: $after) {
    edges { node { sku minimum maximum location { code } } } pageInfo { hasNextPage endCursor } } }"""
DOCUMENT = """query D($id: ID!) { document(id: $id) {
  id state reason store lines { sku location toLocation lot quantity } } }"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state }} {ERRORS} }} }}"""
LEVELS = """query L($sku: String!) { stockLevels(sku: $sku, first: 50) { edges { node { locationCode onHand } } } }"""


async def call(graphql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    data = await graphql.run(query, {"input": input}, token=token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


def errors(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(".".join(e["field"]), e["code"]) for e in payload["errors"]]


@pytest.fixture
async def bins(place: Place, admin: Actor) -> tuple[str, str, str]:
    """A zone of the place's warehouse with a pick bin and a reserve bin in it: (zone, pick bin, reserve bin)."""
    zone, pick, reserve = unique("ZONE"), unique("PICK"), unique("RES")
    await create_location(place.warehouse, zone, zone, actor_id=admin.user_id)
    for code in (pick, reserve):
        await create_location(place.warehouse, code, code, parent_code=zone, actor_id=admin.user_id)
    return zone, pick, reserve


async def test_rules_are_set_changed_listed_by_page_and_filter_and_removed(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, bins: tuple[str, str, str]
) -> None:
    _, pick, _ = bins
    made = await call(graphql, SET, admin.token, locationCode=pick.lower(), sku=place.sku, minimum="2", maximum="10")
    assert made["errors"] == [] and made["rule"]["location"]["code"] == pick
    changed = await call(graphql, SET, admin.token, locationCode=pick, sku=place.sku, minimum="0", maximum="12.5",
                         sourceLocationCode=place.bin_a)  # fmt: skip
    assert changed["rule"]["id"] == made["rule"]["id"]
    assert (changed["rule"]["minimum"], changed["rule"]["maximum"], changed["rule"]["source"]) == (
        "0.0000", "12.5000", {"code": place.bin_a})  # fmt: skip
    await call(graphql, SET, admin.token, locationCode=place.bin_b, sku=place.sku, minimum="1", maximum="3")
    await call(graphql, SET, admin.token, locationCode=pick, sku=place.lot_sku, minimum="1", maximum="3")

    first = await graphql.run(RULES, {"warehouseCode": place.warehouse, "first": 2}, token=viewer.token)
    page = first["replenishmentRules"]
    rest = (await graphql.run(RULES, {"warehouseCode": place.warehouse, "first": 2,
                                      "after": page["pageInfo"]["endCursor"]}, token=viewer.token))  # fmt: skip
    listed = [e["node"] for e in page["edges"] + rest["replenishmentRules"]["edges"]]
    assert page["pageInfo"]["hasNextPage"] and len(listed) == 3
    by_sku = await graphql.run(RULES, {"sku": place.lot_sku}, token=viewer.token)
    assert [e["node"]["location"]["code"] for e in by_sku["replenishmentRules"]["edges"]] == [pick]
    nowhere = await graphql.run(RULES, {"locationCode": "\x00" * 500}, token=viewer.token)
    assert nowhere["replenishmentRules"]["edges"] == []

    refused = await graphql.post(SET, {"input": {"locationCode": pick, "sku": place.sku, "minimum": "1",
                                                 "maximum": "2"}}, viewer.token)  # fmt: skip
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    removed = await call(graphql, REMOVE, admin.token, locationCode=pick, sku=place.sku)
    assert removed["errors"] == [] and removed["removedId"] == made["rule"]["id"]
    again = await call(graphql, REMOVE, admin.token, locationCode=pick, sku=place.sku)
    assert errors(again) == [("input.sku", "NOT_FOUND")]
    for location, sku, field in (("NO-SUCH-BIN", place.sku, "locationCode"), (pick, "NO-SUCH-SKU", "sku"),
                                 ("\x00", place.sku, "locationCode"), (pick, "S" * 5000, "sku")):  # fmt: skip
        unknown = await call(graphql, REMOVE, admin.token, locationCode=location, sku=sku)
        assert errors(unknown) == [(f"input.{field}", "NOT_FOUND")], (location, sku)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"locationCode": "NO-SUCH-BIN"}, ("input.locationCode", "NOT_FOUND")),
        ({"locationCode": "P\x00"}, ("input.locationCode", "NOT_FOUND")),
        ({"locationCode": "P" * 10_000}, ("input.locationCode", "NOT_FOUND")),
        ({"sku": "NO-SUCH-SKU"}, ("input.sku", "NOT_FOUND")),
        ({"sku": "S\x00KU"}, ("input.sku", "NOT_FOUND")),
        ({"sku": "S" * 5000}, ("input.sku", "NOT_FOUND")),
        ({"minimum": "-1"}, ("input.minimum", "INVALID")),
        ({"minimum": "1.00001"}, ("input.minimum", "INVALID")),
        ({"minimum": "1e3"}, ("input.minimum", "INVALID")),
        ({"minimum": "NaN"}, ("input.minimum", "INVALID")),
        ({"maximum": "0"}, ("input.maximum", "INVALID")),
        ({"maximum": "2"}, ("input.maximum", "INVALID")),  # not above the minimum
        ({"maximum": "1000000000000"}, ("input.maximum", "INVALID")),
        ({"maximum": 5}, ("input.maximum", "INVALID")),  # a JSON number, not the string the API takes
        ({"sourceLocationCode": "NOWHERE"}, ("input.sourceLocationCode", "NOT_FOUND")),
        ({"sourceLocationCode": "\x00"}, ("input.sourceLocationCode", "NOT_FOUND")),
    ],
)
async def test_hostile_or_wrong_rules_are_refused_at_their_field(
    graphql: GraphQLClient, admin: Actor, place: Place, bins: tuple[str, str, str], change: dict[str, Any],
    expected: tuple[str, str],
) -> None:  # fmt: skip
    _, pick, _ = bins
    given = {"locationCode": pick, "sku": place.sku, "minimum": "2", "maximum": "10", **change}
    payload = await call(graphql, SET, admin.token, **given)
    assert (payload["rule"], errors(payload)) == (None, [expected])


async def test_a_zone_another_warehouses_bin_or_a_bin_that_does_not_sell_are_refused(
    graphql: GraphQLClient, admin: Actor, place: Place, bins: tuple[str, str, str]
) -> None:
    zone, pick, _ = bins
    elsewhere, far, damaged = unique("WH"), unique("FAR"), unique("DMG")
    await create_warehouse(elsewhere, "Elsewhere", actor_id=admin.user_id)
    await create_location(elsewhere, far, far, actor_id=admin.user_id)
    await create_location(place.warehouse, damaged, damaged, settings=LocationSettings(usage="damaged"),
                          actor_id=admin.user_id)  # fmt: skip
    rule = {"sku": place.sku, "minimum": "1", "maximum": "5"}

    for location, source, field in ((zone, None, "locationCode"), (damaged, None, "locationCode"),
                                    (pick, far, "sourceLocationCode"), (pick, pick, "sourceLocationCode")):  # fmt: skip
        payload = await call(graphql, SET, admin.token, locationCode=location, sourceLocationCode=source, **rule)
        assert errors(payload) == [(f"input.{field}", "INVALID")], (location, source)


async def test_a_run_on_demand_proposes_a_draft_transfer_that_posts_like_any_other(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, store: str, bins: tuple[str, str, str]
) -> None:
    _, pick, reserve = bins
    await ledger.receive(place.sku, reserve, "30", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    await call(graphql, SET, admin.token, locationCode=pick, sku=place.sku, minimum="5", maximum="20")
    key = str(uuid.uuid4())

    unknown = await call(graphql, RUN, admin.token, idempotencyKey=key, warehouseCode="NO-SUCH-WH")
    asked = await call(graphql, RUN, admin.token, idempotencyKey=key, warehouseCode=place.warehouse.lower())
    again = await call(graphql, RUN, admin.token, idempotencyKey=key, warehouseCode=place.warehouse)
    await graphql.queue.wait()

    assert errors(unknown) == [("input.warehouseCode", "NOT_FOUND")]
    assert (asked["enqueued"], again["enqueued"], again["jobId"]) == (True, False, asked["jobId"])
    record = await JobRecord.get(job_id=asked["jobId"])
    assert record.status == JobStatus.DONE, record.error
    [outcome] = record.result["warehouses"]
    assert (outcome["warehouse"], outcome["lines"], outcome["short"]) == (place.warehouse, 1, [])
    refused = await graphql.post(RUN, {"input": {"idempotencyKey": str(uuid.uuid4())}}, viewer.token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    document_id = relay.to_base64("Document", outcome["document_id"])
    proposal = (await graphql.run(DOCUMENT, {"id": document_id}, token=admin.token))["document"]
    assert (proposal["state"], proposal["reason"], proposal["store"]) == ("draft", "replenishment", store)
    assert proposal["lines"] == [{"sku": place.sku, "location": reserve, "toLocation": pick, "lot": None,
                                  "quantity": "20.0000"}]  # fmt: skip
    for action in ("confirm", "post"):
        acted = await call(graphql, ACT, admin.token, id=proposal["id"], action=action)
        assert acted["errors"] == [], acted
    levels = (await graphql.run(LEVELS, {"sku": place.sku}, token=admin.token))["stockLevels"]["edges"]
    assert {e["node"]["locationCode"]: e["node"]["onHand"] for e in levels} == {pick: "20.0000", reserve: "10.0000"}
    assert (await check_ledger()).ok
