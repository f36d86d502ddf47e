"""Pick lists: what to take from which bin for the orders of one warehouse, claimed by one picker.

A pick list (``sales.pick``) serves one order's fulfillment group in a warehouse, or several orders at
once (a wave). Its lines are the reservations the orders hold, bin by bin and lot by lot: the bins and
lots the removal strategy chose when it reserved them, listed in bin code order (the route through the
warehouse). An order that ships complete is not picked until all of it is reserved; one that ships what
is available has what is reserved picked and the rest waits as a backorder.

A picker claims a list under its row lock: a second picker is refused (``CLAIMED``). Confirming the
picks books, in one transaction, each bin's stock to the warehouse's output location (still the
order's: it is not sellable there, and ``sales_allocation.staged`` keeps it out of what the order
reserves). A line picked short names a reason: what was not found is booked from the bin to inventory
loss (reason ``short_pick``), and the order reserves it again (elsewhere in the warehouse, or it waits).
"""

from __future__ import annotations

from collections import defaultdict
from copy import copy
from dataclasses import dataclass, replace
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.commands import Command, Write
from server.db import connection
from server.documents import service
from server.documents.kinds import IllegalTransition
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, ErrorCode, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.lookups import LotRef, places_by_ids, products_by_ids, virtual
from server.inventory.models import NO_LOT, LocationKind
from server.inventory.moves import Move
from server.inventory.periods import PeriodLocked, refuse_if_locked
from server.inventory.posting import Entry, Source
from server.inventory.reservations import consume
from server.paging import MAX_ID
from server.purchasing.orders import write_new_document
from server.sales.allocation import demand_key, want
from server.sales.fulfillment_kinds import PICK, PICK_ACTION
from server.sales.fulfillment_models import ONE_STEP, PickLine, PickList, StagedStock
from server.sales.fulfillment_settings import require_warehouse, steps_within
from server.sales.fulfillment_stock import (
    PlannedLine,
    book,
    held_stock,
    lock_allocations,
    lock_orders,
    refuse_incomplete,
    reserved_of,
    write_lines_document,
)
from server.sales.models import SalesAllocation, SalesOrder
from server.sales.orders import ZERO
from server.scanning import CLOCK_SKEW, ScanInfo, record_scan
from server.scanning.models import LOGGED_CODE_LENGTH
from server.text import Text, for_log

MAX_ORDERS_PER_WAVE = 50
REASON = Text("reason", 200)
SHORT_PICK = "short_pick"
PUT_BACK = "put_back"


class Claimed(DomainError):
    code = ErrorCode.CLAIMED


@dataclass(frozen=True)
class CreatePickList(Command):
    operation = "pick_list.create"
    warehouse: str
    orders: tuple[int, ...]


@dataclass(frozen=True)
class ClaimPickList(Command):
    operation = "pick_list.claim"
    document_id: int
    release: bool


@dataclass(frozen=True)
class PickedLine:
    """What the picker found for one line: ``quantity`` in base units (None: in full, as far as its order still
    holds it); less than the line needs a reason. ``scan``: the scan that picked it, when the line is booked."""

    position: int
    quantity: object
    reason: str | None = None
    scan: ScanInfo | None = None


Checked = tuple[int, Decimal | None, str | None]  # position, quantity (None: in full), reason


@dataclass(frozen=True)
class ConfirmPicks(Command):
    operation = "pick_list.pick"
    document_id: int
    version: int | None
    lines: tuple[Checked, ...]
    # The scans that picked lines, by the line's place in ``lines``: each line's moves are effective when it was
    # scanned. The code as the scan log keeps it (a retry is the same request however long its code).
    scans: tuple[tuple[int, ScanInfo], ...] = ()

    def request(self) -> dict[str, Any]:
        asked = super().request()
        if not self.scans:  # as a confirmation was remembered before picks carried their scans
            del asked["scans"]
        return asked


def _order_ids(orders: list[int]) -> tuple[int, ...]:
    if not orders:
        raise Invalid("Name the orders to pick: at least one.", field="orders")
    if len(orders) > MAX_ORDERS_PER_WAVE:
        raise Invalid(f"A wave picks at most {MAX_ORDERS_PER_WAVE} orders.", field="orders")
    for index, order_id in enumerate(orders):
        if not isinstance(order_id, int) or isinstance(order_id, bool) or not 0 < order_id <= MAX_ID:
            raise NotFound("There is no such sales order.", field=("orders", index))
    if len(set(orders)) != len(orders):
        raise Invalid("Name each order once.", field="orders")
    return tuple(orders)


async def create_pick_list(
    warehouse_code: str, orders: list[int], *, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """A pick list of what the orders hold reserved in the warehouse (several orders: a wave), in bin order."""
    order_ids = _order_ids(orders)
    warehouse = await require_warehouse(connection(), warehouse_code)
    command = CreatePickList(warehouse.code, order_ids)

    async def run(write: Write) -> Document:
        conn = write.conn
        if (await steps_within(conn, warehouse.id)).steps == ONE_STEP:
            raise Invalid(f"The warehouse {warehouse.code} ships in one step, straight from the bins: make a shipment"
                          " (or set it to two or three steps).", field="warehouse")  # fmt: skip
        documents = await lock_orders(conn, order_ids, [("orders", i) for i in range(len(order_ids))])
        planned: list[PlannedLine] = []
        for index, order_id in enumerate(order_ids):
            planned += await _plan(conn, documents[order_id], warehouse.id, ("orders", index), warehouse.code)
        planned.sort(key=lambda p: (p.location_code, p.sku, p.order.id, p.lot_code or ""))
        first = documents[min(order_ids)]
        document, line_ids = await write_lines_document(write, PICK, first.store_id, planned)  # type: ignore[attr-defined]
        await PickList.create(id=document.id, warehouse_id=warehouse.id, wave=len(order_ids) > 1, using_db=conn)
        await PickLine.bulk_create([
            PickLine(id=line_id, pick_list_id=document.id, order_id=p.order.id, allocation_id=p.allocation.id,
                     location_id=p.location_id, lot_id=p.lot_id, quantity=p.quantity)
            for line_id, p in zip(line_ids, planned, strict=True)
        ], using_db=conn)  # fmt: skip
        return document

    return await write_new_document(command, run, actor_id, idempotency_key)


async def _plan(conn: BaseDBAsyncClient, document: Document, warehouse_id: int, field: tuple[str, int],
                warehouse_code: str) -> list[PlannedLine]:  # fmt: skip
    """The order's reserved stock in the warehouse not on an open pick list yet, bin by bin."""
    order = await SalesOrder.get(id=document.id, using_db=conn)
    allocations = await SalesAllocation.filter(order_id=document.id, warehouse_id=warehouse_id).using_db(conn)\
        .order_by("id").select_related("product")  # fmt: skip
    if not allocations:
        raise Invalid(f"The order {document.number} ships nothing from {warehouse_code}.", field=field)
    await refuse_incomplete(conn, document, order, field)
    held = await held_stock(conn, [document.id])
    listed = await listed_open(conn, [a.id for a in allocations])
    planned = []
    for allocation in allocations:
        for part in held.get(allocation.id, []):
            left = part.quantity - listed.pop((allocation.id, part.location_id, part.lot_id), ZERO)
            if left > 0:
                planned.append(PlannedLine(allocation, document, allocation.product.sku, part.location_id,
                                           part.location_code, part.lot_id, part.lot_code, left))  # fmt: skip
    if not planned:
        raise Invalid(f"The order {document.number} has nothing reserved in {warehouse_code} that is not on a pick"
                      " list already: it waits for stock.", field=field)  # fmt: skip
    return planned


async def listed_open(conn: BaseDBAsyncClient, allocation_ids: list[int]) -> dict[tuple[int, int, int], Decimal]:
    """What open (draft) pick lists already list of these allocations, by (allocation, bin, lot)."""
    if not allocation_ids:
        return {}
    found: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for chunk in sql.chunks(sorted(allocation_ids)):
        rows = await sql.fetch(
            conn,
            "SELECT p.allocation_id, p.location_id, p.lot_id, p.quantity FROM sales_pick_line p"
            " JOIN document d ON d.id = p.pick_list_id"
            f" WHERE d.state = 'draft' AND p.allocation_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )
        for r in rows:
            found[(int(r["allocation_id"]), int(r["location_id"]), int(r["lot_id"]))] += quantities.from_db(
                r["quantity"])  # fmt: skip
    return found


# ---- claims ----


async def claim_pick_list(document_id: int, *, release: bool = False, actor_id: int | None,
                          idempotency_key: str | None = None) -> Document:  # fmt: skip
    """Claim an open pick list for the signed-in picker (``release``: give one's claim up). Claimed by
    someone else: CLAIMED. Claiming one's own list again changes nothing."""

    async def run(write: Write, document: Document) -> Document:
        pick = await _pick_list(write.conn, document)
        if document.state != "draft":
            raise IllegalTransition(f"A {document.state} pick list is not claimed.", field="id")
        if write.actor_id is None:
            raise Invalid("Sign in to claim a pick list.", field="id")
        await refuse_others_claim(write.conn, pick, write.actor_id)
        pick.claimed_by_id = None if release else write.actor_id  # type: ignore[attr-defined]
        pick.claimed_at = None if release else now()
        await pick.save(using_db=write.conn, update_fields=["claimed_by_id", "claimed_at"])
        return document

    return await service.write_document(ClaimPickList(document_id, release), document_id, None, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def _pick_list(conn: BaseDBAsyncClient, document: Document) -> PickList:
    if document.type != PICK:
        raise Invalid("This document is not a pick list.", field="id")
    return await PickList.get(id=document.id, using_db=conn)


async def refuse_others_claim(conn: BaseDBAsyncClient, pick: PickList, actor_id: int) -> None:
    if pick.claimed_by_id is not None and pick.claimed_by_id != actor_id:  # type: ignore[attr-defined]
        await pick.fetch_related("claimed_by", using_db=conn)
        raise Claimed(f"{pick.claimed_by.username} claimed this pick list at {pick.claimed_at:%Y-%m-%d %H:%M} UTC:"  # type: ignore[union-attr]
                      " pick another.", field="id")  # fmt: skip


# ---- picking ----


def _checked_picks(given: list[PickedLine]) -> tuple[tuple[Checked, ...], tuple[tuple[int, ScanInfo], ...]]:
    if len(given) > 2000:
        raise Invalid("A pick list has at most 2000 lines.", field="lines")
    problems: list[DomainError] = []
    checked: list[Checked] = []
    scans: list[tuple[int, ScanInfo]] = []
    for index, line in enumerate(given):
        at = ("lines", index)
        try:
            if not isinstance(line.position, int) or isinstance(line.position, bool) or not 0 < line.position <= 2000:
                raise NotFound("The pick list has no such line.", field=(*at, "position"))
            quantity = None
            if line.quantity is not None:
                quantity = quantities.parse(line.quantity, field=(*at, "quantity"), allow_zero=True)
            reason = REASON.optional(line.reason, (*at, "reason")) if line.reason is not None else None
            if quantity is None and reason is not None:
                raise Invalid("A reason says why a line is short: give the quantity found too.", field=(*at, "reason"))
            checked.append((line.position, quantity, reason))
            if line.scan is not None:
                scans.append((index, replace(line.scan, code=for_log(line.scan.code, LOGGED_CODE_LENGTH))))
        except DomainError as error:
            problems.append(error)
    if len({p for p, _, _ in checked}) != len(checked):
        problems.append(Invalid("Name each line once.", field="lines"))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked), tuple(scans)


async def confirm_picks(
    document_id: int, lines: list[PickedLine], *, version: int | None, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:  # fmt: skip
    """Book what was picked: each line as picked in full unless named in ``lines`` with what was found (less
    needs a reason). The list is claimed for the picker if nobody had claimed it; claimed by another: CLAIMED.
    A line named with its scan is booked when it was scanned (a list finished offline and sent later too), and
    the scan is kept in the scan log with the line's first move."""
    checked, scans = _checked_picks(lines)
    command = ConfirmPicks(document_id, version, checked, scans)

    async def run(write: Write, document: Document) -> Document:
        pick = await _pick_list(write.conn, document)
        if write.actor_id is not None and document.state == "draft":
            await refuse_others_claim(write.conn, pick, write.actor_id)
            if pick.claimed_by_id is None:  # type: ignore[attr-defined]
                pick.claimed_by_id, pick.claimed_at = write.actor_id, now()  # type: ignore[attr-defined]
                await pick.save(using_db=write.conn, update_fields=["claimed_by_id", "claimed_at"])

        async def effect(write: Write, document: Document, rows: list[DocumentLine]) -> None:
            await _pick(write, document, pick, rows, checked, dict(scans))

        return await service.transition(write, document, PICK_ACTION, effect)

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip


async def _pick(write: Write, document: Document, pick: PickList, rows: list[DocumentLine],
                given: tuple[Checked, ...], scans: dict[int, ScanInfo]) -> None:  # fmt: skip
    conn = write.conn
    by_position = {row.position: row for row in rows}
    lines = {line.id: line for line in await PickLine.filter(pick_list_id=document.id).using_db(conn)}
    found: dict[int, tuple[Decimal | None, str | None, int]] = {}  # pick line id -> (picked, reason, input index)
    problems: list[DomainError] = []
    for index, (position, quantity, reason) in enumerate(given):
        row = by_position.get(position)
        if row is None:
            problems.append(NotFound(f"The pick list has no line {position}.", field=("lines", index, "position")))
            continue
        line = lines[row.id]
        if quantity is not None and quantity > quantities.from_db(line.quantity):
            problems.append(Invalid(f"Line {position} asks for {quantities.from_db(line.quantity).normalize():f}:"
                                    " more cannot be picked for it.", field=("lines", index, "quantity")))  # fmt: skip
            continue
        found[line.id] = (quantity, reason, index)
    if problems:
        raise ManyErrors(problems)
    await _refuse_impossible_scan_times(conn, document, pick, scans)
    steps = await steps_within(conn, pick.warehouse_id)  # type: ignore[attr-defined]
    if steps.output_location_id is None:
        raise Invalid("The warehouse has no output location: set it to two or three steps.", field="id")
    order_ids = sorted({line.order_id for line in lines.values()})  # type: ignore[attr-defined]
    # An order cancelled or completed since the list was made holds nothing now: its lines pick nothing, the
    # other orders' lines are booked.
    documents = await lock_orders(conn, order_ids, ["id"] * len(order_ids), confirmed_only=False)
    allocations = await lock_allocations(conn, [line.allocation_id for line in lines.values()])  # type: ignore[attr-defined]
    reserved = await reserved_of(conn, list(documents))
    products = await products_by_ids(conn, {a.product_id for a in allocations.values()})  # type: ignore[attr-defined]
    output = (await places_by_ids(conn, {steps.output_location_id}))[steps.output_location_id]
    loss = await virtual(conn, LocationKind.INVENTORY_LOSS)
    entries: list[Entry] = []
    booked_for: list[int] = []  # the pick line of each entry
    entry_at: list[int] = []  # and the index of the input line that named it (0: none did)
    staged: list[StagedStock] = []
    short_of: set[int] = set()
    ordered = sorted(lines.values(), key=lambda ln: (allocations[ln.allocation_id].product_id, ln.allocation_id, ln.id))  # type: ignore[attr-defined]
    for line in ordered:
        allocation = allocations[line.allocation_id]  # type: ignore[attr-defined]
        wanted = quantities.from_db(line.quantity)
        holds = reserved.get(allocation.id, ZERO)
        # A line not named is picked in full, or as far as its order still holds it (an order cancelled since).
        asked, reason, index = found.get(line.id, (None, None, -1))
        picked = min(wanted, holds) if asked is None else asked
        at = ("lines", max(index, 0))
        scan = scans.get(index)
        scanned_at = scan.scanned_at if scan is not None else None
        if picked > holds:
            order = documents[line.order_id]  # type: ignore[attr-defined]
            raise Invalid(f"The order {order.number} holds only {holds.normalize():f} of"
                          f" {products[allocation.product_id].sku} now: pick at most that.",  # type: ignore[attr-defined]
                          field=(*at, "quantity"))  # fmt: skip
        short = min(wanted - picked, holds - picked)  # what was reserved here and not found
        if short > 0 and reason is None:
            raise Invalid(f"Line {by_position_of(rows, line.id)} is picked short: say why.", field=(*at, "reason"))
        if picked + short > 0:
            bin_id, lot_id = line.location_id, line.lot_id  # type: ignore[attr-defined]
            picks = await consume(conn, demand_key(allocation), picked + short, at=bin_id, lot=lot_id)
            reserved[allocation.id] = holds - picked - short
            product = products[allocation.product_id]  # type: ignore[attr-defined]
            origin = Source(PICK, document.id, line.id)
            to_output = picked
            for portion in picks:
                moved = min(portion.quantity, to_output)
                lost = portion.quantity - moved
                to_output -= moved
                if moved > 0:
                    entries.append(Entry(product, portion.place, output, moved, portion.lot, "move", "pick", origin,
                                         effective_at=scanned_at))  # fmt: skip
                    booked_for.append(line.id)
                    entry_at.append(at[1])
                    staged.append(StagedStock(allocation_id=allocation.id, pick_line_id=line.id,
                                              bin_id=portion.place.id, lot_id=portion.lot.id if portion.lot else NO_LOT,
                                              quantity=moved))  # fmt: skip
                if lost > 0:
                    entries.append(Entry(product, portion.place, loss, lost, portion.lot, "issue", SHORT_PICK, origin,
                                         effective_at=scanned_at))  # fmt: skip
                    booked_for.append(line.id)
                    entry_at.append(at[1])
        if short > 0:
            short_of.add(allocation.id)
        allocation.staged = quantities.from_db(allocation.staged) + picked
        line.picked, line.short, line.reason = picked, max(short, ZERO), reason  # type: ignore[assignment]
        await line.save(using_db=conn, update_fields=["picked", "short", "reason"])
    try:
        booked = await book(write, entries)
    except ManyErrors as many:  # placed on the entries: told at the input lines that named them
        raise ManyErrors([_on_input(error, entry_at) for error in many.errors]) from None
    await _log_scans(write, given, scans, by_position, booked_for, booked)
    if staged:
        await StagedStock.bulk_create(staged, using_db=conn)
    for allocation in allocations.values():
        await allocation.save(using_db=conn, update_fields=["staged"])
    for allocation_id in sorted(short_of):  # what was not found is reserved again, or waits
        allocation = allocations[allocation_id]
        header = await SalesOrder.get(id=allocation.order_id, using_db=conn)  # type: ignore[attr-defined]
        await want(conn, allocation, header)


def _on_input(error: DomainError, entry_at: list[int]) -> DomainError:
    """A posting's error at ``("lines", entry, ...)``, at the input line that named the entry (a line's scan dated
    before its stock came: INSUFFICIENT_STOCK at its quantity)."""
    where = error.field
    if isinstance(where, tuple) and len(where) == 3 and where[0] == "lines":
        return error.at(("lines", entry_at[int(where[1])], where[2]))
    return error


async def _refuse_impossible_scan_times(conn: BaseDBAsyncClient, document: Document, pick: PickList,
                                       scans: dict[int, ScanInfo]) -> None:  # fmt: skip
    """At each line whose scan cannot be when it was picked: PERIOD_LOCKED in a closed period of the company or
    the list's warehouse; INVALID before the list was made, beyond a device clock's skew (a wrong clock: its moves
    would be dated before the stock they take was there, and the ledger's history would go below zero)."""
    problems: list[DomainError] = []
    earliest = document.created_at - CLOCK_SKEW
    locked_on: dict[date, PeriodLocked | None] = {}  # the lock rows read once a day, not once a line
    for index, scan in sorted(scans.items()):
        if scan.scanned_at is None:
            continue
        at = ("lines", index, "scan", "scannedAt")
        day = scan.scanned_at.astimezone(UTC).date()
        if day not in locked_on:
            try:
                await refuse_if_locked(conn, scan.scanned_at, {pick.warehouse_id})  # type: ignore[attr-defined]
                locked_on[day] = None
            except PeriodLocked as error:
                locked_on[day] = error
        if (locked := locked_on[day]) is not None:
            problems.append(copy(locked).at(at))  # ``at`` places the error itself: one per line
            continue
        if scan.scanned_at < earliest:
            problems.append(Invalid(f"The scan's time is before the pick list {document.number} was made: check the"
                                    " device's clock.", field=at))  # fmt: skip
    if problems:
        raise ManyErrors(problems)


async def _log_scans(write: Write, given: tuple[Checked, ...], scans: dict[int, ScanInfo],
                     by_position: dict[int, DocumentLine], booked_for: list[int],
                     booked: list[list[Move]]) -> None:  # fmt: skip
    """Each line's scan in the scan log, with the first move booked for that line (none: it booked nothing)."""
    first: dict[int, int] = {}
    for line_id, moves in zip(booked_for, booked, strict=True):
        if moves and line_id not in first:
            first[line_id] = moves[0].id
    for index, scan in sorted(scans.items()):
        line_id = by_position[given[index][0]].id
        await record_scan(write.conn, scan, user_id=write.actor_id, move_id=first.get(line_id),
                          deferred=write.deferred)  # fmt: skip


def by_position_of(rows: list[DocumentLine], line_id: int) -> int:
    return next(row.position for row in rows if row.id == line_id)


async def put_back_within(write: Write, allocation: SalesAllocation, quantity: Decimal) -> None:
    """``quantity`` of what was picked for the allocation goes back from the output location to the bins it
    came from (an order cancelled or cut after picking); the caller then reserves what the order still wants."""
    if quantity <= 0:
        return
    conn = write.conn
    steps = await steps_within(conn, allocation.warehouse_id)  # type: ignore[attr-defined]
    rows = await StagedStock.filter(allocation_id=allocation.id, quantity__gt=0).using_db(conn).order_by("-id")\
        .select_for_update()  # fmt: skip
    if steps.output_location_id is None or not rows:
        return
    places = await places_by_ids(conn, {steps.output_location_id, *(row.bin_id for row in rows)})  # type: ignore[attr-defined]
    product = (await products_by_ids(conn, {allocation.product_id}))[allocation.product_id]  # type: ignore[attr-defined]
    lots = await lots_by_ids(conn, [row.lot_id for row in rows])
    lists: dict[int, int] = dict(await PickLine.filter(id__in=[row.pick_line_id for row in rows]).using_db(conn)  # type: ignore[attr-defined]
                 .values_list("id", "pick_list_id"))  # fmt: skip
    entries = []
    left = quantity
    for row in rows:
        if left <= 0:
            break
        back = min(quantities.from_db(row.quantity), left)
        left -= back
        row.quantity = quantities.from_db(row.quantity) - back
        await row.save(using_db=conn, update_fields=["quantity"])
        entries.append(Entry(product, places[steps.output_location_id], places[row.bin_id], back,  # type: ignore[attr-defined]
                             lots.get(row.lot_id), "move", PUT_BACK,
                             Source(PICK, lists[row.pick_line_id], row.pick_line_id)))  # type: ignore[attr-defined]  # fmt: skip
    await book(write, entries)
    allocation.staged = quantities.from_db(allocation.staged) - (quantity - left)
    await allocation.save(using_db=conn, update_fields=["staged"])


async def lots_by_ids(conn: BaseDBAsyncClient, lot_ids: list[int]) -> dict[int, LotRef]:
    from server.inventory.models import Lot

    wanted = sorted({lot_id for lot_id in lot_ids if lot_id != NO_LOT})
    if not wanted:
        return {}
    rows = await Lot.filter(id__in=wanted).using_db(conn)
    return {row.id: LotRef(row.id, row.code, row.expires_on, row.removal_on or row.expires_on) for row in rows}
