"""A document's PDF (GraphQL field and URL) and sending it by mail through the outbox, over GraphQL."""

from __future__ import annotations

import base64
import io
from typing import Any

from pypdf import PdfReader

from server.mail import service as mail
from server.mail.models import OutboxMessage
from server.partners.service import ContactDetails, PartyDetails, create_party
from tests.conftest import Actor, GraphQLClient, Place, unique
from tests.server.mail.smtp_server import MailServer

CREATE = """mutation C($input: CreateDocumentInput!) {
  createDocument(input: $input) { document { id } errors { field code message } } }"""
SEND = """mutation S($input: SendDocumentInput!) {
  sendDocument(input: $input) {
    document { number deliveries { to status attempts } } errors { field code message } } }"""
ACT = "mutation A($i: TransitionDocumentInput!) { transitionDocument(input: $i) { errors { code } } }"
PDF = "query P($id: ID!) { document(id: $id) { number pdfUrl pdfBase64 } }"


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def _document(graphql: GraphQLClient, admin: Actor, place: Place, store: str, **header: Any) -> str:
    lines = [{"sku": place.sku, "quantity": "3", "location": place.bin_a, "price": "2.50"},
             {"sku": place.lot_sku, "quantity": "2", "location": place.bin_b, "lot": "L7", "price": "4"}]  # fmt: skip
    data = await graphql.run(CREATE, {"input": {"type": "stock.inbound", "store": store, "lines": lines, **header}},
                             token=admin.token)  # fmt: skip
    assert data["createDocument"]["errors"] == []
    document_id: str = data["createDocument"]["document"]["id"]
    for action in ("confirm", "post"):
        await graphql.run(ACT,
                          {"i": {"id": document_id, "action": action}}, token=admin.token)  # fmt: skip
    return document_id


async def test_the_pdf_holds_the_number_lines_and_totals_as_a_field_and_at_its_url(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, store: str
) -> None:
    document_id = await _document(graphql, admin, place, store, notes="Handle with care")
    data = (await graphql.run(PDF, {"id": document_id}, token=viewer.token))["document"]
    text = _text(base64.b64decode(data["pdfBase64"]))
    assert data["number"] in text and "Goods in" in text
    unwrapped = "".join(text.split())  # a long SKU wraps in its cell
    for expected in (place.sku, place.lot_sku, "Widget", "Yoghurt", "7.50", "8.00", "Total15.50EUR", "Handlewithcare"):
        assert expected in unwrapped, expected

    by_url = await graphql.http.get(data["pdfUrl"], headers={"authorization": f"Bearer {viewer.token}"})
    assert by_url.status_code == 200 and by_url.headers["content-type"] == "application/pdf"
    assert data["number"] in _text(by_url.content)
    assert (await graphql.http.get(data["pdfUrl"])).status_code == 401


async def test_sending_a_document_mails_its_pdf_once(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, smtp: MailServer
) -> None:
    party = unique("P")[:12]
    await create_party(party, PartyDetails(name="Acme Supplies", roles=["supplier"],
                                           contacts=[ContactDetails(name="Ann", email="Ann@Acme.test")]),
                       actor_id=admin.user_id)  # fmt: skip
    document_id = await _document(graphql, admin, place, store, party=party, reason="gift")
    refused = await graphql.run(SEND, {"input": {"id": document_id, "to": ["not an address"]}}, token=admin.token)
    assert refused["sendDocument"]["errors"][0]["field"][:2] == ["input", "to"]
    key = unique("send")
    sent = await graphql.run(SEND, {"input": {"id": document_id, "idempotencyKey": key}}, token=admin.token)
    payload = sent["sendDocument"]
    assert payload["errors"] == []
    assert payload["document"]["deliveries"] == [{"to": ["ann@acme.test"], "status": "queued", "attempts": 0}]
    again = await graphql.run(SEND, {"input": {"id": document_id, "idempotencyKey": key}}, token=admin.token)
    assert len(again["sendDocument"]["document"]["deliveries"]) == 1  # a retry queues nothing more

    await mail.deliver_due(server=smtp.target)
    await mail.deliver_due(server=smtp.target)  # a rerun sends nothing
    number = payload["document"]["number"]
    received = [r for r in smtp.inbox.received if number in str(r.message["Subject"])]
    assert len(received) == 1 and received[0].recipients == ["ann@acme.test"]
    attachment = next(received[0].message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == f"{number}.pdf"
    assert number in _text(attachment.get_content())
    row = await OutboxMessage.filter(document_id__isnull=False, subject__contains=number).first()
    assert row is not None and row.status == "sent"


ATTACH = """mutation T($input: AttachToDocumentInput!) {
  attachToDocument(input: $input) { document { attachments { id name contentType size contentBase64 } }
                                    errors { field code message } } }"""
DETACH = """mutation D($input: RemoveDocumentAttachmentInput!) {
  removeDocumentAttachment(input: $input) { document { attachments { id } } errors { field code message } } }"""


async def test_a_file_kept_with_a_document_comes_back_as_it_was_sent(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    created = await graphql.run(CREATE, {"input": {"type": "stock.inbound", "store": store, "lines": [
        {"sku": place.sku, "quantity": "1", "location": place.bin_a}]}}, token=admin.token)  # fmt: skip
    document_id = created["createDocument"]["document"]["id"]
    note = b"Delivery note 4711\nsigned: A. Smith\n"
    given = {"id": document_id, "name": "note.txt", "contentType": "text/plain",
             "contentBase64": base64.b64encode(note).decode()}  # fmt: skip
    kept = (await graphql.run(ATTACH, {"input": given}, token=admin.token))["attachToDocument"]
    assert kept["errors"] == []
    (attachment,) = kept["document"]["attachments"]
    assert (attachment["name"], attachment["size"]) == ("note.txt", len(note))
    assert base64.b64decode(attachment["contentBase64"]) == note

    for bad, field in (({"contentType": "application/x-msdownload"}, "contentType"),
                       ({"contentBase64": "not base64!"}, "contentBase64"),
                       ({"contentBase64": "A" * 800_000}, "contentBase64"),
                       ({"name": "../../etc/passwd"}, "name"), ({"name": "\x00"}, "name")):  # fmt: skip
        refused = (await graphql.run(ATTACH, {"input": {**given, **bad}}, token=admin.token))["attachToDocument"]
        assert refused["errors"][0]["field"] == ["input", field], (bad, refused)

    removed = await graphql.run(DETACH, {"input": {"id": document_id, "attachment": attachment["id"]}},
                                token=admin.token)  # fmt: skip
    assert removed["removeDocumentAttachment"] == {"document": {"attachments": []}, "errors": []}
    again = await graphql.run(DETACH, {"input": {"id": document_id, "attachment": attachment["id"]}},
                              token=admin.token)  # fmt: skip
    assert again["removeDocumentAttachment"]["errors"][0]["code"] == "NOT_FOUND"
