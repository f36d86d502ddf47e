"""Valuation over GraphQL: a cost on every move, stock value at a date, the stock card, revaluations,
the costing method and period snapshots, with the ledger invariant after each step."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from server.inventory.check import check_ledger
from server.inventory.periods import set_period_lock
from server.inventory.valuation.snapshots import take_snapshot
from server.inventory.valuation.value import stock_value
from tests.conftest import Actor, GraphQLClient, Place

MOVE_FIELDS = "id quantity unitCost value effectiveAt"
RECEIVE = f"""mutation R($input: ReceiveStockInput!) {{
  receiveStock(input: $input) {{ moves {{ {MOVE_FIELDS} }} errors {{ field code message }} }} }}"""
ISSUE = f"""mutation I($input: IssueStockInput!) {{
  issueStock(input: $input) {{ moves {{ {MOVE_FIELDS} }} errors {{ field code message }} }} }}"""
MOVE = f"""mutation M($input: MoveStockInput!) {{
  moveStock(input: $input) {{ moves {{ {MOVE_FIELDS} }} errors {{ field code message }} }} }}"""
VALUE = """query V($sku: String, $warehouseCode: String, $onDate: Date) {
  stockValue(sku: $sku, warehouseCode: $warehouseCode, onDate: $onDate) { onDate quantity value } }"""
LINES = """query L($sku: String, $first: Int, $after: String) {
  stockValueLines(sku: $sku, first: $first, after: $after) {
    edges { cursor node { sku warehouseCode quantity value } } pageInfo { hasNextPage endCursor } } }"""
CARD = """query C($sku: String!, $warehouseCode: String, $first: Int, $after: String) {
  stockCard(sku: $sku, warehouseCode: $warehouseCode, first: $first, after: $after) {
    edges { node { moveId kind quantity unitCost value quantityAfter valueAfter } }
    pageInfo { hasNextPage endCursor } } }"""
REVALUE = """mutation RV($input: RevalueStockMoveInput!) {
  revalueStockMove(input: $input) {
    revaluation { unitCostBefore unitCostAfter revalued costOfGoods adjustments { kind quantity value } }
    replayed errors { field code message } } }"""
METHOD = """mutation SM($input: SetCostingMethodInput!) {
  setCostingMethod(input: $input) { sku costingMethod errors { field code message } } }"""


def key() -> str:
    return str(uuid.uuid4())


async def ledger_ok() -> None:
    report = await check_ledger()
    assert report.ok, report.problems


async def _post(graphql: GraphQLClient, token: str, query: str, input: dict[str, Any]) -> dict[str, Any]:
    data = await graphql.run(query, {"input": {"idempotencyKey": key(), **input}}, token=token)
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def receive(graphql: GraphQLClient, admin: Actor, place: Place, quantity: str, cost: str | None = None,
                  location: str | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    given = {"unitCost": cost} if cost is not None else {}
    payload = await _post(graphql, admin.token, RECEIVE, {"sku": place.sku, "locationCode": location or place.bin_a,
                                                          "quantity": quantity, **given, **extra})  # fmt: skip
    assert payload["errors"] == [], payload
    await ledger_ok()
    return payload["moves"][0]  # type: ignore[no-any-return]


async def issue(graphql: GraphQLClient, admin: Actor, place: Place, quantity: str, **extra: Any) -> dict[str, Any]:
    payload = await _post(graphql, admin.token, ISSUE, {"sku": place.sku, "locationCode": place.bin_a,
                                                        "quantity": quantity, **extra})  # fmt: skip
    assert payload["errors"] == [], payload
    await ledger_ok()
    return payload["moves"][0]  # type: ignore[no-any-return]


async def value_of(graphql: GraphQLClient, admin: Actor, place: Place, on: str | None = None) -> tuple[str, str]:
    variables = {"sku": place.sku, **({"onDate": on} if on else {})}
    answer = (await graphql.run(VALUE, variables, token=admin.token))["stockValue"]
    return answer["quantity"], answer["value"]


async def use_fifo(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    payload = await _post(graphql, admin.token, METHOD, {"sku": place.sku, "costingMethod": "FIFO"})
    assert payload == {"sku": place.sku, "costingMethod": "FIFO", "errors": []}


async def test_the_average_cost_moves_with_each_receipt(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    first = await receive(graphql, admin, place, "10", "10")
    assert (first["unitCost"], first["value"]) == ("10.0000", "100.0000")
    await receive(graphql, admin, place, "10", "13")
    sold = await issue(graphql, admin, place, "4")
    assert (sold["unitCost"], sold["value"]) == ("11.5000", "46.0000")
    # no cost given: the warehouse's average
    plain = await receive(graphql, admin, place, "2")
    assert plain["unitCost"] == "11.5000"
    assert await value_of(graphql, admin, place) == ("18.0000", "207.0000")


async def test_the_cost_of_goods_is_fixed_on_the_issue(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await receive(graphql, admin, place, "5", "2")
    sold = await issue(graphql, admin, place, "5")
    await receive(graphql, admin, place, "5", "9")  # a later receipt at another cost
    card = (await graphql.run(CARD, {"sku": place.sku}, token=admin.token))["stockCard"]["edges"]
    issued = [edge["node"] for edge in card if edge["node"]["kind"] == "issue"]
    assert [(line["moveId"], line["unitCost"], line["value"]) for line in issued] == [
        (sold["id"], "2.0000", "-10.0000")
    ]
    # an empty warehouse takes the product's last cost for a receipt without one
    await issue(graphql, admin, place, "5")
    assert (await receive(graphql, admin, place, "1"))["unitCost"] == "9.0000"


async def test_fifo_consumes_the_oldest_layers_first(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await use_fifo(graphql, admin, place)
    await receive(graphql, admin, place, "3", "1")
    await receive(graphql, admin, place, "3", "2")
    await receive(graphql, admin, place, "3", "4")
    sold = await issue(graphql, admin, place, "5")  # 3 at 1, then 2 at 2
    assert sold["value"] == "7.0000"
    moved = await _post(graphql, admin.token, MOVE, {"sku": place.sku, "fromLocationCode": place.bin_a,
                                                     "toLocationCode": place.bin_b, "quantity": "2"})  # fmt: skip
    assert moved["errors"] == []
    await ledger_ok()
    assert await value_of(graphql, admin, place) == ("4.0000", "14.0000")  # 1 at 2 and 3 at 4: a bin move is no sale
    assert (await issue(graphql, admin, place, "1"))["value"] == "2.0000"


async def test_the_costing_method_changes_only_without_stock(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place, "1", "1")
    refused = await _post(graphql, admin.token, METHOD, {"sku": place.sku, "costingMethod": "FIFO"})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "costingMethod"], "INVALID")]
    await issue(graphql, admin, place, "1")
    await use_fifo(graphql, admin, place)


async def test_value_at_a_past_date_is_the_sum_of_the_moves_before_it_also_after_a_revaluation(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    now = datetime.datetime.now(datetime.UTC)
    days_ago = [now - datetime.timedelta(days=n) for n in (10, 6, 3)]
    day = [moment.date().isoformat() for moment in days_ago]
    scan = [{"code": place.sku, "scannedAt": moment.isoformat()} for moment in days_ago]
    received = await receive(graphql, admin, place, "10", "5", scan=scan[0])
    await issue(graphql, admin, place, "4", scan=scan[1])
    await receive(graphql, admin, place, "6", "8", scan=scan[2])
    assert await value_of(graphql, admin, place, day[0]) == ("10.0000", "50.0000")
    assert await value_of(graphql, admin, place, day[1]) == ("6.0000", "30.0000")
    assert await value_of(graphql, admin, place, day[2]) == ("12.0000", "78.0000")
    before = (now - datetime.timedelta(days=11)).date().isoformat()
    assert await value_of(graphql, admin, place, before) == ("0", "0")

    # the first receipt was invoiced at 6: 4 of its 10 units are gone, 6 are still here (oldest go first)
    payload = await _post(graphql, admin.token, REVALUE, {"moveId": received["id"], "unitCost": "6"})
    assert payload["errors"] == []
    revaluation = payload["revaluation"]
    assert (revaluation["unitCostBefore"], revaluation["revalued"], revaluation["costOfGoods"]) == (
        "5.0000", "6.0000", "4.0000",
    )  # fmt: skip
    assert [(a["kind"], a["quantity"]) for a in revaluation["adjustments"]] == [
        ("revaluation", "6.0000"), ("cost_of_goods", "4.0000"),
    ]  # fmt: skip
    await ledger_ok()
    # history stays as it was; the revaluation is dated today
    assert await value_of(graphql, admin, place, day[2]) == ("12.0000", "78.0000")
    assert await value_of(graphql, admin, place) == ("12.0000", "84.0000")
    # the issue's cost of goods is not recomputed
    card = (await graphql.run(CARD, {"sku": place.sku, "first": 2}, token=admin.token))["stockCard"]
    assert [edge["node"]["value"] for edge in card["edges"]] == ["50.0000", "-20.0000"]
    rest = await graphql.run(CARD, {"sku": place.sku, "after": card["pageInfo"]["endCursor"]}, token=admin.token)
    last, revaluation = (edge["node"] for edge in rest["stockCard"]["edges"])
    assert (last["quantityAfter"], last["valueAfter"]) == ("12.0000", "78.0000")
    # the revaluation is a line of its own, dated today: the running value ends at the stock value
    assert (revaluation["kind"], revaluation["quantity"], revaluation["value"], revaluation["valueAfter"]) == (
        "revaluation", "0.0000", "6.0000", "84.0000",
    )  # fmt: skip


async def test_a_revaluation_under_fifo_revalues_what_is_left_of_its_layer(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await use_fifo(graphql, admin, place)
    first = await receive(graphql, admin, place, "4", "10")
    await receive(graphql, admin, place, "4", "20")
    await issue(graphql, admin, place, "3")
    input = {"moveId": first["id"], "unitCost": "12", "idempotencyKey": key()}
    payload = (await graphql.run(REVALUE, {"input": input}, token=admin.token))["revalueStockMove"]
    assert (payload["revaluation"]["revalued"], payload["revaluation"]["costOfGoods"]) == ("2.0000", "6.0000")
    again = (await graphql.run(REVALUE, {"input": input}, token=admin.token))["revalueStockMove"]
    assert again["replayed"] is True and again["revaluation"] == payload["revaluation"]
    assert await value_of(graphql, admin, place) == ("5.0000", "92.0000")
    assert (await issue(graphql, admin, place, "1"))["value"] == "12.0000"  # the layer's remainder at its new cost


async def test_a_snapshot_gives_the_value_the_ledger_gives(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    long_ago = datetime.datetime(2003, 5, 1, 12, tzinfo=datetime.UTC)
    await receive(graphql, admin, place, "7", "3", scan={"code": place.sku, "scannedAt": long_ago.isoformat()})
    closed = datetime.date(2003, 6, 30)
    await set_period_lock(None, closed, actor_id=admin.user_id)
    try:
        kept = await take_snapshot(actor_id=admin.user_id)
        assert kept is not None and kept.taken_on == closed
        await receive(graphql, admin, place, "1", "11")
        for on in (closed, datetime.date.today()):
            with_snapshot = await stock_value(on, use_snapshots=True)
            assert with_snapshot == await stock_value(on, use_snapshots=False)
        assert await value_of(graphql, admin, place, closed.isoformat()) == ("7.0000", "21.0000")
        assert await value_of(graphql, admin, place) == ("8.0000", "32.0000")
    finally:
        await set_period_lock(None, None, actor_id=admin.user_id)  # reopening drops the snapshot


async def test_a_viewer_sees_no_costs(graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place) -> None:
    moved = await receive(graphql, admin, place, "1", "1")
    response = await graphql.post(VALUE, {"sku": place.sku}, token=viewer.token)
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    query = "query N($id: ID!) { node(id: $id) { ... on StockMove { quantity unitCost } } }"
    body = (await graphql.post(query, {"id": moved["id"]}, token=viewer.token)).json()
    assert body["data"]["node"] == {"quantity": "1.0000", "unitCost": None}  # hidden, the rest shown
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


HOSTILE = ["", "-1", "abc", "1e5", "1.00001", "NaN", "\x00", "9" * 10_000, "1000000000000"]


@pytest.mark.parametrize("cost", HOSTILE)
async def test_a_bad_unit_cost_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, cost: str
) -> None:
    payload = await _post(graphql, admin.token, RECEIVE, {"sku": place.sku, "locationCode": place.bin_a,
                                                          "quantity": "1", "unitCost": cost})  # fmt: skip
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "unitCost"], "INVALID")]
    assert await value_of(graphql, admin, place) == ("0", "0")


@pytest.mark.parametrize(
    "move_id", ["", "1", "\x00", "x" * 100_000, "U3RvY2tMZXZlbDox", "U3RvY2tNb3ZlOjk5OTk5OTk5OQ=="]
)
async def test_revaluing_no_receipt_is_refused(graphql: GraphQLClient, admin: Actor, move_id: str) -> None:
    payload = await _post(graphql, admin.token, REVALUE, {"moveId": move_id, "unitCost": "1"})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "moveId"], "NOT_FOUND")]


async def test_only_a_receipt_can_be_revalued_and_bad_inputs_are_refused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place, "2", "1")
    sold = await issue(graphql, admin, place, "1")
    payload = await _post(graphql, admin.token, REVALUE, {"moveId": sold["id"], "unitCost": "1"})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "moveId"], "INVALID")]
    for cost in HOSTILE:
        payload = await _post(graphql, admin.token, REVALUE, {"moveId": sold["id"], "unitCost": cost})
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "unitCost"], "INVALID")]
    payload = await _post(graphql, admin.token, REVALUE, {"moveId": sold["id"], "unitCost": "1", "reason": "\x00"})
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", "reason"], "INVALID")]
    for sku in ("\x00", "x" * 100_000, "NO-SUCH-SKU"):
        refused = await _post(graphql, admin.token, METHOD, {"sku": sku, "costingMethod": "FIFO"})
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "sku"], "NOT_FOUND")]


@pytest.mark.parametrize("argument", ["sku", "warehouseCode"])
@pytest.mark.parametrize("given", ["\x00", "x" * 100_000, "NO-SUCH-THING"])
async def test_value_queries_answer_not_found_for_names_no_row_has(
    graphql: GraphQLClient, admin: Actor, argument: str, given: str
) -> None:
    for query in (VALUE, CARD):
        variables = {"sku": "NO-SUCH-SKU", argument: given} if query is CARD else {argument: given}
        body = (await graphql.post(query, variables, token=admin.token)).json()
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body


async def test_value_lines_are_paged(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await receive(graphql, admin, place, "1", "1")
    page = (await graphql.run(LINES, {"first": 1}, token=admin.token))["stockValueLines"]
    assert len(page["edges"]) == 1
    mine = (await graphql.run(LINES, {"sku": place.sku}, token=admin.token))["stockValueLines"]["edges"]
    assert [edge["node"]["value"] for edge in mine] == ["1.0000"]
    body = (await graphql.post(LINES, {"after": "\x00"}, token=admin.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
