"""Purchase planning: what each reorder rule says to buy now, and why. Nothing here writes.

For a rule of a product in a warehouse::

    daily demand = what left the warehouse to customers or into assemblies over the last ``demand_days``
                   (less what customers returned into it), / ``demand_days``
    demand need  = daily demand x lead time + safety stock - available - incoming
    min/max need = maximum - (available + incoming), when available + incoming is at or below the minimum

and the suggestion is the larger need, bought from the rule's supplier (else the one with the lowest valid
price per base unit, in the company currency) in that supplier's pack: whole packs, at least its minimum
quantity. The lead time is the supplier price's, else the supplier's. Incoming is what open purchase orders
and the other incoming providers (``server.inventory.availability``) still bring into the warehouse, and every
draft purchase order line into it but the lines the planning job itself keeps (``own_lines``): a line a person
wrote or edited is theirs, and counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now, today
from server.db import connection
from server.documents.kinds import DRAFT
from server.errors import DomainError, NotFound
from server.inventory import quantities
from server.inventory.availability import available_in, incoming_of
from server.inventory.models import WAREHOUSE_CODE, LocationKind
from server.money.amounts import plain
from server.money.rates import rate_on
from server.purchasing.orders import ORDER
from server.text import shown

ZERO = Decimal("0.0000")
STEP = Decimal("0.0001")
MAX_INCOMING_READ = 100_000  # documents bringing one product to one warehouse: far more than any has
_DEMAND_TO = (LocationKind.CUSTOMER.value, LocationKind.ASSEMBLY.value)


@dataclass(frozen=True)
class Offer:
    """The supplier price a suggestion buys at: its unit, how many base units one holds, its minimum."""

    supplier_id: int
    supplier_code: str
    supplier_currency: str | None
    currency: str
    unit: str
    pack_quantity: Decimal
    min_quantity: Decimal  # in ``unit``
    price: Decimal  # per ``unit``
    lead_time_days: int


@dataclass(frozen=True)
class OwnLine:
    """A draft line the planning job wrote and nobody has changed since: the job may change or remove it."""

    order_id: int
    product_id: int
    unit: str
    quantity: Decimal
    base_quantity: Decimal


@dataclass
class Ownership:
    """The job's own lines of a warehouse's drafts, and the proposal rows that no longer describe a line."""

    lines: dict[tuple[int, int], OwnLine] = field(default_factory=dict)
    stale: list[int] = field(default_factory=list)  # planned_line ids: edited, gone, or no longer on a draft


@dataclass(frozen=True)
class Suggestion:
    """What one rule says to buy now, with every figure that led there."""

    rule_id: int
    warehouse_id: int
    warehouse_code: str
    product_id: int
    sku: str
    minimum: Decimal
    maximum: Decimal
    safety_stock: Decimal
    demand_days: int
    demand: Decimal  # base units that left over the window
    daily_demand: Decimal
    available: Decimal
    incoming: Decimal
    offer: Offer | None
    demand_need: Decimal
    min_max_need: Decimal

    @property
    def lead_time_days(self) -> int:
        return self.offer.lead_time_days if self.offer else 0

    @property
    def need(self) -> Decimal:
        """Base units wanted (before packs)."""
        return max(self.demand_need, self.min_max_need, ZERO)

    @property
    def packs(self) -> Decimal:
        """How many of the supplier's unit to order: whole packs, at least its minimum (0: nothing needed)."""
        if self.offer is None or self.need <= 0:
            return ZERO
        whole = Decimal(math.ceil(self.need / self.offer.pack_quantity))
        return max(whole, self.offer.min_quantity.to_integral_value(ROUND_CEILING)).quantize(STEP)

    @property
    def quantity(self) -> Decimal:
        """Base units the packs hold."""
        return (self.packs * self.offer.pack_quantity).quantize(STEP) if self.offer else ZERO

    @property
    def no_price(self) -> bool:
        return self.need > 0 and self.offer is None

    @property
    def reason(self) -> str:
        said = [
            f"Demand {plain(self.demand)} over {self.demand_days} days ({plain(self.daily_demand)} a day)"
            f" x lead time {self.lead_time_days} days + safety stock {plain(self.safety_stock)}"
            f" - available {plain(self.available)} - incoming {plain(self.incoming)} = {plain(self.demand_need)}."
        ]
        if self.maximum > 0:
            level = self.available + self.incoming
            if level <= self.minimum:
                said.append(f"Available and incoming {plain(level)} is at or below the minimum {plain(self.minimum)}:"
                            f" up to the maximum {plain(self.maximum)} is {plain(self.min_max_need)}.")  # fmt: skip
            else:
                said.append(f"Available and incoming {plain(level)} is above the minimum {plain(self.minimum)}.")
        if self.need <= 0:
            said.append("Nothing to order.")
        elif self.offer is None:
            said.append(f"No supplier has a valid price for {self.sku}: nothing can be ordered.")
        else:
            pack = f" of {plain(self.offer.pack_quantity)}" if self.offer.pack_quantity != 1 else ""
            minimum = f", at least {plain(self.offer.min_quantity)}" if self.offer.min_quantity > 0 else ""
            said.append(f"Order {plain(self.packs)} {self.offer.unit}{pack} ({plain(self.quantity)}) from"
                        f" {self.offer.supplier_code}: whole packs{minimum}.")  # fmt: skip
        return " ".join(said)


async def suggestions(warehouse_code: str) -> list[Suggestion]:
    """What a run would order for a warehouse now, and why, without writing anything."""
    conn = connection()
    key = WAREHOUSE_CODE.key(warehouse_code) if isinstance(warehouse_code, str) else None
    row = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", key) if key else None
    if row is None:
        raise NotFound(f"There is no warehouse {shown(str(warehouse_code))}.", field="warehouseCode")
    return await suggest(conn, int(row["id"]), await own_lines(conn, int(row["id"])))


async def suggest(conn: BaseDBAsyncClient, warehouse_id: int, own: Ownership) -> list[Suggestion]:
    """Every rule of the warehouse with what it says to buy now, by SKU."""
    rules = await sql.fetch(
        conn,
        "SELECT r.id, r.product_id, r.minimum, r.maximum, r.safety_stock, r.demand_days, r.supplier_id, p.sku,"
        " w.code AS warehouse_code FROM reorder_rule r JOIN product p ON p.id = r.product_id"
        " JOIN warehouse w ON w.id = r.warehouse_id WHERE r.warehouse_id = $1 ORDER BY p.sku",
        warehouse_id,
    )
    drafted = await _drafted(conn, warehouse_id, own)
    suggestions = []
    for rule in rules:
        product_id, days = int(rule["product_id"]), int(rule["demand_days"])
        demand = await _demand(conn, product_id, warehouse_id, days)
        daily = (demand / days).quantize(STEP, ROUND_CEILING)
        available = await available_in(conn, product_id, warehouse_id)
        coming = await incoming_of(conn, product_id, warehouse_id, MAX_INCOMING_READ)
        incoming = sum((i.quantity for i in coming), ZERO) + drafted.get(product_id, ZERO)
        offers = await _offers(conn, product_id, int(rule["supplier_id"]) if rule["supplier_id"] else None)
        minimum, maximum = quantities.from_db(rule["minimum"]), quantities.from_db(rule["maximum"])
        safety = quantities.from_db(rule["safety_stock"])
        level = available + incoming
        unpriced = Suggestion(
            rule_id=int(rule["id"]), warehouse_id=warehouse_id, warehouse_code=rule["warehouse_code"],
            product_id=product_id, sku=rule["sku"], minimum=minimum, maximum=maximum, safety_stock=safety,
            demand_days=days, demand=demand, daily_demand=daily, available=available, incoming=incoming, offer=None,
            demand_need=(safety - level).quantize(STEP, ROUND_CEILING),
            min_max_need=maximum - level if maximum > 0 and level <= minimum else ZERO,
        )  # fmt: skip
        suggestions.append(_cheapest_for_the_need([_at(unpriced, offer) for offer in offers]) or unpriced)
    return suggestions


def _at(unpriced: Suggestion, offer: Offer) -> Suggestion:
    """The suggestion when bought at ``offer``: its lead time sets the demand need."""
    need = unpriced.daily_demand * offer.lead_time_days + unpriced.safety_stock - unpriced.available - unpriced.incoming
    return replace(unpriced, offer=offer, demand_need=need.quantize(STEP, ROUND_CEILING))


def _cheapest_for_the_need(candidates: list[Suggestion]) -> Suggestion | None:
    """Of the suggestions at each valid price (cheapest per base unit first), the first whose minimum quantity
    the need reaches: a lower price from a larger quantity does not make the order that large. When none is
    reached, the one with the smallest minimum (the order is raised to it)."""
    if not candidates:
        return None
    for candidate in candidates:
        assert candidate.offer is not None
        if candidate.need <= 0 or candidate.need >= candidate.offer.min_quantity * candidate.offer.pack_quantity:
            return candidate
    return min(candidates, key=lambda c: c.offer.min_quantity if c.offer else ZERO)


async def _demand(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int, days: int) -> Decimal:
    """What left the warehouse to customers or into assemblies since ``days`` ago, less customer returns."""
    kinds = sql.placeholders(4, len(_DEMAND_TO))
    rows = await sql.fetch(
        conn,
        "SELECT m.quantity, f.warehouse_id AS from_warehouse, f.kind AS from_kind FROM stock_move m"
        " JOIN location f ON f.id = m.from_location_id JOIN location t ON t.id = m.to_location_id"
        " WHERE m.product_id = $1 AND m.effective_at >= $2 AND ("
        f" (f.warehouse_id = $3 AND f.kind = 'internal' AND t.kind IN ({kinds}))"
        f" OR (t.warehouse_id = ${4 + len(_DEMAND_TO)} AND t.kind = 'internal' AND f.kind = 'customer'))",
        product_id, now() - timedelta(days=days), warehouse_id, *_DEMAND_TO, warehouse_id,
    )  # fmt: skip
    total = ZERO
    for row in rows:
        out = row["from_kind"] == LocationKind.INTERNAL.value and row["from_warehouse"] == warehouse_id
        total += quantities.from_db(row["quantity"]) * (1 if out else -1)
    return max(total, ZERO)


async def _drafted(conn: BaseDBAsyncClient, warehouse_id: int, own: Ownership) -> dict[int, Decimal]:
    """Per product, what draft purchase orders into the warehouse hold, but the job's own lines."""
    rows = await sql.fetch(
        conn,
        "SELECT l.document_id, l.product_id, l.base_quantity FROM document_line l"
        " JOIN document d ON d.id = l.document_id JOIN purchase_order o ON o.id = d.id"
        " WHERE d.type = $1 AND d.state = $2 AND o.warehouse_id = $3",
        ORDER, DRAFT, warehouse_id,
    )  # fmt: skip
    drafted: dict[int, Decimal] = {}
    for row in rows:
        key = (int(row["document_id"]), int(row["product_id"]))
        if key not in own.lines:
            drafted[key[1]] = drafted.get(key[1], ZERO) + quantities.from_db(row["base_quantity"])
    return drafted


async def _offers(conn: BaseDBAsyncClient, product_id: int, supplier_id: int | None) -> list[Offer]:
    """The supplier prices to buy at, cheapest per base unit first: the rule's supplier's, else anyone's (in the
    company currency; a price in a currency without a rate today ranks after those that have one)."""
    day = today()
    query = (
        "SELECT s.id, s.unit, s.pack_quantity, s.min_quantity, s.price, s.lead_time_days, c.code AS currency,"
        " p.id AS supplier_id, p.code AS supplier_code, p.currency AS supplier_currency,"
        " p.lead_time_days AS supplier_lead FROM supplier_price s JOIN party p ON p.id = s.supplier_id"
        " JOIN currency c ON c.id = s.currency_id WHERE s.product_id = $1 AND p.is_archived = $2"
        " AND (s.valid_from IS NULL OR s.valid_from <= $3) AND (s.valid_to IS NULL OR s.valid_to >= $4)"
    )
    params: list[Any] = [product_id, False, day, day]
    if supplier_id is not None:
        query += " AND p.id = $5"
        params.append(supplier_id)
    ranked = []
    for row in await sql.fetch(conn, query, *params):
        pack = quantities.from_db(row["pack_quantity"])
        per_unit = Decimal(str(row["price"])) / pack
        try:
            rank: tuple[int, Decimal] = (0, per_unit * await rate_on(row["currency"], day))
        except DomainError:
            rank = (1, per_unit)
        ranked.append((rank, row["supplier_code"], int(row["id"]), row))
    ranked.sort(key=lambda r: r[:3])
    return [_as_offer(row) for *_, row in ranked]


def _as_offer(row: dict[str, Any]) -> Offer:
    lead = row["lead_time_days"] if row["lead_time_days"] is not None else row["supplier_lead"]
    return Offer(
        supplier_id=int(row["supplier_id"]), supplier_code=row["supplier_code"],
        supplier_currency=row["supplier_currency"], currency=row["currency"], unit=row["unit"],
        pack_quantity=quantities.from_db(row["pack_quantity"]), min_quantity=Decimal(str(row["min_quantity"])),
        price=Decimal(str(row["price"])), lead_time_days=int(lead or 0),
    )  # fmt: skip


async def own_lines(conn: BaseDBAsyncClient, warehouse_id: int) -> Ownership:
    """The job's lines on the warehouse's drafts that still say exactly what it proposed (one line of the
    product on a draft, at the unit, quantity and price it wrote, no discount, no notes, no bin)."""
    proposed = await sql.fetch(
        conn,
        "SELECT p.id, p.order_id, p.product_id, p.unit, p.quantity, p.price, d.state FROM planned_line p"
        " JOIN planned_order o ON o.id = p.order_id JOIN document d ON d.id = p.order_id WHERE o.warehouse_id = $1",
        warehouse_id,
    )
    ownership = Ownership()
    if not proposed:
        return ownership
    orders = sorted({int(r["order_id"]) for r in proposed})
    held: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for chunk in sql.chunks(orders):
        for line in await sql.fetch(
            conn,
            "SELECT document_id, product_id, unit, quantity, base_quantity, price, discount_percent, notes, location_id"
            f" FROM document_line WHERE document_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        ):
            held.setdefault((int(line["document_id"]), int(line["product_id"])), []).append(line)
    for row in proposed:
        key = (int(row["order_id"]), int(row["product_id"]))
        lines = held.get(key, [])
        if row["state"] == DRAFT and len(lines) == 1 and _untouched(lines[0], row):
            ownership.lines[key] = OwnLine(key[0], key[1], lines[0]["unit"], quantities.from_db(lines[0]["quantity"]),
                                           quantities.from_db(lines[0]["base_quantity"]))  # fmt: skip
        else:
            ownership.stale.append(int(row["id"]))
    return ownership


def _untouched(line: dict[str, Any], proposed: dict[str, Any]) -> bool:
    return (
        line["unit"] == proposed["unit"]
        and quantities.from_db(line["quantity"]) == quantities.from_db(proposed["quantity"])
        and Decimal(str(line["price"])) == Decimal(str(proposed["price"]))
        and Decimal(str(line["discount_percent"])) == 0
        and not line["notes"]
        and line["location_id"] is None
    )
