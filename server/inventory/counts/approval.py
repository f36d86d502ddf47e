"""Reviewing and approving a count: every difference with its value, every problem at once, one posting.

A line's difference is counted - expected, where counted is the recount when one was asked for, else the
counters' tallies summed (0 when nobody scanned it). Approval books each difference between the bin and
inventory loss/gain, applied to the on hand found at approval (moves made while the bin was counted
stay as they were), in one ``post_all``: all lines or none. It refuses, reporting all of them: a bin not
finished, a recount not made, a difference that would take a bin below zero (the stock it counted has
since left), and whatever the ledger refuses (a period locked, a serial in two places).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.clock import now
from server.commands import Command, Write
from server.documents import service
from server.documents.models import Document, DocumentLine
from server.documents.stock import products_for_posting
from server.errors import DomainError, ErrorCode, Invalid, ManyErrors, NotFound
from server.inventory import quantities, serials
from server.inventory.counts.header import APPROVE, CANCEL, COUNT, CountHeader, read_header
from server.inventory.counts.lines import Difference, lines_of
from server.inventory.lookups import LotRef, places_by_ids, virtual
from server.inventory.models import NO_LOT, NO_PACKAGE, LocationKind
from server.inventory.package_booking import Portion, book, lock_packages
from server.inventory.periods import refuse_if_locked
from server.inventory.posting import Entry, Source, Trail, lock_package_quants, post_all

ZERO = Decimal(0)


@dataclass(frozen=True)
class ApproveCount(Command):
    operation = "count.approve"
    count_id: int
    version: int | None


@dataclass(frozen=True)
class CancelCount(Command):
    operation = "count.cancel"
    count_id: int
    version: int | None


def bookable(lines: Sequence[Difference]) -> list[Difference]:
    """The lines whose difference is booked, those taking stock out first (a serial counted in another bin of
    the count leaves its old one before it arrives). A product and lot counted in a package of a bin rather
    than loose there (or the other way: packed or unpacked while the bin was counted) is no difference when
    the bin holds in all what it held."""
    changed = [line for line in lines if line.difference != 0]
    groups: dict[tuple[int, int, int], list[Difference]] = defaultdict(list)
    for line in changed:
        groups[(line.product_id, line.location_id, line.lot_id)].append(line)
    kept = [
        line
        for group in groups.values()
        if len({line.package_id for line in group}) == 1 or sum((line.difference for line in group), ZERO) != 0
        for line in group
    ]
    return sorted(kept, key=lambda line: (line.difference > 0, line.line_id))


async def problems(conn: BaseDBAsyncClient, header: CountHeader, lines: Sequence[Difference]) -> list[DomainError]:
    """Everything that stops the count's approval now: unfinished bins, missing recounts, a serial counted more
    than once, an archived product found, a locked period, bins it would empty below zero (on hand read now;
    the approval reads it again under its locks, with the ledger's own checks)."""
    found: list[DomainError] = []
    unfinished = await sql.fetch(
        conn,
        "SELECT loc.code FROM count_bin b JOIN location loc ON loc.id = b.location_id WHERE b.count_id = $1"
        " AND b.finished_at IS NULL ORDER BY loc.code",
        header.id,
    )
    for row in unfinished:
        found.append(Invalid(f"The bin {row['code']} is not finished.", field=("bins", row["code"])))
    for line in lines:
        if line.recount_needed and line.recounted is None:
            found.append(Invalid(f"{line.named} waits for its recount.", field=("bins", line.location_code)))
    booked = bookable(lines)
    for line in booked:
        if line.archived and line.difference > 0:
            found.append(Invalid(f"{line.named}: the product is archived and takes no new stock; restore it first.",
                                 field=("bins", line.location_code)))  # fmt: skip
    packages = sorted({line.package_id for line in booked if line.package_id != NO_PACKAGE})
    if packages:
        rows = await sql.fetch(
            conn, f"SELECT id, location_id FROM package WHERE id IN ({sql.placeholders(1, len(packages))})", *packages
        )
        where = {int(r["id"]): int(r["location_id"]) for r in rows}
        for line in booked:
            if line.package_id != NO_PACKAGE and where.get(line.package_id) != line.location_id:
                found.append(Invalid(f"{line.named}: the package was moved since it was counted; count the bin"
                                     " again (reopenCountBin).", field=("bins", line.location_code)))  # fmt: skip
    try:
        await refuse_if_locked(conn, now(), {header.warehouse_id})
    except DomainError as locked:
        found.append(locked.at("id"))
    changing = [line for line in booked if line.difference < 0]
    on_hand = await _on_hand(conn, changing)
    for line in changing:
        now_there = on_hand.get((line.product_id, line.location_id, line.lot_id, line.package_id), ZERO)
        if now_there + line.difference < 0:
            found.append(
                DomainError(
                    f"{line.named}: {now_there} are there now, and the count takes away {-line.difference}"
                    " (the stock counted has left since the bin was started): count the bin again (reopenCountBin).",
                    field=("bins", line.location_code), code=ErrorCode.INSUFFICIENT_STOCK,
                )
            )  # fmt: skip
    return found


async def _on_hand(conn: BaseDBAsyncClient, lines: Sequence[Difference]) -> dict[tuple[int, int, int, int], Decimal]:
    found: dict[tuple[int, int, int, int], Decimal] = {}
    locations = sorted({line.location_id for line in lines})
    for chunk in sql.chunks(locations):
        rows = await sql.fetch(
            conn,
            "SELECT product_id, location_id, lot_id, package_id, on_hand FROM quant"
            f" WHERE location_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )
        for r in rows:
            key = (int(r["product_id"]), int(r["location_id"]), int(r["lot_id"]), int(r["package_id"]))
            found[key] = quantities.from_db(r["on_hand"])
    return found


async def approve(
    count_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Book every difference of the count in one posting and free its bins; refused with every problem at once."""

    async def book(write: Write, document: Document, _: list[DocumentLine]) -> None:
        conn = write.conn
        header = await read_header(conn, count_id, document.state)
        lines = await lines_of(conn, header)
        found = await problems(conn, header, lines)
        if found:
            raise ManyErrors(found)
        booked = bookable(lines)
        loose = [line for line in booked if line.package_id == NO_PACKAGE]
        packed = [line for line in booked if line.package_id != NO_PACKAGE]
        trail = Trail(actor_id=write.actor_id, key=write.idempotency_key)
        refused: list[DomainError] = []  # the loose posting's refusals must not hide the packed one's
        for some, booker in ((loose, _post_loose), (packed, _post_packed)):
            if not some:
                continue
            try:
                await booker(conn, header, some, await _entries(conn, count_id, some), trail)
            except ManyErrors as many:
                refused += [_on_line(error, some) for error in many.errors]
            except DomainError as one:
                refused.append(_on_line(one, some))
        if refused:
            raise ManyErrors(refused)
        changed = loose + packed
        await _free_bins(conn, count_id)
        product_ids = {line.product_id for line in changed}

        def tell_subscribers() -> None:
            for product_id in product_ids:
                events.publish_stock_changed(product_id)

        write.after_commit(tell_subscribers)

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        return await service.transition(write, document, APPROVE, book)

    return await service.write_document(ApproveCount(count_id, version), count_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def cancel(
    count_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Drop a count: nothing is booked, and its bins are free for another count."""

    async def free(write: Write, document: Document, _: list[DocumentLine]) -> None:
        await _free_bins(write.conn, count_id)

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        return await service.transition(write, document, CANCEL, free)

    return await service.write_document(CancelCount(count_id, version), count_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


def _refuse_other_types(document: Document) -> None:
    if document.type != COUNT:
        raise NotFound("There is no such count.", field="id")


async def _free_bins(conn: BaseDBAsyncClient, count_id: int) -> None:
    await sql.execute(conn, "DELETE FROM bin_under_count WHERE count_id = $1", count_id)


async def _entries(conn: BaseDBAsyncClient, count_id: int, changed: list[Difference]) -> list[Entry]:
    """One adjusting entry per line that differs: to the bin from inventory loss/gain, or the other way."""
    products = await products_for_posting(conn, {line.product_id for line in changed})
    places = await places_by_ids(conn, {line.location_id for line in changed})
    loss = await virtual(conn, LocationKind.INVENTORY_LOSS)
    lots = await _lots(conn, {line.lot_id for line in changed if line.lot_id != NO_LOT})
    entries = []
    for line in changed:
        bin_ = places[line.location_id]
        source, target = (loss, bin_) if line.difference > 0 else (bin_, loss)
        entries.append(
            Entry(products[line.product_id], source, target, abs(line.difference), lots.get(line.lot_id), "adjust",
                  "count", origin=Source(COUNT, count_id, line.line_id))
        )  # fmt: skip
    return entries


async def _lots(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, LotRef]:
    found: dict[int, LotRef] = {}
    wanted = sorted(ids)
    for chunk in sql.chunks(wanted):
        rows = await sql.fetch(
            conn,
            "SELECT id, code, expires_on, COALESCE(removal_on, expires_on) AS removal_on FROM lot"
            f" WHERE id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )
        for r in rows:
            found[int(r["id"])] = LotRef(int(r["id"]), r["code"], sql.as_date(r["expires_on"]),
                                         sql.as_date(r["removal_on"]))  # fmt: skip
    return found


async def _post_loose(
    conn: BaseDBAsyncClient, header: CountHeader, lines: list[Difference], entries: list[Entry], trail: Trail
) -> None:
    await post_all(conn, entries, trail)


async def _post_packed(
    conn: BaseDBAsyncClient, header: CountHeader, lines: list[Difference], entries: list[Entry], trail: Trail
) -> None:
    """Differences inside packages: into or out of the package's quant, from or to inventory loss/gain.

    The packages are locked first, then their quants, as every booking of packages does; a package moved
    away from the bin since it was counted is refused."""
    created_at = now()
    await refuse_if_locked(conn, created_at, {header.warehouse_id})
    await serials.refuse_impossible(conn, entries, at=[("lines", index, "lot") for index in range(len(entries))])
    wanted = {line.package_id for line in lines}
    packages = await lock_packages(conn, lambda: _just(wanted))
    locked = await lock_package_quants(
        conn, [e.product.id for e in entries], [line.location_id for line in lines], [NO_PACKAGE, *wanted]
    )
    portions: list[Portion] = []
    problems: list[DomainError] = []
    for index, (line, entry) in enumerate(zip(lines, entries, strict=True)):
        if packages[line.package_id].location_id != line.location_id:
            problems.append(Invalid("The package was moved since it was counted.", field=("lines", index, "sku")))
            continue
        if line.difference > 0:
            portions.append(Portion(entry, line.lot_id, line.difference, NO_PACKAGE, line.package_id))
            continue
        quant = locked.get((line.product_id, line.location_id, line.lot_id, line.package_id))
        if quant is None or quant.on_hand < -line.difference:
            there = quant.on_hand if quant is not None else ZERO
            message = f"{there} are there now, and the count takes away {-line.difference}."
            problems.append(DomainError(message, field=("lines", index, "quantity"), code=ErrorCode.INSUFFICIENT_STOCK))
            continue
        portions.append(Portion(entry, line.lot_id, -line.difference, line.package_id, NO_PACKAGE))
    if problems:
        raise ManyErrors(problems)
    await book(conn, portions, locked, trail, created_at)


async def _just(ids: set[int]) -> set[int]:
    return ids


def _on_line(error: DomainError, changed: list[Difference]) -> DomainError:
    """A posting's refusal of entry i, told on the count line it came from."""
    field = error.field
    if isinstance(field, tuple) and len(field) >= 2 and field[0] == "lines" and isinstance(field[1], int):
        line = changed[field[1]]
        return DomainError(f"{line.named}: {error.message}", field=("bins", line.location_code), code=error.code)
    return error
