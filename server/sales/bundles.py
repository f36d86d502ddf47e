"""Bundles: a product sold as a set of components, with no stock of its own.

A bundle's list (``sales_bundle_component``) says how many base units of each component make one bundle.
An order line of a bundle is allocated, reserved and shipped as its components, in whole sets per
warehouse (``server.sales.allocation``); what a warehouse can give of a bundle is the least number of
whole sets its components make there.

A bundle is not a kit (``server.inventory.kits``): a kit is assembled and held in stock as itself, a bundle
never is. So a product that is a kit, or has ever had stock (a move) or a reservation, never becomes a
bundle, and no stock is ever booked into a bundle (``server.inventory.posting`` refuses it). Bundles do not
nest: a component is a stocked product, never another bundle, so no bundle can contain itself.

The list is set whole. Every change takes one lock (``_LOCK``) and holds the product FOR UPDATE, as a change
of its settings does: postings hold it FOR SHARE, so none books stock into it while it becomes a bundle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.availability import available_in
from server.inventory.kits import Component, ComponentSpec, checked_components, component_ids
from server.partners.service import require_store
from server.sales.orders import ORDER, ZERO
from server.text import shown

MAX_BUNDLE_COMPONENTS = 50  # a bundle's list is shown whole, never paged
MAX_WAREHOUSES_SHOWN = 50  # a bundle's availability without a store: the warehouses holding its components
_LOCK = "sales.bundle_components"  # held by every change of a list: no two changes make a nest between them


@dataclass(frozen=True)
class Bundle:
    sku: str
    components: tuple[Component, ...]  # none: the product is no bundle


@dataclass(frozen=True)
class SetBundleComponents(Command):
    operation = "bundle.set_components"
    sku: str
    components: tuple[Component, ...]


async def set_bundle_components(
    sku: str, specs: Sequence[ComponentSpec], *, actor_id: int | None, idempotency_key: str | None = None
) -> Bundle:
    """Replace the components of the bundle ``sku`` with ``specs`` (none: it is no bundle any more)."""
    components = checked_components(specs, most=MAX_BUNDLE_COMPONENTS, what="bundle")
    bundle_sku = SKU.key(sku) if isinstance(sku, str) else None
    if bundle_sku is None:
        raise NotFound(f"There is no product with SKU {shown(str(sku))}.", field="sku")
    command = SetBundleComponents(bundle_sku, components)

    async def run(write: Write) -> Bundle:
        conn = write.conn
        await sql.lock_name(conn, _LOCK)
        row = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1 FOR UPDATE", bundle_sku)
        if row is None:
            raise NotFound(f"There is no product with SKU {bundle_sku!r}.", field="sku")
        bundle_id = int(row["id"])
        await _refuse_open_orders(conn, bundle_id, bundle_sku)
        ids = await component_ids(conn, components)
        if components:
            await _refuse_as_bundle(conn, bundle_id, bundle_sku)
            await _refuse_components(conn, bundle_id, bundle_sku, components, ids)
        await sql.execute(conn, "DELETE FROM sales_bundle_component WHERE bundle_id = $1", bundle_id)
        for component in components:  # in the given order: the ids keep it
            await sql.execute(
                conn, "INSERT INTO sales_bundle_component (bundle_id, component_id, quantity) VALUES ($1, $2, $3)",
                bundle_id, ids[component.sku], component.quantity,
            )  # fmt: skip
        return Bundle(bundle_sku, components)

    async def recall(stored: dict[str, Any]) -> Bundle:  # the first answer, not the list someone set since
        return Bundle(stored["sku"], tuple(Component(c["sku"], Decimal(c["quantity"])) for c in stored["components"]))

    def remember(bundle: Bundle) -> dict[str, Any]:
        return {"sku": bundle.sku,
                "components": [{"sku": c.sku, "quantity": str(c.quantity)} for c in bundle.components]}  # fmt: skip

    effect = Effect(run, lambda bundle: Audited("product", bundle.sku), remember, recall)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def _refuse_open_orders(conn: BaseDBAsyncClient, bundle_id: int, sku: str) -> None:
    """A confirmed order's lines of the product are allocated as the list was: it stays until they are done."""
    row = await sql.fetch_one(
        conn,
        "SELECT d.number FROM document_line l JOIN document d ON d.id = l.document_id"
        f" WHERE l.product_id = $1 AND d.type = '{ORDER}' AND d.state = 'confirmed' ORDER BY d.id LIMIT 1",
        bundle_id,
    )
    if row is not None:
        raise Invalid(f"The confirmed order {row['number']} sells {sku} as it is made up now: ship or cancel it"
                      " before changing what it is made of.", field="sku")  # fmt: skip


async def _refuse_as_bundle(conn: BaseDBAsyncClient, bundle_id: int, sku: str) -> None:
    """Only a product that never held stock, is no kit and is in no bundle becomes a bundle."""
    checks = (
        ("SELECT 1 AS yes FROM kit_component WHERE kit_id = $1 LIMIT 1",
         f"{sku} is a kit, assembled and held in stock: a bundle is sold as its components and never stocked."),
        ("SELECT 1 AS yes FROM stock_move WHERE product_id = $1 LIMIT 1",
         f"{sku} has had stock: a bundle has none of its own. Sell its stock and make a new product the bundle."),
        ("SELECT 1 AS yes FROM stock_demand WHERE product_id = $1 LIMIT 1",
         f"Stock of {sku} is reserved or awaited: release those reservations first."),
        ("SELECT 1 AS yes FROM sales_bundle_component WHERE component_id = $1 LIMIT 1",
         f"{sku} is a component of a bundle: bundles do not nest."),
    )  # fmt: skip
    for query, why in checks:
        if await sql.fetch_one(conn, query, bundle_id) is not None:
            raise Invalid(why, field="sku")


async def _refuse_components(conn: BaseDBAsyncClient, bundle_id: int, sku: str, components: tuple[Component, ...],
                             ids: dict[str, int]) -> None:  # fmt: skip
    """A component is a stocked product: not the bundle itself, nor another bundle."""
    given = sorted(set(ids.values()))
    rows = await sql.fetch(
        conn,
        f"SELECT DISTINCT bundle_id FROM sales_bundle_component WHERE bundle_id IN ({sql.placeholders(1, len(given))})",
        *given,
    )
    bundles = {int(r["bundle_id"]) for r in rows}
    problems: list[DomainError] = []
    for index, component in enumerate(components):
        at = ("components", index, "sku")
        if ids[component.sku] == bundle_id:
            problems.append(Invalid(f"A bundle cannot contain itself: {sku} is the bundle.", field=at))
        elif ids[component.sku] in bundles:
            problems.append(Invalid(f"{component.sku} is a bundle: bundles do not nest, give its components.",
                                    field=at))  # fmt: skip
    if problems:
        raise ManyErrors(problems)


async def bundle_components(sku: str) -> Bundle:
    """The components of a product, in their order (none: it is no bundle)."""
    conn = connection()
    product = await product_named(conn, sku)
    rows = await sql.fetch(
        conn,
        "SELECT p.sku, c.quantity FROM sales_bundle_component c JOIN product p ON p.id = c.component_id"
        " WHERE c.bundle_id = $1 ORDER BY c.id",
        int(product["id"]),
    )
    return Bundle(product["sku"], tuple(Component(r["sku"], quantities.from_db(r["quantity"])) for r in rows))


async def product_named(conn: BaseDBAsyncClient, sku: object, field: str = "sku") -> dict[str, Any]:
    """The product's id and SKU; NOT_FOUND at ``field``."""
    key = SKU.key(sku) if isinstance(sku, str) else None
    row = await sql.fetch_one(conn, "SELECT id, sku FROM product WHERE sku = $1", key) if key else None
    if row is None:
        raise NotFound(f"There is no product with SKU {shown(str(sku))}.", field=field)
    return row


# ---- availability ----


def whole_sets(parts: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """How many whole bundles ``(base units per bundle, units there are)`` of each component make (never below 0)."""
    if not parts:
        return ZERO
    least = min(there / per for per, there in parts)
    return max(least.to_integral_value(ROUND_FLOOR), ZERO).quantize(ZERO)


@dataclass(frozen=True)
class ComponentStock:
    sku: str
    quantity: Decimal  # per bundle
    available: Decimal


@dataclass(frozen=True)
class WarehouseSets:
    warehouse_code: str
    sets: Decimal
    components: list[ComponentStock]


@dataclass(frozen=True)
class BundleAvailability:
    sku: str
    sets: Decimal  # the warehouses' whole sets together: a set ships from one warehouse
    warehouses: list[WarehouseSets]


async def bundle_availability(sku: str, *, store: str | None = None) -> BundleAvailability:
    """How many whole bundles can be sold now: per warehouse (the store's, else every warehouse holding a component)
    the least number of whole sets its components make there, and the sum of those."""
    conn = connection()
    bundle = await bundle_components(sku)
    if not bundle.components:
        raise Invalid(f"{bundle.sku} is not a bundle: it has no components.", field="sku")
    rows = await sql.fetch(
        conn,
        f"SELECT id, sku FROM product WHERE sku IN ({sql.placeholders(1, len(bundle.components))})",
        *[c.sku for c in bundle.components],
    )
    ids = {r["sku"]: int(r["id"]) for r in rows}
    warehouses = await _warehouses(conn, store, sorted(ids.values()))
    found: list[WarehouseSets] = []
    for warehouse_id, code in warehouses:
        stock = [ComponentStock(c.sku, c.quantity, await available_in(conn, ids[c.sku], warehouse_id))
                 for c in bundle.components]  # fmt: skip
        found.append(WarehouseSets(code, whole_sets([(s.quantity, s.available) for s in stock]), stock))
    return BundleAvailability(bundle.sku, sum((w.sets for w in found), ZERO), found)


async def _warehouses(conn: BaseDBAsyncClient, store: str | None, product_ids: list[int]) -> list[tuple[int, str]]:
    if store is not None:
        return await store_warehouses(conn, (await require_store(conn, store, field="store")).id)
    rows = await sql.fetch(
        conn,
        "SELECT DISTINCT w.id, w.code FROM quant q JOIN location l ON l.id = q.location_id"
        " JOIN warehouse w ON w.id = l.warehouse_id WHERE l.kind = 'internal'"
        f" AND q.product_id IN ({sql.placeholders(1, len(product_ids))})"
        f" ORDER BY w.code LIMIT ${len(product_ids) + 1}",
        *product_ids, MAX_WAREHOUSES_SHOWN,
    )  # fmt: skip
    return [(int(r["id"]), r["code"]) for r in rows]


async def store_warehouses(conn: BaseDBAsyncClient, store_id: int) -> list[tuple[int, str]]:
    """The warehouses a store sells from, (id, code) in the store's order."""
    rows = await sql.fetch(
        conn,
        "SELECT w.id, w.code FROM store_warehouse sw JOIN warehouse w ON w.id = sw.warehouse_id"
        " WHERE sw.store_id = $1 ORDER BY sw.position, w.id",
        store_id,
    )
    return [(int(r["id"]), r["code"]) for r in rows]
