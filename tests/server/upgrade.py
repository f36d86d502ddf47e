"""Run by test_migrations in a process of its own (Tortoise keeps one global state per process):
migrate a new database to 0001, put rows in it as the old version wrote them, then migrate to the
latest. Prints what became of them as JSON, or the migration's refusal."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server import db, sql
from server.settings import Settings

OLD = datetime(2026, 1, 1, tzinfo=UTC)


async def main(database_url: str, skus: list[str], usernames: list[str]) -> None:
    try:
        await upgrade(database_url, skus, usernames)
    finally:  # an open connection would keep the process from ending
        await Tortoise.close_connections()


async def upgrade(database_url: str, skus: list[str], usernames: list[str]) -> None:
    config = db.tortoise_config(Settings(database_url=database_url))
    await migrate(config=config, target="storekeeper.0001_initial")
    await Tortoise.close_connections()
    await db.open_database(Settings(database_url=database_url))
    conn = db.connection()
    for n, sku in enumerate(skus):
        await sql.execute(
            conn,
            "INSERT INTO product (sku, name, unit, tracks_lots, is_archived, created_at, updated_at)"
            " VALUES ($1, $2, 'pcs', $3, $4, $5, $6)",
            sku, f"Product {n}", False, n == 0, OLD, OLD,
        )  # fmt: skip
    if skus:  # a move as 0001 booked it: 0004 dates it when it was booked
        for code, kind in (("OLD-SUPPLIER", "supplier"), ("OLD-BIN", "internal")):
            await sql.execute(
                conn, "INSERT INTO location (code, name, kind, path, created_at) VALUES ($1, $2, $3, '/', $4)",
                code, code, kind, OLD,
            )  # fmt: skip
        await sql.execute(
            conn,
            "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, kind, created_at)"
            " VALUES (1, 5, 1, 2, 'receive', $1)",
            OLD,
        )
    await sql.execute(conn, "INSERT INTO role (name, permissions) VALUES ('viewer', '[]')")
    for username in usernames:
        await sql.execute(conn, "INSERT INTO app_user (username, password_hash, role_id, is_active, created_at)"
                                " VALUES ($1, 'x', 1, $2, $3)", username, True, OLD)  # fmt: skip
    await db.close_database()
    refusal = None
    try:
        await migrate(config=config)
    except Exception as error:  # the refusal is what the test reads
        refusal = str(error)
    finally:
        await Tortoise.close_connections()
    await db.open_database(Settings(database_url=database_url))
    conn = db.connection()
    skus = [r["sku"] for r in await sql.fetch(conn, "SELECT sku FROM product ORDER BY id")]
    users = [r["username"] for r in await sql.fetch(conn, "SELECT username FROM app_user ORDER BY id")]
    if refusal is not None:
        print(json.dumps({"refused": refusal, "skus": skus, "usernames": users}))
        return
    archived = [
        r["archived_at"] is not None for r in await sql.fetch(conn, "SELECT archived_at FROM product ORDER BY id")
    ]
    dated = await sql.fetch_one(
        conn, "SELECT COUNT(*) AS moves, SUM(CASE WHEN effective_at = created_at THEN 1 ELSE 0 END) AS dated"
        " FROM stock_move",
    )  # fmt: skip
    locks = await sql.fetch_one(conn, "SELECT COUNT(*) AS n FROM period_lock WHERE warehouse_id = 0")
    assert dated is not None and locks is not None
    print(json.dumps({"skus": skus, "archived": archived, "usernames": users,
                      "moves_dated_when_booked": [int(dated["moves"]), int(dated["dated"] or 0)],
                      "company_lock_rows": int(locks["n"])}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])))
