"""Payments on sales orders over GraphQL: several payments and methods, refunds, the statuses and balance due
they make, one booking per idempotency key, concurrent payments, and credit freed by what was paid."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from server.sales.payment_models import SalesPayment
from tests.conftest import Actor, GraphQLClient
from tests.schema.sales_support import (
    AMEND,
    CANCEL,
    CANCEL_REMAINING,
    CONFIRM,
    ERRORS,
    Shop,
    call,
    confirmed,
    draft,
    key,
    make_shop,
    ok,
)

PAYMENT = "id kind method amount currency reference note receivedOn createdBy"
ORDER = "id state gross salesOrder { payment paid balanceDue payments(first: 20) { kind method amount } }"
PAY = f"""mutation P($input: SalesPaymentInput!) {{
  recordSalesPayment(input: $input) {{ payment {{ {PAYMENT} }} order {{ {ORDER} }} {ERRORS} }} }}"""
REFUND = f"""mutation R($input: SalesPaymentInput!) {{
  recordSalesRefund(input: $input) {{ payment {{ {PAYMENT} }} order {{ {ORDER} }} {ERRORS} }} }}"""
PAYMENTS = """query P($filter: SalesPaymentFilter) { salesPayments(filter: $filter, first: 50) {
  edges { node { kind method amount order { id } } } } }"""
ORDER_QUERY = f"""query O($id: ID!) {{ node(id: $id) {{ ... on Document {{ {ORDER} }} }} }}"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def _order(graphql: GraphQLClient, admin: Actor, shop: Shop, price: str = "50") -> dict[str, Any]:
    """A confirmed order of 2 at ``price`` (no stock needed: it waits as a backorder)."""
    return await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": price}], currency="EUR")


async def pay(graphql: GraphQLClient, actor: Actor, order: dict[str, Any], amount: str, method: str = "cash",
              **more: Any) -> dict[str, Any]:  # fmt: skip
    return await call(graphql, PAY, "recordSalesPayment", actor, order=order["id"], amount=amount, method=method,
                      idempotencyKey=more.pop("idempotencyKey", key()), **more)  # fmt: skip


async def refund(graphql: GraphQLClient, actor: Actor, order: dict[str, Any], amount: str, method: str = "cash",
                 **more: Any) -> dict[str, Any]:  # fmt: skip
    return await call(graphql, REFUND, "recordSalesRefund", actor, order=order["id"], amount=amount, method=method,
                      idempotencyKey=more.pop("idempotencyKey", key()), **more)  # fmt: skip


async def read(graphql: GraphQLClient, admin: Actor, order: dict[str, Any]) -> dict[str, Any]:
    return (await graphql.run(ORDER_QUERY, {"id": order["id"]}, token=admin.token))["node"]  # type: ignore[no-any-return]


def status(order: dict[str, Any]) -> tuple[str, str, str]:
    details = order["salesOrder"]
    return details["payment"], details["paid"], details["balanceDue"]


async def test_two_payments_and_a_refund_give_the_statuses_and_balance_due(graphql: GraphQLClient, admin: Actor,
                                                                           shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)
    assert order["gross"] == "100.0000" and status(await read(graphql, admin, order)) == ("none", "0.0000",
                                                                                          "100.0000")  # fmt: skip
    first = await pay(graphql, admin, order, "30", "card", reference="SLIP-0042")
    assert first["errors"] == [] and first["payment"]["method"] == "card" and first["payment"]["currency"] == "EUR"
    assert first["payment"]["reference"] == "SLIP-0042" and first["payment"]["createdBy"] == admin.username
    assert status(first["order"]) == ("partial", "30.0000", "70.0000")
    second = await pay(graphql, admin, order, "70", "bank_transfer")
    assert status(second["order"]) == ("paid", "100.0000", "0.0000")
    back = await refund(graphql, admin, order, "20", "bank_transfer")
    assert back["payment"]["kind"] == "refund"
    assert status(back["order"]) == ("partial", "80.0000", "20.0000")
    everything = await refund(graphql, admin, order, "80")
    assert status(everything["order"]) == ("refunded", "0.0000", "100.0000")
    shown = everything["order"]["salesOrder"]["payments"]
    assert [(p["kind"], p["method"], p["amount"]) for p in shown] == [
        ("payment", "card", "30.0000"), ("payment", "bank_transfer", "70.0000"),
        ("refund", "bank_transfer", "20.0000"), ("refund", "cash", "80.0000"),
    ]  # fmt: skip


async def test_a_refund_above_what_was_paid_less_earlier_refunds_is_refused(graphql: GraphQLClient, admin: Actor,
                                                                            shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)
    nothing_paid = await refund(graphql, admin, order, "1")
    assert nothing_paid["errors"][0]["field"] == ["input", "amount"] and "0.00 EUR" in nothing_paid["errors"][0][
        "message"]  # fmt: skip
    await pay(graphql, admin, order, "40")
    await refund(graphql, admin, order, "15")
    refused = await refund(graphql, admin, order, "25.01")
    assert refused["errors"][0]["code"] == "INVALID" and refused["errors"][0]["field"] == ["input", "amount"]
    assert "At most 25.00 EUR" in refused["errors"][0]["message"] and refused["payment"] is None
    assert status(await read(graphql, admin, order)) == ("partial", "25.0000", "75.0000")
    assert (await refund(graphql, admin, order, "25"))["errors"] == []


async def test_paying_more_than_is_due_is_refused_and_nothing_is_booked(graphql: GraphQLClient, admin: Actor,
                                                                        shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)
    await pay(graphql, admin, order, "60")
    over = await pay(graphql, admin, order, "40.01")
    assert over["errors"][0]["field"] == ["input", "amount"] and "Only 40.00 EUR is due" in over["errors"][0]["message"]
    assert (await pay(graphql, admin, order, "40"))["errors"] == []
    paid_up = await pay(graphql, admin, order, "0.01")
    assert "Only 0.00 EUR is due" in paid_up["errors"][0]["message"]
    assert status(await read(graphql, admin, order)) == ("paid", "100.0000", "0.0000")


async def test_the_same_payment_key_twice_books_once(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    order = await _order(graphql, admin, shop)
    same = key()
    first = await pay(graphql, admin, order, "25", idempotencyKey=same)
    again = await pay(graphql, admin, order, "25", idempotencyKey=same)
    assert again["errors"] == [] and again["payment"]["id"] == first["payment"]["id"]
    assert status(again["order"]) == ("partial", "25.0000", "75.0000")
    other = await pay(graphql, admin, order, "30", idempotencyKey=same)
    assert other["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await SalesPayment.filter(order_id=_row_id(order)).count() == 1


async def test_a_retry_after_the_key_record_is_gone_still_books_once(graphql: GraphQLClient, admin: Actor,
                                                                      shop: Shop) -> None:  # fmt: skip
    from server.idempotency.models import IdempotencyRecord

    order = await _order(graphql, admin, shop)
    same = key()
    first = await pay(graphql, admin, order, "25", "card", idempotencyKey=same)
    await IdempotencyRecord.filter(key=same).delete()  # expired and purged
    again = await pay(graphql, admin, order, "25", "card", idempotencyKey=same)
    assert again["errors"] == [] and again["payment"]["id"] == first["payment"]["id"]
    assert status(await read(graphql, admin, order)) == ("partial", "25.0000", "75.0000")


async def test_a_payment_without_a_key_is_refused(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    order = await _order(graphql, admin, shop)
    response = await graphql.post(PAY, {"input": {"order": order["id"], "amount": "10", "method": "cash"}},
                                  admin.token)  # fmt: skip
    assert "idempotencyKey" in response.json()["errors"][0]["message"]
    blank = await pay(graphql, admin, order, "10", idempotencyKey="   ")
    assert blank["errors"][0]["field"] == ["input", "idempotencyKey"]


async def test_hostile_payment_inputs_answer_user_errors_and_write_nothing(graphql: GraphQLClient, admin: Actor,
                                                                           shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"amount": "0"}, ["input", "amount"]),
        ({"amount": "-5"}, ["input", "amount"]),
        ({"amount": "1e3"}, ["input", "amount"]),
        ({"amount": "10.005"}, ["input", "amount"]),  # EUR has 2 decimal places
        ({"amount": "9" * 10_000}, ["input", "amount"]),
        ({"amount": "NaN"}, ["input", "amount"]),
        ({"method": "bitcoin"}, ["input", "method"]),
        ({"method": "cash\x00"}, ["input", "method"]),
        ({"method": "c" * 10_000}, ["input", "method"]),
        ({"reference": "R\x00"}, ["input", "reference"]),
        ({"reference": "R" * 10_000}, ["input", "reference"]),
        ({"note": "n" * 10_000}, ["input", "note"]),
        ({"note": "bad\x00note"}, ["input", "note"]),
        ({"idempotencyKey": "k" * 10_000}, ["input", "idempotencyKey"]),
        ({"idempotencyKey": "k\x00"}, ["input", "idempotencyKey"]),
        ({"order": "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5"}, ["input", "order"]),  # Document:999999999999
        ({"order": "not-an-id"}, ["input", "order"]),
        ({"order": "\x00" * 100}, ["input", "order"]),
    ]
    for change, field in cases:
        given = {"order": order["id"], "amount": "10", "method": "cash", "idempotencyKey": key(), **change}
        for mutation, name in ((PAY, "recordSalesPayment"), (REFUND, "recordSalesRefund")):
            answer = await call(graphql, mutation, name, admin, **given)
            assert answer["errors"] and answer["errors"][0]["field"] == field, (change, answer)
            assert answer["payment"] is None
    assert await SalesPayment.filter(order_id=_row_id(order)).count() == 0
    assert status(await read(graphql, admin, order)) == ("none", "0.0000", "100.0000")


async def test_a_document_that_is_no_sales_order_takes_no_payment(graphql: GraphQLClient, admin: Actor,
                                                                  shop: Shop) -> None:  # fmt: skip
    from tests.schema.test_sales_quotations import CREATE_QUOTATION, QUOTE

    quotation = (await ok(graphql, CREATE_QUOTATION, "createSalesQuotation", admin, customer=shop.customer,
                          store=shop.store, lines=[{"sku": shop.sku, "quantity": "1", "price": "5"}]))  # fmt: skip
    assert "salesQuotation" in QUOTE
    answer = await pay(graphql, admin, quotation["document"], "5")
    assert answer["errors"][0]["field"] == ["input", "order"] and "not a sales order" in answer["errors"][0]["message"]


async def test_a_draft_order_is_paid_before_confirming_and_a_cancelled_one_refunded_only(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await draft(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "20"}], currency="EUR")
    prepaid = await pay(graphql, admin, order, "20", "card")
    assert prepaid["errors"] == [] and status(prepaid["order"]) == ("paid", "20.0000", "0.0000")
    await ok(graphql, CANCEL, "cancelSalesOrder", admin, id=order["id"])
    refused = await pay(graphql, admin, order, "1")
    assert refused["errors"][0]["code"] == "ILLEGAL_TRANSITION" and refused["errors"][0]["field"] == ["input", "order"]
    back = await refund(graphql, admin, order, "20", "card")
    assert back["errors"] == [] and status(back["order"])[:2] == ("refunded", "0.0000")


async def test_an_amended_total_moves_the_status_and_a_smaller_one_shows_a_credit(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await _order(graphql, admin, shop)
    paid = await pay(graphql, admin, order, "100")
    assert status(paid["order"]) == ("paid", "100.0000", "0.0000")
    more = (await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=order["version"],
                     lines=[{"position": 1, "sku": shop.sku, "quantity": "3"}]))["document"]  # fmt: skip
    assert status(await read(graphql, admin, order)) == ("partial", "100.0000", "50.0000")
    await ok(graphql, AMEND, "amendSalesOrder", admin, id=order["id"], version=more["version"],
             lines=[{"position": 1, "sku": shop.sku, "quantity": "1"}])  # fmt: skip
    assert status(await read(graphql, admin, order)) == ("paid", "100.0000", "-50.0000")  # a credit of 50
    assert (await refund(graphql, admin, order, "50", "card"))["errors"] == []
    assert status(await read(graphql, admin, order)) == ("paid", "50.0000", "0.0000")


async def test_a_prepaid_draft_edited_before_confirming_is_settled_when_confirmed(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await draft(graphql, admin, shop, [{"sku": shop.sku, "quantity": "1", "price": "20"}], currency="EUR")
    await pay(graphql, admin, order, "20")
    edited = await graphql.post("""mutation U($input: UpdateDocumentInput!) { updateDocument(input: $input)
      { document { version gross } errors { code } } }""", {"input": {"id": order["id"], "version": order["version"],
      "lines": [{"sku": shop.sku, "quantity": "2", "price": "20"}]}}, admin.token)  # fmt: skip
    assert edited.json()["data"]["updateDocument"]["document"]["gross"] == "40.0000"
    done = await ok(graphql, CONFIRM, "confirmSalesOrder", admin, id=order["id"])
    assert status(done["document"]) == ("partial", "20.0000", "20.0000")


async def test_payments_are_found_by_customer_method_and_kind(graphql: GraphQLClient, admin: Actor,
                                                              shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)
    await pay(graphql, admin, order, "10", "card")
    await pay(graphql, admin, order, "5", "cash_on_delivery")
    await refund(graphql, admin, order, "3", "card")

    async def found(**filter: Any) -> list[tuple[str, str, str]]:
        answer = await graphql.run(PAYMENTS, {"filter": {"customer": shop.customer, **filter}}, token=admin.token)
        return [(e["node"]["kind"], e["node"]["method"], e["node"]["amount"]) for e in answer["salesPayments"]["edges"]]

    assert await found() == [("payment", "card", "10.0000"), ("payment", "cash_on_delivery", "5.0000"),
                             ("refund", "card", "3.0000")]  # fmt: skip
    assert await found(method="card", kind="refund") == [("refund", "card", "3.0000")]
    assert await found(method="\x00" * 50) == [] and await found(kind="gift") == []


async def test_a_viewer_sees_payments_but_cannot_book_one(graphql: GraphQLClient, admin: Actor, viewer: Actor,
                                                          shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)
    response = await graphql.post(PAY, {"input": {"order": order["id"], "amount": "10", "method": "cash",
                                                  "idempotencyKey": key()}}, viewer.token)  # fmt: skip
    assert "sales.manage" in str(response.json()["errors"])
    seen = await graphql.run(ORDER_QUERY, {"id": order["id"]}, token=viewer.token)
    assert seen["node"]["salesOrder"]["payments"] == []
    assert await SalesPayment.filter(order_id=_row_id(order)).count() == 0


async def test_a_paid_order_frees_credit_for_the_next_one(graphql: GraphQLClient, admin: Actor) -> None:
    from tests.schema.test_sales_orders import seller

    limited = await make_shop(admin, credit_limit=Decimal(1000))
    lines = [{"sku": limited.sku, "quantity": "6", "price": "100"}]
    clerk = await seller()
    first = await draft(graphql, admin, limited, lines, currency="EUR")
    await ok(graphql, CONFIRM, "confirmSalesOrder", clerk, id=first["id"])
    second = await draft(graphql, admin, limited, lines, currency="EUR")
    refused = await call(graphql, CONFIRM, "confirmSalesOrder", clerk, id=second["id"])
    assert refused["errors"][0]["code"] == "APPROVAL_REQUIRED"
    assert (await pay(graphql, clerk, first, first["gross"], "bank_transfer"))["errors"] == []
    done = await ok(graphql, CONFIRM, "confirmSalesOrder", clerk, id=second["id"])
    assert done["document"]["state"] == "confirmed"


@pytest.mark.postgres
async def test_concurrent_payments_never_lose_an_update(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    order = await _order(graphql, admin, shop, price="100")  # 200.00
    answers = await asyncio.gather(*(pay(graphql, admin, order, "10", "card") for _ in range(20)))
    assert all(a["errors"] == [] for a in answers), [a["errors"] for a in answers if a["errors"]][:3]
    assert status(await read(graphql, admin, order)) == ("paid", "200.0000", "0.0000")
    assert await SalesPayment.filter(order_id=_row_id(order)).count() == 20


@pytest.mark.postgres
async def test_concurrent_payments_past_the_total_book_only_what_is_due(graphql: GraphQLClient, admin: Actor,
                                                                        shop: Shop) -> None:  # fmt: skip
    order = await _order(graphql, admin, shop)  # 100.00
    answers = await asyncio.gather(*(pay(graphql, admin, order, "30") for _ in range(6)))
    assert sum(1 for a in answers if a["errors"] == []) == 3
    assert all(a["errors"][0]["field"] == ["input", "amount"] for a in answers if a["errors"])
    assert status(await read(graphql, admin, order)) == ("partial", "90.0000", "10.0000")


@pytest.mark.postgres
async def test_one_key_sent_at_once_from_two_tabs_books_once(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    order = await _order(graphql, admin, shop)
    same = key()
    answers = await asyncio.gather(*(pay(graphql, admin, order, "25", idempotencyKey=same) for _ in range(5)))
    assert all(a["errors"] == [] for a in answers) and len({a["payment"]["id"] for a in answers}) == 1
    assert status(await read(graphql, admin, order)) == ("partial", "25.0000", "75.0000")


def _row_id(order: dict[str, Any]) -> int:
    from schema.documents.types import document_id

    return document_id(order["id"])


async def test_what_is_cancelled_of_an_order_is_not_due_and_paying_the_rest_pays_it(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    order = await confirmed(graphql, admin, shop, [{"sku": shop.sku, "quantity": "2", "price": "50"},
                                                   {"sku": shop.sku, "quantity": "1", "price": "30"}],
                            currency="EUR")  # fmt: skip
    await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", admin, id=order["id"], positions=[2])
    assert status(await read(graphql, admin, order)) == ("none", "0.0000", "100.0000")
    over = await pay(graphql, admin, order, "130")
    assert (
        over["errors"][0]["field"] == ["input", "amount"] and "Only 100.00 EUR is due" in over["errors"][0]["message"]
    )
    assert (await pay(graphql, admin, order, "100"))["errors"] == []
    assert status(await read(graphql, admin, order)) == ("paid", "100.0000", "0.0000")
