"""Issuing (sale) and scrapping against a real server, without a window; each ends with the server's stock."""

from __future__ import annotations

import pytest

from handheld.logic.courier import SENT
from handheld.logic.issue import IssueFlow
from handheld.logic.move import MoveFlow
from handheld.logic.scan import BAD, GOOD
from tests.handheld.conftest import Handheld, new_bin, on_hand
from tests.handheld.test_count import MUG_EAN, scanned


@pytest.fixture
def issue(handheld: Handheld) -> IssueFlow:
    return IssueFlow(handheld.courier, warehouse="WH1", device="hh-issue", cache=handheld.cache)


def test_a_sale_takes_the_quantity_out_of_the_bin_to_a_customer(issue: IssueFlow, handheld: Handheld) -> None:
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 10, None))

    issue.scan(scanned(bin_))
    issue.scan(scanned(MUG_EAN))
    assert issue.available == 10, "what the bin holds is shown before the quantity is given"
    issue.key("3")
    not_yet = issue.scan(scanned("SK:CONFIRM"))
    assert not_yet.feedback == BAD and "Sale or scrap?" in not_yet.message, "the reason is never assumed"
    assert issue.scan(scanned("sk:sale")).feedback == GOOD
    done = issue.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD and f"Issue (sale) 3 x MUG-WHITE from {bin_}" in done.message
    assert done.done is not None and done.done.payload is not None
    assert done.done.payload["moves"][0]["toLocationCode"] != bin_
    assert on_hand(client, "MUG-WHITE", bin_) == 7


def test_scrap_takes_the_quantity_out_of_the_bin_to_scrap(issue: IssueFlow, handheld: Handheld) -> None:
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 10, None))

    issue.scan(scanned(bin_))
    issue.scan(scanned(MUG_EAN))
    issue.key("2")
    issue.command("scrap")  # the Scrap button
    assert ("scrap", "Scrap", True) in issue.choices()
    done = issue.confirm()

    assert done.feedback == GOOD and f"Scrap 2 x MUG-WHITE from {bin_}" in done.message
    assert done.done is not None and done.done.payload is not None
    assert "SCRAP" in done.done.payload["moves"][0]["toLocationCode"].upper()
    assert on_hand(client, "MUG-WHITE", bin_) == 8


def test_an_issue_sent_again_after_its_answer_was_lost_is_not_booked_twice(
    issue: IssueFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 10, None))
    for code in (bin_, MUG_EAN, "SK:SCRAP"):
        issue.scan(scanned(code))
    issue.key("4")
    done = issue.confirm()
    assert done.done is not None and done.done.state == SENT

    entry = done.done.entry
    handheld.outbox.add(entry.server, entry.username, entry.operation, entry.input, entry.summary)
    [again] = handheld.courier.drain()

    assert again.state == SENT and again.replayed
    assert on_hand(client, "MUG-WHITE", bin_) == 6


def test_an_issue_of_more_than_the_bin_holds_is_refused_and_kept_to_fix(issue: IssueFlow, handheld: Handheld) -> None:
    client = handheld.session.client
    bin_ = new_bin(client, ("MUG-WHITE", 3, None))
    for code in (bin_, MUG_EAN, "SK:SALE"):
        issue.scan(scanned(code))
    issue.key("5")

    refused = issue.confirm()

    assert refused.feedback == BAD and refused.message.startswith("Refused: ")
    assert (issue.source, issue.sku, issue.quantity.text, issue.reason) == (bin_, "MUG-WHITE", "5", "sale")
    issue.key("back")
    issue.key("3")
    assert issue.confirm().feedback == GOOD
    assert on_hand(client, "MUG-WHITE", bin_) == 0


def test_a_reason_command_on_another_screen_does_nothing(handheld: Handheld) -> None:
    move = MoveFlow(handheld.courier, warehouse="WH1", device="hh-issue", cache=handheld.cache)
    move.scan(scanned("WH1-B-01"))

    outcome = move.scan(scanned("SK:SCRAP"))

    assert outcome.feedback == BAD and move.source == "WH1-B-01"
