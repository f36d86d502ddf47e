"""Booking stock into, out of and with packages: the package rows' locks, and the moves between quants.

A package's contents are quants keyed by its id (``quant.package_id``); loose stock is package 0.
Every write that changes what a package holds, or where it is, locks the package rows it touches
FOR UPDATE, in id order, before any quant: so two of them on one package wait for each other, and
the set of packages nested in one cannot change while it is moved. Quants are then locked in the
ledger's order (product, location, lot, package) by ``posting.lock_package_quants``. Plain postings
lock loose quants only, so they never wait for a package's.

``book`` writes one move per portion, as a posting does: priced by ``Books`` (a move between two
warehouses takes its value from one bucket to the other, within one it carries its cost and changes
no value), with the reservations it hits re-planned (``replan.after_posting``), the limits of a bin
it fills checked (``capacity.refusals``) and the whereabouts of the serials it moves kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.errors import DomainError, Field, Invalid, ManyErrors, NotFound
from server.inventory import capacity, history, quantities, replan, serials
from server.inventory.lookups import Product
from server.inventory.models import NO_LOT
from server.inventory.moves import Move
from server.inventory.posting import Entry, Quant, QuantKey, Trail, arrive, insert_move, new_package_quant
from server.inventory.valuation.books import Books

# Nesting: a pallet of cases of boxes is 3 levels; a few more leave room, far more is a mistake.
MAX_DEPTH = 5
# Packages in one tree (a pallet and everything on it): all move in one transaction.
MAX_PACKAGES_PER_TREE = 200
# Moves one package move writes (one per product, lot and package it holds): one transaction's worth.
MAX_MOVES_PER_PACKAGE_MOVE = 2000


@dataclass(frozen=True)
class PackageRow:
    id: int
    sscc: str
    kind: str
    parent_id: int | None
    location_id: int


_COLUMNS = "id, sscc, kind, parent_id, location_id"


def _row(r: dict[str, Any]) -> PackageRow:
    parent = r["parent_id"]
    return PackageRow(
        int(r["id"]), r["sscc"], r["kind"], None if parent is None else int(parent), int(r["location_id"])
    )


async def package_id_of(conn: BaseDBAsyncClient, sscc: str, field: Field = "sscc") -> int:
    """The id of the package with this label; NOT_FOUND at ``field`` for one never registered."""
    row = await sql.fetch_one(conn, "SELECT id FROM package WHERE sscc = $1", sscc)
    if row is None:
        raise NotFound(f"There is no package {sscc}: register its label first (createPackage).", field=field)
    return int(row["id"])


async def tree_depths(conn: BaseDBAsyncClient, root_id: int) -> dict[int, int]:
    """The package (depth 0) and every package nested in it, with how deep (bounded: a cycle cannot loop)."""
    rows = await sql.fetch(
        conn,
        "WITH RECURSIVE tree (id, depth) AS (SELECT id, 0 FROM package WHERE id = $1 UNION ALL"
        " SELECT package.id, tree.depth + 1 FROM package JOIN tree ON package.parent_id = tree.id"
        " WHERE tree.depth < $2) SELECT id, depth FROM tree",
        root_id, MAX_DEPTH + 1,
    )  # fmt: skip
    return {int(r["id"]): int(r["depth"]) for r in rows}


async def chain_ids(conn: BaseDBAsyncClient, package_id: int) -> list[int]:
    """The package and the packages it is in, innermost first."""
    rows = await sql.fetch(
        conn,
        "WITH RECURSIVE chain (id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM package WHERE id = $1"
        " UNION ALL SELECT package.id, package.parent_id, chain.depth + 1 FROM package"
        " JOIN chain ON package.id = chain.parent_id WHERE chain.depth < $2) SELECT id FROM chain ORDER BY depth",
        package_id, MAX_DEPTH + 1,
    )  # fmt: skip
    return [int(r["id"]) for r in rows]


async def lock_packages(conn: BaseDBAsyncClient, wanted: Callable[[], Awaitable[set[int]]]) -> dict[int, PackageRow]:
    """Lock the packages ``wanted`` names FOR UPDATE in id order, until what it names is all locked: a
    package nested or taken out meanwhile changes the set (its parent is among the rows that change it)."""
    locked: dict[int, PackageRow] = {}  # rows read as they were locked: nobody changes them after
    ids = await wanted()
    while not ids <= locked.keys():
        missing = sorted(ids - locked.keys())
        rows = await sql.fetch(
            conn,
            f"SELECT {_COLUMNS} FROM package WHERE id IN ({sql.placeholders(1, len(missing))}) ORDER BY id FOR UPDATE",
            *missing,
        )
        locked.update({int(r["id"]): _row(r) for r in rows})
        ids = await wanted()
    return {package_id: locked[package_id] for package_id in ids}


async def holds_stock(conn: BaseDBAsyncClient, package_ids: set[int]) -> bool:
    if not package_ids:
        return False
    row = await sql.fetch_one(
        conn,
        f"SELECT 1 AS held FROM quant WHERE package_id IN ({sql.placeholders(1, len(package_ids))})"
        " AND CAST(on_hand AS NUMERIC) > 0 LIMIT 1",
        *sorted(package_ids),
    )
    return row is not None


async def relocate(conn: BaseDBAsyncClient, package_ids: set[int], location_id: int) -> None:
    await sql.execute(
        conn,
        f"UPDATE package SET location_id = $1 WHERE id IN ({sql.placeholders(2, len(package_ids))})",
        location_id, *sorted(package_ids),
    )  # fmt: skip


async def products_by_ids(conn: BaseDBAsyncClient, ids: set[int]) -> dict[int, Product]:
    """Products as postings need them, held FOR SHARE as ``lookups.lookup`` holds them."""
    if not ids:
        return {}
    rows = await sql.fetch(
        conn,
        "SELECT id, sku, tracks_lots, is_archived, tracks_serials FROM product"
        f" WHERE id IN ({sql.placeholders(1, len(ids))}) ORDER BY id FOR SHARE",
        *sorted(ids),
    )
    return {
        int(r["id"]): Product(id=int(r["id"]), sku=r["sku"], tracks_lots=bool(r["tracks_lots"]),
                              archived=bool(r["is_archived"]), tracks_serials=bool(r["tracks_serials"]))
        for r in rows
    }  # fmt: skip


@dataclass(frozen=True)
class Portion:
    """``quantity`` of one lot of ``entry``'s product, from one package to another (NO_PACKAGE: loose)."""

    entry: Entry
    lot_id: int
    quantity: Decimal
    from_package: int
    to_package: int

    @property
    def source(self) -> QuantKey:
        return (self.entry.product.id, self.entry.source.id, self.lot_id, self.from_package)

    @property
    def target(self) -> QuantKey:
        return (self.entry.product.id, self.entry.target.id, self.lot_id, self.to_package)


async def book(
    conn: BaseDBAsyncClient,
    portions: list[Portion],
    locked: dict[QuantKey, Quant],
    trail: Trail,
    created_at: datetime,
    *,
    refused_at: str = "toLocationCode",
) -> list[Move]:
    """Write the portions' moves and quants (``locked``: every source quant, locked by the caller; a virtual
    source or target, as a count's difference has, holds no quant).

    Capacity refusals of the bin the stock goes to are told at ``refused_at``."""
    for portion in portions:  # new quants before the cost buckets: quants are always locked first
        if portion.entry.target.holds_stock and portion.target not in locked:
            locked[portion.target] = await new_package_quant(conn, portion.target)
    books = Books.of([portion.entry for portion in portions])
    lot_codes = await _lot_codes(conn, {portion.lot_id for portion in portions})
    effective_at = trail.effective_at or created_at
    moves: list[Move] = []
    for portion in portions:
        entry = portion.entry  # one side may be virtual: a count's difference inside a package
        source = locked[portion.source] if entry.source.holds_stock else None
        target = locked[portion.target] if entry.target.holds_stock else None
        if source is not None:
            source.on_hand -= portion.quantity
            source.changed = True
        if target is not None:
            arrive(target, source.in_date if source is not None else effective_at)
            target.on_hand += portion.quantity
            target.changed = True
            if target.on_hand >= quantities.MAX_QUANTITY:
                raise Invalid("The package would hold more than the largest quantity allowed.", field="quantity")
        cost = await books.price(conn, entry, portion.quantity)
        packages = (portion.from_package, portion.to_package)
        move_id = await insert_move(conn, entry, portion.lot_id, portion.quantity, cost, trail, created_at,
                                    packages=packages)  # fmt: skip
        books.booked(move_id)
        if entry.product.tracks_serials and portion.lot_id != NO_LOT and entry.source.id != entry.target.id:
            await serials.record_whereabouts(conn, portion.lot_id, entry.target.id)
        moves.append(
            Move(
                id=move_id, product_id=entry.product.id, sku=entry.product.sku, quantity=portion.quantity,
                from_location_id=entry.source.id, from_location_code=entry.source.code,
                to_location_id=entry.target.id, to_location_code=entry.target.code, lot_id=portion.lot_id or None,
                lot_code=lot_codes.get(portion.lot_id), kind=entry.kind, reason=entry.reason,
                user_id=trail.actor_id, created_at=created_at, effective_at=effective_at, unit_cost=cost.unit_cost,
                value=cost.value,
            )
        )  # fmt: skip
    taken = [
        history.Taking(portion.source, effective_at, portion.quantity, locked[portion.source].on_hand,
                       portion.entry.product.sku, portion.entry.source.code, lot_codes.get(portion.lot_id), "quantity")
        for portion in portions if portion.entry.source.holds_stock
    ]  # fmt: skip
    past = await history.refuse_short_past(conn, taken)  # every source quant is locked
    if past:
        raise _one_or_many(past)
    by_product: dict[int, dict[int, dict[int, Quant]]] = {}
    for (product_id, location_id, _, _), quant in locked.items():
        by_product.setdefault(product_id, {}).setdefault(location_id, {})[quant.id] = quant
    await replan.after_posting(conn, by_product)  # reserved never above on hand
    leaving = [portion.entry for portion in portions if portion.entry.source.id != portion.entry.target.id]
    refusals = await capacity.refusals(conn, leaving)  # last: its lock is held until the commit
    if refusals:
        raise _one_or_many([_placed(problem, refused_at) for _, problem in refusals])
    for quant in locked.values():
        if quant.changed:
            await sql.execute(
                conn,
                "UPDATE quant SET on_hand = $1, in_date = $2 WHERE id = $3",
                quant.on_hand,
                quant.in_date,
                quant.id,
            )
            quant.changed = False
    await books.close(conn)
    return moves


def _placed(problem: DomainError, field: str) -> DomainError:
    return type(problem)(problem.message, field=field)


def _one_or_many(problems: list[DomainError]) -> Exception:
    unique = list({problem.message: problem for problem in problems}.values())
    return unique[0] if len(unique) == 1 else ManyErrors(unique)


async def _lot_codes(conn: BaseDBAsyncClient, lot_ids: set[int]) -> dict[int, str]:
    wanted = sorted(lot_id for lot_id in lot_ids if lot_id != NO_LOT)
    if not wanted:
        return {}
    rows = await sql.fetch(conn, f"SELECT id, code FROM lot WHERE id IN ({sql.placeholders(1, len(wanted))})", *wanted)
    return {int(r["id"]): r["code"] for r in rows}
