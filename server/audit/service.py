"""The audit log: one entry per write, in the transaction of that write."""

from __future__ import annotations

from typing import Any

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now

_INSERT = (
    "INSERT INTO audit_entry (actor_id, action, object_type, object_id, data, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
)


def entry(
    *, actor_id: int | None, action: str, object_type: str, object_id: object, data: dict[str, Any] | None = None
) -> tuple[str, tuple[Any, ...]]:
    """The statement that appends an audit entry, for a caller that sends it with others at once."""
    return _INSERT, (
        actor_id,
        action,
        object_type,
        str(object_id),
        orjson.dumps(data or {}, default=str).decode(),
        now(),
    )


async def record(
    conn: BaseDBAsyncClient,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: object,
    data: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry on ``conn``, which must be the caller's open transaction."""
    statement, params = entry(actor_id=actor_id, action=action, object_type=object_type, object_id=object_id, data=data)
    await sql.execute(conn, statement, *params)
