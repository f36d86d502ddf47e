"""The planning run: per warehouse, the suggestions (``server.purchasing.planning``) written as draft purchase
orders, one per supplier (and currency of its prices), store and warehouse, kept up to date by every run.

A warehouse's run is one transaction under a lock of its own (an advisory lock on PostgreSQL; SQLite runs one
writer at a time), so two runs at once cannot both make drafts. It:

- keeps a ``planned_line`` row for every line it writes, with what it wrote. While the line still says exactly
  that, the job changes its quantity or removes it; once a person edits it (or the order leaves draft), the
  row goes and the line is theirs: it counts as incoming, and is never touched again;
- adds a supplier's suggestions to the draft it made for that supplier and warehouse (``planned_order``) while
  that is still a draft, else makes a new draft; a person's lines on it are written back as they are;
- cancels a draft of its own that is left with no line at all;
- writes nothing when the suggestions are what its lines already say: a rerun gives the same drafts.

A product that needs buying but that no supplier has a valid price for is reported, never silently skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents import service as documents
from server.documents.lines import LineInput
from server.inventory import quantities
from server.inventory.warehouse_jobs import each_warehouse, request_run, warehouse_named
from server.jobs.queue import PLAN_PURCHASES, JobQueue
from server.purchasing.orders import new_order_within
from server.purchasing.planning import Ownership, Suggestion, own_lines, suggest
from server.purchasing.planning_models import PlannedLine, PlannedOrder

log = logging.getLogger(__name__)
NOTES = "Proposed by purchase planning: reorder rules and recent demand."
NEW = 2**63  # sorts after every document id
MAX_REPORTED = 200  # products named in a job's record per list


@dataclass(frozen=True)
class OrderRun:
    supplier: str
    document_id: int | None  # None: its draft was cancelled, nothing of it is needed any more
    lines: int  # the job's own lines on it
    changed: bool


@dataclass
class WarehouseRun:
    warehouse_code: str
    orders: list[OrderRun] = field(default_factory=list)
    no_price: list[str] = field(default_factory=list)  # SKUs needed that no supplier has a valid price for
    held: list[str] = field(default_factory=list)  # SKUs a person's line on the job's draft already holds
    no_store: bool = False  # no store holds the warehouse: an order belongs to a store
    error: str | None = None

    @property
    def changed(self) -> bool:
        return any(order.changed for order in self.orders)


@dataclass(frozen=True)
class PlanPurchases(Command):
    operation = "purchase.plan"
    warehouse: str


async def warehouse_id_of(code: str) -> int:
    return int((await warehouse_named(connection(), code))["id"])


async def request_planning(
    queue: JobQueue, idempotency_key: str, warehouse_code: str | None, *, actor_id: int | None
) -> tuple[str, bool]:
    """Ask for a run now, of one warehouse or of all (``warehouse_jobs.request_run``)."""
    return await request_run(queue, PLAN_PURCHASES, idempotency_key, warehouse_code, actor_id=actor_id)


async def plan_purchases(warehouse_code: str | None = None) -> list[WarehouseRun]:
    """Plan one warehouse, or every warehouse with reorder rules or drafts of the job."""
    return await each_warehouse(
        warehouse_code,
        "SELECT id, code FROM warehouse WHERE id IN (SELECT warehouse_id FROM reorder_rule)"
        " OR id IN (SELECT warehouse_id FROM planned_order) ORDER BY code",
        plan_warehouse, lambda code, why: WarehouseRun(code, error=why), "purchase planning",
    )  # fmt: skip


async def plan_warehouse(warehouse_id: int, warehouse_code: str) -> WarehouseRun:
    """One warehouse's run, in one transaction under its planning lock."""

    async def run(write: Write) -> WarehouseRun:
        conn = write.conn
        await sql.lock_name(conn, f"purchase-planning:{warehouse_id}")
        drafts = await _drafts(conn, warehouse_id)  # locked first: a person's edit waits until the run is done
        own = await own_lines(conn, warehouse_id)
        for chunk in sql.chunks(sorted(own.stale)):
            await PlannedLine.filter(id__in=chunk).using_db(conn).delete()
        suggestions = await suggest(conn, warehouse_id, own)
        result = WarehouseRun(warehouse_code)
        result.no_price = [s.sku for s in suggestions if s.no_price]
        # By supplier and the currency of the price: a draft is priced from the supplier's prices in its currency.
        wanted: dict[tuple[int, str], list[Suggestion]] = {}
        for s in suggestions:
            if s.offer is not None and s.packs > 0:
                wanted.setdefault((s.offer.supplier_id, s.offer.currency), []).append(s)
        store_id = await _store_of(conn, warehouse_id)
        # Drafts in id order (the lock order of documents), then the suppliers that get a new one.
        for key in sorted(set(wanted) | set(drafts), key=lambda k: (drafts.get(k, (NEW, 0))[0], k)):
            draft, wanted_of = drafts.get(key), wanted.get(key, [])
            order = await _plan_order(write, warehouse_id, store_id, draft, wanted_of, own, result)
            if order is not None:
                result.orders.append(order)
        return result

    def audited(result: WarehouseRun) -> Audited | None:
        if not result.changed:
            return None
        return Audited("purchase_planning", warehouse_code, {"orders": [o.document_id for o in result.orders]})

    return (await execute(PlanPurchases(warehouse_code), Effect(run, audited), actor_id=None)).result


async def _drafts(conn: BaseDBAsyncClient, warehouse_id: int) -> dict[tuple[int, str], tuple[int, int]]:
    """Per supplier and currency, the job's latest draft for the warehouse that is still a draft: (id, version),
    locked in id order."""
    rows = await sql.fetch(
        conn,
        "SELECT o.supplier_id, d.currency, d.id, d.version FROM planned_order o JOIN document d ON d.id = o.id"
        " WHERE o.warehouse_id = $1 AND d.state = 'draft' ORDER BY d.id FOR UPDATE",
        warehouse_id,
    )
    return {(int(r["supplier_id"]), r["currency"]): (int(r["id"]), int(r["version"])) for r in rows}


async def _store_of(conn: BaseDBAsyncClient, warehouse_id: int) -> int | None:
    """The store a warehouse's orders belong to: the first that holds it."""
    row = await sql.fetch_one(
        conn, "SELECT MIN(store_id) AS store_id FROM store_warehouse WHERE warehouse_id = $1", warehouse_id
    )
    return int(row["store_id"]) if row and row["store_id"] is not None else None


def _proposed(s: Suggestion) -> LineInput:
    assert s.offer is not None
    return LineInput(sku=s.sku, quantity=s.packs, unit=s.offer.unit)


async def _plan_order(
    write: Write, warehouse_id: int, store_id: int | None, draft: tuple[int, int] | None, wanted: list[Suggestion],
    own: Ownership, result: WarehouseRun,
) -> OrderRun | None:  # fmt: skip
    """Bring one supplier's draft to what is wanted of it: make it, rewrite its own lines, or cancel it."""
    conn = write.conn
    if draft is None:
        if not wanted:
            return None
        offer = wanted[0].offer
        assert offer is not None
        if store_id is None:
            result.no_store = True
            return None
        lead = max(s.lead_time_days for s in wanted)
        document = await new_order_within(
            write, offer.supplier_code, store_id, warehouse_id, [_proposed(s) for s in wanted],
            expected_on=today() + timedelta(days=lead), currency=offer.currency,
            notes=NOTES,
        )  # fmt: skip
        await PlannedOrder.create(id=document.id, supplier_id=offer.supplier_id, warehouse_id=warehouse_id,
                                  using_db=conn)  # fmt: skip
        await _remember(conn, document.id, {s.product_id for s in wanted})
        return OrderRun(offer.supplier_code, document.id, len(wanted), changed=True)

    document_id, version = draft
    supplier = await sql.fetch_one(conn, "SELECT p.code FROM planned_order o JOIN party p ON p.id = o.supplier_id"
                                   " WHERE o.id = $1", document_id)  # fmt: skip
    assert supplier is not None
    lines = await _lines_of(conn, document_id)
    by_product = {s.product_id: s for s in wanted}
    inputs: list[LineInput] = []
    mine: set[int] = set()
    changed = False
    for line in lines:
        product_id = int(line["product_id"])
        if (document_id, product_id) not in own.lines:
            inputs.append(_as_input(line))  # a person's: written back as it is
            if product_id in by_product:
                result.held.append(line["sku"])
                by_product.pop(product_id)
            continue
        wanted_now = by_product.pop(product_id, None)
        if wanted_now is None:
            changed = True  # not needed any more (or bought from another supplier now): its line goes
            continue
        proposed = _proposed(wanted_now)
        held = own.lines[(document_id, product_id)]
        if held.unit.lower() != str(proposed.unit).lower() or held.quantity != proposed.quantity:
            changed = True
        inputs.append(proposed)
        mine.add(product_id)
    for s in wanted:
        if s.product_id in by_product:  # not on the draft yet
            inputs.append(_proposed(s))
            mine.add(s.product_id)
            changed = True
    if not changed:
        return OrderRun(supplier["code"], document_id, len(mine), changed=False)
    await PlannedLine.filter(order_id=document_id).using_db(conn).delete()
    if not inputs:
        await documents.act_within(write, document_id, "cancel", version=version)
        return OrderRun(supplier["code"], None, 0, changed=True)
    await documents.rewrite_within(write, document_id, version, inputs)
    await _remember(conn, document_id, mine)
    return OrderRun(supplier["code"], document_id, len(mine), changed=True)


async def _lines_of(conn: BaseDBAsyncClient, document_id: int) -> list[dict[str, Any]]:
    return await sql.fetch(
        conn,
        "SELECT l.*, p.sku, loc.code AS location_code FROM document_line l JOIN product p ON p.id = l.product_id"
        " LEFT JOIN location loc ON loc.id = l.location_id WHERE l.document_id = $1 ORDER BY l.position",
        document_id,
    )


def _as_input(line: dict[str, Any]) -> LineInput:
    """A person's line as they left it, to write back when the job rewrites the draft around it."""
    return LineInput(
        sku=line["sku"], quantity=quantities.from_db(line["quantity"]), unit=line["unit"],
        price=Decimal(str(line["price"])), discount_percent=Decimal(str(line["discount_percent"])),
        location=line["location_code"], lot=line["lot_code"], expires_on=sql.as_date(line["expires_on"]),
        notes=line["notes"] or None, best_before_on=sql.as_date(line["best_before_on"]),
        removal_on=sql.as_date(line["removal_on"]), alert_on=sql.as_date(line["alert_on"]),
    )  # fmt: skip


async def _remember(conn: BaseDBAsyncClient, document_id: int, products: set[int]) -> None:
    """Note the job's lines on a draft as they were written (unit, quantity and the price they got)."""
    lines = await sql.fetch(
        conn, "SELECT product_id, unit, quantity, price FROM document_line WHERE document_id = $1", document_id
    )
    await PlannedLine.bulk_create(
        [PlannedLine(order_id=document_id, product_id=int(r["product_id"]), unit=r["unit"],
                     quantity=quantities.from_db(r["quantity"]), price=Decimal(str(r["price"])))
         for r in lines if int(r["product_id"]) in products],
        using_db=conn,
    )  # fmt: skip


def summary(runs: list[WarehouseRun]) -> dict[str, Any]:
    """A run's outcome as a job records it (JSON)."""
    return {
        "warehouses": [
            {"warehouse": r.warehouse_code, "changed": r.changed, "no_store": r.no_store, "error": r.error,
             "orders": [{"supplier": o.supplier, "document_id": o.document_id, "lines": o.lines, "changed": o.changed}
                        for o in r.orders],
             "no_price": r.no_price[:MAX_REPORTED], "held": r.held[:MAX_REPORTED]}
            for r in runs
        ]
    }  # fmt: skip
