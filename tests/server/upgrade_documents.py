"""Run by test_migrations in a process of its own: a database at 0011 holding a document with two lines and an
attachment (as 0011's tables were), migrated to the latest. Prints what is left of them as JSON.

0012 widens ``document.state``; on SQLite Tortoise rebuilt the table for it, and dropping the old one deleted
every row that points at it ON DELETE CASCADE (the lines, the attachments)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server import db, sql
from server.settings import Settings

OLD = datetime(2026, 1, 1, tzinfo=UTC)
COUNTS = "SELECT (SELECT COUNT(*) FROM document) AS documents, (SELECT COUNT(*) FROM document_line) AS lines," \
         " (SELECT COUNT(*) FROM document_attachment) AS attachments"  # fmt: skip


async def counts() -> dict[str, int]:
    found = await sql.fetch_one(db.connection(), COUNTS)
    assert found is not None
    return {name: int(found[name]) for name in ("documents", "lines", "attachments")}


async def main(database_url: str) -> None:
    config = db.tortoise_config(Settings(database_url=database_url))
    try:
        await migrate(config=config, target="storekeeper.0011_kit_shares")
        await Tortoise.close_connections()
        await db.open_database(Settings(database_url=database_url))
        conn = db.connection()
        await sql.execute(conn, "INSERT INTO product (sku, name, unit, tracks_lots, is_archived, created_at,"
                                " updated_at) VALUES ('OLD-1', 'Old', 'pcs', $1, $2, $3, $4)",
                          False, False, OLD, OLD)  # fmt: skip
        await sql.execute(conn, "INSERT INTO store (code, name, address, currency, tax_rounding, created_at)"
                                " VALUES ('OLD', 'Old store', '', 'EUR', 'line', $1)", OLD)  # fmt: skip
        await sql.execute(
            conn,
            "INSERT INTO document (id, type, state, business_date, currency, prices_include_tax, net, tax, gross,"
            " notes, marks, created_at, updated_at, version, store_id)"
            " VALUES (1, 'goods_in', 'confirmed', $1, 'EUR', $2, $3, $4, $5, '', '[]', $6, $7, 1, 1)",
            date(2026, 1, 1), False, Decimal(20), Decimal(0), Decimal(20), OLD, OLD,
        )  # fmt: skip
        for position in (1, 2):
            await sql.execute(
                conn,
                "INSERT INTO document_line (position, quantity, unit, base_quantity, price, discount_percent,"
                " tax_rate, net, tax, gross, notes, document_id, product_id)"
                " VALUES ($1, $2, 'pcs', $3, $4, $5, $6, $7, $8, $9, '', 1, 1)",
                position, Decimal(2), Decimal(2), Decimal(5), Decimal(0), Decimal(0), Decimal(10), Decimal(0),
                Decimal(10),
            )  # fmt: skip
        await sql.execute(conn, "INSERT INTO document_attachment (document_id, name, content_type, content, size,"
                                " created_at) VALUES (1, 'a.txt', 'text/plain', $1, 1, $2)", b"a", OLD)  # fmt: skip
        before = await counts()
        await db.close_database()
        await migrate(config=config)
        await Tortoise.close_connections()
        await db.open_database(Settings(database_url=database_url))
        print(json.dumps({"before": before, "after": await counts()}))
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
