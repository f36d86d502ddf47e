"""Picks that keep their scans: each line of ``confirmPicks`` may carry the scan that picked it, its moves are
effective when it was scanned (a list finished offline and sent later books the scanning times), the scans are in
the scan log with their moves, a scan in a closed period is refused, and a retry logs nothing twice."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from schema.documents.types import document_id
from server.catalog.service import ProductDetails, create_product
from server.documents.models import Document
from server.inventory.periods import set_period_lock
from server.scanning.models import Scan
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.fulfillment_support import CONFIRM_PICKS, pick_list, refused, steps
from tests.schema.sales_support import RECEIVE_STOCK, Shop, assert_invariants, confirmed, key, make_shop, ok

MOVES = """query M($sku: String!) { stockMoves(sku: $sku, first: 100) { edges { node { id quantity fromLocationCode
  toLocationCode reason effectiveAt createdAt } } } }"""
DAY = datetime.timedelta(days=1)
SCANS = """query S($device: String!) { scans(device: $device, first: 100) { edges { node { code device
  move { id reason effectiveAt } } } } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


def ago(**delta: float) -> datetime.datetime:
    return (datetime.datetime.now(datetime.UTC) - datetime.timedelta(**delta)).replace(microsecond=0)


def scan(code: str, device: str, at: datetime.datetime) -> dict[str, str]:
    return {"code": code, "device": device, "scannedAt": at.isoformat()}


async def two_line_list(graphql: GraphQLClient, admin: Actor, shop: Shop, *, made_ago: datetime.timedelta = DAY
                        ) -> tuple[str, list[str]]:  # fmt: skip
    """A pick list of two products, three of each (two lines, in the shop's first bin, in SKU order), made
    ``made_ago`` (picked since, scans a list's picks hold come after it), of stock received a day before: its id
    and the products by position."""
    second = unique("SOLD")
    await create_product(second, ProductDetails(name="Second widget"), actor_id=admin.user_id)
    await steps(graphql, admin, shop.first, 2)
    made_at = datetime.datetime.now(datetime.UTC) - made_ago
    received = {"code": "received", "scannedAt": (made_at - DAY).isoformat()}
    for sku in (shop.sku, second):
        await ok(graphql, RECEIVE_STOCK, "receiveStock", admin, sku=sku, locationCode=shop.first_bin, quantity="5",
                 unitCost="5", idempotencyKey=key(), scan=received)  # fmt: skip
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"},
                                                   {"sku": second, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]
    await Document.filter(id=document_id(listed["id"])).update(created_at=made_at)
    return listed["id"], [line["sku"] for line in sorted(listed["lines"], key=lambda ln: ln["position"])]


async def moves_of(graphql: GraphQLClient, admin: Actor, sku: str) -> list[dict[str, Any]]:
    found = await graphql.run(MOVES, {"sku": sku}, token=admin.token)
    return [edge["node"] for edge in found["stockMoves"]["edges"] if edge["node"]["reason"] in ("pick", "short_pick")]


async def logged(graphql: GraphQLClient, admin: Actor, device: str) -> list[dict[str, Any]]:
    found = await graphql.run(SCANS, {"device": device}, token=admin.token)
    return [edge["node"] for edge in found["scans"]["edges"]]


async def test_a_list_confirmed_with_its_scans_is_booked_when_each_line_was_scanned_and_the_scans_are_logged(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    device = unique("HH")
    first_at, second_at = ago(hours=3), ago(hours=2, minutes=30)
    same_key = key()
    lines = [
        {"position": 1, "scan": scan(skus[0], device, first_at)},  # in full: no quantity needed
        {"position": 2, "quantity": "2", "reason": "Damaged", "scan": scan(skus[1], device, second_at)},
    ]

    done = await ok(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=same_key)

    assert done["pickList"]["state"] == "done"
    assert [(ln["picked"], ln["short"]) for ln in done["pickList"]["lines"]] == [("3.0000", "0.0000"),
                                                                                ("2.0000", "1.0000")]  # fmt: skip
    [first_move] = await moves_of(graphql, admin, skus[0])
    assert datetime.datetime.fromisoformat(first_move["effectiveAt"]) == first_at
    assert datetime.datetime.fromisoformat(first_move["createdAt"]) > first_at + datetime.timedelta(hours=2)
    second_moves = await moves_of(graphql, admin, skus[1])
    assert sorted((m["reason"], m["quantity"]) for m in second_moves) == [("pick", "2.0000"), ("short_pick", "1.0000")]
    assert {datetime.datetime.fromisoformat(m["effectiveAt"]) for m in second_moves} == {second_at}
    scans = {s["code"]: s["move"]["id"] for s in await logged(graphql, admin, device)}
    assert scans.keys() == set(skus)
    assert scans[skus[0]] == first_move["id"] and scans[skus[1]] in {m["id"] for m in second_moves}
    await assert_invariants()

    # Sent again (its answer lost on the way): the first answer, and not one scan logged twice.
    again = await ok(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=same_key)
    assert again["pickList"]["state"] == "done"
    assert len(await logged(graphql, admin, device)) == 2
    assert len(await moves_of(graphql, admin, skus[0])) == 1


async def test_a_pick_scanned_in_a_closed_period_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    device = unique("HH")
    two_days_ago = datetime.date.today() - datetime.timedelta(days=2)
    await set_period_lock(shop.first, two_days_ago, actor_id=admin.user_id)
    lines = [{"position": 1, "scan": scan(skus[0], device, ago(hours=1))},
             {"position": 2, "scan": scan(skus[1], device, ago(days=3))}]  # fmt: skip

    error = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines,
                          idempotencyKey=key())  # fmt: skip

    assert error["code"] == "PERIOD_LOCKED" and error["field"] == ["input", "lines", "1", "scan", "scannedAt"]
    assert str(two_days_ago) in error["message"]
    assert await moves_of(graphql, admin, skus[0]) == [] and await moves_of(graphql, admin, skus[1]) == []
    assert await Scan.filter(device=device).count() == 0
    # Scanned today, the same list is booked.
    lines[1]["scan"] = scan(skus[1], device, ago(minutes=5))
    done = await ok(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, lines=lines, idempotencyKey=key())
    assert done["pickList"]["state"] == "done" and await Scan.filter(device=device).count() == 2
    await assert_invariants()


async def test_a_scan_from_the_future_or_without_its_time_zone_is_refused_at_its_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    list_id, skus = await two_line_list(graphql, admin, shop)
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    ahead = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, idempotencyKey=key(),
                          lines=[{"position": 2, "scan": scan(skus[1], "hh", future)}])  # fmt: skip
    assert ahead["code"] == "INVALID" and ahead["field"] == ["input", "lines", "0", "scan", "scannedAt"]
    without_zone = {"code": skus[0], "scannedAt": "2026-01-01T10:00:00"}
    naive = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, idempotencyKey=key(),
                          lines=[{"position": 1, "scan": without_zone}])  # fmt: skip
    assert naive["field"] == ["input", "lines", "0", "scan", "scannedAt"]
    no_quantity = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id, idempotencyKey=key(),
                                lines=[{"position": 1, "reason": "Damaged"}])  # fmt: skip
    assert no_quantity["field"] == ["input", "lines", "0", "reason"]
    assert await moves_of(graphql, admin, skus[0]) == [] and await moves_of(graphql, admin, skus[1]) == []
