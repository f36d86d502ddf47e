"""Races on counts, on PostgreSQL (review of issue 10 points 1 and 2): two approvals at once, approve against
cancel, a recount against the approval, finishing a bin while scans land. These pin what holds."""

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


async def _plan(place: Place, store: str, admin: Actor, **extra: object) -> int:
    command = plans.checked(store, place.warehouse, "warehouse", **extra)  # type: ignore[arg-type]
    return int((await plans.plan_count(command, actor_id=admin.user_id)).id)


async def _scan(count_id: int, bin_: str, sku: str, quantity: str, actor: Actor) -> str | None:
    try:
        command = counting.record_command(count_id, counting.line_key(bin_, sku, None, None), quantity, "add")
        await counting.record(command, actor_id=actor.user_id, idempotency_key=_key())
    except DomainError as error:
        return error.code.value
    return None


async def _outcome(work: object) -> str:
    try:
        await work  # type: ignore[misc]
    except ManyErrors as error:
        return ",".join(e.code.value for e in error.errors)
    except DomainError as error:
        return error.code.value
    return "ok"


async def _levels(sku: str) -> set[tuple[str, Decimal]]:
    return {(level.location_code, level.on_hand) for level in await stock_levels(sku=sku)}


async def _counted(place: Place, store: str, admin: Actor) -> int:
    """A count of the place: bin A holds 10, counted 7; bin B finished empty."""
    await ledger.receive(place.sku, place.bin_a, "10", actor_id=admin.user_id, idempotency_key=_key())
    count_id = await _plan(place, store, admin)
    assert await _scan(count_id, place.bin_a, place.sku, "7", admin) is None
    for bin_ in (place.bin_a, place.bin_b):
        await counting.finish_bin(count_id, bin_, actor_id=admin.user_id)
    return count_id


async def test_two_approvals_at_once_book_the_difference_once(place: Place, store: str, admin: Actor) -> None:
    count_id = await _counted(place, store, admin)

    outcomes = await asyncio.gather(
        *(_outcome(approval.approve(count_id, version=None, actor_id=admin.user_id, idempotency_key=_key()))
          for _ in range(4))
    )  # fmt: skip

    assert sorted(outcomes).count("ok") == 1, outcomes
    assert await _levels(place.sku) == {(place.bin_a, Decimal(7))}
    assert (await check_ledger()).ok


async def test_a_retried_approval_with_the_same_key_racing_itself_books_once(
    place: Place, store: str, admin: Actor
) -> None:
    count_id = await _counted(place, store, admin)
    same = _key()

    outcomes = await asyncio.gather(
        *(_outcome(approval.approve(count_id, version=None, actor_id=admin.user_id, idempotency_key=same))
          for _ in range(4))
    )  # fmt: skip

    assert outcomes == ["ok"] * 4, outcomes  # the retries replay the first answer
    assert await _levels(place.sku) == {(place.bin_a, Decimal(7))}
    assert (await check_ledger()).ok


async def test_approve_against_cancel_ends_in_one_state_and_frees_the_bins(
    place: Place, store: str, admin: Actor
) -> None:
    count_id = await _counted(place, store, admin)

    approved, cancelled = await asyncio.gather(
        _outcome(approval.approve(count_id, version=None, actor_id=admin.user_id, idempotency_key=_key())),
        _outcome(approval.cancel(count_id, version=None, actor_id=admin.user_id, idempotency_key=_key())),
    )

    assert sorted([approved, cancelled]) in (["ILLEGAL_TRANSITION", "ok"], ["STALE", "ok"]), (approved, cancelled)
    expected = Decimal(7) if approved == "ok" else Decimal(10)
    assert await _levels(place.sku) == {(place.bin_a, expected)}
    held = await sql.fetch(connection(), "SELECT 1 AS x FROM bin_under_count WHERE count_id = $1", count_id)
    assert held == []
    assert (await check_ledger()).ok


async def test_a_recount_racing_the_approval_is_booked_or_refused(place: Place, store: str, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "10", actor_id=admin.user_id, idempotency_key=_key())
    count_id = await _plan(place, store, admin, recount_units=Decimal(1))
    assert await _scan(count_id, place.bin_a, place.sku, "5", admin) is None
    for bin_ in (place.bin_a, place.bin_b):
        await counting.finish_bin(count_id, bin_, actor_id=admin.user_id)
    other = await make_actor("counter")
    command = counting.recount_command(count_id, counting.line_key(place.bin_a, place.sku, None, None), "9")

    approved, recounted = await asyncio.gather(
        _outcome(approval.approve(count_id, version=None, actor_id=admin.user_id, idempotency_key=_key())),
        _outcome(counting.recount(command, actor_id=other.user_id, idempotency_key=_key())),
    )

    if approved == "ok":
        assert recounted == "ok"  # an approval passes only with the recount made
        assert await _levels(place.sku) == {(place.bin_a, Decimal(9))}
    else:
        assert await _levels(place.sku) == {(place.bin_a, Decimal(10))}
    assert (await check_ledger()).ok


async def test_finishing_a_bin_while_scans_land_loses_no_accepted_scan(place: Place, store: str, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "10", actor_id=admin.user_id, idempotency_key=_key())
    count_id = await _plan(place, store, admin)
    counters = [await make_actor("counter") for _ in range(6)]

    results = await asyncio.gather(
        _outcome(counting.finish_bin(count_id, place.bin_a, actor_id=admin.user_id, idempotency_key=_key())),
        *(_scan(count_id, place.bin_a, place.sku, "1", c) for c in counters),
    )

    accepted = [r for r in results[1:] if r is None]
    assert results[0] == "ok" and set(results[1:]) <= {None, "ILLEGAL_TRANSITION"}, results
    rows = await sql.fetch(
        connection(),
        "SELECT l.expected, (SELECT SUM(quantity) FROM count_tally t WHERE t.line_id = l.id) AS counted"
        " FROM count_line l JOIN count_bin b ON b.id = l.bin_id WHERE b.count_id = $1",
        count_id,
    )
    assert [(Decimal(r["expected"]), Decimal(r["counted"] or 0)) for r in rows] == [
        (Decimal(10), Decimal(len(accepted)))
    ]
