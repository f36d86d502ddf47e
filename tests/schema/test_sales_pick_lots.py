"""Picking books the lot the picker took: the pick line's lot, not whichever the strategy would free first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from server.catalog.service import ProductDetails, create_product
from server.documents.models import Document
from server.inventory.models import StockMove
from server.sales.fulfillment_models import ShipmentLine
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.fulfillment_support import MOVES, pick_list, picked, shipment, steps, validated
from tests.schema.sales_support import RECEIVE_STOCK, Shop, assert_invariants, confirmed, key, make_shop, ok


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def lot_in(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, lot: str, quantity: str,
                 expires_on: str) -> None:  # fmt: skip
    await ok(graphql, RECEIVE_STOCK, "receiveStock", actor, sku=sku, locationCode=bin_, quantity=quantity,
             lot=lot, expiresOn=expires_on, unitCost="5", idempotencyKey=key())  # fmt: skip


async def moved(graphql: GraphQLClient, actor: Actor, sku: str) -> list[dict[str, Any]]:
    query = MOVES.replace("kind reason unitCost", "kind reason unitCost lotCode")
    edges = (await graphql.run(query, {"sku": sku}, token=actor.token))["stockMoves"]["edges"]
    return [e["node"] for e in edges]


async def test_a_line_short_of_one_lot_books_that_lot_lost_and_the_other_lot_picked(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    sku = unique("LOTS")
    await create_product(sku, ProductDetails(name="Yoghurt", tracking="lot"), actor_id=admin.user_id)
    await steps(graphql, admin, shop.first, 2)
    # One bin, two lots: AAA keeps longer, ZZZ expires first, so the strategy (FEFO) reserves ZZZ first; the list
    # names AAA's line first (bin, then lot order).
    await lot_in(graphql, admin, sku, shop.first_bin, "AAA", "2", "2031-01-01")
    await lot_in(graphql, admin, sku, shop.first_bin, "ZZZ", "1", "2030-01-01")
    order = await confirmed(graphql, admin, shop, [{"sku": sku, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]
    assert [(line["lot"], line["quantity"]) for line in listed["lines"]] == [("AAA", "2.0000"), ("ZZZ", "1.0000")]

    # Both of AAA found; the one of ZZZ damaged.
    await picked(graphql, admin, listed["id"], [{"position": 2, "quantity": "0", "reason": "Damaged"}])

    moves = await moved(graphql, admin, sku)
    to_output = sorted((m["lotCode"], m["quantity"]) for m in moves if m["kind"] != "receive"
                       and m["reason"] != "short_pick")  # fmt: skip
    lost = [(m["lotCode"], m["quantity"]) for m in moves if m["reason"] == "short_pick"]
    assert to_output == [("AAA", "2.0000")]
    assert lost == [("ZZZ", "1.0000")]
    await assert_invariants()


async def test_a_shipment_from_the_bins_books_each_line_from_its_own_lot(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    sku = unique("LOTS")
    await create_product(sku, ProductDetails(name="Yoghurt", tracking="lot"), actor_id=admin.user_id)
    await lot_in(graphql, admin, sku, shop.first_bin, "AAA", "2", "2031-01-01")
    await lot_in(graphql, admin, sku, shop.first_bin, "ZZZ", "1", "2030-01-01")
    order = await confirmed(graphql, admin, shop, [{"sku": sku, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = (await shipment(graphql, admin, order["id"], shop.first))["shipment"]
    assert sorted((line["lot"], line["quantity"]) for line in made["lines"]) == [("AAA", "2.0000"), ("ZZZ", "1.0000")]
    await validated(graphql, admin, made["id"])

    document = await Document.get(number=made["number"])
    for line in await ShipmentLine.filter(shipment_id=document.id):
        booked = await StockMove.filter(document_line_id=line.id).values_list("lot_id", "quantity")
        assert [(lot_id, Decimal(quantity)) for lot_id, quantity in booked] == [(line.lot_id, Decimal(line.quantity))]
    await assert_invariants()
