"""Raw SQL for the hot and the race-prone paths, written once for PostgreSQL and SQLite.

Statements use PostgreSQL's ``$1, $2 ...`` placeholders in order; on SQLite they become ``?``.
``FOR UPDATE`` and ``FOR SHARE`` are kept only on PostgreSQL: SQLite has no row locks, and its writers are
serialised by the connection's transaction lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

_PLACEHOLDER = re.compile(r"\$\d+")
T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]  # a write without RETURNING and its parameters
_ROW_LOCK = re.compile(r" FOR (?:UPDATE|SHARE)\b")
PREVIOUS = "{previous}"  # in a write for ``fetch_after``: the rows the write before it returns


def dialect(conn: BaseDBAsyncClient) -> str:
    return conn.capabilities.dialect


@lru_cache(maxsize=256)
def _for_sqlite(sql: str) -> str:
    return _ROW_LOCK.sub("", _PLACEHOLDER.sub("?", sql))


IN_LIST = 500  # ids per ``IN (...)``: far inside both databases' limits on a statement's parameters


def chunks(ids: Sequence[T]) -> Iterator[Sequence[T]]:
    """``ids`` in slices of ``IN_LIST``, one statement's worth each."""
    for start in range(0, len(ids), IN_LIST):
        yield ids[start : start + IN_LIST]


def placeholders(first: int, count: int) -> str:
    """``$first, ..., $(first + count - 1)``: for ``IN (...)``; in the order they appear, since on
    SQLite they all become ``?`` and are bound by position."""
    return ", ".join(f"${i}" for i in range(first, first + count))


def render(conn: BaseDBAsyncClient, sql: str) -> str:
    return _for_sqlite(sql) if dialect(conn) == "sqlite" else sql


async def fetch(conn: BaseDBAsyncClient, sql: str, *params: Any) -> list[dict[str, Any]]:
    return await conn.execute_query_dict(render(conn, sql), list(params))


async def fetch_one(conn: BaseDBAsyncClient, sql: str, *params: Any) -> dict[str, Any] | None:
    rows = await fetch(conn, sql, *params)
    return rows[0] if rows else None


async def execute(conn: BaseDBAsyncClient, sql: str, *params: Any) -> int:
    count, _ = await conn.execute_query(render(conn, sql), list(params))
    return count


def _shifted(sql: str, by: int) -> str:
    return _PLACEHOLDER.sub(lambda m: f"${int(m.group()[1:]) + by}", sql)


async def write_or_defer(conn: BaseDBAsyncClient, statement: Statement, deferred: list[Statement] | None) -> None:
    """Run ``statement`` now, or keep it in ``deferred`` for the caller's last statement (``fetch_after``)."""
    if deferred is None:
        await execute(conn, statement[0], *statement[1])
    else:
        deferred.append(statement)


async def fetch_after(conn: BaseDBAsyncClient, writes: list[Statement], sql: str, *params: Any) -> list[dict[str, Any]]:
    """Run the data-changing ``writes`` (INSERT/UPDATE/DELETE without RETURNING), then ``sql``.

    On PostgreSQL all of it goes as one statement, the writes as data-modifying CTEs: one round
    trip instead of one per statement, on the paths where round trips are what a request costs.
    The writes cannot see each other's rows, nor can ``sql`` see theirs (one snapshot): use it
    for writes that are independent of each other. On SQLite, in-process, they run one by one.

    One exception, PostgreSQL only: a write may read what the write just before it returns
    (its RETURNING) as ``{previous}``, which makes it run after that one (``plain_receipt`` chains
    the quant, the cost bucket and the move so); and ``sql`` may read what any write returns, by
    ``cte`` of its index.
    """
    if dialect(conn) != "postgres":
        for write, write_params in writes:
            await execute(conn, write, *write_params)
        return await fetch(conn, sql, *params)
    shapes = tuple((write, len(write_params)) for write, write_params in writes)
    values = [value for _, write_params in writes for value in write_params]
    return await fetch(conn, _combined(shapes, sql), *values, *params)


def cte(index: int) -> str:
    """The name of the write at ``index`` of ``fetch_after``'s writes, in its statement (PostgreSQL)."""
    return f"w{index}"


@lru_cache(maxsize=256)
def _combined(writes: tuple[tuple[str, int], ...], sql: str) -> str:
    """The statement of ``fetch_after``: the writes (each with its number of parameters) as CTEs, then ``sql``."""
    ctes: list[str] = []
    offset = 0
    for index, (write, count) in enumerate(writes):
        ctes.append(f"{cte(index)} AS ({_shifted(write, offset).replace(PREVIOUS, cte(index - 1))})")
        offset += count
    return (f"WITH {', '.join(ctes)} " if ctes else "") + _shifted(sql, offset)


async def lock_name(conn: BaseDBAsyncClient, name: str) -> None:
    """Hold a lock on ``name`` until the transaction ends (PostgreSQL; SQLite runs one writer at a time)."""
    if dialect(conn) == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [name])


def as_date(value: object) -> date | None:
    """A DATE column's value (SQLite hands back ISO text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def as_datetime(value: object) -> datetime:
    """A timestamp column's value (not NULL), in UTC: SQLite hands back ISO text, without a zone when
    it was stored without one."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
