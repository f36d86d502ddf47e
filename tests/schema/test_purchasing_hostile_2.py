"""A hostile review of supplier bills, purchase planning, inquiries and the scorecard over GraphQL: each test
here failed before the fix it goes with."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from strawberry import relay
from tortoise.transactions import in_transaction

from server import sql
from server.commands import Write
from server.db import connection
from server.inventory.valuation.revalue import current_unit_cost, revalue_within
from server.money.pricelists import SupplierPriceInput, set_supplier_prices
from server.money.rates import set_exchange_rate
from server.partners.models import Party
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.test_purchase_planning import Buying, buying, drafts_of, plan, rule, suggestions
from tests.schema.test_supplier_bills import (
    ACT,
    CREATE,
    POST,
    RELEASE,
    Supplying,
    _bill,
    _call,
    _currency,
    _ok,
    _received_order,
    _value,
    supplying,
)

__all__ = ["buying", "supplying"]

PAYABLE = """query Y($supplier: String) { payableBills(supplier: $supplier, first: 20) { edges { node { dueOn } } } }"""
DRAFT = """query D($id: ID!) { document(id: $id) { currency lines { quantity unit price } } }"""
BILLS = """query S($filter: SupplierBillFilter) { supplierBills(filter: $filter, first: 20) {
  edges { node { supplierReference } } } }"""


def _codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(".".join(e["field"]), e["code"]) for e in payload["errors"]]


async def test_a_bill_dated_at_the_edge_of_the_calendar_is_refused_not_a_crash(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    order = await _received_order(graphql, admin, supplying, "10", "10")
    line = {"order": order["id"], "position": 1, "quantity": "1"}
    for day in ("9999-12-31", "0001-01-01"):
        payload = await _call(graphql, CREATE, admin, supplierReference=unique("INV"), lines=[line], billDate=day)
        assert (payload["bill"], _codes(payload)) == (None, [("input.billDate", "INVALID")]), payload


async def test_an_order_with_a_bill_is_not_cancelled_until_the_bill_is(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    await Party.filter(code=s.supplier).update(bills_before_receipt=True)
    order = await _received_order(graphql, admin, s, "10", "0")
    draft = await _bill(graphql, admin, order, "10")
    refused = await _call(graphql, ACT, admin, id=order["id"], action="cancel")
    assert _codes(refused) == [("input.action", "ILLEGAL_TRANSITION")], refused
    await _ok(graphql, ACT, admin, id=draft["document"]["id"], action="cancel")
    await _ok(graphql, ACT, admin, id=order["id"], action="cancel")
    posted = await _call(graphql, POST, admin, id=draft["document"]["id"])
    assert _codes(posted)[0][1] == "ILLEGAL_TRANSITION", posted


async def test_a_held_bill_keeps_its_order_from_being_cancelled_and_is_released(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "0")
    draft = await _bill(graphql, admin, order, "10")
    held = await _ok(graphql, POST, admin, id=draft["document"]["id"])
    assert held["bill"]["document"]["state"] == "on_hold"
    refused = await _call(graphql, ACT, admin, id=order["id"], action="cancel")
    assert _codes(refused) == [("input.action", "ILLEGAL_TRANSITION")], refused
    released = await _ok(graphql, RELEASE, admin, id=draft["document"]["id"])
    assert released["bill"]["document"]["state"] == "posted"


async def test_hostile_filters_of_bill_lists_find_nothing(graphql: GraphQLClient, admin: Actor) -> None:
    for supplier in ("\x00", "S" * 100_000):
        found = await graphql.run(PAYABLE, {"supplier": supplier}, token=admin.token)
        assert found["payableBills"]["edges"] == []
    for given in ({"state": "\x00"}, {"state": "s" * 100_000}, {"supplier": "\x00" * 10}):
        listed = await graphql.run(BILLS, {"filter": given}, token=admin.token)
        assert listed["supplierBills"]["edges"] == []


@pytest.mark.postgres
async def test_one_supplier_invoice_recorded_twice_at_once_is_recorded_once(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    order = await _received_order(graphql, admin, supplying, "10", "10")
    line = {"order": order["id"], "position": 1, "quantity": "1"}
    reference = unique("INV")
    answers = await asyncio.gather(*(_call(graphql, CREATE, admin, supplierReference=reference, lines=[line])
                                     for _ in range(4)))  # fmt: skip
    made = [a for a in answers if a["bill"] is not None]
    assert len(made) == 1, answers
    assert sorted(c for a in answers for _, c in _codes(a)) == ["ALREADY_EXISTS"] * 3


@pytest.mark.postgres
async def test_a_bill_and_a_landed_cost_on_one_receipt_at_once_keep_both_costs(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying, settings: Settings
) -> None:
    """A landed cost (+2.00 a unit) commits while the bill (+0.40 a unit, within tolerance) is under way: the bill
    adds its difference to the cost the landed cost left, 12.40, instead of writing 10.40 over it."""
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "10")
    receipt = await sql.fetch_one(connection(), "SELECT m.id AS move_id, m.document_id FROM stock_move m JOIN"
                                  " document d ON d.id = m.document_id WHERE d.type = 'purchase.receipt' AND"
                                  " m.product_id = (SELECT id FROM product WHERE sku = $1)", s.place.sku)  # fmt: skip
    assert receipt is not None
    draft = await _bill(graphql, admin, order, "10", "10.40")
    posting = asyncio.Event()

    async def post() -> dict[str, Any]:
        await posting.wait()
        return await _ok(graphql, POST, admin, id=draft["document"]["id"])

    task = asyncio.create_task(post())  # made outside the transaction: it runs on a connection of its own
    watcher = await asyncpg.connect(settings.database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with in_transaction() as conn:  # as a landed cost does it: the receipt, then the revaluation
            await sql.fetch(conn, "SELECT id FROM document WHERE id = $1 FOR UPDATE", receipt["document_id"])
            await revalue_within(Write(conn, admin.user_id, None), int(receipt["move_id"]), Decimal("12.0000"))
            posting.set()
            for _ in range(500):
                waiting = await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                                 " current_database() AND wait_event_type = 'Lock'")  # fmt: skip
                if waiting or task.done():
                    break
                await asyncio.sleep(0.01)
            assert waiting and not task.done(), "the bill never waited for the landed cost"
    finally:
        await watcher.close()
    posted = (await task)["bill"]
    assert (posted["document"]["state"], posted["priceDifference"]) == ("posted", "4.0000")
    cost = await current_unit_cost(connection(), int(receipt["move_id"]), None)
    assert cost == Decimal("12.4000")
    assert await _value(graphql, admin, s.place.sku) == ("10.0000", "124.0000")


async def test_planning_does_not_order_up_to_a_quantity_break_it_does_not_need(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    """24.00 a case from any quantity, 20.00 a case from 50 cases: 4 cases are needed, and 4 are ordered at 24.00,
    not 50 for the lower price."""
    prices = [SupplierPriceInput(buying.sku, "case", "24.00", pack_quantity="12"),
              SupplierPriceInput(buying.sku, "case", "20.00", pack_quantity="12", min_quantity="50")]  # fmt: skip
    await set_supplier_prices(buying.supplier, prices, actor_id=admin.user_id)
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40", supplier=buying.supplier)
    seen = (await suggestions(graphql, admin, buying))[buying.sku]
    assert (seen["packs"], seen["quantity"]) == ("4.0000", "48.0000"), seen["reason"]
    await plan(graphql, admin, buying)
    assert [line[2:] for line in await drafts_of(buying)] == [(buying.sku, "4 CASE")]


async def test_planning_prices_a_draft_in_the_currency_of_the_price_it_chose(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    """The supplier keeps its accounts in EUR but prices this product only in another currency: the draft is
    priced as that price says, not at 0 for want of a price in EUR."""
    currency = await _currency(admin)
    await set_exchange_rate(currency, datetime.date.today(), "1.10", actor_id=admin.user_id)
    price = SupplierPriceInput(buying.sku, "case", "18.00", currency=currency, pack_quantity="12")
    await set_supplier_prices(buying.other, [price], actor_id=admin.user_id)
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40", supplier=buying.other)
    [made] = (await plan(graphql, admin, buying))["orders"]
    draft = await graphql.run(DRAFT, {"id": relay.to_base64("Document", made["document_id"])}, token=admin.token)
    assert (draft["document"]["currency"], draft["document"]["lines"]) == (
        currency, [{"quantity": "4.0000", "unit": "CASE", "price": "18.0000"}])  # fmt: skip
