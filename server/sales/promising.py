"""What a clerk can promise while entering an order line: per warehouse of the store, what is available now,
what is coming and when, and the earliest day a quantity can be promised.

A bundle is counted in whole sets (``server.sales.bundles``): its availability on a day is the least number
of whole sets its components make in a warehouse on that day.

**The promise rule.** Demands that already wait in a warehouse (backorders and pre-orders of confirmed
orders, and any other reservation short of stock) come first: stock arriving there goes to them before a
new line, as the reservations serve them (``server.inventory.reservations``). So in each warehouse, what a
new line can have on a day is

    available now - waiting + everything incoming there expected by that day

(incoming from every provider of ``server.inventory.availability``: purchase orders, goods-in documents; one
already late counts as expected today), each component divided by what a set takes, the least of them
floored for a bundle. The earliest day a quantity can be promised is today when the store's warehouses
have it now, else the first day on which they do together (a line is allocated over the warehouses, so
it may ship from several), else none: nothing known covers it. Each warehouse's own earliest day is shown
too. Orders reserved by hand or before their ship date hold no demand until they reserve: they are not
counted, and a promise made now may be overtaken when they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import today
from server.db import connection
from server.inventory import quantities
from server.inventory.availability import Incoming, available_in, incoming_of
from server.partners.service import require_store
from server.sales.allocation import components_of
from server.sales.bundles import product_named, store_warehouses
from server.sales.orders import ZERO

MAX_INCOMING = 100  # incoming quantities read per product and warehouse, earliest first


@dataclass(frozen=True)
class Supply:
    """One product a sold unit takes (the product itself, or a bundle's component) in one warehouse."""

    sku: str
    per_unit: Decimal  # base units in one sold unit
    available: Decimal  # now: on hand - reserved in sellable bins
    waiting: Decimal  # what demands there already wait for: served first
    incoming: list[Incoming]


@dataclass(frozen=True)
class WarehousePromise:
    warehouse_code: str
    available: Decimal  # sold units (whole sets of a bundle) available now, before what waits
    promised_on: date | None  # the earliest day this warehouse alone has the quantity (None: not known)
    supplies: list[Supply]


@dataclass(frozen=True)
class Promise:
    sku: str
    bundle: bool
    quantity: Decimal | None
    available: Decimal  # the warehouses' together
    promised_on: date | None  # the earliest day the warehouses together have the quantity (None: not known)
    warehouses: list[WarehousePromise]


async def promise(store: str, sku: str, quantity: object | None = None) -> Promise:
    """Availability now and incoming per warehouse of ``store`` for a line of ``sku`` (in its base unit; a bundle
    in sets) and, with ``quantity``, the earliest day it can be promised (see the module's rule)."""
    wanted = quantities.parse(quantity) if quantity is not None else None
    conn = connection()
    found = await require_store(conn, store, field="store")
    product = await product_named(conn, sku)
    parts = (await components_of(conn, [int(product["id"])]))[int(product["id"])]
    bundle = parts != [(int(product["id"]), Decimal(1))]
    skus = await _skus(conn, [product_id for product_id, _ in parts])
    day = today()
    warehouses: list[WarehousePromise] = []
    for warehouse_id, code in await store_warehouses(conn, found.id):
        supplies = [
            Supply(skus[product_id], per.quantize(ZERO), await available_in(conn, product_id, warehouse_id),
                   await _waiting(conn, product_id, warehouse_id),
                   await incoming_of(conn, product_id, warehouse_id, MAX_INCOMING))
            for product_id, per in parts
        ]  # fmt: skip
        now = _units([(s.per_unit, s.available) for s in supplies], bundle)
        own = _earliest([supplies], wanted, bundle, day) if wanted is not None else None
        warehouses.append(WarehousePromise(code, now, own, supplies))
    together = _earliest([w.supplies for w in warehouses], wanted, bundle, day) if wanted is not None else None
    available = sum((w.available for w in warehouses), ZERO)
    return Promise(product["sku"], bundle, wanted, available, together, warehouses)


def _units(parts: list[tuple[Decimal, Decimal]], bundle: bool) -> Decimal:
    """Sold units ``(per unit, there is)`` of each product make: whole sets for a bundle; never below 0."""
    least = min(there / per for per, there in parts)
    if bundle:
        least = least.to_integral_value(ROUND_FLOOR)
    return max(least, ZERO).quantize(ZERO)


def _arrives(incoming: Incoming, day: date) -> date:
    return max(incoming.expected_on, day)  # late: expected today


def _on(supplies: list[Supply], on: date, today_: date, bundle: bool) -> Decimal:
    """Sold units a warehouse can give a new line on ``on``: what is here and what will have come, less what
    waits there first."""
    parts = []
    for s in supplies:
        coming = sum((i.quantity for i in s.incoming if _arrives(i, today_) <= on), ZERO)
        parts.append((s.per_unit, s.available - s.waiting + coming))
    return _units(parts, bundle)


def _earliest(warehouses: list[list[Supply]], quantity: Decimal | None, bundle: bool, day: date) -> date | None:
    """The first day the warehouses together can give ``quantity`` (today, or the day an arrival makes it)."""
    if quantity is None:
        return None
    days = sorted({day} | {_arrives(i, day) for supplies in warehouses for s in supplies for i in s.incoming})
    for on in days:
        if sum((_on(supplies, on, day, bundle) for supplies in warehouses), ZERO) >= quantity:
            return on
    return None


async def _waiting(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int) -> Decimal:
    # Summed here: SQLite keeps decimals as text.
    rows = await sql.fetch(
        conn, "SELECT wanted, reserved FROM stock_demand WHERE product_id = $1 AND warehouse_id = $2 AND waiting",
        product_id, warehouse_id,
    )  # fmt: skip
    return sum((max(quantities.from_db(r["wanted"]) - quantities.from_db(r["reserved"]), ZERO) for r in rows), ZERO)


async def _skus(conn: BaseDBAsyncClient, ids: list[int]) -> dict[int, str]:
    rows = await sql.fetch(conn, f"SELECT id, sku FROM product WHERE id IN ({sql.placeholders(1, len(ids))})", *ids)
    return {int(r["id"]): r["sku"] for r in rows}
