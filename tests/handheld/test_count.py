"""Counting a bin against a real server, without a window; each test counts a bin of its own and ends
with the server's stock."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from handheld.logic.capture import GS, Captured
from handheld.logic.count import CountFlow
from handheld.logic.courier import SENT, WAITING
from handheld.logic.outbox import DOCUMENTS
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from tests.handheld.conftest import Handheld, new_bin, on_hand

if TYPE_CHECKING:
    from tests.handheld.conftest import RestartableServer

MUG_EAN = "5901234123457"  # MUG-WHITE
TSHIRT_EAN = "4006381333931"  # TSHIRT-RED-M
COFFEE_GTIN = "00000096385074"  # COFFEE-1KG, tracks lots


def scanned(code: str) -> Captured:
    return Captured(code, by_scanner=True)


def typed(text: str) -> Captured:
    return Captured(text, by_scanner=False)


def _lot() -> str:
    return f"C{uuid.uuid4().hex[:8]}".upper()


@pytest.fixture
def count(handheld: Handheld) -> CountFlow:
    return CountFlow(handheld.courier, warehouse="WH1", device="hh-count", cache=handheld.cache)


def test_a_count_with_a_difference_books_it_and_the_bin_holds_what_was_counted(
    count: CountFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 10, None), ("TSHIRT-RED-M", 5, None))

    assert count.scan(scanned(bin_.lower())).feedback == GOOD
    assert count.scan(scanned(MUG_EAN)).feedback == GOOD
    count.key("8")
    assert count.scan(scanned(TSHIRT_EAN)).feedback == GOOD, "the next item keeps the count of the one before"
    count.scan(typed("5"))
    assert ("Counted", "MUG-WHITE: 8  (books 10)", False) in count.fields()
    done = count.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD and f"Done: {bin_} counted, 2 lines, 1 with a difference" in done.message
    assert (on_hand(client, "MUG-WHITE", bin_), on_hand(client, "TSHIRT-RED-M", bin_)) == (Decimal(8), Decimal(5))
    assert (count.bin, count.counted) == ("", {}), "the form is clear for the next bin"


def test_a_product_the_bin_holds_but_nobody_counted_is_asked_about_then_set_to_0(
    count: CountFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    lot = _lot()
    bin_ = new_bin(client, ("MUG-WHITE", 10, None), ("COFFEE-1KG", 3, lot))
    count.scan(scanned(bin_))
    count.scan(scanned(MUG_EAN))
    count.key("1")
    count.key("2")

    asked = count.confirm()

    assert asked.feedback == WARN and asked.message.startswith("Not counted: 1 will be set to 0")
    assert ("Set to 0", f"COFFEE-1KG lot {lot}", False) in count.fields()
    assert on_hand(client, "COFFEE-1KG", bin_, lot) == 3, "nothing is sent before the answer"
    assert count.scan(scanned("SK:CANCEL")).feedback == QUIET and count.asking == ()
    assert count.counted, "cancelling the question keeps what was counted"

    count.confirm()
    done = count.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD and "2 lines, 2 with a difference" in done.message
    assert (on_hand(client, "MUG-WHITE", bin_), on_hand(client, "COFFEE-1KG", bin_, lot)) == (Decimal(12), Decimal(0))


def test_a_gs1_code_counts_its_lot_and_a_product_scanned_again_comes_back_to_be_changed(
    count: CountFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    lot, other = _lot(), _lot()
    bin_ = new_bin(client, ("COFFEE-1KG", 4, lot), ("COFFEE-1KG", 6, other))
    count.scan(scanned(bin_))

    count.scan(scanned(f"01{COFFEE_GTIN}10{lot}{GS}17300131{GS}304"))
    assert (count.sku, count.lot, count.quantity.text) == ("COFFEE-1KG", lot, "4")
    count.scan(scanned(f"01{COFFEE_GTIN}10{other}"))
    count.key("7")
    again = count.scan(scanned(f"01{COFFEE_GTIN}10{lot}"))
    assert again.feedback == GOOD and f"COFFEE-1KG lot {lot} was counted 4" in again.message
    count.key("back")
    count.key("3")

    assert count.confirm().feedback == GOOD
    assert (on_hand(client, "COFFEE-1KG", bin_, lot), on_hand(client, "COFFEE-1KG", bin_, other)) == (
        Decimal(3), Decimal(7)
    )  # fmt: skip


def test_a_lot_tracked_product_scanned_without_its_lot_asks_for_it(count: CountFlow, handheld: Handheld) -> None:
    bin_ = new_bin(handheld.session.client, ("COFFEE-1KG", 2, _lot()))
    count.scan(scanned(bin_))

    count.scan(scanned("96385074"))

    assert count.prompt.startswith("Scan the lot") and not count.ready
    assert count.scan(scanned(MUG_EAN)).feedback == BAD, "an item is finished before the next"


def test_a_count_sent_again_after_its_answer_was_lost_is_replayed_not_booked_again(
    count: CountFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 10, None))
    count.scan(scanned(bin_))
    count.scan(scanned(MUG_EAN))
    count.key("9")
    done = count.confirm()
    assert done.done is not None and done.done.state == SENT
    new_bin_receipt = {"sku": "MUG-WHITE", "locationCode": bin_, "quantity": "5", "idempotencyKey": str(uuid.uuid4())}
    client.execute(DOCUMENTS["receiveStock"], {"input": new_bin_receipt})

    # The same write, with its key, once more: as when the answer was lost and the outbox sent it again.
    entry = done.done.entry
    handheld.outbox.add(entry.server, entry.username, entry.operation, entry.input, entry.summary)
    [again] = handheld.courier.drain()

    assert again.state == SENT and again.replayed
    assert on_hand(client, "MUG-WHITE", bin_) == 9 + 5, "a count booked twice would have set it to 9 again"


def test_offline_a_count_waits_in_the_outbox_and_is_booked_once_the_server_is_back(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 10, None))
    flow = CountFlow(handheld.courier, warehouse="WH1", device="hh-count-offline", cache=handheld.cache)
    for code in (bin_, MUG_EAN):  # looked up once, so known while offline
        flow.scan(scanned(code))
    flow.reset()

    with restartable.stopped():
        unknown = flow.scan(scanned(bin_))
        flow.scan(scanned(MUG_EAN))
        flow.key("6")
        kept = flow.confirm()

    assert unknown.feedback == WARN and "nothing is set to 0" in unknown.message
    assert kept.feedback == WARN and kept.done is not None and kept.done.state == WAITING
    assert handheld.courier.probe()
    assert [d.state for d in handheld.courier.drain()] == [SENT]
    assert on_hand(client, "MUG-WHITE", bin_) == 6
