"""Bin limits under concurrent postings, on PostgreSQL (SQLite runs one writer at a time).

Receipts of different products into one bin lock different quants: only the bin's own lock stops
two of them from both seeing room for themselves. Run many at once, several rounds.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server.catalog.service import ProductDetails, create_product
from server.errors import DomainError
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import LocationSettings, create_location, update_location
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, SQLLog, unique

pytestmark = pytest.mark.postgres

ROUNDS = 5
RACERS = 16


async def _products(admin: Actor, count: int) -> list[str]:
    skus = [unique("RACE") for _ in range(count)]
    for sku in skus:
        await create_product(sku, ProductDetails(name="Racer"), actor_id=admin.user_id)
    return skus


async def _received(sku: str, bin_code: str, quantity: str, admin: Actor) -> str | None:
    """None when booked, else the refusal's code."""
    try:
        await ledger.receive(sku, bin_code, quantity, idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    except DomainError as error:
        return error.code.value
    return None


async def _on_hand(bin_code: str) -> dict[str, Decimal]:
    return {level.sku: level.on_hand for level in await stock_levels(location_code=bin_code)}


async def _fresh_bin(place: Place, admin: Actor, settings: LocationSettings) -> str:
    code = unique("BIN")
    await create_location(place.warehouse, code, code, actor_id=admin.user_id)
    await update_location(code, settings, actor_id=admin.user_id)
    return code


async def _ledger_is_sound(skus: list[str]) -> None:
    assert [p for p in (await check_ledger()).problems if p.startswith(tuple(skus))] == []


async def test_receipts_of_many_products_racing_into_a_nearly_full_bin_never_exceed_its_capacity(
    place: Place, admin: Actor
) -> None:
    for _ in range(ROUNDS):
        bin_code = await _fresh_bin(place, admin, LocationSettings(max_units="10"))
        assert await _received(place.sku, bin_code, "8", admin) is None
        racers = await _products(admin, RACERS)
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(_received(sku, bin_code, "1", admin) for sku in racers)), timeout=60
        )
        assert outcomes.count(None) == 2 and outcomes.count("CAPACITY_EXCEEDED") == RACERS - 2, outcomes
        held = await _on_hand(bin_code)
        assert sum(held.values(), Decimal(0)) == 10
        await _ledger_is_sound([place.sku, *racers])


async def test_receipts_racing_into_a_bin_by_weight_never_exceed_its_weight(place: Place, admin: Actor) -> None:
    from server.inventory.capacity import set_product_weight

    bin_code = await _fresh_bin(place, admin, LocationSettings(max_weight_kg="10"))
    racers = await _products(admin, RACERS)
    for sku in racers:
        await set_product_weight(sku, "3", actor_id=admin.user_id)
    outcomes = await asyncio.gather(*(_received(sku, bin_code, "1", admin) for sku in racers))
    assert outcomes.count(None) == 3  # 9 kg of 10
    await _ledger_is_sound(racers)


async def test_first_receipts_of_different_products_racing_into_a_same_product_bin_let_one_in(
    place: Place, admin: Actor
) -> None:
    for _ in range(ROUNDS):
        bin_code = await _fresh_bin(place, admin, LocationSettings(mixing="same_product"))
        racers = await _products(admin, RACERS // 2)
        outcomes = await asyncio.gather(*(_received(sku, bin_code, "1", admin) for sku in racers * 2))
        held = await _on_hand(bin_code)
        assert len(held) == 1 and outcomes.count(None) == 2, (held, outcomes)  # the winner's two receipts
        assert set(outcomes) == {None, "MIXING_REFUSED"}
        await _ledger_is_sound(racers)


async def test_changing_a_bins_limits_during_receipts_neither_deadlocks_nor_loses_a_posting(
    place: Place, admin: Actor
) -> None:
    for _ in range(ROUNDS):
        bin_code = await _fresh_bin(place, admin, LocationSettings(max_units="1000"))
        racers = await _products(admin, RACERS)
        work = [_received(sku, bin_code, "1", admin) for sku in racers]
        change = update_location(bin_code, LocationSettings(max_units="4"), actor_id=admin.user_id)
        work.insert(RACERS // 2, change)  # type: ignore[arg-type]
        outcomes = await asyncio.wait_for(asyncio.gather(*work), timeout=60)
        receipts = outcomes[: RACERS // 2] + outcomes[RACERS // 2 + 1 :]
        held = await _on_hand(bin_code)
        assert sum(held.values(), Decimal(0)) == receipts.count(None)
        # Those after the change saw it: at most 4 got in once it held, unless more were in before it.
        assert receipts.count(None) == RACERS or set(receipts) <= {None, "CAPACITY_EXCEEDED"}
        await _ledger_is_sound(racers)


async def test_a_limited_bin_is_locked_for_its_check_and_a_settings_change_locks_the_location(
    place: Place, admin: Actor, sql_log: SQLLog
) -> None:
    bin_code = await _fresh_bin(place, admin, LocationSettings(max_units="10"))
    sql_log.statements.clear()
    assert await _received(place.sku, bin_code, "1", admin) is None
    assert any("pg_advisory_xact_lock" in s for s in sql_log.statements), sql_log.statements
    sql_log.statements.clear()
    await update_location(bin_code, LocationSettings(sellable=False), actor_id=admin.user_id)
    reads = [s for s in sql_log.statements if s.lstrip().upper().startswith("SELECT") and '"location"' in s]
    assert reads and all("FOR UPDATE" in s for s in reads), reads
