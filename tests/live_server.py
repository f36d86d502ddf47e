"""Real ``storekeeper`` processes for end-to-end tests: the CLI, and ``serve`` on a free port."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

COMMAND_TIMEOUT = 180
START_TIMEOUT = 60
# The checkout under test: a ``storekeeper`` of an editable install elsewhere (another worktree) must not serve.
ROOT = Path(__file__).resolve().parents[1]


def this_checkout(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlite_env(workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``storekeeper`` on a SQLite file in ``workdir`` (no Redis unless given)."""
    env = {**os.environ, "STOREKEEPER_DATABASE_URL": f"sqlite://{workdir}/storekeeper.sqlite3", **extra}
    if "STOREKEEPER_REDIS_URL" not in extra:
        env.pop("STOREKEEPER_REDIS_URL", None)
    return env


def load_demo(env: dict[str, str], workdir: Path) -> None:
    """Migrate the database and load the demo, as a first start does."""
    run_storekeeper(["migrate"], env, workdir)
    run_storekeeper(["seed-demo"], env, workdir)


@contextlib.contextmanager
def demo_server(workdir: Path) -> Iterator[LiveServer]:
    """``storekeeper serve`` on the demo data in a SQLite file of its own, until the block ends."""
    env = sqlite_env(workdir)
    load_demo(env, workdir)
    with serving(env, workdir) as live:
        yield live


def storekeeper_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("storekeeper")
    found = str(beside_python) if beside_python.exists() else shutil.which("storekeeper")
    if found is None:
        pytest.fail("the storekeeper command is not installed (pip install -e .)")
    return [found]


def run_storekeeper(
    args: list[str], env: dict[str, str], cwd: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            storekeeper_command() + args,
            env=this_checkout(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"storekeeper {' '.join(args)} did not finish in {COMMAND_TIMEOUT}s")
    if check and done.returncode != 0:
        pytest.fail(f"storekeeper {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"the server did not answer /healthz in {START_TIMEOUT}s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def serving(env: dict[str, str], workdir: Path, *extra: str) -> Iterator[LiveServer]:
    """``storekeeper serve`` on a free port until the block ends; its output goes to a log file."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*storekeeper_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
            env=this_checkout(env),
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, log)
        yield LiveServer(url, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Terminate a child process, and kill it if it will not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
