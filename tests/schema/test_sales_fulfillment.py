"""Fulfilling sales orders over GraphQL: steps per warehouse, pick lists and waves in bin order, claims, short
picks, packing, shipments with labels and delivery notes, and shipping once."""

from __future__ import annotations

import asyncio
import base64

import pytest

from server.catalog.service import ProductDetails, create_product
from server.inventory.locations import create_location
from tests.conftest import Actor, GraphQLClient, make_actor, unique
from tests.schema.fulfillment_support import (
    CLAIM,
    CONFIRM_PICKS,
    CREATE_PICK,
    CREATE_SHIPMENT,
    LABEL,
    MOVES,
    NOTE,
    PACK,
    RELEASE_CLAIM,
    STEPS,
    VALIDATE,
    carrier,
    levels,
    order_state,
    pick_list,
    picked,
    refused,
    shipment,
    steps,
    validated,
)
from tests.schema.sales_support import (
    AMEND,
    CANCEL,
    Shop,
    assert_invariants,
    call,
    confirmed,
    key,
    make_shop,
    ok,
    stock,
)


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def products(admin: Actor, count: int) -> list[str]:
    skus = [unique("ITEM") for _ in range(count)]
    for sku in skus:
        await create_product(sku, ProductDetails(name=f"Item {sku}"), actor_id=admin.user_id)
    return skus


def lines_of(skus: list[str], *quantities: str) -> list[dict[str, str]]:
    return [{"sku": sku, "quantity": q, "price": "10"} for sku, q in zip(skus, quantities, strict=True)]


async def test_a_warehouse_ships_in_one_step_unless_set_and_two_steps_make_an_unsellable_output_location(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    found = await graphql.run("query F($w: String!) { fulfillmentSteps(warehouse: $w) { steps outputLocation } }",
                              {"w": shop.first}, token=admin.token)  # fmt: skip
    assert found["fulfillmentSteps"] == {"steps": 1, "outputLocation": None}
    set_two = await steps(graphql, admin, shop.first, 2)
    assert set_two["steps"] == 2 and set_two["outputLocation"] == f"{shop.first}-OUTPUT"
    again = await steps(graphql, admin, shop.first, 3)
    assert again["outputLocation"] == set_two["outputLocation"]  # made once
    bad = await refused(graphql, STEPS, "setFulfillmentSteps", admin, warehouse=shop.first, steps=4)
    assert bad["field"] == ["input", "steps"] and bad["code"] == "INVALID"
    missing = await refused(graphql, STEPS, "setFulfillmentSteps", admin, warehouse="NOPE\x00", steps=2)
    assert missing["field"] == ["input", "warehouse"] and missing["code"] == "NOT_FOUND"


async def test_three_lines_one_short_under_ship_available_ship_two_and_backorder_one(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    skus = await products(admin, 3)
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, skus[0], shop.first_bin, "5")
    await stock(graphql, admin, skus[1], shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, lines_of(skus, "2", "3", "4"), warehouse=shop.first)
    await assert_invariants()
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    assert [(ln["sku"], ln["quantity"]) for ln in listed["pickList"]["lines"]] == sorted(
        [(skus[0], "2.0000"), (skus[1], "3.0000")]
    )  # the third waits: nothing of it is reserved
    done = await picked(graphql, admin, listed["pickList"]["id"])
    assert done["pickList"]["state"] == "done" and done["document"]["state"] == "done"
    await assert_invariants()
    output = f"{shop.first}-OUTPUT"
    assert (await levels(graphql, admin, skus[0], shop.first))[output] == ("2.0000", "0.0000", "0.0000")
    assert (await levels(graphql, admin, skus[0], shop.first))[shop.first_bin] == ("3.0000", "0.0000", "3.0000")
    made = await shipment(graphql, admin, order["id"], shop.first)
    assert {ln["location"] for ln in made["shipment"]["lines"]} == {output}
    shipped = await validated(graphql, admin, made["document"]["id"])
    assert shipped["shipment"]["state"] == "done" and shipped["shipment"]["shippedAt"]
    await assert_invariants()
    state = await order_state(graphql, admin, order["id"])
    assert state["state"] == "confirmed" and state["salesOrder"]["fulfillment"] == "partial"
    assert [(ln["shipped"], ln["open"]) for ln in state["salesOrder"]["lines"]] == [
        ("2.0000", "0.0000"),
        ("3.0000", "0.0000"),
        ("0.0000", "4.0000"),
    ]
    third = next(g for g in state["salesOrder"]["fulfillmentGroups"][0]["lines"] if g["sku"] == skus[2])
    assert (third["reserved"], third["waiting"]) == ("0.0000", "4.0000")  # backordered
    assert (
        output not in await levels(graphql, admin, skus[0], shop.first)
        or (await levels(graphql, admin, skus[0], shop.first))[output][0] == "0.0000"
    )
    moves = (await graphql.run(MOVES, {"sku": skus[0]}, token=admin.token))["stockMoves"]["edges"]
    sale = [m["node"] for m in moves if m["node"]["reason"] == "sale"]
    assert len(sale) == 1 and sale[0]["unitCost"] == "5.0000" and sale[0]["fromLocationCode"] == output


async def test_under_ship_complete_nothing_is_picked_until_all_is_available(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    skus = await products(admin, 2)
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, skus[0], shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, lines_of(skus, "2", "3"), warehouse=shop.first,
                            shippingPolicy="ship_complete")  # fmt: skip
    error = await refused(graphql, CREATE_PICK, "createPickList", admin, warehouse=shop.first, orders=[order["id"]])
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "orders", "0"]
    assert "ships complete" in error["message"] and skus[1] in error["message"]
    await stock(graphql, admin, skus[1], shop.first_bin, "3")  # the receipt serves the waiting demand
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    assert len(listed["pickList"]["lines"]) == 2
    await picked(graphql, admin, listed["pickList"]["id"])
    await validated(graphql, admin, (await shipment(graphql, admin, order["id"], shop.first))["document"]["id"])
    state = await order_state(graphql, admin, order["id"])
    assert (state["state"], state["salesOrder"]["fulfillment"]) == ("completed", "fulfilled")
    await assert_invariants()


async def test_one_step_ships_straight_from_the_bins_and_ship_complete_waits(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "4")
    waiting = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "6", "price": "10"}],
                              warehouse=shop.first, shippingPolicy="ship_complete", priority=-5)  # fmt: skip
    error = await refused(graphql, CREATE_SHIPMENT, "createShipment", admin, order=waiting["id"], warehouse=shop.first)
    assert error["code"] == "INSUFFICIENT_STOCK" and error["field"] == ["input", "order"]
    no_pick = await refused(graphql, CREATE_PICK, "createPickList", admin, warehouse=shop.first, orders=[waiting["id"]])
    assert no_pick["field"] == ["input", "warehouse"] and "one step" in no_pick["message"]
    await call(graphql, CANCEL, "cancelSalesOrder", admin, id=waiting["id"])
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first, carrier=await carrier(), shippingMethod="Express",
                          trackingNumber="1z999aa10123456784")  # fmt: skip
    assert [ln["location"] for ln in made["shipment"]["lines"]] == [shop.first_bin]
    assert made["shipment"]["trackingNumber"] == "1Z999AA10123456784" and made["shipment"]["steps"] == 1
    await validated(graphql, admin, made["document"]["id"])
    await assert_invariants()
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin] == ("1.0000", "0.0000", "1.0000")
    state = await order_state(graphql, admin, order["id"])
    assert (state["state"], state["salesOrder"]["fulfillment"]) == ("completed", "fulfilled")


async def test_a_shipment_validated_twice_ships_once(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first)
    same_key = key()
    first = await ok(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"], idempotencyKey=same_key)
    replay = await ok(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"], idempotencyKey=same_key)
    assert replay["document"]["id"] == first["document"]["id"] and replay["shipment"]["state"] == "done"
    other_tab = await refused(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"])
    assert other_tab["code"] == "ILLEGAL_TRANSITION"
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin][0] == "3.0000"
    await assert_invariants()


@pytest.mark.postgres
async def test_a_shipment_validated_twice_concurrently_ships_once(graphql: GraphQLClient, admin: Actor,
                                                                  shop: Shop) -> None:  # fmt: skip
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await shipment(graphql, admin, order["id"], shop.first)
    answers = await asyncio.gather(*(call(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"],
                                          idempotencyKey=key()) for _ in range(4)))  # fmt: skip
    codes = sorted(a["errors"][0]["code"] if a["errors"] else "OK" for a in answers)
    assert codes == ["ILLEGAL_TRANSITION"] * 3 + ["OK"], answers
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin][0] == "3.0000"
    state = await order_state(graphql, admin, order["id"])
    assert state["salesOrder"]["lines"][0]["shipped"] == "2.0000"
    await assert_invariants()


@pytest.mark.postgres
async def test_two_pickers_claiming_one_list_one_wins(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    pickers = [await make_actor("clerk") for _ in range(2)]
    answers = await asyncio.gather(*(call(graphql, CLAIM, "claimPickList", p, id=listed["pickList"]["id"])
                                     for p in pickers))  # fmt: skip
    codes = sorted(a["errors"][0]["code"] if a["errors"] else "OK" for a in answers)
    assert codes == ["CLAIMED", "OK"], answers
    winner = pickers[0] if not answers[0]["errors"] else pickers[1]
    loser = pickers[1] if winner is pickers[0] else pickers[0]
    lost = await refused(graphql, CONFIRM_PICKS, "confirmPicks", loser, id=listed["pickList"]["id"])
    assert lost["code"] == "CLAIMED" and winner.username in lost["message"]
    done = await picked(graphql, winner, listed["pickList"]["id"])
    assert done["pickList"]["claimedBy"] == winner.username
    await assert_invariants()


async def test_a_claim_is_the_pickers_until_released(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    ann, bob = await make_actor("clerk"), await make_actor("clerk")
    claimed = await ok(graphql, CLAIM, "claimPickList", ann, id=listed["pickList"]["id"])
    assert claimed["pickList"]["claimedBy"] == ann.username
    assert (await ok(graphql, CLAIM, "claimPickList", ann, id=listed["pickList"]["id"]))["pickList"]["claimedBy"] \
        == ann.username  # fmt: skip
    assert (await refused(graphql, CLAIM, "claimPickList", bob, id=listed["pickList"]["id"]))["code"] == "CLAIMED"
    await ok(graphql, RELEASE_CLAIM, "releasePickList", ann, id=listed["pickList"]["id"])
    assert (await ok(graphql, CLAIM, "claimPickList", bob, id=listed["pickList"]["id"]))["pickList"]["claimedBy"] \
        == bob.username  # fmt: skip


async def test_a_short_pick_takes_a_reason_books_the_loss_and_the_order_waits_for_the_rest(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "4")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "4", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    list_id = listed["pickList"]["id"]
    no_reason = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id,
                              lines=[{"position": 1, "quantity": "3"}])  # fmt: skip
    assert no_reason["field"] == ["input", "lines", "0", "reason"] and no_reason["code"] == "INVALID"
    too_many = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id,
                             lines=[{"position": 1, "quantity": "5"}])  # fmt: skip
    assert too_many["field"] == ["input", "lines", "0", "quantity"]
    long_reason = await refused(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=list_id,
                                lines=[{"position": 1, "quantity": "3", "reason": "x" * 201}])  # fmt: skip
    assert long_reason["field"] == ["input", "lines", "0", "reason"]
    await assert_invariants()
    done = await picked(graphql, admin, list_id, [{"position": 1, "quantity": "3", "reason": "Only 3 in the bin"}])
    line = done["pickList"]["lines"][0]
    assert (line["picked"], line["short"], line["reason"]) == ("3.0000", "1.0000", "Only 3 in the bin")
    await assert_invariants()
    assert shop.first_bin not in await levels(graphql, admin, shop.sku, shop.first)  # nothing left there
    moves = (await graphql.run(MOVES, {"sku": shop.sku}, token=admin.token))["stockMoves"]["edges"]
    lost = [m["node"] for m in moves if m["node"]["reason"] == "short_pick"]
    assert [m["quantity"] for m in lost] == ["1.0000"]
    state = await order_state(graphql, admin, order["id"])
    group = state["salesOrder"]["fulfillmentGroups"][0]["lines"][0]
    assert (group["reserved"], group["waiting"]) == ("0.0000", "1.0000")  # picked 3, 1 waits again
    await stock(graphql, admin, shop.sku, shop.first_bin, "1")
    state = await order_state(graphql, admin, order["id"])
    assert state["salesOrder"]["fulfillmentGroups"][0]["lines"][0]["reserved"] == "1.0000"
    await assert_invariants()


async def test_a_wave_across_two_orders_lists_lines_in_bin_order(graphql: GraphQLClient, admin: Actor,
                                                                 shop: Shop) -> None:  # fmt: skip
    await steps(graphql, admin, shop.first, 2)
    bins = [unique("Z9-BIN"), unique("A1-BIN")]
    for code in bins:
        await create_location(shop.first, code, code, actor_id=admin.user_id)
    skus = await products(admin, 2)
    await stock(graphql, admin, skus[0], bins[0], "5")  # Z... comes last on the route
    await stock(graphql, admin, skus[1], bins[1], "5")  # A... first
    one = await confirmed(graphql, admin, shop, lines_of(skus, "1", "2"), warehouse=shop.first)
    two = await confirmed(graphql, admin, shop, lines_of(skus, "3", "1"), warehouse=shop.first)
    wave = await pick_list(graphql, admin, shop.first, one["id"], two["id"])
    assert wave["pickList"]["wave"] is True
    assert [(ln["location"], ln["orderNumber"], ln["quantity"]) for ln in wave["pickList"]["lines"]] == [
        (bins[1], one["number"], "2.0000"),
        (bins[1], two["number"], "1.0000"),
        (bins[0], one["number"], "1.0000"),
        (bins[0], two["number"], "3.0000"),
    ]
    again = await refused(graphql, CREATE_PICK, "createPickList", admin, warehouse=shop.first, orders=[one["id"]])
    assert again["field"] == ["input", "orders", "0"] and "pick list already" in again["message"]
    await picked(graphql, admin, wave["pickList"]["id"])
    await assert_invariants()
    for order in (one, two):
        await validated(graphql, admin, (await shipment(graphql, admin, order["id"], shop.first))["document"]["id"])
    await assert_invariants()
    assert [(await order_state(graphql, admin, o["id"]))["state"] for o in (one, two)] == ["completed"] * 2


async def test_three_steps_pack_before_shipping_and_print_labels_and_a_delivery_note(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await steps(graphql, admin, shop.first, 3)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "3", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    await picked(graphql, admin, (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]["id"])
    made = await shipment(graphql, admin, order["id"], shop.first, carrier=await carrier(), shippingMethod="Next day")
    shipment_id = made["document"]["id"]
    unpacked = await refused(graphql, VALIDATE, "validateShipment", admin, id=shipment_id)
    assert "pack" in unpacked["message"]
    bad = await call(graphql, PACK, "packShipment", admin, id=shipment_id, packages=[
        {"packaging": "BOX S", "weightKg": "1.5", "lines": [{"position": 1, "quantity": "2"}]},
        {"packaging": "BOX-M", "weightKg": "-1", "lines": [{"position": 1, "quantity": "1"}]},
        {"packaging": "BOX-M", "weightKg": "1", "sscc": "106141411234567890", "lines": [{"position": 1,
                                                                                        "quantity": "1"}]},
    ])  # fmt: skip
    assert sorted(tuple(e["field"]) for e in bad["errors"]) == [
        ("input", "packages", "0", "packaging"),
        ("input", "packages", "1", "weightKg"),
        ("input", "packages", "2", "sscc"),
    ]
    over = await refused(graphql, PACK, "packShipment", admin, id=shipment_id, packages=[
        {"packaging": "BOX-M", "weightKg": "2", "lines": [{"position": 1, "quantity": "4"}]}])  # fmt: skip
    assert over["field"] == ["input", "packages", "0", "lines", "0", "quantity"]
    packed = await ok(graphql, PACK, "packShipment", admin, id=shipment_id, idempotencyKey=key(), packages=[
        {"packaging": "box-s", "weightKg": "1.25", "sscc": "106141411234567897", "lines": [{"position": 1,
                                                                                           "quantity": "2"}]},
        {"packaging": "BOX-S", "weightKg": "0.6", "lines": [{"position": 1, "quantity": "1"}]},
    ])  # fmt: skip
    assert packed["shipment"]["lines"][0]["packed"] == "3.0000"
    assert [p["packaging"] for p in packed["shipment"]["packages"]] == ["BOX-S", "BOX-S"]
    await validated(graphql, admin, shipment_id, trackingNumber="TRACK-42")
    zpl = (await graphql.run(LABEL, {"id": shipment_id, "format": "zpl"}, token=admin.token))["shippingLabel"]
    assert zpl["text"].count("^XA") == 2 and "TRACK-42" in zpl["text"] and ">;>800106141411234567897" in zpl["text"]
    pdf = (await graphql.run(LABEL, {"id": shipment_id, "format": "pdf"}, token=admin.token))["shippingLabel"]
    assert base64.b64decode(pdf["contentBase64"]).startswith(b"%PDF")
    note = (await graphql.run(NOTE, {"id": shipment_id}, token=admin.token))["deliveryNote"]
    assert base64.b64decode(note).startswith(b"%PDF")
    await assert_invariants()


async def test_amending_a_confirmed_order_below_what_shipped_is_invalid_at_the_line(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "4", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    made = await ok(graphql, CREATE_SHIPMENT, "createShipment", admin, order=order["id"], warehouse=shop.first)
    await validated(graphql, admin, made["document"]["id"])
    state = await order_state(graphql, admin, order["id"])
    assert state["state"] == "completed"
    # a second order, part of it shipped, then amended below it
    await stock(graphql, admin, shop.sku, shop.first_bin, "2")
    second = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "5", "price": "10"}],
                             warehouse=shop.first)  # fmt: skip
    await validated(graphql, admin, (await shipment(graphql, admin, second["id"], shop.first))["document"]["id"])
    version = (await order_state(graphql, admin, second["id"]))["version"]
    error = await refused(graphql, AMEND, "amendSalesOrder", admin, id=second["id"], version=version,
                          lines=[{"position": 1, "sku": shop.sku, "quantity": "2"}])  # fmt: skip
    assert error["code"] == "INVALID" and error["field"] == ["input", "lines", "0", "quantity"]
    await assert_invariants()


async def test_cancelling_a_partly_shipped_order_cancels_the_rest_puts_picked_goods_back_and_completes_it(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    skus = await products(admin, 3)
    await steps(graphql, admin, shop.first, 2)
    for sku in skus:
        await stock(graphql, admin, sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, lines_of(skus, "2", "2", "9"), warehouse=shop.first)
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    await picked(graphql, admin, listed["pickList"]["id"])
    made = await shipment(graphql, admin, order["id"], shop.first)
    assert sorted(ln["sku"] for ln in made["shipment"]["lines"]) == sorted(skus)  # 2, 2 and the 5 reserved of 9
    await validated(graphql, admin, made["document"]["id"])
    await assert_invariants()
    # stock for the rest arrives and is picked; then the order is cancelled before it ships
    await stock(graphql, admin, skus[2], shop.first_bin, "4")
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    await picked(graphql, admin, listed["pickList"]["id"])
    output = f"{shop.first}-OUTPUT"
    assert (await levels(graphql, admin, skus[2], shop.first))[output][0] == "4.0000"
    cancelled = await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"])
    assert cancelled["document"]["state"] == "completed"
    await assert_invariants()
    state = await order_state(graphql, admin, order["id"])
    assert [(ln["shipped"], ln["cancelled"], ln["open"]) for ln in state["salesOrder"]["lines"]] == [
        ("2.0000", "0.0000", "0.0000"),
        ("2.0000", "0.0000", "0.0000"),
        ("5.0000", "4.0000", "0.0000"),
    ]
    after = await levels(graphql, admin, skus[2], shop.first)
    assert output not in after and after[shop.first_bin] == ("4.0000", "0.0000", "4.0000")  # put back
    assert state["salesOrder"]["fulfillmentGroups"][0]["lines"][2]["reserved"] == "0.0000"


async def test_fulfillment_inputs_are_checked_at_their_paths(graphql: GraphQLClient, admin: Actor,
                                                             shop: Shop) -> None:  # fmt: skip
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "10"}],
                            warehouse=shop.first)  # fmt: skip
    cases = [
        (CREATE_PICK, "createPickList", {"warehouse": shop.first, "orders": []}, ["input", "orders"]),
        (CREATE_PICK, "createPickList", {"warehouse": shop.first, "orders": ["nonsense"]}, ["input", "orders", "0"]),
        (CREATE_PICK, "createPickList", {"warehouse": "X" * 100, "orders": [order["id"]]}, ["input", "warehouse"]),
        (
            CREATE_SHIPMENT,
            "createShipment",
            {"order": order["id"], "warehouse": shop.first, "trackingNumber": "has space"},
            ["input", "trackingNumber"],
        ),
        (
            CREATE_SHIPMENT,
            "createShipment",
            {"order": order["id"], "warehouse": shop.first, "shippingMethod": "x" * 65},
            ["input", "shippingMethod"],
        ),
        (
            CREATE_SHIPMENT,
            "createShipment",
            {"order": order["id"], "warehouse": shop.first, "carrier": shop.customer},
            ["input", "carrier"],
        ),
        (VALIDATE, "validateShipment", {"id": order["id"]}, ["input", "id"]),
        (
            CONFIRM_PICKS,
            "confirmPicks",
            {"id": order["id"], "lines": [{"position": 0, "quantity": "1"}]},
            ["input", "lines", "0", "position"],
        ),
    ]
    for query, name, given, field in cases:
        error = await refused(graphql, query, name, admin, **given)
        assert error["field"] == field, (name, given, error)
