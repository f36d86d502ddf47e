"""Idempotent writes: the first result is kept and replayed; a key cannot be reused for another request."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.idempotency import IdempotencyKeyReused
from server.inventory import ledger
from server.inventory.check import check_ledger
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
    with pytest.raises(ledger.InsufficientStock):
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
