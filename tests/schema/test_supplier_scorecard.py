"""The supplier scorecard over GraphQL, from orders and receipts made here: on time, in full, at what prices."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from server.catalog.service import ProductDetails, create_product
from server.money.rates import set_exchange_rate
from server.partners.models import Party
from tests.conftest import Actor, GraphQLClient, Place, unique
from tests.server.money.helpers import new_currency

ERRORS = "errors { field code message }"
CREATE = f"""mutation C($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ document {{ id number }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{ transitionDocument(input: $input) {{ {ERRORS} }} }}"""
RECEIVE = f"""mutation R($input: ReceivePurchaseOrderInput!) {{ receivePurchaseOrder(input: $input) {{ {ERRORS} }} }}"""
CLOSE = f"""mutation X($input: ClosePurchaseOrderInput!) {{ closePurchaseOrder(input: $input) {{ {ERRORS} }} }}"""
SCORECARD = """query S($supplier: String!, $days: Int!, $sku: String) {
  supplierScorecard(supplier: $supplier, days: $days) {
  supplier since until deliveries onTime onTimeRate ordered filled fillRate
  priceHistory(sku: $sku, first: 10) { on orderNumber sku quantity unit price currency unitCost } } }"""


async def _ok(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = (await graphql.run(query, {"input": input}, token=actor.token))[name]
    assert payload["errors"] == [], payload
    return payload  # type: ignore[no-any-return]


async def _order(graphql: GraphQLClient, admin: Actor, place: Place, store: str, supplier: str, sku: str,
                 quantity: str, price: str, expected_on: datetime.date, *, currency: str | None = None,
                 confirm: bool = True) -> dict[str, Any]:  # fmt: skip
    made = await _ok(graphql, CREATE, "createPurchaseOrder", admin, supplier=supplier, store=store,
                     warehouse=place.warehouse, receiveInto=place.bin_a, expectedOn=expected_on.isoformat(),
                     currency=currency, lines=[{"sku": sku, "quantity": quantity, "price": price}])  # fmt: skip
    if confirm:
        await _ok(graphql, ACT, "transitionDocument", admin, id=made["document"]["id"], action="confirm")
    return made["document"]  # type: ignore[no-any-return]


async def _receive(graphql: GraphQLClient, admin: Actor, order: dict[str, Any], quantity: str) -> None:
    await _ok(graphql, RECEIVE, "receivePurchaseOrder", admin, idempotencyKey=str(uuid.uuid4()),
              lines=[{"order": order["id"], "position": 1, "quantity": quantity}])  # fmt: skip


async def test_two_of_three_receipts_on_time_and_ninety_of_a_hundred_filled(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, store: str
) -> None:
    sku = unique("SCORE")
    await create_product(sku, ProductDetails(name="Scored widget"), actor_id=admin.user_id)
    currency = await new_currency(admin.user_id)
    await set_exchange_rate(currency, datetime.date(2020, 1, 1), "2", actor_id=admin.user_id)
    supplier = (await Party.create(code=unique("SUP"), name="Scored", roles=["supplier"], currency="EUR")).code
    today = datetime.date.today()
    later, earlier = today + datetime.timedelta(days=5), today - datetime.timedelta(days=1)

    full = await _order(graphql, admin, place, store, supplier, sku, "100", "2.00", later)
    await _receive(graphql, admin, full, "90")
    await _ok(graphql, CLOSE, "closePurchaseOrder", admin, id=full["id"])  # 10 never come: 90 of 100 filled
    on_time = await _order(graphql, admin, place, store, supplier, sku, "10", "2.50", today)
    await _receive(graphql, admin, on_time, "5")  # partly received: on time, but not yet counted for the fill
    late = await _order(graphql, admin, place, store, supplier, sku, "10", "1.50", earlier, currency=currency)
    await _receive(graphql, admin, late, "5")  # expected yesterday, arrived today
    await _order(graphql, admin, place, store, supplier, sku, "10", "9.99", later, confirm=False)  # a draft

    card = (await graphql.run(SCORECARD, {"supplier": supplier, "days": 30}, token=viewer.token))["supplierScorecard"]
    assert (card["deliveries"], card["onTime"], card["onTimeRate"]) == (3, 2, "0.6667")
    assert (card["ordered"], card["filled"], card["fillRate"]) == ("100.0000", "90.0000", "0.9000")
    assert (card["since"], card["until"]) == ((today - datetime.timedelta(days=29)).isoformat(), today.isoformat())
    # Confirmed orders only, per base unit in the company currency: 1.50 at 2 euros is 3.0000.
    assert [(p["orderNumber"], p["price"], p["currency"], p["unitCost"]) for p in card["priceHistory"]] == [
        (full["number"], "2.0000", "EUR", "2.0000"), (on_time["number"], "2.5000", "EUR", "2.5000"),
        (late["number"], "1.5000", currency, "3.0000"),
    ]  # fmt: skip
    assert {p["sku"] for p in card["priceHistory"]} == {sku}
    other = await graphql.run(SCORECARD, {"supplier": supplier, "days": 30, "sku": "NOPE"}, token=viewer.token)
    assert other["supplierScorecard"]["priceHistory"] == []


async def test_a_supplier_without_history_has_no_rates_and_bad_arguments_are_refused(
    graphql: GraphQLClient, viewer: Actor
) -> None:
    supplier = (await Party.create(code=unique("SUP"), name="New", roles=["supplier"])).code
    card = (await graphql.run(SCORECARD, {"supplier": supplier, "days": 365}, token=viewer.token))["supplierScorecard"]
    assert (card["deliveries"], card["onTimeRate"], card["ordered"], card["fillRate"]) == (0, None, "0", None)
    for supplier_code, days, field in ((supplier, 0, "days"), (supplier, 99999, "days"), ("NOBODY", 30, "supplier"),
                                       ("a\x00b", 30, "supplier"), ("x" * 900_000, 30, "supplier")):  # fmt: skip
        response = await graphql.post(SCORECARD, {"supplier": supplier_code, "days": days}, viewer.token)
        errors = response.json()["errors"]
        assert errors[0]["extensions"]["code"] in ("INVALID", "NOT_FOUND"), errors
        assert errors[0]["extensions"]["field"] == [field], errors
