"""A document on paper and in the mail: its PDF in the store's template, and sending it through the outbox."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents.kinds import kind_of
from server.documents.models import Document, DocumentLine
from server.errors import Invalid, NotFound
from server.jobs.queue import JobQueue
from server.mail import service as mail
from server.mail.models import OutboxMessage
from server.money.service import currency_places
from server.partners.models import Address, AddressKind, Contact
from server.printing.http import filename
from server.printing.service import render_document
from server.printing.view import PrintedDocument, PrintedLine
from server.text import Text

log = logging.getLogger(__name__)
MESSAGE = Text("message", 10_000, multiline=True)
SUBJECT = Text("subject", 255)


def _money(value: object, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


async def printed(conn: BaseDBAsyncClient, document: Document) -> PrintedDocument:
    """What the PDF shows: amounts in the currency's places, quantities as the ledger keeps them."""
    await document.fetch_related("store", "party", using_db=conn)
    places = await currency_places(document.currency)
    lines = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position").select_related(
        "product"
    )  # fmt: skip
    party_address = None
    if document.party is not None:
        address = await Address.filter(party_id=document.party.id, kind=AddressKind.BILLING).using_db(conn).first()
        if address is not None:
            party_address = "\n".join(
                part for part in (address.street, f"{address.postal_code} {address.city}".strip(), address.region,
                                  address.country) if part
            )  # fmt: skip
    kind = kind_of(document.type)
    details = tuple(await kind.printed_details(conn, document)) if kind.printed_details else ()
    return PrintedDocument(
        title=kind.title, number=document.number, state=document.state, details=details, priced=kind.priced,
        business_date=document.business_date, store_name=document.store.name, store_address=document.store.address,
        party_name=document.party.name if document.party else None, party_address=party_address,
        currency=document.currency,
        lines=[
            PrintedLine(line.position, line.product.sku, line.product.name, Decimal(line.quantity), line.unit,
                        _money(line.price, places), Decimal(line.discount_percent), Decimal(line.tax_rate),
                        _money(line.net, places), _money(line.gross, places))
            for line in lines
        ],
        net=_money(document.net, places), tax=_money(document.tax, places), gross=_money(document.gross, places),
        notes=document.notes,
    )  # fmt: skip


async def printable(document_id: int) -> tuple[PrintedDocument, int] | None:
    """What the document prints and its store's id (for the PDF URL), or None when there is no such document."""
    conn = connection()
    document = await Document.get_or_none(id=document_id, using_db=conn)
    if document is None:
        return None
    return await printed(conn, document), document.store_id  # type: ignore[attr-defined]


async def pdf_of(document_id: int) -> bytes:
    found = await printable(document_id)
    if found is None:
        raise NotFound("There is no such document.", field="id")
    return await render_document(*found)


@dataclass(frozen=True)
class SendDocument(Command):
    operation = "document.send"
    document_id: int
    to: tuple[str, ...]
    subject: str | None
    message: str


async def send_document(
    document_id: int,
    to: list[str] | None,
    subject: str | None,
    message: str | None,
    *,
    queue: JobQueue | None,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> OutboxMessage:
    """Put a message with the document's PDF in the outbox, in one transaction; a job delivers it.

    Without recipients, it goes to the party's contacts that have an email address.
    """
    given_subject = SUBJECT.optional(subject, "subject") if subject is not None else None
    text = (MESSAGE.optional(message, "message") or "") if message is not None else ""
    recipients = tuple(to or ())
    command = SendDocument(document_id, recipients, given_subject, text)

    async def run(write: Write) -> OutboxMessage:
        document = await Document.get_or_none(id=document_id, using_db=write.conn)
        if document is None:
            raise NotFound("There is no such document.", field="id")
        return await mail_within(write, document, recipients, given_subject, text, queue=queue)

    async def recall(stored: dict[str, object]) -> OutboxMessage:
        return await OutboxMessage.get(id=stored["message_id"])

    effect = Effect(run, lambda m: Audited("document", document_id, {**command.request(), "message": m.id}),
                    lambda m: {"message_id": m.id}, recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def mail_within(
    write: Write, document: Document, to: tuple[str, ...], subject: str | None, text: str, *, queue: JobQueue | None
) -> OutboxMessage:
    """The document's PDF into the outbox, in ``write``'s transaction (an area that sends as it changes the
    document's state, as a purchase order is sent); without ``to``, to the party's contacts with an email."""
    addresses = list(to)
    if not addresses and document.party_id is not None:  # type: ignore[attr-defined]
        contacts = await Contact.filter(party_id=document.party_id).using_db(write.conn).order_by("id")  # type: ignore[attr-defined]
        addresses = [c.email for c in contacts if c.email]
    if not addresses:
        raise Invalid("Say whom to send it to: the party has no contact with an email address.", field="to")
    view = await printed(write.conn, document)
    pdf = await render_document(view, document.store_id)  # type: ignore[attr-defined]
    title = f"{view.title} {document.number or '(draft)'}"
    sent = await mail.enqueue(
        write.conn, to=addresses, subject=subject or _subject(title, view.store_name),
        body=text or f"Please find {title} attached.",
        attachments=[(filename(view, document.id), "application/pdf", pdf)],
        document_id=document.id,
    )  # fmt: skip
    if queue is not None:
        write.after_commit(lambda: _deliver_soon(queue, sent))
    return sent


def _subject(title: str, store_name: str) -> str:
    """ "Goods in IN-MAIN-2026-00001 from Main Street Shop", the store's name cut to fit a subject line."""
    subject = f"{title} from {store_name}"
    return subject if len(subject) <= SUBJECT.max_length else subject[: SUBJECT.max_length - 1] + "…"


def _deliver_soon(queue: JobQueue, message: OutboxMessage) -> None:
    """Ask for delivery now; if that fails, the every-minute cron delivers it anyway."""
    task = asyncio.get_running_loop().create_task(mail.request_delivery(queue, message))
    task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[bool]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not queue mail: %s", task.exception())
