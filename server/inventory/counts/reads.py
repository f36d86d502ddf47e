"""What a count shows while it runs: its header, its progress, its bins, and the counts open in a warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.db import connection
from server.inventory.counts.header import COUNT, COUNTING, CountHeader, read_header
from server.inventory.models import LOCATION_CODE, WAREHOUSE_CODE


@dataclass(frozen=True)
class Progress:
    bins: int
    started: int
    finished: int
    recounts_needed: int
    recounts_done: int


async def progress(conn: BaseDBAsyncClient, count_id: int) -> Progress:
    bins = await sql.fetch_one(
        conn,
        "SELECT COUNT(*) AS bins, COUNT(started_at) AS started, COUNT(finished_at) AS finished FROM count_bin"
        " WHERE count_id = $1",
        count_id,
    )
    recounts = await sql.fetch_one(
        conn,
        "SELECT COUNT(*) AS needed, COUNT(l.recounted) AS done FROM count_line l JOIN count_bin b ON b.id = l.bin_id"
        " WHERE b.count_id = $1 AND l.recount_needed",
        count_id,
    )
    assert bins is not None and recounts is not None
    return Progress(int(bins["bins"]), int(bins["started"]), int(bins["finished"]), int(recounts["needed"]),
                    int(recounts["done"]))  # fmt: skip


async def header_of(count_id: int) -> CountHeader | None:
    """The count's header for a read, or None when there is no such count."""
    conn = connection()
    row = await sql.fetch_one(conn, "SELECT state FROM document WHERE id = $1 AND type = $2", count_id, COUNT)
    return None if row is None else await read_header(conn, count_id, row["state"])


@dataclass(frozen=True)
class BinState:
    location_code: str
    started_at: datetime | None
    finished_at: datetime | None


async def bins_of(count_id: int, *, after_code: str | None, limit: int, unfinished_only: bool) -> list[BinState]:
    """The count's bins in code order after ``after_code`` (a bin code, or None), at most ``limit``."""
    query = (
        "SELECT loc.code, b.started_at, b.finished_at FROM count_bin b JOIN location loc ON loc.id = b.location_id"
        " WHERE b.count_id = $1"
    )
    params: list[object] = [count_id]
    after = LOCATION_CODE.key(after_code) if after_code is not None else None
    if after is not None:
        params.append(after)
        query += f" AND loc.code > ${len(params)}"
    if unfinished_only:
        query += " AND b.finished_at IS NULL"
    params.append(limit)
    rows = await sql.fetch(connection(), query + f" ORDER BY loc.code LIMIT ${len(params)}", *params)
    return [
        BinState(
            r["code"],
            None if r["started_at"] is None else sql.as_datetime(r["started_at"]),
            None if r["finished_at"] is None else sql.as_datetime(r["finished_at"]),
        )
        for r in rows
    ]


async def open_counts(*, warehouse_code: str | None, limit: int) -> list[int]:
    """The ids of the counts still being counted, newest first (of one warehouse, or all)."""
    query = (
        "SELECT d.id FROM document d JOIN stock_count c ON c.id = d.id JOIN warehouse w ON w.id = c.warehouse_id"
        " WHERE d.type = $1 AND d.state = $2"
    )
    params: list[object] = [COUNT, COUNTING]
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        if key is None:
            return []
        params.append(key)
        query += f" AND w.code = ${len(params)}"
    params.append(limit)
    rows = await sql.fetch(connection(), query + f" ORDER BY d.id DESC LIMIT ${len(params)}", *params)
    return [int(r["id"]) for r in rows]
