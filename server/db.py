"""Database wiring: the Tortoise configuration, start-up and shut-down, and migrations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asyncpg.exceptions import PostgresError
from asyncpg.transaction import TransactionState
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url

from server.settings import Settings

MODEL_MODULES = [
    "server.auth.models",
    "server.catalog.models",
    "server.inventory.models",
    "server.inventory.reservation_models",
    "server.inventory.valuation.models",
    "server.inventory.kit_models",
    "server.inventory.replenishment.models",
    "server.audit.models",
    "server.scanning.models",
    "server.idempotency.models",
    "server.jobs.models",
    "server.partners.models",
    "server.money.models",
    "server.documents.models",
    "server.inventory.counts.models",
    "server.purchasing.models",
    "server.purchasing.inquiry_models",
    "server.purchasing.planning_models",
    "server.purchasing.landed_models",
    "server.purchasing.bill_models",
    "server.sales.models",
    "server.sales.payment_models",
    "server.sales.quotation_models",
    "server.sales.fulfillment_models",
    "server.sales.return_models",
    "server.printing.models",
    "server.mail.models",
]


def tortoise_config(settings: Settings) -> dict[str, Any]:
    connection: str | dict[str, Any] = settings.database_url
    if settings.dialect == "postgres":
        separator = "&" if "?" in settings.database_url else "?"
        connection = expand_db_url(f"{settings.database_url}{separator}maxsize={settings.database_pool_size}")
        connection["credentials"]["reset"] = _keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "storekeeper": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "server.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _keep_session(connection: object) -> None:
    """What the pool does to a PostgreSQL connection that comes back, once asyncpg has rolled back any
    transaction left open on it: nothing more.

    asyncpg's default sends a reset (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL): one more round
    trip after every transaction and every query outside one, a tenth of a receipt's (docs/performance.md).
    It undoes session state Storekeeper never sets: its locks and settings are the transaction's own
    (pg_advisory_xact_lock, SET TRANSACTION), and it neither listens nor keeps cursors past a transaction.
    Whoever adds session state (SET, LISTEN, a session advisory lock) must reset it here.
    """


# The SQLSTATE a guard raises (``commit_guarded``): a class of its own, so no error of PostgreSQL's is taken for it.
REFUSED = "SK001"


class Refused(Exception):
    """A guard sent with the COMMIT refused it: the transaction rolled back."""


async def commit_guarded(conn: BaseDBAsyncClient, guards: Sequence[str]) -> None:
    """Commit the open transaction of ``conn`` (PostgreSQL) with ``guards`` run before the COMMIT, in one message.

    A guard is a statement without parameters (the simple query protocol carries none) that raises
    SQLSTATE ``REFUSED`` (``RAISE ... USING ERRCODE``) when what it guards does not hold. PostgreSQL then
    aborts the transaction and skips the rest of the message, COMMIT included: ``Refused`` is raised, and
    the transaction's context rolls back as after any error. So a check that must see the transaction's
    last writes and everything committed meanwhile costs no round trip of its own.

    The COMMIT goes around Tortoise's and asyncpg's transaction objects, so both are told it happened,
    as their own commit would (asyncpg otherwise rolls back, and complains, when the pool takes the
    connection back). Checked against asyncpg 0.32 and Tortoise 1.1 by tests/server/test_commands.py.
    """
    transaction = conn.transaction  # type: ignore[attr-defined]
    raw = transaction._connection  # the connection itself, not the pool's proxy of it
    script = "; ".join((*guards, "COMMIT"))
    conn.log.debug("%s: %s", script, [])  # as Tortoise logs its statements (the tests count them)
    try:
        await raw.execute(script)
    except PostgresError as error:
        if error.sqlstate == REFUSED:
            raise Refused(str(error)) from error
        raise
    if raw._top_xact is transaction:
        raw._top_xact = None
    transaction._state = TransactionState.COMMITTED
    conn._finalized = True  # type: ignore[attr-defined]


# For the ``tortoise`` CLI (makemigrations); the server builds its own from its settings.
TORTOISE_ORM = tortoise_config(Settings.from_env())


async def open_database(settings: Settings) -> None:
    from server.documents import registry

    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    registry.load()  # every area's document kinds, and what they register beside them (incoming stock)


async def close_database() -> None:
    await Tortoise.close_connections()


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


async def migrate(settings: Settings) -> None:
    """Apply every migration, then make sure the rows the ledger relies on exist."""
    from tortoise.migrations.api import migrate as run_migrations

    await run_migrations(config=tortoise_config(settings))
    await Tortoise.close_connections()
    await open_database(settings)
    try:
        from server.auth.service import ensure_default_roles
        from server.catalog.units import ensure_default_units
        from server.inventory.locations import ensure_virtual_locations
        from server.money.rates import ensure_company, ensure_currencies

        await ensure_default_roles()
        await ensure_virtual_locations()
        await ensure_default_units()
        await ensure_currencies()
        await ensure_company()
    finally:
        await close_database()
