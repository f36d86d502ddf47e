"""The mail outbox: a message is written with the change that sends it, and delivered by a job."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MailStatus(StrEnum):
    QUEUED = "queued"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a delivery run until lease_until
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # refused for good, or out of attempts: last_error says why


class OutboxMessage(Model):
    id = fields.BigIntField(primary_key=True)
    to: list[str] = fields.JSONField()  # type: ignore[assignment]
    subject = fields.CharField(max_length=255)
    body = fields.TextField()
    document_id = fields.BigIntField(null=True, db_index=True)  # the document it sends, if any
    status = fields.CharEnumField(MailStatus, max_length=16, default=MailStatus.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)  # while sending: after this the claim is void (a crash)
    last_error = fields.TextField(null=True)
    # Fixed when queued, so that a resend after a crash carries the same Message-ID and a receiver
    # can drop the duplicate.
    message_id = fields.CharField(max_length=255, unique=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    attachments: fields.ReverseRelation[OutboxAttachment]

    class Meta:
        table = "outbox_message"
        indexes = (("status", "next_attempt_at"),)


class OutboxAttachment(Model):
    id = fields.BigIntField(primary_key=True)
    message: fields.ForeignKeyRelation[OutboxMessage] = fields.ForeignKeyField(
        "storekeeper.OutboxMessage", related_name="attachments", on_delete=fields.CASCADE
    )
    filename = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=127)
    content = fields.BinaryField()

    class Meta:
        table = "outbox_attachment"
