"""The stock ledger's write side: receive, issue, move and adjust, each one transaction.

Every change is a double-entry move (from a location, to a location) plus the quants of the
real locations it touches, written together with the idempotency record, the audit entry and
the scan that caused it. Quant rows are locked in (product, location, lot) order, so
concurrent postings cannot deadlock each other or sell the same unit twice; the quant table's
CHECK constraint refuses a negative on-hand even if a bug slipped past the locking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import audit, events, idempotency, sql
from server.clock import now
from server.errors import DomainError, ErrorCode, Invalid, NotFound
from server.inventory import quantities
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.models import NO_LOT, LocationKind
from server.inventory.moves import Move, load_moves
from server.scanning import ScanInfo, record_scan


class InsufficientStock(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK

    def __init__(self, sku: str, location: str, available: Decimal, requested: Decimal) -> None:
        super().__init__(f"Only {available} of {sku} available in {location}; {requested} requested.", field="quantity")
        self.available = available
        self.requested = requested


class IssueReason(StrEnum):
    SALE = "sale"  # to the customer location
    SCRAP = "scrap"  # to the scrap location


_ISSUE_DESTINATION = {IssueReason.SALE: LocationKind.CUSTOMER, IssueReason.SCRAP: LocationKind.SCRAP}


@dataclass(frozen=True)
class Posting:
    moves: list[Move]
    replayed: bool


@dataclass(frozen=True)
class _Product:
    id: int
    sku: str
    tracks_lots: bool


@dataclass(frozen=True)
class _Location:
    id: int
    code: str
    holds_stock: bool


@dataclass
class _Quant:
    id: int
    lot_id: int
    on_hand: Decimal
    reserved: Decimal
    expires_on: date | None = None
    changed: bool = False

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class _Lot:
    id: int
    code: str


# --- public operations -------------------------------------------------------------------


async def receive(
    sku: str,
    location_code: str,
    quantity: object,
    *,
    lot: str | None = None,
    expires_on: date | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock arrives from a supplier into a bin."""
    qty = quantities.parse(quantity)
    product, (bin_,) = await _lookup(sku, (location_code, "locationCode"), counting_lot=lot or "", receiving=True)
    supplier = await _virtual(LocationKind.SUPPLIER)
    request = {"sku": product.sku, "location": bin_.code, "quantity": qty, "lot": lot, "expires_on": expires_on}

    async def effect(conn: BaseDBAsyncClient) -> list[Move]:
        lot_row = await _lot_for_receipt(conn, product, lot, expires_on) if lot else None
        return await _post(
            conn,
            product,
            supplier,
            bin_,
            qty,
            lot_row,
            kind="receive",
            reason=None,
            actor_id=actor_id,
            key=idempotency_key,
            scan=scan,
        )

    return await _run("receive", request, idempotency_key, actor_id, effect)


async def issue(
    sku: str,
    location_code: str,
    quantity: object,
    *,
    reason: IssueReason = IssueReason.SALE,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock leaves a bin for a customer or the scrap heap; without a lot, the first to expire goes first."""
    qty = quantities.parse(quantity)
    product, (bin_,) = await _lookup(sku, (location_code, "locationCode"))
    destination = await _virtual(_ISSUE_DESTINATION[IssueReason(reason)])
    request = {"sku": product.sku, "location": bin_.code, "quantity": qty, "reason": str(reason), "lot": lot}

    async def effect(conn: BaseDBAsyncClient) -> list[Move]:
        lot_row = await _existing_lot(conn, product, lot) if lot else None
        return await _post(
            conn,
            product,
            bin_,
            destination,
            qty,
            lot_row,
            kind="issue",
            reason=str(reason),
            actor_id=actor_id,
            key=idempotency_key,
            scan=scan,
        )

    return await _run("issue", request, idempotency_key, actor_id, effect)


async def move(
    sku: str,
    from_location_code: str,
    to_location_code: str,
    quantity: object,
    *,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock goes from one bin to another; lots travel with it."""
    qty = quantities.parse(quantity)
    product, (source, target) = await _lookup(
        sku, (from_location_code, "fromLocationCode"), (to_location_code, "toLocationCode")
    )
    if source.id == target.id:
        raise Invalid("The stock is already in that location.", field="toLocationCode")
    request = {"sku": product.sku, "from": source.code, "to": target.code, "quantity": qty, "lot": lot}

    async def effect(conn: BaseDBAsyncClient) -> list[Move]:
        lot_row = await _existing_lot(conn, product, lot) if lot else None
        return await _post(
            conn,
            product,
            source,
            target,
            qty,
            lot_row,
            kind="move",
            reason=None,
            actor_id=actor_id,
            key=idempotency_key,
            scan=scan,
        )

    return await _run("move", request, idempotency_key, actor_id, effect)


async def adjust(
    sku: str,
    location_code: str,
    counted_quantity: object,
    *,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """A count: the difference between what was counted and what the ledger says goes to inventory loss/gain."""
    counted = quantities.parse(counted_quantity, field="countedQuantity", allow_zero=True)
    product, (bin_,) = await _lookup(sku, (location_code, "locationCode"), counting_lot=lot or "")
    loss = await _virtual(LocationKind.INVENTORY_LOSS)
    request = {"sku": product.sku, "location": bin_.code, "counted": counted, "lot": lot}

    async def effect(conn: BaseDBAsyncClient) -> list[Move]:
        lot_row = await _existing_lot(conn, product, lot) if lot else None
        lot_id = lot_row.id if lot_row else NO_LOT
        quants = await _lock_quants(conn, product.id, bin_.id, lot_id)
        on_hand = quants[lot_id].on_hand if lot_id in quants else Decimal(0)
        difference = counted - on_hand
        if difference == 0:
            return []
        source, target = (loss, bin_) if difference > 0 else (bin_, loss)
        return await _post(
            conn,
            product,
            source,
            target,
            abs(difference),
            lot_row,
            kind="adjust",
            reason="count",
            actor_id=actor_id,
            key=idempotency_key,
            scan=scan,
            locked={bin_.id: quants},
        )

    return await _run("adjust", request, idempotency_key, actor_id, effect)


# --- the posting engine ------------------------------------------------------------------


async def _run(
    operation: str,
    request: dict[str, Any],
    key: str,
    actor_id: int | None,
    effect: Callable[[BaseDBAsyncClient], Awaitable[list[Move]]],
) -> Posting:
    moves: list[Move] = []

    async def recorded(conn: BaseDBAsyncClient) -> dict[str, Any]:
        moves[:] = await effect(conn)  # a rerun after a rolled-back attempt starts afresh
        return {"move_ids": [m.id for m in moves]}

    outcome = await idempotency.run(key, f"stock.{operation}", request, user_id=actor_id, effect=recorded)
    if outcome.replayed:
        return Posting(await load_moves(outcome.result["move_ids"]), replayed=True)
    for product_id in {m.product_id for m in moves}:
        events.publish_stock_changed(product_id)
    return Posting(moves, replayed=False)


async def _post(
    conn: BaseDBAsyncClient,
    product: _Product,
    source: _Location,
    target: _Location,
    quantity: Decimal,
    lot: _Lot | None,
    *,
    kind: str,
    reason: str | None,
    actor_id: int | None,
    key: str,
    scan: ScanInfo | None,
    locked: dict[int, dict[int, _Quant]] | None = None,
) -> list[Move]:
    lot_id = lot.id if lot else None
    locked = dict(locked or {})
    for location in sorted((source, target), key=lambda loc: loc.id):
        if location.holds_stock and location.id not in locked:
            locked[location.id] = await _lock_quants(conn, product.id, location.id, lot_id)

    if source.holds_stock:
        # A count states what is physically there, reserved or not.
        portions = _allocate(
            locked[source.id], quantity, lot_id, product.sku, source.code, respect_reserved=kind != "adjust"
        )
    else:
        portions = [(lot_id or NO_LOT, quantity)]

    lot_codes = await _lot_codes(conn, [lot_id for lot_id, _ in portions], lot)
    created_at = now()
    moves: list[Move] = []
    for portion_lot, portion_qty in portions:
        if source.holds_stock:
            locked[source.id][portion_lot].on_hand -= portion_qty
            locked[source.id][portion_lot].changed = True
        if target.holds_stock:
            quants = locked[target.id]
            if portion_lot not in quants:
                quants[portion_lot] = await _new_quant(conn, product.id, target.id, portion_lot)
            quants[portion_lot].on_hand += portion_qty
            quants[portion_lot].changed = True
            if quants[portion_lot].on_hand >= quantities.MAX_QUANTITY:
                raise Invalid("The location would hold more than the largest quantity allowed.", field="quantity")
        row = await sql.fetch_one(
            conn,
            "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, lot_id, kind, reason,"
            " user_id, idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            product.id, portion_qty, source.id, target.id, portion_lot or None, kind, reason, actor_id, key,
            created_at,
        )  # fmt: skip
        assert row is not None
        moves.append(
            Move(
                id=int(row["id"]), product_id=product.id, sku=product.sku, quantity=portion_qty,
                from_location_id=source.id, from_location_code=source.code, to_location_id=target.id,
                to_location_code=target.code, lot_id=portion_lot or None, lot_code=lot_codes.get(portion_lot),
                kind=kind, reason=reason, user_id=actor_id, created_at=created_at,
            )
        )  # fmt: skip

    for quants in locked.values():
        for quant in quants.values():
            if quant.changed:
                await sql.execute(conn, "UPDATE quant SET on_hand = $1 WHERE id = $2", quant.on_hand, quant.id)

    await audit.record(
        conn, actor_id=actor_id, action=f"stock.{kind}", object_type="stock_move", object_id=moves[0].id,
        data={"sku": product.sku, "quantity": quantity, "from": source.code, "to": target.code,
              "lot": lot.code if lot else None, "moves": [m.id for m in moves]},
    )  # fmt: skip
    if scan is not None:
        await record_scan(conn, scan, user_id=actor_id, move_id=moves[0].id)
    return moves


def _allocate(
    quants: dict[int, _Quant],
    quantity: Decimal,
    lot_id: int | None,
    sku: str,
    location_code: str,
    *,
    respect_reserved: bool = True,
) -> list[tuple[int, Decimal]]:
    """Which lots the quantity comes from: the one asked for, or first-expiring-first-out."""
    if lot_id is not None:
        candidates = [quants[lot_id]] if lot_id in quants else []
    else:
        candidates = sorted(quants.values(), key=lambda q: (q.expires_on is None, q.expires_on or date.max, q.lot_id))

    def free(quant: _Quant) -> Decimal:
        return max(quant.available if respect_reserved else quant.on_hand, Decimal(0))

    available = sum((free(q) for q in candidates), Decimal(0))
    if available < quantity:
        raise InsufficientStock(sku, location_code, available, quantity)
    portions: list[tuple[int, Decimal]] = []
    remaining = quantity
    for quant in candidates:
        take = min(free(quant), remaining)
        if take > 0:
            portions.append((quant.lot_id, take))
            remaining -= take
        if remaining == 0:
            break
    return portions


async def _lock_quants(
    conn: BaseDBAsyncClient, product_id: int, location_id: int, lot_id: int | None
) -> dict[int, _Quant]:
    """Lock the quants of a product in a location (one lot, or all of them), in lot order."""
    query = (
        "SELECT id, lot_id, on_hand, reserved, (SELECT expires_on FROM lot WHERE lot.id = quant.lot_id) AS expires_on"
        " FROM quant WHERE product_id = $1 AND location_id = $2"
    )
    params: list[Any] = [product_id, location_id]
    if lot_id is not None:
        query += " AND lot_id = $3"
        params.append(lot_id)
    rows = await sql.fetch(conn, query + " ORDER BY lot_id FOR UPDATE", *params)
    return {int(r["lot_id"]): _quant_from_row(r) for r in rows}


async def _new_quant(conn: BaseDBAsyncClient, product_id: int, location_id: int, lot_id: int) -> _Quant:
    """The first quant of a (product, location, lot): INSERT ... ON CONFLICT, since get-or-create races."""
    row = await sql.fetch_one(
        conn,
        "INSERT INTO quant (product_id, location_id, lot_id, on_hand, reserved) VALUES ($1, $2, $3, 0, 0)"
        " ON CONFLICT (product_id, location_id, lot_id) DO NOTHING RETURNING id",
        product_id,
        location_id,
        lot_id,
    )
    if row is not None:
        return _Quant(id=int(row["id"]), lot_id=lot_id, on_hand=Decimal(0), reserved=Decimal(0))
    # Another transaction created it first and has committed: lock and read it.
    quants = await _lock_quants(conn, product_id, location_id, lot_id)
    return quants[lot_id]


def _quant_from_row(row: dict[str, Any]) -> _Quant:
    expires = row["expires_on"]
    if isinstance(expires, str):
        expires = date.fromisoformat(expires)
    return _Quant(
        id=int(row["id"]),
        lot_id=int(row["lot_id"]),
        on_hand=quantities.from_db(row["on_hand"]),
        reserved=quantities.from_db(row["reserved"]),
        expires_on=expires,
    )


async def _lot_codes(conn: BaseDBAsyncClient, lot_ids: list[int], known: _Lot | None) -> dict[int, str]:
    wanted = {lot_id for lot_id in lot_ids if lot_id != NO_LOT}
    codes = {known.id: known.code} if known else {}
    missing = wanted - codes.keys()
    if missing:
        placeholders = ", ".join(f"${i}" for i in range(1, len(missing) + 1))
        for row in await sql.fetch(conn, f"SELECT id, code FROM lot WHERE id IN ({placeholders})", *missing):
            codes[int(row["id"])] = row["code"]
    return codes


# --- lookups -----------------------------------------------------------------------------


async def _lookup(
    sku: str, *locations: tuple[str, str], counting_lot: str | None = None, receiving: bool = False
) -> tuple[_Product, list[_Location]]:
    """The product and the real locations ``(code, input field)`` to post, in one query.

    A lot-tracked product must name its lot where stock is created or counted.
    """
    codes = [code.strip() for code, _ in locations]
    placeholders = ", ".join(f"${i}" for i in range(2, len(codes) + 2))
    rows = await sql.fetch(
        _conn(),
        "SELECT product.id, product.sku, product.tracks_lots, product.is_archived,"
        " location.id AS location_id, location.code, location.kind"
        f" FROM product, location WHERE product.sku = $1 AND location.code IN ({placeholders})",
        sku.strip(),
        *codes,
    )
    if not rows and await sql.fetch_one(_conn(), "SELECT id FROM product WHERE sku = $1", sku.strip()) is None:
        raise NotFound(f"There is no product with SKU {sku!r}.", field="sku")
    found = {row["code"]: row for row in rows}
    for (given, field), code in zip(locations, codes, strict=True):
        if code not in found:
            raise NotFound(f"There is no location {given!r}.", field=field)
        if found[code]["kind"] != LocationKind.INTERNAL:
            raise Invalid(f"The location {code} cannot hold stock.", field=field)
    row = rows[0]
    if receiving and row["is_archived"]:
        raise Invalid(f"The product {row['sku']} is archived and takes no new stock.", field="sku")
    if (receiving or counting_lot is not None) and row["tracks_lots"] and not counting_lot:
        raise Invalid(f"The product {row['sku']} is tracked by lot: give the lot.", field="lot")
    product = _Product(id=int(row["id"]), sku=row["sku"], tracks_lots=bool(row["tracks_lots"]))
    return product, [_Location(id=int(found[c]["location_id"]), code=c, holds_stock=True) for c in codes]


_virtual_ids: dict[LocationKind, _Location] = {}


async def _virtual(kind: LocationKind) -> _Location:
    if kind not in _virtual_ids:
        code = VIRTUAL_LOCATIONS[kind][0]
        row = await sql.fetch_one(_conn(), "SELECT id FROM location WHERE code = $1", code)
        if row is None:
            raise RuntimeError(f"The virtual location {code} is missing: run `storekeeper migrate`.")
        _virtual_ids[kind] = _Location(id=int(row["id"]), code=code, holds_stock=False)
    return _virtual_ids[kind]


def forget_cached_locations() -> None:
    """Tests that recreate the database call this; ids of virtual locations change with it."""
    _virtual_ids.clear()


async def _lot_for_receipt(conn: BaseDBAsyncClient, product: _Product, code: str, expires_on: date | None) -> _Lot:
    code = code.strip()
    if not code or len(code) > 64:
        raise Invalid("A lot code has 1 to 64 characters.", field="lot")
    await sql.execute(
        conn,
        "INSERT INTO lot (product_id, code, expires_on, created_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (product_id, code) DO NOTHING",
        product.id,
        code,
        expires_on,
        now(),
    )
    row = await sql.fetch_one(
        conn, "SELECT id, expires_on FROM lot WHERE product_id = $1 AND code = $2", product.id, code
    )
    assert row is not None
    stored = row["expires_on"]
    if isinstance(stored, str):
        stored = date.fromisoformat(stored)
    if expires_on is not None and stored != expires_on:
        raise Invalid(f"The lot {code} is recorded with expiry {stored}, not {expires_on}.", field="expiresOn")
    return _Lot(id=int(row["id"]), code=code)


async def _existing_lot(conn: BaseDBAsyncClient, product: _Product, code: str) -> _Lot:
    row = await sql.fetch_one(
        conn, "SELECT id, code FROM lot WHERE product_id = $1 AND code = $2", product.id, code.strip()
    )
    if row is None:
        raise NotFound(f"There is no lot {code!r} of {product.sku}.", field="lot")
    return _Lot(id=int(row["id"]), code=row["code"])


def _conn() -> BaseDBAsyncClient:
    from server.db import connection

    return connection()
