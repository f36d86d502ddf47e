"""Fixtures shared by the suite: one database per run (SQLite by default, PostgreSQL with
``--backend=postgres`` and STOREKEEPER_TEST_DATABASE_URL), users with tokens, a GraphQL client."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from server import db
from server.auth import service as auth
from server.inventory.lookups import forget_cached_locations
from server.settings import Settings, use_settings
from workers.queue import InProcessQueue

if TYPE_CHECKING:
    from tests.server.mail.smtp_server import MailServer

IN_CI = os.environ.get("CI") == "true"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", default="sqlite", choices=["sqlite", "postgres"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (row locks, real concurrency)")
    config.addinivalue_line("markers", "sqlite: only meaningful on the embedded SQLite default")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Backend-specific tests only run on their backend (`make test` deselects the others)."""
    backend = config.getoption("--backend")
    for item in items:
        for marker in ("postgres", "sqlite"):
            if marker in item.keywords and backend != marker:
                item.add_marker(pytest.mark.skip(reason=f"needs {marker}: run with --backend={marker}"))


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing service skips the test; in CI it is an error."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def demand_id() -> int:
    """The document id of a demand (a sales order's line reserving stock) of one test only: the database is
    shared, test_reservation_races counts up from 900,000,000, and a line keeps the product it first reserved."""
    return 2_000_000_000 + uuid.uuid4().int % 10**9


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}".upper()


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


async def _create_postgres_database(url: str) -> tuple[str, str]:
    import asyncpg

    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    name = f"storekeeper_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(urlunsplit(parts))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit(parts._replace(path=f"/{name}")).replace("postgresql://", "postgres://", 1), name


async def _drop_postgres_database(url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    admin_url = os.environ.get("STOREKEEPER_TEST_DATABASE_URL")
    dropped: str | None = None
    if backend == "postgres":
        if not admin_url:
            skip_or_fail("STOREKEEPER_TEST_DATABASE_URL is not set")
        assert admin_url is not None
        database_url, dropped = await _create_postgres_database(admin_url)
    else:
        database_url = f"sqlite://{tmp_path_factory.mktemp('db')}/storekeeper.sqlite3"
    configured = use_settings(Settings(database_url=database_url, environment="test"))
    await db.migrate(configured)
    await db.open_database(configured)
    forget_cached_locations()
    yield configured
    await db.close_database()
    if dropped and admin_url:
        await _drop_postgres_database(admin_url, dropped)


@dataclass
class Actor:
    user_id: int
    username: str
    token: str


PASSWORD = "correct horse battery"


async def make_actor(role: str) -> Actor:
    username = unique(role).lower()
    user = await auth.create_user(username, PASSWORD, role)
    return Actor(user.id, username, await auth.login(username, PASSWORD))


@pytest.fixture(scope="session")
async def admin(settings: Settings) -> Actor:
    return await make_actor("admin")


@pytest.fixture(scope="session")
async def viewer(settings: Settings) -> Actor:
    return await make_actor("viewer")


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, queue: InProcessQueue, transport: httpx.ASGITransport) -> None:
        self.http = http
        self.queue = queue
        self.transport = transport

    @contextlib.contextmanager
    def calling_from(self, address: str) -> Iterator[None]:
        """Requests in the block come from ``address``, as the server sees its peers."""
        previous = self.transport.client
        self.transport.client = (address, 50000)
        try:
            yield
        finally:
            self.transport.client = previous

    async def post(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                   accept: str = "application/json") -> httpx.Response:  # fmt: skip
        headers = {"accept": accept}
        if token:
            headers["authorization"] = f"Bearer {token}"
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)

    async def run(self, query: str, variables: dict[str, Any] | None = None, *, token: str) -> dict[str, Any]:
        """Execute and return ``data``; any GraphQL error fails the test."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="session")
async def graphql(settings: Settings) -> AsyncIterator[GraphQLClient]:
    from server.app import create_app

    app = create_app(settings)
    app.state.graphql.queue = queue = InProcessQueue()  # the transport below does not run the lifespan
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://storekeeper.test") as http:
        yield GraphQLClient(http, queue, transport)
    await queue.close()


class SQLLog(logging.Handler):
    """Collects the SQL statements Tortoise sends, for counting and inspecting them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            self.statements.append(record.args[0])


@pytest.fixture
def sql_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[SQLLog]:
    # Tests compare the statements of requests: a token cached once stays cached for the whole test,
    # else a slow machine sees the 10-second principal cache expire between two requests and count
    # one lookup more.
    from server.auth import service as auth

    monkeypatch.setattr(auth, "_PRINCIPAL_TTL_SECONDS", float("inf"))
    monkeypatch.setattr(auth, "_principals", {})
    logger = logging.getLogger("tortoise.db_client")
    handler, level = SQLLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@dataclass
class Place:
    """A fresh warehouse with two bins and a product, so tests do not share stock."""

    warehouse: str
    bin_a: str
    bin_b: str
    sku: str
    lot_sku: str


@pytest.fixture
async def place(settings: Settings, admin: Actor) -> Place:
    from server.catalog.service import ProductDetails, create_product
    from server.inventory.locations import create_location, create_warehouse

    warehouse = unique("WH")
    await create_warehouse(warehouse, "Test warehouse", actor_id=admin.user_id)
    bins = [unique("BIN") for _ in range(2)]
    for code in bins:
        await create_location(warehouse, code, code, actor_id=admin.user_id)
    sku, lot_sku = unique("SKU"), unique("LOTSKU")
    await create_product(sku, ProductDetails(name="Widget"), actor_id=admin.user_id)
    await create_product(lot_sku, ProductDetails(name="Yoghurt", tracks_lots=True), actor_id=admin.user_id)
    return Place(warehouse, bins[0], bins[1], sku, lot_sku)


@pytest.fixture
async def store(place: Place, admin: Actor) -> str:
    """A store in EUR holding the place's warehouse; its code."""
    from server.partners.stores import StoreDetails, create_store

    code = unique("S")[:12]
    await create_store(code, StoreDetails(name="Shop", currency="EUR", warehouses=[place.warehouse]),
                       actor_id=admin.user_id)  # fmt: skip
    return code


@pytest.fixture
def smtp() -> Iterator[MailServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
    from tests.server.mail.smtp_server import MailServer

    server = MailServer()
    server.start()
    yield server
    server.stop()
