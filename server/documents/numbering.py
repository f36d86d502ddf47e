"""Document numbers from number series: ``PO-{store}-{year}-{seq:05}``.

A gapless series (what tax law asks of invoices, and what a warehouse expects of its stock
documents) gives its number as the **last** statement of the posting's transaction: the counter
row is then locked only for the commit, a posting that fails takes no number (its increment rolls
back with it), and series of other stores or types have their own rows, so they never wait on it.
The counter is incremented with one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the first
number of a period needs no get-or-create, which would race.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.errors import Invalid
from server.text import Text, shown

PATTERN = Text("pattern", 64)
_FIELDS = {"store", "year", "month", "seq", "type"}
_SEQ_FORMAT = re.compile(r"0[1-9]")  # {seq} or {seq:05}: padded with zeros, never spaces


@dataclass(frozen=True)
class Series:
    id: int
    pattern: str
    gapless: bool


def check_pattern(pattern: str, field: str = "pattern") -> str:
    """A pattern with exactly one ``{seq}`` and only the known fields; its numbers fit the column."""
    pattern = PATTERN.clean(pattern, field)
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError:
        raise Invalid("The pattern has an unmatched brace: write fields as {store}, {year} or {seq:05}.",
                      field=field) from None  # fmt: skip
    names = [name for _, name, _, _ in parts if name is not None]
    unknown = [name for name in names if name not in _FIELDS]
    if unknown:
        raise Invalid(f"The pattern names {shown(unknown[0], 20)}; it may use {', '.join(sorted(_FIELDS))}.",
                      field=field)  # fmt: skip
    if names.count("seq") != 1:
        raise Invalid("The pattern needs exactly one {seq}.", field=field)
    if "month" in names and "year" not in names:  # the counter restarts monthly: March must differ from March
        raise Invalid("A pattern with {month} needs {year} too, or next year's numbers repeat this year's.",
                      field=field)  # fmt: skip
    for _, name, spec, conversion in parts:
        if conversion or (name != "seq" and spec) or (name == "seq" and spec and not _SEQ_FORMAT.fullmatch(spec)):
            raise Invalid("Only {seq} takes a width, written with a zero: {seq:05}.", field=field)
    longest = format_number(pattern, store="S" * 16, document_type="x" * 32, on=date(2999, 12, 31), seq=10**9)
    if len(longest) > 64:
        raise Invalid("Numbers of this pattern could be longer than 64 characters: shorten it.", field=field)
    return pattern


def period_of(pattern: str, on: date) -> str:
    """The counter restarts each year (or month) the pattern shows; otherwise it never does."""
    if "{month}" in pattern:
        return f"{on.year:04d}{on.month:02d}"
    return f"{on.year:04d}" if "{year}" in pattern else ""


def format_number(pattern: str, *, store: str, document_type: str, on: date, seq: int) -> str:
    short_type = document_type.rsplit(".", 1)[-1].upper()
    return pattern.format(store=store, year=f"{on.year:04d}", month=f"{on.month:02d}", seq=seq, type=short_type)


async def series_for(
    conn: BaseDBAsyncClient, store_id: int, document_type: str, default_pattern: str, *, gapless: bool = True
) -> Series:
    """The store's series for the type, created with the type's default pattern (and gaplessness) on first use."""
    await sql.execute(
        conn,
        "INSERT INTO number_series (store_id, document_type, pattern, gapless) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (store_id, document_type) DO NOTHING",
        store_id, document_type, default_pattern, gapless,
    )  # fmt: skip
    row = await sql.fetch_one(
        conn, "SELECT id, pattern, gapless FROM number_series WHERE store_id = $1 AND document_type = $2",
        store_id, document_type,
    )  # fmt: skip
    assert row is not None
    return Series(int(row["id"]), row["pattern"], bool(row["gapless"]))


async def take_number(conn: BaseDBAsyncClient, series: Series, *, store: str, document_type: str, on: date) -> str:
    """The next number of ``series`` for a document dated ``on``; call it last in the transaction."""
    period = period_of(series.pattern, on)
    row = await sql.fetch_one(
        conn,
        "INSERT INTO number_counter (series_id, period, last_value) VALUES ($1, $2, 1)"
        " ON CONFLICT (series_id, period) DO UPDATE SET last_value = number_counter.last_value + 1"
        " RETURNING last_value",
        series.id, period,
    )  # fmt: skip
    assert row is not None
    return format_number(series.pattern, store=store, document_type=document_type, on=on, seq=int(row["last_value"]))
