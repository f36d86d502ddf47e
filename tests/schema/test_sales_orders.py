"""Sales orders over GraphQL: one order per channel reference, confirmation with credit and discount approval,
allocation into fulfillment groups, reservations and backorders, cancelling and amending what is not shipped."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from server.documents.models import Document
from server.partners.models import Party
from server.sales.models import SalesLine, SalesOrder
from tests.conftest import Actor, GraphQLClient, make_actor, unique
from tests.schema.sales_support import (
    AMEND,
    AVAILABILITY,
    CANCEL,
    CANCEL_REMAINING,
    CONFIRM,
    CREATE,
    MOVE_GROUP,
    ORDERS,
    RELEASE,
    RESERVE,
    SET_POLICY,
    Shop,
    assert_invariants,
    call,
    confirmed,
    draft,
    groups,
    key,
    make_shop,
    ok,
    stock,
)


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def test_an_order_imported_twice_with_one_channel_reference_is_one_order(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    lines = [{"sku": shop.sku, "quantity": "2", "price": "10"}]
    first = await draft(graphql, admin, shop, lines, channel="marketplace", externalReference="AMZ-1001")
    again = await draft(graphql, admin, shop, [{"sku": shop.sku, "quantity": "9", "price": "10"}],
                        channel="marketplace", externalReference="AMZ-1001")  # fmt: skip
    assert again["id"] == first["id"] and again["lines"][0]["quantity"] == "2.0000"
    other_channel = await draft(graphql, admin, shop, lines, channel="api", externalReference="AMZ-1001")
    assert other_channel["id"] != first["id"]
    found = await graphql.run(ORDERS, {"filter": {"externalReference": "AMZ-1001", "channel": "marketplace"}},
                              token=admin.token)  # fmt: skip
    assert [edge["node"]["id"] for edge in found["salesOrders"]["edges"]] == [first["id"]]
    assert first["number"].startswith("SO-") and first["salesOrder"]["channel"] == "marketplace"


async def test_a_channel_reference_of_another_customers_order_is_refused_not_returned(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    lines = [{"sku": shop.sku, "quantity": "2", "price": "10"}]
    await draft(graphql, admin, shop, lines, channel="marketplace", externalReference="AMZ-2002")
    other = (await Party.create(code=unique("CUS"), name="Bob", roles=["customer"])).code
    payload = await call(graphql, CREATE, "createSalesOrder", admin, customer=other, store=shop.store, lines=lines,
                         channel="marketplace", externalReference="AMZ-2002")  # fmt: skip
    assert payload["document"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("ALREADY_EXISTS", ["input", "externalReference"])]
    assert await SalesOrder.filter(external_reference="AMZ-2002").count() == 1


async def test_concurrent_imports_of_one_reference_make_one_order(graphql: GraphQLClient, admin: Actor,
                                                                  shop: Shop) -> None:  # fmt: skip
    lines = [{"sku": shop.sku, "quantity": "1", "price": "10"}]
    made = await asyncio.gather(*(
        call(graphql, CREATE, "createSalesOrder", admin, customer=shop.customer, store=shop.store, lines=lines,
             channel="api", externalReference="WEB-77") for _ in range(6)
    ))  # fmt: skip
    assert all(m["errors"] == [] for m in made), made
    assert len({m["document"]["id"] for m in made}) == 1


async def test_bad_headers_are_refused_at_their_field_and_write_nothing(graphql: GraphQLClient, admin: Actor,
                                                                        shop: Shop) -> None:  # fmt: skip
    lines = [{"sku": shop.sku, "quantity": "1", "price": "10"}]
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"channel": "fax"}, ["input", "channel"]),
        ({"shippingPolicy": "whenever"}, ["input", "shippingPolicy"]),
        ({"externalReference": "x" * 65}, ["input", "externalReference"]),
        ({"externalReference": "A\x00B"}, ["input", "externalReference"]),
        ({"priority": 5000}, ["input", "priority"]),
        ({"reservation": "before_ship"}, ["input", "shipOn"]),
        ({"warehouse": "NOPE"}, ["input", "warehouse"]),
        ({"shipTo": 999999}, ["input", "shipTo"]),
        ({"customer": "NOBODY"}, ["input", "customer"]),
    ]
    for header, field in cases:
        payload = await call(graphql, CREATE, "createSalesOrder", admin, **{"customer": shop.customer,
                             "store": shop.store, "lines": lines, **header})  # fmt: skip
        assert payload["document"] is None and payload["errors"][0]["field"] == field, (header, payload)
    found = await graphql.run(ORDERS, {"filter": {"customer": shop.customer}}, token=admin.token)
    assert found["salesOrders"]["edges"] == []


async def test_six_in_one_warehouse_and_four_in_another_make_two_fulfillment_groups(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "6")
    await stock(graphql, admin, shop.sku, shop.second_bin, "4")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "10", "price": "10"}])
    assert order["state"] == "confirmed"
    assert groups(order) == {
        shop.first: [(1, "6.0000", "6.0000", "0.0000")],
        shop.second: [(1, "4.0000", "4.0000", "0.0000")],
    }
    availability = (await graphql.run(AVAILABILITY, {"sku": shop.sku}, token=admin.token))["availability"]
    assert (availability["reserved"], availability["available"]) == ("10.0000", "0.0000")
    await assert_invariants()


async def test_most_stock_takes_the_fuller_warehouse_first_and_the_rest_waits_as_a_backorder(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "2")
    await stock(graphql, admin, shop.sku, shop.second_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "4", "price": "10"}],
                            allocationStrategy="most_stock")  # fmt: skip
    assert groups(order) == {shop.second: [(1, "4.0000", "4.0000", "0.0000")]}
    backorder = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "6", "price": "10"}])
    # Priority order: the first warehouse gives its 2, the second its 1 left, the rest waits in the first.
    assert groups(backorder) == {
        shop.first: [(1, "5.0000", "2.0000", "3.0000")],
        shop.second: [(1, "1.0000", "1.0000", "0.0000")],
    }
    await stock(graphql, admin, shop.sku, shop.first_bin, "3")  # the backorder is served as stock arrives
    shown = await ok(graphql, RESERVE, "reserveSalesOrder", admin, id=backorder["id"])
    assert groups(shown["document"])[shop.first] == [(1, "5.0000", "5.0000", "0.0000")]
    await assert_invariants()


async def test_a_pre_order_is_served_by_priority_then_promised_date_then_confirmation(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    line = [{"sku": shop.sku, "quantity": "2", "price": "10"}]
    late = await confirmed(graphql, admin, shop, line, warehouse=shop.first, promisedOn="2026-12-20")
    early = await confirmed(graphql, admin, shop, line, warehouse=shop.first, promisedOn="2026-12-10")
    urgent = await confirmed(graphql, admin, shop, line, warehouse=shop.first, priority=10, promisedOn="2026-12-30")
    unpromised = await confirmed(graphql, admin, shop, line, warehouse=shop.first)
    assert all(groups(o)[shop.first][0][3] == "2.0000" for o in (late, early, urgent, unpromised))
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    reserved = {}
    for name, order in (("late", late), ("early", early), ("urgent", urgent), ("unpromised", unpromised)):
        found = await graphql.run(ORDERS.replace("number state", f"number state {GROUP_FIELD}"),
                                  {"filter": {"number": order["number"]}}, token=admin.token)  # fmt: skip
        node = found["salesOrders"]["edges"][0]["node"]
        reserved[name] = node["salesOrder"]["fulfillmentGroups"][0]["lines"][0]["reserved"]
    assert reserved == {"urgent": "2.0000", "early": "2.0000", "late": "1.0000", "unpromised": "0.0000"}
    await assert_invariants()


GROUP_FIELD = "salesOrder { fulfillmentGroups { lines(first: 1) { reserved } } }"


async def test_cancel_remaining_and_cancel_release_what_they_held(graphql: GraphQLClient, admin: Actor,
                                                                  shop: Shop) -> None:  # fmt: skip
    await stock(graphql, admin, shop.sku, shop.first_bin, "10")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "4", "price": "10"},
                                                   {"sku": shop.sku, "quantity": "3", "price": "10"}])  # fmt: skip
    done = await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", admin, id=order["id"], positions=[2])
    document = done["document"]
    assert document["state"] == "confirmed"
    assert [(line["position"], line["cancelled"], line["open"]) for line in document["salesOrder"]["lines"]] == [
        (1, "0.0000", "4.0000"), (2, "3.0000", "0.0000")]  # fmt: skip
    assert groups(document)[shop.first] == [(1, "4.0000", "4.0000", "0.0000"), (2, "0.0000", "0.0000", "0.0000")]
    refused = await call(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", admin, id=order["id"], positions=[9])
    assert refused["errors"][0]["code"] == "NOT_FOUND" and refused["errors"][0]["field"] == ["input", "positions", "0"]
    cancelled = (await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"]))["document"]
    assert cancelled["state"] == "cancelled" and cancelled["actions"] == []
    availability = (await graphql.run(AVAILABILITY, {"sku": shop.sku}, token=admin.token))["availability"]
    assert (availability["reserved"], availability["available"]) == ("0.0000", "10.0000")
    again = await call(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"])
    assert again["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    await assert_invariants()


async def test_manual_reservation_waits_for_the_clerk_and_release_keeps_the_allocation(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"}],
                            reservation="manual")  # fmt: skip
    assert groups(order) == {shop.first: [(1, "3.0000", "0.0000", "0.0000")]}
    reserved = (await ok(graphql, RESERVE, "reserveSalesOrder", admin, id=order["id"]))["document"]
    assert groups(reserved) == {shop.first: [(1, "3.0000", "3.0000", "0.0000")]}
    released = (await ok(graphql, RELEASE, "releaseSalesOrder", admin, id=order["id"]))["document"]
    assert groups(released) == {shop.first: [(1, "3.0000", "0.0000", "0.0000")]}
    await assert_invariants()


async def test_a_group_moved_to_another_warehouse_is_reserved_there_in_one_step(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    await stock(graphql, admin, shop.sku, shop.second_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "4", "price": "10"}])
    assert groups(order) == {shop.first: [(1, "4.0000", "4.0000", "0.0000")]}
    moved = (await ok(graphql, MOVE_GROUP, "moveFulfillmentGroup", admin, id=order["id"], fromWarehouse=shop.first,
                      toWarehouse=shop.second))["document"]  # fmt: skip
    assert groups(moved) == {shop.first: [(1, "0.0000", "0.0000", "0.0000")],
                             shop.second: [(1, "4.0000", "4.0000", "0.0000")]}  # fmt: skip
    availability = (await graphql.run(AVAILABILITY, {"sku": shop.sku}, token=admin.token))["availability"]
    assert {w["warehouseCode"]: w["reserved"] for w in availability["warehouses"]} == {
        shop.first: "0.0000", shop.second: "4.0000"}  # fmt: skip
    nothing = await call(graphql, MOVE_GROUP, "moveFulfillmentGroup", admin, id=order["id"], fromWarehouse=shop.first,
                         toWarehouse=shop.second)  # fmt: skip
    assert nothing["errors"][0]["field"] == ["input", "fromWarehouse"]
    await assert_invariants()


async def test_amending_a_confirmed_order_re_reserves_and_keeps_prices(graphql: GraphQLClient, admin: Actor,
                                                                       shop: Shop) -> None:  # fmt: skip
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "10"}])
    amended = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=order["version"],
                        lines=[{"position": 1, "sku": shop.sku, "quantity": "7"}]))["document"]  # fmt: skip
    assert amended["lines"][0]["price"] == "10.0000" and amended["salesOrder"]["revision"] == 1
    # 3 more are free where it ships from: the other 2 wait there (the second warehouse has none).
    assert groups(amended) == {shop.first: [(1, "7.0000", "5.0000", "2.0000")]}
    smaller = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=amended["version"],
                        lines=[{"position": 1, "sku": shop.sku, "quantity": "3"}]))["document"]  # fmt: skip
    assert groups(smaller) == {shop.first: [(1, "3.0000", "3.0000", "0.0000")]}
    longer = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=smaller["version"],
                       lines=[{"position": 1, "sku": shop.sku, "quantity": "3"},
                              {"sku": shop.sku, "quantity": "1"}]))["document"]  # fmt: skip
    shorter = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=longer["version"],
                        lines=[{"position": 1, "sku": shop.sku, "quantity": "3"}]))["document"]  # fmt: skip
    assert [line["position"] for line in shorter["lines"]] == [1]
    document = await Document.get(number=order["number"])
    assert await SalesLine.filter(order_id=document.id).count() == 1  # the removed line's progress went with it
    stale = await call(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=order["version"],
                       lines=[{"position": 1, "sku": shop.sku, "quantity": "1"}])  # fmt: skip
    assert stale["errors"][0]["code"] == "STALE"
    await assert_invariants()


async def test_a_discount_above_the_store_limit_needs_approval(graphql: GraphQLClient, admin: Actor,
                                                               shop: Shop) -> None:  # fmt: skip
    await ok(graphql, SET_POLICY, "setSalesPolicy", admin, store=shop.store, maxDiscountPercent="10")
    order = await draft(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "10",
                                                "discountPercent": "15"}])  # fmt: skip
    refused = await call(graphql, CONFIRM, "confirmSalesOrder", await seller(), id=order["id"])
    assert refused["errors"][0]["code"] == "APPROVAL_REQUIRED"
    assert refused["errors"][0]["field"] == ["input", "lines", "0", "discountPercent"]
    done = await ok(graphql, CONFIRM, "confirmSalesOrder", await make_actor("manager"), id=order["id"])
    assert done["document"]["state"] == "confirmed"
    within = await draft(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "10",
                                                 "discountPercent": "10"}])  # fmt: skip
    assert (await ok(graphql, CONFIRM, "confirmSalesOrder", await seller(), id=within["id"]))["document"]["state"] == (
        "confirmed")  # fmt: skip


async def test_confirming_past_the_credit_limit_needs_approval(graphql: GraphQLClient, admin: Actor) -> None:
    limited = await make_shop(admin, credit_limit=Decimal(1000))
    lines = [{"sku": limited.sku, "quantity": "6", "price": "100"}]
    first = await draft(graphql, admin, limited, lines, currency="EUR")
    second = await draft(graphql, admin, limited, lines, currency="EUR")
    assert Decimal(first["gross"]) >= 600
    clerk = await seller()
    done = await ok(graphql, CONFIRM, "confirmSalesOrder", clerk, id=first["id"])
    assert done["document"]["state"] == "confirmed"
    refused = await call(graphql, CONFIRM, "confirmSalesOrder", clerk, id=second["id"])
    assert refused["errors"][0]["code"] == "APPROVAL_REQUIRED" and "credit limit" in refused["errors"][0]["message"]
    approved = await ok(graphql, CONFIRM, "confirmSalesOrder", admin, id=second["id"])
    assert approved["document"]["state"] == "confirmed"


@pytest.mark.postgres
async def test_two_orders_of_600_confirmed_at_once_against_a_limit_of_1000_one_needs_approval(
    graphql: GraphQLClient, admin: Actor
) -> None:
    limited = await make_shop(admin, credit_limit=Decimal(1000))
    lines = [{"sku": limited.sku, "quantity": "6", "price": "100"}]
    orders = [await draft(graphql, admin, limited, lines, currency="EUR") for _ in range(2)]
    clerk = await seller()
    answers = await asyncio.gather(*(call(graphql, CONFIRM, "confirmSalesOrder", clerk, id=o["id"]) for o in orders))
    codes = sorted(a["errors"][0]["code"] if a["errors"] else "OK" for a in answers)
    assert codes == ["APPROVAL_REQUIRED", "OK"], answers


@pytest.mark.postgres
async def test_fifty_orders_racing_for_the_last_ten_reserve_at_most_ten_and_cancelling_frees_all(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "10")
    lines = [{"sku": shop.sku, "quantity": "1", "price": "10"}]
    orders = [await draft(graphql, admin, shop, lines, warehouse=shop.first) for _ in range(50)]
    answers = await asyncio.gather(*(call(graphql, CONFIRM, "confirmSalesOrder", admin, id=o["id"],
                                          idempotencyKey=key()) for o in orders))  # fmt: skip
    assert all(a["errors"] == [] for a in answers), [a["errors"] for a in answers if a["errors"]][:3]
    reserved = [Decimal(groups(a["document"])[shop.first][0][2]) for a in answers]
    waiting = [Decimal(groups(a["document"])[shop.first][0][3]) for a in answers]
    availability = (await graphql.run(AVAILABILITY, {"sku": shop.sku}, token=admin.token))["availability"]
    assert sum(reserved) == 10 and sum(waiting) == 40 and availability["reserved"] == "10.0000"
    await assert_invariants()
    cancelled = await asyncio.gather(*(call(graphql, CANCEL, "cancelSalesOrder", admin, id=o["id"]) for o in orders))
    assert all(c["errors"] == [] for c in cancelled)
    availability = (await graphql.run(AVAILABILITY, {"sku": shop.sku}, token=admin.token))["availability"]
    assert (availability["reserved"], availability["available"]) == ("0.0000", "10.0000")
    await assert_invariants()


async def seller() -> Actor:
    """A clerk who sells: sales.manage beside the floor's permissions, and no documents.approve."""
    from server.auth.models import Role
    from server.auth.permissions import DEFAULT_ROLES, Permission

    permissions = sorted({*(p.value for p in DEFAULT_ROLES["clerk"]), Permission.SALES_MANAGE.value})
    await Role.get_or_create(name="seller", defaults={"permissions": permissions})
    return await make_actor("seller")
