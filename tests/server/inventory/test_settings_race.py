"""A change of a product's settings racing the postings that rely on them, on PostgreSQL.

Receipts read whether a product is tracked by lot and whether it is archived; a change of either
must wait for the receipts in flight and be seen by those after it. Run many rounds: the race is
in the timing, and one round proves little.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest

from server.catalog.models import Product
from server.catalog.service import ProductDetails, create_product, set_archived, update_product
from server.errors import Invalid
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, unique

pytestmark = pytest.mark.postgres

ROUNDS = 25
RECEIPTS = 12


async def _refused_or_done(action: Awaitable[object]) -> bool:
    try:
        await action
    except Invalid:
        return False
    return True


async def _race(
    admin: Actor, place: Place, sku: str, change: Callable[[], Awaitable[object]], *, lot: str | None = None
) -> list[bool]:
    """Receipts of one unit each, with the change sent in their midst, all at once."""
    who = {"actor_id": admin.user_id}
    work = [
        _refused_or_done(ledger.receive(sku, place.bin_a, "1", lot=lot, idempotency_key=str(uuid.uuid4()), **who))
        for _ in range(RECEIPTS)
    ]
    work.insert(RECEIPTS // 2, _refused_or_done(change()))
    return list(await asyncio.gather(*work))


async def _problems_of(sku: str) -> list[str]:
    """What the ledger check finds about this product (other tests' products are theirs to check)."""
    return [problem for problem in (await check_ledger()).problems if problem.startswith(sku)]


async def _stock(sku: str) -> list[tuple[str | None, Decimal]]:
    return [(level.lot_code, level.on_hand) for level in await stock_levels(sku=sku)]


async def test_turning_lot_tracking_on_during_receipts_leaves_no_stock_without_a_lot(
    place: Place, admin: Actor
) -> None:
    for _ in range(ROUNDS):
        sku = unique("RACE")
        await create_product(sku, ProductDetails(name="Race"), actor_id=admin.user_id)

        def change(sku: str = sku) -> Awaitable[object]:
            return update_product(sku, ProductDetails(tracks_lots=True), actor_id=admin.user_id)

        await _race(admin, place, sku, change)
        product = await Product.get(sku=sku)
        stock = await _stock(sku)
        if product.tracks_lots:  # the change won: it found no stock, and every later receipt lacked its lot
            assert stock == []
        else:  # a receipt won: the change was refused, and every receipt is in stock without a lot
            assert stock and all(lot is None for lot, _ in stock)
        assert await _problems_of(sku) == []


async def test_turning_lot_tracking_off_during_receipts_leaves_no_stock_in_a_lot(place: Place, admin: Actor) -> None:
    for _ in range(ROUNDS):
        sku = unique("RACE")
        await create_product(sku, ProductDetails(name="Race", tracks_lots=True), actor_id=admin.user_id)

        def change(sku: str = sku) -> Awaitable[object]:
            return update_product(sku, ProductDetails(tracks_lots=False), actor_id=admin.user_id)

        await _race(admin, place, sku, change, lot="L1")
        product = await Product.get(sku=sku)
        stock = await _stock(sku)
        assert stock == [] if not product.tracks_lots else all(lot == "L1" for lot, _ in stock)
        assert await _problems_of(sku) == []


async def test_archiving_during_receipts_lets_none_in_after_it(place: Place, admin: Actor) -> None:
    for _ in range(ROUNDS):
        sku = unique("RACE")
        await create_product(sku, ProductDetails(name="Race"), actor_id=admin.user_id)

        def change(sku: str = sku) -> Awaitable[object]:
            return set_archived(sku, True, actor_id=admin.user_id)

        outcomes = await _race(admin, place, sku, change)
        stock = await _stock(sku)
        received = sum((quantity for _, quantity in stock), Decimal(0))
        assert received == outcomes.count(True) - 1  # the archive itself always succeeds
        assert await _problems_of(sku) == []
