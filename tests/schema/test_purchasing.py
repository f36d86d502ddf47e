"""Purchase orders and receiving over GraphQL: cases and packs, tolerance, states and their refusals."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from server.catalog.packagings import PackagingSpec, set_product_packagings
from server.catalog.service import ProductDetails, create_product
from server.documents.models import ApprovalRule, Store
from server.inventory.check import check_ledger
from server.money.pricelists import SupplierPriceInput, set_supplier_prices
from server.partners.models import Contact, Party
from tests.conftest import Actor, GraphQLClient, Place, make_actor, unique

ERRORS = "errors { field code message }"
PROGRESS = """id number state version actions net gross
  purchaseOrder { warehouse expectedOn revision sentRevision receiveInto
    lines(first: 5) { position ordered received returned cancelled billed due } receipts(first: 5) { number state } }"""
ORDER = PROGRESS + " lines { position quantity price }"
CREATE = f"""mutation C($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
SEND = f"""mutation S($input: SendPurchaseOrderInput!) {{
  sendPurchaseOrder(input: $input) {{ document {{ {ORDER} deliveries {{ to }} }} {ERRORS} }} }}"""
CLOSE = f"""mutation X($input: ClosePurchaseOrderInput!) {{
  closePurchaseOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
CANCEL_REMAINING = f"""mutation R($input: CancelPurchaseOrderRemainingInput!) {{
  cancelPurchaseOrderRemaining(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation R($input: ReceivePurchaseOrderInput!) {{
  receivePurchaseOrder(input: $input) {{ receipt {{ id number type state lines {{ unit baseQuantity location lot }} }}
    orders {{ {PROGRESS} }} {ERRORS} }} }}"""
CREATE_DOCUMENT = f"""mutation D($input: CreateDocumentInput!) {{ createDocument(input: $input) {{ {ERRORS} }} }}"""
INCOMING = """query I($sku: String!) { availability(sku: $sku) { incoming { documentType documentNumber quantity
  expectedOn warehouseCode } } }"""
LEVELS = """query L($sku: String!) { stockLevels(sku: $sku, first: 20) { edges { node { locationCode onHand } } } }"""
MOVES = """query M($sku: String!) { stockCard(sku: $sku, first: 20) { edges { node { quantity unitCost } } } }"""
ORDERS = """query O($filter: PurchaseOrderFilter) { purchaseOrders(filter: $filter, first: 50) {
  edges { node { number state } } } }"""


@dataclass
class Buying:
    """A supplier who sells a product by the case of 12 at 24.00, and a store that buys into the place's warehouse."""

    supplier: str
    store: str
    sku: str
    place: Place


@pytest.fixture
async def buying(place: Place, store: str, admin: Actor) -> Buying:
    sku = unique("CASED")
    await create_product(sku, ProductDetails(name="Cased widget"), actor_id=admin.user_id)
    await set_product_packagings(sku, [PackagingSpec("case", "12")], actor_id=admin.user_id)
    supplier = await Party.create(code=unique("SUP"), name="Northwind", roles=["supplier"], currency="EUR",
                                  over_receipt_percent=Decimal(10), lead_time_days=5)  # fmt: skip
    await Contact.create(party=supplier, name="Orders desk", email=f"{supplier.code.lower()}@example.com")
    await set_supplier_prices(supplier.code, [SupplierPriceInput(sku, "case", "24.00", pack_quantity="12")],
                              actor_id=admin.user_id)  # fmt: skip
    return Buying(supplier.code, store, sku, place)


def _key() -> str:
    return str(uuid.uuid4())


async def _call(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    return (await graphql.run(query, {"input": input}, token=actor.token))[name]  # type: ignore[no-any-return]


async def _ok(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = await _call(graphql, query, name, actor, **input)
    assert payload["errors"] == [], payload
    return payload


async def _order(graphql: GraphQLClient, actor: Actor, buying: Buying, lines: list[dict[str, Any]],
                 **header: Any) -> dict[str, Any]:  # fmt: skip
    payload = await _ok(
        graphql,
        CREATE,
        "createPurchaseOrder",
        actor,
        supplier=buying.supplier,
        store=buying.store,
        warehouse=buying.place.warehouse,
        lines=lines,
        receiveInto=buying.place.bin_a,
        **header,
    )
    return payload["document"]  # type: ignore[no-any-return]


async def _confirmed(graphql: GraphQLClient, actor: Actor, buying: Buying, lines: list[dict[str, Any]],
                     **header: Any) -> dict[str, Any]:  # fmt: skip
    draft = await _order(graphql, actor, buying, lines, **header)
    return (await _ok(graphql, ACT, "transitionDocument", actor, id=draft["id"], action="confirm"))["document"]  # type: ignore[no-any-return]


async def _receive(
    graphql: GraphQLClient, actor: Actor, *lines: dict[str, Any], key: str | None = None
) -> dict[str, Any]:
    return await _call(graphql, RECEIVE, "receivePurchaseOrder", actor, lines=list(lines),
                       idempotencyKey=key or _key())  # fmt: skip


async def _on_hand(graphql: GraphQLClient, actor: Actor, sku: str) -> dict[str, str]:
    edges = (await graphql.run(LEVELS, {"sku": sku}, token=actor.token))["stockLevels"]["edges"]
    return {edge["node"]["locationCode"]: edge["node"]["onHand"] for edge in edges}


async def _incoming(graphql: GraphQLClient, actor: Actor, sku: str) -> list[dict[str, Any]]:
    return (await graphql.run(INCOMING, {"sku": sku}, token=actor.token))["availability"]["incoming"]  # type: ignore[no-any-return]


async def test_five_cases_ordered_are_sixty_incoming_and_two_received_are_24_on_hand_at_two_each(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5", "unit": "case"}])
    assert order["number"].startswith("PO-")  # numbered when made: the supplier sees it
    ordered = order["purchaseOrder"]["lines"][0]["ordered"]
    assert (order["state"], order["lines"][0]["price"], ordered, order["net"]) == (
        "confirmed", "24.0000", "60.0000", "120.0000")  # fmt: skip
    incoming = await _incoming(graphql, admin, buying.sku)
    assert [(i["documentType"], i["documentNumber"], i["quantity"], i["warehouseCode"]) for i in incoming] == [
        ("purchase.order", order["number"], "60.0000", buying.place.warehouse)]  # fmt: skip

    received = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2"})
    assert received["errors"] == []
    receipt = received["receipt"]
    assert (receipt["type"], receipt["state"], receipt["number"].startswith("GR-")) == (
        "purchase.receipt",
        "done",
        True,
    )
    assert [(r["unit"], r["baseQuantity"], r["location"]) for r in receipt["lines"]] == [
        ("CASE", "24.0000", buying.place.bin_a)]  # fmt: skip
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "24.0000"}
    card = (await graphql.run(MOVES, {"sku": buying.sku}, token=admin.token))["stockCard"]["edges"]
    assert [(c["node"]["quantity"], c["node"]["unitCost"]) for c in card] == [("24.0000", "2.0000")]
    after = received["orders"][0]
    assert after["state"] == "partially_received"
    assert after["purchaseOrder"]["lines"] == [{"position": 1, "ordered": "60.0000", "received": "24.0000",
                                                "returned": "0.0000", "cancelled": "0.0000", "billed": "0.0000",
                                                "due": "36.0000"}]  # fmt: skip
    assert [r["number"] for r in after["purchaseOrder"]["receipts"]] == [receipt["number"]]
    assert [i["quantity"] for i in await _incoming(graphql, admin, buying.sku)] == ["36.0000"]

    rest = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "36", "unit": "pcs"})
    assert rest["errors"] == [] and rest["orders"][0]["state"] == "received"
    assert await _incoming(graphql, admin, buying.sku) == []
    closed = await _ok(graphql, CLOSE, "closePurchaseOrder", admin, id=order["id"])
    assert closed["document"]["state"] == "closed"
    assert (await check_ledger()).ok


async def test_a_replayed_scan_books_once_and_answers_the_same_receipt(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "24"}])
    key = _key()
    first = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "5"}, key=key)
    again = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "5"}, key=key)
    assert first["receipt"]["number"] == again["receipt"]["number"]
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "5.0000"}
    reused = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "6"}, key=key)
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_receipts_past_the_tolerance_are_refused_and_write_nothing(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "100"}])
    refused = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "111"})
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("OVER_RECEIPT", ["input", "lines", "0", "quantity"])]  # fmt: skip
    assert await _on_hand(graphql, admin, buying.sku) == {}
    # The same line named twice in one request counts both.
    twice = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "60"},
                           {"order": order["id"], "position": 1, "quantity": "51"})  # fmt: skip
    assert [e["code"] for e in twice["errors"]] == ["OVER_RECEIPT"]
    assert (await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "110"}))["errors"] == []
    assert [
        e["code"]
        for e in (await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "1"}))["errors"]
    ] == ["OVER_RECEIPT"]


@pytest.mark.postgres
async def test_forty_scans_of_five_at_once_receive_exactly_110_of_100_with_ten_percent(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "100"}])
    answers = await asyncio.gather(*(
        _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "5"}) for _ in range(40)
    ))  # fmt: skip
    codes = [tuple(e["code"] for e in a["errors"]) for a in answers]
    assert codes.count(()) == 22 and codes.count(("OVER_RECEIPT",)) == 18
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "110.0000"}
    found = await graphql.run(f"query Q($id: ID!) {{ document(id: $id) {{ {ORDER} }} }}", {"id": order["id"]},
                              token=admin.token)  # fmt: skip
    assert found["document"]["purchaseOrder"]["lines"][0]["received"] == "110.0000"
    assert found["document"]["state"] == "received"
    assert (await check_ledger()).ok


async def test_a_cancelled_or_closed_order_takes_no_receipt(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    cancelled = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "10"}])
    await _ok(graphql, ACT, "transitionDocument", admin, id=cancelled["id"], action="cancel")
    refused = await _receive(graphql, admin, {"order": cancelled["id"], "position": 1, "quantity": "1"})
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("ILLEGAL_TRANSITION", ["input", "lines", "0", "order"])]  # fmt: skip

    short = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "10"}])
    assert (await _receive(graphql, admin, {"order": short["id"], "position": 1, "quantity": "4"}))["errors"] == []
    closed = (await _ok(graphql, CLOSE, "closePurchaseOrder", admin, id=short["id"]))["document"]
    assert (closed["state"], closed["purchaseOrder"]["lines"][0]["cancelled"]) == ("closed", "6.0000")
    again = await _receive(graphql, admin, {"order": short["id"], "position": 1, "quantity": "1"})
    assert [e["code"] for e in again["errors"]] == ["ILLEGAL_TRANSITION"]
    draft = await _order(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1"}])
    assert [
        e["code"]
        for e in (await _receive(graphql, admin, {"order": draft["id"], "position": 1, "quantity": "1"}))["errors"]
    ] == ["ILLEGAL_TRANSITION"]
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "4.0000"}


async def test_cancelling_the_remainder_of_lines_completes_or_cancels_the_order(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    lines = [{"sku": buying.sku, "quantity": "10"}, {"sku": buying.sku, "quantity": "2", "unit": "case"}]
    order = await _confirmed(graphql, admin, buying, lines)
    await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "10"})
    done = (await _ok(graphql, CANCEL_REMAINING, "cancelPurchaseOrderRemaining", admin, id=order["id"],
                      positions=[2]))["document"]  # fmt: skip
    assert done["state"] == "received"
    assert [line["due"] for line in done["purchaseOrder"]["lines"]] == ["0.0000", "0.0000"]

    untouched = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "3"}])
    gone = (await _ok(graphql, CANCEL_REMAINING, "cancelPurchaseOrderRemaining", admin, id=untouched["id"],
                      positions=[1]))["document"]  # fmt: skip
    assert gone["state"] == "cancelled"
    missing = await _call(graphql, CANCEL_REMAINING, "cancelPurchaseOrderRemaining", admin, id=order["id"],
                          positions=[9])  # fmt: skip
    assert [e["code"] for e in missing["errors"]] == ["ILLEGAL_TRANSITION"]  # received: nothing due to cancel


async def test_one_receipt_fills_lines_of_two_orders_of_one_supplier(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    first = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5"}])
    second = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "7"}])
    both = await _receive(
        graphql,
        admin,
        {"order": first["id"], "position": 1, "quantity": "5"},
        {"order": second["id"], "position": 1, "quantity": "3", "location": buying.place.bin_b},
    )
    assert both["errors"] == []
    assert [(o["number"], o["state"]) for o in both["orders"]] == sorted(
        [(first["number"], "received"), (second["number"], "partially_received")], key=lambda o: o[0])  # fmt: skip
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "5.0000", buying.place.bin_b: "3.0000"}


async def test_sending_mails_the_order_and_remembers_the_revision(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5"}])
    sent = (await _ok(graphql, SEND, "sendPurchaseOrder", admin, id=order["id"], version=order["version"]))["document"]
    assert (sent["state"], sent["purchaseOrder"]["sentRevision"]) == ("sent", 0)
    assert sent["deliveries"] == [{"to": [f"{buying.supplier.lower()}@example.com"]}]
    stale = await _call(graphql, SEND, "sendPurchaseOrder", admin, id=order["id"], version=order["version"])
    assert [e["code"] for e in stale["errors"]] == ["STALE"]
    draft = await _order(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1"}])
    early = await _call(graphql, SEND, "sendPurchaseOrder", admin, id=draft["id"])
    assert [e["code"] for e in early["errors"]] == ["ILLEGAL_TRANSITION"]


async def test_confirming_above_the_threshold_needs_the_approve_permission(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    store = await Store.get(code=buying.store)
    await ApprovalRule.create(store=store, document_type="purchase.order", threshold=Decimal(100))
    clerk = await make_actor("clerk")
    big = await _order(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5", "unit": "case"}])  # 120.00
    refused = await _call(graphql, ACT, "transitionDocument", clerk, id=big["id"], action="confirm")
    assert [e["code"] for e in refused["errors"]] == ["APPROVAL_REQUIRED"]
    approved = await _ok(graphql, ACT, "transitionDocument", admin, id=big["id"], action="confirm")
    assert approved["document"]["state"] == "confirmed"
    # A clerk receives but does not make orders.
    denied = await graphql.post(
        CREATE,
        {
            "input": {
                "supplier": buying.supplier,
                "store": buying.store,
                "warehouse": buying.place.warehouse,
                "lines": [],
            }
        },
        clerk.token,
    )
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_orders_are_made_only_by_their_mutation_and_refuse_what_is_not_the_suppliers(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    generic = await _call(
        graphql,
        CREATE_DOCUMENT,
        "createDocument",
        admin,
        type="purchase.order",
        store=buying.store,
        party=buying.supplier,
        lines=[{"sku": buying.sku, "quantity": "1"}],
    )
    assert [(e["code"], e["field"]) for e in generic["errors"]] == [("INVALID", ["input", "type"])]
    customer = await Party.create(code=unique("CUS"), name="Bistro", roles=["customer"])
    not_supplier = await _call(graphql, CREATE, "createPurchaseOrder", admin, supplier=customer.code,
                               store=buying.store, warehouse=buying.place.warehouse,
                               lines=[{"sku": buying.sku, "quantity": "1"}])  # fmt: skip
    assert [e["field"] for e in not_supplier["errors"]] == [["input", "supplier"]]
    hostile = await _call(graphql, CREATE, "createPurchaseOrder", admin, supplier="\x00" * 10, store=buying.store,
                          warehouse="x" * 100_000, lines=[{"sku": buying.sku, "quantity": "1"}])  # fmt: skip
    assert hostile["errors"] and hostile.get("document") is None
    foreign = await _call(graphql, CREATE, "createPurchaseOrder", admin, supplier=buying.supplier,
                          store=buying.store, warehouse=buying.place.warehouse, receiveInto="NOWHERE-" + "Z" * 10,
                          lines=[{"sku": buying.sku, "quantity": "1"}])  # fmt: skip
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    from server.inventory.locations import create_warehouse

    elsewhere = unique("WHX")
    await create_warehouse(elsewhere, "Not the store's", actor_id=admin.user_id)
    unlinked = await _call(
        graphql,
        CREATE,
        "createPurchaseOrder",
        admin,
        supplier=buying.supplier,
        store=buying.store,
        warehouse=elsewhere,
        lines=[{"sku": buying.sku, "quantity": "1"}],
    )
    assert [(e["code"], e["field"]) for e in unlinked["errors"]] == [("INVALID", ["input", "warehouse"])]


async def test_a_serial_product_is_received_one_serial_per_unit(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    sku = unique("SERIAL")
    await create_product(sku, ProductDetails(name="Scanner", tracking="serial"),
                         actor_id=admin.user_id)  # fmt: skip
    order = await _confirmed(graphql, admin, buying, [{"sku": sku, "quantity": "2", "price": "100"}])
    serials = [unique("SN"), unique("SN")]
    wrong = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2",
                                            "serials": serials[:1]})  # fmt: skip
    assert [e["field"] for e in wrong["errors"]] == [["input", "lines", "0", "serials"]]
    done = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2", "serials": serials})
    assert done["errors"] == [] and sorted(r["lot"] for r in done["receipt"]["lines"]) == sorted(serials)
    other = await _confirmed(graphql, admin, buying, [{"sku": sku, "quantity": "1", "price": "100"}])
    twice = await _receive(graphql, admin, {"order": other["id"], "position": 1, "quantity": "1",
                                            "serials": serials[:1]})  # fmt: skip
    assert [e["code"] for e in twice["errors"]] == ["SERIAL_IN_STOCK"]


async def test_purchase_orders_are_found_by_state_supplier_product_and_lateness(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    late = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1"}], expectedOn="2020-01-01")
    draft = await _order(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1"}])

    async def numbers(**filter: Any) -> list[str]:
        edges = (await graphql.run(ORDERS, {"filter": filter}, token=admin.token))["purchaseOrders"]["edges"]
        return [edge["node"]["number"] for edge in edges]

    assert await numbers(supplier=buying.supplier) == [late["number"], draft["number"]]
    assert await numbers(supplier=buying.supplier, state="draft") == [draft["number"]]
    assert await numbers(sku=buying.sku, late=True) == [late["number"]]
    assert await numbers(supplier=buying.supplier, open=True) == [late["number"]]
    assert await numbers(warehouse=buying.place.warehouse, expectedFrom="2019-12-31", expectedTo="2020-01-01") == [
        late["number"]]  # fmt: skip
    assert await numbers(number=late["number"].lower()) == [late["number"]]
    assert await numbers(number="\x00" * 5) == []
    assert await numbers(supplier="\x00") == []
    assert await numbers(sku="y" * 10_000) == []


AMEND = f"""mutation M($input: AmendPurchaseOrderInput!) {{
  amendPurchaseOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""


async def test_an_amended_order_raises_its_revision_and_is_sent_again(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "5", "price": "2.10"}])
    sent = (await _ok(graphql, SEND, "sendPurchaseOrder", admin, id=order["id"]))["document"]
    amended = (await _ok(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=sent["version"],
                         expectedOn="2030-01-31", lines=[{"position": 1, "sku": buying.sku, "quantity": "8"},
                                                         {"sku": buying.sku, "quantity": "1", "unit": "case"}]))[
        "document"]  # fmt: skip
    details = amended["purchaseOrder"]
    assert (amended["state"], details["revision"], details["sentRevision"], details["expectedOn"]) == (
        "confirmed", 1, 0, "2030-01-31")  # fmt: skip
    assert [line["ordered"] for line in details["lines"]] == ["8.0000", "12.0000"]
    assert amended["net"] == "40.8000"  # 8 at the 2.10 agreed (kept), and a case at the supplier's 24.00
    assert [i["quantity"] for i in await _incoming(graphql, admin, buying.sku)] == ["8.0000", "12.0000"]
    again = (await _ok(graphql, SEND, "sendPurchaseOrder", admin, id=order["id"]))["document"]
    assert (again["state"], again["purchaseOrder"]["sentRevision"]) == ("sent", 1)
    stale = await _call(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=sent["version"],
                        lines=[{"position": 1, "sku": buying.sku, "quantity": "9"}])  # fmt: skip
    assert [e["code"] for e in stale["errors"]] == ["STALE"]


async def test_an_amendment_never_takes_a_line_below_what_it_received(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "10"},
                                                      {"sku": buying.sku, "quantity": "2"}])  # fmt: skip
    received = (await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "4"}))["orders"][0]
    below = await _call(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=received["version"],
                        lines=[{"position": 1, "sku": buying.sku, "quantity": "3"},
                               {"position": 2, "sku": buying.sku, "quantity": "2"}])  # fmt: skip
    assert [(e["code"], e["field"]) for e in below["errors"]] == [("INVALID", ["input", "lines", "0", "quantity"])]
    removed = await _call(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=received["version"],
                          lines=[{"position": 2, "sku": buying.sku, "quantity": "2"}])  # fmt: skip
    assert [e["field"] for e in removed["errors"]] == [["input", "lines"]]
    other = await _call(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=received["version"],
                        lines=[{"position": 1, "sku": buying.place.sku, "quantity": "10"}])  # fmt: skip
    assert [e["field"] for e in other["errors"]] == [["input", "lines", "0", "sku"]]
    # Down to what came, and the second line dropped: nothing is due, the order is received.
    done = (await _ok(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=received["version"],
                      lines=[{"position": 1, "sku": buying.sku, "quantity": "4"}]))["document"]  # fmt: skip
    assert (done["state"], [line["due"] for line in done["purchaseOrder"]["lines"]]) == ("received", ["0.0000"])
    grown = (await _ok(graphql, AMEND, "amendPurchaseOrder", admin, id=order["id"], version=done["version"],
                       lines=[{"position": 1, "sku": buying.sku, "quantity": "6"}]))["document"]  # fmt: skip
    assert (grown["state"], grown["purchaseOrder"]["lines"][0]["due"]) == ("partially_received", "2.0000")
    assert (await check_ledger()).ok


async def test_an_amendment_above_the_threshold_needs_approval_again(admin: Actor, buying: Buying,
                                                                      graphql: GraphQLClient) -> None:  # fmt: skip
    from server.documents.errors import ApprovalRequired
    from server.documents.lines import LineInput
    from server.documents.service import Amended
    from server.purchasing import orders

    store = await Store.get(code=buying.store)
    await ApprovalRule.create(store=store, document_type="purchase.order", threshold=Decimal(100))
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "2", "unit": "case"}])  # 48.00
    document_id = int(__import__("base64").b64decode(order["id"]).decode().split(":")[1])
    bigger = [Amended(1, LineInput(buying.sku, "6", "case"))]  # 144.00
    with pytest.raises(ApprovalRequired):
        await orders.amend_order(document_id, bigger, version=order["version"], can_approve=False,
                                 actor_id=admin.user_id)  # fmt: skip
    amended = await orders.amend_order(document_id, bigger, version=order["version"], can_approve=True,
                                       actor_id=admin.user_id)  # fmt: skip
    assert (amended.approved_by_id, amended.gross) == (admin.user_id, Decimal("144.0000"))  # type: ignore[attr-defined]


async def test_a_receipt_without_a_bin_goes_where_putaway_suggests(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    draft = await _ok(graphql, CREATE, "createPurchaseOrder", admin, supplier=buying.supplier, store=buying.store,
                      warehouse=buying.place.warehouse, lines=[{"sku": buying.sku, "quantity": "10"}])  # fmt: skip
    order = (await _ok(graphql, ACT, "transitionDocument", admin, id=draft["document"]["id"], action="confirm"))[
        "document"]  # fmt: skip
    first = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "4"})
    into = first["receipt"]["lines"][0]["location"]
    assert into in (buying.place.bin_a, buying.place.bin_b)  # an empty bin of the warehouse
    second = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "6"})
    assert second["receipt"]["lines"][0]["location"] == into  # the bin that already holds the product
    assert await _on_hand(graphql, admin, buying.sku) == {into: "10.0000"}


async def test_a_lot_arrives_with_its_expiry_and_a_lot_product_needs_one(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.place.lot_sku, "quantity": "6", "price": "1"}])
    missing = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2"})
    assert [e["field"] for e in missing["errors"]] == [["input", "lines", "0", "lot"]]
    done = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "2", "lot": "L-77",
                                           "expiresOn": "2031-03-01"})  # fmt: skip
    assert done["errors"] == [] and done["receipt"]["lines"][0]["lot"] == "L-77"
    lots = await graphql.run("""query L($sku: String!) { stockLevels(sku: $sku, first: 5) { edges { node {
      lotCode expiresOn onHand } } } }""", {"sku": buying.place.lot_sku}, token=admin.token)  # fmt: skip
    assert [e["node"] for e in lots["stockLevels"]["edges"]] == [
        {"lotCode": "L-77", "expiresOn": "2031-03-01", "onHand": "2.0000"}]  # fmt: skip


async def test_a_receipt_in_a_foreign_currency_costs_its_net_at_the_rate_of_its_day(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    import datetime

    from server.money.rates import set_exchange_rate
    from tests.server.money.helpers import new_currency

    currency = await new_currency(admin.user_id)
    await set_exchange_rate(currency, datetime.date(2020, 1, 1), "1.25", actor_id=admin.user_id)
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "3", "price": "10",
                                                       "discountPercent": "10"}], currency=currency)  # fmt: skip
    assert (await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "3"}))["errors"] == []
    card = (await graphql.run(MOVES, {"sku": buying.sku}, token=admin.token))["stockCard"]["edges"]
    assert [(c["node"]["quantity"], c["node"]["unitCost"]) for c in card] == [("3.0000", "11.2500")]  # 9.00 x 1.25


async def test_pieces_ordered_from_a_supplier_pricing_by_the_case_cost_a_twelfth_of_the_case(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _order(graphql, admin, buying, [{"sku": buying.sku, "quantity": "6"}])  # pieces; priced per case
    assert (order["lines"][0]["price"], order["net"]) == ("2.0000", "12.0000")


async def test_an_order_a_bill_or_receipt_points_at_is_neither_cancelled_nor_reopened(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "10"}])
    bill = await graphql.run("""mutation B($input: CreateSupplierBillInput!) { createSupplierBill(input: $input) {
      errors { code field } } }""", {"input": {"supplierReference": unique("INV"),
      "lines": [{"order": order["id"], "position": 1, "quantity": "10", "price": "2.00"}],
      "idempotencyKey": _key()}}, token=admin.token)  # fmt: skip
    assert bill["createSupplierBill"]["errors"] == []
    for action in ("cancel", "reopen"):
        refused = await _call(graphql, ACT, "transitionDocument", admin, id=order["id"], action=action)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [("ILLEGAL_TRANSITION", ["input", "action"])]
    untouched = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "1"}])
    assert (await _ok(graphql, ACT, "transitionDocument", admin, id=untouched["id"], action="reopen"))[
        "document"]["state"] == "draft"  # fmt: skip


async def test_a_receipt_queued_on_a_handheld_is_dated_when_it_was_scanned_and_its_scan_kept(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    import datetime

    from server.scanning.models import Scan

    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "10", "price": "3"}])
    scanned = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)).replace(microsecond=0)
    code = unique("4006")
    answer = await _call(graphql, RECEIVE.replace("receipt { id", "receipt { businessDate id"),
                         "receivePurchaseOrder", admin, lines=[{"order": order["id"], "position": 1, "quantity": "4"}],
                         idempotencyKey=_key(), scan={"code": code, "scannedAt": scanned.isoformat()})  # fmt: skip
    assert answer["errors"] == [] and answer["receipt"]["businessDate"] == scanned.date().isoformat()
    value = """query V($sku: String!, $on: Date) { stockValue(sku: $sku, onDate: $on) { quantity value } }"""
    before = (scanned.date() - datetime.timedelta(days=1)).isoformat()
    assert (await graphql.run(value, {"sku": buying.sku, "on": before}, token=admin.token))["stockValue"] == {
        "quantity": "0", "value": "0"}  # fmt: skip
    on_the_day = scanned.date().isoformat()
    assert (await graphql.run(value, {"sku": buying.sku, "on": on_the_day}, token=admin.token))["stockValue"] == {
        "quantity": "4.0000", "value": "12.0000"}  # fmt: skip
    assert await Scan.filter(code=code, move_id__not_isnull=True).count() == 1
    future = await _call(graphql, RECEIVE, "receivePurchaseOrder", admin, idempotencyKey=_key(),
                         lines=[{"order": order["id"], "position": 1, "quantity": "1"}],
                         scan={"code": code, "scannedAt": "2099-01-01T00:00:00Z"})  # fmt: skip
    assert [e["field"] for e in future["errors"]] == [["input", "scan", "scannedAt"]]
