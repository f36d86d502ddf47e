"""Reorder rules: per product and warehouse, the minimum and maximum to keep (base units), the safety stock, the
window the daily demand is averaged over, and optionally the supplier to buy from.

A rule is set (made, or changed) and deleted by its warehouse and product, the pair it is unique for. Every
number is checked before the database sees it: no negatives, a minimum above the maximum is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.queryset import QuerySet

from server import sql
from server.catalog.models import SKU
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute, row_effect
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.models import WAREHOUSE_CODE
from server.partners.models import PARTY_CODE, PartyRole
from server.partners.service import require_party
from server.purchasing.planning_models import DEFAULT_DEMAND_DAYS
from server.purchasing.planning_models import ReorderRule as Rule
from server.text import shown

RELATED = ("warehouse", "product", "supplier")
MAX_DEMAND_DAYS = 366


@dataclass(frozen=True)
class RuleInput:
    """A reorder rule as a caller sends it (numbers as typed; checked by ``set_rule``)."""

    warehouse: str
    sku: str
    minimum: object = "0"
    maximum: object = "0"
    safety_stock: object = "0"
    demand_days: int = DEFAULT_DEMAND_DAYS
    supplier: str | None = None  # None or blank: the supplier with the lowest valid price


@dataclass(frozen=True)
class SetReorderRule(Command):
    operation = "reorder_rule.set"
    warehouse: str
    sku: str
    minimum: Decimal
    maximum: Decimal
    safety_stock: Decimal
    demand_days: int
    supplier: str | None


@dataclass(frozen=True)
class DeleteReorderRule(Command):
    operation = "reorder_rule.delete"
    warehouse: str
    sku: str


def _key(spec: Any, given: str, field: str, what: str) -> str:
    key = spec.key(given) if isinstance(given, str) else None
    if key is None:
        raise NotFound(f"There is no {what} {shown(str(given))}.", field=field)
    return key  # type: ignore[no-any-return]


def _checked(given: RuleInput) -> SetReorderRule:
    warehouse = _key(WAREHOUSE_CODE, given.warehouse, "warehouse", "warehouse")
    sku = _key(SKU, given.sku, "sku", "product with SKU")
    low = quantities.parse(given.minimum, field="minimum", allow_zero=True)
    high = quantities.parse(given.maximum, field="maximum", allow_zero=True)
    safety = quantities.parse(given.safety_stock, field="safetyStock", allow_zero=True)
    if low > high:
        raise Invalid(f"The maximum cannot be below the minimum ({low.normalize():f}).", field="maximum")
    if not isinstance(given.demand_days, int) or not 1 <= given.demand_days <= MAX_DEMAND_DAYS:
        raise Invalid(f"The demand window is 1 to {MAX_DEMAND_DAYS} days.", field="demandDays")
    supplier = None
    if given.supplier is not None and given.supplier.strip():
        supplier = _key(PARTY_CODE, given.supplier, "supplier", "party")
    return SetReorderRule(warehouse, sku, low, high, safety, given.demand_days, supplier)


async def set_rule(given: RuleInput, *, actor_id: int | None, idempotency_key: str | None = None) -> Rule:
    """Keep a product in a warehouse by this rule; setting it again for the same pair changes it."""
    command = _checked(given)

    async def run(write: Write) -> Rule:
        conn = write.conn
        named = await sql.fetch_one(
            conn,
            "SELECT (SELECT id FROM warehouse WHERE code = $1) AS warehouse_id,"
            " (SELECT id FROM product WHERE sku = $2) AS product_id",
            command.warehouse, command.sku,
        )  # fmt: skip
        assert named is not None
        if named["warehouse_id"] is None:
            raise NotFound(f"There is no warehouse {command.warehouse}.", field="warehouse")
        if named["product_id"] is None:
            raise NotFound(f"There is no product with SKU {command.sku}.", field="sku")
        supplier_id = None
        if command.supplier is not None:
            supplier_id = (await require_party(conn, command.supplier, field="supplier", role=PartyRole.SUPPLIER)).id
        at = now()
        # One statement whichever comes first: two settings of a new rule at once cannot both insert it.
        row = await sql.fetch_one(
            conn,
            "INSERT INTO reorder_rule (warehouse_id, product_id, minimum, maximum, safety_stock, demand_days,"
            " supplier_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (warehouse_id, product_id) DO UPDATE SET minimum = EXCLUDED.minimum,"
            " maximum = EXCLUDED.maximum, safety_stock = EXCLUDED.safety_stock, demand_days = EXCLUDED.demand_days,"
            " supplier_id = EXCLUDED.supplier_id, updated_at = EXCLUDED.updated_at RETURNING id",
            named["warehouse_id"], named["product_id"], command.minimum, command.maximum, command.safety_stock,
            command.demand_days, supplier_id, at, at,
        )  # fmt: skip
        assert row is not None
        return await Rule.filter(id=row["id"]).using_db(conn).select_related(*RELATED).get()

    effect = row_effect(run, Rule, "reorder_rule", related=RELATED)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def delete_rule(warehouse: str, sku: str, *, actor_id: int | None, idempotency_key: str | None = None) -> int:
    """Stop planning purchases of a product for a warehouse; the id the rule had. Its drafts stay as they are."""
    command = DeleteReorderRule(_key(WAREHOUSE_CODE, warehouse, "warehouse", "warehouse"),
                                _key(SKU, sku, "sku", "product with SKU"))  # fmt: skip

    async def run(write: Write) -> int:
        rule = await Rule.get_or_none(warehouse__code=command.warehouse, product__sku=command.sku, using_db=write.conn)
        if rule is None:
            raise NotFound(f"{command.warehouse} has no reorder rule for {command.sku}.", field="sku")
        await rule.delete(using_db=write.conn)
        return rule.id

    async def recall(stored: dict[str, Any]) -> int:
        return int(stored["reorder_rule_id"])

    effect = Effect(run, lambda gone: Audited("reorder_rule", gone), lambda gone: {"reorder_rule_id": gone}, recall)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


def find_rules(*, warehouse: str | None = None, sku: str | None = None) -> QuerySet[Rule]:
    """The rules matching every filter given; a filter no row can match finds none."""
    query = Rule.all().select_related(*RELATED).order_by("id")
    for given, spec, lookup in ((warehouse, WAREHOUSE_CODE, "warehouse__code"), (sku, SKU, "product__sku")):
        if given is None:
            continue
        key = spec.key(given)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(**{lookup: key})
    return query


async def rules_by_ids(ids: list[int]) -> list[Rule]:
    return await Rule.filter(id__in=ids).select_related(*RELATED)
