"""A real Storekeeper server with the demo data, started once for the handheld tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from handheld.client import GraphQLClient
from handheld.logic.session import Session
from tests.live_server import free_port, run_storekeeper, serving

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"

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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """``storekeeper migrate``, ``seed-demo`` and ``serve`` on a free port, in a temp directory."""
    workdir = tmp_path_factory.mktemp("handheld-server")
    env = {**os.environ, "STOREKEEPER_DATABASE_URL": f"sqlite:///{workdir}/hh.sqlite3"}
    env.pop("STOREKEEPER_REDIS_URL", None)
    run_storekeeper(["migrate"], env, workdir)
    run_storekeeper(["seed-demo"], env, workdir)
    with serving(env, workdir) as live:
        yield DemoServer(live.url, DEMO_USERNAME, DEMO_PASSWORD, live.log)


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
