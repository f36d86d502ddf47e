"""Idempotent writes, as Stripe does them: the pieces ``server.commands`` runs a write with.

The key is claimed when the write commits: its record, with the result, is inserted as the last
statement of the write's own transaction. Nearly every request is a first attempt, and for it the
key then costs no round trip of its own (see ``store``). A retry of a write that has committed
finds the key taken at that insert; a retry racing a first attempt still in flight waits on the
unique key until the first commits or rolls back. Either way the retry's own work rolls back and
it replays the stored result. A retry that fails on its own (the stock it would take has gone
meanwhile) asks ``probe`` whether the key was used, and replays then too. The same key sent with
another operation or input is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import sql
from server.clock import now
from server.errors import ErrorCode, Invalid
from server.idempotency.models import IdempotencyRecord
from server.settings import get_settings
from server.text import Opaque, column_length

KEY = Opaque("idempotency key", column_length(IdempotencyRecord, "key"))
SYSTEM = 0  # the user id of writes no person made (jobs, the demo loader)


class IdempotencyKeyReused(Invalid):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


@dataclass(frozen=True)
class Replay:
    """The key was used before for this request: its stored result."""

    result: dict[str, Any]


@dataclass(frozen=True)
class Request:
    """A keyed request: what its record stores and what a retry is compared with."""

    key: str
    operation: str
    request: dict[str, Any]
    user_id: int | None
    # Other forms the same request was stored in by earlier versions: a key stored with one of them replays too.
    stored_as: Sequence[dict[str, Any]] = ()

    def digests(self) -> set[str]:
        return {request_hash(self.operation, r) for r in (self.request, *self.stored_as)}


def request_hash(operation: str, request: dict[str, Any]) -> str:
    canonical = orjson.dumps([operation, request], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(canonical).hexdigest()


def validate_key(key: str) -> str:
    return KEY.clean(key, "idempotencyKey")


_INSERT = (
    "INSERT INTO idempotency_record (key, user_id, operation, request_hash, created_at, expires_at, response)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
)


async def store(
    conn: BaseDBAsyncClient,
    request: Request,
    result: dict[str, Any] | None,
    *,
    with_writes: Sequence[tuple[str, tuple[Any, ...]]] = (),
    returning: Sequence[str] = (),
) -> dict[str, Any] | None:
    """Insert the key's record with its result (None: a probe's placeholder), and ``with_writes``
    in the same round trip; the record's id with ``returning`` (expressions that read the writes by
    ``sql.cte``, PostgreSQL only), or None, writing nothing of it, when the key is taken.

    Runs in the caller's transaction: a first attempt still in flight with this key makes it wait
    until that one commits (False) or rolls back (True).
    """
    created = now()
    rows = await sql.fetch_after(
        conn,
        list(with_writes),
        _INSERT + "".join(f", {expression}" for expression in returning),
        request.key,
        request.user_id or SYSTEM,
        request.operation,
        request_hash(request.operation, request.request),
        created,
        created + get_settings().idempotency_ttl,
        None if result is None else orjson.dumps(result).decode(),
    )
    return rows[0] if rows else None


async def stored(conn: BaseDBAsyncClient, request: Request) -> Replay | None:
    """The committed result stored under the key, or None when there is none (any more).

    IdempotencyKeyReused when the key was used for another request.
    """
    row = await sql.fetch_one(
        conn,
        "SELECT operation, request_hash, response FROM idempotency_record WHERE user_id = $1 AND key = $2",
        request.user_id or SYSTEM,
        request.key,
    )
    if row is None:
        return None
    if row["operation"] != request.operation or row["request_hash"] not in request.digests():
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different request.", field="idempotencyKey"
        )
    response = row["response"]
    if response is None:  # only a probe writes no response, and it never commits
        return None
    return Replay(orjson.loads(response) if isinstance(response, str | bytes) else response)


class _Free(Exception):
    """The probe found the key free: roll its placeholder back."""


async def probe(request: Request) -> Replay | None:
    """After a keyed write failed: the result stored under its key, if any, else None.

    Claims the key with a placeholder in a transaction of its own, which waits for a first attempt
    still in flight, and rolls the placeholder back: a failed write keeps no key, so its retry runs
    afresh.
    """
    try:
        async with in_transaction() as conn:
            if await store(conn, request, None) is not None:
                raise _Free
            return await stored(conn, request)
    except _Free:
        return None


async def purge_expired() -> int:
    """Forget keys past their time; returns how many."""
    async with in_transaction() as conn:
        return await sql.execute(conn, "DELETE FROM idempotency_record WHERE expires_at < $1", now())
