"""A hostile review of fulfillment, payments, quotations and bundles (issue 9): each test is a defect found, and
fails without its fix."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from server import sql
from server.clock import today
from server.sales import reserving
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient
from tests.schema.fulfillment_support import (
    CONFIRM_PICKS,
    VALIDATE,
    levels,
    order_state,
    pick_list,
    picked,
    shipment,
    steps,
    validated,
)
from tests.schema.sales_support import (
    AMEND,
    CANCEL,
    CANCEL_REMAINING,
    Shop,
    assert_invariants,
    call,
    confirmed,
    key,
    make_shop,
    ok,
    stock,
)

UPDATE = """mutation U($input: UpdateDocumentInput!) { updateDocument(input: $input) {
  document { id version party lines { position sku quantity } } errors { field code message } } }"""
ACT = """mutation A($input: TransitionDocumentInput!) { transitionDocument(input: $input) {
  document { id state } errors { field code message } } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


def line(sku: str, quantity: str) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "price": "10"}


async def test_a_draft_pick_list_or_shipment_is_not_rewritten_through_update_document(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """The kernel's updateDocument replaced the lines (and the party) of a draft pick list or shipment: the
    pick lines lost their document lines (confirmPicks naming a line then failed with an exception), and the
    delivery note printed lines and a customer other than what the shipment books."""
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [line(shop.sku, "3")], warehouse=shop.first)
    listed = await pick_list(graphql, admin, shop.first, order["id"])
    rewrite = await call(graphql, UPDATE, "updateDocument", admin, id=listed["document"]["id"],
                         version=listed["document"]["version"],
                         lines=[{"sku": shop.sku, "quantity": "1", "location": shop.first_bin}])  # fmt: skip
    assert rewrite["errors"] and rewrite["errors"][0]["code"] == "ILLEGAL_TRANSITION", rewrite
    done = await picked(graphql, admin, listed["pickList"]["id"], [{"position": 1, "quantity": "3"}])
    assert done["pickList"]["lines"][0]["picked"] == "3.0000"
    made = await shipment(graphql, admin, order["id"], shop.first)
    other = await make_shop(admin)
    rewrite = await call(graphql, UPDATE, "updateDocument", admin, id=made["document"]["id"],
                         version=made["document"]["version"], party=other.customer,
                         lines=[{"sku": shop.sku, "quantity": "30", "location": shop.first_bin}])  # fmt: skip
    assert rewrite["errors"] and rewrite["errors"][0]["code"] == "ILLEGAL_TRANSITION", rewrite
    shipped = await validated(graphql, admin, made["document"]["id"])
    assert shipped["document"]["party"] == shop.customer
    assert [(ln["sku"], ln["quantity"]) for ln in shipped["shipment"]["lines"]] == [(shop.sku, "3.0000")]
    await assert_invariants()


async def test_a_wave_is_picked_when_one_of_its_orders_was_cancelled_since(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """A wave whose order was cancelled after the list was made could not be confirmed at all (the cancelled
    order was refused), so what was picked for the other orders could not be booked."""
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    one = await confirmed(graphql, admin, shop, [line(shop.sku, "2")], warehouse=shop.first)
    two = await confirmed(graphql, admin, shop, [line(shop.sku, "1")], warehouse=shop.first)
    wave = await pick_list(graphql, admin, shop.first, one["id"], two["id"])
    await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=two["id"])
    done = await picked(graphql, admin, wave["pickList"]["id"])
    assert sorted((ln["orderNumber"], ln["picked"]) for ln in done["pickList"]["lines"]) == sorted(
        [(one["number"], "2.0000"), (two["number"], "0.0000")]
    )
    over = await call(graphql, CONFIRM_PICKS, "confirmPicks", admin, id=wave["pickList"]["id"], lines=[])
    assert over["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    await assert_invariants()
    await validated(graphql, admin, (await shipment(graphql, admin, one["id"], shop.first))["document"]["id"])
    assert (await order_state(graphql, admin, one["id"]))["state"] == "completed"
    await assert_invariants()


async def test_a_pick_list_whose_only_order_was_cancelled_is_finished_with_nothing_picked(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """The handheld's picker met it: a list made for one order, the order cancelled outright before the picks
    were confirmed. The list must still be finishable (nothing to book), not open for ever."""
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [line(shop.sku, "2")], warehouse=shop.first)
    single = await pick_list(graphql, admin, shop.first, order["id"])
    await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"])
    done = await picked(graphql, admin, single["pickList"]["id"])
    assert done["pickList"]["state"] == "done"
    assert [ln["picked"] for ln in done["pickList"]["lines"]] == ["0.0000"]
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin] == ("5.0000", "0.0000", "5.0000")
    await assert_invariants()


async def test_the_reserving_job_leaves_an_order_picked_in_full_alone(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """An order reserved before its ship date and picked in full holds no demand (what was picked waits in the
    output location): every later run took it for unreserved, reserved nothing, and still bumped its version
    (STALE for whoever had read it) and reported it reserved."""
    await steps(graphql, admin, shop.first, 2)
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [line(shop.sku, "4")], warehouse=shop.first,
                            reservation="before_ship", shipOn=(today() + timedelta(days=5)).isoformat(),
                            reserveDaysBefore=2)  # fmt: skip
    day = today() + timedelta(days=3)
    first = await reserving.reserve_due(day)
    assert order["number"] in first.reserved
    await picked(graphql, admin, (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]["id"])
    version = (await order_state(graphql, admin, order["id"]))["version"]
    again = await reserving.reserve_due(day)
    assert order["number"] not in again.reserved
    assert (await order_state(graphql, admin, order["id"]))["version"] == version
    await assert_invariants()


async def _while_holding_customer(settings: Settings, customer: str, sku: str, warehouse: str,
                                  action: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """Run ``action`` while another transaction holds the customer's row, as a confirmation of another order of
    theirs does before it reserves; once ``action`` waits for it, the quants of ``sku`` in ``warehouse`` (which that
    confirmation locks next) must be free: an action holding them while it waits closes a deadlock circle."""
    outside = contextvars.copy_context()  # the action's own connection, not the transaction below
    watcher = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    task: asyncio.Task[dict[str, Any]] | None = None
    try:
        async with in_transaction() as conn:
            await sql.fetch(conn, "SELECT id FROM party WHERE code = $1 FOR UPDATE", customer)
            task = asyncio.create_task(action, context=outside)  # once the customer is held: it cannot finish first
            for _ in range(1000):
                waiting = await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                                 " current_database() AND wait_event_type = 'Lock'")  # fmt: skip
                if waiting or task.done():
                    break
                await asyncio.sleep(0.01)
            assert waiting and not task.done(), "the action never waited for the customer"
            try:
                await sql.fetch(
                    conn,
                    "SELECT quant.id FROM quant JOIN location ON location.id = quant.location_id JOIN warehouse w ON"
                    " w.id = location.warehouse_id WHERE quant.product_id = (SELECT id FROM product WHERE sku = $1)"
                    " AND w.code = $2 ORDER BY quant.location_id, quant.lot_id, quant.package_id FOR UPDATE OF quant"
                    " NOWAIT",
                    sku, warehouse,
                )  # fmt: skip
            except Exception as held:  # the action holds them while it waits for the customer
                raise AssertionError(f"the quants of {sku} were locked before the customer: {held}") from None
    finally:
        await watcher.close()
    assert task is not None
    return await task


@pytest.mark.postgres
async def test_validating_a_shipment_locks_the_customer_before_the_stock(
    graphql: GraphQLClient, admin: Actor, shop: Shop, settings: Settings
) -> None:
    """Validating a shipment consumed the reservations (locking the quants) and only then locked the customer to
    check their credit, the reverse of a confirmation (customer, then quants): a confirmation of another order of
    the customer and a shipment of the same product closed a deadlock circle."""
    await stock(graphql, admin, shop.sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [line(shop.sku, "2")], warehouse=shop.first)
    made = await shipment(graphql, admin, order["id"], shop.first)
    validating = call(graphql, VALIDATE, "validateShipment", admin, id=made["document"]["id"], idempotencyKey=key())
    shipped = await _while_holding_customer(settings, shop.customer, shop.sku, shop.first, validating)
    assert shipped["errors"] == [] and shipped["shipment"]["state"] == "done"
    await assert_invariants()


async def test_an_amendment_removing_a_line_on_a_pick_list_is_refused_at_its_input(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    """An amendment removing a line that was on a pick list (picked or not) deleted its allocation, which the
    pick lines and staged stock point at: the database refused it and the user got an internal error. The line
    stays (INVALID at the lines); cancelling what is left of it puts its picked goods back."""
    other = (await make_shop(admin)).sku
    await steps(graphql, admin, shop.first, 2)
    for sku in (shop.sku, other):
        await stock(graphql, admin, sku, shop.first_bin, "5")
    order = await confirmed(graphql, admin, shop, [line(shop.sku, "2"), line(other, "1")], warehouse=shop.first)
    await picked(graphql, admin, (await pick_list(graphql, admin, shop.first, order["id"]))["pickList"]["id"])
    version = (await order_state(graphql, admin, order["id"]))["version"]
    refused = await call(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=version,
                         lines=[{"position": 2, "sku": other, "quantity": "1"}])  # fmt: skip
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", ["input", "lines"])], refused
    assert "Line 1" in refused["errors"][0]["message"]
    await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", admin, id=order["id"], positions=[1])
    assert (await levels(graphql, admin, shop.sku, shop.first))[shop.first_bin] == ("5.0000", "0.0000", "5.0000")
    await assert_invariants()
