"""Reserving before the ship date: an order reserved ``reserveDaysBefore`` its ship date is not reserved when
confirmed; the daily job reserves it on its day, and a rerun changes nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from server.clock import today
from server.jobs.models import JobRecord, JobStatus
from server.sales import reserving
from tests.conftest import Actor, GraphQLClient, make_actor
from tests.schema.sales_support import (
    ERRORS,
    GROUPS,
    Shop,
    assert_invariants,
    call,
    confirmed,
    groups,
    key,
    make_shop,
    stock,
)

RUN = f"""mutation R($input: RunSalesReservationsInput!) {{
  runSalesReservations(input: $input) {{ jobId enqueued {ERRORS} }} }}"""
ORDER = f"""query O($filter: SalesOrderFilter) {{ salesOrders(filter: $filter, first: 1) {{
  edges {{ node {{ id number version salesOrder {{ {GROUPS} }} }} }} }} }}"""


@pytest.fixture
async def shop(admin: Actor, graphql: GraphQLClient) -> Shop:
    made = await make_shop(admin)
    await stock(graphql, admin, made.sku, made.first_bin, "10")
    return made


async def order_now(graphql: GraphQLClient, admin: Actor, number: str) -> dict[str, Any]:
    found = await graphql.run(ORDER, {"filter": {"number": number}}, token=admin.token)
    return found["salesOrders"]["edges"][0]["node"]  # type: ignore[no-any-return]


async def before_ship(graphql: GraphQLClient, admin: Actor, shop: Shop, ship_on: date, days: int) -> dict[str, Any]:
    return await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "4", "price": "10"}],
                           reservation="before_ship", shipOn=ship_on.isoformat(), reserveDaysBefore=days)  # fmt: skip


async def test_an_order_shipping_in_ten_days_reserved_three_days_before_waits_for_its_day(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await before_ship(graphql, admin, shop, today() + timedelta(days=10), 3)
    assert groups(order) == {shop.first: [(1, "4.0000", "0.0000", "0.0000")]}  # allocated, nothing reserved
    early = await reserving.reserve_due(today() + timedelta(days=6))
    assert order["number"] not in early.reserved
    assert groups(await order_now(graphql, admin, order["number"])) == {shop.first: [(1, "4.0000", "0.0000", "0.0000")]}

    on_the_day = await reserving.reserve_due(today() + timedelta(days=7))
    assert order["number"] in on_the_day.reserved and on_the_day.failed == []
    reserved = await order_now(graphql, admin, order["number"])
    assert groups(reserved) == {shop.first: [(1, "4.0000", "4.0000", "0.0000")]}
    await assert_invariants()

    rerun = await reserving.reserve_due(today() + timedelta(days=7))
    assert order["number"] not in rerun.reserved
    again = await order_now(graphql, admin, order["number"])
    assert again["version"] == reserved["version"] and groups(again) == groups(reserved)


async def test_the_job_run_on_demand_reserves_on_the_right_day_and_a_rerun_changes_nothing(
    graphql: GraphQLClient, admin: Actor, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await before_ship(graphql, admin, shop, today() + timedelta(days=10), 3)
    later = await before_ship(graphql, admin, shop, today() + timedelta(days=30), 3)

    async def run_job() -> dict[str, Any]:
        asked = await call(graphql, RUN, "runSalesReservations", admin, idempotencyKey=key())
        assert asked["errors"] == [] and asked["enqueued"], asked
        await graphql.queue.wait()
        record = await JobRecord.get(job_id=asked["jobId"])
        assert record.status == JobStatus.DONE, record.error
        return record.result  # type: ignore[return-value]

    day = today() + timedelta(days=7)
    monkeypatch.setattr(reserving, "today", lambda: day)  # the clock on the order's day
    first = await run_job()
    assert first["day"] == day.isoformat() and order["number"] in first["reserved"]
    assert later["number"] not in first["reserved"]
    assert groups(await order_now(graphql, admin, order["number"]))[shop.first] == [(1, "4.0000", "4.0000", "0.0000")]
    assert groups(await order_now(graphql, admin, later["number"]))[shop.first] == [(1, "4.0000", "0.0000", "0.0000")]
    version = (await order_now(graphql, admin, order["number"]))["version"]
    second = await run_job()
    assert order["number"] not in second["reserved"]
    assert (await order_now(graphql, admin, order["number"]))["version"] == version
    await assert_invariants()


async def test_an_order_due_when_confirmed_is_reserved_then_and_the_job_leaves_it_and_manual_orders_alone(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    soon = await before_ship(graphql, admin, shop, today() + timedelta(days=2), 5)  # due at confirmation
    assert groups(soon)[shop.first] == [(1, "4.0000", "4.0000", "0.0000")]
    manual = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "10"}],
                             reservation="manual")  # fmt: skip
    run = await reserving.reserve_due(today() + timedelta(days=30))
    assert soon["number"] not in run.reserved and manual["number"] not in run.reserved
    assert groups(await order_now(graphql, admin, manual["number"]))[shop.first] == [(1, "1.0000", "0.0000", "0.0000")]


async def test_only_a_user_who_may_run_jobs_or_manage_sales_runs_it(graphql: GraphQLClient) -> None:
    clerk = await make_actor("clerk")
    refused = (await graphql.post(RUN, {"input": {"idempotencyKey": key()}}, clerk.token)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    manager = await make_actor("manager")
    bad_key = await call(graphql, RUN, "runSalesReservations", manager, idempotencyKey="\x00" * 300)
    assert bad_key["jobId"] is None and bad_key["errors"][0]["field"] == ["input", "idempotencyKey"]


async def test_two_runs_at_once_reserve_an_order_once(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    order = await before_ship(graphql, admin, shop, today() + timedelta(days=10), 3)
    day = today() + timedelta(days=7)
    runs = await asyncio.gather(reserving.reserve_due(day), reserving.reserve_due(day))
    assert sum(run.reserved.count(order["number"]) for run in runs) == 1
    assert all(run.failed == [] for run in runs)
    assert groups(await order_now(graphql, admin, order["number"])) == {shop.first: [(1, "4.0000", "4.0000", "0.0000")]}
    await assert_invariants()
