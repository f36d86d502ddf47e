"""The replenishment run: per warehouse, one draft ``stock.transfer`` (reason ``replenishment``) that refills
its pick bins from reserve, kept up to date by every run.

One proposal per warehouse, not per source zone: a run's refills are one task list for the warehouse's
replenishment, its lines in source-bin order (bin labels run in walking order), and one draft per warehouse
is what makes a rerun simple to keep idempotent. A rerun, under a lock on the warehouse (an advisory lock on
PostgreSQL; SQLite runs one writer at a time), recomputes the refills and:

- rewrites its own draft (the one it wrote last, at the version it left it) when they changed, and leaves
  it alone when they did not, so an unchanged rerun writes nothing;
- cancels its draft when nothing needs refilling any more;
- never touches a proposal a person has edited, confirmed or cancelled since: that one is theirs, it counts
  as on the way (``stock``), and the next refill needed goes into a new draft.

The whole run of a warehouse is one transaction: a crash leaves the last run's draft as it was, and the
rerun starts from there, so nothing is ever proposed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import today
from server.commands import Audited, Command, Effect, Write, execute
from server.documents import service as documents
from server.documents.kinds import DRAFT
from server.documents.lines import MAX_LINES, LineInput
from server.documents.transfers import REPLENISHMENT, TRANSFER
from server.inventory import quantities
from server.inventory.replenishment import plan as planning
from server.inventory.replenishment import stock
from server.inventory.warehouse_jobs import each_warehouse, request_run
from server.jobs.queue import REPLENISH, JobQueue

log = logging.getLogger(__name__)
MAX_SHORTFALLS_NOTED = 50  # in the draft's notes; the run's answer has them all


@dataclass(frozen=True)
class Shortfall:
    """What the reserve could not give a pick bin that needed it."""

    location_code: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class WarehouseRun:
    warehouse_code: str
    document_id: int | None  # the draft proposal after the run; None: nothing to refill (or no store to hold it)
    lines: int
    changed: bool  # whether the run wrote anything
    shortfalls: list[Shortfall] = field(default_factory=list)
    left_out: int = 0  # refills beyond what one document holds: proposed once this draft is dealt with
    no_store: bool = False  # no store holds the warehouse: a transfer belongs to a store
    error: str | None = None  # why the run of this warehouse failed (a rule's bin no longer holds stock, say)


@dataclass(frozen=True)
class Replenish(Command):
    operation = "stock.replenish"
    warehouse: str


@dataclass(frozen=True)
class _Line:
    """A line of a proposal, as compared with what the draft holds."""

    sku: str
    product_id: int
    source_id: int
    source_code: str
    target_id: int
    target_code: str
    lot_code: str | None
    quantity: Decimal

    def same_as(self) -> tuple[int, int, int, str | None, Decimal]:
        return (self.product_id, self.source_id, self.target_id, self.lot_code, self.quantity)


async def request_replenishment(
    queue: JobQueue, idempotency_key: str, warehouse_code: str | None, *, actor_id: int | None
) -> tuple[str, bool]:
    """Ask for a run now, of one warehouse or of all (``warehouse_jobs.request_run``)."""
    return await request_run(queue, REPLENISH, idempotency_key, warehouse_code, actor_id=actor_id)


async def replenish(warehouse_code: str | None = None) -> list[WarehouseRun]:
    """Propose the refills of one warehouse's pick bins, or of every warehouse with rules or a proposal."""
    return await each_warehouse(
        warehouse_code,
        "SELECT id, code FROM warehouse WHERE id IN (SELECT warehouse_id FROM replenishment_rule)"
        " OR id IN (SELECT warehouse_id FROM replenishment_proposal WHERE document_id IS NOT NULL) ORDER BY code",
        replenish_warehouse, lambda code, why: WarehouseRun(code, None, 0, changed=False, error=why), "replenishment",
    )  # fmt: skip


async def replenish_warehouse(warehouse_id: int, warehouse_code: str) -> WarehouseRun:
    """One warehouse's run, in one transaction under the warehouse's replenishment lock."""

    async def run(write: Write) -> WarehouseRun:
        conn = write.conn
        await sql.lock_name(conn, f"replenishment:{warehouse_id}")
        own = await _own_draft(conn, warehouse_id)
        own_id = own[0] if own else None
        faces = await stock.pick_faces(conn, warehouse_id, own_id)
        reserve = await stock.reserve(conn, warehouse_id)
        outgoing = await stock.outgoing(conn, warehouse_id, own_id)
        refills = planning.plan(faces, reserve, outgoing, today())
        lines = _lines(refills)
        kept, left_out = lines[:MAX_LINES], max(len(lines) - MAX_LINES, 0)
        shortfalls = [Shortfall(r.face.location_code, r.face.sku, r.short) for r in refills if r.short > 0]

        def answer(document_id: int | None, changed: bool, *, no_store: bool = False) -> WarehouseRun:
            count = len(kept) if document_id is not None else 0
            return WarehouseRun(warehouse_code, document_id, count, changed, shortfalls, left_out, no_store)

        if not kept:
            if own is not None:  # nothing to refill any more: its draft goes
                await documents.act_within(write, own[0], "cancel", version=own[1])
                await _remember(conn, warehouse_id, None, 0)
            return answer(None, changed=own is not None)
        notes = _notes(shortfalls, left_out)
        if own is not None:
            if await _holds(conn, own[0], kept, notes):
                return answer(own[0], changed=False)
            document = await documents.rewrite_within(write, own[0], own[1], _inputs(kept), notes=notes)
        else:
            store_id = await _store_of(conn, warehouse_id)
            if store_id is None:
                return answer(None, changed=False, no_store=True)
            document = await documents.create_within(write, TRANSFER, store_id, _inputs(kept), reason=REPLENISHMENT,
                                                     notes=notes)  # fmt: skip
        await _remember(conn, warehouse_id, document.id, document.version)
        return answer(document.id, changed=True)

    def audited(result: WarehouseRun) -> Audited | None:
        if not result.changed:
            return None
        return Audited("replenishment", warehouse_code, {"document_id": result.document_id, "lines": result.lines})

    return (await execute(Replenish(warehouse_code), Effect(run, audited), actor_id=None)).result


async def _own_draft(conn: BaseDBAsyncClient, warehouse_id: int) -> tuple[int, int] | None:
    """The draft the last run left (its id and version), locked; None when there is none, or a person has
    changed it since (then it is theirs)."""
    row = await sql.fetch_one(
        conn, "SELECT document_id, version FROM replenishment_proposal WHERE warehouse_id = $1", warehouse_id
    )
    if row is None or row["document_id"] is None:
        return None
    document = await sql.fetch_one(
        conn, "SELECT state, version FROM document WHERE id = $1 FOR UPDATE", row["document_id"]
    )  # fmt: skip
    if document is None or document["state"] != DRAFT or int(document["version"]) != int(row["version"]):
        return None
    return int(row["document_id"]), int(row["version"])


async def _remember(conn: BaseDBAsyncClient, warehouse_id: int, document_id: int | None, version: int) -> None:
    await sql.execute(
        conn,
        "INSERT INTO replenishment_proposal (warehouse_id, document_id, version, updated_at)"
        " VALUES ($1, $2, $3, CURRENT_TIMESTAMP) ON CONFLICT (warehouse_id) DO UPDATE SET"
        " document_id = EXCLUDED.document_id, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
        warehouse_id, document_id, version,
    )  # fmt: skip


async def _store_of(conn: BaseDBAsyncClient, warehouse_id: int) -> int | None:
    """The store a warehouse's proposals belong to: the first that holds it."""
    row = await sql.fetch_one(
        conn, "SELECT MIN(store_id) AS store_id FROM store_warehouse WHERE warehouse_id = $1", warehouse_id
    )
    return int(row["store_id"]) if row and row["store_id"] is not None else None


def _lines(refills: list[planning.Refill]) -> list[_Line]:
    """One line per source bin and lot of each refill, in the order a person walks: by source bin."""
    lines = [
        _Line(r.face.sku, r.face.product_id, p.source_id, p.source_code, r.face.location_id, r.face.location_code,
              p.lot_code, p.quantity)
        for r in refills
        for p in r.portions
    ]  # fmt: skip
    return sorted(lines, key=lambda line: (line.source_code, line.target_code, line.sku, line.lot_code or ""))


def _inputs(lines: list[_Line]) -> list[LineInput]:
    return [LineInput(sku=line.sku, quantity=line.quantity, location=line.source_code, to_location=line.target_code,
                      lot=line.lot_code) for line in lines]  # fmt: skip


async def _holds(conn: BaseDBAsyncClient, document_id: int, lines: list[_Line], notes: str) -> bool:
    """Whether the draft already says exactly this: then a rerun writes nothing."""
    rows = await sql.fetch(
        conn,
        "SELECT product_id, location_id, to_location_id, lot_code, base_quantity FROM document_line"
        " WHERE document_id = $1 ORDER BY position",
        document_id,
    )
    held = [(int(r["product_id"]), int(r["location_id"]), int(r["to_location_id"]), r["lot_code"],
             quantities.from_db(r["base_quantity"])) for r in rows]  # fmt: skip
    document = await sql.fetch_one(conn, "SELECT notes FROM document WHERE id = $1", document_id)
    return held == [line.same_as() for line in lines] and document is not None and document["notes"] == notes


def _notes(shortfalls: list[Shortfall], left_out: int) -> str:
    """What the draft cannot do, for whoever deals with it."""
    said = ["Proposed by the replenishment run: pick bins at or below their minimum, refilled to their maximum."]
    if shortfalls:
        said.append("Reserve is short of:")
        said += [
            f"- {s.sku} for {s.location_code}: {s.quantity.normalize():f}" for s in shortfalls[:MAX_SHORTFALLS_NOTED]
        ]
        if len(shortfalls) > MAX_SHORTFALLS_NOTED:
            said.append(f"- and {len(shortfalls) - MAX_SHORTFALLS_NOTED} more.")
    if left_out:
        said.append(f"{left_out} more refills did not fit: they are proposed once this transfer is dealt with.")
    return "\n".join(said)


def summary(runs: list[WarehouseRun]) -> dict[str, Any]:
    """A run's outcome as a job records it (JSON)."""
    return {
        "warehouses": [
            {"warehouse": r.warehouse_code, "document_id": r.document_id, "lines": r.lines, "changed": r.changed,
             "left_out": r.left_out, "no_store": r.no_store, "error": r.error,
             "short": [{"location": s.location_code, "sku": s.sku, "quantity": f"{s.quantity:f}"}
                       for s in r.shortfalls[:MAX_SHORTFALLS_NOTED]]}
            for r in runs
        ]
    }  # fmt: skip
