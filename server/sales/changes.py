"""Changing a sales order after it was made: cancelling it or what is left of some lines, and amending it.

Only what is not shipped changes. Cancelling a partly shipped order cancels what is left and completes
it; every quantity cancelled releases its reservation for the demands waiting. An amendment of a
confirmed order names every line as it is to be; a line never drops below what it shipped (INVALID at
the line's path), the allocations follow the new quantities and are reserved again, and the credit and
discount checks run again on what the order now comes to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.commands import Command, Write
from server.db import connection
from server.documents import service
from server.documents.kinds import DRAFT
from server.documents.lines import MAX_LINES, CheckedLine, check_lines
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.purchasing.orders import price_per_unit
from server.sales import payments
from server.sales.allocation import Stock, allocate_more, allocations_of, components_of, reserves_now, want
from server.sales.confirming import check_credit_within, check_discounts_within
from server.sales.models import SalesAllocation, SalesLine, SalesOrder
from server.sales.orders import (
    ALLOCATION,
    AMEND,
    CANCEL,
    ORDER_KIND,
    ZERO,
    LineProgress,
    lock_lines,
    progress_within,
    refuse_other_types,
    refuse_unless_confirmed,
    settle,
)
from server.sales.picking import put_back_within


@dataclass(frozen=True)
class CancelSalesOrder(Command):
    operation = "sales_order.cancel"
    document_id: int
    version: int | None


@dataclass(frozen=True)
class CancelSalesRemaining(Command):
    operation = "sales_order.cancel_remaining"
    document_id: int
    version: int | None
    positions: tuple[int, ...]


@dataclass(frozen=True)
class AmendSalesOrder(Command):
    operation = "sales_order.amend"
    document_id: int
    version: int
    positions: tuple[int | None, ...]
    lines: tuple[CheckedLine, ...]


async def cancel_order(
    document_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Cancel an order: a draft or an order with nothing shipped is cancelled; a partly shipped one has what is
    left cancelled and is completed. Its reservations are released."""

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        if document.state == DRAFT:
            return await service.transition(write, document, CANCEL, None)
        refuse_unless_confirmed(document, "cancelled")
        await _cancel_open(write, document, None)
        await payments.settle_within(write.conn, document)
        return await settle(write, document)

    return await service.write_document(CancelSalesOrder(document_id, version), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def cancel_remaining(
    document_id: int, positions: list[int], *, version: int | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Cancel what is left to ship of these lines of a confirmed order and release their reservations; an order
    left with nothing to ship is completed (or cancelled, when nothing was shipped)."""
    if not positions:
        raise Invalid("Name the lines whose remainder is cancelled.", field="positions")
    if len(positions) > MAX_LINES or len(set(positions)) != len(positions):
        raise Invalid(f"Name each line once, at most {MAX_LINES}.", field="positions")
    command = CancelSalesRemaining(document_id, version, tuple(sorted(positions)))

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        refuse_unless_confirmed(document, "changed")
        await _cancel_open(write, document, command.positions)
        await payments.settle_within(write.conn, document)
        return await settle(write, document)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def _cancel_open(write: Write, document: Document, positions: tuple[int, ...] | None) -> None:
    conn = write.conn
    lines = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position")
    by_position = {line.position: line for line in lines}
    chosen = lines if positions is None else []
    for index, position in enumerate(positions or ()):
        if position not in by_position:
            raise NotFound(f"The order has no line {str(position)[:20]}.", field=("positions", index))
        chosen.append(by_position[position])
    order = await SalesOrder.get(id=document.id, using_db=conn)
    chosen_ids = {line.id for line in chosen}
    for allocation in await allocations_of(conn, document.id):
        if allocation.line_id in chosen_ids:  # type: ignore[attr-defined]
            await put_back_within(write, allocation, quantities.from_db(allocation.staged))  # picked, not shipped
            allocation.quantity = quantities.from_db(allocation.shipped)
            await allocation.save(using_db=conn, update_fields=["quantity"])
            await want(conn, allocation, order)
    progress = await lock_lines(conn, document.id, [line.id for line in chosen])
    for line in chosen:
        row = progress[line.id]
        left = quantities.from_db(line.base_quantity) - quantities.from_db(row.cancelled) - quantities.from_db(
            row.shipped)  # fmt: skip
        if left > 0:
            row.cancelled = quantities.from_db(row.cancelled) + left
            await row.save(using_db=conn, update_fields=["cancelled"])


async def amend_order(
    document_id: int, lines: list[service.Amended], *, version: int, can_approve: bool, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Amend a confirmed order: ``lines`` is the whole new list, each naming the ``position`` of the line it
    changes (None: a new line; a line left out is removed). A line keeps its product and never drops below
    what it shipped; a line that shipped anything stays. Reserved again, credit and discounts checked again."""
    positions = service.amended_positions(lines, instead="cancel it")
    checked, _, _ = await check_lines(connection(), ORDER_KIND, [a.line for a in lines])
    command = AmendSalesOrder(document_id, version, positions, tuple(checked))

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        refuse_unless_confirmed(document, "amended" if document.state != DRAFT else "amended (edit the draft)")
        conn = write.conn
        existing = {line.position: line for line in await DocumentLine.filter(document_id=document.id).using_db(
            conn).order_by("position").select_related("product")}  # fmt: skip
        progress = await lock_lines(conn, document.id, [line.id for line in existing.values()])
        await _refuse(existing, progress, positions, checked)
        await _refuse_removing_listed(conn, existing, positions)
        order = await SalesOrder.get(id=document.id, using_db=conn)
        reserving = reserves_now(order) or await holds_reservations(conn, document.id)
        kept_ids = {existing[p].id for p in positions if p is not None}
        # Removed lines release what they held with the rest, in lock order, once the customer is locked. None was
        # ever picked or shipped: a line on a pick list or a shipment stays (``_refuse``).
        removed = [a for a in await allocations_of(conn, document.id) if a.line_id not in kept_ids]  # type: ignore[attr-defined]
        amended = [_same_price(change, existing, c) for change, c in zip(lines, checked, strict=True)]
        gone = [line.id for line in existing.values() if line.id not in kept_ids]
        if gone:  # the progress of a removed line goes with it (nothing shipped, returned or invoiced: ``_refuse``)
            await SalesLine.filter(id__in=gone).using_db(conn).delete()
        for line in (await service.amend_within(write, document, amended)).values():
            row = progress.get(line.id)  # what was cancelled stays cancelled only as far as the new quantity goes
            if row is not None:
                room = max(quantities.from_db(line.base_quantity) - quantities.from_db(row.shipped), ZERO)
                if quantities.from_db(row.cancelled) > room:
                    row.cancelled = room
                    await row.save(using_db=conn, update_fields=["cancelled"])
        await service.check_approval_within(write, document, can_approve=can_approve)
        document = await service.transition(write, document, AMEND, None)
        await check_credit_within(write, document, can_approve=can_approve)
        await check_discounts_within(write, document, can_approve=can_approve)
        await _follow(write, document, order, reserving=reserving, removed=removed)
        await payments.settle_within(conn, document)  # a new total: paid may now be partial, or a credit
        order.revision += 1
        await order.save(using_db=conn, update_fields=["revision"])
        return await settle(write, document)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


def _same_price(change: service.Amended, existing: dict[int, DocumentLine], checked: CheckedLine) -> service.Amended:
    """A line kept keeps its price per base unit and discount unless the amendment names new ones."""
    if change.position is None or change.position not in existing:
        return change
    current, line = existing[change.position], change.line
    price = line.price if line.price is not None else price_per_unit(current, checked.quantity, checked.base_quantity)
    discount = line.discount_percent if line.discount_percent is not None else current.discount_percent
    return service.Amended(change.position, dataclasses.replace(line, price=price, discount_percent=discount))


async def _refuse(existing: dict[int, DocumentLine], progress: dict[int, SalesLine], positions: tuple[int | None, ...],
                  checked: list[CheckedLine]) -> None:  # fmt: skip
    problems: list[DomainError] = []
    for index, (position, line) in enumerate(zip(positions, checked, strict=True)):
        if position is None:
            continue
        current = existing.get(position)
        if current is None:
            problems.append(NotFound(f"The order has no line {position}.", field=("lines", index, "position")))
            continue
        if current.product.sku != line.sku:
            problems.append(Invalid(f"Line {position} is for {current.product.sku}: remove it and add a new line for"
                                    " another product.", field=("lines", index, "sku")))  # fmt: skip
            continue
        shipped = quantities.from_db(progress[current.id].shipped)
        if line.base_quantity < shipped:
            problems.append(Invalid(
                f"Line {position} shipped {shipped.normalize():f} {current.product.unit}: it cannot be reduced below"
                " that.", field=("lines", index, "quantity"),
            ))  # fmt: skip
    kept = {p for p in positions if p is not None}
    for position, current in sorted(existing.items()):
        if position not in kept and quantities.from_db(progress[current.id].shipped) > 0:  # type: ignore[attr-defined]
            problems.append(Invalid(f"Line {position} has shipped goods: it stays (set its quantity).", field="lines"))
    if problems:
        raise ManyErrors(problems)


async def _refuse_removing_listed(conn: BaseDBAsyncClient, existing: dict[int, DocumentLine],
                                  positions: tuple[int | None, ...]) -> None:  # fmt: skip
    """A line on a pick list or a shipment (picked, or listed to be) stays: those lines keep pointing at its
    allocations. What is left of it is cancelled instead (its picked goods go back to their bins)."""
    kept = {p for p in positions if p is not None}
    removed = {current.id: position for position, current in existing.items() if position not in kept}
    listed: set[int] = set()
    for chunk in sql.chunks(sorted(removed)):
        rows = await sql.fetch(
            conn,
            "SELECT DISTINCT a.line_id FROM sales_allocation a"
            f" WHERE a.line_id IN ({sql.placeholders(1, len(chunk))})"
            " AND (EXISTS (SELECT 1 FROM sales_pick_line p WHERE p.allocation_id = a.id)"
            " OR EXISTS (SELECT 1 FROM sales_shipment_line s WHERE s.allocation_id = a.id))",
            *chunk,
        )
        listed |= {int(r["line_id"]) for r in rows}
    if listed:
        raise ManyErrors([
            Invalid(f"Line {removed[line_id]} is on a pick list or a shipment: it stays (cancel what is left of it"
                    " with cancelSalesOrderRemaining).", field="lines")
            for line_id in sorted(listed, key=lambda i: removed[i])
        ])  # fmt: skip


async def _follow(write: Write, document: Document, order: SalesOrder, *, reserving: bool,
                  removed: list[SalesAllocation]) -> None:  # fmt: skip
    """Bring each line's allocations to what it still has to ship and, when the order reserves, reserve them and
    release what the ``removed`` lines' allocations held: every demand in (product, warehouse) order, as
    confirmations lock them, so that the two never wait for each other in a circle."""
    conn = write.conn
    lines = (await progress_within(conn, [document.id]))[document.id]
    allocations = await allocations_of(conn, document.id)
    parts = await components_of(conn, [line.product_id for line in lines], held=True)
    stock = Stock(conn, {})  # one view of what is free, so that lines of one product do not both count it
    for line in lines:
        mine = [a for a in allocations if a.line_id == line.line_id]  # type: ignore[attr-defined]
        await _fit(write, document, order, line, parts[line.product_id], mine, stock)
    if not reserving:
        return
    gone = {a.id for a in removed}
    every = [*removed, *await allocations_of(conn, document.id)]
    for allocation in sorted(every, key=lambda a: (a.product_id, a.warehouse_id, a.id)):  # type: ignore[attr-defined]
        await want(conn, allocation, order, reserve=allocation.id not in gone)


async def _fit(write: Write, document: Document, order: SalesOrder, line: LineProgress,
               parts: list[tuple[int, Decimal]], mine: list[SalesAllocation], stock: Stock) -> None:  # fmt: skip
    """Grow or shrink a line's allocations to what it is to ship in all (of each component, for a bundle): a
    cut comes off the open part of the newest allocation first."""
    target = line.ordered - line.cancelled
    allocated = min((sum((quantities.from_db(a.quantity) for a in mine if a.product_id == p), ZERO) / per  # type: ignore[attr-defined]
                     for p, per in parts), default=ZERO)  # fmt: skip
    if target > allocated:
        await allocate_more(write, document, order, line, target - allocated, stock=stock)
        return
    for product_id, per in parts:
        excess = (allocated - target) * per
        for allocation in sorted((a for a in mine if a.product_id == product_id), key=lambda a: -a.id):  # type: ignore[attr-defined]
            if excess <= 0:
                break
            cut = min(quantities.from_db(allocation.quantity) - quantities.from_db(allocation.shipped), excess)
            allocation.quantity = quantities.from_db(allocation.quantity) - cut
            await allocation.save(using_db=write.conn, update_fields=["quantity"])
            excess -= cut
            await put_back_within(write, allocation, quantities.from_db(allocation.shipped) + quantities.from_db(
                allocation.staged) - allocation.quantity)  # picked beyond the new quantity goes back  # fmt: skip


async def holds_reservations(conn: BaseDBAsyncClient, order_id: int) -> bool:
    """Whether the order's allocations have demands (reserved, or waiting to be)."""
    row = await sql.fetch_one(conn, f"SELECT 1 AS found FROM stock_demand WHERE document_type = '{ALLOCATION}'"
                                    " AND document_id = $1 LIMIT 1", order_id)  # fmt: skip
    return row is not None
