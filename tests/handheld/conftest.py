"""Real Storekeeper servers with the demo data for the handheld tests: one that stays up for the
whole run, one that tests stop and start again on the same address, and a "black hole" that takes
connections and never answers."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import string
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from handheld.client import GraphQLClient, NotSignedIn
from handheld.logic.cache import LookupCache
from handheld.logic.courier import Courier
from handheld.logic.outbox import DOCUMENTS, Outbox
from handheld.logic.session import ME, HandheldConfig, Session
from handheld.logic.store import DeviceStore
from tests.live_server import free_port, run_storekeeper, serving, storekeeper_command, this_checkout

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"
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
CREATE_LOCATION = """
mutation L($input: CreateLocationInput!) { createLocation(input: $input) { location { code } errors { code } } }
"""
CREATE_PACKAGE = """
mutation C($input: CreatePackageInput!) { createPackage(input: $input) { package { sscc } errors { code message } } }
"""
PACK_STOCK = """
mutation P($input: PackStockInput!) { packStock(input: $input) { package { total } errors { code message } } }
"""
PACKAGE = """
query Package($sscc: String!) {
  package(sscc: $sscc) { location { code } total children { sscc location { code } } }
}
"""


@dataclass(frozen=True)
class DemoServer:
    url: str
    username: str
    password: str
    log: Path
    env: dict[str, str]  # what its ``storekeeper`` commands run with (``check-ledger``), in ``log``'s folder


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    barcode: str
    stock: list[dict[str, str]]


def _demo_env(workdir: Path) -> dict[str, str]:
    env = {**os.environ, "STOREKEEPER_DATABASE_URL": f"sqlite:///{workdir}/hh.sqlite3"}
    env.pop("STOREKEEPER_REDIS_URL", None)
    run_storekeeper(["migrate"], env, workdir)
    run_storekeeper(["seed-demo"], env, workdir)
    return env


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """``storekeeper migrate``, ``seed-demo`` and ``serve`` on a free port, in a temp directory."""
    workdir = tmp_path_factory.mktemp("handheld-server")
    env = _demo_env(workdir)
    with serving(env, workdir) as live:
        yield DemoServer(live.url, DEMO_USERNAME, DEMO_PASSWORD, live.log, env)


class RestartableServer:
    """A demo server of its own that a test may stop and start again, on the same address."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = _demo_env(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.username, self.password = DEMO_USERNAME, DEMO_PASSWORD
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / "server.log").open("ab")
        command = [*storekeeper_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self._process = subprocess.Popen(command, env=this_checkout(self.env), cwd=self.workdir, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"the server exited:\n{(self.workdir / 'server.log').read_text(errors='replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        pytest.fail("the restartable server did not start")

    def stop(self) -> None:
        """Gone at once, as when its machine loses power or the network drops (and quicker to test)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            if self._process is None:
                self.start()


@pytest.fixture(scope="session")
def restartable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestartableServer]:
    server = RestartableServer(tmp_path_factory.mktemp("handheld-restartable"))
    server.start()
    yield server
    server.stop()


class BlackHole:
    """Accepts TCP connections and never answers: a server that hangs, or a network that drops replies."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self._socket.accept()
                self.connections.append(connection)

    def close(self) -> None:
        self._socket.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.close()


_open_sessions: list[Session] = []


def new_session(store: DeviceStore | None = None, *, tracked: bool = True, **config: object) -> Session:
    """A session that is closed when the test ends (its connection, not its token), unless not ``tracked``."""
    session = Session(HandheldConfig(**config), store or DeviceStore.memory())  # type: ignore[arg-type]
    if tracked:
        _open_sessions.append(session)
    return session


def sign_in(url: str, store: DeviceStore | None = None, *, tracked: bool = True, **config: object) -> Session:
    """Signed in as the demo user, working in WH1 (other tests add warehouses to the same server)."""
    session = new_session(store, tracked=tracked, **{"warehouse": "WH1", **config})
    result = session.sign_in(url, DEMO_USERNAME, DEMO_PASSWORD)
    assert result.ok, result.message
    return session


@pytest.fixture(autouse=True)
def _close_sessions() -> Iterator[None]:
    yield
    while _open_sessions:
        _open_sessions.pop().close()


@dataclass
class Handheld:
    """What the app wires together, without a window: the session, its store, outbox, cache and courier."""

    session: Session
    store: DeviceStore
    outbox: Outbox
    cache: LookupCache
    courier: Courier

    @classmethod
    def on(cls, session: Session) -> Handheld:
        outbox = Outbox(session.store)
        return cls(session, session.store, outbox, LookupCache(session.store), Courier(session, outbox))

    @classmethod
    def signed_in(cls, url: str, store: DeviceStore | None = None, *, tracked: bool = True) -> Handheld:
        return cls.on(sign_in(url, store, tracked=tracked))


@pytest.fixture(scope="session")
def signed_in_client(server: DemoServer) -> Iterator[GraphQLClient]:
    session = sign_in(server.url, tracked=False)
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


def on_hand(client: GraphQLClient, sku: str, location: str, lot: str | None = None) -> Decimal:
    """What the server says is on hand of ``sku`` in ``location`` (and ``lot``)."""
    edges = client.execute(STOCK_OF, {"sku": sku})["stockLevels"]["edges"]
    return sum(
        (
            Decimal(edge["node"]["onHand"])
            for edge in edges
            if edge["node"]["locationCode"] == location and (lot is None or edge["node"]["lotCode"] == lot)
        ),
        Decimal(0),
    )


@pytest.fixture(scope="module")
def handheld(server: DemoServer) -> Iterator[Handheld]:
    """One device signed in to the demo server, shared by a module's tests."""
    handheld = Handheld.signed_in(server.url, tracked=False)
    yield handheld
    handheld.session.close()


def token_works(url: str, token: str) -> bool:
    """Whether the server still takes ``token`` (a session the handheld ended is refused)."""
    try:
        with GraphQLClient(url, token=token) as client:
            client.execute(ME)
    except NotSignedIn:
        return False
    return True


def new_bin(client: GraphQLClient, *stock: tuple[str, int, str | None]) -> str:
    """A bin of WH1 of its own, holding ``(sku, quantity, lot)`` as received."""
    code = f"WH1-C-{uuid.uuid4().hex[:6]}".upper()
    made = client.execute(CREATE_LOCATION, {"input": {"warehouseCode": "WH1", "code": code, "name": "Count bin"}})
    assert made["createLocation"]["errors"] == []
    for sku, quantity, lot in stock:
        receipt = {"sku": sku, "locationCode": code, "quantity": str(quantity), "idempotencyKey": str(uuid.uuid4())}
        receipt.update({"lot": lot, "expiresOn": "2030-01-31"} if lot else {})
        assert client.execute(DOCUMENTS["receiveStock"], {"input": receipt})["receiveStock"]["errors"] == []
    return code


def new_sscc() -> str:
    """A fresh SSCC: extension digit 0, 16 random digits and the GS1 check digit (weights 3, 1, ... from the right)."""
    body = "0" + "".join(random.choice(string.digits) for _ in range(16))
    weighted = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return body + str(-weighted % 10)


@dataclass(frozen=True)
class Pallet:
    sscc: str
    bin: str
    cases: list[str]


def new_pallet(client: GraphQLClient, sku: str = "MUG-WHITE", *, cases: int = 4, per_case: int = 12) -> Pallet:
    """A pallet in a bin of its own, with ``cases`` cases of ``per_case`` ``sku`` on it (received, then packed)."""
    bin_ = new_bin(client, (sku, cases * per_case, None))
    pallet = new_sscc()
    made = client.execute(CREATE_PACKAGE, {"input": {"sscc": pallet, "kind": "PALLET", "locationCode": bin_}})
    assert made["createPackage"]["errors"] == []
    on_it = []
    for _ in range(cases):
        case = new_sscc()
        made = client.execute(
            CREATE_PACKAGE, {"input": {"sscc": case, "kind": "CASE", "locationCode": bin_, "parentSscc": pallet}}
        )
        assert made["createPackage"]["errors"] == []
        lines = [{"sku": sku, "quantity": str(per_case)}]
        packed = client.execute(
            PACK_STOCK, {"input": {"sscc": case, "lines": lines, "idempotencyKey": str(uuid.uuid4())}}
        )
        assert packed["packStock"]["errors"] == []
        on_it.append(case)
    return Pallet(pallet, bin_, on_it)


def check_ledger(env: dict[str, str], workdir: Path) -> None:
    """``storekeeper check-ledger`` on a test server's database: quants agree with the moves."""
    done = run_storekeeper(["check-ledger"], env, workdir, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
