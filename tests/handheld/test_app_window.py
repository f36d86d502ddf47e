"""The real app in a real (virtual) window: sign in and scan with keystrokes, as a wedge scanner does."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.live_server import stop

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoProduct, DemoServer

XVFB_START_TIMEOUT = 10
WINDOW_TIMEOUT = 60
ANSWER_TIMEOUT = 30
COMMAND_TIMEOUT = 20

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

    def wait_for(self, text: str, timeout: float, *, since: int = 0) -> str:
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


def _xdotool(display: str, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0, f"xdotool {' '.join(args)} failed: {done.stderr}"
    return done.stdout


@pytest.fixture
def app(display: str, server: DemoServer, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    env = {
        **os.environ,
        "DISPLAY": display,
        "KIVY_HOME": str(tmp_path / "kivy"),
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_LOG_MODE": "KIVY",
        "PYTHONUNBUFFERED": "1",
        "STOREKEEPER_HANDHELD_SERVER": server.url,
        "STOREKEEPER_HANDHELD_USERNAME": server.username,
        "STOREKEEPER_HANDHELD_PASSWORD": server.password,
        "STOREKEEPER_HANDHELD_DEVICE": "test-window",
    }
    env.pop("KIVY_NO_CONSOLELOG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "handheld"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(process)
    try:
        yield process, output
    finally:
        stop(process)
        output.close()


def test_a_wedge_scan_shows_the_product_and_its_stock(
    app: tuple[subprocess.Popen[str], Output], display: str, stocked_product: DemoProduct
) -> None:
    process, output = app
    output.wait_for("Start application main loop", WINDOW_TIMEOUT)
    window = _xdotool(display, "search", "--sync", "--pid", str(process.pid)).split()[0]
    _xdotool(display, "windowfocus", "--sync", window)

    # The login form is prefilled from the environment and the password field holds the focus.
    _xdotool(display, "key", "Return")
    output.wait_for("ready to scan", ANSWER_TIMEOUT)

    mark = output.mark()
    _xdotool(display, "type", "--delay", "15", stocked_product.barcode)
    _xdotool(display, "key", "Return")
    line = output.wait_for("scan result: ", ANSWER_TIMEOUT, since=mark)
    assert f"scan result: PRODUCT {stocked_product.sku} " in line
    assert f"({len(stocked_product.stock)} row" in line

    # The input was cleared and kept the focus: the next scan works without touching the screen.
    mark = output.mark()
    _xdotool(display, "type", "--delay", "15", "NO-SUCH-CODE-4711")
    _xdotool(display, "key", "Return")
    line = output.wait_for("scan result: ", ANSWER_TIMEOUT, since=mark)
    assert "scan result: UNKNOWN 'NO-SUCH-CODE-4711'" in line
