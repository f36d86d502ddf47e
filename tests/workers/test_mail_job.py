"""The deliver_mail job: cron every minute, enqueued after a send; it delivers with STOREKEEPER_SMTP_URL."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from server.clock import now
from server.jobs.models import JobRecord, JobStatus
from server.mail import service as mail
from server.mail.models import MailStatus, OutboxMessage
from server.settings import Settings, use_settings
from tests.server.mail.smtp_server import MailServer
from workers.constants import cron_name
from workers.queue import InProcessQueue
from workers.schedule import EVERY_MINUTE, next_minute
from workers.settings import cron_jobs


@pytest.fixture
def server(settings: Settings) -> Iterator[MailServer]:
    """An SMTP server the settings point at, not started yet."""
    mail_server = MailServer()
    use_settings(dataclasses.replace(settings, smtp_url=mail_server.url))
    yield mail_server
    mail_server.stop()
    use_settings(settings)


async def run_job(queue: InProcessQueue) -> JobRecord:
    job_id = f"{mail.DELIVER_MAIL}:test:{uuid.uuid4()}"
    assert await queue.enqueue(mail.DELIVER_MAIL, job_id=job_id)
    await queue.wait()
    return await JobRecord.get(job_id=job_id)


async def test_a_mail_is_delivered_once_after_the_smtp_server_was_down_at_the_first_try(server: MailServer) -> None:
    queue = InProcessQueue()
    async with in_transaction() as conn:
        message = await mail.enqueue(
            conn,
            to=["customer@example.com"],
            subject="Your invoice",
            body="Attached.",
            attachments=[("invoice.pdf", "application/pdf", b"%PDF-1.4 test")],
            document_id=None,
        )

    down = await run_job(queue)  # nothing listens on the port
    assert down.status == JobStatus.DONE and down.result is not None and down.result["retried"] >= 1
    waiting = await OutboxMessage.get(id=message.id)
    assert (waiting.status, waiting.attempts) == (MailStatus.QUEUED, 1)
    assert waiting.next_attempt_at > now()

    server.start()
    await run_job(queue)  # the server is back, but the message waits out its backoff
    assert server.inbox.with_id(message.message_id) == []

    await OutboxMessage.filter(id=message.id).update(next_attempt_at=now() - timedelta(seconds=1))  # a minute later
    await run_job(queue)
    [received] = server.inbox.with_id(message.message_id)
    assert received.message["Subject"] == "Your invoice"
    assert [part.get_content() for part in received.message.iter_attachments()] == [b"%PDF-1.4 test"]
    assert (await OutboxMessage.get(id=message.id)).status == MailStatus.SENT

    await run_job(queue)  # every minute the cron runs it again: nothing more is sent
    assert len(server.inbox.with_id(message.message_id)) == 1


async def test_asking_for_delivery_after_a_send_queues_the_job_once_per_message(server: MailServer) -> None:
    server.start()
    queue = InProcessQueue()
    async with in_transaction() as conn:
        message = await mail.enqueue(
            conn, to=["customer@example.com"], subject="Receipt", body="", attachments=[], document_id=None
        )

    assert await mail.request_delivery(queue, message) is True
    assert await mail.request_delivery(queue, message) is False
    await queue.wait()

    assert len(server.inbox.with_id(message.message_id)) == 1
    record = await JobRecord.get(job_id=f"deliver_mail:message:{message.id}")
    assert record.status == JobStatus.DONE


def test_mail_delivery_runs_every_minute_on_arq_and_in_process() -> None:
    [job] = [job for job in cron_jobs("ns") if job.name == cron_name("ns", mail.DELIVER_MAIL)]
    assert (job.minute, job.hour, job.second) == (None, None, 0)  # arq: second 0 of every minute
    assert job.unique
    assert mail.DELIVER_MAIL in EVERY_MINUTE
    assert next_minute(datetime(2026, 11, 23, 10, 4, 59, 900, tzinfo=UTC)) == datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
    assert next_minute(datetime(2026, 11, 23, 10, 5, tzinfo=UTC)) == datetime(2026, 11, 23, 10, 6, tzinfo=UTC)
