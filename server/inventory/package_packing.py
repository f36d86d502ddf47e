"""Packing and unpacking: loose stock of a bin into a package there (moves of kind ``pack``, from package 0
to it), and out again (``unpack``), each a command of ``server.inventory.packages``' shape.

A line names a product, a quantity and perhaps a lot; without a lot, the product's removal strategy
picks them, as a posting does. Reserved stock is packed too (a packer packs what an order reserved):
the reservations it moved from are re-planned onto what is there, the package included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import now
from server.commands import Command, Write
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities, serials
from server.inventory.lookups import LotRef, Place, existing_lot, lookup, places_by_ids
from server.inventory.models import LOT_CODE, NO_PACKAGE
from server.inventory.package_booking import (
    PackageRow,
    Portion,
    book,
    holds_stock,
    lock_packages,
    package_id_of,
    relocate,
)
from server.inventory.packages import (
    PackageChange,
    clean_sscc,
    internal_location,
    location_key,
    named,
    run_command,
)
from server.inventory.periods import refuse_if_locked
from server.inventory.posting import Entry, Trail, lock_package_quants
from server.inventory.removal import allocate, default_strategy, needs_strategy, strategy_for
from server.scanning import ScanInfo
from server.text import shown

MAX_LINES = 100  # lines of one pack or unpack
MAX_CONTENTS = 100  # products and lots one package holds: its contents are listed, and moved, in one go


@dataclass(frozen=True)
class PackLine:
    sku: str
    quantity: Decimal
    lot: str | None = None


@dataclass(frozen=True)
class PackStock(Command):
    operation = "package.pack"
    sscc: str
    location: str | None
    lines: tuple[PackLine, ...]


@dataclass(frozen=True)
class UnpackStock(Command):
    operation = "package.unpack"
    sscc: str
    lines: tuple[PackLine, ...]  # none: everything the package itself holds


def _lines(lines: list[Any], *, required: bool) -> tuple[PackLine, ...]:
    """Each line's SKU, quantity and lot in canonical form, checked before the database sees them."""
    if required and not lines:
        raise Invalid("Give at least one line: what to pack.", field="lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"At most {MAX_LINES} lines at once.", field="lines")
    checked = []
    for index, line in enumerate(lines):
        sku = SKU.key(line.sku)
        if sku is None:
            raise NotFound(f"There is no product with SKU {shown(str(line.sku))}.", field=("lines", index, "sku"))
        lot = None
        if line.lot is not None and str(line.lot).strip():
            lot = LOT_CODE.key(line.lot)
            if lot is None:
                raise NotFound(f"There is no lot {shown(str(line.lot))} of {sku}.", field=("lines", index, "lot"))
        checked.append(PackLine(sku, quantities.parse(line.quantity, field=("lines", index, "quantity")), lot))
    return tuple(checked)


async def pack_stock(
    sscc: str, lines: list[Any], *, location_code: str | None = None, actor_id: int | None, idempotency_key: str,
    scan: ScanInfo | None = None,
) -> PackageChange:  # fmt: skip
    """Loose stock of the package's bin goes into the package (kind ``pack``, from package 0 to it).

    ``location_code``: where the package is; an empty one is taken there (a box picked up to pack)."""
    command = PackStock(
        clean_sscc(sscc), None if location_code is None else location_key(location_code, "locationCode"),
        _lines(lines, required=True),
    )  # fmt: skip

    async def run(write: Write, trail: Trail) -> PackageChange:
        return await _repack(write, trail, command.sscc, command.lines, pack=True, location=command.location)

    return await run_command(command, run, actor_id, idempotency_key, scan)


async def unpack_stock(
    sscc: str, lines: list[Any] | None = None, *, actor_id: int | None, idempotency_key: str,
    scan: ScanInfo | None = None,
) -> PackageChange:  # fmt: skip
    """Stock the package holds becomes loose stock of its bin (kind ``unpack``); no lines: all it holds itself
    (packages inside it stay there, with what they hold)."""
    command = UnpackStock(clean_sscc(sscc), _lines(lines or [], required=False))

    async def run(write: Write, trail: Trail) -> PackageChange:
        return await _repack(write, trail, command.sscc, command.lines, pack=False, location=None)

    return await run_command(command, run, actor_id, idempotency_key, scan)


async def _repack(
    write: Write, trail: Trail, sscc: str, lines: tuple[PackLine, ...], *, pack: bool, location: str | None
) -> PackageChange:
    conn, created_at = write.conn, now()
    package_id = await package_id_of(conn, sscc)
    package = (await lock_packages(conn, lambda: _just(package_id)))[package_id]
    if location is not None:
        package = await _take_empty_package_to(conn, package, location)
    place = (await places_by_ids(conn, {package.location_id}))[package.location_id]
    if not lines:
        lines = await _everything_in(conn, package)
    resolved = [await _resolve(conn, line, index, place) for index, line in enumerate(lines)]
    kind = "pack" if pack else "unpack"
    entries = [
        Entry(product, place, place, line.quantity, lot, kind)
        for (product, lot), line in zip(resolved, lines, strict=True)
    ]
    await refuse_if_locked(conn, trail.effective_at or created_at, {place.warehouse_id})
    await serials.refuse_impossible(conn, entries, at=[("lines", index, "lot") for index in range(len(entries))])
    source, target = (NO_PACKAGE, package_id) if pack else (package_id, NO_PACKAGE)
    locked = await lock_package_quants(conn, [e.product.id for e in entries], [place.id], [NO_PACKAGE, package_id])
    used: dict[tuple[int, int], Decimal] = {}  # (product, lot) -> taken by earlier lines
    portions: list[Portion] = []
    short: list[DomainError] = []
    where = place.code if pack else f"the {named(package)}"
    for index, entry in enumerate(entries):
        product = entry.product
        in_source = {
            key[2]: dataclasses.replace(quant, on_hand=quant.on_hand - used.get((product.id, key[2]), Decimal(0)))
            for key, quant in locked.items() if key[0] == product.id and key[3] == source
        }  # fmt: skip
        lot_id = entry.lot.id if entry.lot else None
        strategy = (await strategy_for(conn, product.id, place.id) if needs_strategy(in_source, lot_id)
                    else default_strategy(product.tracks_lots))  # fmt: skip
        try:
            taken = allocate(in_source, entry.quantity, lot_id, product.sku, where, strategy=strategy,
                             respect_reserved=False)  # fmt: skip
        except DomainError as error:  # short of stock, or too many lots at once
            short.append(error.at(("lines", index, "quantity")))
            continue
        for taken_lot, quantity in taken:
            used[(product.id, taken_lot)] = used.get((product.id, taken_lot), Decimal(0)) + quantity
            portions.append(Portion(entry, taken_lot, quantity, source, target))
    if short:
        raise short[0] if len(short) == 1 else ManyErrors(short)
    if pack:
        await _refuse_too_many_contents(conn, package, portions)
    moves = await book(conn, portions, locked, trail, created_at)
    return PackageChange(package_id, moves)


async def _just(package_id: int) -> set[int]:
    return {package_id}


async def _take_empty_package_to(conn: BaseDBAsyncClient, package: PackageRow, location: str) -> PackageRow:
    place = await internal_location(conn, location, "locationCode")
    if place.id == package.location_id:
        return package
    nested = await sql.fetch_one(conn, "SELECT id FROM package WHERE parent_id = $1 LIMIT 1", package.id)
    if package.parent_id is not None or nested is not None or await holds_stock(conn, {package.id}):
        raise Invalid(f"The {named(package)} is elsewhere, with what it holds: pack it there, or move it here first"
                      " (movePackage).", field="locationCode")  # fmt: skip
    await relocate(conn, {package.id}, place.id)
    return dataclasses.replace(package, location_id=place.id)


async def _everything_in(conn: BaseDBAsyncClient, package: PackageRow) -> tuple[PackLine, ...]:
    rows = await sql.fetch(
        conn,
        "SELECT product.sku, lot.code AS lot, quant.on_hand FROM quant JOIN product ON product.id = quant.product_id"
        " LEFT JOIN lot ON lot.id = quant.lot_id WHERE quant.package_id = $1 AND CAST(quant.on_hand AS NUMERIC) > 0"
        " ORDER BY quant.product_id, quant.lot_id",
        package.id,
    )
    if not rows:
        raise Invalid(f"The {named(package)} holds nothing to unpack.", field="sscc")
    return tuple(PackLine(r["sku"], quantities.from_db(r["on_hand"]), r["lot"]) for r in rows)


async def _resolve(conn: BaseDBAsyncClient, line: PackLine, index: int, place: Place) -> tuple[Any, LotRef | None]:
    """A line's product and lot, read as postings read them; their errors told on the line."""
    try:
        product, _ = await lookup(conn, line.sku, (place.code, "locationCode"), lot=line.lot)
        lot = await existing_lot(conn, product, line.lot) if line.lot else None
    except DomainError as error:
        field = error.field if isinstance(error.field, str) else "sku"
        raise error.at(("lines", index, field)) from None
    return product, lot


async def _refuse_too_many_contents(conn: BaseDBAsyncClient, package: PackageRow, portions: list[Portion]) -> None:
    rows = await sql.fetch(
        conn,
        "SELECT product_id, lot_id FROM quant WHERE package_id = $1 AND CAST(on_hand AS NUMERIC) > 0",
        package.id,
    )
    held = {(int(r["product_id"]), int(r["lot_id"])) for r in rows}
    held |= {(portion.entry.product.id, portion.lot_id) for portion in portions}
    if len(held) > MAX_CONTENTS:
        raise Invalid(f"A package holds at most {MAX_CONTENTS} products and lots: use another.", field="lines")
