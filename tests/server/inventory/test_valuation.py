"""Valuation through the service functions: transit keeps the value of a transfer, concurrent receipts
keep a bucket exact, and a receive costs few statements more."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.service import ProductDetails, create_product
from server.clock import today
from server.errors import Invalid
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.inventory.lookups import lookup, virtual
from server.inventory.models import LocationKind
from server.inventory.posting import Entry, Trail, post
from server.inventory.valuation.check import valuation_problems
from server.inventory.valuation.method import set_costing_method
from server.inventory.valuation.value import stock_value
from tests.conftest import Actor, Place, SQLLog, unique

LOOKUP = "SELECT product.id, product.sku"  # lookups.lookup_with: reads the bucket's id for a plain receipt


def key() -> str:
    return str(uuid.uuid4())


async def invariants() -> None:
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


async def values(sku: str) -> dict[str | None, Decimal]:
    return {line.warehouse_code: line.value for line in await stock_value(today(), sku=sku)}


async def _transfer(place: Place, admin: Actor, target_bin: str, fifo: bool) -> None:
    if fifo:
        await set_costing_method(place.sku, "fifo", actor_id=admin.user_id)
    await ledger.receive(place.sku, place.bin_a, "4", unit_cost="7", actor_id=admin.user_id, idempotency_key=key())
    await ledger.receive(place.sku, place.bin_a, "6", unit_cost="12", actor_id=admin.user_id, idempotency_key=key())
    trail = Trail(actor_id=admin.user_id, key=None)

    async def book(source: object, target: object, quantity: str, unit_cost: Decimal | None = None) -> Decimal:
        async with in_transaction() as conn:
            product, (bin_a, bin_b) = await lookup(conn, place.sku, (place.bin_a, "a"), (target_bin, "b"), lot=None)
            places = {"a": bin_a, "b": bin_b, "transit": await virtual(conn, LocationKind.TRANSIT),
                      "loss": await virtual(conn, LocationKind.INVENTORY_LOSS)}  # fmt: skip
            entry = Entry(product, places[source], places[target], Decimal(quantity), None, "move", "transfer",  # type: ignore[index]
                          unit_cost=unit_cost)  # fmt: skip
            moves = await post(conn, entry, trail)
        return sum((m.value or Decimal(0) for m in moves), Decimal(0))

    shipped = await book("a", "transit", "10")
    assert shipped == Decimal("100.0000")
    await invariants()
    assert await values(place.sku) == {None: Decimal("100.0000")}  # all in transit
    unit = (shipped / 10).quantize(Decimal("0.0001"))
    arrived = await book("transit", "b", "7", unit)
    lost = await book("transit", "loss", "3", unit)
    await invariants()
    assert arrived + lost == shipped  # the value is the same at every step
    assert sum((await values(place.sku)).values()) == arrived


async def test_a_transfer_through_transit_keeps_its_value(place: Place, admin: Actor) -> None:
    other = unique("WH")
    await create_warehouse(other, "Other", actor_id=admin.user_id)
    await create_location(other, other + "-B", "bin", actor_id=admin.user_id)
    await _transfer(place, admin, other + "-B", fifo=False)


async def test_a_fifo_transfer_through_transit_keeps_its_value(place: Place, admin: Actor) -> None:
    other = unique("WH")
    await create_warehouse(other, "Other", actor_id=admin.user_id)
    await create_location(other, other + "-B", "bin", actor_id=admin.user_id)
    await _transfer(place, admin, other + "-B", fifo=True)


async def test_a_receive_adds_two_statements_for_its_bucket(
    place: Place, admin: Actor, sql_log: SQLLog, backend: str
) -> None:
    await ledger.receive(place.sku, place.bin_a, "1", unit_cost="1", actor_id=admin.user_id, idempotency_key=key())
    first = [s for s in sql_log.statements if "cost_bucket" in s and not s.startswith(LOOKUP)]
    sql_log.statements.clear()
    await ledger.receive(place.sku, place.bin_a, "1", actor_id=admin.user_id, idempotency_key=key())
    touching = [s for s in sql_log.statements if "cost_" in s and not s.startswith(LOOKUP)]
    if backend == "postgres":  # a plain receipt: locked, priced and added to in the last statement (plain_receipt)
        (last,) = touching
        assert "FOR UPDATE OF cost_bucket" in last and "UPDATE cost_bucket SET quantity = b.quantity +" in last
    else:
        assert len(touching) == 2, touching  # lock and read the bucket, write it back
        assert touching[0].startswith("SELECT") and "FROM cost_bucket" in touching[0]
        assert "UPDATE cost_bucket" in touching[1]
    # The first receipt found no bucket and created it with an upsert, which also locks it.
    assert "FROM cost_bucket" in first[0] and "INSERT INTO cost_bucket" in first[1], first
    await invariants()


@pytest.mark.postgres
async def test_concurrent_receipts_and_issues_keep_a_bucket_exact(place: Place, admin: Actor) -> None:
    sku = unique("SKU")
    await create_product(sku, ProductDetails(name="Raced"), actor_id=admin.user_id)

    async def receive(cost: int) -> None:
        await ledger.receive(sku, place.bin_a if cost % 2 else place.bin_b, "2", unit_cost=str(cost),
                             actor_id=admin.user_id, idempotency_key=key())  # fmt: skip

    await asyncio.gather(*(receive(cost) for cost in range(1, 21)))
    assert await values(sku) == {place.warehouse: Decimal(2 * sum(range(1, 21)))}

    async def issue(bin_code: str) -> None:
        await ledger.issue(sku, bin_code, "1", actor_id=admin.user_id, idempotency_key=key())

    await asyncio.gather(*(issue(place.bin_a if n % 2 else place.bin_b) for n in range(30)))
    await invariants()
    (line,) = await stock_value(today(), sku=sku)
    assert line.quantity == Decimal(10)


@pytest.mark.postgres
async def test_a_change_of_costing_method_never_lets_a_receipt_slip_past(place: Place, admin: Actor) -> None:
    """Receipts racing a switch to FIFO: the switch happens before all of them (each then makes a
    layer) or is refused; a receipt valued by the old method with the new one in force would leave
    the bucket holding units no layer has."""
    for _ in range(10):
        sku = unique("SKU")
        await create_product(sku, ProductDetails(name="Raced"), actor_id=admin.user_id)

        async def receive(sku: str = sku) -> None:
            await ledger.receive(sku, place.bin_a, "1", unit_cost="3", actor_id=admin.user_id, idempotency_key=key())

        async def switch(sku: str = sku) -> bool:
            try:
                await set_costing_method(sku, "fifo", actor_id=admin.user_id)
            except Invalid:
                return False
            return True

        work: list[Awaitable[object]] = [receive() for _ in range(8)]
        work.insert(4, switch())
        outcomes = await asyncio.gather(*work)
        async with in_transaction() as conn:
            row = await sql.fetch_one(
                conn,
                "SELECT (SELECT COUNT(*) FROM cost_layer WHERE product_id = product.id) AS layers FROM product"
                " WHERE sku = $1",
                sku,
            )
        assert row is not None
        assert int(row["layers"]) == (8 if outcomes[4] else 0)
    await invariants()
