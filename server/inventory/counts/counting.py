"""Counting: scans from many handhelds into a count's bins, a bin finished, a recount by another user.

- A bin is **started** by its first scan (or by being finished untouched: it was found empty). Starting
  reads the on hand of every (product, lot, package) in it, in one statement, as the lines' expected
  quantities; each line's is read again when it is first counted (and, for a line nobody counted, when
  the bin is finished), so what moved before the counter looked is not a difference. What moves in or
  out afterwards is work done during the count, and the approval applies counted - expected to the on
  hand it finds then (``server.inventory.counts.approval``).
- Each counter's scans add up (or set) their own **tally** of a line; the line's count is the sum of the
  tallies, so several counters in one bin merge. A finished bin takes no more scans; a product expected
  there and never scanned counts as 0.
- Finishing a bin asks for a **recount** of each line whose difference is above the count's threshold
  (units or value); only a user who neither counted in the bin nor finished it may recount, and the
  recount replaces what was counted.

Scans hold the count's document FOR SHARE and their bin's row FOR UPDATE: counters of one bin take turns
for a moment, counters of other bins do not wait, and nothing here locks stock: a count blocks no work.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.documents.kinds import IllegalTransition
from server.errors import DomainError, ErrorCode, Invalid, NotFound
from server.inventory import quantities
from server.inventory.counts import values
from server.inventory.counts.header import CountHeader, open_count
from server.inventory.lookups import Product, existing_lot, lot_for_receipt
from server.inventory.lots import LotDates
from server.inventory.models import LOCATION_CODE, LOT_CODE, NO_LOT, NO_PACKAGE
from server.inventory.package_booking import package_id_of
from server.inventory.packages import sscc_key
from server.inventory.valuation.books import unit_costs
from server.scanning.service import MAX_SCAN_LENGTH, ScanInfo, record_scan
from server.text import shown, storable


class SameCounter(DomainError):
    code = ErrorCode.SAME_COUNTER


class Mode(StrEnum):
    ADD = "add"  # a scan: the quantity adds to what this counter counted of the line
    SET = "set"  # a correction: what this counter counted of the line is this quantity


@dataclass(frozen=True)
class LineKey:
    """What a scan names, checked: a bin, a product, its lot and its package, as codes."""

    location: str
    sku: str
    lot: str | None
    sscc: str | None


@dataclass(frozen=True)
class RecordCount(Command):
    operation = "count.record"
    count_id: int
    key: LineKey
    quantity: Decimal
    mode: str
    # The code scanned that caused the write, as read (GS1 separators kept): in the audit entry, so a count's
    # trail says what was scanned, also for a write a handheld's outbox sent hours later.
    scan: str | None = None

    def request(self) -> dict[str, Any]:
        asked = super().request()
        if asked["scan"] is None:  # as a write without its scan was remembered before the scan was kept
            del asked["scan"]
        return asked


@dataclass(frozen=True)
class FinishBin(Command):
    operation = "count.finish_bin"
    count_id: int
    location: str


@dataclass(frozen=True)
class Recount(Command):
    operation = "count.recount"
    count_id: int
    key: LineKey
    quantity: Decimal


@dataclass(frozen=True)
class CountedLine:
    """A line of a count as a counter's write answers it (the expected quantity is the caller's to hide)."""

    line_id: int
    location_code: str
    sku: str
    lot: str | None
    package_sscc: str | None
    expected: Decimal
    counted: Decimal | None  # every counter's tallies summed; None: nobody scanned it
    my_tally: Decimal
    recount_needed: bool
    recounted: Decimal | None
    blind: bool = True


@dataclass(frozen=True)
class FinishedBin:
    location_code: str
    lines: int
    recounts_needed: int
    blind: bool = True  # then a counter is not told how many lines want a recount (whether they matched)


def line_key(location_code: object, sku: object, lot: object, sscc: object) -> LineKey:
    """A scan's codes in their canonical form, checked before the database sees them."""
    location = LOCATION_CODE.key(location_code)
    if location is None:
        raise NotFound(f"There is no location {shown(str(location_code))}.", field="locationCode")
    product = SKU.key(sku)
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(str(sku))}.", field="sku")
    lot_code = None
    if lot is not None and not (isinstance(lot, str) and not lot.strip()):
        lot_code = LOT_CODE.clean(lot, "lot")
    package = None
    if sscc is not None and not (isinstance(sscc, str) and not sscc.strip()):
        package = sscc_key(sscc)
        if package is None:
            raise Invalid("An SSCC has 18 digits, the last a valid GS1 check digit.", field="packageSscc")
    return LineKey(location, product, lot_code, package)


def record_command(
    count_id: int, key: LineKey, quantity: object, mode: object, scan: ScanInfo | None = None
) -> RecordCount:
    if mode not in set(Mode):
        raise Invalid("The mode is add or set.", field="mode")
    qty = quantities.parse(quantity, allow_zero=mode == Mode.SET)
    return RecordCount(count_id, key, qty, str(mode), scanned_code(scan.code) if scan is not None else None)


def scanned_code(code: object) -> str:
    """A scan's code as read, checked like any input: kept whole (a GS1 code's separators are control
    characters), but never empty, never a NUL (PostgreSQL stores none) and never longer than a barcode holds."""
    if not isinstance(code, str) or not code.strip():
        raise Invalid("The scan's code is empty.", field="scan.code")
    if len(code) > MAX_SCAN_LENGTH:
        raise Invalid(f"The scan's code is longer than any barcode holds ({MAX_SCAN_LENGTH} characters).",
                      field="scan.code")  # fmt: skip
    if "\x00" in code:
        raise Invalid("The scan's code holds a NUL character: no barcode does.", field="scan.code")
    return storable(code)  # a lone surrogate (JSON lets one in) escaped: the audit entry is JSON


async def record(
    command: RecordCount, *, actor_id: int, idempotency_key: str | None = None, scan: ScanInfo | None = None
) -> CountedLine:
    """A counter's scan (or correction) of one line of a bin: the bin is started by the first one. The scan
    that caused it (``command.scan``, with its symbology and device in ``scan``) goes into the scan log too."""

    async def run(write: Write) -> CountedLine:
        conn = write.conn
        header = await open_count(conn, command.count_id)
        bin_ = await _bin(conn, header, command.key.location)
        if bin_["finished_at"] is not None:
            raise IllegalTransition(
                f"The bin {command.key.location} is finished: it takes no more scans (a recount may be asked).",
                field="locationCode",
            )
        if bin_["started_at"] is None:
            await _start(conn, header, bin_, write.actor_id)
        line_id, product = await _line(conn, header, bin_, command.key, create=True)
        await sql.execute(conn, _EXPECT_NOW + " WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM count_tally"
                          " WHERE line_id = $3)", bin_["location_id"], line_id, line_id)  # fmt: skip
        tallied = "count_tally.quantity + $5" if command.mode == Mode.ADD else "$5"
        stamp = now()
        await sql.execute(  # SQLite binds placeholders by position: a value used twice is given twice
            conn,
            "INSERT INTO count_tally (line_id, user_id, quantity, updated_at) VALUES ($1, $2, $3, $4)"
            f" ON CONFLICT (line_id, user_id) DO UPDATE SET quantity = {tallied}, updated_at = $6",
            line_id, write.actor_id, command.quantity, stamp, command.quantity, stamp,
        )  # fmt: skip
        line = await counted_line(conn, line_id, write.actor_id)
        if line.my_tally >= quantities.MAX_QUANTITY:
            raise Invalid("That is more than the largest quantity allowed.", field="quantity")
        if product.tracks_serials:
            _refuse_more_than_one_unit(product, line.counted or Decimal(0), "quantity")
        if command.scan is not None:  # a count moves no stock: the scan is logged without a move
            await record_scan(
                conn, scan or ScanInfo(command.scan), user_id=write.actor_id, move_id=None, deferred=write.deferred
            )
        return line

    return await _run(command, run, actor_id, idempotency_key)


async def finish_bin(
    count_id: int, location_code: object, *, actor_id: int, idempotency_key: str | None = None
) -> FinishedBin:
    """Close a bin's counting: what was not scanned counts as 0; differences over the threshold want a recount."""
    location = LOCATION_CODE.key(location_code)
    if location is None:
        raise NotFound(f"There is no location {shown(str(location_code))}.", field="locationCode")
    command = FinishBin(count_id, location)

    async def run(write: Write) -> FinishedBin:
        conn = write.conn
        header = await open_count(conn, count_id)
        bin_ = await _bin(conn, header, location)
        if bin_["finished_at"] is not None:
            raise IllegalTransition(f"The bin {location} is already finished.", field="locationCode")
        if bin_["started_at"] is None:  # finished untouched: counted empty
            await _start(conn, header, bin_, write.actor_id)
        await sql.execute(conn, _EXPECT_NOW + " WHERE bin_id = $2 AND NOT EXISTS (SELECT 1 FROM count_tally"
                          " WHERE line_id = count_line.id)", bin_["location_id"], bin_["id"])  # fmt: skip
        lines = await sql.fetch(
            conn,
            "SELECT l.id, l.product_id, l.expected, (SELECT SUM(t.quantity) FROM count_tally t WHERE t.line_id = l.id)"
            " AS counted FROM count_line l WHERE l.bin_id = $1",
            bin_["id"],
        )
        costs = await unit_costs(conn, [int(r["product_id"]) for r in lines], header.warehouse_id)
        recount = [
            int(r["id"]) for r in lines
            if _over_threshold(header, _summed(r["counted"]) - quantities.from_db(r["expected"]),
                               costs[int(r["product_id"])])
        ]  # fmt: skip
        for chunk in sql.chunks(recount):
            await sql.execute(
                conn, f"UPDATE count_line SET recount_needed = TRUE WHERE id IN ({sql.placeholders(1, len(chunk))})",
                *chunk,
            )  # fmt: skip
        await sql.execute(
            conn, "UPDATE count_bin SET finished_at = $1, finished_by_id = $2 WHERE id = $3",
            now(), write.actor_id, bin_["id"],
        )  # fmt: skip
        return FinishedBin(location, len(lines), len(recount), header.blind)

    async def recall(stored: dict[str, Any]) -> FinishedBin:
        return FinishedBin(**stored)

    done = await execute(
        command, Effect(run, lambda b: Audited("count", count_id, {"finished": b.location_code}),
                        lambda b: {"location_code": b.location_code, "lines": b.lines,
                                   "recounts_needed": b.recounts_needed, "blind": b.blind}, recall),
        actor_id=actor_id, idempotency_key=idempotency_key,
    )  # fmt: skip
    return done.result


@dataclass(frozen=True)
class ReopenBin(Command):
    operation = "count.reopen_bin"
    count_id: int
    location: str


async def reopen_bin(count_id: int, location_code: object, *, actor_id: int, idempotency_key: str | None = None) -> str:
    """Count a bin again from the start (a supervisor's call: stock left it after it was started, say): what
    was counted there is dropped, and its next scan reads what it holds then."""
    location = LOCATION_CODE.key(location_code)
    if location is None:
        raise NotFound(f"There is no location {shown(str(location_code))}.", field="locationCode")

    async def run(write: Write) -> str:
        conn = write.conn
        header = await open_count(conn, count_id)
        bin_ = await _bin(conn, header, location)
        await sql.execute(
            conn, "DELETE FROM count_tally WHERE line_id IN (SELECT id FROM count_line WHERE bin_id = $1)", bin_["id"]
        )
        await sql.execute(conn, "DELETE FROM count_line WHERE bin_id = $1", bin_["id"])
        await sql.execute(
            conn, "UPDATE count_bin SET started_at = NULL, started_by_id = NULL, finished_at = NULL,"
            " finished_by_id = NULL WHERE id = $1", bin_["id"],
        )  # fmt: skip
        return location

    async def recall(stored: dict[str, Any]) -> str:
        return str(stored["location_code"])

    done = await execute(
        ReopenBin(count_id, location),
        Effect(run, lambda code: Audited("count", count_id, {"reopened": code}),
               lambda code: {"location_code": code}, recall),
        actor_id=actor_id, idempotency_key=idempotency_key,
    )  # fmt: skip
    return done.result


def recount_command(count_id: int, key: LineKey, quantity: object) -> Recount:
    return Recount(count_id, key, quantities.parse(quantity, allow_zero=True))


async def recount(command: Recount, *, actor_id: int, idempotency_key: str | None = None) -> CountedLine:
    """What a recount found of a line that asked for one: by a user who did not count that bin."""

    async def run(write: Write) -> CountedLine:
        conn = write.conn
        header = await open_count(conn, command.count_id)
        bin_ = await _bin(conn, header, command.key.location)
        if bin_["finished_at"] is None:
            raise Invalid(f"The bin {command.key.location} is still being counted: finish it first.",
                          field="locationCode")  # fmt: skip
        line_id, product = await _line(conn, header, bin_, command.key, create=False)
        line = await counted_line(conn, line_id, write.actor_id)
        if not line.recount_needed:  # says no more: a counter of a blind count may not learn what matched
            raise Invalid("No recount was asked for this line.", field="sku")
        if product.tracks_serials:
            _refuse_more_than_one_unit(product, command.quantity, "countedQuantity")
        counted_it = await sql.fetch_one(
            conn,
            "SELECT 1 AS yes FROM count_tally t JOIN count_line l ON l.id = t.line_id WHERE l.bin_id = $1"
            " AND t.user_id = $2",
            bin_["id"], write.actor_id,
        )  # fmt: skip
        if counted_it is not None or bin_["finished_by_id"] == write.actor_id:
            raise SameCounter("A recount is made by someone who did not count this bin.", field="countId")
        await sql.execute(
            conn, "UPDATE count_line SET recounted = $1, recounted_by_id = $2 WHERE id = $3",
            command.quantity, write.actor_id, line_id,
        )  # fmt: skip
        return await counted_line(conn, line_id, write.actor_id)

    return await _run(command, run, actor_id, idempotency_key)


async def _run(command: Command, run: Any, actor_id: int, key: str | None) -> CountedLine:
    async def recall(stored: dict[str, Any]) -> CountedLine:
        from server.db import connection

        return await counted_line(connection(), stored["line_id"], actor_id)

    done = await execute(
        command, Effect(run, lambda line: Audited("count_line", line.line_id), lambda line: {"line_id": line.line_id},
                        recall),
        actor_id=actor_id, idempotency_key=key,
    )  # fmt: skip
    return done.result  # type: ignore[no-any-return]


# A line expects what is on hand when it is first counted: what left or came between the bin's start and that
# scan was before the counter looked. A line nobody counted expects what is there when its bin is finished.
_EXPECT_NOW = (
    "UPDATE count_line SET expected = COALESCE((SELECT q.on_hand FROM quant q WHERE q.product_id ="
    " count_line.product_id AND q.location_id = $1 AND q.lot_id = count_line.lot_id"
    " AND q.package_id = count_line.package_id), 0)"
)


def _refuse_more_than_one_unit(product: Product, counted: Decimal, field: str) -> None:
    """A serial (or a serial product's line without one) is counted in whole units; a serial is one."""
    if counted != counted.to_integral_value() or counted > 1:
        raise Invalid(f"{product.sku} is tracked by serial: each serial is one unit, counted once.", field=field)


def _summed(value: object) -> Decimal:
    return Decimal(0) if value is None else quantities.from_db(value)


def _over_threshold(header: CountHeader, difference: Decimal, unit_cost: Decimal) -> bool:
    if difference == 0:
        return False
    if header.recount_units is not None and abs(difference) > header.recount_units:
        return True
    return header.recount_value is not None and abs(values.value_of(difference, unit_cost)) > header.recount_value


async def _bin(conn: BaseDBAsyncClient, header: CountHeader, location: str) -> dict[str, Any]:
    """The count's bin of that code, locked: scans of one bin take turns while the bin is started."""
    place = await sql.fetch_one(conn, "SELECT id FROM location WHERE code = $1", location)
    if place is None:
        raise NotFound(f"There is no location {location!r}.", field="locationCode")
    row = await sql.fetch_one(
        conn,
        "SELECT id, location_id, started_at, finished_at, finished_by_id FROM count_bin"
        " WHERE count_id = $1 AND location_id = $2 FOR UPDATE",
        header.id, int(place["id"]),
    )  # fmt: skip
    if row is None:
        raise Invalid(f"The location {location} is not a bin of this count.", field="locationCode")
    return row


async def _start(conn: BaseDBAsyncClient, header: CountHeader, bin_: dict[str, Any], actor_id: int | None) -> None:
    """Start a bin: what is on hand in it now is what its lines expect, read in one statement."""
    await sql.execute(
        conn,
        "INSERT INTO count_line (bin_id, product_id, lot_id, package_id, expected, recount_needed)"
        " SELECT $1, q.product_id, q.lot_id, q.package_id, q.on_hand, FALSE FROM quant q"
        " WHERE q.location_id = $2 AND CAST(q.on_hand AS NUMERIC) > 0 AND (NOT EXISTS (SELECT 1 FROM count_product"
        " WHERE count_id = $3) OR q.product_id IN (SELECT product_id FROM count_product WHERE count_id = $4))",
        bin_["id"], bin_["location_id"], header.id, header.id,
    )  # fmt: skip
    await sql.execute(
        conn, "UPDATE count_bin SET started_at = $1, started_by_id = $2 WHERE id = $3", now(), actor_id, bin_["id"]
    )


async def _line(
    conn: BaseDBAsyncClient, header: CountHeader, bin_: dict[str, Any], key: LineKey, *, create: bool
) -> tuple[int, Product]:
    """The id of the bin's line the key names, and its product; a scan of something the bin did not hold adds
    a line (expected 0)."""
    row = await sql.fetch_one(
        conn, "SELECT id, sku, tracks_lots, tracks_serials, is_archived FROM product WHERE sku = $1", key.sku
    )
    if row is None:
        raise NotFound(f"There is no product with SKU {key.sku!r}.", field="sku")
    product = Product(int(row["id"]), row["sku"], bool(row["tracks_lots"]), bool(row["is_archived"]),
                      bool(row["tracks_serials"]))  # fmt: skip
    limited = await sql.fetch_one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM count_product WHERE count_id = $1) AS limited,"
        " EXISTS (SELECT 1 FROM count_product WHERE count_id = $2 AND product_id = $3) AS listed",
        header.id, header.id, product.id,
    )  # fmt: skip
    if limited is not None and limited["limited"] and not limited["listed"]:
        raise Invalid(f"This count does not count {product.sku}.", field="sku")
    if product.tracks_lots and key.lot is None:
        raise Invalid(f"The product {product.sku} is tracked by lot: give the lot.", field="lot")
    if not product.tracks_lots and key.lot is not None:
        raise Invalid(f"The product {product.sku} is not tracked by lot.", field="lot")
    lot_id = NO_LOT
    if key.lot is not None:  # a lot the books never had, found on the shelf, is made so it can be booked
        lot = await (
            lot_for_receipt(conn, product, key.lot, LotDates()) if create else existing_lot(conn, product, key.lot)
        )
        lot_id = lot.id
    package_id = NO_PACKAGE
    if key.sscc is not None:
        package_id = await package_id_of(conn, key.sscc, field="packageSscc")
        where = await sql.fetch_one(conn, "SELECT location_id FROM package WHERE id = $1", package_id)
        if where is None or int(where["location_id"]) != int(bin_["location_id"]):
            raise Invalid(f"The package {key.sscc} is in another location: move it here first.", field="packageSscc")
    if create:
        await sql.execute(
            conn,
            "INSERT INTO count_line (bin_id, product_id, lot_id, package_id, expected, recount_needed)"
            " VALUES ($1, $2, $3, $4, 0, FALSE) ON CONFLICT (bin_id, product_id, lot_id, package_id) DO NOTHING",
            bin_["id"], product.id, lot_id, package_id,
        )  # fmt: skip
    found = await sql.fetch_one(
        conn, "SELECT id FROM count_line WHERE bin_id = $1 AND product_id = $2 AND lot_id = $3 AND package_id = $4",
        bin_["id"], product.id, lot_id, package_id,
    )  # fmt: skip
    if found is None:
        raise NotFound("That bin has no such line in this count.", field="sku")
    return int(found["id"]), product


_LINE = (
    "SELECT l.id, l.expected, l.recount_needed, l.recounted, loc.code AS location_code, p.sku, lot.code AS lot,"
    " (SELECT c.blind FROM stock_count c WHERE c.id = b.count_id) AS blind,"
    " pkg.sscc, (SELECT SUM(t.quantity) FROM count_tally t WHERE t.line_id = l.id) AS counted,"
    " (SELECT t.quantity FROM count_tally t WHERE t.line_id = l.id AND t.user_id = $1) AS mine"
    " FROM count_line l JOIN count_bin b ON b.id = l.bin_id JOIN location loc ON loc.id = b.location_id"
    " JOIN product p ON p.id = l.product_id LEFT JOIN lot ON lot.id = l.lot_id"
    " LEFT JOIN package pkg ON pkg.id = l.package_id WHERE l.id = $2"
)


async def counted_line(conn: BaseDBAsyncClient, line_id: int, user_id: int | None) -> CountedLine:
    row = await sql.fetch_one(conn, _LINE, user_id, line_id)  # in the order they appear (SQLite binds so)
    assert row is not None
    return CountedLine(
        line_id=int(row["id"]), location_code=row["location_code"], sku=row["sku"], lot=row["lot"],
        package_sscc=row["sscc"], expected=quantities.from_db(row["expected"]),
        counted=None if row["counted"] is None else quantities.from_db(row["counted"]),
        my_tally=_summed(row["mine"]), recount_needed=bool(row["recount_needed"]),
        recounted=None if row["recounted"] is None else quantities.from_db(row["recounted"]),
        blind=bool(row["blind"]),
    )  # fmt: skip
