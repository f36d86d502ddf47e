"""Stock per product for a page of products: the first levels of each, and exact totals, one query each."""

from __future__ import annotations

import uuid
from decimal import Decimal

from server.catalog.models import Product
from server.catalog.service import ProductDetails, create_product
from server.inventory import ledger
from server.inventory.locations import create_location
from server.inventory.stock import levels_by_product, on_hand_by_product
from tests.conftest import Actor, Place, SQLLog, unique

LARGEST = Decimal("999999999999.9999")  # a float has 15-17 significant digits: sums of these would round


async def receive(sku: str, location: str, quantity: Decimal, actor: Actor) -> None:
    await ledger.receive(sku, location, quantity, actor_id=actor.user_id, idempotency_key=str(uuid.uuid4()))


async def bins(place: Place, actor: Actor, count: int) -> list[str]:
    codes = [place.bin_a, place.bin_b]
    while len(codes) < count:
        codes.append(unique("BIN"))
        await create_location(place.warehouse, codes[-1], codes[-1], actor_id=actor.user_id)
    return codes[:count]


async def test_each_product_gets_its_first_levels_in_one_query(place: Place, admin: Actor, sql_log: SQLLog) -> None:
    other = unique("SKU")
    await create_product(other, ProductDetails(name="Other"), actor_id=admin.user_id)
    codes = await bins(place, admin, 4)
    for code in codes:
        await receive(place.sku, code, Decimal(1), admin)
    await receive(other, codes[0], Decimal(1), admin)
    ids = {sku: (await Product.get(sku=sku)).id for sku in (place.sku, other, place.lot_sku)}
    sql_log.statements.clear()

    levels = await levels_by_product(list(ids.values()), per_product=3)

    assert len(sql_log.statements) == 1
    assert [level.location_code for level in levels[ids[place.sku]]] == codes[:3]
    assert [level.location_code for level in levels[ids[other]]] == codes[:1]
    assert ids[place.lot_sku] not in levels


async def test_totals_are_exact_sums_in_one_query(place: Place, admin: Actor, sql_log: SQLLog) -> None:
    *full, last = await bins(place, admin, 4)
    for code in full:
        await receive(place.sku, code, LARGEST, admin)  # a bin holds less than 10^12
    await receive(place.sku, last, Decimal("0.0001"), admin)
    ids = [(await Product.get(sku=sku)).id for sku in (place.sku, place.lot_sku)]
    sql_log.statements.clear()

    totals = await on_hand_by_product(ids)

    assert len(sql_log.statements) == 1
    assert totals[ids[0]] == Decimal("2999999999999.9998")  # as floats: 2999999999999.9995
    assert ids[1] not in totals
