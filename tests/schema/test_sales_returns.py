"""Customer returns (RMA) over GraphQL: authorized against what shipped, received into the returns location at
the cost of goods they shipped at, inspected (restocked at that cost, or scrapped), refunded through payments."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from server.inventory.valuation.check import valuation_problems
from tests.conftest import Actor, GraphQLClient
from tests.schema.fulfillment_support import MOVES, levels, order_state, refused, shipment, steps, validated
from tests.schema.sales_support import (
    ERRORS,
    RECEIVE_STOCK,
    Shop,
    assert_invariants,
    call,
    confirmed,
    key,
    make_shop,
    ok,
    stock,
)
from tests.schema.test_sales_bundles import SET, Kit, product

RETURN = """document { id number type state version gross }
  salesReturn { id number state version orderNumber customer reason receivedAt inspectedAt refunded currency
    lines(first: 20) { position orderPosition sku warehouse quantity unitCost restocked restockedTo scrapped
      scrapReason } }
  order { id state version }"""
CREATE = (
    f"""mutation C($input: CreateSalesReturnInput!) {{ createSalesReturn(input: $input) {{ {RETURN} {ERRORS} }} }}"""
)
RECEIVE = f"""mutation R($input: ReceiveSalesReturnInput!) {{
  receiveSalesReturn(input: $input) {{ {RETURN} {ERRORS} }} }}"""
INSPECT = f"""mutation I($input: InspectSalesReturnInput!) {{
  inspectSalesReturn(input: $input) {{ {RETURN} {ERRORS} }} }}"""
TRANSITION = f"""mutation T($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ id state }} {ERRORS} }} }}"""
PAY = f"""mutation P($input: SalesPaymentInput!) {{
  recordSalesPayment(input: $input) {{ payment {{ id }} {ERRORS} }} }}"""
PAYMENT_STATUS = """query O($id: ID!) { document(id: $id) { salesOrder { payment paid balanceDue
  payments(first: 20) { kind method amount reference } lines { position shipped returned open } fulfillment } } }"""
RETURNS_OF = """query R($order: ID!) { salesReturnsOfOrder(order: $order) { number state lines { quantity } } }"""
VALUE = """query V($sku: String, $warehouseCode: String) {
  stockValue(sku: $sku, warehouseCode: $warehouseCode) { quantity value } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def shipped_order(graphql: GraphQLClient, admin: Actor, shop: Shop, quantity: str = "5",
                        lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """An order of ``quantity`` at 10 shipped in one step from the first warehouse, its stock received at 5."""
    await stock(graphql, admin, shop.sku, shop.first_bin, quantity)
    order = await confirmed(graphql, admin, shop, lines or [{"sku": shop.sku, "quantity": quantity, "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first)
    await validated(graphql, admin, made["document"]["id"])
    await assert_invariants()
    return order


async def authorize(graphql: GraphQLClient, actor: Actor, order: dict[str, Any], *lines: tuple[int, str],
                    **more: Any) -> dict[str, Any]:  # fmt: skip
    return await call(graphql, CREATE, "createSalesReturn", actor, order=order["id"], reason="Did not fit",
                      lines=[{"position": p, "quantity": q} for p, q in lines],
                      idempotencyKey=more.pop("idempotencyKey", key()), **more)  # fmt: skip


async def received(graphql: GraphQLClient, actor: Actor, rma: dict[str, Any]) -> dict[str, Any]:
    return await ok(graphql, RECEIVE, "receiveSalesReturn", actor, id=rma["document"]["id"], idempotencyKey=key())


async def payment_status(graphql: GraphQLClient, actor: Actor, order: dict[str, Any]) -> dict[str, Any]:
    return (await graphql.run(PAYMENT_STATUS, {"id": order["id"]}, token=actor.token))["document"]["salesOrder"]  # type: ignore[no-any-return]


async def stock_value(graphql: GraphQLClient, actor: Actor, shop: Shop) -> tuple[str, str]:
    found = (await graphql.run(VALUE, {"sku": shop.sku, "warehouseCode": shop.first}, token=actor.token))["stockValue"]
    return found["quantity"], found["value"]


async def test_a_return_of_2_of_5_one_restocked_one_scrapped_at_the_original_cost_and_refunded(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop)  # 5 shipped at a cost of goods of 5
    await ok(graphql, PAY, "recordSalesPayment", admin, order=order["id"], amount=order["gross"], method="card",
             idempotencyKey=key())  # fmt: skip
    # Stock that came in since at another cost: the returned unit must come back at 5, not at this average.
    await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=shop.sku, locationCode=shop.first_bin, quantity="3",
             unitCost="8", idempotencyKey=key())  # fmt: skip
    assert await stock_value(graphql, admin, shop) == ("3.0000", "24.0000")

    rma = await authorize(graphql, admin, order, (1, "2"))
    assert rma["errors"] == [], rma
    assert rma["document"]["type"] == "sales.return" and rma["document"]["number"].startswith("RMA")
    assert rma["salesReturn"]["state"] == "authorized" and rma["salesReturn"]["customer"] == shop.customer
    assert [(ln["orderPosition"], ln["quantity"], ln["unitCost"]) for ln in rma["salesReturn"]["lines"]] == [
        (1, "2.0000", "5.0000")
    ]
    assert (await payment_status(graphql, admin, order))["fulfillment"] == "fulfilled"  # nothing is back yet

    back = await received(graphql, admin, rma)
    assert back["salesReturn"]["state"] == "received" and back["salesReturn"]["receivedAt"]
    await assert_invariants()
    returns_location = f"{shop.first}-RETURNS"
    found = await levels(graphql, admin, shop.sku, shop.first)
    assert found[returns_location] == ("2.0000", "0.0000", "0.0000")  # on hand, never available to sell
    assert found[shop.first_bin] == ("3.0000", "0.0000", "3.0000")
    assert await stock_value(graphql, admin, shop) == ("5.0000", "34.0000")  # 24 + 2 x 5
    state = await payment_status(graphql, admin, order)
    assert state["fulfillment"] == "partly_returned"
    assert [(ln["shipped"], ln["returned"], ln["open"]) for ln in state["lines"]] == [("5.0000", "2.0000", "0.0000")]

    done = await ok(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"], idempotencyKey=key(),
                    lines=[{"position": 1, "restocked": "1", "scrapped": "1", "reason": "Cracked screen"}],
                    refund={"method": "card"})  # fmt: skip
    await assert_invariants()
    assert await valuation_problems() == []
    details = done["salesReturn"]
    assert details["state"] == "done" and details["inspectedAt"] and details["refunded"] == "20.0000"
    assert [(ln["restocked"], ln["restockedTo"], ln["scrapped"], ln["scrapReason"]) for ln in details["lines"]] == [
        ("1.0000", shop.first_bin, "1.0000", "Cracked screen")
    ]
    found = await levels(graphql, admin, shop.sku, shop.first)
    assert found[shop.first_bin] == ("4.0000", "0.0000", "4.0000")  # the bin +1
    assert found.get(returns_location, ("0.0000",))[0] == "0.0000"
    assert await stock_value(graphql, admin, shop) == ("4.0000", "29.0000")  # 24 + the restocked unit at 5
    moves = [m["node"] for m in (await graphql.run(MOVES, {"sku": shop.sku}, token=admin.token))["stockMoves"]["edges"]]
    scrapped = [m for m in moves if m["reason"] == "scrap"]
    assert [(m["quantity"], m["fromLocationCode"], m["unitCost"]) for m in scrapped] == [
        ("1.0000", returns_location, "5.0000")  # the scrap +1, at the cost it came back at
    ]
    state = await payment_status(graphql, admin, order)
    # What came back is not owed: 3 of 5 kept come to 30, paid 50 less the refund of 20.
    assert (state["payment"], state["paid"], state["balanceDue"]) == ("paid", "30.0000", "0.0000")
    assert [(p["kind"], p["amount"], p["reference"]) for p in state["payments"]] == [
        ("payment", "50.0000", ""),
        ("refund", "20.0000", rma["document"]["number"]),
    ]
    assert state["fulfillment"] == "partly_returned"


@pytest.fixture
async def kit(admin: Actor, graphql: GraphQLClient, shop: Shop) -> Kit:
    bundle, a, b = await product(admin, "BUNDLE"), await product(admin, "PARTA"), await product(admin, "PARTB")
    await ok(graphql, SET, "setBundleComponents", admin, sku=bundle,
             components=[{"sku": a, "quantity": "2"}, {"sku": b, "quantity": "1"}])  # fmt: skip
    return Kit(shop, bundle, a, b)


async def test_a_bundle_comes_back_in_sets_as_its_components_each_restocked_or_scrapped_at_its_cost(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    shop = kit.shop
    await stock(graphql, admin, kit.a, shop.first_bin, "5")  # A at 5
    await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=kit.b, locationCode=shop.first_bin, quantity="4",
             unitCost="8", idempotencyKey=key())  # fmt: skip
    order = await confirmed(graphql, admin, shop, [{"sku": kit.bundle, "quantity": "2", "price": "30"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first)
    await validated(graphql, admin, made["document"]["id"])  # 2 sets: 4 A and 2 B
    await assert_invariants()
    await ok(graphql, PAY, "recordSalesPayment", admin, order=order["id"], amount=order["gross"], method="card",
             idempotencyKey=key())  # fmt: skip

    too_many = await authorize(graphql, admin, order, (1, "3"))
    assert [(e["field"], e["code"]) for e in too_many["errors"]] == [
        (["input", "lines", "0", "quantity"], "OVER_RETURN")
    ]
    assert "shipped 2 sets" in too_many["errors"][0]["message"]
    half = await authorize(graphql, admin, order, (1, "0.5"))
    assert [(e["field"], e["code"]) for e in half["errors"]] == [(["input", "lines", "0", "quantity"], "INVALID")]

    rma = await authorize(graphql, admin, order, (1, "1"))
    assert rma["errors"] == [], rma
    assert [(ln["position"], ln["orderPosition"], ln["sku"], ln["quantity"], ln["unitCost"])
            for ln in rma["salesReturn"]["lines"]] == [
        (1, 1, kit.a, "2.0000", "5.0000"), (2, 1, kit.b, "1.0000", "8.0000")]  # fmt: skip
    # One set is left to take back: two more are too many, whatever the return.
    again = await authorize(graphql, admin, order, (1, "2"))
    assert [e["code"] for e in again["errors"]] == ["OVER_RETURN"]

    back = await received(graphql, admin, rma)
    assert back["salesReturn"]["state"] == "received"
    await assert_invariants()
    returns_location = f"{shop.first}-RETURNS"
    assert (await levels(graphql, admin, kit.a, shop.first))[returns_location][0] == "2.0000"
    assert (await levels(graphql, admin, kit.b, shop.first))[returns_location][0] == "1.0000"
    assert await levels(graphql, admin, kit.bundle, shop.first) == {}
    state = await payment_status(graphql, admin, order)
    assert state["fulfillment"] == "partly_returned"
    assert [(ln["shipped"], ln["returned"], ln["open"]) for ln in state["lines"]] == [("2.0000", "1.0000", "0.0000")]

    done = await ok(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"], idempotencyKey=key(),
                    lines=[{"position": 1, "restocked": "2"},
                           {"position": 2, "scrapped": "1", "reason": "Dented"}],
                    refund={"method": "card"})  # fmt: skip
    await assert_invariants()
    assert await valuation_problems() == []
    half_gross = f"{Decimal(order['gross']) / 2:.4f}"
    assert done["salesReturn"]["state"] == "done" and done["salesReturn"]["refunded"] == half_gross
    assert (await levels(graphql, admin, kit.a, shop.first))[shop.first_bin][0] == "3.0000"  # 1 left + 2 back
    assert (await levels(graphql, admin, kit.b, shop.first))[shop.first_bin][0] == "2.0000"  # the B is scrapped
    moves = [m["node"] for m in (await graphql.run(MOVES, {"sku": kit.b}, token=admin.token))["stockMoves"]["edges"]]
    assert [(m["quantity"], m["unitCost"]) for m in moves if m["reason"] == "scrap"] == [("1.0000", "8.0000")]
    state = await payment_status(graphql, admin, order)
    assert state["fulfillment"] == "partly_returned"
    assert [(p["kind"], p["amount"]) for p in state["payments"]] == [
        ("payment", f"{Decimal(order['gross']):.4f}"), ("refund", half_gross)]  # fmt: skip
    # The other set may still come back; then everything shipped is back.
    last = await authorize(graphql, admin, order, (1, "1"))
    assert last["errors"] == []
    await received(graphql, admin, last)
    await assert_invariants()
    assert (await payment_status(graphql, admin, order))["fulfillment"] == "returned"


async def test_returning_more_than_shipped_less_returned_is_over_return_at_the_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop)
    too_many = await authorize(graphql, admin, order, (1, "6"))
    assert [(e["field"], e["code"]) for e in too_many["errors"]] == [
        (["input", "lines", "0", "quantity"], "OVER_RETURN")
    ]
    assert "shipped 5" in too_many["errors"][0]["message"]
    first = await authorize(graphql, admin, order, (1, "4"))
    assert first["errors"] == []
    again = await authorize(graphql, admin, order, (1, "1"), (1, "1"))  # one line named twice: 2 > 1 left
    assert [(e["field"], e["code"]) for e in again["errors"]] == [(["input", "lines", "1", "quantity"], "OVER_RETURN")]
    # Cancelling the first return frees what it took.
    cancelled = await ok(graphql, TRANSITION, "transitionDocument", admin, id=first["document"]["id"], action="cancel")
    assert cancelled["document"]["state"] == "cancelled"
    assert (await authorize(graphql, admin, order, (1, "5")))["errors"] == []
    returns = (await graphql.run(RETURNS_OF, {"order": order["id"]}, token=admin.token))["salesReturnsOfOrder"]
    assert [(r["state"], r["lines"][0]["quantity"]) for r in returns] == [
        ("cancelled", "4.0000"),
        ("authorized", "5.0000"),
    ]


async def test_a_line_never_shipped_or_not_on_the_order_is_refused(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    # The second line waits for stock (a backorder): nothing of it shipped.
    await stock(graphql, admin, shop.sku, shop.first_bin, "2")
    from server.catalog.service import ProductDetails, create_product
    from tests.conftest import unique

    other = unique("ITEM")
    await create_product(other, ProductDetails(name="Waiting"), actor_id=admin.user_id)
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "10"},
                                                   {"sku": other, "quantity": "1", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first)
    await validated(graphql, admin, made["document"]["id"])
    never = await authorize(graphql, admin, order, (2, "1"))
    assert [(e["field"], e["code"]) for e in never["errors"]] == [(["input", "lines", "0", "quantity"], "OVER_RETURN")]
    assert "never shipped" in never["errors"][0]["message"]
    missing = await authorize(graphql, admin, order, (1, "1"), (9, "1"))
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [(["input", "lines", "1", "position"], "NOT_FOUND")]
    unshipped = await confirmed(graphql, admin, shop, [{"sku": other, "quantity": "1", "price": "10"}])
    nothing = await authorize(graphql, admin, unshipped, (1, "1"))
    assert nothing["errors"][0]["code"] == "OVER_RETURN"
    assert (await graphql.run(RETURNS_OF, {"order": order["id"]}, token=admin.token))["salesReturnsOfOrder"] == []


async def test_returning_everything_makes_the_order_returned_and_the_line_does_not_ship_again(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop, "2")
    rma = await authorize(graphql, admin, order, (1, "2"))
    back = await received(graphql, admin, rma)
    assert back["order"]["state"] == "completed"
    state = await order_state(graphql, admin, order["id"])
    assert state["state"] == "completed" and state["salesOrder"]["fulfillment"] == "returned"
    assert [(ln["shipped"], ln["open"]) for ln in state["salesOrder"]["lines"]] == [("2.0000", "0.0000")]
    # Restocked, the goods serve nobody's old line again: the order has nothing open to ship.
    await ok(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"], idempotencyKey=key(),
             lines=[{"position": 1, "restocked": "2"}])  # fmt: skip
    await assert_invariants()
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin] == ("2.0000", "0.0000", "2.0000")
    again = await refused(graphql, CREATE_SHIPMENT_FOR_TEST, "createShipment", admin, order=order["id"],
                          warehouse=shop.first, idempotencyKey=key())  # fmt: skip
    assert again["code"] == "ILLEGAL_TRANSITION"


CREATE_SHIPMENT_FOR_TEST = f"""mutation S($input: CreateShipmentInput!) {{
  createShipment(input: $input) {{ document {{ id }} {ERRORS} }} }}"""


async def test_every_write_replays_with_its_key_and_a_second_receipt_is_refused(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop)
    same = key()
    first = await authorize(graphql, admin, order, (1, "2"), idempotencyKey=same)
    retry = await authorize(graphql, admin, order, (1, "2"), idempotencyKey=same)
    assert retry["document"]["id"] == first["document"]["id"] and retry["errors"] == []
    receive_key = key()
    back = await ok(graphql, RECEIVE, "receiveSalesReturn", admin, id=first["document"]["id"],
                    idempotencyKey=receive_key)  # fmt: skip
    replay = await ok(graphql, RECEIVE, "receiveSalesReturn", admin, id=first["document"]["id"],
                      idempotencyKey=receive_key)  # fmt: skip
    assert replay["document"]["version"] == back["document"]["version"]
    assert (await levels(graphql, admin, shop.sku, shop.first))[f"{shop.first}-RETURNS"][0] == "2.0000"
    twice = await refused(graphql, RECEIVE, "receiveSalesReturn", admin, id=first["document"]["id"],
                          idempotencyKey=key())  # fmt: skip
    assert twice["code"] == "ILLEGAL_TRANSITION"
    not_cancelled = await refused(graphql, TRANSITION, "transitionDocument", admin, id=first["document"]["id"],
                                  action="cancel")  # fmt: skip
    assert not_cancelled["code"] == "ILLEGAL_TRANSITION"  # received goods are inspected, not cancelled
    inspect_key = key()
    lines = [{"position": 1, "scrapped": "2", "reason": "Water damage"}]
    done = await ok(graphql, INSPECT, "inspectSalesReturn", admin, id=first["document"]["id"], lines=lines,
                    idempotencyKey=inspect_key)  # fmt: skip
    replayed = await ok(graphql, INSPECT, "inspectSalesReturn", admin, id=first["document"]["id"], lines=lines,
                        idempotencyKey=inspect_key)  # fmt: skip
    assert replayed["salesReturn"] == done["salesReturn"]
    await assert_invariants()
    quantity, value = await stock_value(graphql, admin, shop)
    assert (Decimal(quantity), Decimal(value)) == (0, 0)  # scrapped at the cost it came back at


async def test_a_warehouse_shipping_in_two_steps_needs_the_bin_to_restock_to(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "3")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    from tests.schema.fulfillment_support import pick_list, picked

    listed = await pick_list(graphql, admin, shop.first, order["id"])
    await picked(graphql, admin, listed["pickList"]["id"])
    made = await shipment(graphql, admin, order["id"], shop.first)
    await validated(graphql, admin, made["document"]["id"])
    rma = await authorize(graphql, admin, order, (1, "1"))
    await received(graphql, admin, rma)
    no_bin = await refused(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"],
                           lines=[{"position": 1, "restocked": "1"}], idempotencyKey=key())  # fmt: skip
    assert (no_bin["field"], no_bin["code"]) == (["input", "lines", "0", "location"], "INVALID")
    unsellable = await refused(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"],
                               lines=[{"position": 1, "restocked": "1", "location": f"{shop.first}-OUTPUT"}],
                               idempotencyKey=key())  # fmt: skip
    assert (unsellable["field"], unsellable["code"]) == (["input", "lines", "0", "location"], "INVALID")
    other_warehouse = await refused(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"],
                                    lines=[{"position": 1, "restocked": "1", "location": shop.second_bin}],
                                    idempotencyKey=key())  # fmt: skip
    assert other_warehouse["code"] == "INVALID"
    await ok(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"], idempotencyKey=key(),
             lines=[{"position": 1, "restocked": "1", "location": shop.first_bin}])  # fmt: skip
    await assert_invariants()
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin][0] == "1.0000"


async def test_hostile_return_inputs_answer_user_errors_and_write_nothing(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop)
    bad_creates: list[tuple[dict[str, Any], list[str], str]] = [
        ({"order": "nope"}, ["input", "order"], "INVALID"),
        ({"order": "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="}, ["input", "order"], "INVALID"),
        ({"reason": "bad\x00"}, ["input", "reason"], "INVALID"),
        ({"reason": "x" * 1001}, ["input", "reason"], "INVALID"),
        ({"lines": []}, ["input", "lines"], "INVALID"),
        ({"lines": [{"position": 0, "quantity": "1"}]}, ["input", "lines", "0", "position"], "NOT_FOUND"),
        ({"lines": [{"position": 2**31 - 1, "quantity": "1"}]}, ["input", "lines", "0", "position"], "NOT_FOUND"),
        ({"lines": [{"position": 1, "quantity": "-1"}]}, ["input", "lines", "0", "quantity"], "INVALID"),
        ({"lines": [{"position": 1, "quantity": "0"}]}, ["input", "lines", "0", "quantity"], "INVALID"),
        ({"lines": [{"position": 1, "quantity": "1e400"}]}, ["input", "lines", "0", "quantity"], "INVALID"),
        ({"lines": [{"position": 1, "quantity": "0.00001"}]}, ["input", "lines", "0", "quantity"], "INVALID"),
        ({"idempotencyKey": ""}, ["input", "idempotencyKey"], "INVALID"),
        ({"idempotencyKey": "k" * 300}, ["input", "idempotencyKey"], "INVALID"),
    ]
    for change, field, code in bad_creates:
        given = {"order": order["id"], "reason": "Broken", "lines": [{"position": 1, "quantity": "1"}],
                 "idempotencyKey": key()} | change  # fmt: skip
        payload = await call(graphql, CREATE, "createSalesReturn", admin, **given)
        assert payload["errors"], (change, payload)
        assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code), (change, payload)
    assert (await graphql.run(RETURNS_OF, {"order": order["id"]}, token=admin.token))["salesReturnsOfOrder"] == []
    shipment_id = (await graphql.run("query S($o: ID!) { shipmentsOfOrder(order: $o) { id } }", {"o": order["id"]},
                                     token=admin.token))["shipmentsOfOrder"][0]["id"]  # fmt: skip
    not_a_return = await refused(graphql, RECEIVE, "receiveSalesReturn", admin, id=shipment_id, idempotencyKey=key())
    assert not_a_return["code"] == "INVALID"

    rma = await authorize(graphql, admin, order, (1, "2"))
    not_received = await refused(graphql, INSPECT, "inspectSalesReturn", admin, id=rma["document"]["id"],
                                 lines=[{"position": 1, "restocked": "2"}], idempotencyKey=key())  # fmt: skip
    assert not_received["code"] == "ILLEGAL_TRANSITION"
    back = await received(graphql, admin, rma)
    before = await levels(graphql, admin, shop.sku, shop.first)
    bad_inspections: list[tuple[dict[str, Any], list[str], str]] = [
        ({"lines": []}, ["input", "lines"], "INVALID"),
        ({"lines": [{"position": 1, "restocked": "1"}]}, ["input", "lines", "0", "restocked"], "INVALID"),
        ({"lines": [{"position": 1, "restocked": "3"}]}, ["input", "lines", "0", "restocked"], "INVALID"),
        (
            {"lines": [{"position": 1, "restocked": "-1", "scrapped": "3", "reason": "x"}]},
            ["input", "lines", "0", "restocked"],
            "INVALID",
        ),
        ({"lines": [{"position": 1, "scrapped": "2"}]}, ["input", "lines", "0", "reason"], "INVALID"),
        (
            {"lines": [{"position": 1, "scrapped": "2", "reason": "a\x00"}]},
            ["input", "lines", "0", "reason"],
            "INVALID",
        ),
        ({"lines": [{"position": 2, "restocked": "2"}]}, ["input", "lines", "0", "position"], "NOT_FOUND"),
        (
            {"lines": [{"position": 1, "restocked": "2"}, {"position": 1, "restocked": "2"}]},
            ["input", "lines", "1", "position"],
            "INVALID",
        ),
        (
            {"lines": [{"position": 1, "restocked": "2", "location": "NOPE\x00"}]},
            ["input", "lines", "0", "location"],
            "INVALID",
        ),
        (
            {"lines": [{"position": 1, "restocked": "2", "location": "NO-SUCH-BIN"}]},
            ["input", "lines", "0", "location"],
            "NOT_FOUND",
        ),
        (
            {"lines": [{"position": 1, "restocked": "2", "location": f"{shop.first}-RETURNS"}]},
            ["input", "lines", "0", "location"],
            "INVALID",
        ),
        ({"refund": {"method": "barter"}}, ["input", "refund", "method"], "INVALID"),
        ({"refund": {"method": "cash", "amount": "-5"}}, ["input", "refund", "amount"], "INVALID"),
        ({"refund": {"method": "cash", "amount": "1.001"}}, ["input", "refund", "amount"], "INVALID"),
        ({"refund": {"method": "cash"}}, ["input", "refund"], "INVALID"),  # nothing was paid
        ({"refund": {"method": "cash", "amount": "5"}}, ["input", "refund", "amount"], "INVALID"),  # above paid
        ({"version": 0}, ["input", "version"], "STALE"),
    ]
    for change, field, code in bad_inspections:
        given = {"id": rma["document"]["id"], "lines": [{"position": 1, "restocked": "2"}],
                 "idempotencyKey": key()} | change  # fmt: skip
        payload = await call(graphql, INSPECT, "inspectSalesReturn", admin, **given)
        assert payload["errors"], (change, payload)
        assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code), (change, payload)
    assert await levels(graphql, admin, shop.sku, shop.first) == before
    now = (await graphql.run("query R($id: ID!) { salesReturn(id: $id) { state version refunded } }",
                             {"id": rma["document"]["id"]}, token=admin.token))["salesReturn"]  # fmt: skip
    assert now == {"state": "received", "version": back["document"]["version"], "refunded": "0.0000"}
    assert (await payment_status(graphql, admin, order))["payments"] == []
    await assert_invariants()


async def test_a_viewer_sees_returns_but_cannot_make_one(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop, "1")
    given = {"order": order["id"], "reason": "x", "idempotencyKey": key(), "lines": [{"position": 1, "quantity": "1"}]}
    response = await graphql.post(CREATE, {"input": given}, viewer.token)
    assert "sales.manage" in str(response.json()["errors"])
    rma = await authorize(graphql, admin, order, (1, "1"))
    seen = (await graphql.run("query R($id: ID!) { salesReturn(id: $id) { number } }", {"id": rma["document"]["id"]},
                              token=viewer.token))["salesReturn"]  # fmt: skip
    assert seen == {"number": rma["document"]["number"]}


@pytest.mark.postgres
async def test_concurrent_returns_of_one_line_never_take_back_more_than_shipped(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await shipped_order(graphql, admin, shop)
    answers = await asyncio.gather(*(authorize(graphql, admin, order, (1, "2")) for _ in range(6)))
    codes = sorted(a["errors"][0]["code"] if a["errors"] else "OK" for a in answers)
    assert codes == ["OK", "OK"] + ["OVER_RETURN"] * 4, answers
    made = [a for a in answers if not a["errors"]]
    received_all = await asyncio.gather(*(call(graphql, RECEIVE, "receiveSalesReturn", admin, id=a["document"]["id"],
                                               idempotencyKey=key()) for a in made))  # fmt: skip
    assert all(r["errors"] == [] for r in received_all), received_all
    await assert_invariants()
    state = await payment_status(graphql, admin, order)
    assert [(ln["shipped"], ln["returned"]) for ln in state["lines"]] == [("5.0000", "4.0000")]
    assert (await levels(graphql, admin, shop.sku, shop.first))[f"{shop.first}-RETURNS"][0] == "4.0000"
