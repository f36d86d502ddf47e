"""Planning reservations under the quant locks: one product in one warehouse at a time.

A ``Plan`` holds the locked quants of a product in a warehouse, the allocations on them and the
demands it may change, all in memory; ``flush`` writes what changed. Reservations
(``server.inventory.reservations``) and the posting hook ``after_posting`` both use it, so one
piece of code decides who gets which stock:

- stock arriving or freed goes to the waiting demands, the highest priority first (then the
  earliest promised date, then the oldest demand), each taking bins and lots in the order of the
  removal strategy;
- where a quant holds less than is reserved on it (a count, scrap), the allocations of the lowest
  priority (then the newest demand) are cut first, and the demands cut wait for stock elsewhere
  in the warehouse, which they are then given where it is free.

Lock order: quants first ((product, location, lot, package) order), then demand rows (id order). A posting
already holds some quants of the product when its hook runs, so it takes the warehouse's other
quants with SKIP LOCKED: it never waits for them (no deadlock against a posting that holds them);
stock it skips goes to waiting demands on the next arrival or reservation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now, today
from server.inventory import quantities
from server.inventory.removal import Candidate, RemovalStrategy, candidates_by_quant_ids, ordered, strategy_for

if TYPE_CHECKING:
    from server.inventory.posting import Locked, Quant

ZERO = Decimal(0)


@dataclass
class DemandState:
    id: int
    product_id: int
    warehouse_id: int
    lot_id: int  # 0: any
    priority: int
    wanted: Decimal
    reserved: Decimal
    waiting: bool
    promised_on: date | None = None
    changed: bool = False
    gone: bool = False  # released entirely: deleted by flush


@dataclass(frozen=True)
class Warehouse:
    id: int
    root_id: int
    path: str


async def warehouse_root(conn: BaseDBAsyncClient, warehouse_id: int) -> Warehouse:
    row = await sql.fetch_one(
        conn, "SELECT id, path FROM location WHERE warehouse_id = $1 AND parent_id IS NULL", warehouse_id
    )
    assert row is not None, f"warehouse #{warehouse_id} has no root location"
    return Warehouse(warehouse_id, int(row["id"]), row["path"])


async def lock_warehouse_quants(
    conn: BaseDBAsyncClient, product_id: int, warehouse_id: int, *, skip_locked: bool = False
) -> list[int]:
    """Lock the quants of a product in a warehouse in (location, lot, package) order; their ids.

    ``skip_locked``: leave out those another transaction holds instead of waiting for them.
    """
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"
    query = (
        "SELECT id FROM quant WHERE product_id = $1"
        " AND location_id IN (SELECT id FROM location WHERE warehouse_id = $2) ORDER BY location_id, lot_id, package_id"
    )
    if sql.dialect(conn) == "postgres":  # SQLite has no row locks: its writers run one at a time
        query += lock
    return [int(r["id"]) for r in await sql.fetch(conn, query, product_id, warehouse_id)]


class Plan:
    """The reservations of one product in one warehouse, over quants the caller has locked."""

    def __init__(
        self,
        warehouse: Warehouse,
        strategy: RemovalStrategy,
        candidates: list[Candidate],
        allocations: dict[tuple[int, int], Decimal],
        demands: dict[int, DemandState],
        day: date,
    ) -> None:
        self.warehouse = warehouse
        self.strategy = strategy
        self.order = ordered(candidates, strategy, warehouse.path)
        self.quants = {c.quant_id: c for c in candidates}
        self.allocations = allocations  # (demand id, quant id) -> quantity
        self._before = dict(allocations)
        self._reserved_before = {c.quant_id: c.reserved for c in candidates}
        self.demands = demands
        self.day = day

    @classmethod
    async def load(
        cls,
        conn: BaseDBAsyncClient,
        product_id: int,
        warehouse_id: int,
        quant_ids: list[int],
        *,
        demand_ids: Iterable[int] = (),
        held: dict[int, Quant] | None = None,
        ineligible_too: bool = False,
    ) -> Plan:
        """Read the plan's quants (``held``: the posting's in-memory quants, newer than their rows),
        the allocations on them, and lock the demands it may change: ``demand_ids``, those with
        allocations on over-reserved quants (``ineligible_too``: or on stock that may no longer be
        reserved), and the waiting demands of the product in the warehouse."""
        warehouse = await warehouse_root(conn, warehouse_id)
        strategy = await strategy_for(conn, product_id, warehouse.root_id)
        candidates = await candidates_by_quant_ids(conn, quant_ids)
        for candidate in candidates:
            if held and candidate.quant_id in held:
                quant = held[candidate.quant_id]
                candidate.on_hand, candidate.reserved, candidate.in_date = quant.on_hand, quant.reserved, quant.in_date
        allocations: dict[tuple[int, int], Decimal] = {}
        if quant_ids:
            rows = await sql.fetch(
                conn,
                "SELECT demand_id, quant_id, quantity FROM stock_allocation"
                f" WHERE quant_id IN ({sql.placeholders(1, len(quant_ids))})",
                *quant_ids,
            )
            allocations = {(int(r["demand_id"]), int(r["quant_id"])): quantities.from_db(r["quantity"]) for r in rows}
        day = today()
        hit = {c.quant_id for c in candidates if c.reserved > max(c.on_hand, ZERO)}
        if ineligible_too:
            hit |= {c.quant_id for c in candidates if c.reserved > 0 and not c.eligible(None, day)}
        wanted = {*demand_ids, *(demand for demand, quant in allocations if quant in hit)}
        demands = await _lock_demands(conn, product_id, warehouse_id, sorted(wanted))
        return cls(warehouse, strategy, candidates, allocations, demands, day)

    # ---- what changes ----

    def _shift(self, demand: DemandState, candidate: Candidate, quantity: Decimal) -> None:
        """Reserve ``quantity`` more (or less, when negative) of ``candidate`` for ``demand``."""
        key = (demand.id, candidate.quant_id)
        self.allocations[key] = self.allocations.get(key, ZERO) + quantity
        candidate.reserved += quantity
        demand.reserved += quantity
        demand.changed = True

    def take(self, demand: DemandState, quantity: Decimal) -> Decimal:
        """Reserve up to ``quantity`` of free stock for ``demand``, in the strategy's order; how much."""
        lot = demand.lot_id or None
        remaining = quantity
        for candidate in self.order:
            if remaining <= 0:
                break
            if candidate.eligible(lot, self.day):
                share = min(candidate.available, remaining)
                if share > 0:
                    self._shift(demand, candidate, share)
                    remaining -= share
        return quantity - remaining

    def give_back(
        self, demand: DemandState, quantity: Decimal, *, best_first: bool = False, at: int | None = None,
        lot: int | None = None,
    ) -> list[tuple[Candidate, Decimal]]:  # fmt: skip
        """Free ``quantity`` of what ``demand`` holds: what the strategy would take last goes first
        (``best_first``: the opposite, for picking; ``at``: that location's first, and of it ``lot``'s: what the
        picker took from there). What was freed where."""
        held = [c for c in self.order if self.allocations.get((demand.id, c.quant_id), ZERO) > 0]
        held = held if best_first else held[::-1]
        if at is not None:
            held.sort(key=lambda c: (c.location_id != at, lot is not None and c.lot_id != lot))
        freed: list[tuple[Candidate, Decimal]] = []
        remaining = quantity
        for candidate in held:
            if remaining <= 0:
                break
            share = min(self.allocations[(demand.id, candidate.quant_id)], remaining)
            self._shift(demand, candidate, -share)
            freed.append((candidate, share))
            remaining -= share
        return freed

    def cut_over_reserved(self) -> None:
        """Where less is on hand than is reserved, cut the lowest priority (then newest) demands first."""
        for candidate in self.order:
            excess = candidate.reserved - max(candidate.on_hand, ZERO)
            if excess <= 0:
                continue
            holders = [
                self.demands[demand_id]
                for (demand_id, quant_id), quantity in self.allocations.items()
                if quant_id == candidate.quant_id and quantity > 0 and demand_id in self.demands
            ]
            for demand in sorted(holders, key=lambda d: (d.priority, -d.id)):
                if excess <= 0:
                    break
                share = min(self.allocations[(demand.id, candidate.quant_id)], excess)
                self._shift(demand, candidate, -share)
                excess -= share

    def cut_ineligible(self) -> None:
        """Free every allocation on stock that may no longer be reserved: a location made unsellable,
        a lot past its removal date."""
        for candidate in self.order:
            if candidate.eligible(None, self.day):
                continue
            for (demand_id, quant_id), quantity in list(self.allocations.items()):
                if quant_id == candidate.quant_id and quantity > 0 and demand_id in self.demands:
                    self._shift(self.demands[demand_id], candidate, -quantity)

    def serve_waiting(self) -> None:
        """Give free stock to the demands short of what they want, the highest priority (then the earliest
        promise, then the oldest) first."""
        for demand in sorted(self.demands.values(), key=_served_first):
            if not demand.gone and demand.reserved < demand.wanted:
                self.take(demand, demand.wanted - demand.reserved)

    # ---- writing it ----

    async def flush(self, conn: BaseDBAsyncClient) -> None:
        """Write the allocations, quants and demands that changed."""
        for (demand_id, quant_id), quantity in sorted(self.allocations.items()):
            before = self._before.get((demand_id, quant_id))
            if before == quantity or (before is None and quantity == 0):
                continue
            if quantity == 0:
                await sql.execute(
                    conn, "DELETE FROM stock_allocation WHERE demand_id = $1 AND quant_id = $2", demand_id, quant_id
                )
            elif before is None:
                await sql.execute(
                    conn, "INSERT INTO stock_allocation (demand_id, quant_id, quantity) VALUES ($1, $2, $3)",
                    demand_id, quant_id, quantity,
                )  # fmt: skip
            else:
                await sql.execute(
                    conn, "UPDATE stock_allocation SET quantity = $1 WHERE demand_id = $2 AND quant_id = $3",
                    quantity, demand_id, quant_id,
                )  # fmt: skip
        self._before = {key: quantity for key, quantity in self.allocations.items() if quantity != 0}
        self.allocations = dict(self._before)
        for quant_id, candidate in self.quants.items():
            if candidate.reserved != self._reserved_before[quant_id]:
                await sql.execute(conn, "UPDATE quant SET reserved = $1 WHERE id = $2", candidate.reserved, quant_id)
                self._reserved_before[quant_id] = candidate.reserved
        for demand in self.demands.values():
            if demand.gone:
                await sql.execute(conn, "DELETE FROM stock_allocation WHERE demand_id = $1", demand.id)
                await sql.execute(conn, "DELETE FROM stock_demand WHERE id = $1", demand.id)
            elif demand.changed:
                demand.waiting = demand.reserved < demand.wanted
                await sql.execute(
                    conn,
                    "UPDATE stock_demand SET wanted = $1, reserved = $2, waiting = $3, priority = $4, updated_at = $5,"
                    " promised_on = $6 WHERE id = $7",
                    demand.wanted, demand.reserved, demand.waiting, demand.priority, now(), demand.promised_on,
                    demand.id,
                )  # fmt: skip
            demand.changed = False


async def _lock_demands(
    conn: BaseDBAsyncClient, product_id: int, warehouse_id: int, ids: list[int]
) -> dict[int, DemandState]:
    # The ids come first: SQLite binds placeholders by position.
    named = f"id IN ({sql.placeholders(1, len(ids))}) OR " if ids else ""
    rows = await sql.fetch(
        conn,
        "SELECT id, product_id, warehouse_id, lot_id, priority, wanted, reserved, waiting, promised_on"
        " FROM stock_demand"
        f" WHERE {named}(product_id = ${len(ids) + 1} AND warehouse_id = ${len(ids) + 2} AND waiting)"
        " ORDER BY id FOR UPDATE",
        *ids,
        product_id,
        warehouse_id,
    )
    return {int(r["id"]): _demand(r) for r in rows}


def _demand(row: dict[str, Any]) -> DemandState:
    return DemandState(
        id=int(row["id"]), product_id=int(row["product_id"]), warehouse_id=int(row["warehouse_id"]),
        lot_id=int(row["lot_id"]), priority=int(row["priority"]), wanted=quantities.from_db(row["wanted"]),
        reserved=quantities.from_db(row["reserved"]), waiting=bool(row["waiting"]),
        promised_on=sql.as_date(row["promised_on"]),
    )  # fmt: skip


def _served_first(demand: DemandState) -> tuple[int, date, int]:
    return -demand.priority, demand.promised_on or date.max, demand.id


# ---- the posting hook ----


async def after_posting(
    conn: BaseDBAsyncClient, locked: dict[int, Locked], *, waiting: Mapping[int, bool] | None = None
) -> None:
    """Re-plan the reservations a posting touched, before its quants are written (``locked``: product id ->
    location id -> lot id -> quant, in memory, ``changed`` where the posting moved stock).

    ``waiting``: whether demands wait for a product, where the posting read it after locking its quants
    (``Books.waiting``). Costs one query when stock became free and it is not known whether anything waits
    for it, none when nothing became free and no reservation was hit.
    """
    changed = [
        (product_id, location_id, quant)
        for product_id, by_location in locked.items()
        for location_id, quants in by_location.items()
        for quant in quants.values()
        if quant.changed
    ]
    over = {(p, loc) for p, loc, q in changed if q.reserved > max(q.on_hand, ZERO)}
    roomy = {(p, loc) for p, loc, q in changed if q.on_hand > q.reserved}
    known = waiting or {}
    waits = {p for p, _ in roomy if known.get(p)}
    unknown = sorted({p for p, _ in roomy if p not in known})
    if unknown:
        rows = await sql.fetch(
            conn,
            "SELECT DISTINCT product_id FROM stock_demand"
            f" WHERE product_id IN ({sql.placeholders(1, len(unknown))}) AND waiting",
            *unknown,
        )
        waits |= {int(r["product_id"]) for r in rows}
    work = over | {(p, loc) for p, loc in roomy if p in waits}
    if not work:
        return
    location_ids = sorted({loc for _, loc in work})
    rows = await sql.fetch(
        conn,
        f"SELECT id, warehouse_id FROM location WHERE id IN ({sql.placeholders(1, len(location_ids))})",
        *location_ids,
    )
    warehouse_of = {int(r["id"]): r["warehouse_id"] for r in rows}
    pairs: dict[tuple[int, int], None] = {}
    for product_id, location_id in sorted(work):
        if warehouse_of.get(location_id) is not None:
            pairs[(product_id, int(warehouse_of[location_id]))] = None
    for product_id, warehouse_id in pairs:
        held = {q.id: q for quants in locked.get(product_id, {}).values() for q in quants.values()}
        # The posting's own quants are never skipped (they are its locks), those it created included.
        quant_ids = await lock_warehouse_quants(conn, product_id, warehouse_id, skip_locked=True)
        plan = await Plan.load(conn, product_id, warehouse_id, quant_ids, held=held)
        plan.cut_over_reserved()
        plan.serve_waiting()
        await plan.flush(conn)
        for quant_id, candidate in plan.quants.items():
            if quant_id in held:
                held[quant_id].reserved = candidate.reserved


async def move_off_ineligible(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int) -> None:
    """Move the product's reservations in the warehouse off stock that may no longer be reserved (a
    location made unsellable, a lot past its removal date) onto stock that may, in the strategy's
    order, and serve the waiting demands from free stock (a location made sellable); what finds none
    waits. Waits for the quants' locks: call it before locking any quant."""
    quant_ids = await lock_warehouse_quants(conn, product_id, warehouse_id)
    plan = await Plan.load(conn, product_id, warehouse_id, quant_ids, ineligible_too=True)
    plan.cut_ineligible()
    plan.serve_waiting()
    await plan.flush(conn)
