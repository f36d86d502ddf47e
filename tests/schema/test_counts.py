"""Stock counts over GraphQL: planned, counted blind by several counters, recounted, approved in one posting.

The stories of issue 10: a bin of 10 counted 10, then 3 picked, approved: adjustment 0 and 7 on hand;
counted 9 in the same story: -1 and 6 on hand; a product expected but not scanned counts 0; a counter
cannot read the expected quantity, a supervisor can; a recount by the same user is refused.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from server.inventory.locations import create_location
from tests.conftest import Actor, GraphQLClient, Place, make_actor, unique
from tests.schema.test_reservations import assert_invariants

ERRORS = "errors { field code message }"
RECEIVE = f"mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ {ERRORS} }} }}"
ISSUE = f"mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ {ERRORS} }} }}"
COUNT = "id state blind bins binsStarted binsFinished recountsNeeded recountsDone"
PLAN = f"mutation P($input: PlanCountInput!) {{ planCount(input: $input) {{ count {{ {COUNT} }} {ERRORS} }} }}"
RECORD = f"""mutation C($input: RecordCountInput!) {{ recordCount(input: $input) {{
  line {{ locationCode sku lot myCount counted recountNeeded recounted }} {ERRORS} }} }}"""
FINISH = f"""mutation F($input: FinishCountBinInput!) {{ finishCountBin(input: $input) {{
  locationCode lines recountsNeeded {ERRORS} }} }}"""
RECOUNT = f"""mutation R($input: RecountInput!) {{ recountStock(input: $input) {{
  line {{ counted recounted recountNeeded }} {ERRORS} }} }}"""
APPROVE = f"mutation A($input: CountActionInput!) {{ approveCount(input: $input) {{ count {{ {COUNT} }} {ERRORS} }} }}"
CANCEL = f"mutation X($input: CountActionInput!) {{ cancelCount(input: $input) {{ count {{ state }} {ERRORS} }} }}"
LINES = """query L($id: ID!, $bin: String, $diff: Boolean!) { stockCount(id: $id) {
  lines(locationCode: $bin, differencesOnly: $diff) { locationCode sku lot packageSscc counted expected difference value
  recountNeeded recounted } } }"""
PROGRESS = "query P($id: ID!) { stockCount(id: $id) { recountsNeeded recountsDone } }"
PROBLEMS = "query P($id: ID!) { stockCount(id: $id) { problems { field code message } } }"
LEVELS = (
    "query S($sku: String!, $loc: String!) { stockLevels(sku: $sku, locationCode: $loc) { edges { node { onHand } } } }"
)
PACKAGE_CONTENTS = "query P($sscc: String!) { package(sscc: $sscc) { contents { sku quantity } } }"
RESOLVE = """query R($code: String!) {
  resolveBarcode(code: $code) { kind product { sku } location { code } package { total } } }"""
CREATE_PACKAGE = f"""mutation C($input: CreatePackageInput!) {{ createPackage(input: $input) {{ {ERRORS} }} }}"""
DOCUMENT = "query D($id: ID!) { node(id: $id) { ... on Document { number state type } } }"


def key() -> str:
    return str(uuid.uuid4())


async def call(graphql: GraphQLClient, actor: Actor, query: str, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter((await graphql.run(query, {"input": input}, token=actor.token)).values()))
    return payload


async def ok(graphql: GraphQLClient, actor: Actor, query: str, **input: Any) -> dict[str, Any]:
    payload = await call(graphql, actor, query, **input)
    assert payload["errors"] == [], payload
    return payload


async def receive(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, quantity: str, **extra: Any) -> None:
    await ok(graphql, actor, RECEIVE, sku=sku, locationCode=bin_, quantity=quantity, unitCost="2.5",
             idempotencyKey=key(), **extra)  # fmt: skip


async def pick(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, quantity: str) -> None:
    await ok(graphql, actor, ISSUE, sku=sku, locationCode=bin_, quantity=quantity, reason="SALE", idempotencyKey=key())


async def on_hand(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str) -> str:
    """The bin's on hand of the product, loose and packed together."""
    edges = (await graphql.run(LEVELS, {"sku": sku, "loc": bin_}, token=actor.token))["stockLevels"]["edges"]
    total = sum((Decimal(edge["node"]["onHand"]) for edge in edges), Decimal(0))
    return str(total) if edges else "0"


async def plan(graphql: GraphQLClient, actor: Actor, store: str, place: Place, **extra: Any) -> dict[str, Any]:
    given = {"scope": "WAREHOUSE", **extra}
    count: dict[str, Any] = (await ok(graphql, actor, PLAN, storeCode=store, warehouseCode=place.warehouse, **given))[
        "count"
    ]
    return count


async def scan(graphql: GraphQLClient, actor: Actor, count: dict[str, Any], bin_: str, sku: str, qty: str,
               **extra: Any) -> dict[str, Any]:  # fmt: skip
    done = await ok(graphql, actor, RECORD, countId=count["id"], locationCode=bin_, sku=sku, quantity=qty,
                    idempotencyKey=key(), **extra)  # fmt: skip
    line: dict[str, Any] = done["line"]
    return line


async def finish(graphql: GraphQLClient, actor: Actor, count: dict[str, Any], bin_: str) -> dict[str, Any]:
    return await ok(graphql, actor, FINISH, countId=count["id"], locationCode=bin_)


async def lines(graphql: GraphQLClient, actor: Actor, count: dict[str, Any], bin_: str | None = None,
                diff: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    found = await graphql.run(LINES, {"id": count["id"], "bin": bin_, "diff": diff}, token=actor.token)
    return found["stockCount"]["lines"]  # type: ignore[no-any-return]


async def test_moves_during_the_count_stay_and_only_the_difference_is_booked(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """10 in the bin, counted 10, 3 picked, approved: 0 booked, 7 left. Counted 9: -1, 6 left."""
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    await receive(graphql, admin, place.sku, place.bin_b, "10")
    count = await plan(graphql, admin, store, place)
    assert (count["state"], count["bins"], count["blind"]) == ("counting", 2, True)
    await scan(graphql, admin, count, place.bin_a, place.sku, "10")
    await scan(graphql, admin, count, place.bin_b, place.sku, "9")
    await pick(graphql, admin, place.sku, place.bin_a, "3")  # a count blocks no work
    await pick(graphql, admin, place.sku, place.bin_b, "3")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)
    differences = await lines(graphql, admin, count, diff=True)
    assert [(d["locationCode"], d["expected"], d["counted"], d["difference"], d["value"]) for d in differences] == [
        (place.bin_b, "10.0000", "9.0000", "-1.0000", "-2.5000")
    ]

    approved = (await ok(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key()))["count"]

    assert approved["state"] == "done"
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "7.0000"
    assert await on_hand(graphql, admin, place.sku, place.bin_b) == "6.0000"
    document = (await graphql.run(DOCUMENT, {"id": count["id"]}, token=admin.token))["node"]
    assert document["type"] == "stock.count" and document["number"].startswith("CNT-")
    await assert_invariants()


async def test_a_product_expected_but_not_scanned_counts_zero(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "4")
    await receive(graphql, admin, place.lot_sku, place.bin_a, "5", lot="L1")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "4")
    done = await finish(graphql, admin, count, place.bin_a)
    await finish(graphql, admin, count, place.bin_b)  # untouched: counted empty, and it is
    assert (done["lines"], done["recountsNeeded"]) == (2, 0)
    missing = await lines(graphql, admin, count, place.bin_a, diff=True)
    assert [(m["sku"], m["lot"], m["counted"], m["difference"]) for m in missing] == [
        (place.lot_sku, "L1", None, "-5.0000")
    ]

    await ok(graphql, admin, APPROVE, id=count["id"])

    assert await on_hand(graphql, admin, place.lot_sku, place.bin_a) == "0"
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "4.0000"
    await assert_invariants()


async def test_a_counter_never_reads_what_is_expected_and_a_supervisor_does(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    counter = await make_actor("counter")
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, counter, count, place.bin_a, place.sku, "8")
    await finish(graphql, counter, count, place.bin_a)

    seen_by_counter = await lines(graphql, counter, count, place.bin_a)
    seen_by_supervisor = await lines(graphql, admin, count, place.bin_a)

    assert [(s["counted"], s["expected"], s["difference"], s["value"]) for s in seen_by_counter] == [
        ("8.0000", None, None, None)
    ]
    assert await lines(graphql, counter, count, diff=True) == []  # not even which lines differ
    assert [(s["counted"], s["expected"], s["difference"]) for s in seen_by_supervisor] == [
        ("8.0000", "10.0000", "-2.0000")
    ]
    levels = await graphql.post(LEVELS, {"sku": place.sku, "loc": place.bin_a}, token=counter.token)
    assert levels.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # nor from the stock levels
    refused = await graphql.post(APPROVE, {"input": {"id": count["id"]}}, token=counter.token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # approval is the supervisor's


async def test_counters_merge_and_a_recount_is_by_another_user(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    first, second, third = [await make_actor("counter") for _ in range(3)]
    await receive(graphql, admin, place.sku, place.bin_a, "20")
    count = await plan(graphql, admin, store, place, recountUnits="2")
    await scan(graphql, first, count, place.bin_a, place.sku, "6")
    await scan(graphql, second, count, place.bin_a, place.sku, "5")  # another shelf of the same bin
    mine = await scan(graphql, first, count, place.bin_a, place.sku, "4")
    assert (mine["myCount"], mine["counted"]) == ("10.0000", "15.0000")
    corrected = await scan(graphql, second, count, place.bin_a, place.sku, "3", mode="SET")
    assert (corrected["myCount"], corrected["counted"]) == ("3.0000", "13.0000")
    done = await finish(graphql, first, count, place.bin_a)
    assert done["recountsNeeded"] is None  # a counter of a blind count is not told whether it matched
    progress = (await graphql.run(PROGRESS, {"id": count["id"]}, token=admin.token))["stockCount"]
    assert progress["recountsNeeded"] == 1  # 13 against 20: more than 2 units apart
    await finish(graphql, admin, count, place.bin_b)

    refused = await call(graphql, second, RECOUNT, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
                         countedQuantity="19", idempotencyKey=key())  # fmt: skip
    early = await call(graphql, admin, APPROVE, id=count["id"])
    recounted = await ok(graphql, third, RECOUNT, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
                         countedQuantity="19", idempotencyKey=key())  # fmt: skip

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("SAME_COUNTER", ["input", "countId"])]
    assert [e["code"] for e in early["errors"]] == ["INVALID"] and "recount" in early["errors"][0]["message"]
    assert recounted["line"] == {"counted": None, "recounted": "19.0000", "recountNeeded": True}  # blind too
    await ok(graphql, admin, APPROVE, id=count["id"])
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "19.0000"
    await assert_invariants()


async def test_approval_reports_every_problem_at_once_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    await receive(graphql, admin, place.sku, place.bin_b, "10")
    count = await plan(graphql, admin, store, place, recountUnits="1")
    await scan(graphql, admin, count, place.bin_a, place.sku, "2")
    await finish(graphql, admin, count, place.bin_a)  # 2 of 10: asks for a recount
    await scan(graphql, admin, count, place.bin_b, place.sku, "10")  # started, never finished

    problems = (await graphql.run(PROBLEMS, {"id": count["id"]}, token=admin.token))["stockCount"]["problems"]
    refused = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())

    expected = [["input", "bins", place.bin_b], ["input", "bins", place.bin_a]]
    assert [e["field"] for e in refused["errors"]] == expected and refused["count"] is None
    assert [p["field"] for p in problems] == expected
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "10.0000"
    state = (await graphql.run(DOCUMENT, {"id": count["id"]}, token=admin.token))["node"]["state"]
    assert state == "counting"


async def test_stock_that_left_after_the_bin_started_refuses_the_approval(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """Counted 0 of 10, then all 10 picked: approving -10 would take the bin below zero."""
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "0", mode="SET")
    await pick(graphql, admin, place.sku, place.bin_a, "10")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)

    refused = await call(graphql, admin, APPROVE, id=count["id"])

    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INSUFFICIENT_STOCK", ["input", "bins", place.bin_a])
    ]
    await assert_invariants()


async def test_counts_of_two_zones_run_side_by_side_and_a_bin_is_in_one_open_count(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    zones = [unique("Z"), unique("Z")]
    bins = {zone: unique("ZB") for zone in zones}
    for zone in zones:
        await create_location(place.warehouse, zone, zone, actor_id=admin.user_id)
        await create_location(place.warehouse, bins[zone], bins[zone], parent_code=zone, actor_id=admin.user_id)
        await receive(graphql, admin, place.sku, bins[zone], "5")
    counts = [await plan(graphql, admin, store, place, scope="ZONE", zoneCode=zone) for zone in zones]
    assert [c["bins"] for c in counts] == [2, 2]  # the zone and its bin

    overlapping = await call(graphql, admin, PLAN, storeCode=store, warehouseCode=place.warehouse, scope="WAREHOUSE")
    assert [e["field"] for e in overlapping["errors"]] == [["input", "warehouseCode"]]
    assert bins[zones[0]] in overlapping["errors"][0]["message"]
    not_here = await call(graphql, admin, RECORD, countId=counts[0]["id"], locationCode=bins[zones[1]],
                          sku=place.sku, quantity="1", idempotencyKey=key())  # fmt: skip
    assert [e["field"] for e in not_here["errors"]] == [["input", "locationCode"]]

    for count, zone in zip(counts, zones, strict=True):
        await scan(graphql, admin, count, bins[zone], place.sku, "4")
        await finish(graphql, admin, count, bins[zone])
        await finish(graphql, admin, count, zone)
    await ok(graphql, admin, APPROVE, id=counts[0]["id"])
    await ok(graphql, admin, CANCEL, id=counts[1]["id"])

    assert await on_hand(graphql, admin, place.sku, bins[zones[0]]) == "4.0000"
    assert await on_hand(graphql, admin, place.sku, bins[zones[1]]) == "5.0000"  # cancelled: nothing booked
    again = await plan(graphql, admin, store, place)  # every bin is free again
    assert again["bins"] == 6
    await assert_invariants()


async def test_a_retried_scan_counts_once_and_a_finished_bin_takes_no_more(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    count = await plan(graphql, admin, store, place)
    same = key()
    for _ in range(2):
        await ok(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_a, sku=place.sku, quantity="3",
                 idempotencyKey=same)  # fmt: skip
    await finish(graphql, admin, count, place.bin_a)
    late = await call(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
                      quantity="1", idempotencyKey=key())  # fmt: skip
    twice = await call(graphql, admin, FINISH, countId=count["id"], locationCode=place.bin_a)

    assert [line["counted"] for line in await lines(graphql, admin, count, place.bin_a)] == ["3.0000"]
    assert [e["code"] for e in late["errors"]] == ["ILLEGAL_TRANSITION"]
    assert [e["code"] for e in twice["errors"]] == ["ILLEGAL_TRANSITION"]
    await finish(graphql, admin, count, place.bin_b)
    await ok(graphql, admin, APPROVE, id=count["id"])
    after = await call(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_b, sku=place.sku,
                       quantity="1", idempotencyKey=key())  # fmt: skip
    assert [e["code"] for e in after["errors"]] == ["ILLEGAL_TRANSITION"]
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "3.0000"  # found stock booked from loss/gain


async def test_hostile_input_is_a_user_error_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    count = await plan(graphql, admin, store, place)
    huge, nul = "X" * 100_000, "A\x00B"
    cases: list[tuple[str, dict[str, Any], str]] = [
        (RECORD, {"countId": count["id"], "locationCode": nul, "sku": place.sku, "quantity": "1"}, "locationCode"),
        (RECORD, {"countId": count["id"], "locationCode": place.bin_a, "sku": huge, "quantity": "1"}, "sku"),
        (RECORD, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "-1"},
         "quantity"),
        (RECORD, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "0"},
         "quantity"),
        (RECORD, {"countId": "nonsense", "locationCode": place.bin_a, "sku": place.sku, "quantity": "1"}, "countId"),
        (RECORD, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "1",
                  "packageSscc": "123"}, "packageSscc"),
        (RECORD, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.lot_sku, "quantity": "1"}, "lot"),
        (RECORD, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "1",
                  "lot": nul}, "lot"),
        (PLAN, {"storeCode": store, "warehouseCode": huge, "scope": "WAREHOUSE"}, "warehouseCode"),
        (PLAN, {"storeCode": nul, "warehouseCode": place.warehouse, "scope": "WAREHOUSE"}, "storeCode"),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "ZONE"}, "zoneCode"),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "ABC", "abcClasses": ["D"]},
         "abcClasses"),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "STALE_BINS", "maxBins": 0},
         "maxBins"),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "WAREHOUSE",
                "recountValue": "-1"}, "recountValue"),
    ]  # fmt: skip
    for query, given, field in cases:
        needs_key = {"idempotencyKey": key()} if query == RECORD else {}
        payload = await call(graphql, admin, query, **given, **needs_key)
        assert [e["field"] for e in payload["errors"]] == [["input", field]], (given, payload)
    assert (await lines(graphql, admin, count)) == []
    stranger = await graphql.run(LINES, {"id": "nonsense", "bin": None, "diff": False}, token=admin.token)
    assert stranger["stockCount"] is None


async def test_cycle_counts_choose_bins_by_abc_class_and_by_the_last_count(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    fast, slow = place.sku, place.lot_sku
    await receive(graphql, admin, fast, place.bin_a, "100")
    await receive(graphql, admin, slow, place.bin_b, "10", lot="L9")
    await pick(graphql, admin, fast, place.bin_a, "50")  # fast moves 125.00 of value; slow nothing: class C

    abc = await plan(graphql, admin, store, place, scope="ABC", abcClasses=["A"])
    assert abc["bins"] == 1
    wrong_product = await call(graphql, admin, RECORD, countId=abc["id"], locationCode=place.bin_a, sku=slow,
                               quantity="1", lot="L9", idempotencyKey=key())  # fmt: skip
    assert [e["field"] for e in wrong_product["errors"]] == [["input", "sku"]]
    await scan(graphql, admin, abc, place.bin_a, fast, "50")
    await finish(graphql, admin, abc, place.bin_a)
    await ok(graphql, admin, APPROVE, id=abc["id"])

    stale = await plan(graphql, admin, store, place, scope="STALE_BINS", maxBins=1)
    fresh = await call(graphql, admin, PLAN, storeCode=store, warehouseCode=place.warehouse, scope="STALE_BINS",
                       notCountedDays=0)  # fmt: skip
    assert stale["bins"] == 1
    assert [line["locationCode"] for line in await lines(graphql, admin, stale)] == []  # not started yet
    await scan(graphql, admin, stale, place.bin_b, slow, "10", lot="L9")  # never counted: first
    assert fresh["errors"] == [] and fresh["count"]["bins"] == 1  # bin_a counted today is not stale for 0 days


async def test_stock_inside_a_package_is_expected_counted_and_adjusted_there(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    from tests.schema.test_packages import new_box

    sscc = await new_box(graphql, admin, place, packing="12")  # 12 in the box, none loose
    await receive(graphql, admin, place.sku, place.bin_a, "3")  # and 3 loose beside it
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "10", packageSscc=sscc)
    await scan(graphql, admin, count, place.bin_a, place.sku, "4")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)
    found = await lines(graphql, admin, count, place.bin_a, diff=True)
    assert sorted((line["packageSscc"] or "", line["difference"]) for line in found) == [
        ("", "1.0000"),
        (sscc, "-2.0000"),
    ]

    await ok(graphql, admin, APPROVE, id=count["id"])

    contents = await graphql.run(PACKAGE_CONTENTS, {"sscc": sscc}, token=admin.token)
    assert [c["quantity"] for c in contents["package"]["contents"]] == ["10.0000"]
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "14.0000"
    await assert_invariants()


async def test_a_handheld_finds_the_open_counts_of_its_warehouse_and_the_bins_left(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    counter = await make_actor("counter")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, counter, count, place.bin_a, place.sku, "1")
    await finish(graphql, counter, count, place.bin_a)
    query = """query O($wh: String) { openCounts(warehouseCode: $wh, first: 5) { id number warehouseCode scope
      binList(first: 20) { locationCode started finished }
      left: binList(first: 20, unfinishedOnly: true) { locationCode } } }"""

    mine = (await graphql.run(query, {"wh": place.warehouse}, token=counter.token))["openCounts"]
    elsewhere = (await graphql.run(query, {"wh": "NO-SUCH\x00"}, token=counter.token))["openCounts"]

    assert [(c["id"], c["number"], c["warehouseCode"], c["scope"]) for c in mine] == [
        (count["id"], None, place.warehouse, "WAREHOUSE")
    ]
    assert mine[0]["binList"] == sorted(
        [
            {"locationCode": place.bin_a, "started": True, "finished": True},
            {"locationCode": place.bin_b, "started": False, "finished": False},
        ],
        key=lambda b: b["locationCode"],
    )
    assert mine[0]["left"] == [{"locationCode": place.bin_b}] and elsewhere == []
    await ok(graphql, admin, CANCEL, id=count["id"])
    assert (await graphql.run(query, {"wh": place.warehouse}, token=counter.token))["openCounts"] == []


async def test_what_moved_before_a_line_was_counted_is_no_difference(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """The bin is started by one product's scan; 3 of another are picked before anyone counts that one, and it
    is counted 7, as the shelf holds then: no difference, 7 left."""
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    await receive(graphql, admin, place.lot_sku, place.bin_a, "10", lot="L1")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "10")
    await pick(graphql, admin, place.lot_sku, place.bin_a, "3")
    await scan(graphql, admin, count, place.bin_a, place.lot_sku, "7", lot="L1")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)

    assert await lines(graphql, admin, count, diff=True) == []
    await ok(graphql, admin, APPROVE, id=count["id"])
    assert await on_hand(graphql, admin, place.lot_sku, place.bin_a) == "7.0000"
    await assert_invariants()


async def test_a_product_emptied_before_the_count_is_not_expected(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "5")
    await pick(graphql, admin, place.sku, place.bin_a, "5")  # its quant stays, at 0
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.lot_sku, "1", lot="L1")

    assert [line["sku"] for line in await lines(graphql, admin, count, place.bin_a)] == [place.lot_sku]


async def test_a_counter_is_told_what_a_code_is_but_not_what_a_package_holds(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """A handheld of a counter turns a scan into a product or a bin, without reading stock."""
    from tests.schema.test_packages import sscc

    counter = await make_actor("counter")
    pallet = sscc()
    await ok(graphql, admin, CREATE_PACKAGE, sscc=pallet, kind="PALLET", locationCode=place.bin_a)

    async def resolved(actor: Actor, code: str) -> dict[str, Any]:
        found: dict[str, Any] = (await graphql.run(RESOLVE, {"code": code}, token=actor.token))["resolveBarcode"]
        return found

    assert (await resolved(counter, place.sku))["product"] == {"sku": place.sku}
    assert (await resolved(counter, place.bin_a))["location"] == {"code": place.bin_a}
    assert (await resolved(counter, pallet))["package"] is None
    assert (await resolved(admin, pallet))["package"] == {"total": "0"}


AWAITING = """query A($id: ID!) { stockCount(id: $id) { lines(awaitingRecount: true) { locationCode sku counted
  recountNeeded } } }"""


async def test_a_count_scan_keeps_its_raw_code_in_the_audit_entry_and_the_scan_log(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    from server.audit.models import AuditEntry
    from server.scanning.models import Scan

    counter = await make_actor("counter")
    count = await plan(graphql, admin, store, place)
    label = f"01{unique('G')}\x1d3712"  # as a wedge read it: a GS1 label with its group separator
    same = key()
    given = {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "1",
             "idempotencyKey": same, "scan": {"code": label, "symbology": "GS1-128", "device": "hh-count"}}  # fmt: skip
    first = await ok(graphql, counter, RECORD, **given)
    again = await ok(graphql, counter, RECORD, **given)  # the outbox's replay: the same key, the same scan

    assert first["line"]["myCount"] == again["line"]["myCount"] == "1.0000"
    audited = await AuditEntry.filter(action="count.record", actor_id=counter.user_id)
    assert [entry.data["scan"] for entry in audited] == [label]
    logged = await Scan.filter(user_id=counter.user_id)
    assert [(s.code, s.symbology, s.device, s.move_id) for s in logged] == [  # type: ignore[attr-defined]
        (label, "GS1-128", "hh-count", None)
    ]
    other = await call(graphql, counter, RECORD, **{**given, "scan": {"code": "5901234123457"}})
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"], "a key is one scan"


async def test_a_count_scan_with_no_code_a_nul_or_megabytes_is_refused_and_counts_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    count = await plan(graphql, admin, store, place)
    base = {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "1"}
    for code in ("A\x00B", "X" * 100_000, "  ", ""):
        payload = await call(graphql, admin, RECORD, **base, idempotencyKey=key(), scan={"code": code})
        assert [e["field"] for e in payload["errors"]] == [["input", "scan", "code"]], payload["errors"]
    for scan_ in ({"code": "1", "device": "D\x00"}, {"code": "1", "symbology": "S" * 100_000}):
        payload = await call(graphql, admin, RECORD, **base, idempotencyKey=key(), scan=scan_)
        assert [e["code"] for e in payload["errors"]] == ["INVALID"], payload["errors"]
    huge = await graphql.post(RECORD, {"input": {**base, "idempotencyKey": key(), "scan": {"code": "X" * 10_000_000}}},
                              token=admin.token)  # fmt: skip
    assert huge.status_code == 413 and "must not exceed" in huge.json()["errors"][0]["message"], "refused unread"
    assert await lines(graphql, admin, count) == []


async def test_the_lines_awaiting_a_recount_are_listed_to_those_who_may_recount_them(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    first, second = [await make_actor("counter") for _ in range(2)]
    await receive(graphql, admin, place.sku, place.bin_a, "20")
    count = await plan(graphql, admin, store, place, recountUnits="2")
    await scan(graphql, first, count, place.bin_a, place.sku, "12")
    await finish(graphql, first, count, place.bin_a)

    async def awaiting(actor: Actor) -> list[dict[str, Any]]:
        return (await graphql.run(AWAITING, {"id": count["id"]}, token=actor.token))["stockCount"]["lines"]  # type: ignore[no-any-return]

    # The counter of the bin may not learn that it differed; another counter is told what to recount, blind.
    assert await awaiting(first) == []
    assert await awaiting(second) == [
        {"locationCode": place.bin_a, "sku": place.sku, "counted": None, "recountNeeded": True}
    ]
    assert [line["counted"] for line in await awaiting(admin)] == ["12.0000"]
    await ok(graphql, second, RECOUNT, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
             countedQuantity="20", idempotencyKey=key())  # fmt: skip
    assert await awaiting(second) == [] and await awaiting(admin) == []
