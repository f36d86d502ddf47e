"""Shipments: what leaves a warehouse for the customer of one order, with its carrier and tracking number.

A shipment (``sales.shipment``) is made for an order's fulfillment group in one warehouse. In one step
it lists what the order holds reserved in the bins (an order that ships complete only once all of it
is); in two or three steps it lists what picking put in the output location for the order. Validating
it books, in one transaction, every line to the customer location (the ledger fixes each move's cost of
goods), raises what the allocations and order lines shipped under their row locks, checks the
customer's credit again with what the shipment makes them owe, bumps the order (``ship``) and settles
it: fulfilled and completed when nothing is left to ship, else partial.

The shipment's row lock makes validating it twice ship it once: the second finds it done and is refused
(ILLEGAL_TRANSITION), or replays the first answer when it carries the same idempotency key.

Validated with the scan that confirmed it on a handheld (the carrier's tracking barcode, or the shipment's number),
its moves are effective when it was scanned, not when the request arrived (a shipment confirmed in a dead zone and
sent later too), and the scan is kept in the scan log with the first move; a scan in a closed period is
PERIOD_LOCKED and ships nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Command, Write
from server.db import connection
from server.documents import service
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.errors import InsufficientStock
from server.inventory.history import ShortInThePast
from server.inventory.lookups import places_by_ids, products_by_ids, virtual
from server.inventory.models import LocationKind
from server.inventory.periods import PeriodLocked, refuse_if_locked
from server.inventory.posting import Entry, Source
from server.inventory.reservations import consume
from server.paging import MAX_ID
from server.partners.models import Party, PartyRole
from server.partners.service import require_party
from server.purchasing.orders import write_new_document
from server.sales.allocation import components_of, demand_key
from server.sales.confirming import check_credit_within, lock_customer
from server.sales.fulfillment_kinds import SHIPMENT, VALIDATE
from server.sales.fulfillment_models import ONE_STEP, THREE_STEPS, PackedLine, Shipment, ShipmentLine, StagedStock
from server.sales.fulfillment_settings import require_warehouse, steps_within
from server.sales.fulfillment_stock import (
    NotReady,
    PlannedLine,
    book,
    held_stock,
    lock_allocations,
    lock_orders,
    refuse_incomplete,
    write_lines_document,
)
from server.sales.models import SalesAllocation, SalesLine, SalesOrder, ShippingPolicy
from server.sales.orders import SHIP, ZERO, lock_lines, settle
from server.sales.picking import lots_by_ids
from server.scanning import ScanInfo, record_scan
from server.scanning.models import LOGGED_CODE_LENGTH
from server.text import Code, Text, for_log

SHIPPING_METHOD = Text("shipping method", 64)
TRACKING_NUMBER = Code("tracking number", 64)


@dataclass(frozen=True)
class ShipmentHeader:
    """How it ships; None: not known yet (a tracking number may come at validation)."""

    carrier: str | None = None  # the code of a party with the carrier role
    shipping_method: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class CreateShipment(Command):
    operation = "shipment.create"
    order: int
    warehouse: str
    carrier: str | None
    shipping_method: str | None
    tracking_number: str | None


@dataclass(frozen=True)
class ValidateShipment(Command):
    operation = "shipment.validate"
    document_id: int
    version: int | None
    tracking_number: str | None
    # The scan that confirmed it on a handheld: its moves are effective then. The code as the scan log keeps it.
    scan: ScanInfo | None = None

    def request(self) -> dict[str, Any]:
        asked = super().request()
        if self.scan is None:  # as a validation was remembered before it could carry its scan
            del asked["scan"]
        return asked


def _tracking(value: str | None, field: str) -> str | None:
    return TRACKING_NUMBER.clean(value, field) if value is not None and value.strip() else None


async def create_shipment(
    order_id: int, warehouse_code: str, header: ShipmentHeader, *, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """A draft shipment of what the order has ready in the warehouse: its reservations in the bins (one step)
    or what was picked for it (two or three steps)."""
    if not isinstance(order_id, int) or isinstance(order_id, bool) or not 0 < order_id <= MAX_ID:
        raise NotFound("There is no such sales order.", field="order")
    method = SHIPPING_METHOD.optional(header.shipping_method, "shippingMethod") if header.shipping_method else None
    tracking = _tracking(header.tracking_number, "trackingNumber")
    conn = connection()
    warehouse = await require_warehouse(conn, warehouse_code)
    carrier = await require_party(conn, header.carrier, field="carrier", role=PartyRole.CARRIER) if (
        header.carrier is not None and header.carrier.strip()) else None  # fmt: skip
    command = CreateShipment(order_id, warehouse.code, carrier.code if carrier else None, method, tracking)

    async def run(write: Write) -> Document:
        conn = write.conn
        steps = (await steps_within(conn, warehouse.id)).steps
        document = (await lock_orders(conn, [order_id], ["order"]))[order_id]
        order = await SalesOrder.get(id=order_id, using_db=conn)
        allocations = await SalesAllocation.filter(order_id=order_id, warehouse_id=warehouse.id).using_db(conn)\
            .order_by("id").select_related("product")  # fmt: skip
        if not allocations:
            raise Invalid(f"The order {document.number} ships nothing from {warehouse.code}.", field="order")
        await refuse_incomplete(conn, document, order, "order")
        # What was picked always ships (a warehouse set back to one step after picking), and in one step the
        # reservations in the bins beside it.
        planned = await _from_output(conn, document, order, allocations, complete=steps != ONE_STEP)
        if steps == ONE_STEP:
            planned += await _from_bins(conn, document, allocations)
        if not planned:
            why = " (nothing reserved)." if steps == ONE_STEP else ": pick it first."
            raise Invalid(f"The order {document.number} has nothing ready to ship from {warehouse.code}{why}",
                          field="order")  # fmt: skip
        planned.sort(key=lambda p: (p.location_code, p.sku, p.lot_code or ""))
        customer = await Party.get(id=document.party_id).using_db(conn)  # type: ignore[attr-defined]
        made, line_ids = await write_lines_document(write, SHIPMENT, document.store_id, planned, customer.code)  # type: ignore[attr-defined]
        await Shipment.create(id=made.id, order_id=order_id, warehouse_id=warehouse.id, steps=steps,
                              carrier_id=carrier.id if carrier else None, shipping_method=method,
                              tracking_number=tracking, using_db=conn)  # fmt: skip
        await ShipmentLine.bulk_create([
            ShipmentLine(id=line_id, shipment_id=made.id, allocation_id=p.allocation.id, location_id=p.location_id,
                         lot_id=p.lot_id, staged_id=p.staged_id, quantity=p.quantity)
            for line_id, p in zip(line_ids, planned, strict=True)
        ], using_db=conn)  # fmt: skip
        return made

    return await write_new_document(command, run, actor_id, idempotency_key)


async def _on_open_shipments(conn: BaseDBAsyncClient, allocation_ids: list[int]) -> list[dict[str, object]]:
    if not allocation_ids:
        return []
    return await sql.fetch(
        conn,
        "SELECT s.allocation_id, s.location_id, s.lot_id, s.staged_id, s.quantity FROM sales_shipment_line s"
        " JOIN document d ON d.id = s.shipment_id"
        f" WHERE d.state = 'draft' AND s.allocation_id IN ({sql.placeholders(1, len(allocation_ids))})",
        *allocation_ids,
    )


async def _from_bins(conn: BaseDBAsyncClient, document: Document, allocations: list[SalesAllocation]
                     ) -> list[PlannedLine]:  # fmt: skip
    held = await held_stock(conn, [document.id])
    listed: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for r in await _on_open_shipments(conn, [a.id for a in allocations]):
        listed[(int(r["allocation_id"]), int(r["location_id"]), int(r["lot_id"]))] += quantities.from_db(  # type: ignore[call-overload]
            r["quantity"])  # fmt: skip
    planned = []
    for allocation in allocations:
        for part in held.get(allocation.id, []):
            left = part.quantity - listed.pop((allocation.id, part.location_id, part.lot_id), ZERO)
            if left > 0:
                planned.append(PlannedLine(allocation, document, allocation.product.sku, part.location_id,
                                           part.location_code, part.lot_id, part.lot_code, left))  # fmt: skip
    return planned


async def _from_output(conn: BaseDBAsyncClient, document: Document, order: SalesOrder,
                       allocations: list[SalesAllocation], *, complete: bool) -> list[PlannedLine]:  # fmt: skip
    """What was picked for the allocations and waits in the output location, not on a draft shipment yet;
    ``complete``: an order that ships complete is refused unless all of it was picked."""
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for r in await _on_open_shipments(conn, [a.id for a in allocations]):
        if r["staged_id"] is not None:
            taken[int(r["staged_id"])] += quantities.from_db(r["quantity"])  # type: ignore[call-overload]
    by_id = {a.id: a for a in allocations}
    rows = await StagedStock.filter(allocation_id__in=list(by_id), quantity__gt=0).using_db(conn).order_by("id")\
        .select_related("bin")  # fmt: skip
    lots = await lots_by_ids(conn, [row.lot_id for row in rows])
    output = (await steps_within(conn, allocations[0].warehouse_id)).output_location_id  # type: ignore[attr-defined]
    codes = {int(r["id"]): r["code"] for r in await sql.fetch(conn, "SELECT id, code FROM location WHERE id = $1",
                                                              output)}  # fmt: skip
    planned = []
    ready: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        left = quantities.from_db(row.quantity) - taken.get(row.id, ZERO)
        if left <= 0 or output is None:
            continue
        allocation = by_id[row.allocation_id]  # type: ignore[attr-defined]
        lot = lots.get(row.lot_id)
        ready[allocation.id] += left
        planned.append(PlannedLine(allocation, document, allocation.product.sku, output, codes[output], row.lot_id,
                                   lot.code if lot else None, left, row.id))  # fmt: skip
    if complete and order.shipping_policy == ShippingPolicy.SHIP_COMPLETE:
        for allocation in allocations:
            still = quantities.from_db(allocation.quantity) - quantities.from_db(allocation.shipped)
            if ready[allocation.id] < still:
                missing = (still - ready[allocation.id]).normalize()
                raise NotReady(f"The order {document.number} ships complete: pick all of it first ({missing:f}"
                               f" {allocation.product.sku} not picked).", field="order")  # fmt: skip
    return planned


async def validate_shipment(
    document_id: int, *, version: int | None, tracking_number: str | None = None, can_approve: bool = False,
    scan: ScanInfo | None = None, actor_id: int | None, idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Ship it: its lines booked to the customer at their cost of goods, the order's lines and allocations
    raised, the customer's credit checked again, the order settled. Once: a second validation is refused.
    ``scan``: the scan that confirmed it, when its moves are effective (kept in the scan log with them)."""
    tracking = _tracking(tracking_number, "trackingNumber")
    logged = replace(scan, code=for_log(scan.code, LOGGED_CODE_LENGTH)) if scan is not None else None
    command = ValidateShipment(document_id, version, tracking, logged)

    async def run(write: Write, document: Document) -> Document:
        if document.type != SHIPMENT:
            raise Invalid("This document is not a shipment.", field="id")

        async def effect(write: Write, shipment_document: Document, rows: list[DocumentLine]) -> None:
            await _ship(write, shipment_document, rows, tracking, can_approve, logged)

        return await service.transition(write, document, VALIDATE, effect)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def _ship(write: Write, document: Document, rows: list[DocumentLine], tracking: str | None,
                can_approve: bool, scan: ScanInfo | None) -> None:  # fmt: skip
    conn = write.conn
    shipment = await Shipment.get(id=document.id, using_db=conn)
    scanned_at = scan.scanned_at if scan is not None else None
    if scanned_at is not None:
        try:
            await refuse_if_locked(conn, scanned_at, {shipment.warehouse_id})  # type: ignore[attr-defined]
        except PeriodLocked as locked:
            raise locked.at(("scan", "scannedAt")) from None
    lines = await ShipmentLine.filter(shipment_id=document.id).using_db(conn).order_by("id")
    if shipment.steps == THREE_STEPS:
        await _refuse_unpacked(conn, lines, rows)
    order_id = shipment.order_id  # type: ignore[attr-defined]
    order_document = (await lock_orders(conn, [order_id], ["id"]))[order_id]
    await lock_customer(conn, order_document.party_id)  # type: ignore[attr-defined]  # before the quants, as confirming
    allocations = await lock_allocations(conn, [line.allocation_id for line in lines])  # type: ignore[attr-defined]
    order_lines = await DocumentLine.filter(document_id=order_id).using_db(conn).order_by("position")
    progress = await lock_lines(conn, order_id, [line.id for line in order_lines])
    products = await products_by_ids(conn, {a.product_id for a in allocations.values()})  # type: ignore[attr-defined]
    places = await places_by_ids(conn, {line.location_id for line in lines})  # type: ignore[attr-defined]
    lots = await lots_by_ids(conn, [line.lot_id for line in lines])
    customer = await virtual(conn, LocationKind.CUSTOMER)
    entries: list[Entry] = []
    for line in sorted(lines, key=lambda ln: (allocations[ln.allocation_id].product_id, ln.allocation_id, ln.id)):  # type: ignore[attr-defined]
        allocation = allocations[line.allocation_id]  # type: ignore[attr-defined]
        product = products[allocation.product_id]  # type: ignore[attr-defined]
        quantity = quantities.from_db(line.quantity)
        origin = Source(document.type, document.id, line.id)
        if line.staged_id is None:  # type: ignore[attr-defined]
            try:
                bin_id, lot_id = line.location_id, line.lot_id  # type: ignore[attr-defined]
                picks = await consume(conn, demand_key(allocation), quantity, at=bin_id, lot=lot_id)
            except (InsufficientStock, DomainError):
                raise Invalid(
                    f"The order {order_document.number} no longer holds {quantity.normalize():f} of"
                    f" {product.sku} reserved: cancel this shipment and make it again.",
                    field="id",
                ) from None
            entries += [Entry(product, pick.place, customer, pick.quantity, pick.lot, "issue", "sale", origin,
                              effective_at=scanned_at) for pick in picks]  # fmt: skip
        else:
            staged = await StagedStock.select_for_update().using_db(conn).get(id=line.staged_id)  # type: ignore[attr-defined]
            if quantities.from_db(staged.quantity) < quantity:
                raise Invalid(f"What was picked of {product.sku} for the order {order_document.number} was put back"
                              " since: cancel this shipment and make it again.", field="id")  # fmt: skip
            staged.quantity = quantities.from_db(staged.quantity) - quantity
            await staged.save(using_db=conn, update_fields=["quantity"])
            allocation.staged = quantities.from_db(allocation.staged) - quantity
            entries.append(Entry(product, places[line.location_id], customer, quantity, lots.get(line.lot_id),  # type: ignore[attr-defined]
                                 "issue", "sale", origin, effective_at=scanned_at))  # fmt: skip
        allocation.shipped = quantities.from_db(allocation.shipped) + quantity
    try:
        booked = await book(write, entries)
    except ManyErrors as many:  # its lines are no input: a scan dated before the stock came is told at its time
        raise ManyErrors([e.at(("scan", "scannedAt")) if isinstance(e, ShortInThePast) else e for e in many.errors]
                         ) from None  # fmt: skip
    if scan is not None:
        first = next((moves[0].id for moves in booked if moves), None)
        await record_scan(conn, scan, user_id=write.actor_id, move_id=first, deferred=write.deferred)
    for allocation in allocations.values():
        await allocation.save(using_db=conn, update_fields=["shipped", "staged"])
    await _raise_lines(conn, order_id, order_lines, progress)
    owing = await _owing(conn, order_document, order_lines)
    await check_credit_within(write, order_document, can_approve=can_approve, owing=owing)
    order_document = await service.transition(write, order_document, SHIP, None)
    await settle(write, order_document)
    shipment.shipped_at = now()
    if tracking is not None:
        shipment.tracking_number = tracking
    await shipment.save(using_db=conn, update_fields=["shipped_at", "tracking_number"])


async def _refuse_unpacked(conn: BaseDBAsyncClient, lines: list[ShipmentLine], rows: list[DocumentLine]) -> None:
    packed: dict[int, Decimal] = defaultdict(Decimal)
    for item in await PackedLine.filter(line_id__in=[line.id for line in lines]).using_db(conn):
        packed[item.line_id] += quantities.from_db(item.quantity)  # type: ignore[attr-defined]
    position = {row.id: row.position for row in rows}
    for line in lines:
        if packed[line.id] < quantities.from_db(line.quantity):
            raise Invalid(f"Line {position[line.id]} is not packed in full: the warehouse ships in three steps, pack"
                          " the shipment first.", field="id")  # fmt: skip


async def _raise_lines(conn: BaseDBAsyncClient, order_id: int, order_lines: list[DocumentLine],
                       progress: dict[int, SalesLine]) -> None:  # fmt: skip
    """Each order line has shipped as much as its allocations did (a bundle: the whole sets its components
    make), under the lines' row locks."""
    shipped: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for r in await sql.fetch(conn, "SELECT line_id, product_id, shipped FROM sales_allocation WHERE order_id = $1",
                             order_id):  # fmt: skip
        shipped[(int(r["line_id"]), int(r["product_id"]))] += quantities.from_db(r["shipped"])
    parts = await components_of(conn, [line.product_id for line in order_lines])  # type: ignore[attr-defined]
    for line in order_lines:
        done = min(shipped[(line.id, product_id)] / per for product_id, per in parts[line.product_id])  # type: ignore[attr-defined]
        row = progress[line.id]
        if done != quantities.from_db(row.shipped):  # type: ignore[attr-defined]
            row.shipped = done  # type: ignore[attr-defined]
            await row.save(using_db=conn, update_fields=["shipped"])  # type: ignore[attr-defined]


async def _owing(conn: BaseDBAsyncClient, document: Document, order_lines: list[DocumentLine]) -> Decimal:
    """What the customer owes for this order once the shipment has left: the value shipped less what was paid."""
    shipped = {int(r["id"]): quantities.from_db(r["shipped"]) for r in await sql.fetch(
        conn, "SELECT id, shipped FROM sales_line WHERE order_id = $1", document.id)}  # fmt: skip
    value = sum((Decimal(line.gross) * shipped.get(line.id, ZERO) / Decimal(line.base_quantity)
                 for line in order_lines if Decimal(line.base_quantity)), ZERO)  # fmt: skip
    paid = await SalesOrder.filter(id=document.id).using_db(conn).values_list("paid", flat=True)
    return max(value - Decimal(str(paid[0] if paid else 0)), ZERO)
