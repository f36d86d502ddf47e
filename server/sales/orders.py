"""Sales orders: their document type, making one (once per channel reference), and their progress.

An order is a ``sales.order`` document on the kernel (lines priced from the customer's price list,
taxes, totals, PDF) with a ``sales_order`` row for what only an order has. The document's state is
the order's own status::

    draft → confirmed → completed, and cancelled

Beside it the order keeps three more: fulfillment (unfulfilled, partial, fulfilled, partly returned,
returned), payment (none, partial, paid, refunded) and invoicing. Confirming
(``server.sales.confirming``) checks credit and discounts and allocates and reserves stock; changes
after it (``server.sales.changes``) touch only what is not shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from server import sql
from server.commands import Command, Write
from server.db import connection
from server.documents import service
from server.documents.kinds import CANCELLED, CONFIRMED, DRAFT, DocumentKind, IllegalTransition, Transition, register
from server.documents.lines import CheckedLine, LineInput, check_lines
from server.documents.models import Document
from server.errors import AlreadyExists, Invalid, NotFound
from server.inventory import quantities
from server.inventory.models import WAREHOUSE_CODE, Warehouse
from server.partners.models import Address, Party, PartyRole, StoreWarehouse
from server.partners.service import require_party, require_store
from server.purchasing.orders import write_new_document
from server.sales.models import (
    AllocationStrategy,
    Channel,
    Fulfillment,
    ReservationMode,
    SalesLine,
    SalesOrder,
    ShippingPolicy,
)
from server.text import Text, shown

ORDER = "sales.order"
ALLOCATION = "sales.allocation"  # the document type of a sales order's demands (line id: the allocation's id)
COMPLETED = "completed"
CONFIRM, AMEND, COMPLETE, CANCEL, SHIP = "confirm", "amend", "complete", "cancel", "ship"
EXTERNAL_REFERENCE = Text("external reference", 64)
MAX_DAYS_BEFORE = 365
MIN_PRIORITY, MAX_PRIORITY = -1000, 1000
ZERO = Decimal("0.0000")  # shown with the places of a quantity


ORDER_KIND = register(DocumentKind(
    type=ORDER, title="Sales order", prefix="SO", party_role=PartyRole.CUSTOMER, party_required=True,
    made_by="createSalesOrder", numbered_when_made=True,
    transitions=(
        Transition(CONFIRM, frozenset({DRAFT}), CONFIRMED),
        Transition(AMEND, frozenset({CONFIRMED}), CONFIRMED),
        Transition(SHIP, frozenset({CONFIRMED}), CONFIRMED),  # a shipment of it: the order stays open
        Transition(COMPLETE, frozenset({CONFIRMED}), COMPLETED),
        Transition(CANCEL, frozenset({DRAFT, CONFIRMED}), CANCELLED),
    ),
    own_actions=frozenset({CONFIRM, AMEND, SHIP, COMPLETE, CANCEL}),
))  # fmt: skip


@dataclass(frozen=True)
class OrderHeader:
    """What a caller sends for a new order beside its lines; None takes the default."""

    customer: str
    store: str
    channel: str = Channel.COUNTER.value
    external_reference: str | None = None
    warehouse: str | None = None  # None: allocated over the store's warehouses
    ship_to: int | None = None  # an address id of the customer
    bill_to: int | None = None
    shipping_policy: str = ShippingPolicy.SHIP_AVAILABLE.value
    reservation: str = ReservationMode.ON_CONFIRM.value
    reserve_days_before: int = 0
    allocation_strategy: str = AllocationStrategy.PRIORITY.value
    priority: int = 0
    ship_on: date | None = None
    promised_on: date | None = None
    currency: str | None = None  # None: the customer's, else the store's
    notes: str | None = None
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateSalesOrder(Command):
    operation = "sales_order.create"
    customer: str
    store: str
    channel: str
    external_reference: str | None
    warehouse: str | None
    ship_to: int | None
    bill_to: int | None
    shipping_policy: str
    reservation: str
    reserve_days_before: int
    allocation_strategy: str
    priority: int
    ship_on: date | None
    promised_on: date | None
    currency: str | None
    notes: str | None
    marks: tuple[str, ...]
    lines: tuple[CheckedLine, ...]


def choice(enum: Any, value: object, field: str) -> Any:
    """A member of ``enum`` by its value, or INVALID naming the values there are."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise Invalid(f"{shown(str(value), 30)} is not one of {allowed}.", field=field) from None


def whole(value: object, low: int, high: int, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(f"Give a whole number from {low} to {high}.", field=field)
    return value


async def create_order(
    header: OrderHeader, lines: list[LineInput], *, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """A draft sales order; lines priced from the customer's price list unless a price is given. An order that
    names a channel reference already taken on its channel is that order, as it is (an import run twice)."""
    conn = connection()
    channel = choice(Channel, header.channel, "channel")
    reference = (
        EXTERNAL_REFERENCE.optional(header.external_reference, "externalReference") or None
        if header.external_reference is not None
        else None
    )
    customer = await require_party(conn, header.customer, field="customer", role=PartyRole.CUSTOMER)
    if reference is not None and (imported := await _imported(channel, reference, customer)) is not None:
        return imported
    policy = choice(ShippingPolicy, header.shipping_policy, "shippingPolicy")
    mode = choice(ReservationMode, header.reservation, "reservation")
    strategy = choice(AllocationStrategy, header.allocation_strategy, "allocationStrategy")
    days = whole(header.reserve_days_before, 0, MAX_DAYS_BEFORE, "reserveDaysBefore")
    priority = whole(header.priority, MIN_PRIORITY, MAX_PRIORITY, "priority")
    if mode is ReservationMode.BEFORE_SHIP and header.ship_on is None:
        raise Invalid("An order reserved before its ship date needs a ship date.", field="shipOn")
    store = await require_store(conn, header.store, field="store")
    warehouse = await store_warehouse(conn, store.id, header.warehouse) if header.warehouse is not None else None
    ship_to = await customer_address(conn, customer, header.ship_to, "shipTo")
    bill_to = await customer_address(conn, customer, header.bill_to, "billTo")
    checked, _, _ = await check_lines(conn, ORDER_KIND, lines)
    currency = header.currency or customer.currency
    command = CreateSalesOrder(
        customer.code, store.code, channel.value, reference, warehouse.code if warehouse else None, header.ship_to,
        header.bill_to, policy.value, mode.value, days, strategy.value, priority, header.ship_on, header.promised_on,
        currency, header.notes, tuple(header.marks), tuple(checked),
    )  # fmt: skip

    async def run(write: Write) -> Document:
        return await new_order_within(
            write, customer, store.id, lines,
            service.Header(party=customer.code, currency=currency, notes=header.notes,
                           marks=list(header.marks) if header.marks else None),
            channel=channel, external_reference=reference, warehouse_id=warehouse.id if warehouse else None,
            ship_to_id=ship_to.id if ship_to else None, bill_to_id=bill_to.id if bill_to else None,
            shipping_policy=policy, reservation=mode, reserve_days_before=days, allocation_strategy=strategy,
            priority=priority, ship_on=header.ship_on, promised_on=header.promised_on,
        )  # fmt: skip

    try:
        return await write_new_document(command, run, actor_id, idempotency_key)
    except IntegrityError:
        # Another request made the order with this reference in between: it is that order.
        imported = await _imported(channel, reference, customer) if reference else None
        if imported is None:
            raise
        return imported


async def _imported(channel: Channel, reference: str, customer: Party) -> Document | None:
    """The order the channel reference already names: this customer's, else a clash (a reference is one order)."""
    existing = await SalesOrder.get_or_none(channel=channel, external_reference=reference)
    if existing is None:
        return None
    document = await Document.get(id=existing.id)
    if document.party_id != customer.id:  # type: ignore[attr-defined]
        raise AlreadyExists(f"The {channel.value} reference {shown(reference)} is another customer's order.",
                            field="externalReference")  # fmt: skip
    return document


async def new_order_within(
    write: Write, customer: Party, store_id: int, lines: list[LineInput], header: service.Header, **details: Any
) -> Document:
    """A draft order's document and its ``sales_order`` row (``details``: its columns) inside a command that checked
    what they name (``create_order``, or a quotation becoming an order); payment terms are the customer's now."""
    document = await service.create_within(write, ORDER, store_id, lines, header=header)
    await SalesOrder.create(id=document.id, net_days=customer.net_days, end_of_month=customer.end_of_month,
                            using_db=write.conn, **details)  # fmt: skip
    return document


async def customer_address(
    conn: BaseDBAsyncClient, customer: Party, address_id: int | None, field: str
) -> Address | None:
    """One of the customer's addresses, by id (None: none named)."""
    if address_id is None:
        return None
    if not isinstance(address_id, int) or isinstance(address_id, bool) or not 0 < address_id < 2**31:
        raise Invalid("An address is named by its id, a whole number greater than zero.", field=field)
    found = await Address.get_or_none(id=address_id, party_id=customer.id, using_db=conn)
    if found is None:
        raise NotFound(f"The customer {customer.code} has no address {address_id}.", field=field)
    return found


async def store_warehouse(conn: BaseDBAsyncClient, store_id: int, code: str, field: Any = "warehouse") -> Warehouse:
    """A warehouse the store sells from, by code."""
    key = WAREHOUSE_CODE.key(code)
    found = await Warehouse.get_or_none(code=key, using_db=conn) if key else None
    if found is None:
        raise NotFound(f"There is no warehouse {shown(code)}.", field=field)
    if not await StoreWarehouse.filter(store_id=store_id, warehouse_id=found.id).using_db(conn).exists():
        raise Invalid(f"The store does not sell from the warehouse {found.code}: link them first.", field=field)
    return found


def refuse_other_types(document: Document) -> None:
    if document.type != ORDER:
        raise Invalid("This document is not a sales order.", field="id")


def refuse_unless_confirmed(document: Document, doing: str) -> None:
    if document.state != CONFIRMED:
        raise IllegalTransition(f"A {document.state} sales order is not {doing}: only a confirmed one is.",
                                field="id")  # fmt: skip


# ---- progress ----


@dataclass(frozen=True)
class LineProgress:
    """An order line and what it has come to, in the product's base unit."""

    line_id: int
    position: int
    product_id: int
    ordered: Decimal
    cancelled: Decimal
    shipped: Decimal
    returned: Decimal
    invoiced: Decimal
    gross: Decimal = ZERO  # the line's gross, in the order's currency

    @property
    def open(self) -> Decimal:
        """Still to ship: ordered less cancelled and shipped."""
        return max(self.ordered - self.cancelled - self.shipped, ZERO)

    @property
    def value(self) -> Decimal:
        """What the line comes to without what was cancelled of it or came back (a return)."""
        return kept_value(self.gross, self.ordered, self.cancelled + self.returned)


def kept_value(gross: Decimal, ordered: Decimal, gone: Decimal) -> Decimal:
    """A line's gross less the share of it that was cancelled or returned (``gone``): never below nothing, never
    above the gross. What came back is not owed: its refund is a payment back, any other credit the customer's."""
    if ordered <= 0:
        return ZERO
    return gross * min(max(ordered - gone, ZERO), ordered) / ordered


def value_of(lines: list[LineProgress]) -> Decimal:
    """What an order comes to without what was cancelled of it, in its currency."""
    return sum((line.value for line in lines), ZERO)


async def value_within(conn: BaseDBAsyncClient, document: Document) -> Decimal:
    """What an order comes to now, without what was cancelled of it (its gross while nothing was)."""
    lines = (await progress_within(conn, [document.id]))[document.id]
    return value_of(lines) if lines else Decimal(document.gross)


def _value(row: Any, name: str) -> Decimal:
    return quantities.from_db(row[name]) if row[name] is not None else ZERO


async def progress_within(conn: BaseDBAsyncClient, document_ids: list[int]) -> dict[int, list[LineProgress]]:
    """Per order, its lines in position order with what each has come to."""
    grouped: dict[int, list[LineProgress]] = {i: [] for i in document_ids}
    for chunk in sql.chunks(sorted(set(document_ids))):
        rows = await sql.fetch(
            conn,
            "SELECT l.id, l.document_id, l.position, l.product_id, l.base_quantity, s.cancelled, s.shipped, s.returned,"
            " s.invoiced, l.gross FROM document_line l LEFT JOIN sales_line s ON s.id = l.id"
            f" WHERE l.document_id IN ({sql.placeholders(1, len(chunk))}) ORDER BY l.document_id, l.position",
            *chunk,
        )
        for r in rows:
            grouped[int(r["document_id"])].append(LineProgress(
                int(r["id"]), int(r["position"]), int(r["product_id"]), _value(r, "base_quantity"),
                _value(r, "cancelled"), _value(r, "shipped"), _value(r, "returned"), _value(r, "invoiced"),
                Decimal(str(r["gross"] or 0)),
            ))  # fmt: skip
    return grouped


async def order_progress(document_ids: list[int]) -> dict[int, list[LineProgress]]:
    return await progress_within(connection(), document_ids)


async def lock_lines(conn: BaseDBAsyncClient, document_id: int, line_ids: list[int]) -> dict[int, SalesLine]:
    """The progress rows of these lines, made on first use and held FOR UPDATE in id order."""
    ids = sorted(set(line_ids))
    for chunk in sql.chunks(ids):
        await sql.execute(
            conn,
            "INSERT INTO sales_line (id, order_id, cancelled, shipped, returned, invoiced)"
            f" VALUES {', '.join(f'(${2 * i + 1}, ${2 * i + 2}, 0, 0, 0, 0)' for i in range(len(chunk)))}"
            " ON CONFLICT (id) DO NOTHING",
            *[value for line_id in chunk for value in (line_id, document_id)],
        )
    rows: list[SalesLine] = []
    for chunk in sql.chunks(ids):
        rows += await SalesLine.filter(id__in=chunk).using_db(conn).order_by("id").select_for_update()
    return {row.id: row for row in rows}


def fulfillment_of(lines: list[LineProgress]) -> Fulfillment:
    """What the lines' shipments and returns come to."""
    shipped = sum((line.shipped for line in lines), ZERO)
    returned = sum((line.returned for line in lines), ZERO)
    if shipped > 0 and returned >= shipped:
        return Fulfillment.RETURNED
    if returned > 0:
        return Fulfillment.PARTLY_RETURNED
    if shipped == 0:
        return Fulfillment.UNFULFILLED
    return Fulfillment.FULFILLED if all(line.open == 0 for line in lines) else Fulfillment.PARTIAL


async def settle(write: Write, document: Document) -> Document:
    """Bring the order's fulfillment status and state to what its lines say, under the order's lock: a confirmed
    order with nothing left to ship is completed (or cancelled, when nothing was shipped)."""
    lines = (await progress_within(write.conn, [document.id]))[document.id]
    status = fulfillment_of(lines)
    await SalesOrder.filter(id=document.id).using_db(write.conn).update(fulfillment=status)
    if document.state == CONFIRMED and all(line.open == 0 for line in lines):
        shipped_any = any(line.shipped > 0 for line in lines)
        document = await service.transition(write, document, COMPLETE if shipped_any else CANCEL, None)
    return document


async def orders_by_ids(ids: list[int]) -> list[SalesOrder]:
    return await SalesOrder.filter(id__in=ids).select_related("warehouse", "ship_to", "bill_to")


@dataclass(frozen=True)
class GroupLine:
    """What one warehouse ships of an order line (a bundle's component, for a bundle line), and what it holds."""

    allocation_id: int
    warehouse_code: str
    position: int
    sku: str
    quantity: Decimal
    shipped: Decimal
    reserved: Decimal
    wanted: Decimal  # what its reservation wants now (0: nothing reserved or waiting)

    @property
    def waiting(self) -> Decimal:
        return max(self.wanted - self.reserved, ZERO)


async def groups_of(order_ids: list[int]) -> dict[int, list[GroupLine]]:
    """Per order, its allocations by warehouse, line and product: its fulfillment groups."""
    grouped: dict[int, list[GroupLine]] = {i: [] for i in order_ids}
    for chunk in sql.chunks(sorted(set(order_ids))):
        rows = await sql.fetch(
            connection(),
            "SELECT a.id, a.order_id, w.code AS warehouse_code, l.position, p.sku, a.quantity, a.shipped, d.reserved,"
            " d.wanted FROM sales_allocation a JOIN warehouse w ON w.id = a.warehouse_id"
            " JOIN document_line l ON l.id = a.line_id JOIN product p ON p.id = a.product_id"
            f" LEFT JOIN stock_demand d ON d.document_type = '{ALLOCATION}' AND d.document_id = a.order_id"
            f" AND d.line_id = a.id WHERE a.order_id IN ({sql.placeholders(1, len(chunk))})"
            " ORDER BY a.order_id, w.code, l.position, p.sku",
            *chunk,
        )
        for r in rows:
            grouped[int(r["order_id"])].append(GroupLine(
                int(r["id"]), r["warehouse_code"], int(r["position"]), r["sku"], _value(r, "quantity"),
                _value(r, "shipped"), _value(r, "reserved"), _value(r, "wanted"),
            ))  # fmt: skip
    return grouped
