"""Counts under concurrent work, on PostgreSQL (SQLite runs one writer at a time).

Many counters start one bin at once: its expected quantities are read once. Scans racing the approval
either land before it (and are booked) or are refused after it (and change nothing). Two plans racing
for the same bins: one wins, the other is refused whole.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server import sql
from server.db import connection
from server.errors import DomainError, ManyErrors
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.counts import approval, counting, plans
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, make_actor

pytestmark = pytest.mark.postgres


def _key() -> str:
    return str(uuid.uuid4())


async def _plan(place: Place, store: str, admin: Actor) -> int:
    command = plans.checked(store, place.warehouse, "warehouse")
    return int((await plans.plan_count(command, actor_id=admin.user_id)).id)


async def _scan(count_id: int, bin_: str, sku: str, quantity: str, actor: Actor) -> str | None:
    try:
        command = counting.record_command(count_id, counting.line_key(bin_, sku, None, None), quantity, "add")
        await counting.record(command, actor_id=actor.user_id, idempotency_key=_key())
    except DomainError as error:
        return error.code.value
    return None


async def test_counters_starting_one_bin_at_once_read_its_expected_quantity_once(
    place: Place, store: str, admin: Actor
) -> None:
    await ledger.receive(place.sku, place.bin_a, "10", actor_id=admin.user_id, idempotency_key=_key())
    count_id = await _plan(place, store, admin)
    counters = [await make_actor("counter") for _ in range(8)]

    refused = await asyncio.gather(*(_scan(count_id, place.bin_a, place.sku, "1", c) for c in counters))

    lines = await sql.fetch(
        connection(),
        "SELECT l.expected, (SELECT SUM(quantity) FROM count_tally t WHERE t.line_id = l.id) AS counted"
        " FROM count_line l JOIN count_bin b ON b.id = l.bin_id WHERE b.count_id = $1",
        count_id,
    )
    assert refused == [None] * 8
    assert [(Decimal(r["expected"]), Decimal(r["counted"])) for r in lines] == [(Decimal(10), Decimal(8))]


async def test_scans_racing_the_approval_are_booked_or_refused_never_lost(
    place: Place, store: str, admin: Actor
) -> None:
    await ledger.receive(place.sku, place.bin_a, "50", actor_id=admin.user_id, idempotency_key=_key())
    count_id = await _plan(place, store, admin)
    await _scan(count_id, place.bin_a, place.sku, "40", admin)
    for bin_ in (place.bin_a, place.bin_b):
        await counting.finish_bin(count_id, bin_, actor_id=admin.user_id)
    counter = await make_actor("counter")

    async def approve() -> None:
        await approval.approve(count_id, version=None, actor_id=admin.user_id)

    outcomes = await asyncio.gather(
        approve(), *(_scan(count_id, place.bin_b, place.sku, "1", counter) for _ in range(6)), return_exceptions=True
    )

    assert outcomes[0] is None and set(outcomes[1:]) == {"ILLEGAL_TRANSITION"}  # bin_b was finished before
    levels = {(level.location_code, level.on_hand) for level in await stock_levels(sku=place.sku)}
    assert levels == {(place.bin_a, Decimal(40))}
    assert (await check_ledger()).ok


async def test_two_plans_racing_for_the_same_bins_make_one_count(place: Place, store: str, admin: Actor) -> None:
    async def attempt() -> int | str:
        try:
            return await _plan(place, store, admin)
        except (DomainError, ManyErrors) as error:
            return getattr(error, "code", "MANY")

    outcomes = await asyncio.gather(*(attempt() for _ in range(6)))

    assert len([o for o in outcomes if isinstance(o, int)]) == 1, outcomes
    claimed = await sql.fetch(
        connection(), "SELECT DISTINCT count_id FROM bin_under_count b JOIN location l ON l.id = b.location_id"
        " WHERE l.code IN ($1, $2)", place.bin_a, place.bin_b,
    )  # fmt: skip
    assert len(claimed) == 1
