"""The stock ledger's write side: receive, issue, move and adjust, each a command.

Every change is a double-entry move (from a location, to a location) plus the quants of the
real locations it touches (see ``posting``), written by ``server.commands`` in one transaction
with the idempotency record, the audit entry and the scan that caused it. Each operation claims
its idempotency key first and reads what it names inside the same transaction, so a retry
replays the first result even if the product has changed since.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from server import events, sql
from server.catalog.models import SKU
from server.clock import today
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import Invalid
from server.inventory import plain_receipt, quantities
from server.inventory.capacity import MixingRefused
from server.inventory.errors import LotExpired, NotSellable
from server.inventory.lookups import LotRef, existing_lot, lookup, lookup_with, lot_for_receipt, virtual
from server.inventory.lots import LotDates, refuse_dates_without_lot
from server.inventory.models import LOCATION_CODE, LOT_CODE, NO_LOT, LocationKind
from server.inventory.moves import Move, load_moves
from server.inventory.posting import Entry, Trail, lock_one, post
from server.numbers import AMOUNT
from server.scanning import ScanInfo, record_scan
from server.text import Code, storable


class IssueReason(StrEnum):
    SALE = "sale"  # to the customer location
    SCRAP = "scrap"  # to the scrap location


class ScrapReason(StrEnum):
    """Why stock is scrapped (on the move, for the loss report): as an outbound document says damage."""

    DAMAGE = "damage"
    EXPIRY = "expiry"
    DEFECT = "defect"


_ISSUE_DESTINATION = {IssueReason.SALE: LocationKind.CUSTOMER, IssueReason.SCRAP: LocationKind.SCRAP}


@dataclass(frozen=True)
class Posting:
    moves: list[Move]
    replayed: bool


def _code(spec: Code, value: str) -> str:
    """A code in its canonical form, or as given (made storable) when it is none: the lookup refuses it."""
    return spec.key(value) or storable(value)


def _lot(lot: str | None) -> str | None:
    return _code(LOT_CODE, lot) if lot and lot.strip() else None


def _typed(value: str | None) -> str | None:
    return storable(value.strip()) if value and value.strip() else None


@dataclass(frozen=True)
class StockCommand(Command):
    """A posting's input, its codes in canonical form: a retry spelled in other case is the same request."""

    sku: str
    # How the version before migration 0002 remembered the request (the codes as typed, trimmed):
    # a handheld's queue replayed across the upgrade still gets its first answer.
    as_before: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False, kw_only=True)

    def request(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "as_before"}

    def stored_before(self) -> list[dict[str, Any]]:
        return [dict(self.as_before)] if self.as_before else []


@dataclass(frozen=True)
class ReceiveStock(StockCommand):
    operation = "stock.receive"
    location: str
    quantity: Decimal
    lot: str | None
    expires_on: date | None
    accept_expired: bool = False
    unit_cost: Decimal | None = field(default=None, kw_only=True)
    best_before_on: date | None = field(default=None, kw_only=True)
    removal_on: date | None = field(default=None, kw_only=True)
    alert_on: date | None = field(default=None, kw_only=True)

    def request(self) -> dict[str, Any]:
        asked = super().request()
        if asked["unit_cost"] is None:  # as a receipt without a cost was remembered before valuation
            del asked["unit_cost"]
        for name in ("best_before_on", "removal_on", "alert_on"):  # likewise before lots had these dates
            if asked[name] is None:
                del asked[name]
        return asked


@dataclass(frozen=True)
class IssueStock(StockCommand):
    operation = "stock.issue"
    location: str
    quantity: Decimal
    reason: str
    lot: str | None
    scrap_reason: str | None = field(default=None, kw_only=True)

    def request(self) -> dict[str, Any]:
        asked = super().request()
        if asked["scrap_reason"] is None:  # as an issue was remembered before scraps had reasons
            del asked["scrap_reason"]
        return asked


@dataclass(frozen=True)
class MoveStock(StockCommand):
    operation = "stock.move"
    from_location: str
    to_location: str
    quantity: Decimal
    lot: str | None


@dataclass(frozen=True)
class AdjustStock(StockCommand):
    operation = "stock.adjust"
    location: str
    counted: Decimal
    lot: str | None


def _refuse_expired(lot: LotRef, *, accept_expired: bool) -> None:
    if lot.expires_on is not None and lot.expires_on < today() and not accept_expired:
        raise LotExpired(
            f"The lot {lot.code} expired on {lot.expires_on}: receive it only on purpose (acceptExpired),"
            " into a location it cannot be sold from.",
            field="lot",
        )


async def receive(
    sku: str,
    location_code: str,
    quantity: object,
    *,
    lot: str | None = None,
    expires_on: date | None = None,
    accept_expired: bool = False,
    unit_cost: object = None,
    dates: LotDates = LotDates(),
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock arrives from a supplier into a bin; a lot already past its expiry only when asked to.

    ``dates``: the lot's best-before, removal and alert dates (its expiry is ``expires_on``).

    ``unit_cost``: what one unit cost; without it, the rule of ``server.inventory.valuation`` applies."""
    qty = quantities.parse(quantity)
    cost = AMOUNT.parse(unit_cost, field="unitCost") if unit_cost is not None else None
    if dates.expires_on != expires_on:
        dates = dataclasses.replace(dates, expires_on=expires_on)
    if _lot(lot) is None:
        refuse_dates_without_lot(dates)
    command = ReceiveStock(
        _code(SKU, sku), _code(LOCATION_CODE, location_code), qty, _lot(lot), expires_on, accept_expired,
        unit_cost=cost, best_before_on=dates.best_before_on, removal_on=dates.removal_on, alert_on=dates.alert_on,
        as_before=(("sku", _typed(sku)), ("location", _typed(location_code)), ("quantity", qty), ("lot", _typed(lot)),
                   ("expires_on", expires_on)),
    )  # fmt: skip

    async def run(write: Write, trail: Trail) -> list[Move]:
        # On PostgreSQL a plain receipt (the handheld's hot path) is booked in the command's last statement.
        # (Not on the run after its guard refused it: posting.post then books it.)
        may_be_plain = write.shortcuts and command.lot is None and sql.dialect(write.conn) == "postgres"
        also = plain_receipt.ALSO if may_be_plain else ""
        product, (bin_,), row = await lookup_with(
            write.conn, sku, (location_code, "locationCode"), lot=command.lot, lot_required=True, also=also
        )
        product.refuse_new_stock_if_archived()
        supplier = await virtual(write.conn, LocationKind.SUPPLIER)
        found = plain_receipt.plain(row, product, bin_, qty) if also else None
        if found is not None:
            return await plain_receipt.book(write, found, product, supplier, bin_, qty, cost, trail)
        lot_ref = await lot_for_receipt(write.conn, product, command.lot, dates) if command.lot else None
        if lot_ref is not None:
            _refuse_expired(lot_ref, accept_expired=accept_expired)
        entry = Entry(product, supplier, bin_, qty, lot_ref, "receive", unit_cost=cost)
        return await post(write.conn, entry, trail, deferred=write.deferred)

    return await _post(command, run, actor_id, idempotency_key, scan)


async def issue(
    sku: str,
    location_code: str,
    quantity: object,
    *,
    reason: IssueReason = IssueReason.SALE,
    scrap_reason: ScrapReason | None = None,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock leaves a bin for a customer or the scrap heap; without a lot, the first to expire goes first.

    ``scrap_reason``: why it is scrapped, kept on the move (only with reason SCRAP)."""
    qty, reason = quantities.parse(quantity), IssueReason(reason)
    why = None if scrap_reason is None else ScrapReason(scrap_reason)
    if why is not None and reason is not IssueReason.SCRAP:
        raise Invalid("A scrap reason goes with reason SCRAP only.", field="scrapReason")
    command = IssueStock(
        _code(SKU, sku), _code(LOCATION_CODE, location_code), qty, reason.value, _lot(lot),
        scrap_reason=None if why is None else why.value,
        as_before=(("sku", _typed(sku)), ("location", _typed(location_code)), ("quantity", qty),
                   ("reason", reason.value), ("lot", _typed(lot))),
    )  # fmt: skip

    async def run(write: Write, trail: Trail) -> list[Move]:
        product, (bin_,) = await lookup(write.conn, sku, (location_code, "locationCode"), lot=command.lot)
        if reason is IssueReason.SALE and not bin_.sellable:
            raise NotSellable(
                f"The stock in {bin_.code} is not for sale (quarantine, damaged, receiving ...): move it to a"
                " sellable location first, or scrap it.",
                field="locationCode",
            )
        lot_ref = await existing_lot(write.conn, product, command.lot) if command.lot else None
        destination = await virtual(write.conn, _ISSUE_DESTINATION[reason])
        entry = Entry(product, bin_, destination, qty, lot_ref, "issue", command.scrap_reason or reason.value)
        return await post(write.conn, entry, trail, deferred=write.deferred)

    return await _post(command, run, actor_id, idempotency_key, scan)


async def move(
    sku: str,
    from_location_code: str,
    to_location_code: str,
    quantity: object,
    *,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock goes from one bin to another; lots travel with it."""
    qty = quantities.parse(quantity)
    command = MoveStock(
        _code(SKU, sku), _code(LOCATION_CODE, from_location_code), _code(LOCATION_CODE, to_location_code), qty,
        _lot(lot),
        as_before=(("sku", _typed(sku)), ("from", _typed(from_location_code)), ("to", _typed(to_location_code)),
                   ("quantity", qty), ("lot", _typed(lot))),
    )  # fmt: skip
    if command.from_location == command.to_location:
        raise Invalid("The stock is already in that location.", field="toLocationCode")

    async def run(write: Write, trail: Trail) -> list[Move]:
        product, (source, target) = await lookup(
            write.conn, sku, (from_location_code, "fromLocationCode"), (to_location_code, "toLocationCode"),
            lot=command.lot,
        )  # fmt: skip
        lot_ref = await existing_lot(write.conn, product, command.lot) if command.lot else None
        try:
            return await post(
                write.conn, Entry(product, source, target, qty, lot_ref, "move"), trail, deferred=write.deferred
            )
        except MixingRefused as refused:
            raise refused.at("toLocationCode") from None

    return await _post(command, run, actor_id, idempotency_key, scan)


async def adjust(
    sku: str,
    location_code: str,
    counted_quantity: object,
    *,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """A count: the difference between what was counted and what the ledger says goes to inventory loss/gain."""
    counted = quantities.parse(counted_quantity, field="countedQuantity", allow_zero=True)
    command = AdjustStock(
        _code(SKU, sku), _code(LOCATION_CODE, location_code), counted, _lot(lot),
        as_before=(("sku", _typed(sku)), ("location", _typed(location_code)), ("counted", counted),
                   ("lot", _typed(lot))),
    )  # fmt: skip

    async def run(write: Write, trail: Trail) -> list[Move]:
        conn = write.conn
        product, (bin_,) = await lookup(conn, sku, (location_code, "locationCode"), lot=command.lot, lot_required=True)
        lot_ref = await existing_lot(conn, product, command.lot) if command.lot else None
        lot_id = lot_ref.id if lot_ref else NO_LOT
        quant = await lock_one(conn, product.id, bin_.id, lot_id)
        difference = counted - quant.on_hand
        if difference == 0:  # nothing moves; the count itself is kept (its audit entry and scan)
            return []
        if difference > 0:
            product.refuse_new_stock_if_archived()
        loss = await virtual(conn, LocationKind.INVENTORY_LOSS)
        source, target = (loss, bin_) if difference > 0 else (bin_, loss)
        entry = Entry(product, source, target, abs(difference), lot_ref, "adjust", "count")
        return await post(conn, entry, trail, locked={bin_.id: {lot_id: quant}}, deferred=write.deferred)

    return await _post(command, run, actor_id, idempotency_key, scan)


def _tell_subscribers(product_ids: set[int]) -> None:
    for product_id in product_ids:
        events.publish_stock_changed(product_id)


async def _post(
    command: StockCommand,
    run: Callable[[Write, Trail], Awaitable[list[Move]]],
    actor_id: int | None,
    key: str,
    scan: ScanInfo | None,
) -> Posting:
    """Run a posting as a command: the scan that caused it kept with its first move, subscribers told after."""

    async def effect(write: Write) -> list[Move]:
        effective_at = scan.scanned_at if scan is not None else None  # a scan is booked when it was scanned
        moves = await run(write, Trail(actor_id=write.actor_id, key=write.idempotency_key, effective_at=effective_at))
        if scan is not None:
            first = moves[0].id if moves else None
            await record_scan(write.conn, scan, user_id=write.actor_id, move_id=first, deferred=write.deferred)
        changed = {m.product_id for m in moves}
        write.after_commit(lambda: _tell_subscribers(changed))
        return moves

    def audited(moves: list[Move]) -> Audited:
        return Audited("stock_move", moves[0].id if moves else "-", added={"moves": [m.id for m in moves]})

    async def recall(stored: dict[str, Any]) -> list[Move]:
        return await load_moves(stored["move_ids"])

    done = await execute(
        command, Effect(effect, audited, lambda moves: {"move_ids": [m.id for m in moves]}, recall),
        actor_id=actor_id, idempotency_key=key,
    )  # fmt: skip
    return Posting(done.result, done.replayed)
