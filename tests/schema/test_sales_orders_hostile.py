"""A hostile review of the sales core over GraphQL: each test here failed before the fix it goes with."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.service import ProductDetails, create_product
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.sales_support import (
    AMEND,
    CANCEL_REMAINING,
    CONFIRM,
    MOVE_GROUP,
    Shop,
    assert_invariants,
    call,
    confirmed,
    draft,
    groups,
    make_shop,
    ok,
    stock,
)
from tests.schema.test_sales_orders import seller

APPROVAL_RULE = """mutation S($input: SetApprovalRuleInput!) {
  setApprovalRule(input: $input) { threshold errors { field code } } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


def _line(sku: str, quantity: str, price: str = "10", position: int | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": sku, "quantity": quantity, "price": price}
    if position is not None:
        line["position"] = position
    return line


async def test_amending_an_order_above_the_store_approval_threshold_needs_approval(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """A clerk confirms an order under the store's threshold, then amends it far above: the amendment needs the
    approval the confirmation would have needed."""
    rule = await ok(graphql, APPROVAL_RULE, "setApprovalRule", admin, store=shop.store, type="sales.order",
                    threshold="100")  # fmt: skip
    assert rule["threshold"] == "100.0000"
    clerk = await seller()
    order = await draft(graphql, clerk, shop, [_line(shop.sku, "1", "50")])
    done = (await ok(graphql, CONFIRM, "confirmSalesOrder", clerk, id=order["id"]))["document"]
    refused = await call(graphql, AMEND, "amendSalesOrder", clerk, id=order["id"], version=done["version"],
                         lines=[_line(shop.sku, "100", "50", position=1)])  # fmt: skip
    assert refused["document"] is None and refused["errors"][0]["code"] == "APPROVAL_REQUIRED", refused
    approved = await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=done["version"],
                        lines=[_line(shop.sku, "100", "50", position=1)])  # fmt: skip
    assert approved["document"]["lines"][0]["quantity"] == "100.0000"


async def test_an_amendment_is_not_charged_for_what_was_cancelled_of_the_order(
    graphql: GraphQLClient, admin: Actor
) -> None:
    """Limit 1,000: an order of 500 + 400 has its 500 cancelled, a second order of 500 is confirmed (900 owed).
    Adding 10 to the first is 910, within the limit: no approval."""
    limited = await make_shop(admin, credit_limit=Decimal(1000))
    clerk = await seller()
    first = await confirmed(graphql, clerk, limited, [_line(limited.sku, "5", "100"), _line(limited.sku, "4", "100")],
                            currency="EUR")  # fmt: skip
    assert first["gross"] == "900.0000", first["gross"]
    cut = (await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", clerk, id=first["id"],
                    positions=[1]))["document"]  # fmt: skip
    await confirmed(graphql, clerk, limited, [_line(limited.sku, "5", "100")], currency="EUR")
    amended = await call(graphql, AMEND, "amendSalesOrder", clerk, id=first["id"], version=cut["version"],
                         lines=[_line(limited.sku, "5", "100", position=1), _line(limited.sku, "4", "100", position=2),
                                _line(limited.sku, "1", "10")])  # fmt: skip
    assert amended["errors"] == [], amended
    assert amended["document"]["salesOrder"]["balanceDue"] == "410.0000"


async def test_amending_a_cancelled_line_down_does_not_lower_what_the_customer_owes(
    graphql: GraphQLClient, admin: Actor
) -> None:
    """Limit 1,000: an order of 10 x 50 (cancelled) and 10 x 40 owes 400. Amending the cancelled line to 1 must not
    make it owe less than 400, so a second order of 700 needs approval."""
    limited = await make_shop(admin, credit_limit=Decimal(1000))
    clerk = await seller()
    first = await confirmed(graphql, clerk, limited, [_line(limited.sku, "10", "50"), _line(limited.sku, "10", "40")],
                            currency="EUR")  # fmt: skip
    cut = (await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", clerk, id=first["id"],
                    positions=[1]))["document"]  # fmt: skip
    amended = (await ok(graphql, AMEND, "amendSalesOrder", clerk, id=first["id"], version=cut["version"],
                        lines=[_line(limited.sku, "1", "50", position=1),
                               _line(limited.sku, "10", "40", position=2)]))["document"]  # fmt: skip
    assert [(line["ordered"], line["cancelled"], line["open"]) for line in amended["salesOrder"]["lines"]] == [
        ("1.0000", "1.0000", "0.0000"), ("10.0000", "0.0000", "10.0000")]  # fmt: skip
    second = await draft(graphql, clerk, limited, [_line(limited.sku, "7", "100")], currency="EUR")
    refused = await call(graphql, CONFIRM, "confirmSalesOrder", clerk, id=second["id"])
    assert refused["errors"] and refused["errors"][0]["code"] == "APPROVAL_REQUIRED", refused


async def test_two_lines_of_one_product_raised_in_one_amendment_share_the_stock_there_is(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """5 in each warehouse; an order of 1 is raised to 5 and given a second line of 5: the first warehouse gives
    its 5, the second its 5, and nothing waits."""
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    await stock(graphql, admin, shop.sku, shop.second_bin, "5")
    order = await confirmed(graphql, admin, shop, [_line(shop.sku, "1")])
    amended = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=order["version"],
                        lines=[_line(shop.sku, "5", position=1), _line(shop.sku, "5")]))["document"]  # fmt: skip
    waiting = sum(Decimal(line[3]) for lines in groups(amended).values() for line in lines)
    reserved = sum(Decimal(line[2]) for lines in groups(amended).values() for line in lines)
    assert (reserved, waiting) == (10, 0), groups(amended)
    await assert_invariants()


async def test_an_amendment_that_leaves_nothing_to_ship_settles_the_order(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """The remainder of line 1 was cancelled; removing line 2 leaves nothing to ship and nothing shipped: the
    order is cancelled, as cancelling the remainder of every line would have done."""
    await stock(graphql, admin, shop.sku, shop.first_bin, "10")
    order = await confirmed(graphql, admin, shop, [_line(shop.sku, "2"), _line(shop.sku, "3")])
    cut = (await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", admin, id=order["id"],
                    positions=[1]))["document"]  # fmt: skip
    amended = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=cut["version"],
                        lines=[_line(shop.sku, "2", position=1)]))["document"]  # fmt: skip
    assert amended["state"] == "cancelled", amended["salesOrder"]["lines"]
    await assert_invariants()


async def _second_product(admin: Actor) -> str:
    sku = unique("SOLD")
    await create_product(sku, ProductDetails(name="Other widget"), actor_id=admin.user_id)
    return sku


async def _quants_locked(conn: Any, sku: str, warehouse: str, *, wait: bool = True) -> None:
    await sql.fetch(
        conn,
        "SELECT quant.id FROM quant JOIN location ON location.id = quant.location_id JOIN warehouse w ON"
        " w.id = location.warehouse_id WHERE quant.product_id = (SELECT id FROM product WHERE sku = $1)"
        " AND w.code = $2 ORDER BY quant.location_id, quant.lot_id, quant.package_id FOR UPDATE OF quant"
        + ("" if wait else " NOWAIT"),
        sku, warehouse,
    )  # fmt: skip


async def _while_holding(settings: Settings, first: tuple[str, str], then: tuple[str, str],
                         action: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """Run ``action`` while another transaction holds the quants of ``first`` (sku, warehouse), as a confirmation
    reserving it does; once ``action`` waits for them, the quants of ``then`` (which the confirmation locks next)
    must be free: an action that holds them while it waits closes a deadlock circle. PostgreSQL breaks such a
    circle after a second and the command runs again, so the test asks for them without waiting instead."""
    outside = contextvars.copy_context()  # the action's own connection, not the transaction below
    watcher = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    task: asyncio.Task[dict[str, Any]] | None = None
    try:
        async with in_transaction() as conn:
            await _quants_locked(conn, *first)
            # Started once ``first`` is held: a fast action could otherwise finish before it is.
            task = asyncio.create_task(action, context=outside)
            for _ in range(1000):
                waiting = await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                                 " current_database() AND wait_event_type = 'Lock'")  # fmt: skip
                if waiting or task.done():
                    break
                await asyncio.sleep(0.01)
            assert waiting and not task.done(), "the action never waited for the quants held"
            try:
                await _quants_locked(conn, *then, wait=False)
            except Exception as held:  # the action holds them while it waits for ``first``
                raise AssertionError(f"{then} was locked out of order: {held}") from None
    finally:
        await watcher.close()
    assert task is not None
    return await task


@pytest.mark.postgres
async def test_an_amendment_removing_a_line_and_a_confirmation_lock_products_in_one_order(
    graphql: GraphQLClient, admin: Actor, shop: Shop, settings: Settings
) -> None:
    """An amendment removes the line of the second product and raises the first; a confirmation holds the first
    product's stock and then wants the second's. The amendment waits for the first without holding the second."""
    other = await _second_product(admin)
    for sku in (shop.sku, other):
        await stock(graphql, admin, sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [_line(shop.sku, "1"), _line(other, "1")], warehouse=shop.first)
    amending = call(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=order["version"],
                    lines=[_line(shop.sku, "2", position=1)])  # fmt: skip
    amended = await _while_holding(settings, (shop.sku, shop.first), (other, shop.first), amending)
    assert amended["errors"] == [] and groups(amended["document"]) == {shop.first: [(1, "2.0000", "2.0000", "0.0000")]}
    await assert_invariants()


@pytest.mark.postgres
async def test_a_group_move_and_a_confirmation_lock_warehouses_in_one_order(
    graphql: GraphQLClient, admin: Actor, shop: Shop, settings: Settings
) -> None:
    """A group moves from the second warehouse to the first while a confirmation holds the first warehouse's stock
    and then wants the second's: the move waits for the first without holding the second."""
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    await stock(graphql, admin, shop.sku, shop.second_bin, "5")
    order = await confirmed(graphql, admin, shop, [_line(shop.sku, "2")], warehouse=shop.second)
    moving = call(graphql, MOVE_GROUP, "moveFulfillmentGroup", admin, id=order["id"], fromWarehouse=shop.second,
                  toWarehouse=shop.first)  # fmt: skip
    moved = await _while_holding(settings, (shop.sku, shop.first), (shop.sku, shop.second), moving)
    assert moved["errors"] == [] and groups(moved["document"])[shop.first] == [(1, "2.0000", "2.0000", "0.0000")]
    await assert_invariants()
