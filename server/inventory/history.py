"""The ledger's past never goes below zero: stock taken out of a quant key at a past time must have been there.

Every move keeps its effective time (a scan: when the handheld read it, sent later by its offline queue; a
document: its business date), so a posting may take stock out of a bin at a time before moves already booked.
Posting checks today's on-hand; this checks the key's running on-hand from that time on: all the key's moves in
(effective_at, id) order, the posting's own included, must never leave it below zero. Otherwise the bin's
history (and the stock value at a past date, and a period snapshot of it) would show stock that was not there.

It runs after the posting's moves are written and before its quants are, under the row locks the posting took
on the keys it takes from: two backdated postings of one key take turns, and the second sees the first's
moves. One query per posting, on the moves effective from the earliest time it takes at: for a posting
effective now, that range holds its own moves and little else (the ``effective_at`` index serves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.errors import DomainError, Field
from server.inventory import quantities
from server.inventory.errors import InsufficientStock
from server.inventory.models import NO_LOT

QuantKey = tuple[int, int, int, int]  # (product id, location id, lot id, package id): posting's lock order


@dataclass(frozen=True)
class Taking:
    """Stock a posting took out of ``key`` at ``at``; ``left``: the key's on-hand once the posting is booked."""

    key: QuantKey
    at: datetime
    quantity: Decimal
    left: Decimal
    sku: str
    location: str
    lot: str | None
    field: Field


class ShortInThePast(InsufficientStock):
    """INSUFFICIENT_STOCK for a posting dated before the stock it takes was there (or after it had left)."""

    def __init__(self, taking: Taking, held: Decimal, spare: Decimal) -> None:
        DomainError.__init__(self, _message(taking, held, spare), field=taking.field)
        self.available = max(spare, Decimal(0))
        self.requested = taking.quantity


def _shown(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}" if quantity else "0"


def _message(taking: Taking, held: Decimal, spare: Decimal) -> str:
    when = taking.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    what = taking.sku + (f" (lot {taking.lot})" if taking.lot else "")
    if held < taking.quantity:
        return (
            f"{taking.location} held only {_shown(max(held, Decimal(0)))} of {what} at {when}, the time"
            f" {_shown(taking.quantity)} are taken out at: the stock came later."
        )
    return (
        f"{taking.location} held {_shown(held)} of {what} at {when}, the time {_shown(taking.quantity)} are taken out"
        f" at, but only {_shown(max(spare, Decimal(0)))} of them stayed until the moves booked after it."
    )


async def refuse_short_past(conn: BaseDBAsyncClient, takings: list[Taking]) -> list[DomainError]:
    """The refusals (one per key, at the field of its earliest taking) of ``takings`` that leave their key
    below zero at or after the time they take at; empty when the past holds them."""
    if not takings:
        return []
    earliest: dict[QuantKey, Taking] = {}
    for taking in takings:
        first = earliest.get(taking.key)
        if first is None or taking.at < first.at:
            earliest[taking.key] = taking
    rows = await _moves_from(conn, earliest)
    problems: list[DomainError] = []
    for key, taking in earliest.items():
        problem = _walk(taking, sorted(rows, key=_order), key)
        if problem is not None:
            problems.append(problem)
    return problems


async def _moves_from(conn: BaseDBAsyncClient, earliest: dict[QuantKey, Taking]) -> list[dict[str, Any]]:
    """The moves of the keys' products touching their locations, effective from the earliest taking on."""
    products = sorted({key[0] for key in earliest})
    places = sorted({key[1] for key in earliest})
    since = min(taking.at for taking in earliest.values())
    first_from, first_to = 1 + len(products), 1 + len(products) + len(places)
    return await sql.fetch(
        conn,
        "SELECT id, quantity, from_location_id, to_location_id, lot_id, from_package_id, to_package_id, product_id,"
        " effective_at FROM stock_move"
        f" WHERE product_id IN ({sql.placeholders(1, len(products))})"
        f" AND (from_location_id IN ({sql.placeholders(first_from, len(places))})"
        f" OR to_location_id IN ({sql.placeholders(first_to, len(places))}))"
        f" AND effective_at >= ${first_to + len(places)}",
        *products, *places, *places, since,
    )  # fmt: skip


def _order(row: dict[str, Any]) -> tuple[datetime, int]:
    return sql.as_datetime(row["effective_at"]), int(row["id"])


def _change(row: dict[str, Any], key: QuantKey) -> Decimal:
    """What the move did to ``key``'s on-hand (0: not a move of it)."""
    product_id, location_id, lot_id, package_id = key
    if int(row["product_id"]) != product_id or int(row["lot_id"] or NO_LOT) != lot_id:
        return Decimal(0)
    change = Decimal(0)
    quantity = quantities.from_db(row["quantity"])
    if int(row["to_location_id"]) == location_id and int(row["to_package_id"]) == package_id:
        change += quantity
    if int(row["from_location_id"]) == location_id and int(row["from_package_id"]) == package_id:
        change -= quantity
    return change


def _walk(taking: Taking, rows: list[dict[str, Any]], key: QuantKey) -> DomainError | None:
    """Run ``key``'s on-hand forward from just before ``taking.at`` (today's, less every move from then on);
    the refusal when it drops below zero, told with what the key held then and how much of it could leave."""
    changes = [change for row in rows if _order(row)[0] >= taking.at and (change := _change(row, key))]
    held = taking.left - sum(changes, Decimal(0))
    balance = lowest = held
    for change in changes:
        balance += change
        lowest = min(lowest, balance)
    if lowest >= 0:
        return None
    return ShortInThePast(taking, held, lowest + taking.quantity)
