"""The outbox: queued in the sender's transaction, delivered over real SMTP (aiosmtpd), once.

Other tests may leave mail in the outbox; every assertion here is about this test's own messages
(found by their Message-ID), whatever else a delivery run sends along.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from server.clock import now
from server.errors import Invalid
from server.mail import service as mail
from server.mail.models import MailStatus, OutboxMessage
from server.printing.pdf import render
from server.printing.view import Template
from server.settings import Settings
from tests.conftest import SQLLog
from tests.server.mail.smtp_server import MailServer
from tests.server.printing.test_pdf import document, line

DOCUMENT_ID = 9_000_000_001


async def queue(
    subject: str = "Invoice INV-1",
    *,
    to: list[str] | None = None,
    document_id: int | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> OutboxMessage:
    async with in_transaction() as conn:
        return await mail.enqueue(
            conn,
            to=to or ["customer@example.com"],
            subject=subject,
            body="Dear customer,\nyour invoice is attached.",
            attachments=attachments or [],
            document_id=document_id,
        )


async def reloaded(message: OutboxMessage) -> OutboxMessage:
    return await OutboxMessage.get(id=message.id)


async def test_a_queued_message_arrives_with_its_pdf(settings: Settings, smtp: MailServer) -> None:
    pdf = render(document([line(1, "MUG-1", "Mug")]), Template(footer="Harbour Store"))
    message = await queue(
        "Invoice INV-MAIN-2026-00042",
        to=["Customer@Example.com", "books@example.org"],
        attachments=[("INV-MAIN-2026-00042.pdf", "application/pdf", pdf)],
        document_id=DOCUMENT_ID,
    )

    report = await mail.deliver_due(server=smtp.target)

    assert report.sent >= 1
    [received] = smtp.inbox.with_id(message.message_id)
    assert received.sender == settings.mail_from
    assert received.recipients == ["Customer@Example.com", "books@example.org"]
    assert received.message["Subject"] == "Invoice INV-MAIN-2026-00042"
    assert received.message["To"] == "Customer@Example.com, books@example.org"
    assert "your invoice is attached" in received.message.get_body(("plain",)).get_content()
    [attachment] = received.message.iter_attachments()
    assert attachment.get_filename() == "INV-MAIN-2026-00042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf

    sent = await reloaded(message)
    assert (sent.status, sent.attempts, sent.last_error) == (MailStatus.SENT, 1, None)
    assert sent.sent_at is not None


async def test_a_message_is_queued_only_if_the_sending_transaction_commits(settings: Settings) -> None:
    subject = f"never sent {now().isoformat()}"
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await mail.enqueue(
                conn,
                to=["a@example.com"],
                subject=subject,
                body="",
                attachments=[("a.pdf", "application/pdf", b"%PDF-")],
                document_id=None,
            )
            raise RuntimeError("the document could not be sent after all")
    assert not await OutboxMessage.filter(subject=subject).exists()


async def test_mail_sent_while_the_server_was_down_is_delivered_once_it_is_back(settings: Settings) -> None:
    server = MailServer()  # not started: its port is closed
    message = await queue()
    first_try = now()

    down = await mail.deliver_due(now=first_try, server=server.target)

    assert down.retried >= 1
    waiting = await reloaded(message)
    assert (waiting.status, waiting.attempts) == (MailStatus.QUEUED, 1)
    assert waiting.next_attempt_at == first_try + timedelta(minutes=1)
    assert waiting.last_error and "Connect" in waiting.last_error

    server.start()
    try:
        await mail.deliver_due(now=first_try + timedelta(seconds=30), server=server.target)  # still waiting
        assert server.inbox.with_id(message.message_id) == []

        await mail.deliver_due(now=first_try + timedelta(minutes=1), server=server.target)
        assert len(server.inbox.with_id(message.message_id)) == 1
        sent = await reloaded(message)
        assert (sent.status, sent.attempts) == (MailStatus.SENT, 2)

        await mail.deliver_due(now=first_try + timedelta(hours=2), server=server.target)  # a rerun sends nothing
        assert len(server.inbox.with_id(message.message_id)) == 1
        assert (await reloaded(message)).status == MailStatus.SENT
    finally:
        server.stop()


async def test_retries_wait_longer_each_time_and_give_up_after_the_last_attempt(settings: Settings) -> None:
    server = MailServer()  # never started
    message = await queue()
    at = now()
    waits = []
    for _ in range(mail.MAX_ATTEMPTS - 1):
        await mail.deliver_due(now=at, server=server.target)
        waiting = await reloaded(message)
        assert waiting.status == MailStatus.QUEUED
        waits.append(waiting.next_attempt_at - at)
        at = waiting.next_attempt_at
    assert waits[:7] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
    assert set(waits[7:]) == {timedelta(hours=1)}

    await mail.deliver_due(now=at, server=server.target)
    given_up = await reloaded(message)
    assert (given_up.status, given_up.attempts) == (MailStatus.FAILED, mail.MAX_ATTEMPTS)
    assert given_up.last_error and given_up.last_error.startswith(f"gave up after {mail.MAX_ATTEMPTS} attempts")


async def test_a_permanent_refusal_fails_the_message_with_the_servers_answer(
    settings: Settings, smtp: MailServer
) -> None:
    smtp.inbox.reply = "554 5.7.1 Message rejected as spam"
    message = await queue()

    await mail.deliver_due(server=smtp.target)

    failed = await reloaded(message)
    assert (failed.status, failed.attempts) == (MailStatus.FAILED, 1)
    assert failed.last_error == "554 5.7.1 Message rejected as spam"
    smtp.inbox.reply = "250 OK"
    await mail.deliver_due(now=now() + timedelta(days=1), server=smtp.target)
    assert smtp.inbox.with_id(message.message_id) == []  # failed stays failed


async def test_a_temporary_refusal_is_retried_later(settings: Settings, smtp: MailServer) -> None:
    smtp.inbox.reply = "451 4.3.0 Mailbox busy, try again"
    message = await queue()
    at = now()

    await mail.deliver_due(now=at, server=smtp.target)
    waiting = await reloaded(message)
    assert (waiting.status, waiting.last_error) == (MailStatus.QUEUED, "451 4.3.0 Mailbox busy, try again")

    smtp.inbox.reply = "250 OK"
    await mail.deliver_due(now=at + timedelta(minutes=1), server=smtp.target)
    assert len(smtp.inbox.with_id(message.message_id)) == 1
    assert (await reloaded(message)).status == MailStatus.SENT


async def test_a_message_left_sending_by_a_crashed_run_is_sent_when_its_lease_ends(
    settings: Settings, smtp: MailServer
) -> None:
    message = await queue()
    crashed_at = now()
    leased = crashed_at + mail.LEASE
    await OutboxMessage.filter(id=message.id).update(status=MailStatus.SENDING, lease_until=leased, attempts=1)

    await mail.deliver_due(now=leased - timedelta(seconds=1), server=smtp.target)
    assert smtp.inbox.with_id(message.message_id) == []  # the other run may still be at it

    await mail.deliver_due(now=leased, server=smtp.target)
    assert len(smtp.inbox.with_id(message.message_id)) == 1  # under the Message-ID a first send had too
    assert (await reloaded(message)).status == MailStatus.SENT


async def test_two_runs_at_once_send_each_message_once(settings: Settings, smtp: MailServer) -> None:
    messages = [await queue(f"Statement {n}") for n in range(6)]

    await asyncio.gather(mail.deliver_due(server=smtp.target), mail.deliver_due(server=smtp.target))

    for message in messages:
        assert len(smtp.inbox.with_id(message.message_id)) == 1
        assert (await reloaded(message)).status == MailStatus.SENT


@pytest.mark.postgres
async def test_a_run_claims_with_skip_locked_on_postgresql(
    settings: Settings, smtp: MailServer, sql_log: SQLLog
) -> None:
    await queue()
    await mail.deliver_due(server=smtp.target)
    claims = [statement for statement in sql_log.statements if "attempts = attempts + 1" in statement]
    assert claims and all("FOR UPDATE SKIP LOCKED" in statement for statement in claims)


async def test_deliveries_lists_the_messages_of_each_document(settings: Settings, smtp: MailServer) -> None:
    first = await queue(document_id=DOCUMENT_ID + 1)
    await mail.deliver_due(server=smtp.target)
    second = await queue(document_id=DOCUMENT_ID + 1)

    found = await mail.deliveries([DOCUMENT_ID + 1, DOCUMENT_ID + 2, -1, 2**70])

    assert [(m.id, m.status) for m in found[DOCUMENT_ID + 1]] == [
        (first.id, MailStatus.SENT),
        (second.id, MailStatus.QUEUED),
    ]
    assert found[DOCUMENT_ID + 2] == found[-1] == found[2**70] == []
    await mail.deliver_due(server=smtp.target)  # leave nothing queued behind


async def test_without_an_smtp_url_mail_waits_in_the_outbox(settings: Settings) -> None:
    assert settings.smtp_url is None
    message = await queue()
    assert await mail.deliver_due() == mail.DeliveryReport(0, 0, 0)
    waiting = await reloaded(message)
    assert (waiting.status, waiting.attempts) == (MailStatus.QUEUED, 0)
    await OutboxMessage.filter(id=message.id).update(status=MailStatus.FAILED)  # out of the other tests' way


BAD: list[tuple[dict[str, Any], tuple[str | int, ...] | str]] = [
    ({"subject": "Invoice\r\nBcc: everyone@example.com"}, "subject"),
    ({"subject": "Invoice\nBcc: everyone@example.com"}, "subject"),
    ({"subject": "x" * 256}, "subject"),
    ({"subject": ""}, "subject"),
    ({"to": []}, "to"),
    ({"to": [f"c{n}@example.com" for n in range(21)]}, "to"),
    ({"to": ["ok@example.com", "Eve <eve@example.com>"]}, ("to", 1)),
    ({"to": ["a@example.com, b@example.com"]}, ("to", 0)),
    ({"to": ["victim@example.com\r\nBcc: x@example.com"]}, ("to", 0)),
    ({"to": ["no-at-sign"]}, ("to", 0)),
    ({"to": ["a@-bad-.com"]}, ("to", 0)),
    ({"body": "x" * (100 * 1024 + 1)}, "body"),
    ({"body": "nul \x00"}, "body"),
    ({"attachments": [("a.pdf", "application/pdf", bytes(6 * 2**20))] * 2}, "attachments"),
    ({"attachments": [("../../etc/passwd", "text/plain", b"x")]}, ("attachments", 0, "filename")),
    ({"attachments": [("a\r\n.pdf", "application/pdf", b"x")]}, "attachments.0.filename"),
    ({"attachments": [("a.pdf", "application/pdf\r\nX: y", b"x")]}, ("attachments", 0, "contentType")),
    ({"document_id": 2**64}, "document"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
async def test_what_could_bend_a_header_or_flood_a_mailbox_is_refused(
    settings: Settings, change: dict[str, Any], field: tuple[str | int, ...] | str
) -> None:
    given: dict[str, Any] = {
        "to": ["customer@example.com"],
        "subject": "Invoice",
        "body": "Hello",
        "attachments": [],
        "document_id": None,
    } | change
    before = await OutboxMessage.all().count()
    with pytest.raises(Invalid) as refused:
        async with in_transaction() as conn:
            await mail.enqueue(conn, **given)
    assert refused.value.field == field
    assert await OutboxMessage.all().count() == before


def test_backoff_doubles_from_a_minute_up_to_an_hour() -> None:
    assert [mail.backoff(n) for n in (1, 2, 3, 7, 8, 20)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]


async def test_a_refused_sender_address_fails_no_message_for_good(settings: Settings, smtp: MailServer) -> None:
    smtp.inbox.sender_reply = "550 5.7.1 Sender address not allowed"
    message = await queue()

    await mail.deliver_due(server=smtp.target)

    waiting = await reloaded(message)  # the configuration is wrong, not the message: it waits for a fix
    assert waiting.status == MailStatus.QUEUED
    assert waiting.last_error and "Sender address not allowed" in waiting.last_error
    smtp.inbox.sender_reply = "250 OK"
    await mail.deliver_due(now=now() + timedelta(minutes=1), server=smtp.target)
    assert len(smtp.inbox.with_id(message.message_id)) == 1
