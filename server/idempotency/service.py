"""Idempotent writes, as Stripe does them: the pieces ``server.commands`` runs a write with.

The record is claimed at the start of the write's own transaction: a concurrent request with
the same key waits on the unique key until the first commits, then replays its stored result.
If the write fails, the claim rolls back with it and a retry runs afresh. The same key sent
with another operation or input is refused.
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
class Claim:
    """The key is this write's: remember its result under ``record_id``."""

    record_id: int


@dataclass(frozen=True)
class Replay:
    """The key was used before for this request: its stored result."""

    result: dict[str, Any]


def request_hash(operation: str, request: dict[str, Any]) -> str:
    canonical = orjson.dumps([operation, request], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(canonical).hexdigest()


def validate_key(key: str) -> str:
    return KEY.clean(key, "idempotencyKey")


async def claim(
    conn: BaseDBAsyncClient,
    key: str,
    operation: str,
    request: dict[str, Any],
    *,
    user_id: int | None,
    stored_as: Sequence[dict[str, Any]] = (),
) -> Claim | Replay:
    """Claim ``key`` in the caller's transaction, or the result it stored first.

    ``stored_as``: other forms the same request was stored in by earlier versions; a key stored
    with one of them replays too.
    """
    digest = request_hash(operation, request)
    created = now()
    claimed = await sql.fetch_one(
        conn,
        "INSERT INTO idempotency_record (key, user_id, operation, request_hash, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
        key,
        user_id or SYSTEM,
        operation,
        digest,
        created,
        created + get_settings().idempotency_ttl,
    )
    if claimed is not None:
        return Claim(int(claimed["id"]))
    digests = {digest, *(request_hash(operation, earlier) for earlier in stored_as)}
    stored = await sql.fetch_one(
        conn,
        "SELECT operation, request_hash, response FROM idempotency_record WHERE user_id = $1 AND key = $2",
        user_id or SYSTEM,
        key,
    )
    if stored is None or stored["response"] is None:  # the first attempt was rolled back meanwhile
        raise Invalid("A request with this idempotency key is still in progress; retry.", field="idempotencyKey")
    if stored["operation"] != operation or stored["request_hash"] not in digests:
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different request.", field="idempotencyKey"
        )
    response = stored["response"]
    return Replay(orjson.loads(response) if isinstance(response, str | bytes) else response)


async def remember(conn: BaseDBAsyncClient, claimed: Claim, result: dict[str, Any]) -> None:
    """Store the result of the claimed write, in its transaction."""
    await sql.execute(
        conn,
        "UPDATE idempotency_record SET response = $1 WHERE id = $2",
        orjson.dumps(result).decode(),
        claimed.record_id,
    )


async def purge_expired() -> int:
    """Forget keys past their time; returns how many."""
    async with in_transaction() as conn:
        return await sql.execute(conn, "DELETE FROM idempotency_record WHERE expires_at < $1", now())
