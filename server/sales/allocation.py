"""Which warehouse ships what of an order, and the reservations that hold it there.

Each line is split over warehouses into ``sales_allocation`` rows, one per (line, product, warehouse):
a bundle line has one per component. The allocations of one warehouse are a fulfillment group, picked
and shipped there. Allocating follows the order's strategy over the warehouses it may ship from (its
own, else the store's in the store's order):

- ``priority``: each warehouse in order gives what it has available, the first takes the rest;
- ``most_stock``: the same, the warehouse with the most available first.

What a warehouse cannot give now waits there as a backorder (or a pre-order): its reservation is
served when stock arrives, by priority, then promised date, then confirmation time. Every
allocation's open part (quantity less shipped) is the quantity its demand wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import today
from server.commands import Write
from server.documents.models import Document
from server.errors import Invalid
from server.inventory import quantities
from server.inventory.availability import available_in
from server.inventory.reservations import DemandKey, want_within
from server.partners.models import StoreWarehouse
from server.sales.models import AllocationStrategy, ReservationMode, SalesAllocation, SalesOrder
from server.sales.orders import ALLOCATION, ZERO, LineProgress

ONE = Decimal(1)


async def components_of(
    conn: BaseDBAsyncClient, product_ids: list[int], *, held: bool = False
) -> dict[int, list[tuple[int, Decimal]]]:
    """What each product is sold as: a bundle's components with how many of each make one, else itself once.

    ``held`` (allocating): the products' rows are held FOR SHARE until the caller commits, so a change of a
    bundle's list (``setBundleComponents`` holds its row FOR UPDATE) is either done and read here, or waits and
    then finds the order confirmed."""
    found: dict[int, list[tuple[int, Decimal]]] = {p: [] for p in product_ids}
    for chunk in sql.chunks(sorted(set(product_ids))):
        if held:
            await sql.fetch(conn, f"SELECT id FROM product WHERE id IN ({sql.placeholders(1, len(chunk))})"
                                  " ORDER BY id FOR SHARE", *chunk)  # fmt: skip
        rows = await sql.fetch(
            conn,
            "SELECT bundle_id, component_id, quantity FROM sales_bundle_component"
            f" WHERE bundle_id IN ({sql.placeholders(1, len(chunk))}) ORDER BY bundle_id, id",
            *chunk,
        )
        for r in rows:
            found[int(r["bundle_id"])].append((int(r["component_id"]), quantities.from_db(r["quantity"])))
    return {p: parts or [(p, ONE)] for p, parts in found.items()}


async def order_warehouses(conn: BaseDBAsyncClient, order: SalesOrder, store_id: int) -> list[int]:
    """The warehouses the order may ship from, in the store's order."""
    if order.warehouse_id is not None:  # type: ignore[attr-defined]
        return [order.warehouse_id]  # type: ignore[attr-defined]
    links = await StoreWarehouse.filter(store_id=store_id).using_db(conn).order_by("position", "warehouse_id")
    return [link.warehouse_id for link in links]  # type: ignore[attr-defined]


@dataclass
class Stock:
    """What each warehouse has available of each product, less what this allocation has given out."""

    conn: BaseDBAsyncClient
    free: dict[tuple[int, int], Decimal]

    async def of(self, product_id: int, warehouse_id: int) -> Decimal:
        key = (product_id, warehouse_id)
        if key not in self.free:
            self.free[key] = await available_in(self.conn, product_id, warehouse_id)
        return self.free[key]


async def allocate(write: Write, document: Document, order: SalesOrder, lines: list[LineProgress]) -> None:
    """Split the open part of each line that has no allocation yet over the warehouses, by the order's strategy."""
    conn = write.conn
    warehouses = await order_warehouses(conn, order, document.store_id)  # type: ignore[attr-defined]
    if not warehouses:
        raise Invalid("The store sells from no warehouse: link one to it first.", field="warehouse")
    allocated = {int(r["line_id"]) for r in await sql.fetch(
        conn, "SELECT DISTINCT line_id FROM sales_allocation WHERE order_id = $1", document.id)}  # fmt: skip
    parts = await components_of(conn, [line.product_id for line in lines], held=True)
    stock = Stock(conn, {})
    for line in lines:
        if line.line_id in allocated or line.open <= 0:
            continue
        await _allocate_line(conn, document.id, line, parts[line.product_id], warehouses, order, stock, line.open)


async def allocate_more(write: Write, document: Document, order: SalesOrder, line: LineProgress,
                        quantity: Decimal, *, stock: Stock | None = None) -> None:  # fmt: skip
    """Allocate ``quantity`` more of a line (an amendment raised it), by the order's strategy. ``stock``: what is
    free as the caller's earlier allocations left it (lines of one product raised in one amendment)."""
    warehouses = await order_warehouses(write.conn, order, document.store_id)  # type: ignore[attr-defined]
    parts = (await components_of(write.conn, [line.product_id], held=True))[line.product_id]
    stock = stock if stock is not None else Stock(write.conn, {})
    await _allocate_line(write.conn, document.id, line, parts, warehouses, order, stock, quantity)


async def _allocate_line(
    conn: BaseDBAsyncClient, order_id: int, line: LineProgress, parts: list[tuple[int, Decimal]],
    warehouses: list[int], order: SalesOrder, stock: Stock, quantity: Decimal,
) -> None:  # fmt: skip
    bundle = len(parts) > 1 or parts[0][0] != line.product_id
    capacity: dict[int, Decimal] = {}
    for warehouse_id in warehouses:  # how many of the line (whole sets of a bundle) each warehouse can give
        each = [await stock.of(product_id, warehouse_id) / per for product_id, per in parts]
        can = min(each)
        capacity[warehouse_id] = can.to_integral_value(ROUND_FLOOR) if bundle else can
    ordered = list(warehouses)
    if order.allocation_strategy == AllocationStrategy.MOST_STOCK:
        ordered.sort(key=lambda w: -capacity[w])  # stable: ties keep the store's order
    shares: dict[int, Decimal] = {}
    remaining = quantity
    for warehouse_id in ordered:
        share = min(max(capacity[warehouse_id], ZERO), remaining)
        if share > 0:
            shares[warehouse_id] = share
            remaining -= share
    if remaining > 0:  # backordered where it would have shipped first
        shares[ordered[0]] = shares.get(ordered[0], ZERO) + remaining
    for warehouse_id, share in shares.items():
        for product_id, per in parts:
            need = share * per
            stock.free[(product_id, warehouse_id)] = await stock.of(product_id, warehouse_id) - need
            await _add_allocation(conn, order_id, line.line_id, product_id, warehouse_id, need)


async def _add_allocation(conn: BaseDBAsyncClient, order_id: int, line_id: int, product_id: int, warehouse_id: int,
                          quantity: Decimal) -> None:  # fmt: skip
    existing = await SalesAllocation.filter(line_id=line_id, product_id=product_id, warehouse_id=warehouse_id).using_db(
        conn).first()  # fmt: skip
    if existing is None:
        await SalesAllocation.create(order_id=order_id, line_id=line_id, product_id=product_id,
                                     warehouse_id=warehouse_id, quantity=quantity, using_db=conn)  # fmt: skip
    else:
        existing.quantity = quantities.from_db(existing.quantity) + quantity
        await existing.save(using_db=conn, update_fields=["quantity"])


def demand_key(allocation: SalesAllocation) -> DemandKey:
    return DemandKey(ALLOCATION, allocation.order_id, allocation.id)  # type: ignore[attr-defined]


async def allocations_of(conn: BaseDBAsyncClient, order_id: int) -> list[SalesAllocation]:
    """The order's allocations in lock order (product, warehouse, id), so that orders reserving the same
    products never wait for each other in a circle."""
    return await SalesAllocation.filter(order_id=order_id).using_db(conn).order_by("product_id", "warehouse_id", "id")


async def reserve_all(write: Write, order: SalesOrder, *, reserve: bool = True) -> None:
    """Make every allocation's demand want its open part (``reserve`` False: nothing, releasing what it held)."""
    for allocation in await allocations_of(write.conn, order.id):
        await want(write.conn, allocation, order, reserve=reserve)


def open_to_reserve(allocation: SalesAllocation) -> Decimal:
    """What the allocation still wants reserved in its bins: not shipped, and not picked to the output location."""
    return (quantities.from_db(allocation.quantity) - quantities.from_db(allocation.shipped)
            - quantities.from_db(allocation.staged))  # fmt: skip


async def want(
    conn: BaseDBAsyncClient, allocation: SalesAllocation, order: SalesOrder, *, reserve: bool = True
) -> Decimal:
    """The allocation's demand wants its open part now (or nothing): what is neither shipped nor picked into the
    output location; what it holds after."""
    open_part = max(open_to_reserve(allocation), ZERO)
    return await want_within(
        conn, demand_key(allocation), allocation.product_id, allocation.warehouse_id,  # type: ignore[attr-defined]
        open_part if reserve else ZERO, priority=order.priority, promised_on=order.promised_on,
    )  # fmt: skip


def reserves_now(order: SalesOrder) -> bool:
    """Whether confirming reserves: on confirmation, or before the ship date when that day has come."""
    if order.reservation == ReservationMode.ON_CONFIRM:
        return True
    if order.reservation == ReservationMode.BEFORE_SHIP and order.ship_on is not None:
        return (order.ship_on - today()).days <= order.reserve_days_before
    return False
