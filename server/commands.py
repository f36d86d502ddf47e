"""Every write runs through ``execute``: one shape for every area.

A write is a **command**, a frozen dataclass of its checked input, and an **effect** that does it
on the open transaction. ``execute`` runs the effect, then writes the command's audit entry and
(when it takes an idempotency key) the key's record with its result, in one round trip and in the
same transaction (``server.idempotency`` says how a retry finds that record),
and only after the commit runs what must wait for it (events for subscribers; later the outbox).
PostgreSQL may abort a transaction to break a deadlock or a serialization conflict: the whole
write then runs again, a few times, since nothing of it was kept. A shortcut that only a check after
the last statement can confirm sends that check as a guard with the COMMIT (``Write.guards``): when it
refuses, the write runs again without shortcuts.

The request remembered for an idempotency key is the command itself, field by field, so a retry
is compared with what was first asked, never with a dict somebody built by hand.

Every write a person, a device or a job asks for runs here. What does not: the set-up a migration
does (default roles, virtual locations), and the bookkeeping of the machinery itself (a job's
status in its record, the purge of expired idempotency keys), which changes nothing anybody asked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from asyncpg.exceptions import TransactionRollbackError
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from server import audit, db, idempotency, sql

R = TypeVar("R")
_ATTEMPTS = 3


@dataclass(frozen=True)
class Command:
    """A write's checked input. Subclasses are frozen dataclasses and name their ``operation``."""

    operation: ClassVar[str]

    def request(self) -> dict[str, Any]:
        """What an idempotency key remembers of the request."""
        return dataclasses.asdict(self)

    def stored_before(self) -> list[dict[str, Any]]:
        """Forms earlier versions remembered the same request in: their keys replay too."""
        return []


@dataclass(frozen=True)
class Audited:
    """The audit entry of a write: what it changed (its data defaults to the command's request)."""

    object_type: str
    object_id: object
    data: dict[str, Any] | None = None
    # Added to the command's request when ``data`` is None: the request is then built once per command.
    added: dict[str, Any] | None = None


@dataclass
class Write:
    """What an effect works with: the transaction, who asked, what to write last and what to do after the commit."""

    conn: BaseDBAsyncClient
    actor_id: int | None
    idempotency_key: str | None
    hooks: list[Callable[[], object]] = field(default_factory=list)
    # Writes the effect leaves for the command's last statement (its audit entry and key): independent
    # of each other and read by nothing after them in the transaction, they cost no round trip of their own.
    deferred: list[sql.Statement] = field(default_factory=list)
    # What must see the last statement's writes, run after it and before the commit (in order); raising
    # rolls the command back.
    checks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Expressions the last statement returns besides the key's record (PostgreSQL, keyed writes only): they
    # read the deferred writes by ``sql.cte``; their values are in ``returned`` once it has run.
    returning: list[str] = field(default_factory=list)
    returned: dict[str, Any] = field(default_factory=dict)
    # Statements sent in one message with the COMMIT (PostgreSQL, no parameters): a check that costs no round
    # trip of its own. One raises ``db.REFUSED`` when the shortcut the effect took does not hold after all;
    # the transaction then rolls back, and the command runs once more with ``shortcuts`` off.
    guards: list[str] = field(default_factory=list)
    shortcuts: bool = True

    def after_commit(self, hook: Callable[[], object]) -> None:
        """Run ``hook`` once the transaction has committed (never for a rolled-back or replayed write)."""
        self.hooks.append(hook)


@dataclass(frozen=True)
class Done(Generic[R]):
    result: R
    replayed: bool


@dataclass(frozen=True)
class Effect(Generic[R]):
    """How to do a command, how to audit it, and (when it takes a key) how to store and recall its result.

    ``audited`` is None only for a write that is a record itself (a scan in the scan log, a ledger
    check's outcome): auditing it would write every entry twice. It may answer None for a result
    that changed nothing (a job asked for again).
    """

    run: Callable[[Write], Awaitable[R]]
    audited: Callable[[R], Audited | None] | None
    remember: Callable[[R], dict[str, Any]] | None = None
    recall: Callable[[dict[str, Any]], Awaitable[R]] | None = None


M = TypeVar("M", bound=Model)


def row_effect(
    run: Callable[[Write], Awaitable[M]], model: type[M], audited_as: str, *, related: tuple[str, ...] = ()
) -> Effect[M]:
    """The effect of a write of one row: audited with its id; with a key, a retry answers that row,
    read again (with ``related``). The id is remembered as ``<audited_as>_id``."""
    remembered_as = f"{audited_as}_id"

    async def recall(stored: dict[str, Any]) -> M:
        query = model.get(id=stored[remembered_as])
        return await (query.select_related(*related) if related else query)

    return Effect(run, lambda row: Audited(audited_as, row.pk), lambda row: {remembered_as: row.pk}, recall)


class _KeyTaken(Exception):
    """The key was used first by another attempt: roll this one back and replay that one."""


async def execute(
    command: Command, effect: Effect[R], *, actor_id: int | None, idempotency_key: str | None = None
) -> Done[R]:
    """Do ``command`` once: in one transaction with its audit entry and idempotency record."""
    key = idempotency.validate_key(idempotency_key) if idempotency_key is not None else None
    if key is not None and (effect.remember is None or effect.recall is None):
        raise TypeError(f"{command.operation} takes an idempotency key but cannot store or recall its result")
    request = None  # built once, for the key's record and the audit entry alike
    keyed = None
    if key is not None:
        request = command.request()
        keyed = idempotency.Request(key, command.operation, request, actor_id, command.stored_before())
    shortcuts, attempt = True, 0
    while attempt < _ATTEMPTS:
        attempt += 1
        try:
            return await _once(command, request, effect, actor_id, keyed, shortcuts=shortcuts)
        except db.Refused:  # a guard found the shortcut wrong: nothing was kept, the general way runs next
            shortcuts, attempt = False, attempt - 1  # (once: it has no guard) and it is not a failed attempt
        except TransactionRollbackError:
            if attempt == _ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * attempt))
        except _KeyTaken:
            replay = await idempotency.probe(keyed)  # type: ignore[arg-type]
            if replay is not None:  # else the first attempt rolled back after all: run afresh
                return await _replayed(effect, replay)
        except Exception:
            # A retry may fail where its first attempt did not (the stock it took is gone): it replays.
            replay = await idempotency.probe(keyed) if keyed is not None else None
            if replay is None:
                raise
            return await _replayed(effect, replay)
    raise AssertionError("unreachable")


async def _replayed(effect: Effect[R], replay: idempotency.Replay) -> Done[R]:
    assert effect.recall is not None
    return Done(await effect.recall(replay.result), replayed=True)


async def _once(
    command: Command,
    request: dict[str, Any] | None,
    effect: Effect[R],
    actor_id: int | None,
    keyed: idempotency.Request | None,
    *,
    shortcuts: bool,
) -> Done[R]:
    async with in_transaction() as conn:
        write = Write(conn, actor_id, keyed.key if keyed else None, shortcuts=shortcuts)
        result = await effect.run(write)
        entry = effect.audited(result) if effect.audited is not None else None
        last = write.deferred
        if entry is not None:
            data = entry.data
            if data is None:
                asked = request if request is not None else command.request()
                data = {**asked, **entry.added} if entry.added else asked
            last.append(
                audit.entry(actor_id=actor_id, action=command.operation, object_type=entry.object_type,
                            object_id=entry.object_id, data=data)
            )  # fmt: skip
        if keyed is None:
            assert not write.returning, "only a keyed write's last statement returns what its writes did"
            for statement, params in last:
                await sql.execute(conn, statement, *params)
        else:
            assert effect.remember is not None
            stored = await idempotency.store(
                conn, keyed, effect.remember(result), with_writes=last, returning=write.returning
            )
            if stored is None:
                raise _KeyTaken
            write.returned = stored
        for check in write.checks:
            await check()
        if write.guards:
            await db.commit_guarded(conn, write.guards)
    for hook in write.hooks:
        hook()
    return Done(result, replayed=False)
