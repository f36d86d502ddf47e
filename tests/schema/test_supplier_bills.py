"""Supplier bills over GraphQL: the three-way match, holds and their release, revaluation of what the bill
changed, the exchange-rate difference, payment terms, and the refusals."""

from __future__ import annotations

import asyncio
import datetime
import random
import string
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from server import sql
from server.auth.models import Role
from server.db import connection
from server.errors import DomainError
from server.inventory.check import check_ledger
from server.money.rates import create_currency, set_exchange_rate
from server.partners.models import Party
from tests.conftest import Actor, GraphQLClient, Place, make_actor, unique

ERRORS = "errors { field code message }"
BILL = """document { id number state rate gross actions } supplierReference amountDue dueOn discountOn discountAmount
  releasedBy priceDifference exchangeDifference holdReasons { position kind message }
  lines { position quantity unit price orderNumber order { number } orderLine { ordered received returned billed } }"""
CREATE_ORDER = f"""mutation C($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ document {{ id number }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ id state }} {ERRORS} }} }}"""
RECEIVE = f"""mutation R($input: ReceivePurchaseOrderInput!) {{
  receivePurchaseOrder(input: $input) {{ receipt {{ id }} {ERRORS} }} }}"""
ISSUE = f"""mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
CREATE = f"""mutation B($input: CreateSupplierBillInput!) {{
  createSupplierBill(input: $input) {{ bill {{ {BILL} }} {ERRORS} }} }}"""
POST = f"""mutation P($input: SupplierBillActionInput!) {{
  postSupplierBill(input: $input) {{ bill {{ {BILL} }} {ERRORS} }} }}"""
RELEASE = f"""mutation L($input: SupplierBillActionInput!) {{
  releaseSupplierBill(input: $input) {{ bill {{ {BILL} }} {ERRORS} }} }}"""
VALUE = """query V($sku: String!, $onDate: Date) { stockValue(sku: $sku, onDate: $onDate) { quantity value } }"""
ADJUSTMENTS = """query J { costAdjustments(first: 100) { edges { node { moveId kind quantity value } } } }"""
PAYABLE = """query Y($supplier: String) { payableBills(supplier: $supplier, first: 20) {
  edges { node { supplierReference amountDue dueOn discountOn discountAmount document { number } } } } }"""
BILLS = """query S($filter: SupplierBillFilter) { supplierBills(filter: $filter, first: 20) {
  edges { node { supplierReference document { state } } } } }"""


@dataclass
class Supplying:
    supplier: str
    store: str
    place: Place


@pytest.fixture
async def supplying(place: Place, store: str) -> Supplying:
    """A supplier with a 5% price and a 10% quantity tolerance on bills, 30 days net, 2% within 10 days."""
    supplier = await Party.create(
        code=unique("SUP"), name="Contoso", roles=["supplier"], currency="EUR", net_days=30, discount_days=10,
        discount_percent=Decimal(2), bill_price_tolerance_percent=Decimal(5),
        bill_quantity_tolerance_percent=Decimal(10),
    )  # fmt: skip
    return Supplying(supplier.code, store, place)


def _key() -> str:
    return str(uuid.uuid4())


async def _call(graphql: GraphQLClient, query: str, actor: Actor, **input: Any) -> dict[str, Any]:
    data = await graphql.run(query, {"input": input}, token=actor.token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def _ok(graphql: GraphQLClient, query: str, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = await _call(graphql, query, actor, **input)
    assert payload["errors"] == [], payload
    return payload


async def _received_order(graphql: GraphQLClient, admin: Actor, s: Supplying, ordered: str, received: str,
                          price: str = "10.00", **header: Any) -> dict[str, Any]:  # fmt: skip
    """A confirmed order of ``ordered`` units of the place's product at ``price``, of which ``received`` came."""
    order = (await _ok(graphql, CREATE_ORDER, admin, supplier=s.supplier, store=s.store, warehouse=s.place.warehouse,
                       receiveInto=s.place.bin_a, lines=[{"sku": s.place.sku, "quantity": ordered, "price": price}],
                       **header))["document"]  # fmt: skip
    await _ok(graphql, ACT, admin, id=order["id"], action="confirm")
    if Decimal(received) > 0:
        await _ok(graphql, RECEIVE, admin, lines=[{"order": order["id"], "position": 1, "quantity": received}],
                  idempotencyKey=_key())  # fmt: skip
    return order  # type: ignore[no-any-return]


async def _bill(graphql: GraphQLClient, admin: Actor, order: dict[str, Any], quantity: str, price: str | None = None,
                **header: Any) -> dict[str, Any]:  # fmt: skip
    line = {"order": order["id"], "position": 1, "quantity": quantity, **({"price": price} if price else {})}
    payload = await _ok(graphql, CREATE, admin, supplierReference=unique("INV"), lines=[line], **header)
    return payload["bill"]  # type: ignore[no-any-return]


async def _value(graphql: GraphQLClient, admin: Actor, sku: str, on: datetime.date | None = None) -> tuple[str, str]:
    variables = {"sku": sku, **({"onDate": on.isoformat()} if on else {})}
    found = (await graphql.run(VALUE, variables, token=admin.token))["stockValue"]
    return found["quantity"], found["value"]


async def test_ten_at_ten_with_four_sold_billed_at_twelve_is_held_and_released_revalues_six_and_costs_eight(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "10")
    # As if the goods came three days ago and four were sold two days ago (a receipt is dated today).
    days_ago = [datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=n) for n in (3, 2)]
    await sql.execute(connection(), "UPDATE stock_move SET effective_at = $1 WHERE product_id = $2 AND document_id"
                      " IS NOT NULL", days_ago[0], await _product_id(s.place.sku))  # fmt: skip
    await _ok(graphql, ISSUE, admin, sku=s.place.sku, locationCode=s.place.bin_a, quantity="4", idempotencyKey=_key(),
              scan={"code": s.place.sku, "scannedAt": days_ago[1].isoformat()})  # fmt: skip
    earlier = [moment.date() for moment in days_ago]
    assert await _value(graphql, admin, s.place.sku, earlier[0]) == ("10.0000", "100.0000")
    assert await _value(graphql, admin, s.place.sku, earlier[1]) == ("6.0000", "60.0000")

    draft = await _bill(graphql, admin, order, "10", "12.00")
    assert (draft["document"]["state"], draft["amountDue"]) == ("draft", "0")
    held = (await _ok(graphql, POST, admin, id=draft["document"]["id"]))["bill"]
    unit = held["lines"][0]["unit"]
    assert held["document"]["state"] == "on_hold"
    message = f"line 1: billed 12.00 per {unit}, ordered at 10.00 (+20%, tolerance 5%)"
    assert held["holdReasons"] == [{"position": 1, "kind": "price", "message": message}]
    assert held["lines"][0]["orderLine"]["billed"] == "0.0000"
    assert await _value(graphql, admin, s.place.sku) == ("6.0000", "60.0000")  # nothing revalued while held
    assert [e["node"] for e in (await graphql.run(PAYABLE, {"supplier": s.supplier}, token=admin.token))[
        "payableBills"]["edges"]] == []  # fmt: skip

    # Releasing takes bills.release: a buyer who records and posts bills cannot.
    buyer = await _buyer()
    denied = await graphql.post(RELEASE, {"input": {"id": draft["document"]["id"]}}, buyer.token)
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _call(graphql, POST, buyer, id=draft["document"]["id"]))["errors"][0]["code"] == "ILLEGAL_TRANSITION"

    released = (await _ok(graphql, RELEASE, admin, id=draft["document"]["id"]))["bill"]
    assert (released["document"]["state"], released["releasedBy"], released["priceDifference"]) == (
        "posted", admin.username, "20.0000")  # fmt: skip
    assert released["holdReasons"] == held["holdReasons"]  # kept: why it was held
    assert released["lines"][0]["orderLine"]["billed"] == "10.0000"
    assert released["amountDue"] == released["document"]["gross"]
    assert await _value(graphql, admin, s.place.sku) == ("6.0000", "72.0000")  # the six on hand: +12.00
    found = await graphql.run(ADJUSTMENTS, {}, token=admin.token)
    adjustments = [e["node"] for e in found["costAdjustments"]["edges"]]
    mine = [(a["kind"], a["quantity"], a["value"]) for a in adjustments if a["moveId"] == await _receipt_move(s)]
    assert mine == [("revaluation", "6.0000", "12.0000"), ("cost_of_goods", "4.0000", "8.0000")]
    # History is not rewritten: the revaluation is dated now.
    assert await _value(graphql, admin, s.place.sku, earlier[0]) == ("10.0000", "100.0000")
    assert await _value(graphql, admin, s.place.sku, earlier[1]) == ("6.0000", "60.0000")
    payable = (await graphql.run(PAYABLE, {"supplier": s.supplier}, token=admin.token))["payableBills"]["edges"]
    assert [p["node"]["document"]["number"] for p in payable] == [released["document"]["number"]]
    assert (await check_ledger()).ok
    again = await _call(graphql, RELEASE, admin, id=draft["document"]["id"])
    assert [e["code"] for e in again["errors"]] == ["ILLEGAL_TRANSITION"]


async def test_a_bill_within_tolerance_posts_at_once_revalues_and_is_due_by_the_terms(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "10")
    bill_date = datetime.date(2031, 1, 20)
    draft = await _bill(graphql, admin, order, "10", "10.40", billDate=bill_date.isoformat())  # +4%: within 5%
    posted = (await _ok(graphql, POST, admin, id=draft["document"]["id"]))["bill"]
    assert (posted["document"]["state"], posted["holdReasons"], posted["priceDifference"]) == ("posted", [], "4.0000")
    assert posted["document"]["number"].startswith("BILL-")
    assert (posted["dueOn"], posted["discountOn"]) == ("2031-02-19", "2031-01-30")
    assert (posted["document"]["gross"], posted["amountDue"], posted["discountAmount"]) == (
        "104.0000", "104.0000", "2.0800")  # fmt: skip
    assert await _value(graphql, admin, s.place.sku) == ("10.0000", "104.0000")
    payable = (await graphql.run(PAYABLE, {"supplier": s.supplier}, token=admin.token))["payableBills"]["edges"]
    assert [(p["node"]["amountDue"], p["node"]["dueOn"]) for p in payable] == [("104.0000", "2031-02-19")]
    listed = await graphql.run(BILLS, {"filter": {"supplier": s.supplier, "state": "posted"}}, token=admin.token)
    assert len(listed["supplierBills"]["edges"]) == 1


async def test_billing_more_than_received_beyond_the_quantity_tolerance_is_held(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "8")
    too_many = await _bill(graphql, admin, order, "10")
    held = (await _ok(graphql, POST, admin, id=too_many["document"]["id"]))["bill"]
    assert held["holdReasons"] == [{"position": 1, "kind": "quantity",
                                    "message": "line 1: billed 10, received 8 (tolerance 10%)"}]  # fmt: skip
    # A held bill claims its quantity: a second bill is matched against it too.
    second = await _bill(graphql, admin, order, "1")
    also = (await _ok(graphql, POST, admin, id=second["document"]["id"]))["bill"]
    assert also["holdReasons"][0]["message"] == "line 1: billed 1, received 8, billed before 10 (tolerance 10%)"
    for bill in (too_many, second):
        await _ok(graphql, ACT, admin, id=bill["document"]["id"], action="cancel")
    within = await _bill(graphql, admin, order, "8.8")  # 8 received and 10% more
    posted = (await _ok(graphql, POST, admin, id=within["document"]["id"]))["bill"]
    assert (posted["document"]["state"], posted["lines"][0]["orderLine"]["billed"]) == ("posted", "8.8000")


async def test_a_supplier_who_bills_before_receipt_is_matched_against_what_was_ordered(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    await Party.filter(code=s.supplier).update(bills_before_receipt=True)
    order = await _received_order(graphql, admin, s, "10", "0")
    posted = (await _ok(graphql, POST, admin, id=(await _bill(graphql, admin, order, "10"))["document"]["id"]))["bill"]
    assert (posted["document"]["state"], posted["lines"][0]["orderLine"]["billed"]) == ("posted", "10.0000")
    more = (await _ok(graphql, POST, admin, id=(await _bill(graphql, admin, order, "2"))["document"]["id"]))["bill"]
    assert more["holdReasons"][0]["message"] == "line 1: billed 2, ordered 10, billed before 10 (tolerance 10%)"


async def test_the_exchange_rate_difference_is_recorded_and_revalues_nothing(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    currency = await _currency(admin)
    today = datetime.date.today()
    await set_exchange_rate(currency, today - datetime.timedelta(days=30), "1.25", actor_id=admin.user_id)
    await set_exchange_rate(currency, today, "1.10", actor_id=admin.user_id)
    order = await _received_order(graphql, admin, s, "10", "10", currency=currency)
    assert await _value(graphql, admin, s.place.sku) == ("10.0000", "110.0000")  # 10 x 10.00 at 1.10
    yesterday = today - datetime.timedelta(days=1)
    draft = await _bill(graphql, admin, order, "10", billDate=yesterday.isoformat())
    posted = (await _ok(graphql, POST, admin, id=draft["document"]["id"]))["bill"]
    assert (posted["document"]["state"], posted["document"]["rate"]) == ("posted", "1.25000000")
    assert (posted["exchangeDifference"], posted["priceDifference"]) == ("15.0000", "0.0000")  # 100 x (1.25 - 1.10)
    assert await _value(graphql, admin, s.place.sku) == ("10.0000", "110.0000")


@pytest.mark.postgres
async def test_two_bills_at_once_for_the_same_line_bill_it_once(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "10")
    drafts = [await _bill(graphql, admin, order, "10") for _ in range(2)]
    answers = await asyncio.gather(*(_ok(graphql, POST, admin, id=d["document"]["id"]) for d in drafts))
    states = sorted(a["bill"]["document"]["state"] for a in answers)
    assert states == ["on_hold", "posted"]
    held = next(a["bill"] for a in answers if a["bill"]["document"]["state"] == "on_hold")
    assert held["holdReasons"][0]["message"] == "line 1: billed 10, received 10, billed before 10 (tolerance 10%)"
    billed = await sql.fetch_one(connection(), "SELECT billed FROM purchase_line WHERE order_id = $1",
                                 int(await _document_row_id(order["id"])))  # fmt: skip
    assert billed is not None and Decimal(billed["billed"]) == 10


async def test_bad_input_is_refused_with_user_errors_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "10")
    line = {"order": order["id"], "position": 1, "quantity": "1"}

    async def codes(**input: Any) -> list[tuple[str, list[str]]]:
        payload = await _call(graphql, CREATE, admin, **input)
        assert payload["bill"] is None
        return [(e["code"], e["field"]) for e in payload["errors"]]

    assert await codes(supplierReference="INV", lines=[]) == [("INVALID", ["input", "lines"])]
    assert await codes(supplierReference="\x00", lines=[line]) == [("INVALID", ["input", "supplierReference"])]
    assert await codes(supplierReference="x" * 100_000, lines=[line]) == [
        ("INVALID", ["input", "supplierReference"])]  # fmt: skip
    assert await codes(supplierReference="INV", lines=[{**line, "position": 99}, {**line, "quantity": "0"}]) == [
        ("INVALID", ["input", "lines", "1", "quantity"])]  # fmt: skip
    assert await codes(supplierReference="INV", lines=[{**line, "position": 99}]) == [
        ("NOT_FOUND", ["input", "lines", "0", "position"])]  # fmt: skip
    assert await codes(supplierReference="INV", lines=[{**line, "order": "nonsense"}]) == [
        ("INVALID", ["input", "lines", "0", "order"])]  # fmt: skip
    draft_order = (await _ok(graphql, CREATE_ORDER, admin, supplier=s.supplier, store=s.store,
                             warehouse=s.place.warehouse,
                             lines=[{"sku": s.place.sku, "quantity": "1"}]))["document"]  # fmt: skip
    assert await codes(supplierReference="INV", lines=[{**line, "order": draft_order["id"]}]) == [
        ("ILLEGAL_TRANSITION", ["input", "lines", "0", "order"])]  # fmt: skip
    first = await _ok(graphql, CREATE, admin, supplierReference="INV-7", lines=[line])
    assert await codes(supplierReference="INV-7", lines=[line]) == [("ALREADY_EXISTS", ["input", "supplierReference"])]
    assert await codes(supplierReference="inv-7", lines=[line]) == [("ALREADY_EXISTS", ["input", "supplierReference"])]
    bill_id = first["bill"]["document"]["id"]
    generic = await _call(graphql, ACT, admin, id=bill_id, action="post")
    assert [e["code"] for e in generic["errors"]] == ["ILLEGAL_TRANSITION"]  # posted only through the match
    not_a_bill = await _call(graphql, POST, admin, id=order["id"])
    assert [e["code"] for e in not_a_bill["errors"]] == ["INVALID"]
    early = await _call(graphql, RELEASE, admin, id=bill_id)
    assert [e["code"] for e in early["errors"]] == ["ILLEGAL_TRANSITION"]


async def test_a_replay_with_the_same_key_answers_the_first_result_and_bills_once(
    graphql: GraphQLClient, admin: Actor, supplying: Supplying
) -> None:
    s = supplying
    order = await _received_order(graphql, admin, s, "10", "10")
    key, line = _key(), {"order": order["id"], "position": 1, "quantity": "4"}
    first = await _ok(graphql, CREATE, admin, supplierReference="R-1", lines=[line], idempotencyKey=key)
    again = await _ok(graphql, CREATE, admin, supplierReference="R-1", lines=[line], idempotencyKey=key)
    assert first["bill"]["document"]["id"] == again["bill"]["document"]["id"]
    other = await _call(graphql, CREATE, admin, supplierReference="R-2", lines=[line], idempotencyKey=key)
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    post_key = _key()
    posted = await _ok(graphql, POST, admin, id=first["bill"]["document"]["id"], idempotencyKey=post_key)
    replay = await _ok(graphql, POST, admin, id=first["bill"]["document"]["id"], idempotencyKey=post_key)
    assert replay["bill"]["document"]["number"] == posted["bill"]["document"]["number"]
    assert replay["bill"]["lines"][0]["orderLine"]["billed"] == "4.0000"


async def _buyer() -> Actor:
    """A user who records and posts bills but may not release them."""
    name = unique("buyer").lower()
    await Role.create(name=name, permissions=["purchasing.view", "purchasing.manage", "documents.view"])
    return await make_actor(name)


async def _product_id(sku: str) -> int:
    row = await sql.fetch_one(connection(), "SELECT id FROM product WHERE sku = $1", sku)
    assert row is not None
    return int(row["id"])


async def _receipt_move(s: Supplying) -> str:
    """The global id of the receipt's move of the place's product."""
    from strawberry import relay

    row = await sql.fetch_one(connection(), "SELECT m.id FROM stock_move m JOIN document d ON d.id = m.document_id"
                              " WHERE m.product_id = $1 AND d.type = 'purchase.receipt'",
                              await _product_id(s.place.sku))  # fmt: skip
    assert row is not None
    return str(relay.GlobalID("StockMove", str(row["id"])))


async def _document_row_id(global_id: str) -> int:
    from schema.documents.types import document_id

    return document_id(global_id)


async def _currency(admin: Actor) -> str:
    """A currency of this test's own, so its rates meet no other test's."""
    while True:
        code = "Q" + "".join(random.choices(string.ascii_uppercase, k=2))
        try:
            await create_currency(code, f"Test {code}", 2, actor_id=admin.user_id)
            return code
        except DomainError:
            continue
