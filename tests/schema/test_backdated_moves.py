"""Moves dated in the past (a scan sent later by the handheld's queue) take stock out of a bin at that time: they
are refused when the bin did not hold it then, so the ledger's past never goes below zero; a receipt dated in the
past adds, and a scan after the stock came is booked however much arrived since."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from typing import Any

import pytest

from server.catalog.service import ProductDetails, create_product
from server.inventory.locations import create_location
from server.inventory.valuation.value import stock_value
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.fulfillment_support import CONFIRM_PICKS, LEVELS, MOVES, VALIDATE, pick_list, shipment, steps
from tests.schema.sales_support import RECEIVE_STOCK, Shop, assert_invariants, call, confirmed, key, make_shop, ok
from tests.schema.test_sales_pick_scans import ago

ERRORS = "errors { field code message }"
ISSUE = f"""mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
MOVE = f"""mutation M($input: MoveStockInput!) {{ moveStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


def scanned(at: datetime.datetime) -> dict[str, str]:
    return {"code": "scanned", "device": "HH-1", "scannedAt": at.isoformat()}


async def receive(graphql: GraphQLClient, admin: Actor, shop: Shop, quantity: str,
                  at: datetime.datetime | None = None) -> None:  # fmt: skip
    extra = {"scan": scanned(at)} if at is not None else {}
    await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=shop.sku, locationCode=shop.first_bin,
             quantity=quantity, unitCost="5", idempotencyKey=key(), **extra)  # fmt: skip


async def issue(graphql: GraphQLClient, admin: Actor, shop: Shop, quantity: str,
                at: datetime.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    extra = {"scan": scanned(at)} if at is not None else {}
    return await call(graphql, ISSUE, "issueStock", admin, sku=shop.sku, locationCode=shop.first_bin,
                      quantity=quantity, idempotencyKey=key(), **extra)  # fmt: skip


async def on_hand(graphql: GraphQLClient, admin: Actor, shop: Shop) -> dict[str, Decimal]:
    found = await graphql.run(LEVELS, {"sku": shop.sku, "warehouse": shop.first}, token=admin.token)
    return {e["node"]["locationCode"]: Decimal(e["node"]["onHand"]) for e in found["stockLevels"]["edges"]}


async def moves(graphql: GraphQLClient, admin: Actor, sku: str) -> list[tuple[str, str, str]]:
    found = await graphql.run(MOVES, {"sku": sku}, token=admin.token)
    return [(e["node"]["fromLocationCode"], e["node"]["toLocationCode"], e["node"]["quantity"])
            for e in found["stockMoves"]["edges"]]  # fmt: skip


async def assert_no_day_below_zero(sku: str, days: int = 12) -> None:
    """What the warehouse held at the end of each of the last ``days`` days, as the valuation reads it."""
    today = datetime.date.today()
    for back in range(days + 1):
        for bucket in await stock_value(today - datetime.timedelta(days=back), sku=sku):
            assert bucket.quantity >= 0 and bucket.value >= 0, (back, bucket)


async def test_an_issue_scanned_before_its_stock_came_is_refused_saying_what_the_bin_held_then(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await receive(graphql, admin, shop, "5")
    ten_days_ago = ago(days=10)

    payload = await issue(graphql, admin, shop, "2", ten_days_ago)

    [error] = payload["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "quantity"]
    assert error["message"] == (
        f"{shop.first_bin} held only 0 of {shop.sku} at {ten_days_ago.strftime('%Y-%m-%d %H:%M')} UTC, the time 2"
        " are taken out at: the stock came later."
    )
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(5)}
    assert len(await moves(graphql, admin, shop.sku)) == 1
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


async def test_a_scan_minutes_before_a_later_receipt_is_booked_when_the_bin_held_enough_then(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await receive(graphql, admin, shop, "5", ago(minutes=30))
    await receive(graphql, admin, shop, "3")  # other units, after the scans below

    booked = await issue(graphql, admin, shop, "4", ago(minutes=5))
    too_many = await issue(graphql, admin, shop, "2", ago(minutes=4))  # 1 was left then; 3 more came later
    now = await issue(graphql, admin, shop, "2")

    assert booked["errors"] == [] and now["errors"] == []
    [error] = too_many["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and "held only 1 of" in error["message"]
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(2)}
    [value] = await stock_value(sku=shop.sku)
    assert (value.quantity, value.value) == (Decimal(2), Decimal(10))
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


async def test_a_receipt_dated_before_what_left_the_bin_is_booked(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await receive(graphql, admin, shop, "2")
    assert (await issue(graphql, admin, shop, "2"))["errors"] == []

    await receive(graphql, admin, shop, "4", ago(days=3))  # adds to the past: nothing can go below zero

    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(4)}
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


async def test_an_issue_dated_before_stock_that_left_later_is_refused_saying_how_much_stayed(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await receive(graphql, admin, shop, "5", ago(hours=3))
    assert (await issue(graphql, admin, shop, "4", ago(hours=1)))["errors"] == []
    await receive(graphql, admin, shop, "10")

    payload = await issue(graphql, admin, shop, "2", ago(hours=2))  # 5 there then, but 4 of them left at 1h

    [error] = payload["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK"
    assert "held 5 of" in error["message"] and "only 1 of them stayed" in error["message"]
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(11)}
    await assert_invariants()


async def test_a_move_scanned_before_its_stock_came_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    other = unique("BIN")
    await create_location(shop.first, other, other, actor_id=admin.user_id)
    await receive(graphql, admin, shop, "5")

    payload = await call(graphql, MOVE, "moveStock", admin, sku=shop.sku, fromLocationCode=shop.first_bin,
                         toLocationCode=other, quantity="3", idempotencyKey=key(),
                         scan=scanned(ago(days=1)))  # fmt: skip

    [error] = payload["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "quantity"]
    assert shop.first_bin in error["message"] and "the stock came later" in error["message"]
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(5)}
    assert len(await moves(graphql, admin, shop.sku)) == 1
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


async def test_a_pick_scanned_before_its_stock_came_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await steps(graphql, admin, shop.first, 2)
    await receive(graphql, admin, shop, "3")  # now: the list is made right after, the scan 4 minutes before
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]
    lines = [{"position": 1, "scan": scanned(ago(minutes=4))}]  # within a device clock's skew of the list

    payload = await call(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=listed["id"], lines=lines,
                         idempotencyKey=key())  # fmt: skip

    [error] = payload["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "lines", "0", "quantity"]
    assert "the stock came later" in error["message"]
    assert payload["pickList"] is None
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(3)}
    assert len(await moves(graphql, admin, shop.sku)) == 1
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


@pytest.mark.postgres
async def test_two_backdated_issues_that_fit_alone_but_not_together_book_one_and_refuse_the_other(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await receive(graphql, admin, shop, "3", ago(hours=2))
    await receive(graphql, admin, shop, "10")  # today's on-hand holds both: only the past cannot
    an_hour_ago = ago(hours=1)

    payloads = await asyncio.gather(*(issue(graphql, admin, shop, "2", an_hour_ago) for _ in range(2)))

    assert sorted(len(p["errors"]) for p in payloads) == [0, 1], payloads
    [error] = [e for p in payloads for e in p["errors"]]
    assert error["code"] == "INSUFFICIENT_STOCK" and "held 3 of" in error["message"]
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(11)}
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


async def test_a_pick_list_line_scanned_before_its_stock_came_is_refused_at_that_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    late = unique("SOLD")  # created after the shop's product: booked second, named first below
    await create_product(late, ProductDetails(name="Late widget"), actor_id=admin.user_id)
    await steps(graphql, admin, shop.first, 2)
    await receive(graphql, admin, shop, "3", ago(days=1))
    await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=late, locationCode=shop.first_bin, quantity="3",
             unitCost="5", idempotencyKey=key())  # fmt: skip
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"},
                                                   {"sku": late, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]
    position = {line["sku"]: line["position"] for line in listed["lines"]}
    four_minutes_ago = scanned(ago(minutes=4))
    lines = [{"position": position[late], "scan": four_minutes_ago},
             {"position": position[shop.sku], "scan": four_minutes_ago}]  # fmt: skip

    payload = await call(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=listed["id"], lines=lines,
                         idempotencyKey=key())  # fmt: skip

    [error] = payload["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "lines", "0", "quantity"]
    assert late in error["message"]
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(3)}
    await assert_invariants()


async def test_a_shipment_scanned_before_its_stock_came_is_refused_at_the_scan_time(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await receive(graphql, admin, shop, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first)

    payload = await call(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"],
                         scan=scanned(ago(hours=2)), idempotencyKey=key())  # fmt: skip

    [error] = payload["errors"]
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "scan", "scannedAt"]
    assert "the stock came later" in error["message"]
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(5)}
    assert len(await moves(graphql, admin, shop.sku)) == 1
    await assert_no_day_below_zero(shop.sku)
    await assert_invariants()


DOCUMENT = (
    """mutation C($input: CreateDocumentInput!) { createDocument(input: $input) { document { id } errors { code } } }"""
)
ACT = """mutation A($input: TransitionDocumentInput!) {
  transitionDocument(input: $input) { document { state } errors { field code message } } }"""


async def test_goods_out_dated_yesterday_takes_stock_that_came_during_yesterday(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    # A document of an earlier day moves its stock at the end of that day: it sees all the day brought in.
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    ten_yesterday = datetime.datetime.combine(yesterday, datetime.time(10), datetime.UTC)
    await receive(graphql, admin, shop, "3", ten_yesterday)
    line = {"sku": shop.sku, "quantity": "2", "location": shop.first_bin}
    made = await graphql.run(DOCUMENT, {"input": {"type": "stock.outbound", "store": shop.store, "reason": "gift",
                                                  "businessDate": yesterday.isoformat(), "lines": [line]}},
                             token=admin.token)  # fmt: skip
    document_id = made["createDocument"]["document"]["id"]
    for action in ("confirm", "post"):
        answer = await graphql.run(ACT, {"input": {"id": document_id, "action": action}}, token=admin.token)
        assert answer["transitionDocument"]["errors"] == [], answer
    assert answer["transitionDocument"]["document"]["state"] == "done"
    assert await on_hand(graphql, admin, shop) == {shop.first_bin: Decimal(1)}
    assert [(r.quantity, r.value) for r in await stock_value(yesterday, sku=shop.sku)] == [(Decimal(1), Decimal(5))]
    await assert_invariants()
