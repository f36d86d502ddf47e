"""Availability when entering an order line: per warehouse of the store, available now and incoming with dates,
and the earliest day a quantity can be promised, with the stock other orders already wait for served first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from server.catalog.service import ProductDetails, create_product
from server.clock import today
from server.partners.models import Party
from tests.conftest import Actor, GraphQLClient, make_actor, unique
from tests.schema.sales_support import ERRORS, Shop, confirmed, make_shop, ok, stock

PROMISE = """query P($store: String!, $sku: String!, $quantity: Decimal) {
  salesAvailability(store: $store, sku: $sku, quantity: $quantity) { sku bundle quantity available promisedOn
    warehouses { warehouseCode available promisedOn supplies { sku perUnit available waiting }
      incoming(first: 5) { sku documentType documentNumber expectedOn quantity } } } }"""
CREATE_PO = f"""mutation C($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ document {{ id number }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state }} {ERRORS} }} }}"""
SET_BUNDLE = f"""mutation B($input: SetBundleComponentsInput!) {{
  setBundleComponents(input: $input) {{ bundle {{ sku }} {ERRORS} }} }}"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def purchase(graphql: GraphQLClient, admin: Actor, shop: Shop, sku: str, quantity: str, days: int) -> str:
    """A purchase order confirmed for ``days`` from today, into the shop's first warehouse; its number."""
    supplier = await Party.create(code=unique("SUP"), name="Northwind", roles=["supplier"], currency="EUR")
    made = await ok(graphql, CREATE_PO, "createPurchaseOrder", admin, supplier=supplier.code, store=shop.store,
                    warehouse=shop.first, receiveInto=shop.first_bin, lines=[{"sku": sku, "quantity": quantity,
                    "price": "2"}], expectedOn=(today() + timedelta(days=days)).isoformat())  # fmt: skip
    await ok(graphql, ACT, "transitionDocument", admin, id=made["document"]["id"], action="confirm")
    return made["document"]["number"]  # type: ignore[no-any-return]


async def promised(graphql: GraphQLClient, actor: Actor, shop: Shop, sku: str, quantity: str | None = None
                   ) -> dict[str, Any]:  # fmt: skip
    found = await graphql.run(PROMISE, {"store": shop.store, "sku": sku, "quantity": quantity}, token=actor.token)
    return found["salesAvailability"]  # type: ignore[no-any-return]


def per_warehouse(found: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {w["warehouseCode"]: (w["available"], w["promisedOn"]) for w in found["warehouses"]}


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


async def test_a_clerk_sees_stock_now_and_incoming_and_can_promise_a_date(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "3")
    await stock(graphql, admin, shop.sku, shop.second_bin, "2")
    number = await purchase(graphql, admin, shop, shop.sku, "10", 5)
    clerk = await make_actor("clerk")  # sales.view is enough to look

    four = await promised(graphql, clerk, shop, shop.sku.lower(), "4")
    assert (four["sku"], four["bundle"], four["available"], four["promisedOn"]) == (shop.sku, False, "5.0000", days(0))
    assert per_warehouse(four) == {shop.first: ("3.0000", days(5)), shop.second: ("2.0000", None)}
    first = four["warehouses"][0]
    assert first["incoming"] == [{"sku": shop.sku, "documentType": "purchase.order", "documentNumber": number,
                                  "expectedOn": days(5), "quantity": "10.0000"}]  # fmt: skip
    assert first["supplies"] == [{"sku": shop.sku, "perUnit": "1.0000", "available": "3.0000", "waiting": "0.0000"}]

    twelve = await promised(graphql, clerk, shop, shop.sku, "12")
    assert twelve["promisedOn"] == days(5)  # 5 now and 10 coming together
    assert (await promised(graphql, clerk, shop, shop.sku, "16"))["promisedOn"] is None  # 15 is all there will be
    plain = await promised(graphql, clerk, shop, shop.sku)
    assert plain["quantity"] is None and plain["promisedOn"] is None and plain["available"] == "5.0000"


async def test_what_other_orders_wait_for_is_served_first(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "3")
    await stock(graphql, admin, shop.sku, shop.second_bin, "2")
    await purchase(graphql, admin, shop, shop.sku, "10", 5)
    backorder = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "5", "price": "10"}],
                                warehouse=shop.first)  # fmt: skip
    assert backorder["state"] == "confirmed"  # 3 reserved in the first warehouse, 2 waiting there

    found = await promised(graphql, admin, shop, shop.sku, "2")
    first = found["warehouses"][0]
    assert first["supplies"][0]["available"] == "0.0000" and first["supplies"][0]["waiting"] == "2.0000"
    assert found["promisedOn"] == days(0)  # the second warehouse has 2 now
    assert per_warehouse(found) == {shop.first: ("0.0000", days(5)), shop.second: ("2.0000", days(0))}
    # The first warehouse gives a new line 10 - 2 = 8 on the fifth day: 10 in all with the second's 2.
    assert (await promised(graphql, admin, shop, shop.sku, "10"))["promisedOn"] == days(5)
    assert (await promised(graphql, admin, shop, shop.sku, "11"))["promisedOn"] is None


async def test_a_bundle_is_promised_in_whole_sets(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    bundle, a, b = unique("BUNDLE"), unique("PARTA"), unique("PARTB")
    for sku in (bundle, a, b):
        await create_product(sku, ProductDetails(name=sku), actor_id=admin.user_id)
    await ok(graphql, SET_BUNDLE, "setBundleComponents", admin, sku=bundle,
             components=[{"sku": a, "quantity": "2"}, {"sku": b, "quantity": "1"}])  # fmt: skip
    await stock(graphql, admin, a, shop.first_bin, "1")
    await stock(graphql, admin, b, shop.first_bin, "2")
    await purchase(graphql, admin, shop, a, "4", 3)

    two = await promised(graphql, admin, shop, bundle, "2")
    assert (two["bundle"], two["available"], two["promisedOn"]) == (True, "0.0000", days(3))  # 1 A makes no set
    first = two["warehouses"][0]
    assert [(s["sku"], s["perUnit"], s["available"]) for s in first["supplies"]] == [
        (a, "2.0000", "1.0000"), (b, "1.0000", "2.0000")]  # fmt: skip
    assert [(i["sku"], i["quantity"]) for i in first["incoming"]] == [(a, "4.0000")]
    assert (await promised(graphql, admin, shop, bundle, "3"))["promisedOn"] is None  # 2 B make 2 sets at most


async def test_hostile_arguments_are_refused_at_their_argument(graphql: GraphQLClient, admin: Actor,
                                                               shop: Shop) -> None:  # fmt: skip
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        ({"store": "NOPE", "sku": shop.sku}, "NOT_FOUND", ["store"]),
        ({"store": "\x00" * 500, "sku": shop.sku}, "NOT_FOUND", ["store"]),
        ({"store": shop.store, "sku": "x" * 1000}, "NOT_FOUND", ["sku"]),
        ({"store": shop.store, "sku": shop.sku, "quantity": "0"}, "INVALID", ["quantity"]),
        ({"store": shop.store, "sku": shop.sku, "quantity": "-1"}, "INVALID", ["quantity"]),
        ({"store": shop.store, "sku": shop.sku, "quantity": "1e40"}, "INVALID", ["quantity"]),
    ]
    for variables, code, field in cases:
        body = (await graphql.post(PROMISE, variables, admin.token)).json()
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions.get("field")) == (code, field), (variables, body)
    counter = await make_actor("counter")
    refused = (await graphql.post(PROMISE, {"store": shop.store, "sku": shop.sku}, counter.token)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
