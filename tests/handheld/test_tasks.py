"""The receive and move flows against a real server, without a window; each ends with the server's stock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from handheld.logic.capture import GS, Captured
from handheld.logic.courier import SENT, WAITING
from handheld.logic.move import MoveFlow
from handheld.logic.quantity import QuantityEntry
from handheld.logic.receive import ReceiveFlow
from handheld.logic.scan import BAD, GOOD, WARN
from tests.handheld.conftest import STOCK_OF, Handheld, on_hand

if TYPE_CHECKING:
    from tests.handheld.conftest import RestartableServer

COFFEE_GTIN = "00000096385074"  # COFFEE-1KG, tracks lots
MUG_EAN = "5901234123457"  # MUG-WHITE: 40 in WH1-B-01
SCANS = "query L($device: String) { scans(device: $device, last: 5) { edges { node { code move { quantity } } } } }"
CREATE_WAREHOUSE = """
mutation W($input: CreateWarehouseInput!) { createWarehouse(input: $input) { warehouse { code } errors { code } } }
"""
CREATE_LOCATION = """
mutation L($input: CreateLocationInput!) { createLocation(input: $input) { location { code } errors { code } } }
"""


def scanned(code: str) -> Captured:
    return Captured(code, by_scanner=True)


def typed(text: str) -> Captured:
    return Captured(text, by_scanner=False)


@pytest.fixture
def receive(handheld: Handheld) -> ReceiveFlow:
    return ReceiveFlow(handheld.courier, warehouse="WH1", device="hh-tasks", cache=handheld.cache)


@pytest.fixture
def move(handheld: Handheld) -> MoveFlow:
    return MoveFlow(handheld.courier, warehouse="WH1", device="hh-tasks", cache=handheld.cache)


def _lot() -> str:
    return f"L{uuid.uuid4().hex[:8]}".upper()


def test_a_gs1_label_with_a_group_separator_receives_its_lot_with_expiry_and_quantity(
    receive: ReceiveFlow, handheld: Handheld
) -> None:
    lot = _lot()

    label = receive.scan(scanned(f"01{COFFEE_GTIN}10{lot}{GS}17271231{GS}3012"))
    assert (label.feedback, receive.sku, receive.lot, receive.expires_on, receive.quantity.text) == (
        GOOD, "COFFEE-1KG", lot, "2027-12-31", "12"
    )  # fmt: skip
    assert receive.scan(scanned("WH1-A-02")).feedback == GOOD
    done = receive.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD and done.done is not None and done.done.state == SENT
    levels = handheld.session.client.execute(STOCK_OF, {"sku": "COFFEE-1KG"})["stockLevels"]["edges"]
    assert [(n["node"]["locationCode"], n["node"]["onHand"], n["node"]["expiresOn"]) for n in levels
            if n["node"]["lotCode"] == lot] == [("WH1-A-02", "12.0000", "2027-12-31")]  # fmt: skip
    assert (receive.sku, receive.bin) == ("", ""), "the form is clear for the next one"


def test_a_label_with_a_lot_receives_a_product_kept_without_lots_without_one(
    receive: ReceiveFlow, handheld: Handheld
) -> None:
    before = on_hand(handheld.session.client, "TSHIRT-RED-M", "WH1-A-01", None)
    receive.scan(scanned(f"0104006381333931 10{_lot()}{GS}17271231{GS}302".replace(" ", "")))
    assert (receive.sku, receive.lot, receive.expires_on, receive.quantity.text) == ("TSHIRT-RED-M", "", "", "2")
    receive.scan(scanned("WH1-A-01"))
    assert receive.confirm().feedback == GOOD  # the server would refuse a lot for this product
    assert on_hand(handheld.session.client, "TSHIRT-RED-M", "WH1-A-01", None) == before + 2


def test_a_lot_tracked_product_asks_for_its_lot_and_takes_the_lot_label(
    receive: ReceiveFlow, handheld: Handheld
) -> None:
    lot = _lot()
    receive.scan(scanned("96385074"))
    assert receive.prompt.startswith("Scan the lot")

    receive.scan(scanned(lot))
    receive.scan(typed("3"))
    receive.scan(scanned("wh1-a-01"))

    assert (receive.lot, receive.quantity.text, receive.bin, receive.ready) == (lot, "3", "WH1-A-01", True)
    assert receive.confirm().feedback == GOOD
    assert on_hand(handheld.session.client, "COFFEE-1KG", "WH1-A-01", lot) == 3


def test_digits_typed_on_the_keys_are_a_quantity_but_scanned_digits_are_a_code(receive: ReceiveFlow) -> None:
    receive.scan(typed("7"))
    assert receive.quantity.text == "7"

    receive.scan(scanned(MUG_EAN))

    assert (receive.sku, receive.quantity.text) == ("MUG-WHITE", "7")


def test_a_bin_of_another_warehouse_is_refused(receive: ReceiveFlow, handheld: Handheld) -> None:
    code = f"WZ-{uuid.uuid4().hex[:6]}".upper()
    handheld.session.client.execute(CREATE_WAREHOUSE, {"input": {"code": code, "name": "Other"}})
    far_bin = {"warehouseCode": code, "code": code + "-1", "name": "Far bin"}
    handheld.session.client.execute(CREATE_LOCATION, {"input": far_bin})

    outcome = receive.scan(scanned(code + "-1"))

    assert outcome.feedback == BAD and "you work in WH1" in outcome.message
    assert receive.bin == ""


def test_the_scan_that_led_to_a_receipt_is_logged_with_its_move(receive: ReceiveFlow, handheld: Handheld) -> None:
    receive.scan(scanned(MUG_EAN))
    receive.key("2")
    receive.scan(scanned("WH1-A-02"))
    receive.confirm()

    log = handheld.session.client.execute(SCANS, {"device": "hh-tasks"})["scans"]["edges"]
    assert log[-1]["node"] == {"code": MUG_EAN, "move": {"quantity": "2.0000"}}


def test_a_move_from_bin_item_quantity_to_bin_moves_the_stock(move: MoveFlow, handheld: Handheld) -> None:
    client = handheld.session.client
    before = (on_hand(client, "MUG-WHITE", "WH1-B-01"), on_hand(client, "MUG-WHITE", "WH1-A-01"))

    move.scan(scanned("WH1-B-01"))
    move.scan(scanned(MUG_EAN))
    assert move.available == before[0], "what the bin holds is shown before the quantity is given"
    move.key("5")
    move.scan(scanned("wh1-a-01"))
    outcome = move.scan(scanned("sk:confirm"))

    assert outcome.feedback == GOOD and "Move 5 x MUG-WHITE from WH1-B-01 to WH1-A-01" in outcome.message
    after = (on_hand(client, "MUG-WHITE", "WH1-B-01"), on_hand(client, "MUG-WHITE", "WH1-A-01"))
    assert (after[0] - before[0], after[1] - before[1]) == (Decimal(-5), Decimal(5))


def test_a_move_to_the_bin_it_comes_from_is_refused_in_any_case(move: MoveFlow) -> None:
    move.scan(scanned("WH1-B-01"))
    move.scan(scanned(MUG_EAN))

    outcome = move.scan(scanned("wh1-b-01"))

    assert outcome.feedback == BAD and "WH1-B-01 again" in outcome.message
    assert move.target == ""


def test_a_move_the_server_refuses_keeps_the_form_with_the_reason(move: MoveFlow, handheld: Handheld) -> None:
    move.scan(scanned("WH1-B-01"))
    move.scan(scanned(MUG_EAN))
    move.key("9")
    move.key("9")
    move.key("9")
    move.scan(scanned("WH1-A-02"))

    outcome = move.confirm()

    assert outcome.feedback == BAD and outcome.message.startswith("Refused: ")
    assert (move.source, move.sku, move.quantity.text, move.target) == ("WH1-B-01", "MUG-WHITE", "999", "WH1-A-02")
    assert handheld.outbox.entries() == [], "the worker fixes it here, not in the outbox"
    move.key("back")
    move.key("back")
    assert move.confirm().feedback == GOOD


def test_cancel_by_command_barcode_clears_the_form(move: MoveFlow) -> None:
    move.scan(scanned("WH1-B-01"))

    outcome = move.scan(scanned("SK:CANCEL"))

    assert (outcome.feedback, move.source) == ("quiet", "")


def test_confirm_before_the_form_is_complete_says_what_is_missing(receive: ReceiveFlow) -> None:
    outcome = receive.scan(scanned("SK:CONFIRM"))

    assert outcome.feedback == BAD and outcome.message == "Not yet: Scan the product (or its GS1 label)."


def test_offline_a_receipt_of_codes_seen_before_waits_in_the_outbox(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    flow = ReceiveFlow(handheld.courier, warehouse="WH1", device="hh-offline-task", cache=handheld.cache)
    flow.scan(scanned(MUG_EAN))
    flow.scan(scanned("WH1-A-01"))
    flow.reset()
    before = on_hand(handheld.session.client, "MUG-WHITE", "WH1-A-01")

    with restartable.stopped():
        scanned_from = datetime.now(UTC)
        flow.scan(scanned(MUG_EAN))
        flow.key("4")
        flow.scan(scanned("WH1-A-01"))
        outcome = flow.confirm()
        unseen = flow.scan(scanned("9780201379624"))
        scanned_until = datetime.now(UTC)

    assert outcome.feedback == WARN and outcome.done is not None and outcome.done.state == WAITING
    assert unseen.feedback == WARN and "was not looked up before" in unseen.message
    assert handheld.courier.probe()
    [sent] = handheld.courier.drain()
    assert sent.state == SENT and sent.payload is not None
    assert on_hand(handheld.session.client, "MUG-WHITE", "WH1-A-01") == before + 4
    # Booked later, but dated when it was scanned (to the millisecond the device sends).
    (move,) = sent.payload["moves"]
    effective, booked = (datetime.fromisoformat(move[k]) for k in ("effectiveAt", "createdAt"))
    assert scanned_from - timedelta(milliseconds=1) <= effective <= scanned_until < booked


@pytest.mark.parametrize(
    ("keys", "shown", "sent"),
    [("12", "12", "12"), ("0.5", "0.5", "0.5"), (".5", "0.5", "0.5"), ("1.23456", "1.2345", "1.2345"),
     ("007", "7", "7"), ("1..2", "1.2", "1.2"), ("0", "0", "")],
)  # fmt: skip
def test_the_number_pad_makes_quantities_the_server_takes(keys: str, shown: str, sent: str) -> None:
    entry = QuantityEntry()
    for key in keys:
        entry.press(key)

    assert (entry.text, entry.for_server) == (shown, sent)


def test_the_number_pad_deletes_and_clears() -> None:
    entry = QuantityEntry("125")

    assert entry.press("back") == "12"
    assert entry.press("clear") == ""
    assert entry.value is None


def test_a_write_refused_after_waiting_offline_is_fixed_in_its_task_screen(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    flow = MoveFlow(handheld.courier, warehouse="WH1", device="hh-fix", cache=handheld.cache)
    for code in ("WH1-B-01", MUG_EAN, "WH1-A-02"):  # looked up once, so known while offline
        flow.scan(scanned(code))
    flow.reset()
    with restartable.stopped():
        for code in ("WH1-B-01", MUG_EAN):
            flow.scan(scanned(code))
        flow.quantity.set("5000")
        flow.scan(scanned("WH1-A-02"))
        assert flow.confirm().feedback == WARN
    handheld.courier.probe()
    [refused] = handheld.courier.drain()
    assert refused.state == "refused" and refused.error is not None and refused.error.code == "INSUFFICIENT_STOCK"
    before = on_hand(handheld.session.client, "MUG-WHITE", "WH1-A-02")

    flow.load(refused.entry)
    assert (flow.source, flow.sku, flow.quantity.text, flow.target) == ("WH1-B-01", "MUG-WHITE", "5000", "WH1-A-02")
    flow.key("clear")
    flow.key("1")
    outcome = flow.confirm()

    assert outcome.feedback == GOOD
    assert handheld.outbox.entries() == []
    assert on_hand(handheld.session.client, "MUG-WHITE", "WH1-A-02") == before + 1


def test_offline_a_product_typed_by_its_sku_takes_no_lot_from_a_label_scanned_before(
    restartable: RestartableServer,
) -> None:
    # The device keeps what a code resolved to under the product's SKU as well: a label's lot is that label's.
    handheld = Handheld.signed_in(restartable.url)
    flow = MoveFlow(handheld.courier, warehouse="WH1", device="hh-offline-lot", cache=handheld.cache)
    lot = _lot()
    flow.scan(scanned(f"01{COFFEE_GTIN}10{lot}"))
    assert (flow.sku, flow.lot) == ("COFFEE-1KG", lot)
    flow.reset()

    with restartable.stopped():
        by_sku = flow.scan(typed("coffee-1kg"))
        assert (by_sku.feedback, flow.sku, flow.lot) == (GOOD, "COFFEE-1KG", ""), by_sku.message
        flow.reset()
        again = flow.scan(scanned(f"01{COFFEE_GTIN}10{lot}"))
        assert (again.feedback, flow.lot) == (GOOD, lot), "the label itself still answers with its lot"
