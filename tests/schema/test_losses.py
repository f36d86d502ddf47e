"""Scrap and loss by reason and value over GraphQL: scrapped, counted away, counted back, damaged on a
document; each a move to a virtual location, reported with what it cost."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from server.inventory.locations import create_warehouse
from tests.conftest import Actor, GraphQLClient, Place, unique
from tests.schema.test_reservations import assert_invariants, new_line, reserve

ERRORS = "errors { field code message }"
RECEIVE = f"mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ {ERRORS} }} }}"
ISSUE = f"mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ {ERRORS} }} }}"
ADJUST = f"mutation A($input: AdjustStockInput!) {{ adjustStock(input: $input) {{ {ERRORS} }} }}"
CREATE_DOCUMENT = f"""mutation C($input: CreateDocumentInput!) {{
  createDocument(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state }} {ERRORS} }} }}"""
LOSSES = """query L($from: Date!, $to: Date!, $warehouse: String, $sku: String) {
  stockLosses(fromDate: $from, toDate: $to, warehouseCode: $warehouse, sku: $sku) {
    locationKind reason quantityLost valueLost quantityFound valueFound netQuantity netValue } }"""
TODAY = datetime.date.today()


async def mutate(graphql: GraphQLClient, actor: Actor, query: str, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter((await graphql.run(query, {"input": input}, token=actor.token)).values()))
    assert payload["errors"] == [], payload
    return payload


async def keyed(graphql: GraphQLClient, actor: Actor, query: str, **input: Any) -> None:
    await mutate(graphql, actor, query, idempotencyKey=str(uuid.uuid4()), **input)


async def test_scrap_counts_and_damage_are_reported_by_reason_with_their_value(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    sku = place.sku
    await keyed(graphql, admin, RECEIVE, sku=sku, locationCode=place.bin_a, quantity="10", unitCost="2")
    await keyed(graphql, admin, ISSUE, sku=sku, locationCode=place.bin_a, quantity="3", reason="SCRAP")
    await keyed(graphql, admin, ADJUST, sku=sku, locationCode=place.bin_a, countedQuantity="5")  # 7 on the books
    await keyed(graphql, admin, ADJUST, sku=sku, locationCode=place.bin_b, countedQuantity="1")  # 0 on the books
    line = {"sku": sku, "quantity": "1", "location": place.bin_a}
    created = await mutate(graphql, admin, CREATE_DOCUMENT, type="stock.outbound", store=store, lines=[line],
                           reason="damage")  # fmt: skip
    for action in ("confirm", "post"):
        await mutate(graphql, admin, ACT, id=created["document"]["id"], action=action)

    variables = {"from": TODAY.isoformat(), "to": TODAY.isoformat(), "sku": sku}
    lines = (await graphql.run(LOSSES, variables, token=admin.token))["stockLosses"]

    assert [tuple(line.values()) for line in lines] == [
        ("inventory_loss", "count", "2.0000", "4.0000", "1.0000", "2.0000", "1.0000", "2.0000"),
        ("scrap", "damage", "1.0000", "2.0000", "0.0000", "0.0000", "1.0000", "2.0000"),
        ("scrap", "scrap", "3.0000", "6.0000", "0.0000", "0.0000", "3.0000", "6.0000"),
    ]
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    before = await graphql.run(LOSSES, {**variables, "from": yesterday, "to": yesterday}, token=admin.token)
    other = unique("WH")
    await create_warehouse(other, "Other", actor_id=admin.user_id)
    here = await graphql.run(LOSSES, {**variables, "warehouse": place.warehouse}, token=admin.token)
    elsewhere = await graphql.run(LOSSES, {**variables, "warehouse": other}, token=admin.token)
    assert before["stockLosses"] == [] and here["stockLosses"] == lines and elsewhere["stockLosses"] == []


async def test_a_period_backwards_or_unknown_names_are_user_errors_and_values_need_costs(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place
) -> None:
    today, yesterday = TODAY.isoformat(), (TODAY - datetime.timedelta(days=1)).isoformat()
    cases = [
        ({"from": today, "to": yesterday}, "INVALID"),
        ({"from": today, "to": today, "sku": "NO-SUCH-SKU"}, "NOT_FOUND"),
        ({"from": today, "to": today, "warehouse": "A\x00B" * 1000}, "NOT_FOUND"),
    ]
    for variables, code in cases:
        body = (await graphql.post(LOSSES, variables, token=admin.token)).json()
        assert body["data"] is None and [e["extensions"]["code"] for e in body["errors"]] == [code], body

    refused = (await graphql.post(LOSSES, {"from": today, "to": today}, token=viewer.token)).json()
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


async def test_a_scrap_keeps_its_reason_and_takes_reserved_stock_whatever_the_reason(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    sku = place.sku
    await keyed(graphql, admin, RECEIVE, sku=sku, locationCode=place.bin_a, quantity="4", unitCost="5")
    await reserve(graphql, admin, new_line(), sku, place.warehouse, "4")
    key = str(uuid.uuid4())
    scrapped = {"sku": sku, "locationCode": place.bin_a, "quantity": "3", "reason": "SCRAP", "scrapReason": "EXPIRY"}

    await mutate(graphql, admin, ISSUE, idempotencyKey=key, **scrapped)  # all 4 reserved: a scrap takes them
    await mutate(graphql, admin, ISSUE, idempotencyKey=key, **scrapped)  # a retry: the same answer, once
    with_sale = await graphql.run(ISSUE, {"input": {**scrapped, "reason": "SALE", "idempotencyKey": str(uuid.uuid4())}},
                                  token=admin.token)  # fmt: skip

    assert [(e["field"], e["code"]) for e in with_sale["issueStock"]["errors"]] == [
        (["input", "scrapReason"], "INVALID")
    ]
    variables = {"from": TODAY.isoformat(), "to": TODAY.isoformat(), "sku": sku}
    lines = (await graphql.run(LOSSES, variables, token=admin.token))["stockLosses"]
    assert [(line["locationKind"], line["reason"], line["quantityLost"], line["valueLost"]) for line in lines] == [
        ("scrap", "expiry", "3.0000", "15.0000")
    ]
    await assert_invariants()  # the reservation was cut to the 1 left: reserved never above on hand
