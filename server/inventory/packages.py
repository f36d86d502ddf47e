"""Packages and pallets: a label (SSCC) registered, stock packed into it and unpacked out of it, a case
put on a pallet, and a pallet moved with everything on it in one move set.

Each is a command (``server.commands``): one transaction with its audit entry and, where the caller
gives one, its idempotency key. Stock in a package is on hand and available where the package is,
but only these operations take it in or out: a receipt, an issue, a move or a count of a product
deals in its loose stock, so a sale never empties a case by accident. Packing and unpacking are in
``package_packing``, the locks and the moves in ``package_booking``, what a package holds in
``package_contents``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from biip import ParseError
from biip.sscc import Sscc
from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import AlreadyExists, DomainError, ErrorCode, Field, Invalid, NotFound
from server.inventory import lots
from server.inventory.lookups import Place, places_by_ids
from server.inventory.models import LOCATION_CODE, LocationKind, PackageKind
from server.inventory.moves import Move, load_moves
from server.inventory.package_booking import (
    MAX_DEPTH,
    MAX_MOVES_PER_PACKAGE_MOVE,
    MAX_PACKAGES_PER_TREE,
    PackageRow,
    Portion,
    book,
    chain_ids,
    holds_stock,
    lock_packages,
    package_id_of,
    products_by_ids,
    relocate,
    tree_depths,
)
from server.inventory.periods import refuse_if_locked
from server.inventory.posting import Entry, Trail, lock_package_quants
from server.scanning import ScanInfo, record_scan
from server.text import shown


def sscc_key(value: object) -> str | None:
    """The SSCC ``value`` is (18 digits, the last a valid GS1 check digit), or None."""
    text = value.strip() if isinstance(value, str) else ""
    if len(text) != 18 or not (text.isascii() and text.isdigit()):
        return None
    try:
        Sscc.parse(text)
    except ParseError:
        return None
    return text


def clean_sscc(value: object, field: Field = "sscc") -> str:
    key = sscc_key(value)
    if key is not None:
        return key
    text = value.strip() if isinstance(value, str) else ""
    if len(text) == 18 and text.isascii() and text.isdigit():
        raise Invalid(f"{text} is no SSCC: its last digit is not the check digit of the others.", field=field)
    raise Invalid(f"{shown(str(value))} is no SSCC: an SSCC is 18 digits, the last a check digit.", field=field)


@dataclass(frozen=True)
class PackageChange:
    """What a package operation did: the package it names, the moves it wrote, and whether it replays."""

    package_id: int
    moves: list[Move]
    replayed: bool = False


@dataclass(frozen=True)
class CreatePackage(Command):
    operation = "package.create"
    sscc: str
    kind: str
    location: str
    parent: str | None


@dataclass(frozen=True)
class NestPackage(Command):
    operation = "package.nest"
    sscc: str
    parent: str | None


@dataclass(frozen=True)
class MovePackage(Command):
    operation = "package.move"
    sscc: str
    to_location: str
    from_location: str | None


def location_key(value: object, field: str) -> str:
    """A location code in canonical form; NOT_FOUND at ``field`` for one no location can have."""
    code = LOCATION_CODE.key(value)
    if code is None:
        raise NotFound(f"There is no location {shown(str(value))}.", field=field)
    return code


async def internal_location(conn: BaseDBAsyncClient, code: str, field: str) -> Place:
    """A real location (a bin) by its code, held FOR SHARE as postings hold theirs."""
    row = await sql.fetch_one(conn, "SELECT id, kind FROM location WHERE code = $1", code)
    if row is None:
        raise NotFound(f"There is no location {code}.", field=field)
    if row["kind"] != LocationKind.INTERNAL:
        raise Invalid(f"The location {code} cannot hold stock.", field=field)
    return (await places_by_ids(conn, {int(row["id"])}))[int(row["id"])]


def named(package: PackageRow) -> str:
    """How a message names a package: "the pallet 0..."."""
    return f"{package.kind} {package.sscc}"


async def run_command(
    command: Command,
    run: Callable[[Write, Trail], Awaitable[PackageChange]],
    actor_id: int | None,
    key: str | None,
    scan: ScanInfo | None = None,
) -> PackageChange:
    """Run a package operation as a command: audited with its moves, the scan kept, subscribers told after."""

    async def effect(write: Write) -> PackageChange:
        effective_at = scan.scanned_at if scan is not None else None
        done = await run(write, Trail(actor_id=write.actor_id, key=write.idempotency_key, effective_at=effective_at))
        if scan is not None:
            await record_scan(
                write.conn, scan, user_id=write.actor_id, move_id=done.moves[0].id if done.moves else None
            )
        changed = {move.product_id for move in done.moves}
        write.after_commit(lambda: _tell_subscribers(changed))
        return done

    def audited(done: PackageChange) -> Audited:
        return Audited("package", done.package_id, {**command.request(), "moves": [m.id for m in done.moves]})

    def remember(done: PackageChange) -> dict[str, Any]:
        return {"package_id": done.package_id, "move_ids": [m.id for m in done.moves]}

    async def recall(stored: dict[str, Any]) -> PackageChange:
        return PackageChange(stored["package_id"], await load_moves(stored["move_ids"]))

    done = await execute(command, Effect(effect, audited, remember, recall), actor_id=actor_id, idempotency_key=key)
    return dataclasses.replace(done.result, replayed=done.replayed)


def _tell_subscribers(product_ids: set[int]) -> None:
    for product_id in product_ids:
        events.publish_stock_changed(product_id)


# ---- labels and nesting ----


async def create_package(
    sscc: str, kind: str, location_code: str, *, parent_sscc: str | None = None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> PackageChange:  # fmt: skip
    """Register a package's label in a bin (on a pallet there, when ``parent_sscc`` names one): it holds nothing yet."""
    try:
        package_kind = PackageKind(kind)
    except ValueError:
        raise Invalid(f"A package is one of {', '.join(k.value for k in PackageKind)}.", field="kind") from None
    command = CreatePackage(
        clean_sscc(sscc), package_kind.value, location_key(location_code, "locationCode"),
        None if parent_sscc is None else clean_sscc(parent_sscc, "parentSscc"),
    )  # fmt: skip

    async def run(write: Write, trail: Trail) -> PackageChange:
        conn = write.conn
        place = await internal_location(conn, command.location, "locationCode")
        parent_id = None
        if command.parent is not None:
            parent_id = await package_id_of(conn, command.parent, "parentSscc")
            chain = await lock_packages(conn, lambda: _chain(conn, parent_id))
            parent = chain[parent_id]
            if parent.location_id != place.id:
                raise Invalid(f"The {named(parent)} is not in {place.code}: a package on it is where it is.",
                              field="locationCode")  # fmt: skip
            await _refuse_too_big(conn, chain, parent_id, {0: 0})
        row = await sql.fetch_one(
            conn,
            "INSERT INTO package (sscc, kind, parent_id, location_id, created_at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (sscc) DO NOTHING RETURNING id",
            command.sscc, command.kind, parent_id, place.id, now(),
        )  # fmt: skip
        if row is None:
            raise AlreadyExists(f"The SSCC {command.sscc} is already the label of a package.", field="sscc")
        return PackageChange(int(row["id"]), [])

    return await run_command(command, run, actor_id, idempotency_key)


async def _chain(conn: BaseDBAsyncClient, package_id: int) -> set[int]:
    return set(await chain_ids(conn, package_id))


async def _refuse_too_big(
    conn: BaseDBAsyncClient, chain: dict[int, PackageRow], parent_id: int, joining: dict[int, int]
) -> None:
    """Refuse putting the packages ``joining`` (id -> depth below the one put in) into ``parent_id``, whose
    packages up to the outermost are ``chain`` (held), when the tree would grow too deep or too big."""
    levels = len(await chain_ids(conn, parent_id)) + 1 + max(joining.values())
    if levels > MAX_DEPTH:
        raise Invalid(f"Packages nest at most {MAX_DEPTH} deep (a pallet of cases of boxes is 3).", field="parentSscc")
    outermost = next(p for p in chain.values() if p.parent_id is None or p.parent_id not in chain)
    if len(await tree_depths(conn, outermost.id)) + len(joining) > MAX_PACKAGES_PER_TREE:
        raise Invalid(f"At most {MAX_PACKAGES_PER_TREE} packages go on one {outermost.kind}.", field="parentSscc")


async def nest_package(
    sscc: str, parent_sscc: str | None, *, actor_id: int | None, idempotency_key: str | None = None
) -> PackageChange:
    """Put a package into or onto another in the same bin (a case on a pallet), or take it off (no parent).

    An empty package follows its new parent wherever that is; one holding stock must be moved there first."""
    command = NestPackage(clean_sscc(sscc), None if parent_sscc is None else clean_sscc(parent_sscc, "parentSscc"))

    async def run(write: Write, trail: Trail) -> PackageChange:
        conn = write.conn
        child_id = await package_id_of(conn, command.sscc)
        parent_id = None if command.parent is None else await package_id_of(conn, command.parent, "parentSscc")

        async def wanted() -> set[int]:
            return set(await tree_depths(conn, child_id)) | (await _chain(conn, parent_id) if parent_id else set())

        held = await lock_packages(conn, wanted)
        child, below = held[child_id], await tree_depths(conn, child_id)
        if child.parent_id == parent_id:
            return PackageChange(child_id, [])
        if parent_id is not None:
            parent = held[parent_id]
            if parent_id in below:
                raise Invalid(f"The {named(child)} cannot go into itself or into a package inside it.",
                              field="parentSscc")  # fmt: skip
            await _refuse_too_big(conn, {i: held[i] for i in await _chain(conn, parent_id)}, parent_id, below)
            if parent.location_id != child.location_id:
                if await holds_stock(conn, set(below)):
                    raise Invalid(f"The {named(child)} holds stock elsewhere than the {named(parent)}: move it there"
                                  " first (movePackage).", field="parentSscc")  # fmt: skip
                await relocate(conn, set(below), parent.location_id)
        await sql.execute(conn, "UPDATE package SET parent_id = $1 WHERE id = $2", parent_id, child_id)
        return PackageChange(child_id, [])

    return await run_command(command, run, actor_id, idempotency_key)


# ---- moving a package with all it holds ----


async def move_package(
    sscc: str, to_location_code: str, *, from_location_code: str | None = None, actor_id: int | None,
    idempotency_key: str, scan: ScanInfo | None = None,
) -> PackageChange:  # fmt: skip
    """The package, every package in it and all they hold go to another bin, in one transaction: one move
    per product, lot and package (kind ``move``), the package rows following.

    ``from_location_code``: where the caller saw it; when it is no longer there (someone moved it meanwhile),
    STALE and nothing moves."""
    command = MovePackage(
        clean_sscc(sscc), location_key(to_location_code, "toLocationCode"),
        None if from_location_code is None else location_key(from_location_code, "fromLocationCode"),
    )  # fmt: skip

    async def run(write: Write, trail: Trail) -> PackageChange:
        conn, created_at = write.conn, now()
        root_id = await package_id_of(conn, command.sscc)
        held = await lock_packages(conn, lambda: _tree(conn, root_id))
        root = held[root_id]
        if root.parent_id is not None:
            parent = await sql.fetch_one(conn, "SELECT sscc, kind FROM package WHERE id = $1", root.parent_id)
            assert parent is not None
            raise Invalid(f"The {named(root)} is in the {parent['kind']} {parent['sscc']}: take it off first"
                          " (nestPackage without a parent), or move that one.", field="sscc")  # fmt: skip
        target = await internal_location(conn, command.to_location, "toLocationCode")
        source = (await places_by_ids(conn, {root.location_id}))[root.location_id]
        if command.from_location is not None and command.from_location != source.code:
            raise DomainError(f"The {named(root)} is in {source.code} now, not {command.from_location}: someone"
                              " moved it meanwhile.", field="fromLocationCode", code=ErrorCode.STALE)  # fmt: skip
        if target.id == source.id:
            raise Invalid(f"The {named(root)} is already in {source.code}.", field="toLocationCode")
        await refuse_if_locked(conn, trail.effective_at or created_at, {source.warehouse_id, target.warehouse_id})
        rows = await sql.fetch(
            conn,
            f"SELECT DISTINCT product_id FROM quant WHERE package_id IN ({sql.placeholders(1, len(held))})"
            " AND CAST(on_hand AS NUMERIC) > 0",
            *sorted(held),
        )
        products = await products_by_ids(conn, {int(r["product_id"]) for r in rows})
        locked = await lock_package_quants(conn, list(products), [source.id, target.id], list(held))
        portions = [
            Portion(Entry(products[key[0]], source, target, quant.on_hand, None, "move"), key[2], quant.on_hand,
                    key[3], key[3])
            for key, quant in locked.items() if key[1] == source.id and quant.on_hand > 0
        ]  # fmt: skip
        removal_dates = {key[2]: q.removal_on for key, q in locked.items() if key[1] == source.id and q.on_hand > 0}
        await lots.refuse_moving_expired(conn, named(root), removal_dates, write.actor_id, at="sscc")
        if len(portions) > MAX_MOVES_PER_PACKAGE_MOVE:
            raise Invalid(f"The {named(root)} holds more than {MAX_MOVES_PER_PACKAGE_MOVE} products, lots and"
                          " packages to move at once: take some packages off first.", field="sscc")  # fmt: skip
        moves = await book(conn, portions, locked, trail, created_at)
        await relocate(conn, set(held), target.id)
        return PackageChange(root_id, moves)

    return await run_command(command, run, actor_id, idempotency_key, scan)


async def _tree(conn: BaseDBAsyncClient, root_id: int) -> set[int]:
    return set(await tree_depths(conn, root_id))
