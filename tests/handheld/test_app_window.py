"""The real app in a real (virtual) window at a device's density, typed with xdotool as a
keyboard-wedge scanner types: the scan capture, a session that survives, the offline outbox.

Every wait is for a line the app logs, with a generous deadline; nothing is timed.
"""

from __future__ import annotations

import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from handheld.client import GraphQLClient
from tests.handheld.conftest import new_bin, new_pallet, on_hand, token_works
from tests.handheld.test_count_document import CANCEL, planned, review
from tests.handheld.test_pick import new_item, new_pick_list, on_server
from tests.live_server import stop

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoServer, RestartableServer

XVFB_START_TIMEOUT = 10
WINDOW_TIMEOUT = 60
ANSWER_TIMEOUT = 30
COMMAND_TIMEOUT = 20
SCANNER_DELAY = "8"  # ms between a scanner's keys
PERSON_DELAY = "250"  # between a person's
REPO = Path(__file__).resolve().parents[2]
COFFEE_GTIN = "00000096385074"  # COFFEE-1KG (EAN-8 96385074), tracks lots

MISSING = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING) and os.environ.get("CI") != "true",
    reason=f"{' and '.join(MISSING)} not installed (apt-get install xvfb xdotool); required when CI=true",
)


class Output:
    """Collects a subprocess's output lines on a thread so the test can wait for one, with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._process = process
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(process,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Once the process is gone: let the reader reach the end of its output, then close the pipe."""
        self._thread.join(timeout=10)
        if self._process.stdout is not None and not self._thread.is_alive():
            self._process.stdout.close()

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))

    def mark(self) -> int:
        """Where the output ends now: ``wait_for(..., since=mark)`` ignores what came before."""
        while not self._queue.empty():
            self.lines.append(self._queue.get_nowait())
        return len(self.lines)

    def since(self, mark: int) -> list[str]:
        self.mark()
        return self.lines[mark:]

    def wait_for(self, text: str, timeout: float = ANSWER_TIMEOUT, *, since: int = 0) -> str:
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for line in self.lines[checked:]:
                if text in line:
                    return line
            checked = max(checked, len(self.lines))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = "\n".join(self.lines[-40:])
                raise AssertionError(f"no line with {text!r} within {timeout}s; the app printed:\n{tail}")
            try:
                self.lines.append(self._queue.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                pass


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on the first free display from :90; another run may grab a number first, so try a few."""
    for number in range(90, 200):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        xvfb = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "480x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + XVFB_START_TIMEOUT
        while xvfb.poll() is None and time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return xvfb, f":{number}"
            time.sleep(0.1)
        stop(xvfb)
    pytest.fail("Xvfb did not start on any display between :90 and :199")


@pytest.fixture
def display() -> Iterator[str]:
    xvfb, name = _start_xvfb()
    try:
        yield name
    finally:
        stop(xvfb)


class Handset:
    """The app in the virtual window, and a scanner (xdotool) typing into it."""

    def __init__(self, display: str, home: Path, server_url: str, *, password: str | None) -> None:
        self.display = display
        self.env = {
            **os.environ,
            "DISPLAY": display,
            "KIVY_HOME": str(home / "kivy"),
            "KIVY_NO_ARGS": "1",
            "KIVY_NO_FILELOG": "1",
            "KIVY_LOG_MODE": "KIVY",
            "KIVY_METRICS_DENSITY": "1.5",  # a real 480x800 handheld, not a desktop
            "SDL_AUDIODRIVER": "dummy",  # sounds are loaded and played, silently
            "PYTHONUNBUFFERED": "1",
            "STOREKEEPER_HANDHELD_HOME": str(home / "device"),
            "STOREKEEPER_HANDHELD_SERVER": server_url,
            "STOREKEEPER_HANDHELD_USERNAME": "demo",
            "STOREKEEPER_HANDHELD_WAREHOUSE": "WH1",
            "STOREKEEPER_HANDHELD_DEVICE": "test-window",
            "STOREKEEPER_HANDHELD_LAYOUT_CHECK": "1",
        }
        self.env.pop("KIVY_NO_CONSOLELOG", None)
        self.env.pop("STOREKEEPER_HANDHELD_PASSWORD", None)
        if password is not None:
            self.env["STOREKEEPER_HANDHELD_PASSWORD"] = password
        self.home = home
        self.process: subprocess.Popen[str] | None = None
        self.output: Output | None = None

    def start(self) -> Handset:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "handheld"], cwd=REPO, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.output = Output(self.process)
        self.output.wait_for("Start application main loop", WINDOW_TIMEOUT)
        window = self.xdotool("search", "--sync", "--pid", str(self.process.pid)).split()[0]
        self.xdotool("windowfocus", "--sync", window)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            assert self.output is not None
            self.output.close()
            self.process = None

    @property
    def out(self) -> Output:
        assert self.output is not None
        return self.output

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args], env={**os.environ, "DISPLAY": self.display},
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
        )  # fmt: skip
        assert done.returncode == 0, f"xdotool {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def scan(self, *parts: str, end: str = "Return", delay: str = SCANNER_DELAY) -> int:
        """Type a code as a scanner does (parts joined by a GS sent as Ctrl+]); where the output was."""
        mark = self.out.mark()
        for index, part in enumerate(parts):  # xdotool's "type" takes every word after it: one call each
            if index:
                self.xdotool("key", "ctrl+bracketright")
            self.xdotool("type", "--delay", delay, part)
        self.xdotool("key", end)
        return mark

    def answer(self, *parts: str, end: str = "Return", delay: str = SCANNER_DELAY, wait: str = "scan result: ") -> str:
        return self.out.wait_for(wait, since=self.scan(*parts, end=end, delay=delay))

    def stored(self, name: str) -> str | None:
        with sqlite3.connect(self.home / "device" / "handheld.sqlite3") as db:
            row = db.execute("SELECT value FROM setting WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None


@pytest.fixture
def handsets(display: str) -> Iterator[list[Handset]]:
    started: list[Handset] = []
    yield started
    for handset in started:
        handset.stop()


def _handset(handsets: list[Handset], display: str, tmp_path: Path, url: str, password: str | None) -> Handset:
    handset = Handset(display, tmp_path, url, password=password)
    handsets.append(handset)
    return handset.start()


def _signed_in(handsets: list[Handset], display: str, tmp_path: Path, url: str, password: str) -> Handset:
    """A handset started with its sign-in form prefilled and the password field focused: Enter signs in."""
    app = _handset(handsets, display, tmp_path, url, password)
    app.xdotool("key", "Return")
    app.out.wait_for("ready to scan")
    return app


def _every_layout_check_passed(app: Handset) -> None:
    """The app checked each screen it showed (text that fits, touch targets of 56dp, no text field)."""
    checks = [line for line in app.out.since(0) if "layout check" in line]
    assert checks and all(line.endswith(": ok") for line in checks), "\n".join(checks)


def test_a_wedge_scanners_codes_arrive_whole_whatever_holds_the_focus(
    handsets: list[Handset], display: str, tmp_path: Path, server: DemoServer
) -> None:
    app = _signed_in(handsets, display, tmp_path, server.url, server.password)

    mark = app.out.mark()
    assert "scan result: PRODUCT TSHIRT-RED-M " in app.answer("4006381333931")
    app.out.wait_for("feedback good", since=mark)  # the window flashes green, the good sound plays
    # The group separator as Ctrl+] and as Alt+0029: the lot ends where the scanner said.
    gs1 = "gs1 01=04006381333931 10=LOT42 17=271231 30=12"
    assert gs1 in app.answer("010400638133393110LOT42", "172712313012")
    mark = app.out.mark()
    app.xdotool("type", "--delay", SCANNER_DELAY, "010400638133393110LOT42")
    app.xdotool("keydown", "Alt_L", "key", "KP_0", "KP_2", "KP_9", "keyup", "Alt_L")
    app.xdotool("type", "--delay", SCANNER_DELAY, "172712313012")
    app.xdotool("key", "Return")
    assert gs1 in app.out.wait_for("scan result: ", since=mark)
    # A code ending in Tab or keypad Enter; codes in lower case.
    assert "scan result: LOCATION WH1-B-01 " in app.answer("wh1-b-01", end="Tab")
    assert "scan result: PRODUCT TSHIRT-RED-M " in app.answer("tshirt-red-m", end="KP_Enter")
    # A tap on the screen right before a scan loses nothing.
    mark = app.out.mark()
    app.xdotool("mousemove", "240", "600", "click", "1", "type", "--delay", SCANNER_DELAY, "4006381333931")
    app.xdotool("key", "Return")
    assert "scan result: PRODUCT TSHIRT-RED-M " in app.out.wait_for("scan result: ", since=mark)

    mark = app.out.mark()
    misread = app.answer("4006381333932")
    assert "Misread: scan again" in misread
    app.out.wait_for("feedback bad", since=mark)  # red, and the other sound
    _every_layout_check_passed(app)


def test_a_session_survives_a_restart_and_signing_out_ends_it_on_the_server(
    handsets: list[Handset], display: str, tmp_path: Path, server: DemoServer
) -> None:
    first = _signed_in(handsets, display, tmp_path, server.url, server.password)
    first.stop()

    app = _handset(handsets, display, tmp_path, server.url, password=None)
    app.out.wait_for("session resumed (online)")
    assert "scan result: PRODUCT TSHIRT-RED-M " in app.answer("4006381333931")
    token = app.stored("token")
    assert token and token_works(server.url, token)

    app.out.wait_for("asked to confirm signing out", since=app.scan("SK:SIGNOUT"))
    mark = app.scan("SK:CONFIRM")
    app.out.wait_for("signed out: Signed out.", since=mark)
    app.out.wait_for("sign-in form waits in password", since=mark)
    assert not token_works(server.url, token), "signing out must end the session on the server"

    # A scan now must not land in the password field (nor sign in with it, nor lock the account).
    mark = app.scan("4006381333931", delay="0")
    app.out.wait_for("scan while signed out: kept out of the sign-in form", since=mark)
    mark = app.scan(server.password, delay=PERSON_DELAY)  # a person types the password
    app.out.wait_for("sign-in: ", since=mark)
    assert "sign-in: ok" in app.out.wait_for("sign-in: ", since=mark)
    assert app.stored("username") == "demo" and app.stored("warehouse") == "WH1"


def test_receipts_made_while_the_server_is_away_arrive_once_it_is_back_and_a_move_follows(
    handsets: list[Handset], display: str, tmp_path: Path, restartable: RestartableServer
) -> None:
    lot = f"W{uuid.uuid4().hex[:8]}".upper()
    label = (f"01{COFFEE_GTIN}10{lot}", "17271231", "302")  # GS1-128: GTIN, lot <GS> expiry <GS> count 2
    receipt = f"Receive 2 x COFFEE-1KG lot {lot} into WH1-A-02"
    app = _signed_in(handsets, display, tmp_path, restartable.url, restartable.password)

    # Online: a GS1-128 label with group separators receives its lot with its expiry and count.
    app.answer("SK:RECEIVE", wait="layout check receive")
    app.answer(*label, wait="receive says good")
    app.answer("WH1-A-02", wait="receive says good")
    assert receipt in app.answer("SK:CONFIRM", wait="receive says good: Done")
    with GraphQLClient(restartable.url, token=app.stored("token")) as client:
        assert on_hand(client, "COFFEE-1KG", "WH1-A-02", lot) == 2

    with restartable.stopped():
        for _ in range(3):
            app.answer(*label, wait="receive says")
            app.answer("WH1-A-02", wait="receive says")
            assert "No connection: kept" in app.answer("SK:CONFIRM", wait="receive says warn")
        app.out.wait_for("banner: Offline, 3 waiting")
        mark = app.out.mark()  # before the server is back: no line of its sending can come earlier
    app.out.wait_for("the server answers again", since=mark)
    app.out.wait_for("banner: (none)", since=mark)
    assert sum(f"sent: {receipt}" in line for line in app.out.since(mark)) == 3
    with GraphQLClient(restartable.url, token=app.stored("token")) as client:
        assert on_hand(client, "COFFEE-1KG", "WH1-A-02", lot) == 2 + 3 * 2, "each of the three arrived once"

    # A move: from bin, item (the same label), a quantity typed on the keys, to bin, confirm.
    app.answer("SK:MOVE", wait="layout check move")
    app.answer("WH1-A-02", wait="move says good")
    app.answer(*label, wait="move says good")
    app.answer("3", delay=PERSON_DELAY, wait="move says quiet")
    app.answer("wh1-a-01", wait="move says good")
    moved = app.answer("SK:CONFIRM", wait="move says good: Done")
    assert f"Move 3 x COFFEE-1KG lot {lot} from WH1-A-02 to WH1-A-01" in moved
    with GraphQLClient(restartable.url, token=app.stored("token")) as client:
        assert (on_hand(client, "COFFEE-1KG", "WH1-A-02", lot), on_hand(client, "COFFEE-1KG", "WH1-A-01", lot)) == (
            Decimal(5), Decimal(3)
        )  # fmt: skip
    _every_layout_check_passed(app)


def test_a_count_of_a_bin_with_a_difference_and_a_product_not_counted_ends_as_counted_on_the_server(
    handsets: list[Handset], display: str, tmp_path: Path, server: DemoServer
) -> None:
    app = _signed_in(handsets, display, tmp_path, server.url, server.password)
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        bin_ = new_bin(client, ("MUG-WHITE", 10, None), ("TSHIRT-RED-M", 4, None))

    app.answer("SK:COUNT", wait="layout check count")
    app.answer(bin_.lower(), wait="count says good")
    app.answer("5901234123457", wait="count says good")  # MUG-WHITE
    app.answer("7", delay=PERSON_DELAY, wait="count says quiet")  # the count, typed on the keys
    asked = app.answer("SK:CONFIRM", wait="count says warn")
    assert "Not counted: 1 will be set to 0" in asked  # TSHIRT-RED-M: the dialog asks
    done = app.answer("SK:CONFIRM", wait="count says good: Done")

    assert f"Done: {bin_} counted, 2 lines, 2 with a difference" in done
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        assert (on_hand(client, "MUG-WHITE", bin_), on_hand(client, "TSHIRT-RED-M", bin_)) == (Decimal(7), Decimal(0))
    _every_layout_check_passed(app)


def test_a_count_document_is_counted_blind_by_scans_a_line_corrected_and_its_bin_finished(
    handsets: list[Handset], display: str, tmp_path: Path, server: DemoServer
) -> None:
    app = _signed_in(handsets, display, tmp_path, server.url, server.password)
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        count_id, bin_ = planned(client, ("MUG-WHITE", 10), cancelled=False)
    try:
        opened = app.answer("SK:COUNT", wait="count says")  # the only open count of WH1: taken at once
        assert "count says good: Scan a bin of the count (2 of 2 left)." in opened
        assert "count says good: Counting" in app.answer(bin_.lower(), wait="count says")
        app.answer("5901234123457", wait="count says good: +1 MUG-WHITE")  # MUG-WHITE, as a wedge scans it
        again = app.answer("5901234123457", wait="count says")
        assert "count says good: +1 MUG-WHITE: you 2, all 2" in again
        typed = app.answer("3", delay=PERSON_DELAY, wait="count says")  # a quantity typed on the keys: added
        assert "count says good: +3 MUG-WHITE: you 5, all 5" in typed
        # Miscounted: the command barcode, the figure on the keys, the dialog confirmed: one recordCount SET.
        assert "Correct MUG-WHITE: key what" in app.answer("SK:CORRECT", wait="count says")
        app.answer("4", delay=PERSON_DELAY, wait="count says quiet")
        asked = app.answer("SK:CONFIRM", wait="count says")
        assert "count says warn: Set your count of MUG-WHITE to 4 (you had 5)?" in asked
        assert "count says good: Set: MUG-WHITE: you 4, all 4" in app.answer("SK:CONFIRM", wait="count says")
        assert f"count says warn: Finish {bin_}?" in app.answer("SK:CONFIRM", wait="count says")  # the dialog
        finished = app.answer("SK:CONFIRM", wait="count says")

        assert f"count says good: {bin_} finished: 1 lines. Scan a bin of the count (1 of 2 left)." in finished
        with GraphQLClient(server.url, token=app.stored("token")) as client:
            assert [(line["sku"], line["counted"]) for line in review(client, count_id, bin_)["lines"]] == [
                ("MUG-WHITE", "4.0000")
            ]
        _every_layout_check_passed(app)
    finally:
        with GraphQLClient(server.url, token=app.stored("token")) as client:
            client.execute(CANCEL, {"input": {"id": count_id}})


def test_a_pallet_scanned_on_the_move_screen_then_a_bin_moves_all_it_holds(
    handsets: list[Handset], display: str, tmp_path: Path, server: DemoServer
) -> None:
    app = _signed_in(handsets, display, tmp_path, server.url, server.password)
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        pallet, target = new_pallet(client), new_bin(client)  # 4 cases of 12 MUG-WHITE

    app.answer("SK:MOVE", wait="layout check move")
    shown = app.answer(pallet.sscc, wait="move says")
    assert "move says good: Scan the bin to put the pallet in." in shown
    app.answer(target.lower(), wait="move says good")
    moved = app.answer("SK:CONFIRM", wait="move says")

    assert f"move says good: Done: Move pallet {pallet.sscc} (48 units) from {pallet.bin} to {target}" in moved
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        assert (on_hand(client, "MUG-WHITE", pallet.bin), on_hand(client, "MUG-WHITE", target)) == (0, 48)
    _every_layout_check_passed(app)


def test_a_two_line_pick_list_is_claimed_and_picked_by_wedge_scans_with_a_short_line_and_booked(
    handsets: list[Handset], display: str, tmp_path: Path, server: DemoServer
) -> None:
    app = _signed_in(handsets, display, tmp_path, server.url, server.password)
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        shirts, coffee = new_item(client, 5), new_item(client, 4, lot="LOT-W")
        picking = new_pick_list(client, (shirts, 3), (coffee, 2))

    app.answer("SK:PICK", wait="layout check pick")
    claimed = app.answer(picking.number.lower(), wait="pick says")  # its number, as printed on the list
    assert f"pick says good: {picking.number} is yours: 2 lines." in claimed
    for item in sorted(picking.items.values(), key=lambda it: it.bin):
        other = next(it for it in picking.items.values() if it is not item)
        assert f"pick says bad: Wrong bin: go to {item.bin}." in app.answer(other.bin, wait="pick says")
        app.answer(item.bin.lower(), wait="pick says good")
        if item is shirts:
            assert "pick says good: Take 3: confirm" in app.answer(shirts.ean, wait="pick says")
            assert f"pick says good: Picked 3 x {shirts.sku}." in app.answer("SK:CONFIRM", wait="pick says")
        else:  # GS1-128: GTIN, lot <GS> a count of 1 (Ctrl+] as the scanner sends it): one of two is there
            app.answer(f"010{coffee.ean}10LOT-W", "301", wait="pick says good")
            assert "pick says warn: 1 of 2 is short: tap why." in app.answer("SK:CONFIRM", wait="pick says")
            short = app.answer("SK:MISSING", wait="pick says")
            assert f"pick says good: Short: 1 of 2 x {coffee.sku} lot LOT-W, not in the bin." in short
    done = app.answer("SK:CONFIRM", wait="pick says")

    assert f"pick says good: Done: Pick {picking.number}: 2 lines, 1 short." in done
    with GraphQLClient(server.url, token=app.stored("token")) as client:
        booked = on_server(client, picking)
        assert booked["state"] == "done" and booked["claimedBy"] == "demo"
        assert (on_hand(client, shirts.sku, "WH1-OUTPUT"), on_hand(client, coffee.sku, "WH1-OUTPUT")) == (3, 1)
        assert (on_hand(client, shirts.sku, shirts.bin), on_hand(client, coffee.sku, coffee.bin)) == (2, 2)
    _every_layout_check_passed(app)
