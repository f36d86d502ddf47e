"""A zone's limits cap the bins under it together: set before or after its bins exist, cleared again,
and kept under concurrent receipts into different bins (PostgreSQL; SQLite runs one writer at a time)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server.errors import DomainError
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import LocationSettings, create_location, update_location
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, unique


async def _received(sku: str, bin_code: str, quantity: str, admin: Actor) -> str | None:
    """None when booked, else the refusal's code."""
    try:
        await ledger.receive(sku, bin_code, quantity, idempotency_key=str(uuid.uuid4()), actor_id=admin.user_id)
    except DomainError as error:
        return error.code.value
    return None


async def _zone(place: Place, admin: Actor, bins: int, settings: LocationSettings | None = None) -> list[str]:
    """A zone (first code) with ``bins`` bins under it (the other codes)."""
    zone = unique("Z")
    await create_location(place.warehouse, zone, zone, settings=settings, actor_id=admin.user_id)
    codes = [unique("ZB") for _ in range(bins)]
    for code in codes:
        await create_location(place.warehouse, code, code, parent_code=zone, actor_id=admin.user_id)
    return [zone, *codes]


async def _held_under(zone: str) -> Decimal:
    return sum((level.on_hand for level in await stock_levels(location_code=zone)), Decimal(0))


async def test_a_zones_unit_limit_caps_its_bins_together(place: Place, admin: Actor) -> None:
    zone, bin_a, bin_b = await _zone(place, admin, 2, LocationSettings(max_units="10"))

    assert await _received(place.sku, bin_a, "6", admin) is None
    assert await _received(place.sku, bin_b, "5", admin) == "CAPACITY_EXCEEDED"
    assert await _received(place.sku, bin_b, "4", admin) is None
    moved = await ledger.move(place.sku, bin_a, bin_b, "6", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))

    assert moved.moves and await _held_under(zone) == Decimal(10)  # moving inside the zone adds nothing
    assert await _received(place.sku, place.bin_a, "5", admin) is None  # outside the zone: its limits only


async def test_limits_set_on_a_zone_later_bind_its_bins_and_cleared_free_them(place: Place, admin: Actor) -> None:
    zone, bin_a = await _zone(place, admin, 1)
    deeper = unique("ZZ")
    await create_location(place.warehouse, deeper, deeper, parent_code=zone, actor_id=admin.user_id)
    inner = unique("ZZB")
    await create_location(place.warehouse, inner, inner, parent_code=deeper, actor_id=admin.user_id)
    assert await _received(place.sku, bin_a, "3", admin) is None

    await update_location(zone, LocationSettings(max_units="5"), actor_id=admin.user_id)
    refused = await _received(place.sku, inner, "3", admin)  # two levels down: 6 of 5
    late = unique("ZB")
    await create_location(place.warehouse, late, late, parent_code=deeper, actor_id=admin.user_id)
    late_refused = await _received(place.sku, late, "3", admin)  # a bin made after the limit inherits it
    await update_location(zone, LocationSettings(max_units=None), actor_id=admin.user_id)
    freed = await _received(place.sku, inner, "3", admin)

    assert (refused, late_refused, freed) == ("CAPACITY_EXCEEDED", "CAPACITY_EXCEEDED", None)
    assert await _held_under(zone) == Decimal(6)


async def test_a_zones_weight_limit_and_a_bins_own_limit_both_hold(place: Place, admin: Actor) -> None:
    from server.inventory.capacity import set_product_weight

    _, bin_a, bin_b = await _zone(place, admin, 2, LocationSettings(max_weight_kg="10"))
    await update_location(bin_a, LocationSettings(max_units="2"), actor_id=admin.user_id)
    await set_product_weight(place.sku, "2", actor_id=admin.user_id)

    assert await _received(place.sku, bin_a, "3", admin) == "CAPACITY_EXCEEDED"  # the bin's own limit
    assert await _received(place.sku, bin_a, "2", admin) is None  # 4 kg
    assert await _received(place.sku, bin_b, "4", admin) == "CAPACITY_EXCEEDED"  # 12 kg of 10 in the zone
    assert await _received(place.sku, bin_b, "3", admin) is None  # 10 kg


@pytest.mark.postgres
async def test_receipts_racing_into_different_bins_of_a_zone_never_exceed_it(place: Place, admin: Actor) -> None:
    for _ in range(3):
        zone, *bins = await _zone(place, admin, 8, LocationSettings(max_units="5"))
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(_received(place.sku, code, "1", admin) for code in bins * 2)), timeout=60
        )
        assert outcomes.count(None) == 5 and set(outcomes) == {None, "CAPACITY_EXCEEDED"}, outcomes
        assert await _held_under(zone) == Decimal(5)
    assert [p for p in (await check_ledger()).problems if p.startswith(place.sku)] == []
