"""Mail through an outbox: a message is written in the transaction of the change that sends it, and
the ``deliver_mail`` job hands it to the SMTP server later, retrying while the server is away.

Delivery is at least once, and in practice once:

- Two runs never send the same message: a run claims one due message at a time (PostgreSQL:
  ``FOR UPDATE SKIP LOCKED``; SQLite has one writer anyway) by setting it ``sending`` with a lease,
  in a short transaction of its own, and marks it ``sent`` in another once the server accepted it.
  A rerun after success finds nothing due.
- A run that dies while sending leaves the message ``sending``; when its lease ends it is due again.
- The window that remains: the server accepted the message, and the run died before it marked it
  sent. The message is then sent a second time, with the Message-ID it was given when queued, so
  a receiving system that drops duplicates (most do, by Message-ID) shows it once.

A connection failure or a 4xx answer is temporary: the message waits 1, 2, 4 ... minutes (at most an
hour) and is tried again, up to ``MAX_ATTEMPTS`` times (about six hours); a 5xx refusal fails it at
once. Either way ``last_error`` says what the server answered.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import sql
from server.clock import now as clock_now
from server.db import connection
from server.errors import Invalid
from server.jobs.queue import JobQueue
from server.mail.addresses import valid_address
from server.mail.models import MailStatus, OutboxAttachment, OutboxMessage
from server.mail.smtp import Connection, SmtpServer
from server.settings import get_settings
from server.text import Text, for_log, hidden_character

log = logging.getLogger(__name__)

DELIVER_MAIL = "deliver_mail"  # the job's name (workers.jobs)
MAX_RECIPIENTS = 20
MAX_BODY_BYTES = 100 * 1024
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # all attachments of a message together
MAX_ATTEMPTS = 12
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# How long a claim holds: far more than sending one message takes (a few SMTP steps of at most
# 30 s each), so only a run that died leaves a message to be claimed again.
LEASE = timedelta(minutes=10)

SUBJECT = Text("subject", 255)  # refuses CR and LF with every control character: no header injection
FILENAME = Text("attachment name", 255)
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
_LARGEST_ID = 2**63 - 1


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _recipients(to: Sequence[str]) -> list[str]:
    if isinstance(to, str) or not 1 <= len(to) <= MAX_RECIPIENTS:
        raise Invalid(f"A message goes to 1 to {MAX_RECIPIENTS} addresses.", field="to")
    seen: dict[str, str] = {}
    for index, address in enumerate(to):
        cleaned = address.strip() if isinstance(address, str) else address
        if not valid_address(cleaned):
            raise Invalid("An address is name@example.com, without a display name or spaces.", field=("to", index))
        seen.setdefault(cleaned.lower(), cleaned)
    return list(seen.values())


def _body(body: str) -> str:
    if not isinstance(body, str) or len(body) > MAX_BODY_BYTES or len(body.encode()) > MAX_BODY_BYTES:
        raise Invalid(f"A message's text has at most {MAX_BODY_BYTES // 1024} KiB.", field="body")
    text = body.replace("\r\n", "\n")
    if hidden_character(text, multiline=True) is not None:
        raise Invalid("A message's text has no control or invisible formatting characters.", field="body")
    return text


def _attachments(attachments: Sequence[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise Invalid(f"A message has at most {MAX_ATTACHMENTS} attachments.", field="attachments")
    checked, total = [], 0
    for index, (filename, content_type, content) in enumerate(attachments):
        name = FILENAME.clean(filename, f"attachments.{index}.filename")
        if "/" in name or "\\" in name:
            raise Invalid("An attachment's name is a file name, not a path.", field=("attachments", index, "filename"))
        kind = content_type.strip().lower() if isinstance(content_type, str) else ""
        if not _CONTENT_TYPE.fullmatch(kind):
            raise Invalid("A content type is type/subtype.", field=("attachments", index, "contentType"))
        total += len(content)
        if total > MAX_ATTACHMENT_BYTES:
            raise Invalid(f"A message's attachments have at most {MAX_ATTACHMENT_BYTES // 2**20} MiB together.",
                          field="attachments")  # fmt: skip
        checked.append((name, kind, bytes(content)))
    return checked


def _message_id(sender: str) -> str:
    return f"<{uuid.uuid4().hex}@{sender.rpartition('@')[2]}>"


async def enqueue(
    conn: BaseDBAsyncClient,
    *,
    to: list[str],
    subject: str,
    body: str,
    attachments: list[tuple[str, str, bytes]],
    document_id: int | None,
) -> OutboxMessage:
    """Queue a message in the caller's transaction ``conn``: it is sent only if that commits.

    ``attachments``: (file name, content type, content). Refused with ``Invalid``: no or more than 20
    recipients or one that is not a plain address, a subject with a line break or over 255 characters,
    a text over 100 KiB, attachments over 10 MiB together.
    """
    recipients = _recipients(to)
    clean_subject = SUBJECT.clean(subject, "subject")
    text = _body(body)
    files = _attachments(attachments)
    if document_id is not None and not 0 < document_id <= _LARGEST_ID:
        raise Invalid("There is no such document.", field="document")
    created = clock_now()
    message = await OutboxMessage.create(
        to=recipients, subject=clean_subject, body=text, document_id=document_id, status=MailStatus.QUEUED,
        attempts=0, next_attempt_at=created, message_id=_message_id(get_settings().mail_from), created_at=created,
        using_db=conn,
    )  # fmt: skip
    for filename, content_type, content in files:
        await OutboxAttachment.create(message=message, filename=filename, content_type=content_type, content=content,
                                      using_db=conn)  # fmt: skip
    return message


async def request_delivery(queue: JobQueue, message: OutboxMessage) -> bool:
    """Ask for ``deliver_mail`` to run now, after the message's transaction committed (the cron runs
    it every minute anyway); once per message. True when this call queued it."""
    return await queue.enqueue(DELIVER_MAIL, job_id=f"{DELIVER_MAIL}:message:{message.id}")


async def deliveries(document_ids: list[int]) -> dict[int, list[OutboxMessage]]:
    """The messages that sent each document, oldest first (every id is a key, maybe of an empty list)."""
    found: dict[int, list[OutboxMessage]] = {document_id: [] for document_id in document_ids}
    wanted = [document_id for document_id in found if 0 < document_id <= _LARGEST_ID]
    if wanted:
        for message in await OutboxMessage.filter(document_id__in=wanted).order_by("id"):
            found[message.document_id].append(message)  # type: ignore[index]
    return found


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most an hour."""
    return min(FIRST_WAIT * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


async def _claim(at: datetime) -> OutboxMessage | None:
    """The next due message, now ``sending`` under a lease and counted as an attempt; None if none is due."""
    async with in_transaction() as conn:
        skip_locked = " FOR UPDATE SKIP LOCKED" if sql.dialect(conn) == "postgres" else ""
        row = await sql.fetch_one(
            conn,
            "UPDATE outbox_message SET status = $1, lease_until = $2, attempts = attempts + 1"
            " WHERE id = (SELECT id FROM outbox_message"
            "  WHERE (status = $3 AND next_attempt_at <= $4) OR (status = $5 AND lease_until <= $6)"
            f"  ORDER BY next_attempt_at, id LIMIT 1{skip_locked})"
            " RETURNING id",
            MailStatus.SENDING.value, at + LEASE, MailStatus.QUEUED.value, at, MailStatus.SENDING.value, at,
        )  # fmt: skip
    if row is None:
        return None
    return await OutboxMessage.get(id=row["id"]).prefetch_related("attachments")


def _email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.to)
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email.set_content(message.body)
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(bytes(attachment.content), maintype=maintype, subtype=subtype,
                             filename=attachment.filename)  # fmt: skip
    return email


async def _finish(message: OutboxMessage, status: MailStatus, at: datetime, error: str | None) -> None:
    """Record how the attempt ended, unless the claim was lost meanwhile (its lease ran out and
    another run claimed the message again: that run records its own attempt)."""
    await sql.execute(
        connection(),
        "UPDATE outbox_message SET status = $1, sent_at = $2, next_attempt_at = $3, last_error = $4,"
        " lease_until = NULL WHERE id = $5 AND status = $6 AND lease_until = $7",
        status.value,
        at if status is MailStatus.SENT else None,
        at + backoff(message.attempts) if status is MailStatus.QUEUED else message.next_attempt_at,
        for_log(error, 2000) if error else None,
        message.id,
        MailStatus.SENDING.value,
        at + LEASE,  # the lease this run's claim set
    )


@dataclass(frozen=True)
class _Outcome:
    status: MailStatus
    error: str | None = None
    server_away: bool = False  # the server cannot be reached or talked to: stop this run


def _refusal(code: int, text: str) -> _Outcome:
    permanent = 500 <= code < 600
    return _Outcome(MailStatus.FAILED if permanent else MailStatus.QUEUED, f"{code} {text}")


async def _attempt(smtp: Connection, message: OutboxMessage, sender: str) -> _Outcome:
    try:
        refused = await smtp.send(_email(message, sender), list(message.to))
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [refusal.code for refusal in error.recipients]
        answers = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
        permanent = all(500 <= code < 600 for code in codes)
        return _Outcome(MailStatus.FAILED if permanent else MailStatus.QUEUED, f"every recipient refused: {answers}")
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPHeloError,
            aiosmtplib.SMTPSenderRefused) as error:  # fmt: skip
        # The server, the login or our sender address is at fault, not this message: every message
        # would fail alike, so none fails for good while somebody puts the configuration right.
        return _Outcome(MailStatus.QUEUED, f"{type(error).__name__}: {error}", server_away=True)
    except aiosmtplib.SMTPResponseException as error:
        return _refusal(error.code, error.message)
    except (aiosmtplib.SMTPException, OSError) as error:  # refused connection, timeout, dropped line, TLS
        return _Outcome(MailStatus.QUEUED, f"{type(error).__name__}: {error}", server_away=True)
    if refused:  # some recipients took it: it is sent; the others are noted
        return _Outcome(MailStatus.SENT, "refused: " + "; ".join(f"{to}: {answer}" for to, answer in refused.items()))
    return _Outcome(MailStatus.SENT)


async def deliver_due(
    now: datetime | None = None, limit: int = 50, *, server: SmtpServer | None = None
) -> DeliveryReport:
    """Send up to ``limit`` due messages over SMTP (``server``, else STOREKEEPER_SMTP_URL).

    Stops at the first message the server cannot be reached for: the others would fail alike, and
    keep their attempts for when it is back.
    """
    settings = get_settings()
    if server is None:
        if settings.smtp_url is None:
            if await OutboxMessage.filter(status=MailStatus.QUEUED).exists():
                log.warning("mail waits in the outbox: STOREKEEPER_SMTP_URL is not set")
            return DeliveryReport()
        server = SmtpServer.from_url(settings.smtp_url)
    at = now or clock_now()
    sent = retried = failed = 0
    smtp = Connection(server)
    try:
        for _ in range(limit):
            message = await _claim(at)
            if message is None:
                break
            outcome = await _attempt(smtp, message, settings.mail_from)
            status, error = outcome.status, outcome.error
            if status is MailStatus.QUEUED and message.attempts >= MAX_ATTEMPTS:
                status, error = MailStatus.FAILED, f"gave up after {message.attempts} attempts; the last: {error}"
            await _finish(message, status, at, error)
            if status is MailStatus.SENT:
                sent += 1
            elif status is MailStatus.FAILED:
                failed += 1
                log.warning("mail %s failed for good: %s", message.id, error)
            else:
                retried += 1
            if outcome.server_away:
                log.warning("the SMTP server %s:%s is away: %s", server.host, server.port, outcome.error)
                break
            if status is not MailStatus.SENT:
                await smtp.close()  # a refused transaction leaves the conversation in doubt: start afresh
    finally:
        await smtp.close()
    return DeliveryReport(sent, retried, failed)
