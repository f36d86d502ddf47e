"""Sales quotations over GraphQL: every transition and refusal, versions kept readable, mailing, and conversion
into one sales order at the quotation's prices with its lines linked."""

from __future__ import annotations

import asyncio
import base64
import io
from datetime import date, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from server.documents.models import Document as DocumentRow
from server.documents.models import DocumentLine, DocumentLineLink
from server.partners.models import Contact, Party
from server.sales.quotation_models import SalesQuotation
from tests.conftest import Actor, GraphQLClient
from tests.schema.sales_support import CONFIRM, ERRORS, Shop, call, key, make_shop, ok

DETAILS = """salesQuotation { revision current validUntil expired sentAt previous { id number }
  order { id number type state } versions { id number state } currentVersion { id number } }"""
QUOTE = f"""id number type state version actions gross {DETAILS}
  lines {{ position sku quantity price discountPercent net gross }}"""
CREATE_QUOTATION = f"""mutation C($input: CreateSalesQuotationInput!) {{
  createSalesQuotation(input: $input) {{ document {{ {QUOTE} }} {ERRORS} }} }}"""
REVISE = f"""mutation R($input: ReviseSalesQuotationInput!) {{
  reviseSalesQuotation(input: $input) {{ document {{ {QUOTE} }} {ERRORS} }} }}"""
SEND = f"""mutation S($input: SendSalesQuotationInput!) {{
  sendSalesQuotation(input: $input) {{ document {{ {QUOTE} deliveries {{ to subject }} }} {ERRORS} }} }}"""
ORDER_FIELDS = "id number type state gross lines { position sku quantity price discountPercent } salesOrder { payment }"
CONVERT = f"""mutation C($input: ConvertSalesQuotationInput!) {{
  convertSalesQuotation(input: $input) {{ document {{ {ORDER_FIELDS} }} {ERRORS} }} }}"""
QUOTATIONS = """query Q($filter: SalesQuotationFilter) { salesQuotations(filter: $filter, first: 50) {
  edges { node { number state salesQuotation { revision current } } } } }"""
READ = f"""query R($id: ID!) {{ node(id: $id) {{ ... on Document {{ {QUOTE} }} }} }}"""
PDF = """query R($id: ID!) { node(id: $id) { ... on Document { pdfBase64 } } }"""


def action(name: str) -> str:
    return f"""mutation A($input: SalesQuotationActionInput!) {{
  {name}(input: $input) {{ document {{ {QUOTE} }} {ERRORS} }} }}"""


ACCEPT, DECLINE, EXPIRE, CANCEL = (action(n) for n in ("acceptSalesQuotation", "declineSalesQuotation",
                                                       "expireSalesQuotation", "cancelSalesQuotation"))  # fmt: skip


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


async def quoted(graphql: GraphQLClient, admin: Actor, shop: Shop, **header: Any) -> dict[str, Any]:
    offered = [{"sku": shop.sku, "quantity": "3", "price": "10"},
               {"sku": shop.sku, "quantity": "1", "price": "4", "discountPercent": "50"}]  # fmt: skip
    lines = header.pop("lines", offered)
    payload = await ok(graphql, CREATE_QUOTATION, "createSalesQuotation", admin, customer=shop.customer,
                       store=shop.store, lines=lines, currency="EUR", **header)  # fmt: skip
    return payload["document"]  # type: ignore[no-any-return]


async def act(graphql: GraphQLClient, admin: Actor, mutation: str, quotation: dict[str, Any],
              **more: Any) -> dict[str, Any]:  # fmt: skip
    name = mutation.split("{", 2)[1].split("(")[0].strip()
    return await call(graphql, mutation, name, admin, id=quotation["id"], **more)


async def sent(graphql: GraphQLClient, admin: Actor, quotation: dict[str, Any]) -> dict[str, Any]:
    return (await ok(graphql, SEND, "sendSalesQuotation", admin, id=quotation["id"], mail=False))["document"]  # type: ignore[no-any-return]


async def read(graphql: GraphQLClient, admin: Actor, document: dict[str, Any]) -> dict[str, Any]:
    return (await graphql.run(READ, {"id": document["id"]}, token=admin.token))["node"]  # type: ignore[no-any-return]


async def past_validity(document: dict[str, Any]) -> None:
    """As if it were made a month ago, valid until yesterday."""
    from schema.documents.types import document_id

    await SalesQuotation.filter(id=document_id(document["id"])).update(valid_until=date.today() - timedelta(days=1))


def error(payload: dict[str, Any]) -> tuple[str, list[str] | None]:
    assert payload["errors"], payload
    return payload["errors"][0]["code"], payload["errors"][0]["field"]


async def test_a_quotation_is_made_sent_accepted_and_converted(graphql: GraphQLClient, admin: Actor,
                                                               shop: Shop) -> None:  # fmt: skip
    quotation = await quoted(graphql, admin, shop)
    assert quotation["number"].startswith("QT-") and quotation["state"] == "draft" and quotation["gross"] == "32.0000"
    details = quotation["salesQuotation"]
    assert (details["revision"], details["current"], details["expired"], details["order"]) == (1, True, False, None)
    assert details["validUntil"] == (date.today() + timedelta(days=30)).isoformat()
    assert quotation["actions"] == ["send", "order", "cancel"]
    quotation = await sent(graphql, admin, quotation)
    assert quotation["state"] == "sent" and quotation["salesQuotation"]["sentAt"] is not None
    accepted = await ok(graphql, ACCEPT, "acceptSalesQuotation", admin, id=quotation["id"],
                        version=quotation["version"])  # fmt: skip
    assert accepted["document"]["state"] == "accepted"
    order = (await ok(graphql, CONVERT, "convertSalesQuotation", admin, id=quotation["id"]))["document"]
    assert order["type"] == "sales.order" and order["state"] == "draft" and order["number"].startswith("SO-")
    assert [(line["quantity"], line["price"], line["discountPercent"]) for line in order["lines"]] == [
        ("3.0000", "10.0000", "0.00"), ("1.0000", "4.0000", "50.00")]  # fmt: skip
    assert order["gross"] == "32.0000" and order["salesOrder"]["payment"] == "none"
    after = await read(graphql, admin, quotation)
    assert after["state"] == "ordered" and after["salesQuotation"]["order"]["id"] == order["id"]
    assert after["actions"] == []
    confirmed = await ok(graphql, CONFIRM, "confirmSalesOrder", admin, id=order["id"])
    assert confirmed["document"]["state"] == "confirmed"


async def test_converting_twice_gives_the_same_order(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    quotation = await quoted(graphql, admin, shop)
    first = await ok(graphql, CONVERT, "convertSalesQuotation", admin, id=quotation["id"], idempotencyKey=key())
    again = await ok(
        graphql,
        CONVERT,
        "convertSalesQuotation",
        admin,
        id=quotation["id"],
        idempotencyKey=key(),
        version=quotation["version"],
    )  # a version read before it was ordered: still that order
    assert again["document"]["id"] == first["document"]["id"]
    made = await DocumentLineLink.filter(source__document_id=_row(quotation)).count()
    assert made == 2


@pytest.mark.postgres
async def test_converting_at_once_from_five_tabs_makes_one_order(graphql: GraphQLClient, admin: Actor,
                                                                 shop: Shop) -> None:  # fmt: skip
    quotation = await sent(graphql, admin, await quoted(graphql, admin, shop))
    answers = await asyncio.gather(*(call(graphql, CONVERT, "convertSalesQuotation", admin, id=quotation["id"])
                                     for _ in range(5)))  # fmt: skip
    assert all(a["errors"] == [] for a in answers), answers
    assert len({a["document"]["id"] for a in answers}) == 1
    assert await DocumentRow.filter(type="sales.order", notes=f"From quotation {quotation['number']}.").count() == 1


async def test_version_two_converted_keeps_its_prices_and_links_and_version_one_stays_readable(
    graphql: GraphQLClient, admin: Actor, shop: Shop
) -> None:
    first = await sent(graphql, admin, await quoted(graphql, admin, shop))
    revised = await ok(graphql, REVISE, "reviseSalesQuotation", admin, id=first["id"], version=first["version"],
                       lines=[{"sku": shop.sku, "quantity": "3", "price": "8", "discountPercent": "5"}])  # fmt: skip
    second = revised["document"]
    assert second["id"] != first["id"] and second["state"] == "draft" and second["number"] == first["number"] + "-R2"
    assert second["salesQuotation"]["revision"] == 2 and second["salesQuotation"]["previous"]["id"] == first["id"]
    old = await read(graphql, admin, first)
    assert old["state"] == "revised" and old["salesQuotation"]["current"] is False and old["actions"] == []
    assert [line["price"] for line in old["lines"]] == ["10.0000", "4.0000"]  # as the customer saw it
    assert [v["id"] for v in old["salesQuotation"]["versions"]] == [first["id"], second["id"]]
    assert old["salesQuotation"]["currentVersion"]["id"] == second["id"]
    stale = await call(graphql, CONVERT, "convertSalesQuotation", admin, id=first["id"])
    assert error(stale) == ("ILLEGAL_TRANSITION", ["input", "id"]) and second["number"] in stale["errors"][0]["message"]
    again = await call(graphql, REVISE, "reviseSalesQuotation", admin, id=first["id"])
    assert error(again)[0] == "ILLEGAL_TRANSITION"
    second = await sent(graphql, admin, second)
    await ok(graphql, ACCEPT, "acceptSalesQuotation", admin, id=second["id"])
    order = (await ok(graphql, CONVERT, "convertSalesQuotation", admin, id=second["id"]))["document"]
    assert [(line["quantity"], line["price"], line["discountPercent"]) for line in order["lines"]] == [
        ("3.0000", "8.0000", "5.00")]  # fmt: skip
    assert order["gross"] == "22.8000"
    links = await DocumentLineLink.filter(line__document_id=_row(order)).select_related("source")
    version_two_lines = await DocumentLine.filter(document_id=_row(second)).values_list("id", flat=True)
    assert [link.source.id for link in links] == list(version_two_lines)
    listed = await graphql.run(QUOTATIONS, {"filter": {"number": first["number"]}}, token=admin.token)
    assert [(e["node"]["state"], e["node"]["salesQuotation"]["revision"]) for e in listed["salesQuotations"][
        "edges"]] == [("revised", 1), ("ordered", 2)]  # fmt: skip
    current = await graphql.run(QUOTATIONS, {"filter": {"number": first["number"], "current": True}},
                                token=admin.token)  # fmt: skip
    assert [e["node"]["number"] for e in current["salesQuotations"]["edges"]] == [second["number"]]


async def test_a_draft_is_revised_in_place_and_a_new_version_copies_the_lines(graphql: GraphQLClient, admin: Actor,
                                                                              shop: Shop) -> None:  # fmt: skip
    quotation = await quoted(graphql, admin, shop)
    until = (date.today() + timedelta(days=10)).isoformat()
    edited = (await ok(graphql, REVISE, "reviseSalesQuotation", admin, id=quotation["id"], validUntil=until,
                       notes="Delivery in May."))["document"]  # fmt: skip
    assert edited["id"] == quotation["id"] and edited["salesQuotation"]["revision"] == 1
    assert edited["salesQuotation"]["validUntil"] == until and edited["version"] > quotation["version"]
    assert [line["price"] for line in edited["lines"]] == ["10.0000", "4.0000"]
    declined = await ok(graphql, DECLINE, "declineSalesQuotation", admin, id=(await sent(graphql, admin, edited))["id"])
    assert declined["document"]["state"] == "declined"
    renewed = (await ok(graphql, REVISE, "reviseSalesQuotation", admin, id=quotation["id"]))["document"]
    assert renewed["salesQuotation"]["revision"] == 2 and [line["price"] for line in renewed["lines"]] == [
        "10.0000", "4.0000"]  # fmt: skip
    assert renewed["salesQuotation"]["validUntil"] == (date.today() + timedelta(days=30)).isoformat()


async def test_an_expired_quotation_is_neither_accepted_nor_converted(graphql: GraphQLClient, admin: Actor,
                                                                      shop: Shop) -> None:  # fmt: skip
    quotation = await sent(graphql, admin, await quoted(graphql, admin, shop))
    early = await act(graphql, admin, EXPIRE, quotation)
    assert error(early) == ("INVALID", ["input", "action"]) and "has not expired" in early["errors"][0]["message"]
    await past_validity(quotation)
    assert (await read(graphql, admin, quotation))["salesQuotation"]["expired"] is True
    for mutation in (ACCEPT,):
        refused = await act(graphql, admin, mutation, quotation)
        assert error(refused) == ("ILLEGAL_TRANSITION", ["input", "id"]) and "expired on" in refused["errors"][0][
            "message"]  # fmt: skip
    converted = await call(graphql, CONVERT, "convertSalesQuotation", admin, id=quotation["id"])
    assert error(converted) == ("ILLEGAL_TRANSITION", ["input", "id"])
    assert "expired on" in converted["errors"][0]["message"] and converted["document"] is None
    resend = await call(graphql, SEND, "sendSalesQuotation", admin, id=quotation["id"], mail=False)
    assert "expired on" in resend["errors"][0]["message"]
    expired = await ok(graphql, EXPIRE, "expireSalesQuotation", admin, id=quotation["id"])
    assert expired["document"]["state"] == "expired"
    assert await DocumentRow.filter(type="sales.order", notes=f"From quotation {quotation['number']}.").count() == 0
    renewed = (await ok(graphql, REVISE, "reviseSalesQuotation", admin, id=quotation["id"]))["document"]
    assert renewed["salesQuotation"]["expired"] is False
    assert (await ok(graphql, CONVERT, "convertSalesQuotation", admin, id=renewed["id"]))["document"]["type"] == (
        "sales.order")  # fmt: skip


async def test_expiring_what_is_due_is_a_daily_job_of_its_own(graphql: GraphQLClient, admin: Actor,
                                                               shop: Shop) -> None:  # fmt: skip
    from workers.jobs import FUNCTIONS
    from workers.schedule import DAILY

    assert "expire_quotations" in DAILY
    due = await sent(graphql, admin, await quoted(graphql, admin, shop))
    valid = await sent(graphql, admin, await quoted(graphql, admin, shop))
    await past_validity(due)
    assert (await FUNCTIONS["expire_quotations"]({}))["expired"] >= 1
    assert (await read(graphql, admin, due))["state"] == "expired"
    assert (await read(graphql, admin, valid))["state"] == "sent"
    version = (await read(graphql, admin, due))["version"]
    await FUNCTIONS["expire_quotations"]({})  # a rerun: the expired one is left as it is
    assert (await read(graphql, admin, due))["version"] == version


async def test_every_illegal_transition_is_refused(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    draft = await quoted(graphql, admin, shop)
    for mutation in (ACCEPT, DECLINE):
        assert error(await act(graphql, admin, mutation, draft))[0] == "ILLEGAL_TRANSITION"
    cancelled = await ok(graphql, CANCEL, "cancelSalesQuotation", admin, id=draft["id"])
    assert cancelled["document"]["state"] == "cancelled" and cancelled["document"]["actions"] == []
    for mutation in (ACCEPT, DECLINE, EXPIRE, CANCEL):
        assert error(await act(graphql, admin, mutation, draft))[0] in ("ILLEGAL_TRANSITION", "INVALID")
    assert error(await call(graphql, SEND, "sendSalesQuotation", admin, id=draft["id"], mail=False))[0] == (
        "ILLEGAL_TRANSITION")  # fmt: skip
    assert error(await call(graphql, CONVERT, "convertSalesQuotation", admin, id=draft["id"]))[0] == (
        "ILLEGAL_TRANSITION")  # fmt: skip
    assert error(await call(graphql, REVISE, "reviseSalesQuotation", admin, id=draft["id"]))[0] == (
        "ILLEGAL_TRANSITION")  # fmt: skip
    declined = await sent(graphql, admin, await quoted(graphql, admin, shop))
    await ok(graphql, DECLINE, "declineSalesQuotation", admin, id=declined["id"])
    for mutation in (ACCEPT, CANCEL):
        assert error(await act(graphql, admin, mutation, declined))[0] == "ILLEGAL_TRANSITION"
    assert error(await call(graphql, CONVERT, "convertSalesQuotation", admin, id=declined["id"]))[0] == (
        "ILLEGAL_TRANSITION")  # fmt: skip
    stale = await sent(graphql, admin, await quoted(graphql, admin, shop))
    refused = await act(graphql, admin, ACCEPT, stale, version=stale["version"] - 1)
    assert error(refused) == ("STALE", ["input", "version"])
    generic = await graphql.post("""mutation T($input: TransitionDocumentInput!) { transitionDocument(input: $input)
      { errors { code } } }""", {"input": {"id": stale["id"], "action": "accept"}}, admin.token)  # fmt: skip
    assert generic.json()["data"]["transitionDocument"]["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    generic_create = {"type": "sales.quotation", "store": shop.store, "lines": [{"sku": shop.sku, "quantity": "1"}]}
    made_elsewhere = await graphql.post("""mutation C($input: CreateDocumentInput!) { createDocument(input: $input)
      { errors { code field } } }""", {"input": generic_create}, admin.token)  # fmt: skip
    assert made_elsewhere.json()["data"]["createDocument"]["errors"][0]["field"] == ["input", "type"]


async def test_sending_mails_the_pdf_to_the_customer(graphql: GraphQLClient, admin: Actor, shop: Shop) -> None:
    quotation = await quoted(graphql, admin, shop)
    nobody = await call(graphql, SEND, "sendSalesQuotation", admin, id=quotation["id"])
    assert error(nobody) == ("INVALID", ["input", "to"])
    assert (await read(graphql, admin, quotation))["state"] == "draft"  # nothing was marked sent
    customer = await Party.get(code=shop.customer)
    await Contact.create(party_id=customer.id, name="Ada", email="ada@example.com")
    mailed = await ok(graphql, SEND, "sendSalesQuotation", admin, id=quotation["id"], subject="Your quotation")
    assert mailed["document"]["state"] == "sent"
    assert mailed["document"]["deliveries"] == [{"to": ["ada@example.com"], "subject": "Your quotation"}]
    text = await pdf_text(graphql, admin, quotation)
    valid_until = (await SalesQuotation.get(id=(await DocumentRow.get(number=quotation["number"])).id)).valid_until
    assert f"Valid until: {valid_until.isoformat()}" in text and "Revision" not in text
    later = (date.today() + timedelta(days=60)).isoformat()
    revised = (await ok(graphql, REVISE, "reviseSalesQuotation", admin, id=quotation["id"],
                        version=mailed["document"]["version"], validUntil=later))["document"]  # fmt: skip
    assert f"Valid until: {later}" in (revised_text := await pdf_text(graphql, admin, revised))
    assert "Revision: 2" in revised_text


async def pdf_text(graphql: GraphQLClient, admin: Actor, document: dict[str, Any]) -> str:
    pdf = base64.b64decode((await graphql.run(PDF, {"id": document["id"]}, token=admin.token))["node"]["pdfBase64"])
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_hostile_quotation_inputs_answer_user_errors_and_write_nothing(graphql: GraphQLClient, admin: Actor,
                                                                             shop: Shop) -> None:  # fmt: skip
    other = await make_shop(admin)  # a customer with no quotation yet
    line = {"sku": other.sku, "quantity": "1", "price": "5"}
    past, far = (date.today() - timedelta(days=1)).isoformat(), (date.today() + timedelta(days=400)).isoformat()
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"notes": "n\x00"}, ["input", "notes"]),
        ({"notes": "n" * 10_001}, ["input", "notes"]),
        ({"customer": "C\x00"}, ["input", "customer"]),
        ({"customer": "C" * 10_000}, ["input", "customer"]),
        ({"store": "S" * 10_000}, ["input", "store"]),
        ({"validUntil": past}, ["input", "validUntil"]),
        ({"validUntil": far}, ["input", "validUntil"]),
        ({"lines": []}, ["input", "lines"]),
        ({"lines": [{**line, "quantity": "-1"}]}, ["input", "lines", "0", "quantity"]),
        ({"lines": [{**line, "quantity": "0"}]}, ["input", "lines", "0", "quantity"]),
        ({"lines": [{**line, "price": "-5"}]}, ["input", "lines", "0", "price"]),
        ({"lines": [{**line, "sku": "X\x00"}]}, ["input", "lines", "0", "sku"]),
        ({"lines": [{**line, "notes": "x" * 10_000}]}, ["input", "lines", "0", "notes"]),
        ({"lines": [{**line, "discountPercent": "150"}]}, ["input", "lines", "0", "discountPercent"]),
        ({"currency": "\x00\x00\x00"}, ["input", "currency"]),
    ]
    for change, field in cases:
        given = {"customer": other.customer, "store": other.store, "lines": [line], **change}
        answer = await call(graphql, CREATE_QUOTATION, "createSalesQuotation", admin, **given)
        assert answer["errors"] and answer["errors"][0]["field"] == field, (change, answer)
    assert await DocumentRow.filter(type="sales.quotation", party__code=other.customer).count() == 0

    quotation = await sent(graphql, admin, await quoted(graphql, admin, shop))
    revisions: list[tuple[dict[str, Any], list[str]]] = [
        ({"notes": "\x00"}, ["input", "notes"]),
        ({"validUntil": past}, ["input", "validUntil"]),
        ({"lines": []}, ["input", "lines"]),
        ({"lines": [{**line, "sku": shop.sku, "quantity": "0"}]}, ["input", "lines", "0", "quantity"]),
        ({"id": "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5"}, ["input", "id"]),
    ]
    for change, field in revisions:
        answer = await call(graphql, REVISE, "reviseSalesQuotation", admin, **{"id": quotation["id"], **change})
        assert answer["errors"] and answer["errors"][0]["field"] == field, (change, answer)
    sends: list[tuple[dict[str, Any], list[str]]] = [
        ({"subject": "s\x00"}, ["input", "subject"]),
        ({"message": "m" * 10_001}, ["input", "message"]),
        ({"to": ["not an address"]}, ["input", "to", "0"]),
    ]
    for change, field in sends:
        answer = await call(graphql, SEND, "sendSalesQuotation", admin, **{"id": quotation["id"], **change})
        assert answer["errors"] and answer["errors"][0]["field"][:2] == field[:2], (change, answer)
    converts: list[tuple[dict[str, Any], list[str]]] = [
        ({"shippingPolicy": "whenever"}, ["input", "shippingPolicy"]),
        ({"warehouse": "W\x00"}, ["input", "warehouse"]),
        ({"warehouse": "W" * 10_000}, ["input", "warehouse"]),
        ({"shipTo": -1}, ["input", "shipTo"]),
        ({"billTo": 2**31 - 1}, ["input", "billTo"]),
    ]
    for change, field in converts:
        answer = await call(graphql, CONVERT, "convertSalesQuotation", admin, **{"id": quotation["id"], **change})
        assert answer["errors"] and answer["errors"][0]["field"] == field, (change, answer)
    after = await read(graphql, admin, quotation)
    assert after["state"] == "sent" and after["version"] == quotation["version"]
    assert after["salesQuotation"]["versions"] == [{"id": quotation["id"], "number": quotation["number"],
                                                    "state": "sent"}]  # fmt: skip
    assert await DocumentRow.filter(type="sales.order", notes=f"From quotation {quotation['number']}.").count() == 0


def _row(document: dict[str, Any]) -> int:
    from schema.documents.types import document_id

    return document_id(document["id"])
