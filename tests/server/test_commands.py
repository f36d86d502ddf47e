"""The command runner's promises, which every write in every area relies on: one transaction with
its audit entry and idempotency record, events only after the commit, a replay that does nothing."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from server import db, sql
from server.audit.models import AuditEntry
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import Invalid
from server.idempotency.models import IdempotencyRecord
from server.settings import Settings


@dataclass(frozen=True)
class Note(Command):
    operation = "test.note"
    text: str


def _effect(told: list[str], text: str, *, fail: bool = False) -> Effect[str]:
    async def run(write: Write) -> str:
        write.after_commit(lambda: told.append("committed"))
        if fail:
            raise Invalid("refused after the hook was registered")
        return "done"

    async def recall(stored: dict[str, Any]) -> str:
        return str(stored["result"])

    return Effect(run, lambda _: Audited("note", text), lambda result: {"result": result}, recall)


async def test_a_write_is_audited_and_tells_after_its_commit_once_and_a_replay_tells_nobody(
    settings: Settings,
) -> None:
    told: list[str] = []
    key, text = str(uuid.uuid4()), uuid.uuid4().hex
    first = await execute(Note(text), _effect(told, text), actor_id=None, idempotency_key=key)
    again = await execute(Note(text), _effect(told, text), actor_id=None, idempotency_key=key)
    assert (first.result, first.replayed, again.result, again.replayed) == ("done", False, "done", True)
    assert told == ["committed"]
    assert await AuditEntry.filter(action="test.note", object_id=text).count() == 1


async def test_a_failed_write_leaves_no_trace_and_a_retry_runs_afresh(settings: Settings) -> None:
    told: list[str] = []
    key, text = str(uuid.uuid4()), uuid.uuid4().hex
    with pytest.raises(Invalid):
        await execute(Note(text), _effect(told, text, fail=True), actor_id=None, idempotency_key=key)
    assert told == []  # nothing committed, nothing told
    assert not await IdempotencyRecord.filter(key=key).exists()
    assert not await AuditEntry.filter(action="test.note", object_id=text).exists()
    retried = await execute(Note(text), _effect(told, text), actor_id=None, idempotency_key=key)
    assert not retried.replayed and told == ["committed"]


async def test_a_command_that_takes_a_key_must_say_how_to_replay(settings: Settings) -> None:
    async def run(write: Write) -> str:
        return "done"

    with pytest.raises(TypeError):
        await execute(Note("x"), Effect(run, None), actor_id=None, idempotency_key=str(uuid.uuid4()))


def _guarded(runs: list[bool], text: str, *, refuse: bool) -> Effect[str]:
    """A write whose shortcut is guarded at its COMMIT: the guard refuses it when ``refuse``."""

    async def run(write: Write) -> str:
        runs.append(write.shortcuts)
        if write.shortcuts:
            write.guards.append(
                f"DO $$BEGIN IF {str(refuse).upper()} THEN RAISE EXCEPTION 'no' USING ERRCODE = '{db.REFUSED}';"
                " END IF; END$$"
            )
        return "done"

    async def recall(stored: dict[str, Any]) -> str:
        return str(stored["result"])

    return Effect(run, lambda _: Audited("note", text), lambda result: {"result": result}, recall)


@pytest.mark.postgres
@pytest.mark.parametrize("refuse", [False, True])
async def test_a_guard_sent_with_the_commit_commits_or_runs_the_write_again_without_shortcuts(
    settings: Settings, refuse: bool
) -> None:
    runs: list[bool] = []
    problems: list[dict[str, Any]] = []  # asyncpg reports a connection handed back inside a transaction here
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: problems.append(context))
    try:
        key, text = str(uuid.uuid4()), uuid.uuid4().hex
        done = await execute(Note(text), _guarded(runs, text, refuse=refuse), actor_id=None, idempotency_key=key)
        async with in_transaction() as conn:  # the connection went back to the pool clean, and serves again
            assert await sql.fetch_one(conn, "SELECT 1 AS one") == {"one": 1}
    finally:
        loop.set_exception_handler(handler)
    assert (done.result, done.replayed) == ("done", False)
    assert runs == ([True, False] if refuse else [True])  # refused: rolled back and run again, the general way
    assert await AuditEntry.filter(action="test.note", object_id=text).count() == 1
    assert await IdempotencyRecord.filter(key=key).count() == 1
    assert problems == []
