"""The stock ledger's write side: receive, issue, move and adjust, each one transaction.

Every change is a double-entry move (from a location, to a location) plus the quants of the
real locations it touches, written together with the idempotency record, the audit entry and
the scan that caused it (see ``posting``). Each operation claims its idempotency key first and
reads what it names inside the same transaction, so a retry replays the first result even if
the product has changed since.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, idempotency
from server.errors import Invalid
from server.inventory import quantities
from server.inventory.lookups import existing_lot, lookup, lot_for_receipt, virtual
from server.inventory.models import NO_LOT, LocationKind
from server.inventory.moves import Move, load_moves
from server.inventory.posting import Entry, Trail, lock_one, post, record_trail
from server.scanning import ScanInfo


class IssueReason(StrEnum):
    SALE = "sale"  # to the customer location
    SCRAP = "scrap"  # to the scrap location


_ISSUE_DESTINATION = {IssueReason.SALE: LocationKind.CUSTOMER, IssueReason.SCRAP: LocationKind.SCRAP}

Effect = Callable[[BaseDBAsyncClient, Trail], Awaitable[list[Move]]]


@dataclass(frozen=True)
class Posting:
    moves: list[Move]
    replayed: bool


def _lot_code(lot: str | None) -> str | None:
    return lot.strip() if lot and lot.strip() else None


async def receive(
    sku: str,
    location_code: str,
    quantity: object,
    *,
    lot: str | None = None,
    expires_on: date | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock arrives from a supplier into a bin."""
    qty, lot = quantities.parse(quantity), _lot_code(lot)

    async def effect(conn: BaseDBAsyncClient, trail: Trail) -> list[Move]:
        product, (bin_,) = await lookup(conn, sku, (location_code, "locationCode"), lot=lot, lot_required=True,
                                        receiving=True)  # fmt: skip
        lot_ref = await lot_for_receipt(conn, product, lot, expires_on) if lot else None
        supplier = await virtual(conn, LocationKind.SUPPLIER)
        return await post(conn, Entry(product, supplier, bin_, qty, lot_ref, "receive"), trail)

    request = {"sku": sku.strip(), "location": location_code.strip(), "quantity": qty, "lot": lot,
               "expires_on": expires_on}  # fmt: skip
    return await _run("receive", request, idempotency_key, actor_id, scan, effect)


async def issue(
    sku: str,
    location_code: str,
    quantity: object,
    *,
    reason: IssueReason = IssueReason.SALE,
    lot: str | None = None,
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock leaves a bin for a customer or the scrap heap; without a lot, the first to expire goes first."""
    qty, lot, reason = quantities.parse(quantity), _lot_code(lot), IssueReason(reason)

    async def effect(conn: BaseDBAsyncClient, trail: Trail) -> list[Move]:
        product, (bin_,) = await lookup(conn, sku, (location_code, "locationCode"), lot=lot)
        lot_ref = await existing_lot(conn, product, lot) if lot else None
        destination = await virtual(conn, _ISSUE_DESTINATION[reason])
        return await post(conn, Entry(product, bin_, destination, qty, lot_ref, "issue", reason.value), trail)

    request = {"sku": sku.strip(), "location": location_code.strip(), "quantity": qty, "reason": reason.value,
               "lot": lot}  # fmt: skip
    return await _run("issue", request, idempotency_key, actor_id, scan, effect)


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
    qty, lot = quantities.parse(quantity), _lot_code(lot)
    if from_location_code.strip() == to_location_code.strip():
        raise Invalid("The stock is already in that location.", field="toLocationCode")

    async def effect(conn: BaseDBAsyncClient, trail: Trail) -> list[Move]:
        product, (source, target) = await lookup(
            conn, sku, (from_location_code, "fromLocationCode"), (to_location_code, "toLocationCode"), lot=lot
        )
        lot_ref = await existing_lot(conn, product, lot) if lot else None
        return await post(conn, Entry(product, source, target, qty, lot_ref, "move"), trail)

    request = {"sku": sku.strip(), "from": from_location_code.strip(), "to": to_location_code.strip(),
               "quantity": qty, "lot": lot}  # fmt: skip
    return await _run("move", request, idempotency_key, actor_id, scan, effect)


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
    counted, lot = quantities.parse(counted_quantity, field="countedQuantity", allow_zero=True), _lot_code(lot)

    async def effect(conn: BaseDBAsyncClient, trail: Trail) -> list[Move]:
        product, (bin_,) = await lookup(conn, sku, (location_code, "locationCode"), lot=lot, lot_required=True)
        lot_ref = await existing_lot(conn, product, lot) if lot else None
        lot_id = lot_ref.id if lot_ref else NO_LOT
        quant = await lock_one(conn, product.id, bin_.id, lot_id)
        loss = await virtual(conn, LocationKind.INVENTORY_LOSS)
        difference = counted - quant.on_hand
        source, target = (loss, bin_) if difference > 0 else (bin_, loss)
        entry = Entry(product, source, target, abs(difference), lot_ref, "adjust", "count")
        if difference == 0:  # nothing moves, but the count itself is kept
            await record_trail(conn, entry, trail, [])
            return []
        return await post(conn, entry, trail, locked={bin_.id: {lot_id: quant}})

    request = {"sku": sku.strip(), "location": location_code.strip(), "counted": counted, "lot": lot}
    return await _run("adjust", request, idempotency_key, actor_id, scan, effect)


async def _run(
    operation: str,
    request: dict[str, Any],
    key: str,
    actor_id: int | None,
    scan: ScanInfo | None,
    effect: Effect,
) -> Posting:
    key = idempotency.validate_key(key)
    trail = Trail(actor_id=actor_id, key=key, scan=scan)
    moves: list[Move] = []

    async def recorded(conn: BaseDBAsyncClient) -> dict[str, Any]:
        moves[:] = await effect(conn, trail)  # a rerun after a rolled-back attempt starts afresh
        return {"move_ids": [m.id for m in moves]}

    outcome = await idempotency.run(key, f"stock.{operation}", request, user_id=actor_id, effect=recorded)
    if outcome.replayed:
        return Posting(await load_moves(outcome.result["move_ids"]), replayed=True)
    for product_id in {m.product_id for m in moves}:
        events.publish_stock_changed(product_id)
    return Posting(moves, replayed=False)
