"""Shipments that keep the scan that shipped them: ``validateShipment`` may carry the scan that confirmed it on a
handheld, its moves to the customer are effective when it was scanned (a shipment confirmed offline and sent later
books the scanning time), the scan is in the scan log with the first move, a scan in a closed period is refused and
ships nothing, and a retry logs nothing twice. ``openShipments`` lists a warehouse's draft shipments."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from server.inventory.periods import set_period_lock
from server.scanning.models import Scan
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.fulfillment_support import VALIDATE, refused, shipment
from tests.schema.sales_support import RECEIVE_STOCK, Shop, assert_invariants, confirmed, key, make_shop, ok
from tests.schema.test_sales_pick_scans import ago, logged, scan

MOVES = """query M($sku: String!) { stockMoves(sku: $sku, first: 100) { edges { node { id quantity fromLocationCode
  toLocationCode reason effectiveAt createdAt } } } }"""
OPEN = """query O($warehouse: String!) { openShipments(warehouse: $warehouse) { id number state warehouse orderNumber
  lines { position sku quantity packed } } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def draft_shipment(graphql: GraphQLClient, admin: Actor, shop: Shop, quantity: str = "2") -> dict[str, Any]:
    """A one-step shipment of ``quantity`` of the shop's product from its first bin (five there, received a day
    ago: a scan that ships it is dated after, or the ledger's past would go below zero)."""
    received = {"code": "received", "scannedAt": ago(days=1).isoformat()}
    await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=shop.sku, locationCode=shop.first_bin, quantity="5",
             unitCost="5", idempotencyKey=key(), scan=received)  # fmt: skip
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": quantity, "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    return await shipment(graphql, admin, order["id"], shop.first)


async def sales_of(graphql: GraphQLClient, admin: Actor, sku: str) -> list[dict[str, Any]]:
    found = await graphql.run(MOVES, {"sku": sku}, token=admin.token)
    return [edge["node"] for edge in found["stockMoves"]["edges"] if edge["node"]["reason"] == "sale"]


async def test_a_shipment_validated_with_its_scan_is_booked_when_it_was_scanned_and_the_scan_is_logged_once(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    made = await draft_shipment(graphql, admin, shop)
    device = unique("HH")
    at = ago(hours=2)
    same_key = key()
    tracking = "1Z999AA10123456784"
    asked = {"id": made["document"]["id"], "trackingNumber": tracking, "scan": scan(tracking, device, at),
             "idempotencyKey": same_key}  # fmt: skip

    done = await ok(graphql, VALIDATE, "validateShipment", admin, **asked)

    assert done["shipment"]["state"] == "done" and done["shipment"]["trackingNumber"] == tracking
    [sale] = await sales_of(graphql, admin, shop.sku)
    assert (sale["fromLocationCode"], sale["quantity"]) == (shop.first_bin, "2.0000")
    assert datetime.datetime.fromisoformat(sale["effectiveAt"]) == at
    assert datetime.datetime.fromisoformat(sale["createdAt"]) > at + datetime.timedelta(hours=1)
    [kept] = await logged(graphql, admin, device)
    assert (kept["code"], kept["move"]["id"]) == (tracking, sale["id"])
    await assert_invariants()

    # Sent again (its answer lost on the way): the first answer, nothing booked or logged twice.
    again = await ok(graphql, VALIDATE, "validateShipment", admin, **asked)
    assert again["shipment"]["state"] == "done"
    assert len(await logged(graphql, admin, device)) == 1 and len(await sales_of(graphql, admin, shop.sku)) == 1


async def test_a_shipment_scanned_in_a_closed_period_is_refused_and_ships_nothing(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    made = await draft_shipment(graphql, admin, shop)
    device = unique("HH")
    two_days_ago = datetime.date.today() - datetime.timedelta(days=2)
    await set_period_lock(shop.first, two_days_ago, actor_id=admin.user_id)

    error = await refused(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"],
                          scan=scan("SH", device, ago(days=3)), idempotencyKey=key())  # fmt: skip

    assert error["code"] == "PERIOD_LOCKED" and error["field"] == ["input", "scan", "scannedAt"]
    assert str(two_days_ago) in error["message"]
    assert await sales_of(graphql, admin, shop.sku) == [] and await Scan.filter(device=device).count() == 0
    # Scanned today, the same shipment ships.
    done = await ok(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"],
                    scan=scan("SH", device, ago(minutes=5)), idempotencyKey=key())  # fmt: skip
    assert done["shipment"]["state"] == "done" and await Scan.filter(device=device).count() == 1
    await assert_invariants()


async def test_a_scan_from_the_future_or_without_its_time_zone_is_refused_at_its_path(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    made = await draft_shipment(graphql, admin, shop)
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    ahead = await refused(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"],
                          scan=scan("SH", "hh", future), idempotencyKey=key())  # fmt: skip
    assert ahead["code"] == "INVALID" and ahead["field"] == ["input", "scan", "scannedAt"]
    naive = await refused(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"],
                          scan={"code": "SH", "scannedAt": "2026-01-01T10:00:00"}, idempotencyKey=key())  # fmt: skip
    assert naive["field"] == ["input", "scan", "scannedAt"]
    assert await sales_of(graphql, admin, shop.sku) == []


async def test_open_shipments_lists_a_warehouses_draft_shipments_and_not_shipped_ones(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    first = await draft_shipment(graphql, admin, shop, "1")
    second = await draft_shipment(graphql, admin, shop, "2")
    await ok(graphql, VALIDATE, "validateShipment", admin, id=first["document"]["id"], idempotencyKey=key())

    listed = (await graphql.run(OPEN, {"warehouse": shop.first.lower()}, token=admin.token))["openShipments"]

    assert [s["number"] for s in listed] == [second["shipment"]["number"]]
    assert listed[0]["lines"] == [{"position": 1, "sku": shop.sku, "quantity": "2.0000", "packed": "0.0000"}]
    assert (await graphql.run(OPEN, {"warehouse": shop.second}, token=admin.token))["openShipments"] == []
    assert (await graphql.run(OPEN, {"warehouse": "x" * 500}, token=admin.token))["openShipments"] == []
