"""Attacks on stock counts (review of issue 10 points 1 and 2): leaks of what a blind count expects, wrong
adjustments, counts stuck with no way forward, problems not reported at once, hostile input.

Each test states what should hold; a failing one is a defect (see the review notes on branch count-review).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from server.catalog.service import ProductDetails, create_product, set_archived
from server.inventory.check import check_ledger
from tests.conftest import Actor, GraphQLClient, Place, make_actor, unique
from tests.schema.test_counts import (
    APPROVE,
    CANCEL,
    FINISH,
    LINES,
    PLAN,
    PROBLEMS,
    RECORD,
    RECOUNT,
    call,
    finish,
    key,
    lines,
    ok,
    on_hand,
    pick,
    plan,
    receive,
    scan,
)
from tests.schema.test_packages import CREATE, MOVE_PACKAGE, PACK, keyed, sscc
from tests.schema.test_reservations import assert_invariants

UNKNOWN = "An unknown error occurred"
PRODUCT_STOCK = "query P($sku: String!) { product(sku: $sku) { onHand stockLevels { locationCode onHand } } }"
REOPEN = """mutation R($input: FinishCountBinInput!) { reopenCountBin(input: $input) {
  locationCode errors { field code message } } }"""
COUNT_LINES_RAW = """query L($id: ID!, $bin: String, $first: Int, $after: Int) { stockCount(id: $id) {
  lines(locationCode: $bin, first: $first, afterLine: $after) { sku lot packageSscc counted expected } } }"""


def _no_unknown(body: dict[str, Any]) -> None:
    assert UNKNOWN not in str(body), body


# --- leaks of a blind count -------------------------------------------------------------------------------


async def test_a_counter_cannot_read_the_expected_quantity_through_the_product(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """A counter holds catalog.view (to look products up while scanning): `product { onHand stockLevels }`
    must not hand them the books' quantity of the very bin they count blind."""
    counter = await make_actor("counter")
    await receive(graphql, admin, place.sku, place.bin_a, "37")
    await plan(graphql, admin, store, place)

    answer = (await graphql.post(PRODUCT_STOCK, {"sku": place.sku}, token=counter.token)).json()

    product = (answer.get("data") or {}).get("product")
    leaked = product is not None and (
        product.get("onHand") == "37.0000" or any(level.get("onHand") for level in product.get("stockLevels") or [])
    )
    assert not leaked, answer


async def test_a_counter_of_a_blind_count_is_not_shown_the_lines_the_books_expect(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """Starting a bin writes a line for every (product, lot, package) the books hold there. A counter who
    scanned one product must not be listed the others (lot L-HIDDEN, and the box) the books say are there:
    that is the blind count's answer key, short of the number."""
    counter = await make_actor("counter")
    await receive(graphql, admin, place.sku, place.bin_a, "3")
    await receive(graphql, admin, place.lot_sku, place.bin_a, "5", lot="L-HIDDEN")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, counter, count, place.bin_a, place.sku, "3")

    seen = await lines(graphql, counter, count, place.bin_a)

    assert [(s["sku"], s["lot"]) for s in seen] == [(place.sku, None)], seen


async def test_a_recount_answer_does_not_show_the_recounter_what_the_first_counters_found(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """A recount is asked because a count is doubtful; shown the first count (and told the line is off) the
    recounter is no longer blind. Neither recountStock's answer nor stockCount.lines should show it to them
    before they recount."""
    first, other = await make_actor("counter"), await make_actor("counter")
    await receive(graphql, admin, place.sku, place.bin_a, "20")
    count = await plan(graphql, admin, store, place, recountUnits="0")
    await scan(graphql, first, count, place.bin_a, place.sku, "13")
    await finish(graphql, first, count, place.bin_a)

    before = await lines(graphql, other, count, place.bin_a)

    assert [line["counted"] for line in before] == [None], before


# --- wrong adjustments and counts that cannot go on ------------------------------------------------------


async def test_a_serial_counted_twice_is_refused_at_the_scan(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """A serial is one unit: two scans of it (or a quantity of 2) must be refused where the counter can still
    fix it, not accepted and left for an approval that can never pass (a finished bin takes no correction)."""
    serial_sku = unique("SER")
    await create_product(serial_sku, ProductDetails(name="Phone", tracking="serial"), actor_id=admin.user_id)
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, serial_sku, "1", lot="SN-1")

    twice = await call(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_a, sku=serial_sku,
                       quantity="1", lot="SN-1", idempotencyKey=key())  # fmt: skip
    _no_unknown(twice)
    assert [e["field"] for e in twice["errors"]] == [["input", "quantity"]], twice


async def test_a_serial_counted_twice_does_not_leave_a_count_that_can_only_be_cancelled(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    serial_sku = unique("SER")
    await create_product(serial_sku, ProductDetails(name="Phone", tracking="serial"), actor_id=admin.user_id)
    count = await plan(graphql, admin, store, place)
    await call(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_a, sku=serial_sku,
               quantity="2", lot="SN-2", idempotencyKey=key())  # fmt: skip
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)

    approved = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())

    _no_unknown(approved)
    assert approved["errors"] == [], approved
    await assert_invariants()


async def test_an_archived_product_found_by_a_count_keeps_the_ledger_check_clean(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """An archived product takes no new stock (receipts refuse it, and check_ledger proves nothing came in
    since archived_at). A count must not bring stock in behind that rule: refuse the scan (or the
    approval) with a UserError, and the ledger check stays clean."""
    await receive(graphql, admin, place.sku, place.bin_a, "1")
    await set_archived(place.sku, True, actor_id=admin.user_id)
    count = await plan(graphql, admin, store, place)
    found = await call(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_b, sku=place.sku,
                       quantity="5", idempotencyKey=key())  # fmt: skip
    _no_unknown(found)
    if found["errors"] == []:
        for bin_ in (place.bin_a, place.bin_b):
            await call(graphql, admin, FINISH, countId=count["id"], locationCode=bin_)
        approved = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())
        _no_unknown(approved)
    report = await check_ledger()
    await set_archived(place.sku, False, actor_id=admin.user_id)  # so later tests' ledger checks stay clean
    assert report.ok, report.problems


async def test_stock_packed_in_its_bin_while_the_bin_is_counted_does_not_block_the_count(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """10 loose in the bin, the bin started, then the 10 packed into a box there (work goes on during a
    count), and the counter counts the box: 10. Nothing is missing, yet the approval is refused ("count the
    bin again") and a finished bin cannot be counted again: the whole count can only be cancelled."""
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.lot_sku, "1", lot="L-FOUND")  # starts the bin
    box = sscc()
    assert (await call(graphql, admin, CREATE, sscc=box, kind="BOX", locationCode=place.bin_a))["errors"] == []
    packed = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": place.sku, "quantity": "10"}])
    assert packed["errors"] == [], packed
    await scan(graphql, admin, count, place.bin_a, place.sku, "10", packageSscc=box)
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)

    approved = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())

    assert approved["errors"] == [], approved
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "10.0000"
    await assert_invariants()


async def test_a_bin_the_approval_asks_to_count_again_can_be_counted_again(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """The refusal says "count the bin again"; the API must offer a way to (a supervisor reopens the bin, it is
    counted from the start), else a count of thousands of bins is lost to one pick made while it ran."""
    other = await make_actor("counter")
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "0", mode="SET")
    await pick(graphql, admin, place.sku, place.bin_a, "10")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)
    refused = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())
    assert "count the bin again" in refused["errors"][0]["message"]

    reopened = await call(graphql, admin, REOPEN, countId=count["id"], locationCode=place.bin_a)
    rescanned = await call(graphql, other, RECORD, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
                           quantity="0", mode="SET", idempotencyKey=key())  # fmt: skip
    await finish(graphql, other, count, place.bin_a)
    approved = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())

    assert reopened["errors"] == [] and rescanned["errors"] == [] and approved["errors"] == [], approved
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "0"
    await assert_invariants()


async def test_approval_reports_the_loose_and_the_packed_problems_at_once(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """Loose stock that left a bin after it was started (counted 0 of 5, then the 5 picked) and a box that was
    moved away after it was counted: both are reported by one refused approval, and by the review."""
    box = sscc()
    await receive(graphql, admin, place.sku, place.bin_a, "12")
    await receive(graphql, admin, place.sku, place.bin_b, "5")
    assert (await call(graphql, admin, CREATE, sscc=box, kind="BOX", locationCode=place.bin_a))["errors"] == []
    assert (await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": place.sku, "quantity": "12"}]))["errors"] == []
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "13", packageSscc=box)  # one more in the box
    await scan(graphql, admin, count, place.bin_b, place.sku, "0", mode="SET")
    await pick(graphql, admin, place.sku, place.bin_b, "5")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)
    moved = await keyed(graphql, admin, MOVE_PACKAGE, sscc=box, toLocationCode=place.bin_b)
    assert moved["errors"] == [], moved

    refused = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())
    problems = (await graphql.run(PROBLEMS, {"id": count["id"]}, token=admin.token))["stockCount"]["problems"]

    _no_unknown(refused)
    assert sorted(e["code"] for e in refused["errors"]) == ["INSUFFICIENT_STOCK", "INVALID"], refused["errors"]
    assert box in " | ".join(e["message"] for e in refused["errors"])
    assert problems == refused["errors"]


# --- hostile input ----------------------------------------------------------------------------------------


async def test_hostile_input_to_counts_is_a_user_error_never_an_unknown_error(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    count = await plan(graphql, admin, store, place)
    nul, huge = "A\x00B", "X" * 10_000_000
    base = {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "quantity": "1"}
    cases: list[tuple[str, dict[str, Any]]] = [
        (RECORD, {**base, "idempotencyKey": nul}),
        (RECORD, {**base, "idempotencyKey": huge}),
        (RECORD, {**base, "quantity": "1.00001", "idempotencyKey": key()}),
        (RECORD, {**base, "quantity": "1e30", "idempotencyKey": key()}),
        (RECORD, {**base, "quantity": "NaN", "idempotencyKey": key()}),
        (RECORD, {**base, "quantity": "Infinity", "idempotencyKey": key()}),
        (RECORD, {**base, "countId": "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==", "idempotencyKey": key()}),
        (RECORD, {**base, "sku": nul, "idempotencyKey": key()}),
        (RECORD, {**base, "packageSscc": nul, "idempotencyKey": key()}),
        (RECORD, {**base, "lot": huge, "idempotencyKey": key()}),
        (RECORD, {**base, "locationCode": huge, "idempotencyKey": key()}),
        (FINISH, {"countId": count["id"], "locationCode": nul}),
        (FINISH, {"countId": count["id"], "locationCode": huge}),
        (FINISH, {"countId": count["id"], "locationCode": place.bin_a, "idempotencyKey": nul}),
        (RECOUNT, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "countedQuantity": "-1",
                   "idempotencyKey": key()}),
        (RECOUNT, {"countId": count["id"], "locationCode": place.bin_a, "sku": place.sku, "countedQuantity": "1",
                   "lot": nul, "idempotencyKey": key()}),
        (APPROVE, {"id": "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="}),
        (APPROVE, {"id": nul}),
        (CANCEL, {"id": huge}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "WAREHOUSE",
                "recountUnits": "0.00001"}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "WAREHOUSE",
                "recountValue": "1e40"}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "ZONE", "zoneCode": nul}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "ABC", "abcClasses": [huge]}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "ABC", "abcClasses": ["A"],
                "abcWindowDays": 2_000_000_000}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "STALE_BINS",
                "notCountedDays": -5}),
        (PLAN, {"storeCode": store, "warehouseCode": place.warehouse, "scope": "WAREHOUSE",
                "idempotencyKey": nul}),
    ]  # fmt: skip
    for query, given in cases:
        body = (await graphql.post(query, {"input": given}, token=admin.token)).json()
        _no_unknown(body)
        payload = next(iter((body.get("data") or {None: None}).values()))
        assert body.get("errors") or (payload and payload["errors"]), (given, body)
    read_cases: list[dict[str, Any]] = [
        {"id": count["id"], "bin": nul},
        {"id": count["id"], "bin": huge},
        {"id": count["id"], "first": -1},
        {"id": count["id"], "after": -5},
        {"id": "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="},
        {"id": nul},
    ]
    for variables in read_cases:
        body = (await graphql.post(COUNT_LINES_RAW, variables, token=admin.token)).json()
        _no_unknown(body)
    assert await lines(graphql, admin, count) == []  # nothing was written


async def test_a_retried_scan_with_the_same_key_but_another_quantity_is_refused_not_replayed_silently(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    count = await plan(graphql, admin, store, place)
    same = key()
    await ok(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_a, sku=place.sku, quantity="3",
             idempotencyKey=same)  # fmt: skip
    other = await call(graphql, admin, RECORD, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
                       quantity="4", idempotencyKey=same)  # fmt: skip
    assert other["errors"] != [], other
    assert [line["counted"] for line in await lines(graphql, admin, count, place.bin_a)] == ["3.0000"]


async def test_sum_of_many_counters_above_the_largest_quantity_is_a_user_error(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """Each tally is kept below the largest quantity, but their sum is not: the approval must answer a
    UserError (or the scan refuse it), never an unknown error, and book nothing."""
    counters = [await make_actor("counter") for _ in range(3)]
    count = await plan(graphql, admin, store, place)
    for counter in counters:
        done = await call(graphql, counter, RECORD, countId=count["id"], locationCode=place.bin_a, sku=place.sku,
                          quantity="999999999999", idempotencyKey=key())  # fmt: skip
        _no_unknown(done)
    seen = (await graphql.post(COUNT_LINES_RAW, {"id": count["id"]}, token=admin.token)).json()
    _no_unknown(seen)
    for bin_ in (place.bin_a, place.bin_b):
        _no_unknown(await call(graphql, admin, FINISH, countId=count["id"], locationCode=bin_))
    approved = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())
    _no_unknown(approved)
    assert approved["errors"] != [] or Decimal(await on_hand(graphql, admin, place.sku, place.bin_a)) < Decimal(10**12)
    await assert_invariants()


async def test_lines_of_another_bin_of_the_same_code_shape_are_not_listed(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """A location code that is not in the count lists nothing (and answers no error)."""
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "1")
    body = (await graphql.post(LINES, {"id": count["id"], "bin": "NOPE-" + place.bin_a, "diff": False},
                               token=admin.token)).json()  # fmt: skip
    assert body["data"]["stockCount"]["lines"] == [], body


async def test_a_serial_found_in_another_bin_of_the_count_moves_there(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """The books have serial SN-M in bin A; the count finds it in bin B and not in A. One approval takes it out
    of A and puts it into B: the serial is never in two places, so nothing should refuse it."""
    serial_sku = unique("SER")
    await create_product(serial_sku, ProductDetails(name="Phone", tracking="serial"), actor_id=admin.user_id)
    await receive(graphql, admin, serial_sku, place.bin_a, "1", lot="SN-M")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_b, serial_sku, "1", lot="SN-M")
    for bin_ in (place.bin_b, place.bin_a):
        await finish(graphql, admin, count, bin_)

    approved = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())

    _no_unknown(approved)
    assert approved["errors"] == [], approved
    assert await on_hand(graphql, admin, serial_sku, place.bin_b) == "1.0000"
    await assert_invariants()


async def test_approval_in_a_locked_period_is_a_user_error_and_shows_in_the_problems(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    from server.clock import today
    from server.inventory.periods import set_period_lock

    await receive(graphql, admin, place.sku, place.bin_a, "10")
    count = await plan(graphql, admin, store, place)
    await scan(graphql, admin, count, place.bin_a, place.sku, "8")
    for bin_ in (place.bin_a, place.bin_b):
        await finish(graphql, admin, count, bin_)
    await set_period_lock(place.warehouse, today(), actor_id=admin.user_id)
    try:
        refused = await call(graphql, admin, APPROVE, id=count["id"], idempotencyKey=key())
        problems = (await graphql.post(PROBLEMS, {"id": count["id"]}, token=admin.token)).json()
    finally:
        await set_period_lock(place.warehouse, None, actor_id=admin.user_id)

    _no_unknown(refused)
    _no_unknown(problems)
    assert refused["errors"] != [] and refused["count"] is None, refused
    assert await on_hand(graphql, admin, place.sku, place.bin_a) == "10.0000"
    assert problems["data"]["stockCount"]["problems"] != [], problems  # the review tells it before approving


async def test_finishing_a_bin_does_not_tell_a_counter_whether_the_count_matches_the_books(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    """With a threshold of 0, `recountsNeeded` in finishCountBin's answer (and `recountNeeded` on the lines)
    tells a counter of a blind count whether each line matched the books."""
    counter = await make_actor("counter")
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    count = await plan(graphql, admin, store, place, recountUnits="0")
    await scan(graphql, counter, count, place.bin_a, place.sku, "9")

    done = await finish(graphql, counter, count, place.bin_a)

    assert done["recountsNeeded"] is None, done
