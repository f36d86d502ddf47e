"""A pallet on the move screen against a real server, without a window: its label, then a bin, moves all
it holds in one ``movePackage``; a pallet moved meanwhile is refused; a queued pallet move outlives the app.
Each ends with what the server shows, and its ledger check."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from handheld.client import GraphQLClient
from handheld.logic.capture import Captured
from handheld.logic.courier import REFUSED, SENT, WAITING
from handheld.logic.move import MoveFlow
from handheld.logic.outbox import DOCUMENTS, FIXED_ON
from handheld.logic.receive import ReceiveFlow
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, WARN, ScanFlow
from handheld.logic.session import Session
from handheld.logic.store import DeviceStore
from tests.handheld.conftest import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    PACKAGE,
    Handheld,
    Pallet,
    _open_sessions,
    check_ledger,
    new_bin,
    new_pallet,
    on_hand,
    sign_in,
)
from tests.handheld.test_outbox import LosesTheAnswer

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoServer, RestartableServer

SKU = "MUG-WHITE"
SCANS = "query L($device: String) { scans(device: $device, last: 1) { edges { node { code move { quantity } } } } }"


def scanned(code: str) -> Captured:
    return Captured(code, by_scanner=True)


def _ledger_ok(server: DemoServer) -> None:
    check_ledger(server.env, server.log.parent)


def _where(client: GraphQLClient, pallet: Pallet) -> tuple[str, list[str]]:
    """Where the server says the pallet is, and where each case on it is."""
    found = client.execute(PACKAGE, {"sscc": pallet.sscc})["package"]
    return found["location"]["code"], sorted(child["location"]["code"] for child in found["children"])


def _moved_elsewhere(client: GraphQLClient, pallet: Pallet, to: str) -> None:
    """Someone else (another device) moves the pallet."""
    done = client.execute(
        DOCUMENTS["movePackage"],
        {"input": {"sscc": pallet.sscc, "toLocationCode": to, "idempotencyKey": str(uuid.uuid4())}},
    )
    assert done["movePackage"]["errors"] == []


class Recording(httpx.BaseTransport):
    """Delivers every request, and keeps the name of each GraphQL operation sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.operations: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        document = json.loads(request.content)["query"]
        self.operations.append(document.split("(")[0].split("{")[0].split()[-1])
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def recorded(server: DemoServer) -> Iterator[tuple[Handheld, Recording]]:
    transport = Recording()
    session = Session(client_factory=lambda url, **kw: GraphQLClient(url, transport=transport, **kw))
    _open_sessions.append(session)
    assert session.sign_in(server.url, DEMO_USERNAME, DEMO_PASSWORD).ok
    yield Handheld.on(session), transport


@pytest.fixture
def move(handheld: Handheld) -> MoveFlow:
    return MoveFlow(handheld.courier, warehouse="WH1", device="hh-pallet", cache=handheld.cache)


@pytest.mark.parametrize("label", ["{}", "00{}"], ids=["sscc-alone", "gs1-ai-00"])
def test_a_pallet_scanned_then_a_bin_sends_one_move_package_and_its_48_units_arrive(
    recorded: tuple[Handheld, Recording], server: DemoServer, label: str
) -> None:
    handheld, transport = recorded
    client = handheld.session.client
    pallet = new_pallet(client)  # 4 cases of 12
    target = new_bin(client)
    move = MoveFlow(handheld.courier, warehouse="WH1", device="hh-pallet", cache=handheld.cache)

    shown = move.scan(scanned(label.format(pallet.sscc)))
    assert (shown.feedback, shown.message) == (GOOD, "Scan the bin to put the pallet in.")
    assert move.fields() == [
        ("Pallet", pallet.sscc, False), ("From", pallet.bin, False), ("Holds", "48 x MUG-WHITE", False),
        ("To", "", True),
    ]  # fmt: skip
    assert move.scan(scanned(target.lower())).feedback == GOOD
    transport.operations.clear()
    done = move.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD
    assert f"Move pallet {pallet.sscc} (48 units) from {pallet.bin} to {target}" in done.message
    assert transport.operations == ["MovePackage"], "one mutation, and no move of items"
    assert done.done is not None and done.done.entry.operation == "movePackage"
    moves = done.done.payload["moves"] if done.done.payload else []
    assert [(m["sku"], m["quantity"], m["fromLocationCode"], m["toLocationCode"]) for m in moves] == [
        (SKU, "12.0000", pallet.bin, target)
    ] * 4  # fmt: skip
    assert (on_hand(client, SKU, pallet.bin), on_hand(client, SKU, target)) == (Decimal(0), Decimal(48))
    assert _where(client, pallet) == (target, [target] * 4)
    log = client.execute(SCANS, {"device": "hh-pallet"})["scans"]["edges"]
    assert log[-1]["node"] == {"code": label.format(pallet.sscc), "move": {"quantity": "12.0000"}}, (
        "the pallet's scan is logged with its move"
    )
    assert handheld.outbox.entries() == []
    assert (move.sscc, move.source, move.target) == ("", "", ""), "the form is clear for the next one"
    _ledger_ok(server)


def test_a_pallet_moved_meanwhile_is_refused_as_stale_and_its_label_scanned_again_moves_it(
    move: MoveFlow, handheld: Handheld, server: DemoServer
) -> None:
    client = handheld.session.client
    pallet = new_pallet(client)
    elsewhere, target = new_bin(client), new_bin(client)
    move.scan(scanned(pallet.sscc))
    move.scan(scanned(target))
    _moved_elsewhere(client, pallet, elsewhere)

    refused = move.confirm()

    assert refused.feedback == BAD
    assert refused.message == (
        f"Refused: The pallet {pallet.sscc} is in {elsewhere} now, not {pallet.bin}: someone moved it meanwhile."
        " Scan the pallet again."
    )
    assert (on_hand(client, SKU, elsewhere), on_hand(client, SKU, target)) == (Decimal(48), Decimal(0))
    assert handheld.outbox.entries() == [], "the form keeps it, not the outbox"
    assert (move.source, move.target, move.prompt) == (
        "",
        target,
        "Scan the pallet again: where it is now is not known.",
    )
    _ledger_ok(server)

    move.scan(scanned(pallet.sscc))
    assert move.source == elsewhere
    assert move.confirm().feedback == GOOD
    assert (on_hand(client, SKU, elsewhere), on_hand(client, SKU, target)) == (Decimal(0), Decimal(48))
    _ledger_ok(server)


def test_a_move_of_items_begun_does_not_take_a_pallet(move: MoveFlow, handheld: Handheld) -> None:
    pallet = new_pallet(handheld.session.client, cases=1, per_case=2)
    move.scan(scanned("WH1-B-01"))

    outcome = move.scan(scanned(pallet.sscc))

    assert outcome.feedback == BAD and "cancel it (SK:CANCEL), then scan the pallet" in outcome.message
    assert (move.source, move.sscc, move.write_operation()) == ("WH1-B-01", "", "moveStock")
    move.scan(scanned("SK:CANCEL"))
    assert move.scan(scanned(pallet.sscc)).feedback == GOOD
    assert move.write_operation() == "movePackage"


def test_a_case_on_a_pallet_is_refused_and_names_its_pallet(move: MoveFlow, handheld: Handheld) -> None:
    pallet = new_pallet(handheld.session.client, cases=1, per_case=2)

    outcome = move.scan(scanned(pallet.cases[0]))

    assert outcome.feedback == BAD
    assert outcome.message == (
        f"The case {pallet.cases[0]} is on the pallet {pallet.sscc}: scan that one to move them together."
    )
    assert move.sscc == ""


def test_with_a_pallet_on_the_form_only_a_bin_is_taken(move: MoveFlow, handheld: Handheld) -> None:
    pallet = new_pallet(handheld.session.client, cases=1, per_case=2)
    move.scan(scanned(pallet.sscc))

    item = move.scan(scanned("5901234123457"))
    same_bin = move.scan(scanned(pallet.bin))

    assert item.feedback == BAD and "moves whole: scan the bin to put it in" in item.message
    assert same_bin.feedback == BAD and f"is in {pallet.bin} already" in same_bin.message
    assert (move.sscc, move.target, move.ready) == (pallet.sscc, "", False)
    assert move.takes_quantity is False, "the screen hides the number pad's digits: there is nothing to type"
    move.reset()
    assert move.takes_quantity is True


def test_the_other_task_screens_send_a_pallet_to_the_move_screen(handheld: Handheld) -> None:
    pallet = new_pallet(handheld.session.client, cases=1, per_case=2)
    receive = ReceiveFlow(handheld.courier, warehouse="WH1", device="hh-pallet", cache=handheld.cache)

    outcome = receive.scan(scanned(pallet.sscc))

    assert (outcome.feedback, outcome.message) == (
        BAD, f"That is the pallet {pallet.sscc}: a pallet moves whole, on the move screen (SK:MOVE)."
    )  # fmt: skip


def test_the_lookup_screen_shows_where_a_pallet_is_and_what_it_holds(handheld: Handheld) -> None:
    pallet = new_pallet(handheld.session.client)
    lookup = ScanFlow(handheld.courier, warehouse="WH1", device="hh-pallet", cache=handheld.cache)

    result = lookup.scan(pallet.sscc)

    assert (result.kind, result.feedback, result.title, result.subtitle) == (
        "PACKAGE", GOOD, pallet.sscc, f"Pallet in {pallet.bin}"
    )  # fmt: skip
    assert ("Holds", "48 x MUG-WHITE") in result.details
    assert result.summary().startswith(f"PACKAGE {pallet.sscc} Pallet in {pallet.bin} (holds 48 x MUG-WHITE)")


@pytest.mark.parametrize(
    ("total", "contents", "holds"),
    [
        ("0.0000", (), "nothing"),
        ("60.0000", (("A", "", "60.0000"),), "60 x A"),
        ("60.0000", (("A", "L1", "48.0000"), ("B", "", "12.0000")), "60 units: 48 x A lot L1, 12 x B"),
        ("60.0000", (("A", "", "20"), ("B", "", "20"), ("C", "", "20")), "60 units: 20 x A, 20 x B, ..."),
    ],
)
def test_what_a_package_holds_is_said_in_a_few_words(
    total: str, contents: tuple[tuple[str, str, str], ...], holds: str
) -> None:
    found = Resolution("x", "PACKAGE", sscc="012345678901234560", package_total=total, package_contents=contents)

    assert found.package_holds == holds


def test_a_pallet_move_queued_offline_survives_a_restart_and_is_sent_as_a_pallet_move(
    restartable: RestartableServer, tmp_path: Path
) -> None:
    handheld = Handheld.signed_in(restartable.url, DeviceStore.in_folder(tmp_path), tracked=False)
    client = handheld.session.client
    pallet, target = new_pallet(client), new_bin(client)
    flow = MoveFlow(handheld.courier, warehouse="WH1", device="hh-pallet-offline", cache=handheld.cache)
    flow.scan(scanned(pallet.sscc))  # looked up once, so known while offline
    flow.scan(scanned(target))
    flow.reset()

    with restartable.stopped():
        flow.scan(scanned(pallet.sscc))
        flow.scan(scanned(target))
        queued = flow.confirm()
        assert queued.feedback == WARN and queued.done is not None and queued.done.state == WAITING
        handheld.session.close()  # the app is closed, its outbox on the device
        handheld.store.close()

    again = Handheld.on(sign_in(restartable.url, DeviceStore.in_folder(tmp_path)))
    [entry] = again.outbox.entries()
    assert (entry.operation, entry.input["sscc"], entry.input["fromLocationCode"]) == (
        "movePackage",
        pallet.sscc,
        pallet.bin,
    )
    [sent] = again.courier.drain()

    assert (sent.state, sent.replayed) == (SENT, False)
    assert sent.payload is not None and sent.payload["package"] == {"sscc": pallet.sscc, "location": {"code": target}}
    client = again.session.client
    assert (on_hand(client, SKU, pallet.bin), on_hand(client, SKU, target)) == (Decimal(0), Decimal(48))
    assert again.courier.drain() == [], "nothing is sent twice"
    check_ledger(restartable.env, restartable.workdir)


def test_a_queued_pallet_move_refused_as_stale_is_fixed_on_the_move_screen(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    client = handheld.session.client
    pallet, elsewhere, target = new_pallet(client), new_bin(client), new_bin(client)
    flow = MoveFlow(handheld.courier, warehouse="WH1", device="hh-pallet-fix", cache=handheld.cache)
    for code in (pallet.sscc, target):
        flow.scan(scanned(code))
    flow.reset()
    with restartable.stopped():
        flow.scan(scanned(pallet.sscc))
        flow.scan(scanned(target))
        assert flow.confirm().feedback == WARN
    _moved_elsewhere(client, pallet, elsewhere)  # before the handheld's move gets there
    handheld.courier.probe()
    [refused] = handheld.courier.drain()
    assert refused.state == REFUSED and refused.error is not None and refused.error.code == "STALE"
    assert FIXED_ON[refused.entry.operation] == "move"

    [kept] = handheld.outbox.entries()  # as the waiting screen lists it, with its reason

    flow.load(kept)
    assert (flow.sscc, flow.source, flow.target) == (pallet.sscc, "", target)
    assert flow.message.endswith("someone moved it meanwhile. Scan the package again.")
    flow.scan(scanned(pallet.sscc))
    outcome = flow.confirm()

    assert outcome.feedback == GOOD, outcome.message
    assert handheld.outbox.entries() == []
    assert (on_hand(client, SKU, elsewhere), on_hand(client, SKU, target)) == (Decimal(0), Decimal(48))
    check_ledger(restartable.env, restartable.workdir)


def test_a_pallet_move_whose_answer_was_lost_is_replayed_not_moved_twice(restartable: RestartableServer) -> None:
    transport = LosesTheAnswer(b"movePackage")
    session = Session(client_factory=lambda url, **kw: GraphQLClient(url, transport=transport, **kw))
    _open_sessions.append(session)
    assert session.sign_in(restartable.url, DEMO_USERNAME, DEMO_PASSWORD).ok
    session.choose_warehouse("WH1")
    handheld = Handheld.on(session)
    pallet, target = new_pallet(session.client), new_bin(session.client)
    flow = MoveFlow(handheld.courier, warehouse="WH1", device="hh-pallet-lost", cache=handheld.cache)
    flow.scan(scanned(pallet.sscc))
    flow.scan(scanned(target))

    lost = flow.confirm()
    assert lost.feedback == WARN and not handheld.courier.online
    assert handheld.courier.probe()
    [again] = handheld.courier.drain()

    assert (again.state, again.replayed) == (SENT, True)
    assert (on_hand(session.client, SKU, pallet.bin), on_hand(session.client, SKU, target)) == (Decimal(0), Decimal(48))
    check_ledger(restartable.env, restartable.workdir)
