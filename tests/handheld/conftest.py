"""A real Storekeeper server with the demo data, started once for the handheld tests."""

from __future__ import annotations

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

from handheld.client import GraphQLClient
from handheld.logic.session import Session

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"
COMMAND_TIMEOUT = 180
START_TIMEOUT = 60

PRODUCTS = """
query Products { products(first: 10) { edges { node { sku barcodes { code } } } } }
"""
STOCK_OF = """
query StockOf($sku: String) {
  stockLevels(sku: $sku, first: 100) {
    edges { node { sku locationCode lotCode expiresOn onHand reserved available } }
  }
}
"""


@dataclass(frozen=True)
class DemoServer:
    url: str
    username: str
    password: str
    log: Path


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    barcode: str
    stock: list[dict[str, str]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def storekeeper_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("storekeeper")
    found = str(beside_python) if beside_python.exists() else shutil.which("storekeeper")
    if found is None:
        pytest.fail("the storekeeper command is not installed (pip install -e .)")
    return [found]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            storekeeper_command() + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"storekeeper {' '.join(args)} did not finish in {COMMAND_TIMEOUT}s")
    if done.returncode != 0:
        pytest.fail(f"storekeeper {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"the server did not answer /healthz in {START_TIMEOUT}s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """``storekeeper migrate``, ``seed-demo`` and ``serve`` on a free port, in a temp directory."""
    workdir = tmp_path_factory.mktemp("handheld-server")
    env = {**os.environ, "STOREKEEPER_DATABASE_URL": f"sqlite:///{workdir}/hh.sqlite3"}
    env.pop("STOREKEEPER_REDIS_URL", None)
    _run(["migrate"], env, workdir)
    _run(["seed-demo"], env, workdir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*storekeeper_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, process, log)
        yield DemoServer(url, DEMO_USERNAME, DEMO_PASSWORD, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def signed_in_client(server: DemoServer) -> Iterator[GraphQLClient]:
    session = Session()
    result = session.sign_in(server.url, server.username, server.password)
    assert result.ok, result.message
    yield session.client
    session.sign_out()


@pytest.fixture(scope="session")
def demo_products(signed_in_client: GraphQLClient) -> list[DemoProduct]:
    """The demo products that have a barcode, with their stock as the server reports it."""
    edges = signed_in_client.execute(PRODUCTS)["products"]["edges"]
    products = []
    for node in (edge["node"] for edge in edges):
        if not node["barcodes"]:
            continue
        stock = signed_in_client.execute(STOCK_OF, {"sku": node["sku"]})["stockLevels"]["edges"]
        products.append(DemoProduct(node["sku"], node["barcodes"][0]["code"], [edge["node"] for edge in stock]))
    return products


@pytest.fixture(scope="session")
def stocked_product(demo_products: list[DemoProduct]) -> DemoProduct:
    """A demo product with an EAN-13 barcode and stock in more than one place if there is one."""
    candidates = [p for p in demo_products if p.stock and p.barcode.isdigit() and len(p.barcode) == 13]
    assert candidates, "the demo data should hold a stocked product with an EAN-13 barcode"
    return max(candidates, key=lambda product: len(product.stock))


@pytest.fixture
def closed_port_url() -> str:
    """A URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
