"""Idempotent writes: the first result is kept and replayed; a key cannot be reused for another request."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from tortoise.transactions import in_transaction

from server.idempotency import IdempotencyKeyReused
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.errors import InsufficientStock
from server.inventory.models import StockMove
from tests.conftest import Actor, Place


async def test_the_same_key_sent_again_replays_the_first_result(place: Place, admin: Actor) -> None:
    key = str(uuid.uuid4())
    first = await ledger.receive(place.sku, place.bin_a, "3", idempotency_key=key, actor_id=admin.user_id)
    again = await ledger.receive(place.sku, place.bin_a, "3", idempotency_key=key, actor_id=admin.user_id)

    assert (first.replayed, again.replayed) == (False, True)
    assert [m.id for m in again.moves] == [m.id for m in first.moves]
    assert await StockMove.filter(product__sku=place.sku).count() == 1


async def test_a_key_reused_for_a_different_request_is_refused(place: Place, admin: Actor) -> None:
    key = str(uuid.uuid4())
    await ledger.receive(place.sku, place.bin_a, "3", idempotency_key=key, actor_id=admin.user_id)
    with pytest.raises(IdempotencyKeyReused):
        await ledger.receive(place.sku, place.bin_a, "4", idempotency_key=key, actor_id=admin.user_id)
    with pytest.raises(IdempotencyKeyReused):
        await ledger.issue(place.sku, place.bin_a, "3", idempotency_key=key, actor_id=admin.user_id)
    assert await StockMove.filter(product__sku=place.sku).count() == 1


async def test_a_failed_write_keeps_no_key_so_a_retry_runs_afresh(place: Place, admin: Actor) -> None:
    key = str(uuid.uuid4())
    with pytest.raises(InsufficientStock):
        await ledger.issue(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)
    await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    retried = await ledger.issue(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)
    assert not retried.replayed and len(retried.moves) == 1


async def test_the_same_key_sent_many_times_at_once_writes_once(place: Place, admin: Actor) -> None:
    key = str(uuid.uuid4())
    postings = await asyncio.gather(
        *(ledger.receive(place.sku, place.bin_a, "2", idempotency_key=key, actor_id=admin.user_id) for _ in range(20))
    )
    assert sum(not p.replayed for p in postings) == 1
    assert len({p.moves[0].id for p in postings}) == 1
    assert await StockMove.filter(product__sku=place.sku).count() == 1
    assert (await check_ledger()).ok


async def test_keys_belong_to_their_user(place: Place, admin: Actor) -> None:
    from tests.conftest import make_actor

    other = await make_actor("clerk")
    key = str(uuid.uuid4())
    mine = await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)
    theirs = await ledger.receive(place.sku, place.bin_a, "5", idempotency_key=key, actor_id=other.user_id)

    assert not theirs.replayed, "another user's key must neither replay nor reveal the first result"
    assert theirs.moves[0].id != mine.moves[0].id
    assert await StockMove.filter(product__sku=place.sku).count() == 2


async def test_a_retry_replays_even_after_the_product_changed(place: Place, admin: Actor) -> None:
    from server.catalog.service import set_archived

    key = str(uuid.uuid4())
    first = await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)
    await set_archived(place.sku, True, actor_id=admin.user_id)
    again = await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)
    assert again.replayed and [m.id for m in again.moves] == [m.id for m in first.moves]


async def test_a_transaction_the_database_aborted_runs_again_once(
    place: Place, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL aborts one side of a deadlock; the whole write then runs again and books once."""
    from asyncpg.exceptions import DeadlockDetectedError

    from server.inventory import posting

    real_post, calls = posting.post, []

    async def post_deadlocking_once(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise DeadlockDetectedError("deadlock detected")
        return await real_post(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger, "post", post_deadlocking_once)
    posting_ = await ledger.receive(place.sku, place.bin_a, "4", idempotency_key=str(uuid.uuid4()),
                                    actor_id=admin.user_id)  # fmt: skip
    assert len(calls) == 2 and not posting_.replayed
    assert await StockMove.filter(product__sku=place.sku).count() == 1
    assert (await check_ledger()).ok


async def test_a_key_stored_before_codes_were_case_free_still_replays(place: Place, admin: Actor) -> None:
    from decimal import Decimal

    from server import sql
    from server.idempotency.service import request_hash

    key = str(uuid.uuid4())
    typed = {"sku": f" {place.sku.lower()}", "location": place.bin_a.lower()}
    first = await ledger.receive(typed["sku"], typed["location"], "3", idempotency_key=key, actor_id=admin.user_id)
    # As the version before migration 0002 stored it: the codes as typed, trimmed.
    before = {"sku": typed["sku"].strip(), "location": typed["location"], "quantity": Decimal("3.0000"), "lot": None,
              "expires_on": None}  # fmt: skip
    async with in_transaction() as conn:
        await sql.execute(conn, "UPDATE idempotency_record SET request_hash = $1 WHERE key = $2",
                          request_hash("stock.receive", before), key)  # fmt: skip
    again = await ledger.receive(typed["sku"], typed["location"], "3", idempotency_key=key, actor_id=admin.user_id)
    assert again.replayed and [m.id for m in again.moves] == [m.id for m in first.moves]
    with pytest.raises(IdempotencyKeyReused):
        await ledger.receive(typed["sku"], typed["location"], "4", idempotency_key=key, actor_id=admin.user_id)


async def test_a_retry_that_would_fail_on_its_own_replays_the_first_result(place: Place, admin: Actor) -> None:
    """The key is claimed as the write commits: a retry runs until then, and the last unit it would
    take is gone, taken by its own first attempt. It must answer that attempt, not INSUFFICIENT_STOCK."""
    await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    key = str(uuid.uuid4())
    first = await ledger.issue(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)
    again = await ledger.issue(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id)

    assert (first.replayed, again.replayed) == (False, True)
    assert [m.id for m in again.moves] == [m.id for m in first.moves]
    assert await StockMove.filter(product__sku=place.sku, kind="issue").count() == 1
    assert (await check_ledger()).ok


async def test_the_last_unit_issued_many_times_at_once_with_one_key_goes_once(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    key = str(uuid.uuid4())
    postings = await asyncio.gather(
        *(ledger.issue(place.sku, place.bin_a, "1", idempotency_key=key, actor_id=admin.user_id) for _ in range(20))
    )
    assert sum(not p.replayed for p in postings) == 1
    assert len({p.moves[0].id for p in postings}) == 1
    assert await StockMove.filter(product__sku=place.sku, kind="issue").count() == 1
    assert (await check_ledger()).ok


async def test_a_key_reused_for_another_request_that_fails_on_its_own_is_still_called_reused(
    place: Place, admin: Actor
) -> None:
    key = str(uuid.uuid4())
    await ledger.receive(place.sku, place.bin_a, "3", idempotency_key=key, actor_id=admin.user_id)
    with pytest.raises(IdempotencyKeyReused):  # it would also lack stock: the key is what is wrong
        await ledger.issue(place.sku, place.bin_a, "30", idempotency_key=key, actor_id=admin.user_id)
