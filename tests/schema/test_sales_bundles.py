"""Bundles over GraphQL: a product sold as a set of components, with no stock of its own. Its availability is the
least number of whole sets; an order of it reserves its components and cancelling releases them."""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.service import ProductDetails, create_product
from server.inventory.kits import ComponentSpec as KitSpec
from server.inventory.kits import set_kit_components
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, make_actor, unique
from tests.schema.sales_support import (
    CANCEL,
    CONFIRM,
    ERRORS,
    RECEIVE_STOCK,
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

SET = f"""mutation B($input: SetBundleComponentsInput!) {{
  setBundleComponents(input: $input) {{ bundle {{ sku components {{ sku quantity }} }} {ERRORS} }} }}"""
BUNDLE = "query B($sku: String!) { bundle(sku: $sku) { sku components { sku quantity } } }"
SETS = """query A($sku: String!, $store: String) { bundleAvailability(sku: $sku, store: $store) { sku sets
  warehouses { warehouseCode sets components { sku quantity available } } } }"""
AVAILABILITY = """query A($sku: String!) { availability(sku: $sku) { reserved available
  warehouses { warehouseCode reserved available } } }"""


@dataclass
class Kit:
    """A shop, and a bundle of 2 x ``a`` + 1 x ``b`` (``shop.sku`` stays a plain product)."""

    shop: Shop
    bundle: str
    a: str
    b: str


async def product(admin: Actor, prefix: str) -> str:
    sku = unique(prefix)
    await create_product(sku, ProductDetails(name=prefix.title()), actor_id=admin.user_id)
    return sku


@pytest.fixture
async def kit(admin: Actor, graphql: GraphQLClient) -> Kit:
    shop = await make_shop(admin)
    bundle, a, b = await product(admin, "BUNDLE"), await product(admin, "PARTA"), await product(admin, "PARTB")
    await ok(graphql, SET, "setBundleComponents", admin, sku=bundle,
             components=[{"sku": a, "quantity": "2"}, {"sku": b, "quantity": "1"}])  # fmt: skip
    return Kit(shop, bundle, a, b)


def errors(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(".".join(e["field"]), e["code"]) for e in payload["errors"]]


async def test_a_bundle_of_two_a_and_one_b_with_five_a_and_four_b_makes_two_whole_sets(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    shop = kit.shop
    await stock(graphql, admin, kit.a, shop.first_bin, "5")
    await stock(graphql, admin, kit.b, shop.first_bin, "4")
    await stock(graphql, admin, kit.a, shop.second_bin, "1")  # half a set's A, and no B: no set there
    shown = (await graphql.run(BUNDLE, {"sku": kit.bundle.lower()}, token=admin.token))["bundle"]
    assert shown == {"sku": kit.bundle, "components": [{"sku": kit.a, "quantity": "2.0000"},
                                                       {"sku": kit.b, "quantity": "1.0000"}]}  # fmt: skip
    found = (await graphql.run(SETS, {"sku": kit.bundle, "store": shop.store}, token=admin.token))["bundleAvailability"]
    assert found["sets"] == "2.0000"
    per_warehouse = [(w["warehouseCode"], w["sets"], [c["available"] for c in w["components"]])
                     for w in found["warehouses"]]  # fmt: skip
    assert per_warehouse == [(shop.first, "2.0000", ["5.0000", "4.0000"]),
                             (shop.second, "0.0000", ["1.0000", "0.0000"])]  # fmt: skip
    anywhere = (await graphql.run(SETS, {"sku": kit.bundle}, token=admin.token))["bundleAvailability"]
    assert {w["warehouseCode"]: w["sets"] for w in anywhere["warehouses"]} == {shop.first: "2.0000",
                                                                               shop.second: "0.0000"}  # fmt: skip


async def test_confirming_two_bundles_reserves_four_a_and_two_b_and_cancelling_releases_them(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    shop = kit.shop
    await stock(graphql, admin, kit.a, shop.first_bin, "5")
    await stock(graphql, admin, kit.b, shop.first_bin, "4")
    order = await confirmed(graphql, admin, shop, [{"sku": kit.bundle, "quantity": "2", "price": "30"}])
    lines = order["salesOrder"]["fulfillmentGroups"][0]["lines"]
    assert order["salesOrder"]["fulfillmentGroups"][0]["warehouse"] == shop.first
    assert sorted((line["position"], line["sku"], line["quantity"], line["reserved"], line["waiting"])
                  for line in lines) == sorted([(1, kit.a, "4.0000", "4.0000", "0.0000"),
                                                (1, kit.b, "2.0000", "2.0000", "0.0000")])  # fmt: skip
    left = (await graphql.run(SETS, {"sku": kit.bundle, "store": shop.store}, token=admin.token))["bundleAvailability"]
    assert left["sets"] == "0.0000"  # 1 A and 2 B left: no whole set
    await assert_invariants()
    cancelled = (await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"]))["document"]
    assert cancelled["state"] == "cancelled"
    for sku, there in ((kit.a, "5.0000"), (kit.b, "4.0000")):
        levels = (await graphql.run(AVAILABILITY, {"sku": sku}, token=admin.token))["availability"]
        assert (levels["reserved"], levels["available"]) == ("0.0000", there)
    again = (await graphql.run(SETS, {"sku": kit.bundle, "store": shop.store}, token=admin.token))["bundleAvailability"]
    assert again["sets"] == "2.0000"
    await assert_invariants()


async def test_an_order_of_more_bundles_than_whole_sets_waits_in_whole_sets(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    shop = kit.shop
    await stock(graphql, admin, kit.a, shop.first_bin, "5")
    await stock(graphql, admin, kit.b, shop.first_bin, "4")
    await stock(graphql, admin, kit.a, shop.second_bin, "2")
    await stock(graphql, admin, kit.b, shop.second_bin, "1")
    order = await confirmed(graphql, admin, shop, [{"sku": kit.bundle, "quantity": "4", "price": "30"}])
    shown = groups(order)
    # Two sets from the first warehouse, one from the second, and the fourth waits in the first: its B is there
    # (4), one of its two A is (5 of 6), the other waits.
    assert sorted(shown[shop.first]) == [(1, "3.0000", "3.0000", "0.0000"), (1, "6.0000", "5.0000", "1.0000")]
    assert sorted(shown[shop.second]) == [(1, "1.0000", "1.0000", "0.0000"), (1, "2.0000", "2.0000", "0.0000")]
    await assert_invariants()


async def test_a_bundle_takes_no_stock_of_its_own(graphql: GraphQLClient, admin: Actor, kit: Kit) -> None:
    payload = await call(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=kit.bundle, locationCode=kit.shop.first_bin,
                         quantity="3", unitCost="5", idempotencyKey=key())  # fmt: skip
    assert errors(payload) == [("input.sku", "INVALID")] and "bundle" in payload["errors"][0]["message"]
    levels = (await graphql.run(AVAILABILITY, {"sku": kit.bundle}, token=admin.token))["availability"]
    assert levels["warehouses"] == []
    await assert_invariants()


async def test_a_product_with_stock_a_kit_or_a_component_never_becomes_a_bundle(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    shop = kit.shop
    await stock(graphql, admin, shop.sku, shop.first_bin, "1")
    stocked = await call(graphql, SET, "setBundleComponents", admin, sku=shop.sku,
                         components=[{"sku": kit.a, "quantity": "1"}])  # fmt: skip
    assert errors(stocked) == [("input.sku", "INVALID")] and "had stock" in stocked["errors"][0]["message"]
    assembled = await product(admin, "KIT")
    await set_kit_components(assembled, [KitSpec(kit.a, "1")], actor_id=admin.user_id)
    a_kit = await call(graphql, SET, "setBundleComponents", admin, sku=assembled,
                       components=[{"sku": kit.b, "quantity": "1"}])  # fmt: skip
    assert errors(a_kit) == [("input.sku", "INVALID")] and "kit" in a_kit["errors"][0]["message"]
    component = await call(graphql, SET, "setBundleComponents", admin, sku=kit.a,
                           components=[{"sku": kit.b, "quantity": "1"}])  # fmt: skip
    assert errors(component) == [("input.sku", "INVALID")]
    shown = (await graphql.run(BUNDLE, {"sku": kit.a}, token=admin.token))["bundle"]
    assert shown["components"] == []


async def test_no_bundle_contains_itself_or_another_bundle(graphql: GraphQLClient, admin: Actor, kit: Kit) -> None:
    other = await product(admin, "BUNDLE")
    itself = await call(graphql, SET, "setBundleComponents", admin, sku=other,
                        components=[{"sku": kit.a, "quantity": "1"}, {"sku": other, "quantity": "1"}])  # fmt: skip
    assert errors(itself) == [("input.components.1.sku", "INVALID")]
    nested = await call(graphql, SET, "setBundleComponents", admin, sku=other,
                        components=[{"sku": kit.bundle, "quantity": "1"}])  # fmt: skip
    assert errors(nested) == [("input.components.0.sku", "INVALID")]
    # The bundle made a component of its own component: a's list would hold the bundle, which holds a.
    cycle = await call(graphql, SET, "setBundleComponents", admin, sku=kit.a,
                       components=[{"sku": kit.bundle, "quantity": "1"}])  # fmt: skip
    assert cycle["bundle"] is None and cycle["errors"]
    assert (await graphql.run(BUNDLE, {"sku": other}, token=admin.token))["bundle"]["components"] == []


async def test_hostile_component_lists_are_refused_at_their_field_and_change_nothing(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"sku": "NOPE-" + "x" * 300, "components": []}, [("input.sku", "NOT_FOUND")]),
        ({"sku": "A\x00B", "components": []}, [("input.sku", "NOT_FOUND")]),
        ({"sku": kit.bundle, "components": [{"sku": "GHOST", "quantity": "1"}]},
         [("input.components.0.sku", "NOT_FOUND")]),
        ({"sku": kit.bundle, "components": [{"sku": kit.a, "quantity": "0"}]},
         [("input.components.0.quantity", "INVALID")]),
        ({"sku": kit.bundle, "components": [{"sku": kit.a, "quantity": "-2"}]},
         [("input.components.0.quantity", "INVALID")]),
        ({"sku": kit.bundle, "components": [{"sku": kit.a, "quantity": "1e30"}]},
         [("input.components.0.quantity", "INVALID")]),
        ({"sku": kit.bundle, "components": [{"sku": kit.a, "quantity": "1"}, {"sku": kit.a.lower(), "quantity": "1"}]},
         [("input.components.1.sku", "INVALID")]),
        ({"sku": kit.bundle, "components": [{"sku": "\x00", "quantity": "1"}]},
         [("input.components.0.sku", "NOT_FOUND")]),
        ({"sku": kit.bundle, "components": [{"sku": kit.a, "quantity": "1"}] * 51}, [("input.components", "INVALID")]),
    ]  # fmt: skip
    for given, expected in cases:
        payload = await call(graphql, SET, "setBundleComponents", admin, **given)
        assert payload["bundle"] is None and errors(payload) == expected, (given, payload)
    shown = (await graphql.run(BUNDLE, {"sku": kit.bundle}, token=admin.token))["bundle"]
    assert [c["sku"] for c in shown["components"]] == [kit.a, kit.b]
    clerk = await make_actor("clerk")
    forbidden = (await graphql.post(SET, {"input": {"sku": kit.bundle, "components": []}}, clerk.token)).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    not_bundle = (await graphql.post(SETS, {"sku": kit.a}, admin.token)).json()
    assert not_bundle["errors"][0]["extensions"]["code"] == "INVALID"


async def test_a_bundle_sold_on_a_confirmed_order_keeps_its_components_until_it_is_done(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    order = await confirmed(graphql, admin, kit.shop, [{"sku": kit.bundle, "quantity": "1", "price": "30"}])
    changed = await call(graphql, SET, "setBundleComponents", admin, sku=kit.bundle,
                         components=[{"sku": kit.a, "quantity": "1"}])  # fmt: skip
    assert errors(changed) == [("input.sku", "INVALID")] and order["number"] in changed["errors"][0]["message"]
    await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"])
    done = await ok(graphql, SET, "setBundleComponents", admin, sku=kit.bundle, components=[], idempotencyKey=key())
    assert done["bundle"] == {"sku": kit.bundle, "components": []}


async def test_shipping_a_bundle_ships_its_components_and_the_line_counts_whole_sets(
    graphql: GraphQLClient, admin: Actor, kit: Kit
) -> None:
    from tests.schema.fulfillment_support import levels, order_state, shipment, validated

    shop = kit.shop
    await stock(graphql, admin, kit.a, shop.first_bin, "5")
    await stock(graphql, admin, kit.b, shop.first_bin, "4")
    order = await confirmed(graphql, admin, shop, [{"sku": kit.bundle, "quantity": "2", "price": "30"}])
    sent = await shipment(graphql, admin, order["id"], shop.first)
    await validated(graphql, admin, sent["document"]["id"])
    await assert_invariants()
    # Two sets left the bin as 4 A and 2 B; the bundle itself never held stock.
    assert levels_of(await levels(graphql, admin, kit.a, shop.first)) == {shop.first_bin: "1.0000"}
    assert levels_of(await levels(graphql, admin, kit.b, shop.first)) == {shop.first_bin: "2.0000"}
    assert await levels(graphql, admin, kit.bundle, shop.first) == {}
    done = await order_state(graphql, admin, order["id"])
    assert done["state"] == "completed" and done["salesOrder"]["fulfillment"] == "fulfilled"
    assert [(line["ordered"], line["shipped"], line["open"]) for line in done["salesOrder"]["lines"]] == [
        ("2.0000", "2.0000", "0.0000")]  # fmt: skip


def levels_of(found: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    return {location: on_hand for location, (on_hand, _, _) in found.items()}


@pytest.mark.postgres
async def test_a_confirmation_waits_for_a_change_of_components_under_way_and_allocates_the_new_ones(
    graphql: GraphQLClient, admin: Actor, kit: Kit, settings: Settings
) -> None:
    # setBundleComponents holds the bundle's product row while it checks that no confirmed order sells it and
    # replaces the list; a confirmation that read the old list meanwhile would allocate parts no longer in it.
    shop = kit.shop
    for sku in (kit.a, kit.b):
        await stock(graphql, admin, sku, shop.first_bin, "5")
    order = await draft(graphql, admin, shop, [{"sku": kit.bundle, "quantity": "1", "price": "30"}])
    outside = contextvars.copy_context()  # the confirmation's own connection, not the transaction below
    watcher = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    task: asyncio.Task[dict[str, Any]] | None = None
    try:
        async with in_transaction() as conn:
            held = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1 FOR UPDATE", kit.bundle)
            assert held is not None
            bundle_id = held["id"]
            task = asyncio.create_task(call(graphql, CONFIRM, "confirmSalesOrder", admin, id=order["id"]),
                                       context=outside)  # fmt: skip
            for _ in range(300):
                waiting = await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                                 " current_database() AND wait_event_type = 'Lock'")  # fmt: skip
                if waiting or task.done():
                    break
                await asyncio.sleep(0.01)
            # Now only 3 x a make one.
            a_id = (await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", kit.a))["id"]  # type: ignore[index]
            await sql.execute(conn, "DELETE FROM sales_bundle_component WHERE bundle_id = $1", bundle_id)
            await sql.execute(conn, "INSERT INTO sales_bundle_component (bundle_id, component_id, quantity)"
                                    " VALUES ($1, $2, 3)", bundle_id, a_id)  # fmt: skip
    finally:
        await watcher.close()
    assert task is not None
    confirmed_order = await task
    assert confirmed_order["errors"] == [], confirmed_order
    lines = confirmed_order["document"]["salesOrder"]["fulfillmentGroups"][0]["lines"]
    assert [(line["sku"], line["quantity"]) for line in lines] == [(kit.a, "3.0000")]
    await assert_invariants()
