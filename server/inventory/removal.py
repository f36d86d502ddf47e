"""Removal strategies: which stock leaves first, in one bin (a posting) and across a warehouse (a suggestion).

- **FIFO**: the oldest stock first, by the quant's ``in_date`` (when its oldest stock came in;
  quants from before it was kept count as oldest).
- **FEFO**: the lot to be removed first goes first, by its removal date (its expiry when it has
  none); stock without a date goes last, then FIFO.
- **Closest location**: the bins nearest to a start location in the location tree first. The
  distance of two locations is the number of steps between them through their lowest common
  ancestor (a sibling bin is 2, a bin in the next aisle of the same zone 4); equal distances go
  by location code (bin labels run in walking order), then FIFO. The start is the location asked
  for (``near``), else the subtree the stock is taken from, so that without one the shallowest
  bins come first. Inside one bin it is FIFO.

The strategy of a product in a place is the first set of: the product's, its category's, the
location's or its nearest ancestor's; else FEFO for products tracked by lot (what expires must
leave first, whatever its age) and FIFO for the rest.

A lot past its removal date (``removal_on < today``; its expiry when it has none) is never
suggested, reserved or taken by automatic allocation; taking it by name is the posting's rule
(``stock.take_expired``). Stock in a location that is not sellable is never suggested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import today
from server.db import connection
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.errors import InsufficientStock
from server.inventory.models import LOCATION_CODE, LOT_CODE
from server.text import shown

if TYPE_CHECKING:
    from server.inventory.posting import Quant

# One move per lot a posting draws from; its answer lists them all, so their number is bounded.
MAX_LOTS_PER_POSTING = 100
# Stock that leaves for these reasons leaves whether it is reserved or not: a count states what is
# there, and scrapped or damaged goods are gone. The reservations they hit are re-planned.
_OLDEST = datetime.min.replace(tzinfo=UTC)


class RemovalStrategy(StrEnum):
    FIFO = "fifo"
    FEFO = "fefo"
    CLOSEST = "closest"


def default_strategy(tracks_lots: bool) -> RemovalStrategy:
    return RemovalStrategy.FEFO if tracks_lots else RemovalStrategy.FIFO


def past_removal(removal_on: date | None, day: date | None = None) -> bool:
    return removal_on is not None and removal_on < (day or today())


def _age(in_date: datetime | None) -> tuple[bool, datetime]:
    return (in_date is not None, in_date or _OLDEST)


def _removal(removal_on: date | None) -> tuple[bool, date]:
    return (removal_on is None, removal_on or date.max)


# ---- one bin: which lots a posting takes ----


def allocate(
    quants: dict[int, Quant],
    quantity: Decimal,
    lot_id: int | None,
    sku: str,
    location_code: str,
    *,
    strategy: RemovalStrategy = RemovalStrategy.FEFO,
    respect_reserved: bool = True,
) -> list[tuple[int, Decimal]]:
    """Which lots ``quantity`` comes from: the one asked for, or the strategy's order.

    Without a lot, lots past their removal date are left alone, unless the posting takes reserved
    stock too (a count, scrap): then what is free goes before what is reserved.
    """
    if lot_id is not None:
        candidates = [quants[lot_id]] if lot_id in quants else []
    else:
        candidates = [q for q in quants.values() if not respect_reserved or not past_removal(q.removal_on)]
        if strategy == RemovalStrategy.FEFO:
            candidates.sort(key=lambda q: (_removal(q.removal_on), _age(q.in_date), q.lot_id))
        else:
            candidates.sort(key=lambda q: (_age(q.in_date), q.lot_id))

    def free(quant: Quant) -> Decimal:
        return max(quant.available, Decimal(0))

    def held(quant: Quant) -> Decimal:
        return max(quant.on_hand, Decimal(0)) - free(quant)

    layers: list[Callable[[Quant], Decimal]] = [free] if respect_reserved else [free, held]
    available = sum((layer(q) for layer in layers for q in candidates), Decimal(0))
    if available < quantity:
        raise InsufficientStock(sku, location_code, available, quantity)
    taken: dict[int, Decimal] = {}
    remaining = quantity
    for layer in layers:
        for quant in candidates:
            take = min(layer(quant), remaining)
            if take > 0:
                taken[quant.lot_id] = taken.get(quant.lot_id, Decimal(0)) + take
                remaining -= take
    if len(taken) > MAX_LOTS_PER_POSTING:
        raise Invalid(
            f"This quantity would come from {len(taken)} lots of {sku} in {location_code}, more than"
            f" {MAX_LOTS_PER_POSTING} at once: take it lot by lot (give the lot), or in smaller quantities.",
            field="quantity",
        )
    return list(taken.items())


def needs_strategy(quants: dict[int, Quant], lot_id: int | None) -> bool:
    """Whether the order matters: only when no lot is named and more than one lot holds stock."""
    return lot_id is None and sum(1 for q in quants.values() if q.on_hand > 0) > 1


# ---- which strategy applies ----


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


async def strategy_for(conn: BaseDBAsyncClient, product_id: int, location_id: int) -> RemovalStrategy:
    """The product's strategy, else its category's, else the location's or its nearest ancestor's, else
    the default."""
    row = await sql.fetch_one(
        conn,
        "SELECT product.removal_strategy AS own, product.tracks_lots, category.removal_strategy AS category,"
        " location.path FROM product LEFT JOIN category ON category.id = product.category_id"
        " CROSS JOIN location WHERE product.id = $1 AND location.id = $2",
        product_id,
        location_id,
    )
    if row is None:
        return RemovalStrategy.FIFO
    for chosen in (row["own"], row["category"]):
        if chosen:
            return RemovalStrategy(chosen)
    ancestors = _path_ids(row["path"]) or [location_id]
    rows = await sql.fetch(
        conn,
        f"SELECT id, removal_strategy FROM location WHERE id IN ({sql.placeholders(1, len(ancestors))})"
        " AND removal_strategy IS NOT NULL",
        *ancestors,
    )
    set_on = {int(r["id"]): r["removal_strategy"] for r in rows}
    for ancestor in reversed(ancestors):
        if ancestor in set_on:
            return RemovalStrategy(set_on[ancestor])
    return default_strategy(bool(row["tracks_lots"]))


# ---- across a warehouse: which bins and lots ----


@dataclass
class Candidate:
    """A quant stock may be taken from, with what the strategies order it by."""

    quant_id: int
    location_id: int
    location_code: str
    path: str
    lot_id: int
    lot_code: str | None
    removal_on: date | None
    in_date: datetime | None
    on_hand: Decimal
    reserved: Decimal
    sellable: bool

    @property
    def available(self) -> Decimal:
        return max(self.on_hand - self.reserved, Decimal(0))

    def eligible(self, lot_id: int | None, day: date) -> bool:
        """Whether stock here may be suggested or reserved (for ``lot_id``, when one is asked for)."""
        return self.sellable and not past_removal(self.removal_on, day) and lot_id in (None, self.lot_id)


def distance(a: str, b: str) -> int:
    """Steps between two locations of a tree, through their lowest common ancestor."""
    first, second = _path_ids(a), _path_ids(b)
    common = 0
    for x, y in zip(first, second, strict=False):
        if x != y:
            break
        common += 1
    return len(first) + len(second) - 2 * common


def ordered(candidates: Iterable[Candidate], strategy: RemovalStrategy, near: str) -> list[Candidate]:
    """``candidates`` in the order the strategy takes them; ``near`` is the path closeness counts from."""

    def key(c: Candidate) -> tuple[Any, ...]:
        if strategy == RemovalStrategy.FEFO:
            return (_removal(c.removal_on), _age(c.in_date), c.location_code, c.lot_id)
        if strategy == RemovalStrategy.CLOSEST:
            return (distance(near, c.path), c.location_code, _age(c.in_date), c.lot_id)
        return (_age(c.in_date), c.location_code, c.lot_id)

    return sorted(candidates, key=key)


_CANDIDATE_COLUMNS = (
    "quant.id, quant.location_id, quant.lot_id, quant.on_hand, quant.reserved, quant.in_date,"
    " location.code AS location_code, location.path, location.sellable,"
    " lot.code AS lot_code, COALESCE(lot.removal_on, lot.expires_on) AS removal_on"
    " FROM quant JOIN location ON location.id = quant.location_id LEFT JOIN lot ON lot.id = quant.lot_id"
)


def _candidate(row: dict[str, Any]) -> Candidate:
    return Candidate(
        quant_id=int(row["id"]), location_id=int(row["location_id"]), location_code=row["location_code"],
        path=row["path"], lot_id=int(row["lot_id"]), lot_code=row["lot_code"],
        removal_on=sql.as_date(row["removal_on"]),
        in_date=None if row["in_date"] is None else sql.as_datetime(row["in_date"]),
        on_hand=quantities.from_db(row["on_hand"]), reserved=quantities.from_db(row["reserved"]),
        sellable=bool(row["sellable"]),
    )  # fmt: skip


async def candidates_in(conn: BaseDBAsyncClient, product_id: int, path: str) -> list[Candidate]:
    """The quants of a product holding stock in a subtree of real locations (read, not locked)."""
    rows = await sql.fetch(
        conn,
        f"SELECT {_CANDIDATE_COLUMNS} WHERE quant.product_id = $1 AND location.path LIKE $2"
        " AND location.kind = 'internal' AND CAST(quant.on_hand AS NUMERIC) > 0",
        product_id,
        f"{path}%",
    )
    return [_candidate(row) for row in rows]


async def candidates_by_quant_ids(conn: BaseDBAsyncClient, quant_ids: list[int]) -> list[Candidate]:
    """Quants the caller has locked, with what the strategies need."""
    if not quant_ids:
        return []
    rows = await sql.fetch(
        conn, f"SELECT {_CANDIDATE_COLUMNS} WHERE quant.id IN ({sql.placeholders(1, len(quant_ids))})", *quant_ids
    )
    return [_candidate(row) for row in rows]


# ---- the suggestion: where to take a quantity from ----


@dataclass(frozen=True)
class Portion:
    location_code: str
    lot_code: str | None
    removal_on: date | None
    quantity: Decimal


@dataclass(frozen=True)
class Suggestion:
    strategy: RemovalStrategy
    portions: list[Portion]
    short: Decimal  # what the subtree lacks of the quantity asked for


async def suggest(
    sku: str, location_code: str, quantity: object, *, lot: str | None = None, near: str | None = None
) -> Suggestion:
    """Where to take ``quantity`` of a product from in a subtree (a warehouse's root or a zone): bins and
    lots in the strategy's order, only free stock in sellable bins and lots not past their removal date.
    ``near``: the location "closest" counts from (default: the subtree's root)."""
    conn = connection()
    qty = quantities.parse(quantity)
    sku_key = SKU.key(sku)
    product = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", sku_key) if sku_key else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    root = await _location(conn, location_code, "locationCode")
    start = await _location(conn, near, "nearLocationCode") if near is not None else root
    lot_id = None
    if lot is not None:
        lot_key = LOT_CODE.key(lot)
        found = await sql.fetch_one(
            conn, "SELECT id FROM lot WHERE product_id = $1 AND code = $2", product["id"], lot_key
        ) if lot_key else None  # fmt: skip
        if found is None:
            raise NotFound(f"There is no lot {shown(lot)} of {sku_key}.", field="lot")
        lot_id = int(found["id"])
    strategy = await strategy_for(conn, int(product["id"]), int(root["id"]))
    day, remaining, portions = today(), qty, []
    for candidate in ordered(await candidates_in(conn, int(product["id"]), root["path"]), strategy, start["path"]):
        if remaining <= 0:
            break
        share = min(candidate.available, remaining) if candidate.eligible(lot_id, day) else Decimal(0)
        if share > 0:
            portions.append(Portion(candidate.location_code, candidate.lot_code, candidate.removal_on, share))
            remaining -= share
    return Suggestion(strategy, portions, max(remaining, Decimal(0)).quantize(quantities.STEP))


async def _location(conn: BaseDBAsyncClient, code: str, field: str) -> dict[str, Any]:
    key = LOCATION_CODE.key(code)
    row = await sql.fetch_one(
        conn, "SELECT id, path, warehouse_id FROM location WHERE code = $1", key
    ) if key else None  # fmt: skip
    if row is None:
        raise NotFound(f"There is no location {shown(code)}.", field=field)
    if row["warehouse_id"] is None:
        raise Invalid(f"The location {key} is in no warehouse.", field=field)
    return row
