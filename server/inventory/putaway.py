"""Putaway: where received stock should go, and the rules that say so per warehouse.

A suggestion for a quantity of a product in a warehouse is, in this order:

1. a putaway rule's bin, or a bin with room under a rule's zone (rules by sequence, a product's
   before its category's);
2. a bin of the warehouse that already holds the product (the same lot first) and has room;
3. an empty bin of the warehouse with room.

Only storage bins are suggested (not receiving docks, quality control, quarantine or damaged
bins), a bin being a real location without sub-locations, and only where the quantity fits the
bin's limits and those of the zones above it (``server.inventory.capacity``, the same checks postings
make). A suggestion reads,
it does not reserve room: the posting into the bin checks its limits again, under its lock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.models import CATEGORY_NAME, SKU
from server.commands import Audited, Command, Effect, Write, execute, row_effect
from server.db import connection
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.capacity import WEIGHT, Held, Limits, held_in, limited_above, refusal
from server.inventory.models import LOCATION_CODE, LOT_CODE, NO_LOT, WAREHOUSE_CODE, LocationKind, LocationUsage
from server.inventory.models import PutawayRule as Rule
from server.inventory.moves import Move
from server.text import shown

MAX_SEQUENCE = 1_000_000
MAX_RULES_TRIED = 50  # of one product in one warehouse; more are ignored
MAX_BINS_EXAMINED = 2_000  # per suggestion: a warehouse of full bins answers "none" in bounded time
_PAGE = 200


class Reason(StrEnum):
    RULE = "rule"
    EXISTING_STOCK = "existing_stock"
    EMPTY_BIN = "empty_bin"


@dataclass(frozen=True)
class Suggestion:
    location_id: int
    location_code: str
    reason: Reason
    rule_id: int | None = None


class _Bins(Enum):
    """Which bins a stage of the search looks at."""

    HOLDING_LOT = "holding the lot"
    HOLDING = "holding the product"
    EMPTY = "empty"
    ANY = "any"


@dataclass(frozen=True)
class _Wanted:
    product_id: int
    weight_kg: Decimal | None
    category_id: int | None
    quantity: Decimal
    lot_id: int | None


@dataclass
class _Search:
    """One suggestion's search: the bins examined so far, so none is read twice and their number is bounded."""

    conn: BaseDBAsyncClient
    warehouse_id: int
    wanted: _Wanted
    seen: set[int]

    async def first_fitting(self, bins: _Bins, under: str | None = None) -> tuple[int, str] | None:
        after = 0
        while len(self.seen) < MAX_BINS_EXAMINED:
            rows = await self._page(bins, under, after)
            if not rows:
                return None
            after = int(rows[-1]["id"])
            fresh = [row for row in rows if int(row["id"]) not in self.seen]
            self.seen.update(int(row["id"]) for row in fresh)
            fitting = await self._fitting(fresh)
            if fitting:
                return int(fitting[0]["id"]), fitting[0]["code"]
        return None

    async def _page(self, bins: _Bins, under: str | None, after: int) -> list[dict[str, Any]]:
        params: list[Any] = [self.warehouse_id, LocationKind.INTERNAL.value, LocationUsage.STORAGE.value, after]
        query = (
            "SELECT l.id, l.code, l.max_units, l.max_weight_kg, l.mixing, l.path, l.limits_above FROM location l"
            " WHERE l.warehouse_id = $1 AND l.kind = $2 AND l.usage = $3 AND l.id > $4"
            " AND NOT EXISTS (SELECT 1 FROM location c WHERE c.parent_id = l.id)"
        )
        if under is not None:
            params.append(under + "%")
            query += f" AND l.path LIKE ${len(params)}"
        holding = "EXISTS (SELECT 1 FROM quant q WHERE q.location_id = l.id AND CAST(q.on_hand AS NUMERIC) > 0"
        if bins is _Bins.EMPTY:
            query += f" AND NOT {holding})"
        elif bins in (_Bins.HOLDING, _Bins.HOLDING_LOT):
            params.append(self.wanted.product_id)
            query += f" AND {holding} AND q.product_id = ${len(params)}"
            if bins is _Bins.HOLDING_LOT:
                params.append(self.wanted.lot_id)
                query += f" AND q.lot_id = ${len(params)}"
            query += ")"
        params.append(_PAGE)
        return await sql.fetch(self.conn, query + f" ORDER BY l.id LIMIT ${len(params)}", *params)

    async def _fitting(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The bins among ``rows`` the quantity fits, in their order."""
        limited = {int(row["id"]): limits for row in rows if (limits := Limits.of_row(row)) is not None}
        held = await _held(self.conn, list(limited))
        wanted = self.wanted
        change = {wanted.product_id: wanted.quantity}
        full_zones = await self._full_zones({row["path"] for row in rows if row["limits_above"]})
        fits = []
        for row in rows:
            limits = limited.get(int(row["id"]))
            if limits is not None:
                contents = held.get(int(row["id"]), {})
                contents.setdefault(wanted.product_id, Held(Decimal(0), wanted.weight_kg))
                if refusal(limits, row["code"], contents, change) is not None:
                    continue
            if any(row["path"].startswith(zone) for zone in full_zones):
                continue
            fits.append(row)
        return fits

    async def _full_zones(self, paths: set[str]) -> set[str]:
        """The paths of the zones above ``paths`` whose limits the quantity would break (postings check them
        too: a bin with room of its own in a full zone is refused)."""
        full: set[str] = set()
        change = {self.wanted.product_id: self.wanted.quantity}
        for zone in await limited_above(self.conn, paths) if paths else []:
            contents = await held_in(self.conn, zone, [self.wanted.product_id])
            contents.setdefault(self.wanted.product_id, Held(Decimal(0), self.wanted.weight_kg))
            if refusal(zone.limits, zone.code, contents, change) is not None:
                full.add(zone.path)
        return full


async def _held(conn: BaseDBAsyncClient, location_ids: list[int]) -> dict[int, dict[int, Held]]:
    """What each of these locations holds, per product, in one query."""
    if not location_ids:
        return {}
    rows = await sql.fetch(
        conn,
        "SELECT q.location_id, q.product_id, q.on_hand, p.weight_kg FROM quant q JOIN product p ON p.id = q.product_id"
        f" WHERE q.location_id IN ({sql.placeholders(1, len(location_ids))}) AND CAST(q.on_hand AS NUMERIC) > 0",
        *location_ids,
    )
    on_hand: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    weights: dict[int, Decimal | None] = {}
    for row in rows:
        on_hand[int(row["location_id"]), int(row["product_id"])] += quantities.from_db(row["on_hand"])
        weights[int(row["product_id"])] = None if row["weight_kg"] is None else WEIGHT.from_db(row["weight_kg"])
    held: dict[int, dict[int, Held]] = defaultdict(dict)
    for (location_id, product_id), quantity in on_hand.items():
        held[location_id][product_id] = Held(quantity, weights[product_id])
    return held


async def _suggest(conn: BaseDBAsyncClient, warehouse_id: int, wanted: _Wanted) -> Suggestion | None:
    search = _Search(conn, warehouse_id, wanted, set())
    rules = await sql.fetch(
        conn,
        "SELECT r.id, l.path, EXISTS (SELECT 1 FROM location c WHERE c.parent_id = l.id) AS is_zone"
        " FROM putaway_rule r JOIN location l ON l.id = r.location_id"
        " WHERE r.warehouse_id = $1 AND (r.product_id = $2 OR r.category_id = $3)"
        " ORDER BY r.sequence, CASE WHEN r.product_id IS NULL THEN 1 ELSE 0 END, r.id LIMIT $4",
        warehouse_id, wanted.product_id, wanted.category_id, MAX_RULES_TRIED,
    )  # fmt: skip
    for rule in rules:
        under = rule["path"]
        stages = (_Bins.HOLDING, _Bins.EMPTY, _Bins.ANY) if rule["is_zone"] else (_Bins.ANY,)
        for stage in stages:  # a rule's bin is the one bin whose path starts with its own
            if found := await search.first_fitting(stage, under):
                return Suggestion(found[0], found[1], Reason.RULE, int(rule["id"]))
    if wanted.lot_id is not None and (found := await search.first_fitting(_Bins.HOLDING_LOT)):
        return Suggestion(found[0], found[1], Reason.EXISTING_STOCK)
    if found := await search.first_fitting(_Bins.HOLDING):
        return Suggestion(found[0], found[1], Reason.EXISTING_STOCK)
    if found := await search.first_fitting(_Bins.EMPTY):
        return Suggestion(found[0], found[1], Reason.EMPTY_BIN)
    return None


async def _product(conn: BaseDBAsyncClient, sku: str) -> dict[str, Any]:
    key = SKU.key(sku)
    row = await sql.fetch_one(
        conn, "SELECT id, category_id, weight_kg, tracks_lots FROM product WHERE sku = $1", key
    ) if key else None  # fmt: skip
    if row is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    return row


async def suggest(sku: str, warehouse_code: str, quantity: object, *, lot: str | None = None) -> Suggestion | None:
    """Where to put ``quantity`` of a product received in a warehouse (see the module); None: nowhere fits."""
    qty = quantities.parse(quantity)
    conn = connection()
    product = await _product(conn, sku)
    key = WAREHOUSE_CODE.key(warehouse_code)
    warehouse = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", key) if key else None
    if warehouse is None:
        raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
    lot_id = None
    if lot is not None and lot.strip():
        lot_key = LOT_CODE.key(lot)
        if lot_key is None:
            raise Invalid(f"A lot code has 1 to {LOT_CODE.max_length} {LOT_CODE.rule}.", field="lot")
        if not product["tracks_lots"]:
            raise Invalid(f"The product {SKU.key(sku)} is not tracked by lot.", field="lot")
        row = await sql.fetch_one(
            conn, "SELECT id FROM lot WHERE product_id = $1 AND code = $2", product["id"], lot_key
        )
        lot_id = int(row["id"]) if row else None  # a new lot: no bin holds it yet
    return await _suggest(conn, int(warehouse["id"]), _wanted(product, qty, lot_id))


async def suggest_within(
    conn: BaseDBAsyncClient, warehouse_id: int, product_id: int, quantity: Decimal, lot_id: int | None = None
) -> Suggestion | None:
    """``suggest`` inside a write that has the product and warehouse already (a receipt against an order)."""
    product = await sql.fetch_one(conn, "SELECT id, category_id, weight_kg FROM product WHERE id = $1", product_id)
    assert product is not None
    return await _suggest(conn, warehouse_id, _wanted(product, quantity, lot_id))


def _wanted(product: dict[str, Any], quantity: Decimal, lot_id: int | None) -> _Wanted:
    weight = product["weight_kg"]
    return _Wanted(
        product_id=int(product["id"]), weight_kg=None if weight is None else WEIGHT.from_db(weight),
        category_id=product["category_id"], quantity=quantity, lot_id=lot_id,
    )  # fmt: skip


async def suggest_after_receipt(moves: list[Move]) -> Suggestion | None:
    """Where stock just received into a dock (a location that is not for storage) should go; None when it was
    received straight into storage, or nowhere fits."""
    if not moves or any(move.kind != "receive" for move in moves):
        return None
    conn = connection()
    first = moves[0]
    dock = await sql.fetch_one(conn, "SELECT warehouse_id, usage FROM location WHERE id = $1", first.to_location_id)
    if dock is None or dock["warehouse_id"] is None or dock["usage"] == LocationUsage.STORAGE:
        return None
    product = await sql.fetch_one(
        conn, "SELECT id, category_id, weight_kg FROM product WHERE id = $1", first.product_id
    )  # fmt: skip
    assert product is not None
    lot_ids = {move.lot_id or NO_LOT for move in moves}
    lot_id = lot_ids.pop() if len(lot_ids) == 1 and NO_LOT not in lot_ids else None
    quantity = sum((move.quantity for move in moves), Decimal(0))
    return await _suggest(conn, int(dock["warehouse_id"]), _wanted(product, quantity, lot_id))


# --- the rules ---------------------------------------------------------------------------------------------


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP


@dataclass(frozen=True)
class CreatePutawayRule(Command):
    operation = "putaway_rule.create"
    warehouse: str
    location: str
    sku: str | None
    category: str | None
    sequence: int


@dataclass(frozen=True)
class UpdatePutawayRule(Command):
    operation = "putaway_rule.update"
    id: int
    location: str | None
    sequence: int | None


@dataclass(frozen=True)
class DeletePutawayRule(Command):
    operation = "putaway_rule.delete"
    id: int


def _sequence(value: int) -> int:
    if not isinstance(value, int) or not 0 <= value <= MAX_SEQUENCE:
        raise Invalid(f"A sequence is a whole number from 0 to {MAX_SEQUENCE:,}.", field="sequence")
    return value


def _location_code(code: str) -> str:
    key = LOCATION_CODE.key(code)
    if key is None:
        raise NotFound(f"There is no location {shown(code)}.", field="locationCode")
    return key


async def _target(conn: BaseDBAsyncClient, warehouse_id: int, code: str) -> int:
    """The zone or bin a rule sends stock to: a real location of the rule's warehouse."""
    row = await sql.fetch_one(conn, "SELECT id, kind, warehouse_id FROM location WHERE code = $1", code)
    if row is None:
        raise NotFound(f"There is no location {code}.", field="locationCode")
    if row["kind"] != LocationKind.INTERNAL or row["warehouse_id"] != warehouse_id:
        raise Invalid(f"The location {code} is not a zone or bin of the rule's warehouse.", field="locationCode")
    return int(row["id"])


async def create_rule(
    warehouse_code: str,
    location_code: str,
    *,
    sku: str | None = None,
    category: str | None = None,
    sequence: int = 10,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Rule:
    """A rule sending a product's (or a category's) stock received in a warehouse to a zone or bin."""
    if (sku is None) == (category is None):
        raise Invalid("A rule is for a product (sku) or for a category: give one of them.", field="sku")
    sku_key = SKU.key(sku) if sku is not None else None
    if sku is not None and sku_key is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    category_key = CATEGORY_NAME.key(category) if category is not None else None
    if category is not None and category_key is None:
        raise NotFound(f"There is no category {shown(category)}.", field="category")
    warehouse_key = WAREHOUSE_CODE.key(warehouse_code)
    if warehouse_key is None:
        raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
    command = CreatePutawayRule(warehouse_key, _location_code(location_code), sku_key, category_key,
                                _sequence(sequence))  # fmt: skip

    async def run(write: Write) -> Rule:
        conn = write.conn
        warehouse = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", warehouse_key)
        if warehouse is None:
            raise NotFound(f"There is no warehouse {warehouse_key}.", field="warehouseCode")
        product_id = category_id = None
        if sku_key is not None:
            product = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", sku_key)
            if product is None:
                raise NotFound(f"There is no product with SKU {sku_key}.", field="sku")
            product_id = int(product["id"])
        else:
            row = await sql.fetch_one(conn, "SELECT id FROM category WHERE name = $1", category_key)
            if row is None:
                raise NotFound(f"There is no category {shown(category_key or '')}.", field="category")
            category_id = int(row["id"])
        location_id = await _target(conn, int(warehouse["id"]), command.location)
        return await Rule.create(
            warehouse_id=int(warehouse["id"]), product_id=product_id, category_id=category_id, location_id=location_id,
            sequence=command.sequence, using_db=conn,
        )  # fmt: skip

    done = await execute(command, row_effect(run, Rule, "putaway_rule"), actor_id=actor_id,
                         idempotency_key=idempotency_key)  # fmt: skip
    return done.result


async def update_rule(
    rule_id: int,
    *,
    location_code: str | _Keep = KEEP,
    sequence: int | _Keep = KEEP,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Rule:
    """Send a rule's stock elsewhere in its warehouse, or try it in another order."""
    location = None if location_code is KEEP else _location_code(location_code)
    new_sequence = None if sequence is KEEP else _sequence(sequence)

    async def run(write: Write) -> Rule:
        rule = await Rule.select_for_update().using_db(write.conn).get_or_none(id=rule_id)
        if rule is None:
            raise NotFound("There is no such putaway rule.", field="id")
        if location is not None:
            rule.location_id = await _target(write.conn, rule.warehouse_id, location)  # type: ignore[attr-defined]
        if new_sequence is not None:
            rule.sequence = new_sequence
        await rule.save(update_fields=["location_id", "sequence"], using_db=write.conn)
        return rule

    done = await execute(UpdatePutawayRule(rule_id, location, new_sequence), row_effect(run, Rule, "putaway_rule"),
                         actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip
    return done.result


async def delete_rule(rule_id: int, *, actor_id: int | None, idempotency_key: str | None = None) -> int:
    """Remove a rule; the id it had. A retry with the same key answers the same, the rule being gone."""

    async def run(write: Write) -> int:
        if not await Rule.filter(id=rule_id).using_db(write.conn).delete():
            raise NotFound("There is no such putaway rule.", field="id")
        return rule_id

    async def recall(stored: dict[str, Any]) -> int:
        return int(stored["putaway_rule_id"])

    effect = Effect(run, lambda gone: Audited("putaway_rule", gone), lambda gone: {"putaway_rule_id": gone}, recall)
    return (
        await execute(DeletePutawayRule(rule_id), effect, actor_id=actor_id, idempotency_key=idempotency_key)
    ).result


def find_rules(*, warehouse_code: str | None = None) -> QuerySet[Rule]:
    """Every putaway rule, or those of one warehouse; a code no warehouse can have finds none."""
    query = Rule.all().select_related("warehouse", "product", "category", "location")
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        query = query.filter(warehouse__code=key) if key else query.filter(id__in=[])
    return query


async def rules_by_ids(ids: list[int]) -> list[Rule]:
    return await Rule.filter(id__in=ids).select_related("warehouse", "product", "category", "location")
