"""Confirming a sales order: its credit and discounts checked, its lines allocated to warehouses and reserved.

Credit: the customer's exposure is what every other confirmed or completed order of theirs still owes
(the value of what was not cancelled, less what was paid: open orders, deliveries not yet invoiced and
unpaid amounts alike), in the company currency. When that plus this order passes the customer's credit
limit, or a line is discounted more than the store allows, only a user who may approve confirms it.
The customer's row is locked first, so two orders confirmed at once are checked one after the other:
of two orders of 600 against a limit of 1,000, exactly one needs approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Command, Write
from server.documents import service
from server.documents.errors import ApprovalRequired
from server.documents.models import Document, DocumentLine
from server.errors import Invalid
from server.inventory import quantities
from server.inventory.replan import lock_warehouse_quants
from server.money.service import company_currency
from server.partners.models import Party
from server.sales.allocation import allocate, allocations_of, open_to_reserve, reserve_all, reserves_now, want
from server.sales.models import SalesAllocation, SalesOrder, SalesPolicy
from server.sales.orders import (
    CONFIRM,
    ORDER,
    ZERO,
    kept_value,
    progress_within,
    refuse_other_types,
    refuse_unless_confirmed,
    store_warehouse,
    value_of,
)
from server.sales.payments import settle_within

_OWING_STATES = ("confirmed", "completed")


@dataclass(frozen=True)
class ConfirmSalesOrder(Command):
    operation = "sales_order.confirm"
    document_id: int
    version: int | None


@dataclass(frozen=True)
class ReserveSalesOrder(Command):
    operation = "sales_order.reserve"
    document_id: int
    version: int | None
    reserve: bool


@dataclass(frozen=True)
class MoveFulfillmentGroup(Command):
    operation = "sales_order.move_group"
    document_id: int
    version: int | None
    from_warehouse: str
    to_warehouse: str


async def confirm_order(
    document_id: int, *, version: int | None, can_approve: bool, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Confirm a draft order: approval when it passes the customer's credit or the store's discount limit;
    its lines allocated to warehouses and (unless reserved by hand or before the ship date) reserved."""

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        document = await service.transition(write, document, CONFIRM, None, can_approve=can_approve)
        await check_credit_within(write, document, can_approve=can_approve)
        await check_discounts_within(write, document, can_approve=can_approve)
        order = await SalesOrder.get(id=document.id, using_db=write.conn)
        order.confirmed_at = now()
        await order.save(using_db=write.conn, update_fields=["confirmed_at"])
        await settle_within(write.conn, document)  # paid before confirming: the draft's total may have changed
        lines = (await progress_within(write.conn, [document.id]))[document.id]
        await allocate(write, document, order, lines)
        if reserves_now(order):
            await reserve_all(write, order)
        return document

    return await service.write_document(ConfirmSalesOrder(document_id, version), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def reserve_order(
    document_id: int, *, reserve: bool, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Reserve what a confirmed order still has to ship (``reserve`` False: release it, keeping its allocation)."""

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        refuse_unless_confirmed(document, "reserved" if reserve else "released")
        await reserve_all(write, await SalesOrder.get(id=document.id, using_db=write.conn), reserve=reserve)
        return await _touched(write, document)

    return await service.write_document(ReserveSalesOrder(document_id, version, reserve), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def move_group(
    document_id: int, from_warehouse: str, to_warehouse: str, *, version: int | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Ship what a warehouse has still to ship of an order from another one instead: its reservations there are
    released and made in the other warehouse in one transaction (what is not free there waits)."""

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        refuse_unless_confirmed(document, "moved")
        conn = write.conn
        source = await store_warehouse(conn, document.store_id, from_warehouse, "fromWarehouse")  # type: ignore[attr-defined]
        target = await store_warehouse(conn, document.store_id, to_warehouse, "toWarehouse")  # type: ignore[attr-defined]
        if source.id == target.id:
            raise Invalid("Name another warehouse to move the group to.", field="toWarehouse")
        order = await SalesOrder.get(id=document.id, using_db=conn)
        moving = [a for a in await allocations_of(conn, document.id) if a.warehouse_id == source.id]  # type: ignore[attr-defined]
        open_parts = [(a, open_to_reserve(a)) for a in moving]  # what was picked there ships from there
        if not any(part > 0 for _, part in open_parts):
            raise Invalid(f"The order has nothing left to ship from {source.code}.", field="fromWarehouse")
        # Released in one warehouse and reserved in the other: both locked first, in the (product, warehouse)
        # order confirmations lock them in, or a move to a warehouse of lower id waits for it holding the other.
        for product_id in sorted({a.product_id for a in moving}):  # type: ignore[attr-defined]
            for warehouse_id in sorted((source.id, target.id)):
                await lock_warehouse_quants(conn, product_id, warehouse_id)
        reserved = await _reserves(conn, order, moving)
        for allocation, part in open_parts:
            if part <= 0:
                continue
            await want(conn, allocation, order, reserve=False)
            allocation.quantity = quantities.from_db(allocation.shipped) + quantities.from_db(allocation.staged)
            await allocation.save(using_db=conn, update_fields=["quantity"])
            there = await SalesAllocation.filter(line_id=allocation.line_id, product_id=allocation.product_id,  # type: ignore[attr-defined]
                                                 warehouse_id=target.id).using_db(conn).first()  # fmt: skip
            if there is None:
                there = await SalesAllocation.create(
                    order_id=document.id, line_id=allocation.line_id, product_id=allocation.product_id,  # type: ignore[attr-defined]
                    warehouse_id=target.id, quantity=part, using_db=conn,
                )  # fmt: skip
            else:
                there.quantity = quantities.from_db(there.quantity) + part
                await there.save(using_db=conn, update_fields=["quantity"])
            if reserved:
                await want(conn, there, order)
        if order.warehouse_id is not None:  # type: ignore[attr-defined]
            order.warehouse_id = target.id  # type: ignore[attr-defined]
            await order.save(using_db=conn, update_fields=["warehouse_id"])
        return await _touched(write, document)

    command = MoveFulfillmentGroup(document_id, version, from_warehouse[:64], to_warehouse[:64])
    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def _reserves(conn: BaseDBAsyncClient, order: SalesOrder, allocations: list[SalesAllocation]) -> bool:
    """Whether the order holds reservations (or waits for them): a group moved keeps reserving."""
    if reserves_now(order):
        return True
    ids = [a.id for a in allocations]
    if not ids:
        return False
    row = await sql.fetch_one(
        conn,
        f"SELECT 1 AS found FROM stock_demand WHERE document_type = 'sales.allocation' AND document_id = $1"
        f" AND line_id IN ({sql.placeholders(2, len(ids))}) LIMIT 1",
        order.id, *ids,
    )  # fmt: skip
    return row is not None


async def _touched(write: Write, document: Document) -> Document:
    document.version += 1
    document.updated_by_id = write.actor_id  # type: ignore[attr-defined]
    await document.save(using_db=write.conn, update_fields=["version", "updated_by_id", "updated_at"])
    return document


# ---- credit and discounts ----


async def exposure_within(conn: BaseDBAsyncClient, customer_id: int, excluding: int) -> Decimal:
    """What the customer's other confirmed and completed orders still owe, in the company currency."""
    states = sql.placeholders(3, len(_OWING_STATES))
    rows = await sql.fetch(
        conn,
        "SELECT d.id, d.rate, s.paid, l.gross, l.base_quantity, sl.cancelled, sl.returned FROM document d"
        " JOIN sales_order s ON s.id = d.id JOIN document_line l ON l.document_id = d.id"
        " LEFT JOIN sales_line sl ON sl.id = l.id"
        f" WHERE d.type = '{ORDER}' AND d.party_id = $1 AND d.id <> $2 AND d.state IN ({states})",
        customer_id, excluding, *_OWING_STATES,
    )  # fmt: skip
    owed: dict[int, list[Decimal]] = {}  # order id -> [value, paid, rate]
    for r in rows:
        gone = sum((quantities.from_db(r[name]) for name in ("cancelled", "returned") if r[name] is not None), ZERO)
        value = kept_value(Decimal(str(r["gross"])), quantities.from_db(r["base_quantity"]), gone)
        entry = owed.setdefault(int(r["id"]), [ZERO, Decimal(str(r["paid"] or 0)), Decimal(str(r["rate"] or 1))])
        entry[0] += value
    return sum((max(value - paid, ZERO) * rate for value, paid, rate in owed.values()), ZERO)


async def lock_customer(conn: BaseDBAsyncClient, party_id: int) -> None:
    """Lock the customer's row as the credit check does, for a write that locks quants before it checks credit:
    confirmations lock the customer first, then quants, and every write must take them in that order."""
    if sql.dialect(conn) == "postgres":
        await sql.fetch_one(conn, "SELECT id FROM party WHERE id = $1 FOR UPDATE", party_id)


async def check_credit_within(write: Write, document: Document, *, can_approve: bool, owing: Decimal | None = None
                              ) -> None:  # fmt: skip
    """Refuse (APPROVAL_REQUIRED) when the customer's exposure plus this order passes their credit limit, unless
    the user may approve. ``owing``: what this order adds, in its currency (None: its gross less what is paid).
    Locks the customer's row: confirmations and shipments of one customer are checked one at a time."""
    conn = write.conn
    lock = " FOR UPDATE" if sql.dialect(conn) == "postgres" else ""
    row = await sql.fetch_one(conn, f"SELECT credit_limit FROM party WHERE id = $1{lock}", document.party_id)  # type: ignore[attr-defined]
    if row is None or row["credit_limit"] is None:
        return
    limit = Decimal(str(row["credit_limit"]))
    if owing is None:  # what it comes to without its cancelled parts, as the other orders are counted
        paid = await SalesOrder.filter(id=document.id).using_db(conn).values_list("paid", flat=True)
        value = value_of((await progress_within(conn, [document.id]))[document.id])
        owing = max(value - Decimal(str(paid[0] if paid else 0)), ZERO)
    exposure = await exposure_within(conn, document.party_id, document.id)  # type: ignore[attr-defined]
    total = exposure + owing * Decimal(document.rate or 1)
    if total <= limit:
        return
    if not can_approve:
        customer = await Party.get(id=document.party_id).using_db(conn)  # type: ignore[attr-defined]
        currency = await company_currency()
        raise ApprovalRequired(
            f"{customer.code} would owe {total:.2f} {currency} with this order ({exposure:.2f} open before it),"
            f" above their credit limit of {limit:.2f} {currency}: a user with the documents.approve permission"
            " must do it.",
            field="action",
        )
    document.approved_by_id = write.actor_id  # type: ignore[attr-defined]
    document.approved_at = now()


async def check_discounts_within(write: Write, document: Document, *, can_approve: bool) -> None:
    """Refuse (APPROVAL_REQUIRED) a line discounted more than the store's limit, unless the user may approve."""
    policy = await SalesPolicy.get_or_none(store_id=document.store_id, using_db=write.conn)  # type: ignore[attr-defined]
    if policy is None or policy.max_discount_percent is None or can_approve:
        return
    limit = Decimal(policy.max_discount_percent)
    lines = await DocumentLine.filter(document_id=document.id).using_db(write.conn).order_by("position")
    over = next((line for line in lines if Decimal(line.discount_percent) > limit), None)  # SQLite: text in SQL
    if over is not None:
        raise ApprovalRequired(
            f"Line {over.position} is discounted {Decimal(over.discount_percent):.2f}%, above the {limit:.2f}% the"
            " store allows: a user with the documents.approve permission must confirm it.",
            field=("lines", over.position - 1, "discountPercent"),
        )
