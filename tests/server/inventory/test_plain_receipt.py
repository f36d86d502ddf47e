"""A plain receipt (server/inventory/plain_receipt.py) waits for the rows another posting holds, then is priced
from the bucket as that posting left it and added to it, and hands the stock to demands that began waiting
meanwhile: the moving average and the ledger stay exact. PostgreSQL only (SQLite books every receipt through
``posting.post``, one writer at a time)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal

import asyncpg
import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.service import ProductDetails, create_product
from server.clock import today
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.ledger import Posting
from server.inventory.lookups import lookup, virtual
from server.inventory.models import NO_LOT, LocationKind
from server.inventory.posting import Entry, Trail, lock_quants, post
from server.inventory.reservations import reserve
from server.inventory.valuation.check import valuation_problems
from server.inventory.valuation.value import stock_value
from server.settings import Settings
from tests.conftest import Actor, Place, demand_id, unique

pytestmark = pytest.mark.postgres


def key() -> str:
    return str(uuid.uuid4())


async def invariants() -> None:
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


async def bucket(sku: str) -> tuple[Decimal, Decimal]:
    (line,) = await stock_value(today(), sku=sku)
    return line.quantity, line.value


async def receipt_blocked_by(
    settings: Settings,
    hold: Callable[[BaseDBAsyncClient], Awaitable[object]],
    receive: Callable[[], Awaitable[Posting]],
) -> Posting:
    """Run ``receive`` while a transaction that ran ``hold`` is open, and commit that transaction only once the
    receipt waits for a row lock it holds: the receipt has read the bucket before the holder's change."""
    go = asyncio.Event()

    async def receipt() -> Posting:
        await go.wait()
        return await receive()

    task = asyncio.create_task(receipt())  # made outside the transaction: it runs on a connection of its own
    watcher = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with in_transaction() as conn:
            await hold(conn)
            go.set()
            for _ in range(500):
                waiting = await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
                if waiting or task.done():
                    break
                await asyncio.sleep(0.01)
            assert waiting and not task.done(), "the receipt never waited for the held rows"
    finally:
        await watcher.close()
    return await task


async def a_product(admin: Actor) -> str:
    sku = unique("SKU")
    await create_product(sku, ProductDetails(name="Plain"), actor_id=admin.user_id)
    return sku


async def test_a_receipt_waiting_for_the_bucket_is_priced_at_the_average_it_is_added_to(
    place: Place, admin: Actor, settings: Settings
) -> None:
    sku = await a_product(admin)
    who = {"actor_id": admin.user_id}
    await ledger.receive(sku, place.bin_a, "10", unit_cost="1", idempotency_key=key(), **who)

    async def receive_at_3(conn: BaseDBAsyncClient) -> None:  # a posting holding the quant and the bucket: 10 more at 3
        product, (bin_,) = await lookup(conn, sku, (place.bin_a, "locationCode"), lot=None)
        supplier = await virtual(conn, LocationKind.SUPPLIER)
        entry = Entry(product, supplier, bin_, Decimal(10), None, "receive", unit_cost=Decimal(3))
        await post(conn, entry, Trail(actor_id=admin.user_id, key=None))

    async def receive_plainly() -> Posting:
        return await ledger.receive(sku, place.bin_a, "10", idempotency_key=key(), **who)

    posting = await receipt_blocked_by(settings, receive_at_3, receive_plainly)
    (move,) = posting.moves
    # It read an average of 1 before it waited; it is priced at the 2 of the bucket it was added to.
    assert (move.unit_cost, move.value) == (Decimal("2.0000"), Decimal("20.0000"))
    assert await bucket(sku) == (Decimal(30), Decimal(60))
    await invariants()


async def test_a_receipt_into_a_bucket_emptied_while_it_waited_is_priced_at_the_last_cost(
    place: Place, admin: Actor, settings: Settings
) -> None:
    sku = await a_product(admin)
    who = {"actor_id": admin.user_id}
    await ledger.receive(sku, place.bin_a, "4", unit_cost="2.5", idempotency_key=key(), **who)

    async def issue_everything(conn: BaseDBAsyncClient) -> None:
        product, (bin_,) = await lookup(conn, sku, (place.bin_a, "locationCode"), lot=None)
        customer = await virtual(conn, LocationKind.CUSTOMER)
        await post(conn, Entry(product, bin_, customer, Decimal(4), None, "issue", "sale"), Trail(admin.user_id, None))

    async def receive_plainly() -> Posting:
        return await ledger.receive(sku, place.bin_a, "3", idempotency_key=key(), **who)

    posting = await receipt_blocked_by(settings, issue_everything, receive_plainly)
    (move,) = posting.moves
    assert (move.unit_cost, move.value) == (Decimal("2.5000"), Decimal("7.5000"))
    assert await bucket(sku) == (Decimal(3), Decimal("7.5"))
    await invariants()


async def test_demands_that_begin_waiting_while_a_receipt_waits_get_its_stock(
    place: Place, admin: Actor, settings: Settings
) -> None:
    sku = await a_product(admin)
    who = {"actor_id": admin.user_id}
    await ledger.receive(sku, place.bin_a, "1", unit_cost="1", idempotency_key=key(), **who)
    await ledger.issue(sku, place.bin_a, "1", idempotency_key=key(), **who)  # the bucket stays, empty
    line = demand_id()

    async def reserve_with_nothing_there(conn: BaseDBAsyncClient) -> None:
        product, (bin_,) = await lookup(conn, sku, (place.bin_a, "locationCode"), lot=None)
        await lock_quants(conn, product.id, bin_.id, NO_LOT)  # as the reservation will, first
        reserved = await reserve("sales_order", line, 1, sku, place.warehouse, "2", idempotency_key=key(), **who)
        assert reserved.reservation is not None and reserved.reservation.reserved == 0  # it waits

    async def receive_plainly() -> Posting:
        return await ledger.receive(sku, place.bin_a, "5", idempotency_key=key(), **who)

    await receipt_blocked_by(settings, reserve_with_nothing_there, receive_plainly)
    async with in_transaction() as conn:
        row = await sql.fetch_one(
            conn,
            "SELECT reserved, waiting, (SELECT reserved FROM quant WHERE quant.product_id = stock_demand.product_id"
            " AND location_id = (SELECT id FROM location WHERE code = $2)) AS held FROM stock_demand"
            " WHERE document_id = $1 AND product_id = (SELECT id FROM product WHERE sku = $3)",
            line, place.bin_a, sku,
        )  # fmt: skip
    assert row is not None
    assert (Decimal(row["reserved"]), row["waiting"], Decimal(row["held"])) == (Decimal(2), False, Decimal(2))
    await invariants()


async def test_concurrent_plain_receipts_issues_and_costed_receipts_keep_the_books_exact(
    place: Place, admin: Actor
) -> None:
    sku = await a_product(admin)
    who = {"actor_id": admin.user_id}
    await ledger.receive(sku, place.bin_a, "50", unit_cost="4", idempotency_key=key(), **who)
    await ledger.receive(sku, place.bin_b, "50", unit_cost="4", idempotency_key=key(), **who)

    async def plain(n: int) -> Posting:
        return await ledger.receive(sku, place.bin_a if n % 2 else place.bin_b, "3", idempotency_key=key(), **who)

    async def costed(n: int) -> Posting:
        return await ledger.receive(sku, place.bin_a, "2", unit_cost=str(n), idempotency_key=key(), **who)

    async def issue(n: int) -> Posting:
        return await ledger.issue(sku, place.bin_a if n % 2 else place.bin_b, "2", idempotency_key=key(), **who)

    work = [plain(n) for n in range(24)] + [costed(n) for n in range(1, 9)] + [issue(n) for n in range(24)]
    postings = await asyncio.gather(*work)
    quantity, value = await bucket(sku)
    assert quantity == 100 + 24 * 3 + 8 * 2 - 24 * 2
    moved = sum((m.value or 0) * (1 if m.kind == "receive" else -1) for p in postings for m in p.moves)
    assert value == 400 + moved  # the bucket holds exactly what its moves brought and took
    await invariants()
