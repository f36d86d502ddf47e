"""Replenishment rules: per pick bin and product, the minimum and maximum to keep there (base units), and
optionally the zone or bin to refill it from.

A rule is set (made, or changed) and removed by its pick bin and product, the pair it is unique for. A pick
bin is a real, sellable bin without sub-locations: where people pick what sells. Its refills come from the
rule's source (a zone, or a bin, of the same warehouse) or, without one, from any reserve storage of the
warehouse (see ``server.inventory.replenishment.stock``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.models import SKU
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute, row_effect
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.models import LOCATION_CODE, WAREHOUSE_CODE, LocationKind
from server.inventory.replenishment.models import ReplenishmentRule as Rule
from server.text import shown

_RELATED = ("warehouse", "location", "product", "source")


@dataclass(frozen=True)
class SetReplenishmentRule(Command):
    operation = "replenishment_rule.set"
    location: str
    sku: str
    minimum: Decimal
    maximum: Decimal
    source: str | None


@dataclass(frozen=True)
class RemoveReplenishmentRule(Command):
    operation = "replenishment_rule.remove"
    location: str
    sku: str


def _location_key(code: str, field: str) -> str:
    key = LOCATION_CODE.key(code)
    if key is None:
        raise NotFound(f"There is no location {shown(str(code))}.", field=field)
    return key


def _sku_key(sku: str) -> str:
    key = SKU.key(sku)
    if key is None:
        raise NotFound(f"There is no product with SKU {shown(str(sku))}.", field="sku")
    return key


def _limits(minimum: object, maximum: object) -> tuple[Decimal, Decimal]:
    low = quantities.parse(minimum, field="minimum", allow_zero=True)
    high = quantities.parse(maximum, field="maximum")
    if high <= low:
        raise Invalid(f"The maximum must be above the minimum ({low.normalize():f}).", field="maximum")
    return low, high


async def _pick_bin(conn: BaseDBAsyncClient, code: str, maximum: Decimal) -> dict[str, Any]:
    row = await sql.fetch_one(
        conn,
        "SELECT l.id, l.kind, l.warehouse_id, l.sellable, l.max_units,"
        " EXISTS (SELECT 1 FROM location c WHERE c.parent_id = l.id) AS has_children FROM location l WHERE l.code = $1",
        code,
    )
    if row is None:
        raise NotFound(f"There is no location {code}.", field="locationCode")
    if row["kind"] != LocationKind.INTERNAL or row["warehouse_id"] is None:
        raise Invalid(f"The location {code} cannot hold stock: a pick bin is a bin of a warehouse.",
                      field="locationCode")  # fmt: skip
    if row["has_children"]:
        raise Invalid(f"The location {code} has sub-locations: a pick bin is a bin.", field="locationCode")
    if not row["sellable"]:
        raise Invalid(f"Stock in {code} does not sell: a pick bin is a sellable bin.", field="locationCode")
    if row["max_units"] is not None and maximum > quantities.from_db(row["max_units"]):
        held = quantities.from_db(row["max_units"]).normalize()
        raise Invalid(f"The location {code} holds at most {held:f} units: the maximum cannot be more.",
                      field="maximum")  # fmt: skip
    return row


async def _source(conn: BaseDBAsyncClient, code: str, pick_bin: dict[str, Any]) -> int:
    row = await sql.fetch_one(conn, "SELECT id, kind, warehouse_id FROM location WHERE code = $1", code)
    if row is None:
        raise NotFound(f"There is no location {code}.", field="sourceLocationCode")
    if row["kind"] != LocationKind.INTERNAL or row["warehouse_id"] != pick_bin["warehouse_id"]:
        raise Invalid(f"The location {code} is not a zone or bin of the pick bin's warehouse.",
                      field="sourceLocationCode")  # fmt: skip
    if row["id"] == pick_bin["id"]:
        raise Invalid("A pick bin is not refilled from itself.", field="sourceLocationCode")
    return int(row["id"])


async def set_rule(
    location_code: str,
    sku: str,
    minimum: object,
    maximum: object,
    *,
    source_code: str | None = None,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Rule:
    """Keep a product in a pick bin between ``minimum`` and ``maximum`` (base units; the maximum above the
    minimum), refilled from ``source_code`` (a zone or bin of its warehouse) or, without it, from any reserve
    storage there. Setting it again for the same bin and product changes it."""
    location = _location_key(location_code, "locationCode")
    product_sku = _sku_key(sku)
    low, high = _limits(minimum, maximum)
    source = None  # blank: any reserve storage of the warehouse
    if source_code is not None and source_code.strip():
        source = _location_key(source_code, "sourceLocationCode")
    command = SetReplenishmentRule(location, product_sku, low, high, source)

    async def run(write: Write) -> Rule:
        conn = write.conn
        pick_bin = await _pick_bin(conn, location, high)
        product = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", product_sku)
        if product is None:
            raise NotFound(f"There is no product with SKU {product_sku}.", field="sku")
        source_id = await _source(conn, source, pick_bin) if source is not None else None
        at = now()
        # One statement whichever comes first: two settings of a new rule at once cannot both insert it.
        row = await sql.fetch_one(
            conn,
            "INSERT INTO replenishment_rule (warehouse_id, location_id, product_id, minimum, maximum, source_id,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (location_id, product_id) DO UPDATE SET minimum = EXCLUDED.minimum,"
            " maximum = EXCLUDED.maximum, source_id = EXCLUDED.source_id, updated_at = EXCLUDED.updated_at"
            " RETURNING id",
            pick_bin["warehouse_id"], pick_bin["id"], product["id"], low, high, source_id, at, at,
        )  # fmt: skip
        assert row is not None
        return await Rule.filter(id=row["id"]).using_db(conn).select_related(*_RELATED).get()

    effect = row_effect(run, Rule, "replenishment_rule", related=_RELATED)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def remove_rule(location_code: str, sku: str, *, actor_id: int | None, idempotency_key: str | None = None) -> int:
    """Stop keeping a product in a pick bin; the id the rule had. Its open proposals stay as they are."""
    command = RemoveReplenishmentRule(_location_key(location_code, "locationCode"), _sku_key(sku))

    async def run(write: Write) -> int:
        named = await sql.fetch_one(
            write.conn,
            "SELECT (SELECT id FROM location WHERE code = $1) AS location_id, (SELECT id FROM product WHERE sku = $2)"
            " AS product_id",
            command.location, command.sku,
        )  # fmt: skip
        assert named is not None
        if named["location_id"] is None:
            raise NotFound(f"There is no location {command.location}.", field="locationCode")
        if named["product_id"] is None:
            raise NotFound(f"There is no product with SKU {command.sku}.", field="sku")
        rule = await Rule.get_or_none(location_id=named["location_id"], product_id=named["product_id"],
                                      using_db=write.conn)  # fmt: skip
        if rule is None:
            raise NotFound(f"{command.location} has no replenishment rule for {command.sku}.", field="sku")
        await rule.delete(using_db=write.conn)
        return rule.id

    async def recall(stored: dict[str, Any]) -> int:
        return int(stored["replenishment_rule_id"])

    effect = Effect(run, lambda gone: Audited("replenishment_rule", gone),
                    lambda gone: {"replenishment_rule_id": gone}, recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


def find_rules(
    *, warehouse_code: str | None = None, location_code: str | None = None, sku: str | None = None
) -> QuerySet[Rule]:
    """The rules matching every filter given; a filter no row can match finds none."""
    query = Rule.all().select_related(*_RELATED)
    filters = ((warehouse_code, WAREHOUSE_CODE.key, "warehouse__code"), (location_code, LOCATION_CODE.key,
               "location__code"), (sku, SKU.key, "product__sku"))  # fmt: skip
    for given, key_of, lookup in filters:
        if given is None:
            continue
        key = key_of(given)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(**{lookup: key})
    return query


async def rules_by_ids(ids: list[int]) -> list[Rule]:
    return await Rule.filter(id__in=ids).select_related(*_RELATED)
