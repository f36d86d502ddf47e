"""Booking one entry into the ledger: lock the quants, allocate lots, write moves and quants.

Quant rows are locked in (product, location, lot, package) order, so concurrent postings cannot
deadlock each other or sell the same unit twice; the quant table's CHECK constraint refuses a
negative on-hand even if a bug slipped past the locking.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.errors import DomainError, Field, Invalid, ManyErrors
from server.inventory import capacity, history, lots, quantities, replan, serials
from server.inventory.errors import InsufficientStock
from server.inventory.lookups import LotRef, Place, Product
from server.inventory.models import NO_LOT, NO_PACKAGE
from server.inventory.moves import Move
from server.inventory.periods import refuse_if_locked
from server.inventory.removal import (
    MAX_LOTS_PER_POSTING,
    allocate,
    default_strategy,
    needs_strategy,
    strategy_for,
)
from server.inventory.valuation.books import Books, Cost


@dataclass(frozen=True)
class Source:
    """The document line a move came from."""

    document_type: str
    document_id: int
    line_id: int


@dataclass(frozen=True)
class Entry:
    """What to book: ``quantity`` of ``product`` leaves ``source`` for ``target``."""

    product: Product
    source: Place
    target: Place
    quantity: Decimal
    lot: LotRef | None
    kind: str  # receive | issue | move | adjust (and pack | unpack: server/inventory/package_booking.py)
    reason: str | None = None
    origin: Source | None = None
    # From outside: what one unit cost (None: see server/inventory/valuation). Out of transit: the ship move's.
    # Out to outside: what one unit leaves at (a return to the supplier; None: the bucket's cost).
    unit_cost: Decimal | None = None
    # From outside: exactly what the move brings in, when unit cost x quantity cannot say it (a kit is worth
    # what its components took out, to the last digit). A function (``post_all`` only): worked out from the
    # moves of the entries booked before it in the same posting, whose values are fixed by then.
    value: Decimal | ValueOf | None = None
    # When it happened, where the entries of one posting happened at different times (each line of a pick list
    # when it was scanned); None: the trail's.
    effective_at: datetime | None = None


ValueOf = Callable[[list[list[Move]]], Decimal]  # the moves of the entries before it, in order -> its value


@dataclass(frozen=True)
class Trail:
    """Who booked it, under which idempotency key, and when it happened: kept on every move."""

    actor_id: int | None
    key: str | None
    effective_at: datetime | None = None  # None: now, when it is booked


@dataclass
class Quant:
    id: int
    lot_id: int
    on_hand: Decimal
    reserved: Decimal
    expires_on: date | None = None
    changed: bool = False
    removal_on: date | None = None  # the lot's removal date (its expiry when it has none)
    in_date: datetime | None = None  # when the oldest stock here came in (FIFO)
    package_id: int = NO_PACKAGE  # loose stock: only package bookings (package_booking.py) lock others

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


Locked = dict[int, dict[int, Quant]]  # location id -> lot id -> quant
__all__ = ["MAX_LOTS_PER_POSTING", "allocate"]  # moved to server.inventory.removal, still found here


async def post(
    conn: BaseDBAsyncClient,
    entry: Entry,
    trail: Trail,
    *,
    locked: Locked | None = None,
    deferred: list[sql.Statement] | None = None,
) -> list[Move]:
    """Book ``entry`` on ``conn`` (the caller's transaction); one move per lot it touches.

    ``deferred``: where to leave the last writes (quants, cost buckets) for the caller's last statement
    (``server.commands.Write.deferred``), when nothing after the posting reads them in the transaction.
    """
    if callable(entry.value):
        raise TypeError("A value worked out from earlier entries needs post_all")
    lot_id = entry.lot.id if entry.lot else None
    created_at = now()
    await _refuse_locked(conn, [entry], trail, created_at)
    await _lot_rules(conn, [entry], trail, ["lot"])
    await refuse_bundles(conn, [entry], ["sku"])
    locked = dict(locked or {})
    for place in sorted((entry.source, entry.target), key=lambda p: p.id):
        if place.holds_stock and place.id not in locked:
            locked[place.id] = await lock_quants(conn, entry.product.id, place.id, lot_id)
    books = Books.of([entry])  # locked when the first move is priced, after every quant it needs
    moves = await _book(conn, entry, trail, locked, created_at, books)
    problems = await history.refuse_short_past(conn, takings(entry, moves, locked, "quantity"))
    if problems:
        raise problems[0] if len(problems) == 1 else ManyErrors(problems)
    await replan.after_posting(conn, {entry.product.id: locked}, waiting=books.waiting())  # reserved <= on hand
    for _, problem in await capacity.refusals(conn, [entry]):  # last: its lock is held until the commit
        raise problem
    await _write_quants(conn, locked, deferred)
    await books.close(conn, deferred)
    return moves


def takings(entry: Entry, moves: list[Move], locked: Locked, field: Field) -> list[history.Taking]:
    """What ``entry``'s moves took out of the loose quants of its source (none from outside), for the check
    that the source held it at the time they are effective (``history``)."""
    if not entry.source.holds_stock:
        return []
    source = entry.source
    return [
        history.Taking(
            key=(entry.product.id, source.id, move.lot_id or NO_LOT, NO_PACKAGE), at=move.effective_at,
            quantity=move.quantity, left=locked[source.id][move.lot_id or NO_LOT].on_hand, sku=entry.product.sku,
            location=source.code, lot=move.lot_code, field=field,
        )
        for move in moves
    ]  # fmt: skip


def takes_reserved(entry: Entry) -> bool:
    """Whether a posting takes reserved stock too, and lots past their removal date unasked: a count
    (it books what is there) and a scrap (how such stock leaves the shelf)."""
    return entry.kind == "adjust" or lots.scraps(entry)


async def _lot_rules(conn: BaseDBAsyncClient, entries: list[Entry], trail: Trail, at: list[Field]) -> None:
    """Serials (one unit, never in two places) and lots past their removal date, before any quant is locked."""
    await serials.refuse_impossible(conn, entries, at=at)
    await lots.refuse_taking_expired(conn, entries, trail.actor_id, at=at)


async def refuse_bundles(conn: BaseDBAsyncClient, entries: list[Entry], at: list[Field]) -> None:
    """No stock comes into a bundle (``server.sales.bundles``: sold as its components, it has none of its own).
    Read in a statement of its own, after the lookup holds the product FOR SHARE: a product made a bundle just
    before is seen, one made a bundle after waits for this posting and then finds its stock."""
    arriving = {e.product.id for e in entries if e.target.holds_stock and not e.source.holds_stock}
    if not arriving:
        return
    rows = await sql.fetch(
        conn,
        "SELECT DISTINCT bundle_id FROM sales_bundle_component"
        f" WHERE bundle_id IN ({sql.placeholders(1, len(arriving))})",
        *sorted(arriving),
    )
    bundles = {int(r["bundle_id"]) for r in rows}
    problems: list[DomainError] = [
        Invalid(f"{e.product.sku} is a bundle, sold as its components: it takes no stock of its own.", field=where)
        for e, where in zip(entries, at, strict=True) if e.product.id in bundles and e.target.holds_stock
        and not e.source.holds_stock
    ]  # fmt: skip
    if len(problems) == 1 and len(entries) == 1:
        raise problems[0]
    if problems:
        raise ManyErrors(problems)


def _warehouses(entries: list[Entry]) -> set[int | None]:
    return {place.warehouse_id for entry in entries for place in (entry.source, entry.target)}


def effective(entry: Entry, trail: Trail, created_at: datetime) -> datetime:
    """When ``entry`` happened: its own time, else the trail's, else when it is booked."""
    return entry.effective_at or trail.effective_at or created_at


async def _refuse_locked(conn: BaseDBAsyncClient, entries: list[Entry], trail: Trail, created_at: datetime) -> None:
    """PERIOD_LOCKED when any entry is effective in a closed period of a warehouse it touches."""
    by_time: dict[datetime, list[Entry]] = {}
    for entry in entries:
        by_time.setdefault(effective(entry, trail, created_at), []).append(entry)
    for at in sorted(by_time):
        alike = by_time[at]
        await refuse_if_locked(conn, at, _warehouses(alike), known=_lock_dates(alike))


def _lock_dates(entries: list[Entry]) -> dict[int, date | None]:
    """The period lock dates the entries' places were read with (see ``lookups.Place.lock_dates``)."""
    return dict(pair for entry in entries for place in (entry.source, entry.target) for pair in place.lock_dates)


async def post_all(conn: BaseDBAsyncClient, entries: list[Entry], trail: Trail) -> list[list[Move]]:
    """Book every entry in one go, or none: the moves of each entry, in order.

    Every quant the entries touch is locked before the first is booked, in (product, location,
    lot) order, so two postings of many lines wait for each other instead of deadlocking. An entry
    that lacks stock does not stop the others from being tried: all the lines short of stock are
    reported at once (``ManyErrors``, each at ``("lines", i, "quantity")``) and nothing is written,
    since the caller's transaction rolls back. An entry whose ``value`` is a function gets it from the moves
    booked before it (it is skipped once a line is short: nothing will be written).
    """
    created_at = now()
    await _refuse_locked(conn, entries, trail, created_at)
    await _lot_rules(conn, entries, trail, [("lines", index, "lot") for index in range(len(entries))])
    await refuse_bundles(conn, entries, [("lines", index, "sku") for index in range(len(entries))])
    wanted: dict[tuple[int, int], set[int]] = {}
    for entry in entries:
        for place, receives in ((entry.source, False), (entry.target, True)):
            if place.holds_stock:
                lots = wanted.setdefault((entry.product.id, place.id), set())
                if receives:
                    lots.add(entry.lot.id if entry.lot else NO_LOT)
    locked: dict[int, Locked] = {}  # product id -> location id -> lot id -> quant
    for product_id, location_id in sorted(wanted):
        for lot_id in sorted(wanted[product_id, location_id]):
            await _insert_quant(conn, product_id, location_id, lot_id)
        quants = await lock_quants(conn, product_id, location_id, None)
        locked.setdefault(product_id, {})[location_id] = quants

    books = Books.of(entries)  # locked when the first move is priced, after the quants
    booked: list[list[Move]] = []
    short: list[DomainError] = []
    for index, entry in enumerate(entries):
        if callable(entry.value):
            if short:
                continue
            entry = dataclasses.replace(entry, value=entry.value(booked))
        try:
            booked.append(await _book(conn, entry, trail, locked[entry.product.id], created_at, books))
        except InsufficientStock as error:
            short.append(error.at(("lines", index, "quantity")))
    if short:
        raise ManyErrors(short)
    taken = [taking for index, (entry, moves) in enumerate(zip(entries, booked, strict=True))
             for taking in takings(entry, moves, locked[entry.product.id], ("lines", index, "quantity"))]  # fmt: skip
    past = await history.refuse_short_past(conn, taken)
    if past:
        raise ManyErrors(past)
    await replan.after_posting(conn, locked, waiting=books.waiting())  # reserved never above on hand
    over = await capacity.refusals(conn, entries)  # last: its lock is held until the commit
    if over:
        raise ManyErrors([_on_line(problem, index) for index, problem in over])
    for by_location in locked.values():
        await _write_quants(conn, by_location)
    await books.close(conn)
    return booked


def _on_line(problem: DomainError, index: int) -> DomainError:
    """A location's refusal, told on one of the lines that put stock into it."""
    where = "location" if problem.field == "locationCode" else "quantity"
    return type(problem)(problem.message, field=("lines", index, where))


async def _book(
    conn: BaseDBAsyncClient, entry: Entry, trail: Trail, locked: Locked, created_at: datetime, books: Books
) -> list[Move]:
    """Write the moves of ``entry`` and change the locked quants in memory (written by the caller)."""
    product, source, target = entry.product, entry.source, entry.target
    lot_id = entry.lot.id if entry.lot else None
    if source.holds_stock:
        in_source = locked[source.id]
        strategy = (
            await strategy_for(conn, product.id, source.id)
            if needs_strategy(in_source, lot_id)
            else default_strategy(product.tracks_lots)
        )
        portions = allocate(
            in_source, entry.quantity, lot_id, product.sku, source.code, strategy=strategy,
            respect_reserved=not takes_reserved(entry),
        )  # fmt: skip
    else:
        portions = [(lot_id or NO_LOT, entry.quantity)]

    lot_codes = await _lot_codes(conn, [portion_lot for portion_lot, _ in portions], entry.lot)
    effective_at = effective(entry, trail, created_at)
    moves: list[Move] = []
    if target.holds_stock:  # new quants before the cost buckets are locked: quants are always locked first
        for portion_lot, _ in portions:
            if portion_lot not in locked.setdefault(target.id, {}):
                locked[target.id][portion_lot] = await _new_quant(conn, product.id, target.id, portion_lot)
    for portion_lot, portion_qty in portions:
        if source.holds_stock:
            locked[source.id][portion_lot].on_hand -= portion_qty
            locked[source.id][portion_lot].changed = True
        if target.holds_stock:
            quants = locked.setdefault(target.id, {})
            if portion_lot not in quants:
                quants[portion_lot] = await _new_quant(conn, product.id, target.id, portion_lot)
            arrived = locked[source.id][portion_lot].in_date if source.holds_stock else effective_at
            arrive(quants[portion_lot], arrived)
            quants[portion_lot].on_hand += portion_qty
            quants[portion_lot].changed = True
            if quants[portion_lot].on_hand >= quantities.MAX_QUANTITY:
                raise Invalid("The location would hold more than the largest quantity allowed.", field="quantity")
        cost = await books.price(conn, entry, portion_qty)  # fixed here, in the move's own INSERT
        move_id = await insert_move(conn, entry, portion_lot, portion_qty, cost, trail, created_at)
        books.booked(move_id)
        if product.tracks_serials and portion_lot != NO_LOT:
            await serials.record_whereabouts(conn, portion_lot, target.id)
        moves.append(
            Move(
                id=move_id, product_id=product.id, sku=product.sku, quantity=portion_qty,
                from_location_id=source.id, from_location_code=source.code, to_location_id=target.id,
                to_location_code=target.code, lot_id=portion_lot or None, lot_code=lot_codes.get(portion_lot),
                kind=entry.kind, reason=entry.reason, user_id=trail.actor_id, created_at=created_at,
                effective_at=effective_at, unit_cost=cost.unit_cost, value=cost.value,
            )
        )  # fmt: skip
    return moves


async def insert_move(
    conn: BaseDBAsyncClient,
    entry: Entry,
    lot_id: int,
    quantity: Decimal,
    cost: Cost,
    trail: Trail,
    created_at: datetime,
    *,
    packages: tuple[int, int] = (NO_PACKAGE, NO_PACKAGE),
) -> int:
    """Write one move of ``entry``: ``quantity`` of its lot ``lot_id``, priced at ``cost``, from the package
    ``packages[0]`` to ``packages[1]`` (loose stock: NO_PACKAGE). Its id."""
    origin = entry.origin
    row = await sql.fetch_one(
        conn,
        "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, lot_id, kind, reason,"
        " user_id, idempotency_key, created_at, effective_at, document_type, document_id, document_line_id,"
        " unit_cost, value, from_package_id, to_package_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
        " $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
        entry.product.id, quantity, entry.source.id, entry.target.id, lot_id or None, entry.kind, entry.reason,
        trail.actor_id, trail.key, created_at, effective(entry, trail, created_at), origin and origin.document_type,
        origin and origin.document_id, origin and origin.line_id, cost.unit_cost, cost.value, *packages,
    )  # fmt: skip
    assert row is not None
    return int(row["id"])


async def _write_quants(conn: BaseDBAsyncClient, locked: Locked, deferred: list[sql.Statement] | None = None) -> None:
    for quants in locked.values():
        for quant in quants.values():
            if quant.changed:
                update = "UPDATE quant SET on_hand = $1, in_date = $2 WHERE id = $3"
                await sql.write_or_defer(conn, (update, (quant.on_hand, quant.in_date, quant.id)), deferred)
                quant.changed = False


def arrive(quant: Quant, arrived: datetime | None) -> None:
    """Keep the quant's in_date the oldest arrival still here: an empty quant starts again (None: older
    than anything, stock from before in_date was kept)."""
    if quant.on_hand <= 0:
        quant.in_date = arrived
    elif quant.in_date is not None and (arrived is None or arrived < quant.in_date):
        quant.in_date = arrived


_QUANTS = (
    "SELECT id, product_id, location_id, lot_id, package_id, on_hand, reserved, in_date,"
    " (SELECT expires_on FROM lot WHERE lot.id = quant.lot_id) AS expires_on,"
    " (SELECT COALESCE(removal_on, expires_on) FROM lot WHERE lot.id = quant.lot_id) AS removal_on FROM quant"
)


def _quant(r: dict[str, Any]) -> Quant:
    return Quant(
        id=int(r["id"]),
        lot_id=int(r["lot_id"]),
        on_hand=quantities.from_db(r["on_hand"]),
        reserved=quantities.from_db(r["reserved"]),
        expires_on=sql.as_date(r["expires_on"]),
        removal_on=sql.as_date(r["removal_on"]),
        in_date=None if r["in_date"] is None else sql.as_datetime(r["in_date"]),
        package_id=int(r["package_id"]),
    )


async def lock_quants(
    conn: BaseDBAsyncClient, product_id: int, location_id: int, lot_id: int | None, package_id: int = NO_PACKAGE
) -> dict[int, Quant]:
    """Lock the quants of a product in a location (one lot, or all of them) in one package (NO_PACKAGE: the
    loose stock every posting but a package's books), in lot order."""
    query = _QUANTS + " WHERE product_id = $1 AND location_id = $2 AND package_id = $3"
    params: list[Any] = [product_id, location_id, package_id]
    if lot_id is not None:
        query += " AND lot_id = $4"
        params.append(lot_id)
    rows = await sql.fetch(conn, query + " ORDER BY lot_id FOR UPDATE", *params)
    return {int(r["lot_id"]): _quant(r) for r in rows}


QuantKey = history.QuantKey  # (product id, location id, lot id, package id): the lock order


async def lock_package_quants(
    conn: BaseDBAsyncClient, product_ids: list[int], location_ids: list[int], package_ids: list[int]
) -> dict[QuantKey, Quant]:
    """Lock the quants of these products in these locations and packages (NO_PACKAGE among them: loose
    stock too), in (product, location, lot, package) order, for server.inventory.packages."""
    products, places, packages = sorted(set(product_ids)), sorted(set(location_ids)), sorted(set(package_ids))
    if not products or not places or not packages:
        return {}
    first_place, first_package = 1 + len(products), 1 + len(products) + len(places)
    rows = await sql.fetch(
        conn,
        f"{_QUANTS} WHERE product_id IN ({sql.placeholders(1, len(products))})"
        f" AND location_id IN ({sql.placeholders(first_place, len(places))})"
        f" AND package_id IN ({sql.placeholders(first_package, len(packages))})"
        " ORDER BY product_id, location_id, lot_id, package_id FOR UPDATE",
        *products, *places, *packages,
    )  # fmt: skip
    return {
        (int(r["product_id"]), int(r["location_id"]), int(r["lot_id"]), int(r["package_id"])): _quant(r) for r in rows
    }


async def lock_one(conn: BaseDBAsyncClient, product_id: int, location_id: int, lot_id: int) -> Quant:
    """The quant of (product, location, lot), created empty if new, and locked.

    For a count: with no row to lock, two counts of a new bin would each see zero and both book
    their difference.
    """
    await _insert_quant(conn, product_id, location_id, lot_id)
    return (await lock_quants(conn, product_id, location_id, lot_id))[lot_id]


async def _insert_quant(
    conn: BaseDBAsyncClient, product_id: int, location_id: int, lot_id: int, package_id: int = NO_PACKAGE
) -> int | None:
    """INSERT ... ON CONFLICT, since get-or-create races; the new row's id, or None if it existed."""
    row = await sql.fetch_one(
        conn,
        "INSERT INTO quant (product_id, location_id, lot_id, package_id, on_hand, reserved)"
        " VALUES ($1, $2, $3, $4, 0, 0) ON CONFLICT (product_id, location_id, lot_id, package_id) DO NOTHING"
        " RETURNING id",
        product_id,
        location_id,
        lot_id,
        package_id,
    )
    return None if row is None else int(row["id"])


async def new_package_quant(conn: BaseDBAsyncClient, key: QuantKey) -> Quant:
    """The first quant of ``key`` a package's booking puts stock into (unpacked stock: a loose quant, which a
    receipt may have created first, as in ``_new_quant``)."""
    product_id, location_id, lot_id, package_id = key
    new_id = await _insert_quant(conn, product_id, location_id, lot_id, package_id)
    if new_id is not None:
        return Quant(id=new_id, lot_id=lot_id, on_hand=Decimal(0), reserved=Decimal(0), package_id=package_id)
    return (await lock_quants(conn, product_id, location_id, lot_id, package_id))[lot_id]


async def _new_quant(conn: BaseDBAsyncClient, product_id: int, location_id: int, lot_id: int) -> Quant:
    """The first quant of a (product, location, lot) this posting puts stock into."""
    new_id = await _insert_quant(conn, product_id, location_id, lot_id)
    if new_id is not None:
        return Quant(id=new_id, lot_id=lot_id, on_hand=Decimal(0), reserved=Decimal(0))
    # Another transaction created it first and has committed: lock and read it.
    return (await lock_quants(conn, product_id, location_id, lot_id))[lot_id]


async def _lot_codes(conn: BaseDBAsyncClient, lot_ids: list[int], known: LotRef | None) -> dict[int, str]:
    wanted = {lot_id for lot_id in lot_ids if lot_id != NO_LOT}
    codes = {known.id: known.code} if known else {}
    missing = wanted - codes.keys()
    if missing:
        in_missing = sql.placeholders(1, len(missing))
        for row in await sql.fetch(conn, f"SELECT id, code FROM lot WHERE id IN ({in_missing})", *missing):
            codes[int(row["id"])] = row["code"]
    return codes
