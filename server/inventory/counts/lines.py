"""A count's lines as its review and its counters read them: expected, counted, the difference and its value.

A counter of a blind count (without counts.manage) reads only what is theirs to act on: in a bin they
counted, the lines somebody scanned, without recount flags or recounts (which would say whether they
matched the books); in a bin they did not count, the lines that ask for a recount, without what was
first counted (the recount is blind too).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.inventory import quantities
from server.inventory.counts import values
from server.inventory.counts.header import CountHeader
from server.inventory.valuation.books import unit_costs

ZERO = Decimal(0)


@dataclass(frozen=True)
class Difference:
    """A line of a count as its review shows it."""

    line_id: int
    location_id: int
    location_code: str
    product_id: int
    sku: str
    lot_id: int
    lot: str | None
    package_id: int
    package_sscc: str | None
    expected: Decimal
    counted: Decimal | None  # the tallies summed; None: nobody scanned it
    recount_needed: bool
    recounted: Decimal | None
    unit_cost: Decimal
    bin_id: int = 0
    archived: bool = False  # the product takes no new stock
    counted_by_viewer: bool = False  # the reader counted in its bin (read for a counter of a blind count)

    @property
    def final(self) -> Decimal:
        """What the count says is there: the recount, else the tallies (0: not scanned)."""
        if self.recounted is not None:
            return self.recounted
        return self.counted if self.counted is not None else ZERO

    @property
    def difference(self) -> Decimal:
        return self.final - self.expected

    @property
    def value(self) -> Decimal:
        return values.value_of(self.difference, self.unit_cost)

    @property
    def named(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        package = f" in {self.package_sscc}" if self.package_sscc else ""
        return f"{self.sku}{lot}{package} in {self.location_code}"


_LINES = (
    "SELECT l.id, l.bin_id, b.location_id, loc.code AS location_code, l.product_id, p.sku, p.is_archived,"
    " l.lot_id, lot.code AS lot, l.package_id, pkg.sscc, l.expected, l.recount_needed, l.recounted,"
    " (SELECT SUM(t.quantity) FROM count_tally t WHERE t.line_id = l.id) AS counted"
    " FROM count_line l JOIN count_bin b ON b.id = l.bin_id JOIN location loc ON loc.id = b.location_id"
    " JOIN product p ON p.id = l.product_id LEFT JOIN lot ON lot.id = l.lot_id"
    " LEFT JOIN package pkg ON pkg.id = l.package_id WHERE b.count_id = $1 AND l.id > $2"
)
# The bins a user counted in (scanned or finished), for what a counter of a blind count may read.
_COUNTED_HERE = (
    "(b.finished_by_id = ${0} OR EXISTS (SELECT 1 FROM count_line mine JOIN count_tally t ON t.line_id = mine.id"
    " WHERE mine.bin_id = b.id AND t.user_id = ${1}))"
)


async def lines_of(
    conn: BaseDBAsyncClient,
    header: CountHeader,
    *,
    location_id: int | None = None,
    after_id: int = 0,
    limit: int | None = None,
    differences_only: bool = False,
    awaiting_recount: bool = False,
    visible_to: int | None = None,
) -> list[Difference]:
    """The count's lines in id order (of one bin, after a line, at most ``limit``); with differences only,
    the lines whose bin is finished and whose count differs from what was expected; awaiting a recount, the
    lines that asked for one and have none yet; ``visible_to``: only those a counter of a blind count may
    read (see the module's docstring)."""
    found: list[Difference] = []
    while True:
        query, params = _LINES, [header.id, after_id]
        if location_id is not None:
            params.append(location_id)
            query += f" AND b.location_id = ${len(params)}"
        if differences_only:
            query += " AND b.finished_at IS NOT NULL"
        if awaiting_recount:
            query += " AND l.recount_needed AND l.recounted IS NULL"
        if visible_to is not None and awaiting_recount:  # never those of a bin they counted: that says it differed
            params += [visible_to] * 2
            query += f" AND NOT {_COUNTED_HERE.format(len(params) - 1, len(params))}"
        elif visible_to is not None:  # each placeholder once, in order: SQLite binds them by position
            first = len(params) + 1
            counted_here = _COUNTED_HERE.format(first, first + 1)
            not_counted_here = _COUNTED_HERE.format(first + 2, first + 3)
            params += [visible_to] * 4
            query += (
                f" AND (({counted_here} AND EXISTS (SELECT 1 FROM count_tally t WHERE t.line_id = l.id))"
                f" OR (NOT {not_counted_here} AND l.recount_needed))"
            )
        if limit is not None:
            params.append(limit)
            query += f" ORDER BY l.id LIMIT ${len(params)}"
        else:
            query += " ORDER BY l.id"
        rows = await sql.fetch(conn, query, *params)
        costs = await unit_costs(conn, [int(r["product_id"]) for r in rows], header.warehouse_id)
        page = [_difference(r, costs) for r in rows]
        if visible_to is not None:
            mine = await _bins_counted_by(conn, {line.bin_id for line in page}, visible_to)
            page = [replace(line, counted_by_viewer=line.bin_id in mine) for line in page]
        found += [line for line in page if line.difference != 0] if differences_only else page
        if limit is None or len(rows) < limit or len(found) >= limit:
            return found[:limit] if limit is not None else found
        after_id = page[-1].line_id  # differences are sparse: read on until a page's worth


async def _bins_counted_by(conn: BaseDBAsyncClient, bin_ids: set[int], user_id: int) -> set[int]:
    if not bin_ids:
        return set()
    ids = sorted(bin_ids)
    rows = await sql.fetch(
        conn,
        f"SELECT b.id FROM count_bin b WHERE b.id IN ({sql.placeholders(1, len(ids))})"
        f" AND {_COUNTED_HERE.format(len(ids) + 1, len(ids) + 2)}",
        *ids, user_id, user_id,
    )  # fmt: skip
    return {int(r["id"]) for r in rows}


def _difference(r: dict[str, Any], costs: dict[int, Decimal]) -> Difference:
    return Difference(
        line_id=int(r["id"]), location_id=int(r["location_id"]), location_code=r["location_code"],
        product_id=int(r["product_id"]), sku=r["sku"], lot_id=int(r["lot_id"]), lot=r["lot"],
        package_id=int(r["package_id"]), package_sscc=r["sscc"], expected=quantities.from_db(r["expected"]),
        counted=None if r["counted"] is None else quantities.from_db(r["counted"]),
        recount_needed=bool(r["recount_needed"]),
        recounted=None if r["recounted"] is None else quantities.from_db(r["recounted"]),
        unit_cost=costs.get(int(r["product_id"]), ZERO), bin_id=int(r["bin_id"]), archived=bool(r["is_archived"]),
    )  # fmt: skip
