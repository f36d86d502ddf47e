"""Packing and shipping a sales shipment, without a window, against a real server: each test makes its own
products, a sales order in WH1 (two steps), picks it on the server and makes its draft shipment, then packs and
ships it from the handheld and checks the shipment, its packages and the customer's stock moves as the server has
them."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from handheld.client import GraphQLClient
from handheld.logic.courier import SENT, WAITING
from handheld.logic.scan import BAD, GOOD, WARN
from handheld.logic.ship import ShipFlow
from tests.handheld.conftest import Handheld, new_sscc, on_hand
from tests.handheld.test_app_window import (  # the window tests' fixtures too: display, handsets
    MISSING,
    PERSON_DELAY,
    Handset,
    _every_layout_check_passed,
    display,  # noqa: F401
    handsets,  # noqa: F401
)
from tests.handheld.test_pick import ERRORS, Item, client_scans, new_item, new_pick_list, ok, when
from tests.handheld.test_tasks import scanned, typed

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoServer, RestartableServer

CONFIRM_PICKS = f"mutation C($input: ConfirmPicksInput!) {{ confirmPicks(input: $input) {{ {ERRORS} }} }}"
CREATE_SHIPMENT = f"""mutation S($input: CreateShipmentInput!) {{
  createShipment(input: $input) {{ shipment {{ id number }} {ERRORS} }} }}"""
SHIPMENT = """query S($id: ID!) { shipment(id: $id) { state trackingNumber shippedAt
  lines { position sku quantity packed } packages { number packaging weightKg sscc } } }"""
SALES = """query M($sku: String!) { stockMoves(sku: $sku, first: 100) { edges { node { reason quantity
  fromLocationCode toLocationCode effectiveAt createdAt } } } }"""
TRACKING = "1Z999AA10123456784"
SCREENSHOT_ENV = "STOREKEEPER_HANDHELD_SCREENSHOT"  # the app's (handheld.app), not imported: it opens a window
SHIP_SCREENSHOT_ENV = "STOREKEEPER_SHIP_SCREENSHOT"


@dataclass(frozen=True)
class Shipping:
    """A draft shipment of one order, of what was picked for it into WH1-OUTPUT."""

    id: str
    number: str
    items: dict[str, Item]


def new_shipment(client: GraphQLClient, *wanted: tuple[Item, int]) -> Shipping:
    """An order for ``wanted`` (item, quantity), picked in full on the server, and its draft shipment."""
    picking = new_pick_list(client, *wanted)
    ok(client, CONFIRM_PICKS, id=picking.id, lines=[], idempotencyKey=str(uuid.uuid4()))
    made = ok(client, CREATE_SHIPMENT, order=picking.order, warehouse="WH1", idempotencyKey=str(uuid.uuid4()))
    return Shipping(made["shipment"]["id"], made["shipment"]["number"], picking.items)


def on_server(client: GraphQLClient, shipping: Shipping) -> dict[str, Any]:
    found: dict[str, Any] = client.execute(SHIPMENT, {"id": shipping.id})["shipment"]
    return found


def sales_of(client: GraphQLClient, sku: str) -> list[dict[str, Any]]:
    edges = client.execute(SALES, {"sku": sku})["stockMoves"]["edges"]
    return [edge["node"] for edge in edges if edge["node"]["reason"] == "sale"]


def packer(handheld: Handheld, device: str = "hh-ship") -> ShipFlow:
    flow = ShipFlow(handheld.courier, warehouse="WH1", device=device, cache=handheld.cache)
    flow.look()
    return flow


@pytest.fixture
def admin(handheld: Handheld) -> GraphQLClient:
    return handheld.session.client


def test_a_shipment_is_packed_into_two_boxes_one_with_an_sscc_and_shipped_with_its_tracking_number(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    shirts, mugs = new_item(admin, 5), new_item(admin, 4)
    shipping = new_shipment(admin, (shirts, 3), (mugs, 2))
    label = new_sscc()
    flow = packer(handheld)
    assert any(shipping.number in text for _, text, _ in flow.choices()) or len(flow.offered) > 3

    opened = flow.scan(scanned(shipping.number.lower()))  # its number, as printed on its paper

    assert opened.feedback == GOOD and opened.message.startswith(f"{shipping.number}, order "), opened
    assert flow.prompt == "Box 1: scan a box type or the box's SSCC label."
    assert flow.scan(scanned(shirts.ean)).message.startswith("Open a box first")
    assert flow.scan(scanned("box-m")).message.startswith("Box 1: BOX-M.")
    assert flow.scan(scanned(shirts.ean)).feedback == GOOD
    assert flow.scan(scanned(shirts.ean)).feedback == GOOD
    assert flow.scan(scanned(mugs.sku.lower())).message.startswith(f"1 x {mugs.sku} in box 1.")  # the SKU, any case
    assert not flow.ready, "a box closes with its weight"
    for key in "1.25":
        flow.key(key)
    assert flow.confirm_label == "Close box 1" and flow.ready
    closed = flow.scan(scanned("SK:CLOSE"))
    assert closed.feedback == GOOD and closed.message.startswith("Box 1 closed: 3 items, 1.25 kg."), closed

    assert flow.scan(scanned(f"00{label}")).message.startswith(f"Box 2: SSCC {label}.")  # GS1-128: AI 00
    flow.scan(scanned(shirts.ean))
    flow.scan(scanned(mugs.ean))
    flow.scan(typed("0.8"))
    assert flow.confirm().message.startswith("Box 2 closed: 2 items, 0.8 kg.")
    assert flow.prompt == "All packed in 2 boxes: Finish packing sends them." and flow.confirm_label == "Finish packing"
    packed = flow.confirm()
    assert packed.feedback == GOOD and packed.message.startswith(f"Packed: {shipping.number}: 2 boxes."), packed
    assert [p["sscc"] for p in on_server(admin, shipping)["packages"]] == [None, label]

    assert flow.scan(scanned(TRACKING)).message == f"Tracking {TRACKING}: confirm to ship."
    shipped = flow.scan(scanned("SK:CONFIRM"))

    assert shipped.feedback == GOOD and shipped.done is not None and shipped.done.state == SENT, shipped.message
    assert shipped.message.startswith(f"Shipped {shipping.number}.")
    assert flow.packing is None and all(item.id != shipping.id for item in flow.offered)
    booked = on_server(admin, shipping)
    assert (booked["state"], booked["trackingNumber"]) == ("done", TRACKING) and booked["shippedAt"]
    assert [(p["number"], p["packaging"], Decimal(p["weightKg"]), p["sscc"]) for p in booked["packages"]] == [
        (1, "BOX-M", Decimal("1.25"), None), (2, "BOX-M", Decimal("0.8"), label),
    ]  # fmt: skip
    assert {(ln["sku"], ln["quantity"], ln["packed"]) for ln in booked["lines"]} == {
        (shirts.sku, "3.0000", "3.0000"), (mugs.sku, "2.0000", "2.0000"),
    }  # fmt: skip
    for item, quantity in ((shirts, "3.0000"), (mugs, "2.0000")):
        [sale] = sales_of(admin, item.sku)
        assert (sale["fromLocationCode"], sale["quantity"]) == ("WH1-OUTPUT", quantity)
        assert sale["toLocationCode"] != "WH1-OUTPUT" and on_hand(admin, item.sku, "WH1-OUTPUT") == 0


def test_an_item_over_what_the_shipment_ships_is_refused_on_the_device(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    mugs, other = new_item(admin, 5), new_item(admin, 1)
    shipping = new_shipment(admin, (mugs, 2))
    flow = packer(handheld)
    flow.scan(scanned(shipping.number))
    flow.scan(scanned("BOX-S"))
    assert flow.scan(scanned(f"010{mugs.ean}303")).feedback == BAD, "a GS1 label counting 3: more than 2 ship"
    assert flow.scan(scanned(other.ean)).message == f"{other.sku} is not on {shipping.number}."
    flow.scan(scanned(mugs.ean))
    flow.scan(scanned(mugs.ean))

    over = flow.scan(scanned(mugs.ean))

    assert (over.feedback, over.message) == (BAD, f"Too many: {shipping.number} ships 2 of {mugs.sku}, 2 packed "
                                                  "already.")  # fmt: skip
    assert flow.open_box is not None and flow.open_box.holds() == 2
    assert flow.scan(scanned("SK:CANCEL")).message.startswith(f"1 x {mugs.sku} out of box 1.")
    assert flow.open_box.holds() == 1
    flow.scan(scanned("SK:CANCEL"))
    assert flow.scan(scanned("SK:CANCEL")).message.startswith("Box 1 dropped.")
    assert flow.scan(scanned("SK:CANCEL")).message.startswith(f"Left {shipping.number}.")
    assert on_server(admin, shipping)["state"] == "draft" and on_server(admin, shipping)["packages"] == []


def test_a_shipment_packed_and_shipped_offline_is_booked_once_when_the_server_is_back_dated_when_confirmed(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    admin = handheld.session.client
    shirts, mugs = new_item(admin, 5), new_item(admin, 4)
    shipping = new_shipment(admin, (shirts, 2), (mugs, 1))
    device = f"hh-{uuid.uuid4().hex[:8]}"
    flow = packer(handheld, device)
    assert flow.scan(scanned(shipping.number)).feedback == GOOD

    with restartable.stopped():
        assert flow.scan(scanned("BOX-L")).feedback == GOOD, "a box type is taken as read without the server"
        for item in (shirts, shirts, mugs):
            assert flow.scan(scanned(item.ean)).feedback == GOOD, "looked up as the shipment was opened"
        flow.scan(typed("2.5"))
        assert flow.confirm().feedback == GOOD
        kept = flow.confirm()
        assert kept.feedback == WARN and kept.message.startswith("No connection: the packing is kept"), kept.message
        flow.scan(scanned(TRACKING))
        before = datetime.now(UTC).replace(microsecond=0)
        waiting = flow.confirm()
        confirmed = datetime.now(UTC)
        assert waiting.feedback == WARN and waiting.done is not None and waiting.done.state == WAITING, waiting
        assert waiting.message.startswith(f"No connection: shipping {shipping.number} is kept")
        waiting_now = [entry.operation for entry in handheld.outbox.waiting(restartable.url, "demo")]
        assert waiting_now == ["packShipment", "validateShipment"]
        time.sleep(1.5)  # the server gets them well after the confirmation

    handheld.courier.probe()
    delivered = handheld.courier.drain()

    assert [d.state for d in delivered] == [SENT, SENT], delivered
    booked = on_server(admin, shipping)
    assert (booked["state"], booked["trackingNumber"]) == ("done", TRACKING)
    assert [(p["packaging"], Decimal(p["weightKg"])) for p in booked["packages"]] == [("BOX-L", Decimal("2.5"))]
    scan = delivered[1].entry.input["scan"]
    assert (scan["code"], scan["device"]) == (TRACKING, device)
    for item in (shirts, mugs):
        [sale] = sales_of(admin, item.sku)
        effective, created = when(sale["effectiveAt"]), when(sale["createdAt"])
        assert effective == when(scan["scannedAt"]) and before <= effective <= confirmed, sale
        assert created - effective > timedelta(seconds=1), "booked when confirmed, not when it arrived"
    [logged] = client_scans(admin, device)
    assert logged["code"] == TRACKING and when(logged["move"]["effectiveAt"]) == when(scan["scannedAt"])
    # Both sent again (their answers lost on the way): replayed, nothing booked or logged twice.
    for sent in delivered:
        handheld.outbox.add(restartable.url, "demo", sent.entry.operation, sent.entry.input, sent.entry.summary)
    assert [d.state for d in handheld.courier.drain()] == [SENT, SENT]
    assert len(sales_of(admin, shirts.sku)) == 1 and len(client_scans(admin, device)) == 1
    assert on_hand(admin, shirts.sku, "WH1-OUTPUT") == 0


def test_an_app_restarted_mid_box_takes_the_shipment_up_where_it_was(handheld: Handheld, admin: GraphQLClient) -> None:
    mugs, shirts = new_item(admin, 6), new_item(admin, 6)
    shipping = new_shipment(admin, (mugs, 2), (shirts, 1))
    flow = packer(handheld)
    flow.scan(scanned(shipping.number))
    flow.scan(scanned("BOX-S"))
    flow.scan(scanned(mugs.ean))
    flow.scan(scanned(shirts.ean))
    flow.key("3")
    flow.confirm()
    flow.scan(scanned("BOX-S"))
    flow.scan(scanned(mugs.ean))
    flow.key("1")

    again = ShipFlow(handheld.courier, warehouse="WH1", device="hh-ship", cache=handheld.cache)  # the app restarted
    resumed = again.look()

    assert resumed.feedback == GOOD and resumed.message.startswith(f"Back to {shipping.number}. Box 2, 1 kg:")
    assert again.packing is not None and len(again.packing.boxes) == 1 and again.open_box is not None
    assert again.open_box.holds() == 1 and again.quantity.text == "1"
    again.confirm()
    assert again.confirm().feedback == GOOD and again.confirm().feedback == GOOD  # packed, then shipped
    booked = on_server(admin, shipping)
    assert booked["state"] == "done" and len(booked["packages"]) == 2
    assert packer(handheld).packing is None, "shipped: nothing to take up"


@pytest.mark.skipif(bool(MISSING) and os.environ.get("CI") != "true", reason="Xvfb and xdotool are not installed")
def test_the_ship_screen_packs_and_ships_by_wedge_scans_and_fits_a_handheld(
    handsets: list[Handset],  # noqa: F811
    display: str,  # noqa: F811
    tmp_path: Path,
    server: DemoServer,
) -> None:
    """In the real window at 480x800 and density 1.5. With STOREKEEPER_SHIP_SCREENSHOT set to a file, the screen
    mid-box is saved there (how docs/handheld/ship.png is made)."""
    picture = os.environ.get(SHIP_SCREENSHOT_ENV)
    app = Handset(display, tmp_path, server.url, password=server.password)
    if picture:
        app.env[SCREENSHOT_ENV] = str(tmp_path / "shot.png")
    handsets.append(app)
    app.start()
    app.xdotool("key", "Return")
    app.out.wait_for("ready to scan")
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        shirts, mugs = new_item(client, 5), new_item(client, 4)
        shipping = new_shipment(client, (shirts, 3), (mugs, 2))
    label = new_sscc()

    app.answer("SK:SHIP", wait="layout check ship")
    opened = app.answer(shipping.number.lower(), wait="ship says")
    assert f"ship says good: {shipping.number}, order " in opened
    app.answer("BOX-M", wait="ship says good: Box 1: BOX-M.")
    for code in (shirts.ean, shirts.ean, mugs.ean):
        app.answer(code, wait="ship says good")
    app.answer("1.4", delay=PERSON_DELAY, wait="ship says")  # the weight, typed on the keys
    assert "ship says good: Box 1 closed: 3 items, 1.4 kg." in app.answer("SK:CLOSE", wait="ship says")
    app.answer(f"00{label}", wait=f"ship says good: Box 2: SSCC {label}.")
    app.answer(shirts.ean, wait="ship says good")
    assert f"ship says bad: Too many: {shipping.number} ships 3 of {shirts.sku}" in app.answer(
        shirts.ean, wait="ship says"
    )
    app.answer(mugs.ean, wait="ship says good")
    if picture:
        time.sleep(3)  # the pictures of the scans before (and their flashes) are done
    mark = app.scan("0.9", delay=PERSON_DELAY)
    app.out.wait_for("ship says quiet", since=mark)
    if picture:  # box 2 weighed, ready to close: the picture of the screen at work
        app.out.wait_for("screenshot saved", since=app.out.mark())
        shutil.copyfile(tmp_path / "shot.png", picture)
    app.answer("SK:CONFIRM", wait="ship says good: Box 2 closed")
    assert f"ship says good: Packed: {shipping.number}: 2 boxes." in app.answer("SK:CONFIRM", wait="ship says")
    app.answer(TRACKING, wait=f"ship says good: Tracking {TRACKING}")
    assert f"ship says good: Shipped {shipping.number}." in app.answer("SK:CONFIRM", wait="ship says")

    with GraphQLClient(server.url, token=app.stored("token")) as client:
        booked = on_server(client, shipping)
        assert (booked["state"], booked["trackingNumber"], len(booked["packages"])) == ("done", TRACKING, 2)
        assert booked["packages"][1]["sscc"] == label
        assert on_hand(client, shirts.sku, "WH1-OUTPUT") == 0 and on_hand(client, mugs.sku, "WH1-OUTPUT") == 0
    _every_layout_check_passed(app)
