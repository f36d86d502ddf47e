from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRecord(Model):
    """Every enqueued job, so a sweeper can re-enqueue what a Redis restart lost."""

    id = fields.BigIntField(primary_key=True)
    job_id = fields.CharField(max_length=128, unique=True)
    function = fields.CharField(max_length=64)
    kwargs: dict = fields.JSONField(default=dict)  # type: ignore[assignment]
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.QUEUED)
    attempts = fields.IntField(default=0)
    error = fields.TextField(null=True)
    result: dict | None = fields.JSONField(null=True)  # type: ignore[assignment]
    enqueued_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job_record"
        indexes = (("status", "enqueued_at"),)
