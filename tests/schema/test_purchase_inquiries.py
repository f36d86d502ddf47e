"""Inquiries over GraphQL: three suppliers asked, quotes side by side in the company currency, the chosen
quote ordered once, and bad input refused without a trace."""

from __future__ import annotations

import asyncio
import base64
import datetime
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from server.catalog.packagings import PackagingSpec, set_product_packagings
from server.catalog.service import ProductDetails, create_product
from server.documents.models import Document, DocumentLine, DocumentLineLink
from server.money.rates import set_exchange_rate
from server.partners.models import Contact, Party
from server.purchasing.inquiry_models import InquiryChoice, SupplierQuote
from tests.conftest import Actor, GraphQLClient, Place, unique
from tests.server.money.helpers import new_currency

ERRORS = "errors { field code message }"
INQUIRY = """document { id number state type deliveries { to } } warehouse suppliers
  lines(first: 10) { position sku quantity unit baseQuantity awaiting orderedIn { number }
    quotes { supplier declined price unit currency priceInCompanyCurrency perBaseUnit leadTimeDays validUntil
      minQuantity meetsMinimum onTimeRate fillRate chosen } }"""
CREATE = f"""mutation C($input: CreatePurchaseInquiryInput!) {{
  createPurchaseInquiry(input: $input) {{ inquiry {{ {INQUIRY} }} {ERRORS} }} }}"""
QUOTE = f"""mutation Q($input: RecordSupplierQuotesInput!) {{
  recordSupplierQuotes(input: $input) {{ inquiry {{ {INQUIRY} }} {ERRORS} }} }}"""
CHOOSE = f"""mutation P($input: ChoosePurchaseQuotesInput!) {{
  choosePurchaseQuotes(input: $input) {{ inquiry {{ {INQUIRY} }}
    orders {{ id number state type currency party }} {ERRORS} }} }}"""
ORDER = """query O($id: ID!) { document(id: $id) { lines { position quantity unit price }
  purchaseOrder { warehouse expectedOn } } }"""
READ = f"""query R($id: ID!) {{ purchaseInquiry(id: $id) {{ {INQUIRY} }} }}"""

PDF = """query R($id: ID!) { node(id: $id) { ... on Document { pdfBase64 } } }"""


@dataclass
class Asking:
    """A product sold by the case of 12 and three suppliers: one in euros, one in a currency worth 2 euros, one
    that will decline."""

    sku: str
    store: str
    place: Place
    euro: str
    foreign: str
    decliner: str
    currency: str


@pytest.fixture
async def asking(place: Place, store: str, admin: Actor) -> Asking:
    sku = unique("RFQ")
    await create_product(sku, ProductDetails(name="Quoted widget"), actor_id=admin.user_id)
    await set_product_packagings(sku, [PackagingSpec("case", "12")], actor_id=admin.user_id)
    currency = await new_currency(admin.user_id)
    await set_exchange_rate(currency, datetime.date(2020, 1, 1), "2", actor_id=admin.user_id)
    codes = []
    for name, in_currency in (("Euro Parts", "EUR"), ("Far Parts", currency), ("No Parts", "EUR")):
        party = await Party.create(code=unique("SUP"), name=name, roles=["supplier"], currency=in_currency,
                                   lead_time_days=4)  # fmt: skip
        await Contact.create(party=party, name="Sales", email=f"{party.code.lower()}@example.com")
        codes.append(party.code)
    return Asking(sku, store, place, codes[0], codes[1], codes[2], currency)


def _key() -> str:
    return str(uuid.uuid4())


async def _call(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    return (await graphql.run(query, {"input": input}, token=actor.token))[name]  # type: ignore[no-any-return]


async def _ok(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = await _call(graphql, query, name, actor, **input)
    assert payload["errors"] == [], payload
    return payload


async def _inquiry(graphql: GraphQLClient, actor: Actor, asking: Asking, **more: Any) -> dict[str, Any]:
    payload = await _ok(
        graphql, CREATE, "createPurchaseInquiry", actor, store=asking.store, warehouse=asking.place.warehouse,
        suppliers=[asking.euro, asking.foreign, asking.decliner],
        lines=[{"sku": asking.sku, "quantity": "5", "unit": "case"}, {"sku": asking.sku, "quantity": "10"}], **more,
    )  # fmt: skip
    return payload["inquiry"]  # type: ignore[no-any-return]


async def _quotes_of_all(
    graphql: GraphQLClient, actor: Actor, asking: Asking, inquiry: dict[str, Any]
) -> dict[str, Any]:
    doc = inquiry["document"]["id"]
    await _ok(graphql, QUOTE, "recordSupplierQuotes", actor, id=doc, supplier=asking.euro, quotes=[
        {"position": 1, "price": "30.00", "unit": "case", "leadTimeDays": 3},
        {"position": 2, "price": "2.60"},
    ])  # fmt: skip
    await _ok(graphql, QUOTE, "recordSupplierQuotes", actor, id=doc, supplier=asking.foreign, quotes=[
        {"position": 1, "price": "1.00", "unit": "pcs", "validUntil": "2099-12-31", "minQuantity": "24"},
        {"position": 2, "price": "1.40", "unit": "case", "minQuantity": "2"},
    ])  # fmt: skip
    payload = await _ok(graphql, QUOTE, "recordSupplierQuotes", actor, id=doc, supplier=asking.decliner,
                        quotes=[{"position": 1, "declined": True}, {"position": 2, "declined": True}])  # fmt: skip
    return payload["inquiry"]  # type: ignore[no-any-return]


async def test_three_suppliers_asked_two_quote_one_declines_and_the_quotes_compare_in_the_company_currency(
    graphql: GraphQLClient, admin: Actor, asking: Asking
) -> None:
    inquiry = await _inquiry(graphql, admin, asking, mail=True, replyBy="2099-01-31")
    document = inquiry["document"]
    assert (document["type"], document["state"], document["number"].startswith("RFQ-")) == (
        "purchase.inquiry", "open", True)  # fmt: skip
    assert sorted(d["to"][0] for d in document["deliveries"]) == sorted(
        f"{code.lower()}@example.com" for code in (asking.euro, asking.foreign, asking.decliner))  # fmt: skip
    assert inquiry["suppliers"] == [asking.euro, asking.foreign, asking.decliner]
    assert inquiry["lines"][0]["awaiting"] == inquiry["suppliers"]
    pdf = base64.b64decode((await graphql.run(PDF, {"id": document["id"]}, token=admin.token))["node"]["pdfBase64"])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Reply by: 2099-01-31" in text and "Qty" in text  # it asks for prices: it shows none, nor totals
    assert not {"Price", "Net", "Total"} & set(text.split()), text

    compared = (await _quotes_of_all(graphql, admin, asking, inquiry))["lines"]
    first = compared[0]
    assert (first["quantity"], first["unit"], first["baseQuantity"], first["awaiting"]) == (
        "5.0000", "CASE", "60.0000", [])  # fmt: skip
    # 1.00 a piece at 2 euros is 2.0000 a piece; 30.00 a case is 2.5000 a piece; the decline comes last.
    assert [(q["supplier"], q["currency"], q["price"], q["unit"], q["priceInCompanyCurrency"], q["perBaseUnit"],
             q["leadTimeDays"], q["declined"]) for q in first["quotes"]] == [
        (asking.foreign, asking.currency, "1.0000", "pcs", "2.0000", "2.0000", 4, False),
        (asking.euro, "EUR", "30.0000", "CASE", "30.0000", "2.5000", 3, False),
        (asking.decliner, None, None, None, None, None, None, True),
    ]  # fmt: skip
    assert first["quotes"][0]["validUntil"] == "2099-12-31" and first["quotes"][0]["meetsMinimum"] is True
    assert first["quotes"][0]["onTimeRate"] is None and first["quotes"][0]["fillRate"] is None  # no history yet
    second = compared[1]
    # 1.40 a case is 2.80 euros a case, 0.2333 a piece: cheaper than 2.60 a piece, but 10 pieces are under its 2 cases.
    assert [(q["supplier"], q["perBaseUnit"], q["meetsMinimum"]) for q in second["quotes"]] == [
        (asking.foreign, "0.2333", False), (asking.euro, "2.6000", True), (asking.decliner, None, True)]  # fmt: skip


async def test_choosing_a_quote_makes_a_draft_order_at_the_quoted_price_once(
    graphql: GraphQLClient, admin: Actor, asking: Asking
) -> None:
    inquiry = await _inquiry(graphql, admin, asking)
    await _quotes_of_all(graphql, admin, asking, inquiry)
    doc, key = inquiry["document"]["id"], _key()
    choices = [{"position": 1, "supplier": asking.foreign}, {"position": 2, "supplier": asking.euro}]
    chosen = await _ok(graphql, CHOOSE, "choosePurchaseQuotes", admin, id=doc, choices=choices, idempotencyKey=key)
    orders = chosen["orders"]
    assert [(o["type"], o["state"], o["party"], o["currency"]) for o in orders] == [
        ("purchase.order", "draft", asking.foreign, asking.currency),
        ("purchase.order", "draft", asking.euro, "EUR"),
    ]
    # 1.00 a piece is 12.0000 a case, the line's unit; 2.60 a piece stays per piece.
    made = [(await graphql.run(ORDER, {"id": o["id"]}, token=admin.token))["document"] for o in orders]
    assert made[0]["lines"] == [{"position": 1, "quantity": "5.0000", "unit": "CASE", "price": "12.0000"}]
    assert made[1]["lines"] == [{"position": 1, "quantity": "10.0000", "unit": "pcs", "price": "2.6000"}]
    assert made[0]["purchaseOrder"]["warehouse"] == asking.place.warehouse
    # Today plus the longest lead time quoted for the order's lines (the supplier's 4 when none was given).
    assert made[0]["purchaseOrder"]["expectedOn"] == (datetime.date.today() + datetime.timedelta(days=4)).isoformat()
    lines = chosen["inquiry"]["lines"]
    assert [line["orderedIn"]["number"] for line in lines] == [o["number"] for o in orders]
    assert [[q["chosen"] for q in line["quotes"]] for line in lines] == [[True, False, False], [False, True, False]]

    # The order lines come from the inquiry lines.
    inquiry_lines = await DocumentLine.filter(document__number=inquiry["document"]["number"]).order_by("position")
    links = await DocumentLineLink.filter(source_id__in=[line.id for line in inquiry_lines]).select_related("line")
    assert sorted((link.source_id, Decimal(link.quantity)) for link in links) == [  # type: ignore[attr-defined]
        (inquiry_lines[0].id, Decimal(60)), (inquiry_lines[1].id, Decimal(10))]  # fmt: skip

    again = await _ok(graphql, CHOOSE, "choosePurchaseQuotes", admin, id=doc, choices=choices, idempotencyKey=key)
    assert [o["number"] for o in again["orders"]] == [o["number"] for o in orders]
    twice = await _call(graphql, CHOOSE, "choosePurchaseQuotes", admin, id=doc, idempotencyKey=_key(),
                        choices=[{"position": 1, "supplier": asking.euro}])  # fmt: skip
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [
        ("ALREADY_EXISTS", ["input", "choices", "0", "position"])]  # fmt: skip
    assert await InquiryChoice.filter(line_id__in=[line.id for line in inquiry_lines]).count() == 2
    requoted = await _call(graphql, QUOTE, "recordSupplierQuotes", admin, id=doc, supplier=asking.euro,
                           quotes=[{"position": 1, "price": "1.00"}])  # fmt: skip
    assert [e["code"] for e in requoted["errors"]] == ["INVALID"]


async def test_a_declined_an_unquoted_or_a_below_minimum_line_is_not_ordered(
    graphql: GraphQLClient, admin: Actor, asking: Asking
) -> None:
    inquiry = await _inquiry(graphql, admin, asking)
    await _quotes_of_all(graphql, admin, asking, inquiry)
    doc = inquiry["document"]["id"]
    refused = await _call(graphql, CHOOSE, "choosePurchaseQuotes", admin, id=doc, idempotencyKey=_key(), choices=[
        {"position": 1, "supplier": asking.decliner}, {"position": 2, "supplier": asking.foreign}])  # fmt: skip
    assert [(e["code"], e["field"][-2:]) for e in refused["errors"]] == [
        ("INVALID", ["0", "supplier"]), ("INVALID", ["1", "supplier"])]  # fmt: skip
    assert await Document.filter(type="purchase.order", party__code=asking.foreign).count() == 0


async def test_bad_input_is_refused_and_writes_nothing(graphql: GraphQLClient, admin: Actor, asking: Asking) -> None:
    before = await Document.filter(type="purchase.inquiry").count()
    # Ten megabytes never reach a resolver: the server refuses the body; under its 1 MB cap, the service does.
    too_big = await graphql.post(
        CREATE,
        {
            "input": {
                "store": asking.store,
                "warehouse": asking.place.warehouse,
                "suppliers": [asking.euro],
                "notes": "x" * 10_000_000,
                "lines": [{"sku": asking.sku, "quantity": "1"}],
            }
        },
        admin.token,
    )
    assert too_big.status_code == 413
    huge = "x" * 900_000
    for change, at in (
        ({"suppliers": [asking.euro, "SUP\x00"]}, ["input", "suppliers", "1"]),
        ({"suppliers": ["NOBODY-" + huge[:40]]}, ["input", "suppliers", "0"]),
        ({"suppliers": [asking.euro, asking.euro]}, ["input", "suppliers", "1"]),
        ({"notes": huge}, ["input", "notes"]),
        ({"notes": "a\x00b"}, ["input", "notes"]),
        ({"lines": [{"sku": huge, "quantity": "1"}]}, ["input", "lines", "0", "sku"]),
        ({"lines": [{"sku": asking.sku, "quantity": "-1"}]}, ["input", "lines", "0", "quantity"]),
        ({"warehouse": "W\x00"}, ["input", "warehouse"]),
        ({"suppliers": []}, ["input", "suppliers"]),
    ):
        input = {"store": asking.store, "warehouse": asking.place.warehouse, "suppliers": [asking.euro],
                 "lines": [{"sku": asking.sku, "quantity": "1"}], **change}  # fmt: skip
        payload = await _call(graphql, CREATE, "createPurchaseInquiry", admin, **input)
        assert payload["inquiry"] is None and at in [e["field"] for e in payload["errors"]], (change.keys(), payload)
    assert await Document.filter(type="purchase.inquiry").count() == before

    inquiry = await _inquiry(graphql, admin, asking)
    doc = inquiry["document"]["id"]
    quotes = await SupplierQuote.all().count()
    for supplier, quote, at in (
        (asking.euro, {"position": 1, "price": "-1.00"}, ["input", "quotes", "0", "price"]),
        (asking.euro, {"position": 1, "price": huge}, ["input", "quotes", "0", "price"]),
        (asking.euro, {"position": 1, "price": "1", "unit": "a\x00"}, ["input", "quotes", "0", "unit"]),
        (asking.euro, {"position": 1, "price": "1", "currency": "E\x00R"}, ["input", "quotes", "0", "currency"]),
        (asking.euro, {"position": 1, "price": "1", "currency": "QQQ"}, ["input", "quotes", "0", "currency"]),
        (asking.euro, {"position": 1, "price": "1", "leadTimeDays": -2}, ["input", "quotes", "0", "leadTimeDays"]),
        (asking.euro, {"position": 1}, ["input", "quotes", "0", "price"]),
        (asking.euro, {"position": 9, "price": "1"}, ["input", "quotes", "0", "position"]),
        (asking.euro, {"position": 1, "declined": True, "price": "1"}, ["input", "quotes", "0", "declined"]),
        ("NOBODY", {"position": 1, "price": "1"}, ["input", "supplier"]),
        ("SUP\x00" + huge, {"position": 1, "price": "1"}, ["input", "supplier"]),
    ):
        payload = await _call(graphql, QUOTE, "recordSupplierQuotes", admin, id=doc, supplier=supplier,
                              quotes=[quote])  # fmt: skip
        assert payload["inquiry"] is None and at in [e["field"] for e in payload["errors"]], (quote, payload)
    assert await SupplierQuote.all().count() == quotes
    for choice in ({"position": 1, "supplier": "NOBODY"}, {"position": 1, "supplier": "\x00"},
                   {"position": 1, "supplier": huge}):  # fmt: skip
        payload = await _call(graphql, CHOOSE, "choosePurchaseQuotes", admin, id=doc, choices=[choice],
                              idempotencyKey=_key())  # fmt: skip
        assert payload["orders"] is None and payload["errors"], payload


async def test_only_purchasing_managers_ask_and_viewers_read(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, asking: Asking
) -> None:
    denied = await graphql.post(CREATE, {"input": {"store": asking.store, "warehouse": asking.place.warehouse,
                                                   "suppliers": [asking.euro], "lines": []}}, viewer.token)  # fmt: skip
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    inquiry = await _inquiry(graphql, admin, asking)
    read = (await graphql.run(READ, {"id": inquiry["document"]["id"]}, token=viewer.token))["purchaseInquiry"]
    assert read["document"]["number"] == inquiry["document"]["number"]


@pytest.mark.postgres
async def test_two_choices_of_one_line_at_once_make_one_order(
    graphql: GraphQLClient, admin: Actor, asking: Asking
) -> None:
    inquiry = await _inquiry(graphql, admin, asking)
    await _quotes_of_all(graphql, admin, asking, inquiry)
    doc = inquiry["document"]["id"]
    answers = await asyncio.gather(*(
        _call(graphql, CHOOSE, "choosePurchaseQuotes", admin, id=doc, idempotencyKey=_key(),
              choices=[{"position": 1, "supplier": supplier}])
        for supplier in (asking.euro, asking.foreign, asking.euro, asking.foreign)
    ))  # fmt: skip
    assert sorted(len(a["errors"]) for a in answers) == [0, 1, 1, 1]
    assert {e["code"] for a in answers for e in a["errors"]} == {"ALREADY_EXISTS"}
    inquiry_lines = await DocumentLine.filter(document__number=inquiry["document"]["number"]).order_by("position")
    assert await InquiryChoice.filter(line_id=inquiry_lines[0].id).count() == 1
