"""What the per-warehouse jobs share (replenishment, purchase planning): the warehouse named by a caller,
asking for a run now under an idempotency key, and running each warehouse in turn so that one warehouse's
trouble does not keep the others waiting."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.db import connection
from server.errors import DomainError, ManyErrors, NotFound
from server.inventory.models import WAREHOUSE_CODE
from server.jobs.queue import JobQueue
from server.jobs.service import requested_job_id
from server.text import shown

log = logging.getLogger(__name__)
Run = TypeVar("Run")


async def warehouse_named(conn: BaseDBAsyncClient, code: object) -> dict[str, Any]:
    """The warehouse's id and code; NOT_FOUND at ``warehouseCode`` for a code no warehouse has."""
    key = WAREHOUSE_CODE.key(code) if isinstance(code, str) else None
    row = await sql.fetch_one(conn, "SELECT id, code FROM warehouse WHERE code = $1", key) if key else None
    if row is None:
        raise NotFound(f"There is no warehouse {shown(str(code))}.", field="warehouseCode")
    return row


async def request_run(
    queue: JobQueue, job: str, idempotency_key: str, warehouse_code: str | None, *, actor_id: int | None
) -> tuple[str, bool]:
    """Ask for a run of ``job`` now, of one warehouse or of all, in the background; the same key asks once.
    The job id, and whether this call queued it. An unknown warehouse is NOT_FOUND now, not a failed job later."""
    kwargs = {}
    if warehouse_code is not None:
        kwargs["warehouse_code"] = (await warehouse_named(connection(), warehouse_code))["code"]
    job_id = requested_job_id(job, idempotency_key, actor_id)
    return job_id, await queue.enqueue(job, job_id=job_id, kwargs=kwargs, actor_id=actor_id)


async def each_warehouse(
    warehouse_code: str | None, all_with_work: str, run: Callable[[int, str], Awaitable[Run]],
    failed: Callable[[str, str], Run], what: str,
) -> list[Run]:  # fmt: skip
    """``run`` one warehouse, or each of those ``all_with_work`` (SQL: their id and code) selects, by code; a
    warehouse whose run fails gets ``failed(code, why)`` and the next one runs."""
    conn = connection()
    warehouses = [await warehouse_named(conn, warehouse_code)] if warehouse_code is not None else await sql.fetch(
        conn, all_with_work
    )  # fmt: skip
    runs = []
    for row in warehouses:
        try:
            runs.append(await run(int(row["id"]), row["code"]))
        except (DomainError, ManyErrors) as error:  # one warehouse's trouble does not keep the others waiting
            log.error("%s of %s failed: %s", what, row["code"], error)
            runs.append(failed(row["code"], str(error)[:500]))
    return runs
