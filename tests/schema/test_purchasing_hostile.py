# ruff: noqa: F811  (the buying fixture is imported from tests/schema/test_purchasing.py)
"""Hostile use of purchase orders, receiving, amendments, returns and landed costs over GraphQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from server.inventory.check import check_ledger
from server.inventory.valuation.check import valuation_problems
from tests.conftest import Actor, GraphQLClient
from tests.schema.test_purchasing import (  # noqa: F401 - the fixture
    ACT,
    CLOSE,
    ERRORS,
    ORDER,
    PROGRESS,
    Buying,
    _call,
    _confirmed,
    _key,
    _ok,
    _on_hand,
    _receive,
    buying,
)

AMEND = f"""mutation M($input: AmendPurchaseOrderInput!) {{
  amendPurchaseOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
CARD = """query C($sku: String!) { stockCard(sku: $sku, first: 50) { edges { node { kind reason quantity
  unitCost value } } } }"""
VALUE = """query V($sku: String!) { stockValue(sku: $sku) { quantity value } }"""


async def _books_balance() -> None:
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


async def _card(graphql: GraphQLClient, actor: Actor, sku: str) -> list[tuple[str, str]]:
    edges = (await graphql.run(CARD, {"sku": sku}, token=actor.token))["stockCard"]["edges"]
    return [(e["node"]["quantity"], e["node"]["unitCost"]) for e in edges]


RECEIVE = f"""mutation R($input: ReceivePurchaseOrderInput!) {{
  receivePurchaseOrder(input: $input) {{ receipt {{ id number net lines {{ unit quantity price net baseQuantity }} }}
    orders {{ {PROGRESS} }} {ERRORS} }} }}"""
RETURN = f"""mutation RS($input: ReturnToSupplierInput!) {{
  returnToSupplier(input: $input) {{ supplierReturn {{ number net lines {{ unit quantity price net baseQuantity }} }}
    {ERRORS} }} }}"""


async def _received(graphql: GraphQLClient, actor: Actor, *lines: dict[str, Any]) -> dict[str, Any]:
    return await _ok(graphql, RECEIVE, "receivePurchaseOrder", actor, lines=list(lines), idempotencyKey=_key())


async def test_pieces_received_against_a_line_in_cases_cost_the_price_per_piece(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    # 5 cases of 12 at 24.00: a piece is 2.00, whatever unit the scan counts in.
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5", "unit": "case"}])
    done = await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "12", "unit": "pcs"})
    assert [(r["unit"], r["quantity"], r["price"], r["net"]) for r in done["receipt"]["lines"]] == [
        ("pcs", "12.0000", "2.0000", "24.0000")]  # fmt: skip
    assert done["receipt"]["net"] == "24.0000"
    await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "1", "unit": "case"})
    assert await _card(graphql, admin, buying.sku) == [("12.0000", "2.0000"), ("12.0000", "2.0000")]
    value = (await graphql.run(VALUE, {"sku": buying.sku}, token=admin.token))["stockValue"]
    assert (value["quantity"], value["value"]) == ("24.0000", "48.0000")
    await _books_balance()


async def test_a_piece_of_a_case_at_ten_costs_a_twelfth_of_it(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1", "unit": "case",
                                                       "price": "10", "discountPercent": "10"}])  # fmt: skip
    await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "5", "unit": "pcs"})
    assert await _card(graphql, admin, buying.sku) == [("5.0000", "0.7500")]  # 9.00 / 12
    await _books_balance()


async def test_an_amendment_to_another_unit_keeps_the_agreed_price_per_piece(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5", "unit": "case"}])
    amended = (
        await _ok(
            graphql,
            AMEND,
            "amendPurchaseOrder",
            admin,
            id=order["id"],
            version=order["version"],
            lines=[{"position": 1, "sku": buying.sku, "quantity": "60", "unit": "pcs"}],
        )
    )["document"]
    assert (amended["net"], amended["lines"]) == ("120.0000", [{"position": 1, "quantity": "60.0000",
                                                                "price": "2.0000"}])  # fmt: skip
    back = (
        await _ok(
            graphql,
            AMEND,
            "amendPurchaseOrder",
            admin,
            id=order["id"],
            version=amended["version"],
            lines=[{"position": 1, "sku": buying.sku, "quantity": "6", "unit": "case"}],
        )
    )["document"]
    assert (back["net"], back["lines"][0]["price"]) == ("144.0000", "24.0000")


async def test_a_piece_returned_from_a_receipt_in_cases_is_priced_per_piece(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5", "unit": "case"}])
    done = await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2"})
    back = await _ok(graphql, RETURN, "returnToSupplier", admin, receipt=done["receipt"]["id"], mode="REFUND",
                     reason="Broken", lines=[{"position": 1, "quantity": "3", "unit": "pcs"}],
                     idempotencyKey=_key())  # fmt: skip
    assert [(r["unit"], r["price"], r["net"]) for r in back["supplierReturn"]["lines"]] == [
        ("pcs", "2.0000", "6.0000")]  # fmt: skip
    value = (await graphql.run(VALUE, {"sku": buying.sku}, token=admin.token))["stockValue"]
    assert (value["quantity"], value["value"]) == ("21.0000", "42.0000")
    await _books_balance()


LANDED = f"""mutation L($input: AddLandedCostInput!) {{
  addLandedCost(input: $input) {{ landedCost {{ amountCompany shares(first: 5) {{ amount unitCostAfter }} }}
    {ERRORS} }} }}"""


async def _raw(graphql: GraphQLClient, query: str, actor: Actor, **input: Any) -> Any:
    response = await graphql.post(query, {"input": input}, actor.token)
    body = response.json()
    if "errors" in body:
        return ("TOP", response.status_code, str(body["errors"])[:300])
    return next(iter(body["data"].values()))


async def test_a_landed_cost_that_would_overflow_a_unit_cost_is_refused_at_the_amount(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1", "price": "1"}])
    done = await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "0.0001"})
    refused = await _raw(
        graphql,
        LANDED,
        admin,
        receipts=[done["receipt"]["id"]],
        kind="FREIGHT",
        party=buying.supplier,
        split="QUANTITY",
        amount="999999999999",
        idempotencyKey=_key(),
    )
    assert (refused["landedCost"], [(e["code"], e["field"]) for e in refused["errors"]]) == (
        None, [("INVALID", ["input", "amount"])])  # fmt: skip
    assert await _card(graphql, admin, buying.sku) == [("0.0001", "1.0000")]
    await _books_balance()


ORDER_NOW = f"query Q($id: ID!) {{ document(id: $id) {{ {ORDER} }} }}"


@pytest.mark.postgres
async def test_an_amendment_racing_scans_never_leaves_a_line_past_its_tolerance(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "100"}])
    scan = {"order": order["id"], "position": 1, "quantity": "10"}
    cut = [{"position": 1, "sku": buying.sku, "quantity": "50"}]
    answers = await asyncio.gather(
        *(
            _call(graphql, RECEIVE, "receivePurchaseOrder", admin, lines=[scan], idempotencyKey=_key())
            for _ in range(6)
        ),
        _call(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=order["version"], lines=cut),
        *(
            _call(graphql, RECEIVE, "receivePurchaseOrder", admin, lines=[scan], idempotencyKey=_key())
            for _ in range(6)
        ),
    )
    amended = answers[6]["errors"] == []
    booked = sum(1 for a in answers[:6] + answers[7:] if a["errors"] == [])
    line = (await graphql.run(ORDER_NOW, {"id": order["id"]}, token=admin.token))["document"]
    progress = line["purchaseOrder"]["lines"][0]
    assert Decimal(progress["received"]) == 10 * booked
    assert Decimal(progress["received"]) <= Decimal(progress["ordered"]) * Decimal("1.1")
    assert Decimal(progress["ordered"]) == (50 if amended else 100)
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: f"{10 * booked}.0000"}
    await _books_balance()


@pytest.mark.postgres
async def test_returns_at_once_never_take_back_more_than_the_receipt_line_brought(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "2", "unit": "case"}])
    done = await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2"})
    answers = await asyncio.gather(*(
        _call(graphql, RETURN, "returnToSupplier", admin, receipt=done["receipt"]["id"], mode=mode, reason="Bad",
              lines=[{"position": 1, "quantity": "5", "unit": "pcs"}], idempotencyKey=_key())
        for mode in ("REFUND", "REPLACE") * 4
    ))  # fmt: skip
    codes = sorted(tuple(e["code"] for e in a["errors"]) for a in answers)
    assert codes == [()] * 4 + [("OVER_RETURN",)] * 4
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "4.0000"}
    await _books_balance()


async def test_the_landed_costs_of_a_receipt_with_every_share_field_fit_the_query_cost_limit(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "4", "price": "2"}])
    done = await _received(graphql, admin, {"order": order["id"], "position": 1, "quantity": "4"})
    await _ok(graphql, LANDED, "addLandedCost", admin, receipts=[done["receipt"]["id"]], kind="FREIGHT",
              party=buying.supplier, split="QUANTITY", amount="2", idempotencyKey=_key())  # fmt: skip
    query = """query Q($receipt: ID!) { landedCosts(receipt: $receipt) { id kind party reference amount currency
      amountCompany split shares { receiptNumber position sku quantity basis amount unitCostBefore unitCostAfter
      revalued costOfGoods } } }"""
    costs = (await graphql.run(query, {"receipt": done["receipt"]["id"]}, token=admin.token))["landedCosts"]
    assert [(c["amountCompany"], [s["unitCostAfter"] for s in c["shares"]]) for c in costs] == [
        ("2.0000", ["2.5000"])]  # fmt: skip
