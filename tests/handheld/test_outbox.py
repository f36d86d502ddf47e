"""The outbox against a real server, without a window: writes kept while the server is away, sent
in order once it is back, exactly once; refused writes kept with their reason; nothing lost when
the app is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from handheld.client import GraphQLClient
from handheld.logic.courier import REFUSED, SENT, WAITING
from handheld.logic.session import Session
from handheld.logic.store import DeviceStore
from tests.handheld.conftest import DEMO_PASSWORD, DEMO_USERNAME, Handheld, _open_sessions, on_hand, sign_in

if TYPE_CHECKING:
    from tests.handheld.conftest import RestartableServer

SKU = "MUG-WHITE"  # 40 in WH1-B-01 in the demo, none in zone A


def _receive(quantity: str, bin_code: str, code: str = "5901234123457") -> dict[str, Any]:
    return {"sku": SKU, "locationCode": bin_code, "quantity": quantity, "scan": {"code": code, "device": "hh-outbox"}}


def _move(quantity: str, source: str, target: str) -> dict[str, Any]:
    return {"sku": SKU, "fromLocationCode": source, "toLocationCode": target, "quantity": quantity}


def test_writes_made_while_the_server_is_away_are_sent_in_order_once_it_is_back(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    client = handheld.session.client
    before = (on_hand(client, SKU, "WH1-A-01"), on_hand(client, SKU, "WH1-A-02"))

    with restartable.stopped():
        first = handheld.courier.write("receiveStock", _receive("3", "WH1-A-01"), "Receive 3")
        # The move needs the receipt before it: sent out of order, it would be refused.
        second = handheld.courier.write("moveStock", _move("2", "WH1-A-01", "WH1-A-02"), "Move 2")
        third = handheld.courier.write("receiveStock", _receive("1", "WH1-A-01"), "Receive 1")
        assert [d.state for d in (first, second, third)] == [WAITING] * 3
        assert not handheld.courier.online

    assert handheld.courier.probe()
    sent = handheld.courier.drain()

    assert [(d.entry.summary, d.state, d.replayed) for d in sent] == [
        ("Receive 3", SENT, False), ("Move 2", SENT, False), ("Receive 1", SENT, False)
    ]  # fmt: skip
    after = (on_hand(client, SKU, "WH1-A-01"), on_hand(client, SKU, "WH1-A-02"))
    assert (after[0] - before[0], after[1] - before[1]) == (Decimal(2), Decimal(2))
    assert handheld.outbox.entries() == []
    assert handheld.courier.drain() == [], "nothing is sent twice"


class LosesTheAnswer(httpx.BaseTransport):
    """Delivers requests to the server; the answer to the first that names ``operation`` is lost on the way back."""

    def __init__(self, operation: bytes = b"receiveStock") -> None:
        self.inner = httpx.HTTPTransport()
        self.operation = operation
        self.lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not self.lost and self.operation in request.content:
            self.lost = True
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_write_the_server_got_but_whose_answer_was_lost_is_replayed_not_booked_twice(
    restartable: RestartableServer,
) -> None:
    transport = LosesTheAnswer()
    session = Session(client_factory=lambda url, **kw: GraphQLClient(url, transport=transport, **kw))
    _open_sessions.append(session)
    assert session.sign_in(restartable.url, DEMO_USERNAME, DEMO_PASSWORD).ok
    handheld = Handheld.on(session)
    before = on_hand(session.client, SKU, "WH1-A-02")

    lost = handheld.courier.write("receiveStock", _receive("4", "WH1-A-02"), "Receive 4")
    assert (lost.state, handheld.courier.online) == (WAITING, False)
    with GraphQLClient(restartable.url, token=session.client.token) as direct:
        assert on_hand(direct, SKU, "WH1-A-02") == before + 4, "the server did book it"

    assert handheld.courier.probe()
    [again] = handheld.courier.drain()

    assert (again.state, again.replayed) == (SENT, True)
    assert on_hand(session.client, SKU, "WH1-A-02") == before + 4, "booked once"


def test_a_refused_write_keeps_its_reason_and_does_not_hold_up_the_rest(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    with restartable.stopped():
        handheld.courier.write("receiveStock", _receive("1", "NO-SUCH-BIN"), "Receive into a bin that is not")
        handheld.courier.write("receiveStock", _receive("1", "WH1-A-02"), "Receive 1")
    handheld.courier.probe()

    delivered = handheld.courier.drain()

    assert [d.state for d in delivered] == [REFUSED, SENT]
    [refused] = handheld.outbox.entries()
    assert refused.state == "refused" and refused.error is not None
    assert refused.error.code == "NOT_FOUND" and "NO-SUCH-BIN" in refused.error.message


def test_a_refused_write_can_be_fixed_and_is_sent_under_a_new_key(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    before = on_hand(handheld.session.client, SKU, "WH1-A-02")
    refused = handheld.courier.write("receiveStock", _receive("2", "NO-SUCH-BIN"), "Receive 2")
    assert refused.state == REFUSED

    fixed = handheld.outbox.fix(refused.entry.id, {"locationCode": "WH1-A-02"}, "Receive 2 into WH1-A-02")
    [sent] = handheld.courier.drain()

    assert fixed.input["idempotencyKey"] != refused.entry.input["idempotencyKey"]
    assert (sent.entry.id, sent.state) == (refused.entry.id, SENT)
    assert on_hand(handheld.session.client, SKU, "WH1-A-02") == before + 2


def test_a_refused_write_can_be_dropped(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    refused = handheld.courier.write("issueStock", {**_move("1", "", ""), "locationCode": "NOWHERE"}, "Issue")

    handheld.outbox.drop(refused.entry.id)

    assert handheld.outbox.entries() == []


def test_writes_wait_for_the_user_who_made_them(restartable: RestartableServer) -> None:
    store = DeviceStore.memory()
    handheld = Handheld.signed_in(restartable.url, store)
    handheld.outbox.add(restartable.url, "someone-else", "receiveStock", _receive("1", "WH1-A-02"), "Theirs")

    assert handheld.courier.drain() == []
    assert [entry.username for entry in handheld.outbox.entries()] == ["someone-else"]


def test_when_the_server_ends_the_session_the_writes_wait_for_the_next_sign_in(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    with GraphQLClient(restartable.url, token=handheld.session.client.token) as elsewhere:
        elsewhere.execute("mutation { logout }")

    waiting = handheld.courier.write("receiveStock", _receive("1", "WH1-A-02"), "Receive 1")
    assert (waiting.state, handheld.courier.needs_sign_in) == (WAITING, True)
    assert handheld.session.sign_in(restartable.url, DEMO_USERNAME, DEMO_PASSWORD).ok
    handheld.courier.signed_in_again()

    assert [d.state for d in handheld.courier.drain()] == [SENT]


KILLED_APP = textwrap.dedent(
    """
    import sys, time
    from handheld.logic.outbox import Outbox
    from handheld.logic.store import DeviceStore

    server, folder = sys.argv[1], sys.argv[2]
    outbox = Outbox(DeviceStore.in_folder(folder))
    for quantity in ("1", "2", "3"):
        outbox.add(server, "demo", "receiveStock", {
            "sku": "MUG-WHITE", "locationCode": "WH1-A-02", "quantity": quantity,
        }, "Receive " + quantity)
    print("kept", flush=True)
    time.sleep(600)
    """
)


def test_killing_the_app_with_a_full_outbox_loses_nothing(restartable: RestartableServer, tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, "-c", KILLED_APP, restartable.url, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert app.stdout is not None
    assert app.stdout.readline().strip() == "kept"
    os.kill(app.pid, signal.SIGKILL)
    app.wait(timeout=10)
    app.stdout.close()

    store = DeviceStore.in_folder(tmp_path)
    handheld = Handheld.on(sign_in(restartable.url, store))
    before = on_hand(handheld.session.client, SKU, "WH1-A-02")
    sent = handheld.courier.drain()

    assert [(d.entry.summary, d.state) for d in sent] == [("Receive 1", SENT), ("Receive 2", SENT), ("Receive 3", SENT)]
    assert on_hand(handheld.session.client, SKU, "WH1-A-02") == before + 6


def test_the_banner_says_offline_how_many_wait_and_what_was_refused(restartable: RestartableServer) -> None:
    handheld = Handheld.signed_in(restartable.url)
    assert handheld.courier.banner() == ("", False)

    with restartable.stopped():
        handheld.courier.write("receiveStock", _receive("1", "NO-SUCH-BIN"), "Receive into nowhere")
        handheld.courier.write("receiveStock", _receive("1", "WH1-A-02"), "Receive 1")
        assert handheld.courier.banner() == ("Offline, 2 waiting", False)
    handheld.courier.probe()
    handheld.courier.drain()

    assert handheld.courier.banner() == ("1 refused by the server: tap to fix", True)
