"""Many clients at once on PostgreSQL (SQLite serialises writers and has no row locks)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.errors import InsufficientStock
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, SQLLog

pytestmark = pytest.mark.postgres


async def test_many_clients_issuing_the_last_units_never_oversell(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "10", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)

    async def take_one() -> bool:
        try:
            await ledger.issue(place.sku, place.bin_a, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
        except InsufficientStock:
            return False
        return True

    outcomes = await asyncio.gather(*(take_one() for _ in range(40)))

    assert outcomes.count(True) == 10
    assert outcomes.count(False) == 30
    levels = await stock_levels(sku=place.sku, include_empty=True)
    assert [level.on_hand for level in levels] == [Decimal(0)]
    assert (await check_ledger()).ok


async def test_first_receipts_of_the_same_product_racing_create_one_quant(place: Place, admin: Actor) -> None:
    await asyncio.gather(
        *(
            ledger.receive(place.sku, place.bin_b, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
            for _ in range(20)
        )
    )
    levels = await stock_levels(sku=place.sku, location_code=place.bin_b)
    assert [level.on_hand for level in levels] == [Decimal(20)]


async def test_moves_crossing_in_opposite_directions_do_not_deadlock(place: Place, admin: Actor) -> None:
    for bin_code in (place.bin_a, place.bin_b):
        await ledger.receive(place.sku, bin_code, "50", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)

    async def shuttle(source: str, target: str) -> None:
        await ledger.move(place.sku, source, target, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)

    await asyncio.wait_for(
        asyncio.gather(
            *(shuttle(place.bin_a, place.bin_b) if i % 2 else shuttle(place.bin_b, place.bin_a) for i in range(30))
        ),
        timeout=30,
    )
    assert (await check_ledger()).ok


async def test_the_quant_lock_is_really_for_update(place: Place, admin: Actor, sql_log: SQLLog) -> None:
    """Tortoise silently drops FOR UPDATE in some query shapes; check what reaches the database."""
    await ledger.receive(place.sku, place.bin_a, "2", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    sql_log.statements.clear()
    await ledger.issue(place.sku, place.bin_a, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)

    quant_reads = [s for s in sql_log.statements if s.lstrip().upper().startswith("SELECT") and "FROM quant" in s]
    assert quant_reads, sql_log.statements
    assert all(s.rstrip().endswith("FOR UPDATE") for s in quant_reads), quant_reads


async def test_counts_of_a_new_bin_at_once_book_the_count_once(place: Place, admin: Actor) -> None:
    """With no quant yet there is no row to lock; the count creates it first so the others wait."""
    await asyncio.gather(
        *(
            ledger.adjust(place.sku, place.bin_b, "5", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
            for _ in range(5)
        )
    )
    levels = await stock_levels(sku=place.sku, location_code=place.bin_b)
    assert [level.on_hand for level in levels] == [Decimal(5)]
    assert (await check_ledger()).ok


async def test_a_posting_really_holds_the_product_and_its_locations_for_share(
    place: Place, admin: Actor, sql_log: SQLLog
) -> None:

    await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    lookups = [s for s in sql_log.statements if "FROM product, location" in s]
    assert lookups and all(s.rstrip().endswith("FOR SHARE") for s in lookups), lookups


async def _only_one_takes_the_code(
    first: Callable[[str], Awaitable[Any]], second: Callable[[str], Awaitable[Any]]
) -> None:
    """Twenty rounds of two writes claiming one fresh code at once: exactly one may have it."""
    from server.errors import AlreadyExists
    from tests.conftest import unique

    async def made(creation: Awaitable[Any]) -> bool:
        try:
            await creation
        except AlreadyExists:
            return False
        return True

    for _ in range(20):
        code = unique("CODE")
        outcomes = await asyncio.gather(made(first(code)), made(second(code)))
        assert outcomes.count(True) == 1, (code, outcomes)


async def test_a_location_and_a_product_created_at_once_never_share_a_code(place: Place, admin: Actor) -> None:
    from server.catalog.service import ProductDetails, create_product
    from server.inventory.locations import create_location

    await _only_one_takes_the_code(
        lambda code: create_location(place.warehouse, code, code, actor_id=admin.user_id),
        lambda code: create_product(code, ProductDetails(name=code), actor_id=admin.user_id),
    )


async def test_a_sku_and_another_products_barcode_claimed_at_once_never_share_a_code(admin: Actor) -> None:
    from server.catalog.service import ProductDetails, create_product
    from tests.conftest import unique

    await _only_one_takes_the_code(
        lambda code: create_product(code, ProductDetails(name="By SKU"), actor_id=admin.user_id),
        lambda code: create_product(
            unique("OTHER"), ProductDetails(name="By barcode", barcodes=[code]), actor_id=admin.user_id
        ),
    )
