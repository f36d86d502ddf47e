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
from server.catalog.models import SKU
from server.clock import today
from server.errors import Invalid
from server.inventory import quantities
from server.inventory.errors import LotExpired
from server.inventory.lookups import LotRef, existing_lot, lookup, lot_for_receipt, virtual
from server.inventory.models import LOCATION_CODE, LOT_CODE, NO_LOT, LocationKind
from server.inventory.moves import Move, load_moves
from server.inventory.posting import Entry, Trail, lock_one, post, record_trail
from server.scanning import ScanInfo
from server.text import Code, storable


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
    return lot if lot and lot.strip() else None


def _canonical(spec: Code, value: str) -> str:
    return spec.key(value) or storable(value)


@dataclass(frozen=True)
class Request:
    """What a request is remembered as, for its idempotency key: codes in their canonical form (as
    given when they are no valid code), so a retry spelled in other case is the same request.

    ``as_before`` is the form keys were stored with before codes became case-free (migration
    0002): a handheld replaying a queued scan across the upgrade still gets its first answer.
    """

    canonical: dict[str, Any]
    as_before: dict[str, Any]


def _request(sku: str, locations: dict[str, str], lot: str | None, **rest: object) -> Request:
    canonical = {"sku": _canonical(SKU, sku), **{k: _canonical(LOCATION_CODE, v) for k, v in locations.items()},
                 "lot": lot and _canonical(LOT_CODE, lot), **rest}  # fmt: skip
    as_before = {"sku": storable(sku.strip()), **{k: storable(v.strip()) for k, v in locations.items()},
                 "lot": lot and storable(lot.strip()), **rest}  # fmt: skip
    return Request(canonical, as_before)


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
    actor_id: int | None,
    idempotency_key: str,
    scan: ScanInfo | None = None,
) -> Posting:
    """Stock arrives from a supplier into a bin; a lot already past its expiry only when asked to."""
    qty, lot = quantities.parse(quantity), _lot_code(lot)
    if expires_on is not None and lot is None:
        raise Invalid("An expiry date belongs to a lot: give the lot it is printed with.", field="expiresOn")

    async def effect(conn: BaseDBAsyncClient, trail: Trail) -> list[Move]:
        product, (bin_,) = await lookup(conn, sku, (location_code, "locationCode"), lot=lot, lot_required=True)
        product.refuse_new_stock_if_archived()
        lot_ref = await lot_for_receipt(conn, product, lot, expires_on) if lot else None
        if lot_ref is not None:
            _refuse_expired(lot_ref, accept_expired=accept_expired)
        supplier = await virtual(conn, LocationKind.SUPPLIER)
        return await post(conn, Entry(product, supplier, bin_, qty, lot_ref, "receive"), trail)

    # Only a receipt that accepts an expired lot says so: earlier requests keep their stored form.
    extra = {"accept_expired": True} if accept_expired else {}
    request = _request(sku, {"location": location_code}, lot, quantity=qty, expires_on=expires_on, **extra)
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

    request = _request(sku, {"location": location_code}, lot, quantity=qty, reason=reason.value)
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
    source_code = _canonical(LOCATION_CODE, from_location_code)
    target_code = _canonical(LOCATION_CODE, to_location_code)
    if source_code == target_code:
        raise Invalid("The stock is already in that location.", field="toLocationCode")

    async def effect(conn: BaseDBAsyncClient, trail: Trail) -> list[Move]:
        product, (source, target) = await lookup(
            conn, sku, (from_location_code, "fromLocationCode"), (to_location_code, "toLocationCode"), lot=lot
        )
        lot_ref = await existing_lot(conn, product, lot) if lot else None
        return await post(conn, Entry(product, source, target, qty, lot_ref, "move"), trail)

    request = _request(sku, {"from": source_code, "to": target_code}, lot, quantity=qty)
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
        if difference > 0:
            product.refuse_new_stock_if_archived()
        source, target = (loss, bin_) if difference > 0 else (bin_, loss)
        entry = Entry(product, source, target, abs(difference), lot_ref, "adjust", "count")
        if difference == 0:  # nothing moves, but the count itself is kept
            await record_trail(conn, entry, trail, [])
            return []
        return await post(conn, entry, trail, locked={bin_.id: {lot_id: quant}})

    request = _request(sku, {"location": location_code}, lot, counted=counted)
    return await _run("adjust", request, idempotency_key, actor_id, scan, effect)


async def _run(
    operation: str,
    request: Request,
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

    outcome = await idempotency.run(
        key, f"stock.{operation}", request.canonical, user_id=actor_id, effect=recorded, stored_as=[request.as_before]
    )
    if outcome.replayed:
        return Posting(await load_moves(outcome.result["move_ids"]), replayed=True)
    for product_id in {m.product_id for m in moves}:
        events.publish_stock_changed(product_id)
    return Posting(moves, replayed=False)
