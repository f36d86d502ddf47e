"""A hostile client's and a careless one's confirmPicks with scans, pick list paging, channel references and
amendments: what the server refuses at its input, what it books once however often it is sent, and what a
backdated pick does to a closed period and to the valuation."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from typing import Any

import pytest

from schema.documents.types import document_id
from server.documents.models import Document
from server.inventory.periods import set_period_lock
from server.inventory.valuation.snapshots import take_snapshot
from server.inventory.valuation.value import stock_value
from server.partners.models import Party
from server.sales.models import SalesOrder
from server.scanning.models import LOGGED_CODE_LENGTH
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.fulfillment_support import CONFIRM_PICKS, refused
from tests.schema.sales_support import RECEIVE_STOCK, Shop, assert_invariants, call, key, make_shop, ok
from tests.schema.test_sales_pick_scans import ago, logged, moves_of, scan, two_line_list

LINES_PAGE = """query L($id: ID!, $first: Int, $after: Int) { pickList(id: $id) {
  lines(first: $first, afterPosition: $after) { position sku } } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def confirm(graphql: GraphQLClient, admin: Actor, list_id: str, lines: list[dict[str, Any]],
                  idempotency_key: str | None = None) -> dict[str, Any]:  # fmt: skip
    return await call(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines,
                      idempotencyKey=idempotency_key or key())  # fmt: skip


async def nothing_booked(graphql: GraphQLClient, admin: Actor, skus: list[str]) -> bool:
    return [await moves_of(graphql, admin, sku) for sku in skus] == [[] for _ in skus]


# ---- input a client gets wrong ----


async def test_a_scan_code_with_nul_bytes_is_booked_and_logged_escaped(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    device = unique("HH")

    done = await confirm(
        graphql, admin, list_id, [{"position": 1, "scan": scan(f"{skus[0]}\x00x", device, ago(minutes=1))}]
    )

    assert done["errors"] == [] and done["pickList"]["state"] == "done"
    [logged_scan] = await logged(graphql, admin, device)
    assert logged_scan["code"] == f"{skus[0]}\\x00x"
    await assert_invariants()


async def test_a_scan_code_as_long_as_a_request_holds_is_logged_cut(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, _ = await two_line_list(graphql, admin, shop)
    device = unique("HH")

    done = await confirm(
        graphql, admin, list_id, [{"position": 1, "scan": scan("7" * 900_000, device, ago(minutes=1))}]
    )

    assert done["errors"] == []
    [logged_scan] = await logged(graphql, admin, device)
    assert logged_scan["code"] == "7" * LOGGED_CODE_LENGTH


async def test_a_ten_megabyte_scan_code_is_refused_before_it_is_read(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    variables = {"input": {"id": list_id, "idempotencyKey": key(),
                           "lines": [{"position": 1, "scan": {"code": "7" * 10_000_000}}]}}  # fmt: skip

    response = await graphql.post(CONFIRM_PICKS, variables, token=admin.token)

    assert response.status_code == 413
    assert await nothing_booked(graphql, admin, skus)


@pytest.mark.parametrize(
    "scanned_at",
    [
        "1999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2026-01-01T10:00:00",
    ],
)
async def test_a_scan_time_no_clock_could_have_read_is_refused_at_its_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop, scanned_at: str
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    lines = [{"position": 1, "quantity": "3"}, {"position": 2, "scan": {"code": skus[1], "scannedAt": scanned_at}}]

    error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=key())

    assert error["code"] == "INVALID" and error["field"] == ["input", "lines", "1", "scan", "scannedAt"]
    assert await nothing_booked(graphql, admin, skus)


@pytest.mark.parametrize("position", [0, -1, 3, 2000, 2001, 2**31 - 1])
async def test_a_position_the_list_does_not_have_is_refused_at_its_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop, position: int
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    lines = [{"position": 1, "scan": scan(skus[0], "hh", ago(minutes=1))}, {"position": position, "quantity": "1",
                                                                            "reason": "Gone"}]  # fmt: skip

    error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=key())

    assert error["code"] == "NOT_FOUND" and error["field"] == ["input", "lines", "1", "position"]
    assert await nothing_booked(graphql, admin, skus)


async def test_a_position_of_another_list_is_not_found_on_this_one(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    other_order = await ok(graphql, """mutation C($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
      document { id } errors { field code message } } }""", "createSalesOrder", admin, customer=shop.customer,
                           store=shop.store, lines=[{"sku": skus[0], "quantity": "1", "price": "1"}])  # fmt: skip
    assert other_order["document"]["id"]
    # The list has lines 1 and 2 only; line 3 is another list's numbering, not this one's.
    error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, idempotencyKey=key(),
                          lines=[{"position": 3, "scan": scan(skus[0], "hh", ago(minutes=1))}])  # fmt: skip
    assert error["code"] == "NOT_FOUND"
    assert await nothing_booked(graphql, admin, skus)


async def test_the_same_position_twice_is_refused_even_with_different_scans(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    lines = [
        {"position": 1, "quantity": "1", "reason": "Short", "scan": scan(skus[0], "hh", ago(minutes=3))},
        {"position": 1, "quantity": "2", "reason": "Short", "scan": scan(skus[0], "hh", ago(minutes=2))},
    ]

    error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=key())

    assert error["code"] == "INVALID" and error["field"] == ["input", "lines"]
    assert await nothing_booked(graphql, admin, skus)


@pytest.mark.parametrize("quantity", ["-1", "-0.0001", "4", "1e30", "99999999999999999999", "NaN", "Infinity",
                                      "-Infinity", "sNaN", "0.00001", "1,5", " 1", "0x1", ""])  # fmt: skip
async def test_a_quantity_no_picker_could_have_found_is_refused_at_its_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop, quantity: str
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    lines = [{"position": 2, "quantity": quantity, "reason": "Short", "scan": scan(skus[1], "hh", ago(minutes=1))}]

    payload = await confirm(graphql, admin, list_id, lines)

    assert payload["pickList"] is None, payload
    assert payload["errors"][0]["field"][:4] == ["input", "lines", "0", "quantity"]
    assert await nothing_booked(graphql, admin, skus)


async def test_a_line_named_without_a_quantity_and_with_a_scan_is_picked_in_full(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    at = ago(minutes=7)

    done = await confirm(graphql, admin, list_id, [{"position": 2, "quantity": None, "scan": scan(skus[1], "hh", at)}])

    assert done["errors"] == []
    assert [(ln["picked"], ln["short"]) for ln in done["pickList"]["lines"]] == [("3.0000", "0.0000")] * 2
    [second] = await moves_of(graphql, admin, skus[1])
    assert datetime.datetime.fromisoformat(second["effectiveAt"]) == at
    [first] = await moves_of(graphql, admin, skus[0])  # not named: booked now
    assert datetime.datetime.fromisoformat(first["effectiveAt"]) > at
    await assert_invariants()


# ---- paging the list's lines ----


@pytest.mark.parametrize(("after", "first", "expected"), [(-5, 10, [1, 2]), (-(2**31), 10, [1, 2]), (0, 1, [1]),
                                                           (1, 10, [2]), (2, 10, []), (2**31 - 1, 10, [])])  # fmt: skip
async def test_lines_after_any_position_are_the_lines_after_it(
    graphql: GraphQLClient, admin: Actor, shop: Shop, after: int, first: int, expected: list[int]
) -> None:
    list_id, _ = await two_line_list(graphql, admin, shop)

    found = await graphql.run(LINES_PAGE, {"id": list_id, "first": first, "after": after}, token=admin.token)

    assert [line["position"] for line in found["pickList"]["lines"]] == expected


async def test_lines_after_a_position_past_an_int_is_a_graphql_error_not_a_crash(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, _ = await two_line_list(graphql, admin, shop)

    response = await graphql.post(LINES_PAGE, {"id": list_id, "first": 10, "after": 2**31}, token=admin.token)

    body = response.json()
    assert "errors" in body and "Int" in body["errors"][0]["message"]


# ---- a key sent again ----


async def test_a_key_sent_again_with_other_scans_is_refused_and_books_nothing_more(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    device = unique("HH")
    same_key = key()
    lines = [{"position": 1, "scan": scan(skus[0], device, ago(minutes=10))}]
    assert (await confirm(graphql, admin, list_id, lines, same_key))["errors"] == []

    for other in (
        [{"position": 1, "scan": scan(skus[0], device, ago(minutes=9))}],  # another time
        [{"position": 1, "scan": scan(skus[1], device, ago(minutes=10))}],  # another code
        [{"position": 2, "scan": scan(skus[0], device, ago(minutes=10))}],  # another line
        [{"position": 1}],  # no scan
        [],
    ):
        payload = await confirm(graphql, admin, list_id, other, same_key)
        assert [e["code"] for e in payload["errors"]] == ["IDEMPOTENCY_KEY_REUSED"], other

    replay = await confirm(graphql, admin, list_id, lines, same_key)
    assert replay["errors"] == [] and replay["pickList"]["state"] == "done"
    assert len(await logged(graphql, admin, device)) == 1
    assert len(await moves_of(graphql, admin, skus[0])) == 1
    await assert_invariants()


# ---- when a scan may say it happened ----


async def test_a_scan_before_the_pick_list_was_made_is_refused_at_its_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    lines = [{"position": 1, "scan": scan(skus[0], "hh", ago(minutes=1))},
             {"position": 2, "scan": scan(skus[1], "hh", ago(days=30))}]  # fmt: skip

    error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=key())

    assert error["code"] == "INVALID" and error["field"] == ["input", "lines", "1", "scan", "scannedAt"]
    assert await nothing_booked(graphql, admin, skus)


async def test_a_scan_a_minute_before_the_list_was_made_by_a_clock_running_late_is_booked_then(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    made = (await Document.get(id=document_id(list_id))).created_at
    late_clock = (made - datetime.timedelta(minutes=1)).replace(microsecond=0)

    done = await confirm(graphql, admin, list_id, [{"position": 1, "scan": scan(skus[0], "hh", late_clock)}])

    assert done["errors"] == []
    [first] = await moves_of(graphql, admin, skus[0])
    assert datetime.datetime.fromisoformat(first["effectiveAt"]) == late_clock
    await assert_invariants()


async def backdated_list(graphql: GraphQLClient, admin: Actor, shop: Shop, days: int) -> tuple[str, list[str]]:
    """``two_line_list`` made ``days`` ago (a list picked offline since)."""
    return await two_line_list(graphql, admin, shop, made_ago=datetime.timedelta(days=days))


def just_after_midnight_east_of_utc(day: datetime.date) -> datetime.datetime:
    """00:30 at UTC+2 on the day after ``day``: 22:30 UTC on ``day`` itself."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0, 30),
                                     datetime.timezone(datetime.timedelta(hours=2)))  # fmt: skip


async def test_a_scan_on_the_day_after_a_closed_one_in_its_own_zone_but_still_in_it_in_utc_is_refused(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await backdated_list(graphql, admin, shop, days=4)
    closed = datetime.date.today() - datetime.timedelta(days=2)
    await set_period_lock(None, closed, actor_id=admin.user_id)
    lines = [
        {"position": 1, "scan": {"code": skus[0], "scannedAt": just_after_midnight_east_of_utc(closed).isoformat()}}
    ]
    try:
        error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines,
                              idempotencyKey=key())  # fmt: skip
    finally:
        await set_period_lock(None, None, actor_id=admin.user_id)

    assert error["code"] == "PERIOD_LOCKED" and error["field"] == ["input", "lines", "0", "scan", "scannedAt"]
    assert await nothing_booked(graphql, admin, skus)


async def test_every_line_scanned_on_a_closed_day_is_refused_at_its_own_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await backdated_list(graphql, admin, shop, days=4)
    closed = datetime.date.today() - datetime.timedelta(days=2)
    lines = [
        {"position": 1, "scan": scan(skus[0], "hh", ago(days=3))},
        {"position": 2, "quantity": "1", "reason": "Short", "scan": scan(skus[1], "hh", ago(days=3, minutes=1))},
    ]
    await set_period_lock(shop.first, closed, actor_id=admin.user_id)
    try:
        payload = await confirm(graphql, admin, list_id, lines)
    finally:
        await set_period_lock(shop.first, None, actor_id=admin.user_id)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("PERIOD_LOCKED", ["input", "lines", "0", "scan", "scannedAt"]),
        ("PERIOD_LOCKED", ["input", "lines", "1", "scan", "scannedAt"]),
    ]
    assert await nothing_booked(graphql, admin, skus)


async def test_stock_received_on_the_day_after_a_closed_one_in_its_own_zone_but_still_in_it_in_utc_is_refused(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    closed = datetime.date.today() - datetime.timedelta(days=2)
    await set_period_lock(None, closed, actor_id=admin.user_id)
    try:
        payload = await call(
            graphql,
            RECEIVE_STOCK,
            "receiveStock",
            admin,
            sku=shop.sku,
            locationCode=shop.first_bin,
            quantity="5",
            unitCost="5",
            idempotencyKey=key(),
            scan={"code": shop.sku, "scannedAt": just_after_midnight_east_of_utc(closed).isoformat()},
        )
    finally:
        await set_period_lock(None, None, actor_id=admin.user_id)

    assert [e["code"] for e in payload["errors"]] == ["PERIOD_LOCKED"]


async def test_a_short_pick_scanned_east_of_utc_is_valued_on_its_utc_day_with_or_without_a_snapshot(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await backdated_list(graphql, admin, shop, days=3)
    day = datetime.date.today() - datetime.timedelta(days=2)
    lines = [{"position": 2, "quantity": "2", "reason": "Damaged",
              "scan": {"code": skus[1], "scannedAt": just_after_midnight_east_of_utc(day).isoformat()}}]  # fmt: skip

    assert (await confirm(graphql, admin, list_id, lines))["errors"] == []

    # The one lost (to inventory loss) left the warehouse at 22:30 UTC on ``day``: gone at its end, there the day
    # before; the two picked are still in the warehouse (in its output location).
    def quantities(values: list[Any]) -> list[Decimal]:
        return [v.quantity for v in values]

    assert quantities(await stock_value(day, sku=skus[1], warehouse_code=shop.first)) == [Decimal(4)]
    assert quantities(await stock_value(day - datetime.timedelta(days=1), sku=skus[1])) == [Decimal(5)]
    # A snapshot of a closed day holds the same sum as the moves up to its end.
    await set_period_lock(None, day, actor_id=admin.user_id)
    try:
        await take_snapshot(day, actor_id=admin.user_id)
        with_snapshot = await stock_value(day, sku=skus[1])
        without = await stock_value(day, sku=skus[1], use_snapshots=False)
    finally:
        await set_period_lock(None, None, actor_id=admin.user_id)
    assert quantities(with_snapshot) == quantities(without) == [Decimal(4)]
    assert [v.value for v in with_snapshot] == [v.value for v in without] == [Decimal(20)]
    await assert_invariants()


ISSUE = """mutation I($input: IssueStockInput!) { issueStock(input: $input) { moves { id } errors { field code } } }"""


async def test_stock_issued_with_a_scan_from_before_it_was_received_is_refused(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=shop.sku, locationCode=shop.first_bin, quantity="5",
             unitCost="5", idempotencyKey=key())  # fmt: skip

    ten_days_ago = {"code": shop.sku, "scannedAt": ago(days=10).isoformat()}
    payload = await call(graphql, ISSUE, "issueStock", admin, sku=shop.sku, locationCode=shop.first_bin, quantity="2",
                         idempotencyKey=key(), scan=ten_days_ago)  # fmt: skip

    # Refused: booked, its move would be effective ten days ago, and the warehouse would hold -2 (worth -10) five
    # days ago.
    assert payload["errors"] != []
    assert await stock_value(datetime.date.today() - datetime.timedelta(days=5), sku=shop.sku) == []


# ---- concurrency ----


@pytest.mark.postgres
async def test_a_list_confirmed_at_once_from_several_devices_is_booked_once(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    devices = [unique("HH") for _ in range(5)]

    def lines(device: str) -> list[dict[str, Any]]:
        return [
            {"position": 1, "scan": scan(skus[0], device, ago(minutes=5))},
            {"position": 2, "quantity": "1", "reason": "Short", "scan": scan(skus[1], device, ago(minutes=4))},
        ]

    sends = [confirm(graphql, admin, list_id, lines(device)) for device in devices]

    payloads = await asyncio.gather(*sends)

    booked = [p for p in payloads if p["errors"] == []]
    assert len(booked) == 1, payloads
    assert {e["code"] for p in payloads if p["errors"] for e in p["errors"]} <= {"ILLEGAL_TRANSITION", "STALE"}
    assert len(await moves_of(graphql, admin, skus[0])) == 1
    assert sorted(m["reason"] for m in await moves_of(graphql, admin, skus[1])) == ["pick", "short_pick"]
    assert sum([len(await logged(graphql, admin, d)) for d in devices]) == 2
    await assert_invariants()


@pytest.mark.postgres
async def test_one_request_sent_at_once_twice_with_its_key_books_once_and_answers_both_alike(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    device = unique("HH")
    same_key = key()
    lines = [{"position": 2, "quantity": "2", "reason": "Short", "scan": scan(skus[1], device, ago(minutes=5))}]

    first, second = await asyncio.gather(*(confirm(graphql, admin, list_id, lines, same_key) for _ in range(2)))

    assert first["errors"] == [] and second["errors"] == []
    assert first["pickList"] == second["pickList"]
    assert len(await logged(graphql, admin, device)) == 1
    assert len(await moves_of(graphql, admin, skus[1])) == 2
    await assert_invariants()


CREATE_ORDER = """mutation C($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
  document { id salesOrder { externalReference } } errors { field code } } }"""


@pytest.mark.postgres
async def test_one_channel_reference_sent_at_once_for_two_customers_makes_one_order_and_refuses_the_other(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    reference = unique("AMZ")
    customers = [shop.customer, (await Party.create(code=unique("CUS"), name="Bob", roles=["customer"])).code] * 3
    lines = [{"sku": shop.sku, "quantity": "1", "price": "10"}]

    payloads = await asyncio.gather(*(
        call(graphql, CREATE_ORDER, "createSalesOrder", admin, customer=customer, store=shop.store, lines=lines,
             channel="marketplace", externalReference=reference) for customer in customers
    ))  # fmt: skip

    made = {p["document"]["id"] for p in payloads if p["document"] is not None}
    refused_ones = [p for p in payloads if p["document"] is None]
    assert len(made) == 1 and len(refused_ones) == 3, payloads
    assert all(
        p["errors"] == [{"field": ["input", "externalReference"], "code": "ALREADY_EXISTS"}] for p in refused_ones
    )
    assert await SalesOrder.filter(external_reference=reference).count() == 1
