"""Reservations racing each other and the postings that change the stock under them (PostgreSQL: SQLite
serialises writers and has no row locks)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from decimal import Decimal

import pytest

from server.inventory import ledger, reservations
from server.inventory.check import check_ledger
from server.inventory.reservation_check import check_reservations
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, SQLLog

pytestmark = pytest.mark.postgres

_ids = itertools.count(900_000_000)


def key() -> str:
    return str(uuid.uuid4())


async def assert_invariants() -> None:
    ledger_report, reservation_report = await check_ledger(), await check_reservations()
    assert ledger_report.ok, ledger_report.problems
    assert reservation_report.ok, reservation_report.problems


async def test_fifty_reservations_for_the_last_ten_units_reserve_exactly_ten(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "10", idempotency_key=key(), actor_id=admin.user_id)
    document = next(_ids)

    async def reserve_one(line: int) -> Decimal:
        done = await reservations.reserve("sales.order", document, line, place.sku, place.warehouse, "1",
                                          actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
        assert done.reservation is not None
        return done.reservation.reserved

    await asyncio.wait_for(asyncio.gather(*(reserve_one(line) for line in range(1, 51))), timeout=60)
    found = await reservations.reservations_of_document("sales.order", document, limit=100)
    assert len(found) == 50
    assert sum(r.reserved for r in found) == 10
    assert all(r.reserved in (0, 1) for r in found)
    (level,) = await stock_levels(sku=place.sku)
    assert (level.on_hand, level.reserved) == (Decimal(10), Decimal(10))
    await assert_invariants()


async def test_scraps_counts_receipts_and_reservations_at_once_keep_reserved_within_on_hand(
    place: Place, admin: Actor
) -> None:
    for bin_ in (place.bin_a, place.bin_b):
        await ledger.receive(place.sku, bin_, "20", idempotency_key=key(), actor_id=admin.user_id)
    document = next(_ids)

    async def reserve(line: int) -> None:
        await reservations.reserve("sales.order", document, line, place.sku, place.warehouse, "3",
                                   priority=line % 3, actor_id=admin.user_id, idempotency_key=key())  # fmt: skip

    async def scrap(bin_: str) -> None:
        await ledger.issue(place.sku, bin_, "2", reason=ledger.IssueReason.SCRAP, idempotency_key=key(),
                           actor_id=admin.user_id)  # fmt: skip

    async def receive(bin_: str) -> None:
        await ledger.receive(place.sku, bin_, "1", idempotency_key=key(), actor_id=admin.user_id)

    async def release(line: int) -> None:
        await reservations.release("sales.order", document, line, actor_id=admin.user_id, idempotency_key=key())

    for line in range(1, 11):
        await reserve(line)
    work = [reserve(line) for line in range(11, 21)]
    work += [scrap(place.bin_a if n % 2 else place.bin_b) for n in range(8)]
    work += [receive(place.bin_a if n % 2 else place.bin_b) for n in range(6)]
    work += [release(line) for line in range(1, 5)]
    await asyncio.wait_for(asyncio.gather(*work), timeout=60)
    await assert_invariants()
    for level in await stock_levels(sku=place.sku):
        assert level.reserved <= level.on_hand


async def test_the_quants_of_a_reservation_are_locked_for_update(place: Place, admin: Actor, sql_log: SQLLog) -> None:
    await ledger.receive(place.sku, place.bin_a, "2", idempotency_key=key(), actor_id=admin.user_id)
    sql_log.statements.clear()
    await reservations.reserve("sales.order", next(_ids), 1, place.sku, place.warehouse, "1",
                               actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
    locks = [s for s in sql_log.statements if s.lstrip().startswith("SELECT id FROM quant")]
    assert locks and all(s.rstrip().endswith("FOR UPDATE") for s in locks), locks
    demand_reads = [s for s in sql_log.statements if "FROM stock_demand WHERE" in s and "waiting" in s]
    assert demand_reads and all(s.rstrip().endswith("FOR UPDATE") for s in demand_reads)
