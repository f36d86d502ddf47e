"""Scan to feedback: the handheld app in a real (virtual) window, against the same lookups sent from Python.

    .venv/bin/python bench/scan_to_feedback.py [--scans 300] [--offline-scans 100] [--warmup 10]

Creates a SQLite demo database in a temporary folder (``storekeeper migrate`` and ``seed-demo``),
starts ``storekeeper serve`` on a free port, Xvfb at 480x800, and the app (``python -m handheld``)
at KIVY_METRICS_DENSITY=1.5 signed in as the demo user in WH1, as tests/handheld/test_app_window.py
does. Then, after a warm-up, for each of ``--scans`` codes (demo EANs, bins and a GS1 label of a
COFFEE-1KG lot, in turn):

1. the app: xdotool types the code as a keyboard-wedge scanner does (8 ms between keys, then
   Return); the figure is the app's own "answered N ms after the scan" log line (from the Return
   key to the answer on screen, whole milliseconds), read before the next code is typed;
2. baseline, right after on the same server: ``resolveBarcode`` for the same code over HTTP from
   this process (httpx, one client, one request at a time), timed per round trip;
3. the app's own requests from Python: what a lookup sends (``scanBarcode``, then ``stockLevels``
   of the product, bin or lot), the network part of the app's figure, without Kivy.

With ``--offline-scans``, the server is then stopped and the same codes are scanned again: the app
answers from the device's memory (its lookup cache), the cost of the app without any network.

Interleaving app and baselines exposes them to the same noise; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
USERNAME, PASSWORD, WAREHOUSE = "demo", "demo-password", "WH1"
SCANNER_DELAY = "8"  # ms between a wedge scanner's keys
START_TIMEOUT = 60
ANSWER_TIMEOUT = 30
# Demo codes: two product EANs, two bins, and a GS1-128 label (GTIN + lot) of COFFEE-1KG's demo lot.
CODES = ["5901234123457", "WH1-A-01", "4006381333931", "WH1-B-01", "010000009638507410L2026-11"]
ANSWERED = re.compile(r"answered (\d+) ms after the scan")

RESOLUTION = "code kind message product { sku name } location { code name } lot { code expiresOn }"
RESOLVE = f"query Resolve($code: String!) {{ resolveBarcode(code: $code) {{ {RESOLUTION} }} }}"
LOGIN = "mutation($i: LoginInput!) { login(input: $i) { token errors { code message } } }"


# --- processes -----------------------------------------------------------------------------------


class Processes:
    """Every process started, stopped in reverse order on exit (also on Ctrl-C and SIGTERM)."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[Any]] = []

    def start(self, command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self.started.append(process)
        return process

    def stop(self, process: subprocess.Popen[Any], *, kill: bool = False) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def stop_all(self) -> None:
        while self.started:
            self.stop(self.started.pop())


class Output:
    """A subprocess's output lines, read on a thread; ``wait_for`` a line with a deadline
    (as ``Output`` in tests/handheld/test_app_window.py)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._process = process
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))

    def mark(self) -> int:
        while not self._queue.empty():
            self.lines.append(self._queue.get_nowait())
        return len(self.lines)

    def wait_for(self, text: str, timeout: float = ANSWER_TIMEOUT, *, since: int = 0) -> str:
        deadline = time.monotonic() + timeout
        checked = since
        while True:
            for line in self.lines[checked:]:
                if text in line:
                    return line
            checked = max(checked, len(self.lines))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self._process.poll() is not None and self._queue.empty()):
                tail = "\n".join(self.lines[-30:])
                raise RuntimeError(f"no line with {text!r} within {timeout}s; the app printed:\n{tail}")
            with contextlib.suppress(queue.Empty):
                self.lines.append(self._queue.get(timeout=min(remaining, 0.5)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def storekeeper(env: dict[str, str], cwd: Path, *args: str) -> None:
    done = subprocess.run([str(BIN / "storekeeper"), *args], env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"storekeeper {args[0]} failed: {done.stderr.strip()[-500:]}")


def start_server(procs: Processes, env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "storekeeper"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with (workdir / "server.log").open("wb") as log:
        server = procs.start(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited:\n{(workdir / 'server.log').read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return server, url
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


def start_xvfb(procs: Processes) -> str:
    """Xvfb on the first free display from :90 (as the window tests do)."""
    for number in range(90, 200):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        command = ["Xvfb", f":{number}", "-screen", "0", "480x800x24", "-nolisten", "tcp"]
        xvfb = procs.start(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while xvfb.poll() is None and time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return f":{number}"
            time.sleep(0.1)
        procs.stop(xvfb)
    raise RuntimeError("Xvfb did not start on any display between :90 and :199")


class App:
    """The handheld app in the virtual window, and a wedge scanner (xdotool) typing into it."""

    def __init__(self, procs: Processes, display: str, home: Path, server_url: str) -> None:
        self.display = display
        env = {
            **os.environ,
            "DISPLAY": display,
            "KIVY_HOME": str(home / "kivy"),
            "KIVY_NO_ARGS": "1",
            "KIVY_NO_FILELOG": "1",
            "KIVY_LOG_MODE": "KIVY",
            "KIVY_METRICS_DENSITY": "1.5",  # a 480x800 handheld, not a desktop
            "SDL_AUDIODRIVER": "dummy",  # sounds are loaded and played, silently
            "PYTHONUNBUFFERED": "1",
            "STOREKEEPER_HANDHELD_HOME": str(home / "device"),
            "STOREKEEPER_HANDHELD_SERVER": server_url,
            "STOREKEEPER_HANDHELD_USERNAME": USERNAME,
            "STOREKEEPER_HANDHELD_PASSWORD": PASSWORD,
            "STOREKEEPER_HANDHELD_WAREHOUSE": WAREHOUSE,
            "STOREKEEPER_HANDHELD_DEVICE": "bench",
        }
        for name in ("KIVY_NO_CONSOLELOG", "STOREKEEPER_HANDHELD_LAYOUT_CHECK", "STOREKEEPER_HANDHELD_SCREENSHOT"):
            env.pop(name, None)
        command = [sys.executable, "-m", "handheld"]
        home.mkdir(parents=True, exist_ok=True)
        self.process = procs.start(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.out = Output(self.process)
        self.out.wait_for("Start application main loop", START_TIMEOUT)
        window = self.xdotool("search", "--sync", "--pid", str(self.process.pid)).split()[0]
        self.xdotool("windowfocus", "--sync", window)
        mark = self.out.mark()
        self.xdotool("key", "Return")  # the sign-in form is prefilled; the password field holds the focus
        self.out.wait_for("ready to scan", START_TIMEOUT, since=mark)

    def xdotool(self, *args: str) -> str:
        env = {**os.environ, "DISPLAY": self.display}
        done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20)
        if done.returncode:
            raise RuntimeError(f"xdotool {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def scan(self, code: str) -> tuple[float, str]:
        """Type ``code`` as a scanner does; the app's scan-to-answer ms and its ``scan result`` line."""
        mark = self.out.mark()
        self.xdotool("type", "--delay", SCANNER_DELAY, code)
        self.xdotool("key", "Return")
        answered = self.out.wait_for("answered ", since=mark)
        match = ANSWERED.search(answered)
        if not match:
            raise RuntimeError(f"unexpected line: {answered}")
        result = next((line for line in self.out.lines[mark:] if "scan result: " in line), "")
        return float(match.group(1)), result.partition("scan result: ")[2]


# --- the baselines -------------------------------------------------------------------------------


class Direct:
    """The same lookups from Python: one httpx client, one request at a time, timed per round trip."""

    def __init__(self, url: str) -> None:
        # Import here: the app's own documents, as the handheld sends them.
        from handheld.logic.resolution import SCAN
        from handheld.logic.scan import STOCK

        self.scan_doc, self.stock_doc = SCAN, STOCK
        self.client = httpx.Client(base_url=url, timeout=30)
        token = self.post(LOGIN, {"i": {"username": USERNAME, "password": PASSWORD}})["login"]["token"]
        if not token:
            raise RuntimeError("login as demo failed")
        self.client.headers["Authorization"] = f"Bearer {token}"

    def post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables})
        payload = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise RuntimeError(f"GraphQL answered {response.status_code}: {payload}")
        return payload["data"]

    def resolve(self, code: str) -> tuple[float, str]:
        started = time.perf_counter()
        found = self.post(RESOLVE, {"code": code})["resolveBarcode"]
        return (time.perf_counter() - started) * 1000, str(found["kind"]).upper()

    def lookup(self, code: str) -> float:
        """What the app's lookup sends: scanBarcode, then the stock of what it found."""
        started = time.perf_counter()
        scan = self.post(self.scan_doc, {"input": {"code": code, "device": "bench-direct", "symbology": None}})
        found = scan["scanBarcode"]["resolution"] or {}
        product, location, lot = (found.get(k) or {} for k in ("product", "location", "lot"))
        sku = product.get("sku") or (lot.get("product") or {}).get("sku")
        if location.get("code"):
            variables = {"sku": None, "locationCode": location["code"], "warehouseCode": None}
        else:
            variables = {"sku": sku, "locationCode": None, "warehouseCode": WAREHOUSE}
        self.post(self.stock_doc, {**variables, "first": 100})
        return (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.client.close()


# --- the run -------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def row(name: str, values: list[float], base: list[float] | None) -> str:
    p50, p99 = statistics.median(values), percentile(values, 99)
    ratio = ""
    if base:
        ratio = f"{p50 / statistics.median(base):10.2f} {p99 / percentile(base, 99):10.2f}"
    return f"{name:52} {len(values):6d} {p50:8.1f} {p99:8.1f} {max(values):8.1f} {ratio}".rstrip()


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def run(args: argparse.Namespace, procs: Processes, tmp: Path) -> int:
    env = {**os.environ, "STOREKEEPER_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}
    env.pop("STOREKEEPER_REDIS_URL", None)
    storekeeper(env, tmp, "migrate")
    storekeeper(env, tmp, "seed-demo")
    server, url = start_server(procs, env, tmp)
    display = start_xvfb(procs)
    app = App(procs, display, tmp / "handheld", url)
    direct = Direct(url)
    print(f"server {url} (SQLite, demo data); app on Xvfb {display} at 480x800, density 1.5; {machine()}")

    codes = [CODES[i % len(CODES)] for i in range(args.warmup + args.scans)]
    app_ms: list[float] = []
    resolve_ms: list[float] = []
    lookup_ms: list[float] = []
    kinds: dict[str, int] = {}
    not_found: list[str] = []
    started = time.monotonic()
    for index, code in enumerate(codes):
        shown, result = app.scan(code)
        resolved, kind = direct.resolve(code)
        looked_up = direct.lookup(code)
        if kind not in ("PRODUCT", "LOCATION", "LOT") or not result.startswith(("PRODUCT", "LOCATION", "LOT")):
            not_found.append(f"{code}: {kind} / {result}")
        if index < args.warmup:
            continue
        app_ms.append(shown)
        resolve_ms.append(resolved)
        lookup_ms.append(looked_up)
        kinds[kind] = kinds.get(kind, 0) + 1
        if args.progress and len(app_ms) % 50 == 0:
            print(f"  {len(app_ms)} scans, {time.monotonic() - started:.0f} s", flush=True)
    direct.close()
    online_s = time.monotonic() - started

    offline_ms: list[float] = []
    offline_results: dict[str, int] = {}
    if args.offline_scans:
        procs.stop(server, kill=True)  # gone at once, as when the Wi-Fi drops
        app.scan(CODES[0])  # the scan that finds the server away (connection refused): not counted
        for index in range(args.offline_scans):
            shown, result = app.scan(CODES[index % len(CODES)])
            offline_ms.append(shown)
            state = "from memory" if "as of " in result else result.split(" ", 1)[0]
            offline_results[state] = offline_results.get(state, 0) + 1

    print(
        f"{len(codes)} scans online ({args.warmup} warm-up, not counted) in {online_s:.0f} s; found: "
        + ", ".join(f"{n} {k.lower()}" for k, n in sorted(kinds.items()))
    )
    if not_found:
        print(f"NOT FOUND ({len(not_found)}): {not_found[:3]}")
    if offline_ms:
        print(f"{len(offline_ms)} scans offline: " + ", ".join(f"{n} {k}" for k, n in offline_results.items()))
    print(f"after the run: {machine()}\n")
    print(f"{'':52} {'n':>6} {'median':>8} {'p99':>8} {'max':>8} {'x median':>10} {'x p99':>10}")
    print(f"{'':52} {'':6} {'ms':>8} {'ms':>8} {'ms':>8} {'baseline':>10} {'baseline':>10}")
    print(row("baseline: resolveBarcode from Python (httpx)", resolve_ms, None))
    print(row("the app's requests from Python (scan + stock)", lookup_ms, resolve_ms))
    print(row("the app: scan to answer on screen (online)", app_ms, resolve_ms))
    if offline_ms:
        print(row("the app: scan to answer, server away (from memory)", offline_ms, resolve_ms))
    overhead = statistics.median(app_ms) - statistics.median(lookup_ms)
    print(
        f"\nthe app's median minus its requests' median: {overhead:.1f} ms (capture, thread hops, drawing);"
        f" app/baseline median ratio {statistics.median(app_ms) / statistics.median(resolve_ms):.2f}"
    )
    print("(the app logs whole milliseconds from the Return key to the answer on screen)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=300, help="scans measured online (default 300)")
    parser.add_argument("--warmup", type=int, default=10, help="scans before, not counted (default 10)")
    parser.add_argument(
        "--offline-scans", type=int, default=100, help="scans with the server stopped (default 100; 0: none)"
    )
    parser.add_argument("--progress", action="store_true", help="print a line every 50 scans")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args()
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        print(f"{' and '.join(missing)} not installed (apt-get install xvfb xdotool)", file=sys.stderr)
        return 2

    def terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; python {sys.version.split()[0]}")
    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    try:
        return run(args, procs, tmp)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
