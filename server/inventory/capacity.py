"""What a location may hold: at most so many base units and kilograms, and which stock beside its own.

Limits are checked on every posting that puts stock into a location that has them, after the
posting's quants are locked and its moves written, under a lock on the location itself
(``location.stock:<id>``, a transaction-level advisory lock on PostgreSQL): postings hold the
location row FOR SHARE, so upgrading that to FOR UPDATE would deadlock two receipts, and a posting
of another product locks other quants. Holding the advisory lock, a posting only reads the bin and
writes its own (already locked) quants, so it never waits for anything while it holds it; the
next posting into the bin reads what the first committed. A location without limits costs nothing:
its ``Place`` says so from the row the posting read anyway.

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


async def held_in(conn: BaseDBAsyncClient, location_id: int, product_ids: Sequence[int]) -> dict[int, Held]:
    """What the location holds, per product, with the weights of those and of ``product_ids``."""
    wanted = sorted(set(product_ids))
    rows = await sql.fetch(
        conn,
        "SELECT quant.product_id, quant.on_hand, product.weight_kg FROM quant"
        " JOIN product ON product.id = quant.product_id WHERE quant.location_id = $1"
        " AND (CAST(quant.on_hand AS NUMERIC) > 0"
        + (f" OR quant.product_id IN ({sql.placeholders(2, len(wanted))})" if wanted else "")
        + ")",
        location_id,
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


async def refusals(conn: BaseDBAsyncClient, entries: Sequence[Entry]) -> list[tuple[int, DomainError]]:
    """Check the limits of every location the entries put stock into (the entries' moves are written, their
    quants not yet updated): each refusal with the index of an entry into that location. No statement at all
    when none of those locations has limits."""
    into: dict[int, list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if entry.target.limits is not None and entry.kind != "adjust":
            into[entry.target.id].append(index)
    found: list[tuple[int, DomainError]] = []
    for location_id in sorted(into):  # one order for every posting: these locks cannot deadlock each other
        await sql.lock_name(conn, f"location.stock:{location_id}")
        change: dict[int, Decimal] = defaultdict(Decimal)
        for entry in entries:
            if entry.target.id == location_id:
                change[entry.product.id] += entry.quantity
            elif entry.source.id == location_id:
                change[entry.product.id] -= entry.quantity
        place = entries[into[location_id][0]].target
        assert place.limits is not None
        held = await held_in(conn, location_id, list(change))
        problem = refusal(place.limits, place.code, held, change)
        if problem is not None:
            found.extend((index, problem) for index in into[location_id])
    return found


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
