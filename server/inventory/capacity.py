"""What a location may hold: at most so many base units and kilograms, and which stock beside its own.

Limits are checked on every posting that puts stock into a location that has them, after the
posting's quants are locked and its moves written, under a lock on the location itself
(``location.stock:<id>``, a transaction-level advisory lock on PostgreSQL): postings hold the
location row FOR SHARE, so upgrading that to FOR UPDATE would deadlock two receipts, and a posting
of another product locks other quants. Holding the advisory lock, a posting only reads the bin and
writes its own (already locked) quants, so it never waits for anything while it holds it; the
next posting into the bin reads what the first committed. A location without limits costs nothing:
its ``Place`` says so from the row the posting read anyway.

A location's limits count everything at and under it: a zone's cap its bins together. Every location
knows whether one above it has limits (``limits_above``, kept by ``server.inventory.zones``), so a
posting into a bin under no limited zone reads nothing more.

A count (``adjust``) states what is there and is never refused for it. A product without a weight
weighs nothing against a weight limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU, Product
from server.catalog.service import WEIGHT, product_weight
from server.commands import Command, Write, execute, row_effect
from server.errors import DomainError, ErrorCode, NotFound
from server.inventory import quantities
from server.inventory.models import Mixing
from server.text import shown, storable

if TYPE_CHECKING:
    from server.inventory.lookups import Place
    from server.inventory.posting import Entry

ZERO = Decimal(0)


class CapacityExceeded(DomainError):
    code = ErrorCode.CAPACITY_EXCEEDED


class MixingRefused(DomainError):
    code = ErrorCode.MIXING_REFUSED


@dataclass(frozen=True)
class Limits:
    max_units: Decimal | None = None
    max_weight_kg: Decimal | None = None
    mixing: Mixing = Mixing.MIXED

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Limits | None:
        """The limits in a location row (``max_units``, ``max_weight_kg``, ``mixing``); None when it has none."""
        mixing = Mixing(row["mixing"] or Mixing.MIXED)
        if row["max_units"] is None and row["max_weight_kg"] is None and mixing is Mixing.MIXED:
            return None
        return cls(
            max_units=None if row["max_units"] is None else quantities.from_db(row["max_units"]),
            max_weight_kg=None if row["max_weight_kg"] is None else WEIGHT.from_db(row["max_weight_kg"]),
            mixing=mixing,
        )


@dataclass(frozen=True)
class Held:
    """One product's stock in a location (all its lots) and its weight per base unit."""

    on_hand: Decimal
    weight_kg: Decimal | None


def refusal(limits: Limits, code: str, held: dict[int, Held], change: dict[int, Decimal]) -> DomainError | None:
    """Why location ``code``, holding ``held``, cannot take ``change`` (product id -> base units, negative for
    stock leaving it); None when it can. A location already over a limit still lets stock out."""
    products = held.keys() | change.keys()
    before = {p: held[p].on_hand if p in held else ZERO for p in products}
    after = {p: before[p] + change.get(p, ZERO) for p in products}
    incoming = any(quantity > 0 for quantity in change.values())
    if limits.mixing is Mixing.EMPTY_ONLY and incoming and any(q > 0 for q in before.values()):
        return MixingRefused(f"The location {code} takes stock only while it is empty.", field="locationCode")
    if limits.mixing is not Mixing.MIXED and incoming and sum(1 for q in after.values() if q > 0) > 1:
        return MixingRefused(f"The location {code} holds one product at a time.", field="locationCode")
    units_before, units_after = sum(before.values(), ZERO), sum(after.values(), ZERO)
    if limits.max_units is not None and units_after > max(limits.max_units, units_before):
        return CapacityExceeded(
            f"The location {code} holds at most {limits.max_units} units: it has {units_before}, and this would"
            f" make it {units_after}.",
            field="quantity",
        )
    if limits.max_weight_kg is not None:

        def weight(quantities_by_product: dict[int, Decimal]) -> Decimal:
            return sum((q * (held[p].weight_kg or ZERO) for p, q in quantities_by_product.items() if p in held), ZERO)

        weight_before, weight_after = weight(before), weight(after)
        if weight_after > max(limits.max_weight_kg, weight_before):
            return CapacityExceeded(
                f"The location {code} holds at most {limits.max_weight_kg} kg: it has {weight_before.normalize()} kg,"
                f" and this would make it {weight_after.normalize()} kg (products without a weight count 0).",
                field="quantity",
            )
    return None


async def held_in(conn: BaseDBAsyncClient, location: Limited, product_ids: Sequence[int]) -> dict[int, Held]:
    """What the location holds, itself and everything under it, per product, with the weights of those and
    of ``product_ids``."""
    wanted = sorted(set(product_ids))
    params: list[object] = [location.id] if location.is_leaf else [location.path + "%"]
    where = (
        "quant.location_id = $1"  # a bin: its own quants, by the quant key's index
        if location.is_leaf
        else "quant.location_id IN (SELECT id FROM location WHERE path LIKE $1)"  # ids and slashes: no wildcard
    )
    rows = await sql.fetch(
        conn,
        "SELECT quant.product_id, quant.on_hand, product.weight_kg FROM quant"
        f" JOIN product ON product.id = quant.product_id WHERE {where}"
        " AND (CAST(quant.on_hand AS NUMERIC) > 0"
        + (f" OR quant.product_id IN ({sql.placeholders(2, len(wanted))})" if wanted else "")
        + ")",
        *params,
        *wanted,
    )
    on_hand: dict[int, Decimal] = defaultdict(Decimal)
    weights: dict[int, Decimal | None] = {}
    for row in rows:
        product_id = int(row["product_id"])
        on_hand[product_id] += quantities.from_db(row["on_hand"])
        weights[product_id] = None if row["weight_kg"] is None else WEIGHT.from_db(row["weight_kg"])
    missing = [p for p in wanted if p not in weights]
    if missing:  # a product with no quant here yet (a caller that did not create it first)
        for row in await sql.fetch(
            conn, f"SELECT id, weight_kg FROM product WHERE id IN ({sql.placeholders(1, len(missing))})", *missing
        ):
            weights[int(row["id"])] = None if row["weight_kg"] is None else WEIGHT.from_db(row["weight_kg"])
    return {p: Held(on_hand.get(p, ZERO), weights.get(p)) for p in weights}


@dataclass(frozen=True)
class Limited:
    """A location with limits, as a posting checks them: on everything at or under ``path``."""

    id: int
    code: str
    path: str
    limits: Limits
    is_leaf: bool  # nothing under it: its own quants are all it holds

    def holds(self, place: Place) -> bool:
        return place.id == self.id or (not self.is_leaf and place.path.startswith(self.path))


def ancestor_ids(path: str) -> list[int]:
    """The ids of the locations above the one at ``path``, from the root down."""
    return [int(step) for step in path.strip("/").split("/")[:-1] if step]


async def _limited_above(conn: BaseDBAsyncClient, places: set[Place]) -> list[Limited]:
    return await limited_above(conn, {place.path for place in places})


async def limited_above(conn: BaseDBAsyncClient, paths: set[str]) -> list[Limited]:
    """The locations above the ones at ``paths`` that have limits (zones, aisles): one query for all."""
    ids = sorted({a for path in paths for a in ancestor_ids(path)})
    if not ids:
        return []
    rows = await sql.fetch(
        conn,
        "SELECT id, code, path, max_units, max_weight_kg, mixing FROM location"
        f" WHERE id IN ({sql.placeholders(1, len(ids))})",
        *ids,
    )
    return [
        Limited(int(r["id"]), r["code"], r["path"], limits, is_leaf=False)
        for r in rows
        if (limits := Limits.of_row(r)) is not None
    ]


async def refusals(conn: BaseDBAsyncClient, entries: Sequence[Entry]) -> list[tuple[int, DomainError]]:
    """Check the limits of every location the entries put stock into, and of the zones above it (the entries'
    moves are written, their quants not yet updated): each refusal with the index of an entry into it. No
    statement at all when none of those locations, nor any above them, has limits.

    A zone's limits count everything under it: its lock is taken, in the one id order of all these locks, so
    two postings into two of its bins take turns, and the second reads what the first committed."""
    checked = [(index, entry) for index, entry in enumerate(entries) if entry.kind != "adjust"]
    limited: dict[int, Limited] = {}
    for _, entry in checked:
        target = entry.target
        if target.limits is not None:
            leaf = await _is_leaf(conn, target)
            limited[target.id] = Limited(target.id, target.code, target.path, target.limits, is_leaf=leaf)
    above = {entry.target for _, entry in checked if entry.target.limited_above}
    for zone in await _limited_above(conn, above) if above else []:
        limited[zone.id] = zone
    found: list[tuple[int, DomainError]] = []
    for location_id in sorted(limited):  # one order for every posting: these locks cannot deadlock each other
        location = limited[location_id]
        into = [index for index, entry in checked if location.holds(entry.target)]
        if not into:
            continue
        await sql.lock_name(conn, f"location.stock:{location_id}")
        change: dict[int, Decimal] = defaultdict(Decimal)
        for entry in entries:
            if location.holds(entry.target):
                change[entry.product.id] += entry.quantity
            if location.holds(entry.source):
                change[entry.product.id] -= entry.quantity
        held = await held_in(conn, location, list(change))
        problem = refusal(location.limits, location.code, held, change)
        if problem is not None:
            found.extend((index, problem) for index in into)
    return found


async def _is_leaf(conn: BaseDBAsyncClient, place: Place) -> bool:
    """Whether nothing hangs under the location (a bin): then its own quants are all it holds."""
    return await sql.fetch_one(conn, "SELECT 1 AS yes FROM location WHERE parent_id = $1 LIMIT 1", place.id) is None


@dataclass(frozen=True)
class SetProductWeight(Command):
    operation = "product.set_weight"
    sku: str
    weight_kg: Decimal | None


async def set_product_weight(
    sku: str, weight_kg: object, *, actor_id: int | None, idempotency_key: str | None = None
) -> Product:
    """Set (or clear, with None) a product's weight per base unit, which locations' weight limits count.

    The product row is locked FOR UPDATE, as every change of a setting postings rely on: a posting
    holds it FOR SHARE, so one in flight checks the old weight and commits first.
    """
    key = SKU.key(sku)
    weight = product_weight(weight_kg)

    async def run(write: Write) -> Product:
        row = await sql.fetch_one(write.conn, "SELECT id FROM product WHERE sku = $1 FOR UPDATE", key) if key else None
        if row is None:
            raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
        await sql.execute(write.conn, "UPDATE product SET weight_kg = $1 WHERE id = $2", weight, row["id"])
        return await Product.filter(id=row["id"]).using_db(write.conn).select_related("category", "brand").get()

    command = SetProductWeight(key or storable(sku), weight)
    effect = row_effect(run, Product, "product", related=("category", "brand"))
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result
