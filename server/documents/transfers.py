"""Transfers: stock from bin to bin, within a warehouse or between warehouses through the transit location.

One document type on the kernel, ``stock.transfer``. Each line names a product, a quantity, a lot (or
none: the removal rule picks), the bin the stock leaves (``location``) and the bin it goes to
(``to_location``).

- Within one warehouse: draft → confirmed → done; posting moves every line in one move set.
- Between warehouses: ``ship`` takes every line from its bin to the transit location in one posting
  (confirmed → in_transit); ``receive`` books what arrived, per line, in parts and as often as it
  comes (transit → the line's bin, never more than is still on the way); ``close`` sends what never
  arrived to inventory loss with a reason (→ done). The receipt that brings the last unit closes it.

What a line shipped, received and lost is read from its moves under the lock of the document, so two
receipts at once, or a retried one, never take the same units twice. A move out of transit takes the
lots its line shipped, at the unit cost of their ship move: the stock is worth the same at every step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.commands import Command, Write
from server.db import connection
from server.documents import service
from server.documents.kinds import CONFIRMED, DONE, DocumentKind, Transition, register, simple_flow
from server.documents.lines import MAX_LINES
from server.documents.models import Document, DocumentLine
from server.documents.stock import moved_at, products_for_posting
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.lookups import LotRef, Place, Product, existing_lot, places_by_ids, virtual
from server.inventory.models import NO_LOT, LocationKind
from server.inventory.posting import Entry, Source, Trail, post_all
from server.numbers import AMOUNT
from server.text import Text

TRANSFER = "stock.transfer"
IN_TRANSIT = "in_transit"
SHIP, RECEIVE, CLOSE = "ship", "receive", "close"
TRANSFER_REASON, REPLENISHMENT = "transfer", "replenishment"
LOSS_REASON = Text("reason", 200)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Leg:
    """A transfer's line as a posting needs it: what moves, from which bin, to which bin."""

    line: DocumentLine
    product: Product
    source: Place
    target: Place

    @property
    def crosses(self) -> bool:
        return self.source.warehouse_id != self.target.warehouse_id

    def origin(self, document: Document) -> Source:
        return Source(TRANSFER, document.id, self.line.id)


@dataclass
class Progress:
    """Where a line's units are, per lot (0: none), the lots in the order its ship moves took them."""

    shipped: dict[int, Decimal] = field(default_factory=dict)
    received: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    lost: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    unit_cost: dict[int, Decimal | None] = field(default_factory=dict)  # of each lot's ship move

    def on_the_way(self) -> dict[int, Decimal]:
        return {lot: qty - self.received[lot] - self.lost[lot] for lot, qty in self.shipped.items()}

    def still_on_the_way(self) -> Decimal:
        return sum(self.on_the_way().values(), ZERO)


@dataclass(frozen=True)
class Arrival:
    """What a receipt says arrived for one line: its position and a quantity in the product's base unit."""

    position: int
    quantity: Decimal


@dataclass(frozen=True)
class ShipTransfer(Command):
    operation = "transfer.ship"
    document_id: int
    version: int | None


@dataclass(frozen=True)
class ReceiveTransfer(Command):
    operation = "transfer.receive"
    document_id: int
    version: int | None
    arrivals: tuple[Arrival, ...]


@dataclass(frozen=True)
class CloseTransfer(Command):
    operation = "transfer.close"
    document_id: int
    version: int | None
    reason: str | None


# Writes


async def ship(
    document_id: int, *, version: int | None, actor_id: int | None, idempotency_key: str | None = None
) -> Document:
    """Send a confirmed transfer between warehouses on its way: every line from its bin into transit."""

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        return await service.transition(write, document, SHIP, _ship)

    return await service.write_document(ShipTransfer(document_id, version), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def receive(
    document_id: int,
    arrivals: Sequence[tuple[object, object]],
    *,
    version: int | None,
    actor_id: int | None,
    idempotency_key: str,
) -> Document:
    """Book what arrived of a transfer in transit: ``(position, quantity)`` per line, at most what is still
    on the way. The receipt that brings the last unit closes the transfer."""
    checked = _arrivals(arrivals)
    complete = False

    async def book(write: Write, document: Document, lines: list[DocumentLine]) -> None:
        nonlocal complete
        complete = await _receive(write, document, lines, checked)

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        document = await service.transition(write, document, RECEIVE, book)
        if complete:  # nothing is left on the way: nothing to lose, and no reason needed
            document = await service.transition(write, document, CLOSE, _nothing)
        return document

    return await service.write_document(ReceiveTransfer(document_id, version, checked), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


async def close(
    document_id: int,
    reason: str | None,
    *,
    version: int | None,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:
    """Close a transfer in transit: what never arrived goes to inventory loss, for ``reason``."""
    why = LOSS_REASON.optional(reason, "reason") if reason is not None else None

    async def book(write: Write, document: Document, lines: list[DocumentLine]) -> None:
        await _lose(write, document, lines, why)

    async def run(write: Write, document: Document) -> Document:
        _refuse_other_types(document)
        return await service.transition(write, document, CLOSE, book)

    return await service.write_document(CloseTransfer(document_id, version, why), document_id, version, run,
                                        actor_id=actor_id, idempotency_key=idempotency_key)  # fmt: skip


def _refuse_other_types(document: Document) -> None:
    if document.type != TRANSFER:
        raise Invalid("This document is not a transfer.", field="id")


def _arrivals(given: Sequence[tuple[object, object]]) -> tuple[Arrival, ...]:
    """The receipt's lines checked before the database sees them; every problem at once."""
    if not given:
        raise Invalid("Say what arrived: give at least one line.", field="lines")
    if len(given) > MAX_LINES:
        raise Invalid(f"A transfer has at most {MAX_LINES} lines.", field="lines")
    checked: list[Arrival] = []
    problems: list[DomainError] = []
    seen: set[int] = set()
    for index, (position, quantity) in enumerate(given):
        try:
            qty = quantities.parse(quantity, field=("lines", index, "quantity"))
        except DomainError as error:
            problems.append(error)
            continue
        if not isinstance(position, int) or not 1 <= position <= MAX_LINES:
            problems.append(
                NotFound(f"The transfer has no line {str(position)[:20]}.", field=("lines", index, "position"))
            )
        elif position in seen:
            problems.append(Invalid(f"Line {position} is named twice: give its whole quantity once.",
                                    field=("lines", index, "position")))  # fmt: skip
        else:
            seen.add(position)
            checked.append(Arrival(position, qty))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked)


# What each action books, inside its transition


async def _post(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    """A transfer within one warehouse: every line from its bin to its bin, in one move set."""
    legs = await _legs(write.conn, lines)
    _refuse_lines(legs, lambda leg: leg.crosses,
                  "This line goes to another warehouse: ship the transfer (it travels through transit).")  # fmt: skip
    lots = await _lots(write.conn, legs)
    entries = [Entry(leg.product, leg.source, leg.target, leg.line.base_quantity, lot, "move", "transfer",
                     leg.origin(document)) for leg, lot in zip(legs, lots, strict=True)]  # fmt: skip
    await _book(write, entries, moved_at(document))


async def _ship(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    legs = await _legs(write.conn, lines)
    _refuse_lines(legs, lambda leg: not leg.crosses,
                  "This line stays in its warehouse: post the transfer instead of shipping it.")  # fmt: skip
    lots = await _lots(write.conn, legs)
    transit = await virtual(write.conn, LocationKind.TRANSIT)
    entries = [Entry(leg.product, leg.source, transit, leg.line.base_quantity, lot, "move", SHIP,
                     leg.origin(document)) for leg, lot in zip(legs, lots, strict=True)]  # fmt: skip
    await _book(write, entries, moved_at(document))


async def _receive(write: Write, document: Document, lines: list[DocumentLine], arrivals: tuple[Arrival, ...]) -> bool:
    """Book the arrivals (transit → each line's bin); whether nothing is left on the way after them."""
    conn = write.conn
    by_position = {line.position: line for line in lines}
    progress = await _progress(conn, document.id)
    problems: list[DomainError] = []
    for index, arrival in enumerate(arrivals):
        line = by_position.get(arrival.position)
        if line is None:
            problems.append(
                NotFound(f"The transfer has no line {arrival.position}.", field=("lines", index, "position"))
            )
            continue
        left = progress[line.id].still_on_the_way()
        if arrival.quantity > left:
            problems.append(Invalid(
                f"Line {arrival.position} has {left.normalize():f} still on the way: {arrival.quantity.normalize():f}"
                " cannot arrive.", field=("lines", index, "quantity"),
            ))  # fmt: skip
    if problems:
        raise ManyErrors(problems)
    legs = {leg.line.id: leg for leg in await _legs(conn, [by_position[a.position] for a in arrivals])}
    transit, lots = await virtual(conn, LocationKind.TRANSIT), await _lot_refs(conn, progress.values())
    entries: list[Entry] = []
    owners: list[int] = []  # the arrival each entry books
    for index, arrival in enumerate(arrivals):
        leg = legs[by_position[arrival.position].id]
        line_progress = progress[leg.line.id]
        for lot_id, qty in _take(line_progress.on_the_way(), arrival.quantity):
            entries.append(Entry(leg.product, transit, leg.target, qty, lots.get(lot_id), "move", "receive",
                                 leg.origin(document), unit_cost=line_progress.unit_cost.get(lot_id)))  # fmt: skip
            owners.append(index)
            line_progress.received[lot_id] += qty
    await _book(write, entries, None, owners)
    return all(p.still_on_the_way() == 0 for p in progress.values())


async def _lose(write: Write, document: Document, lines: list[DocumentLine], reason: str | None) -> None:
    """What never arrived, from transit to inventory loss; a reason is needed when anything is lost."""
    conn = write.conn
    progress = await _progress(conn, document.id)
    missing = [line for line in lines if progress[line.id].still_on_the_way() > 0]
    if not missing:
        return
    if reason is None:
        raise Invalid("Some of it never arrived: say why it is lost (a reason).", field="reason")
    loss, transit = await virtual(conn, LocationKind.INVENTORY_LOSS), await virtual(conn, LocationKind.TRANSIT)
    lots = await _lot_refs(conn, progress.values())
    entries = [
        Entry(leg.product, transit, loss, qty, lots.get(lot_id), "adjust", reason, leg.origin(document),
              unit_cost=progress[leg.line.id].unit_cost.get(lot_id))
        for leg in await _legs(conn, missing)
        for lot_id, qty in progress[leg.line.id].on_the_way().items()
        if qty > 0
    ]  # fmt: skip
    await _book(write, entries, None)


async def _nothing(write: Write, document: Document, lines: list[DocumentLine]) -> None:
    """Closing a transfer that arrived whole books nothing."""


def _take(on_the_way: dict[int, Decimal], quantity: Decimal) -> list[tuple[int, Decimal]]:
    """``quantity`` split over the lots still on the way, in the order they were shipped."""
    portions, remaining = [], quantity
    for lot_id, left in on_the_way.items():
        take = min(left, remaining)
        if take > 0:
            portions.append((lot_id, take))
            remaining -= take
    return portions


# Reading what a posting needs


async def _legs(conn: BaseDBAsyncClient, lines: list[DocumentLine]) -> list[Leg]:
    """The lines' products and bins, held FOR SHARE as every posting holds them."""
    products = await products_for_posting(conn, {line.product_id for line in lines})  # type: ignore[attr-defined]
    places = await places_by_ids(
        conn,
        {place for line in lines for place in (line.location_id, line.to_location_id)},  # type: ignore[attr-defined]
    )
    return [
        Leg(line, products[line.product_id], places[line.location_id], places[line.to_location_id])  # type: ignore[attr-defined]
        for line in lines
    ]


async def _lots(conn: BaseDBAsyncClient, legs: list[Leg]) -> list[LotRef | None]:
    """The lot each line names, or None (the removal rule picks); every line's problem at once."""
    lots: list[LotRef | None] = []
    problems: list[DomainError] = []
    for index, leg in enumerate(legs):
        try:
            lots.append(await existing_lot(conn, leg.product, leg.line.lot_code) if leg.line.lot_code else None)
        except DomainError as error:
            problems.append(error.at(("lines", index, "lot")))
    if problems:
        raise ManyErrors(problems)
    return lots


async def _lot_refs(conn: BaseDBAsyncClient, progress: Iterable[Progress]) -> dict[int, LotRef]:
    """The lots the lines shipped, by id. Named out of transit only to say which units: whether a lot may
    be taken was decided when it was shipped, so they carry no removal date (a lot that expired on the
    road still arrives)."""
    ids = sorted({lot_id for line in progress for lot_id in line.shipped if lot_id != NO_LOT})
    if not ids:
        return {}
    rows = await sql.fetch(conn, f"SELECT id, code FROM lot WHERE id IN ({sql.placeholders(1, len(ids))})", *ids)
    return {int(row["id"]): LotRef(int(row["id"]), row["code"]) for row in rows}


async def _progress(conn: BaseDBAsyncClient, document_id: int) -> defaultdict[int, Progress]:
    """Per line of the transfer: what its moves shipped, brought in and lost, per lot."""
    transit = await virtual(conn, LocationKind.TRANSIT)
    loss = await virtual(conn, LocationKind.INVENTORY_LOSS)
    rows = await sql.fetch(
        conn,
        "SELECT document_line_id, from_location_id, to_location_id, lot_id, quantity, unit_cost FROM stock_move"
        " WHERE document_id = $1 AND document_type = $2 ORDER BY id",
        document_id,
        TRANSFER,
    )
    progress: defaultdict[int, Progress] = defaultdict(Progress)
    for row in rows:
        line, lot = progress[int(row["document_line_id"])], int(row["lot_id"] or NO_LOT)
        qty, source, target = (
            quantities.from_db(row["quantity"]),
            int(row["from_location_id"]),
            int(row["to_location_id"]),
        )
        if source != transit.id:  # shipped, or moved straight to its bin within a warehouse
            line.shipped[lot] = line.shipped.get(lot, ZERO) + qty
            line.unit_cost.setdefault(lot, AMOUNT.from_db(row["unit_cost"]) if row["unit_cost"] is not None else None)
        if target == loss.id:
            line.lost[lot] += qty
        elif target != transit.id:
            line.received[lot] += qty
    return progress


async def _book(
    write: Write, entries: list[Entry], effective_at: datetime | None, owners: list[int] | None = None
) -> None:
    """Post the entries in one go (``effective_at`` None: now); ``owners[i]``: the input line entry ``i``
    books, where its errors are told (None: the document's line ``i``)."""
    trail = Trail(actor_id=write.actor_id, key=write.idempotency_key, effective_at=effective_at)
    try:
        moved = await post_all(write.conn, entries, trail)
    except ManyErrors as many:
        raise ManyErrors([_placed(error, owners) for error in many.errors]) from None
    except DomainError as error:
        raise _placed(error, owners) from None
    changed = {move.product_id for moves in moved for move in moves}
    write.after_commit(lambda: _tell_subscribers(changed))


def _placed(error: DomainError, owners: list[int] | None) -> DomainError:
    field_ = error.field
    if owners is not None and isinstance(field_, tuple) and len(field_) == 3 and field_[0] == "lines":
        return error.at(("lines", owners[int(field_[1])], field_[2]))
    return error


def _refuse_lines(legs: list[Leg], wrong: Callable[[Leg], bool], message: str) -> None:
    problems: list[DomainError] = [
        Invalid(message, field=("lines", index, "toLocation")) for index, leg in enumerate(legs) if wrong(leg)
    ]
    if problems:
        raise ManyErrors(problems)


def _tell_subscribers(product_ids: set[int]) -> None:
    for product_id in sorted(product_ids):
        events.publish_stock_changed(product_id)


# Reads


@dataclass(frozen=True)
class TransferLine:
    """How far a line of a transfer has come, in the product's base unit."""

    position: int
    sku: str
    from_location: str
    to_location: str
    lot: str | None
    quantity: Decimal
    shipped: Decimal
    received: Decimal
    lost: Decimal

    @property
    def on_the_way(self) -> Decimal:
        return self.shipped - self.received - self.lost


async def transfer_lines(document_id: int, *, after_position: int = 0, limit: int = 100) -> list[TransferLine] | None:
    """The lines of a transfer after ``after_position`` (the first ``limit``), with what each shipped, received
    and lost; None when it is no transfer."""
    conn = connection()
    if not await Document.filter(id=document_id, type=TRANSFER).exists():
        return None
    lines = await DocumentLine.filter(document_id=document_id, position__gt=after_position).order_by(
        "position").limit(limit).select_related("product", "location", "to_location")  # fmt: skip
    progress = await _progress(conn, document_id)
    shown: list[TransferLine] = []
    for line in lines:
        done = progress[line.id]
        shown.append(TransferLine(
            line.position, line.product.sku, line.location.code if line.location else "",
            line.to_location.code if line.to_location else "", line.lot_code, quantities.from_db(line.base_quantity),
            sum(done.shipped.values(), ZERO), sum(done.received.values(), ZERO), sum(done.lost.values(), ZERO),
        ))  # fmt: skip
    return shown


register(DocumentKind(
    type=TRANSFER, title="Transfer", prefix="TR", poster=_post, lines_need_location=True, lines_need_target=True,
    transitions=(
        *simple_flow(),
        Transition(SHIP, frozenset({CONFIRMED}), IN_TRANSIT),
        Transition(RECEIVE, frozenset({IN_TRANSIT}), IN_TRANSIT),
        Transition(CLOSE, frozenset({IN_TRANSIT}), DONE),
    ),
    own_actions=frozenset({SHIP, RECEIVE, CLOSE}),
    reasons=(TRANSFER_REASON, REPLENISHMENT),  # replenishment: a draft the replenishment job proposed
))  # fmt: skip
