"""A store's sales policy: what a clerk may confirm without approval."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server.commands import Command, Write, execute, row_effect
from server.db import connection
from server.money.amounts import percent
from server.partners.service import require_store
from server.sales.models import SalesPolicy


@dataclass(frozen=True)
class SetSalesPolicy(Command):
    operation = "sales_policy.set"
    store: str
    max_discount_percent: Decimal | None


async def set_policy(
    store_code: str, *, max_discount_percent: object | None, actor_id: int | None, idempotency_key: str | None = None
) -> SalesPolicy:
    """Set the store's policy: a line discounted more than ``max_discount_percent`` (None: any) needs approval."""
    limit = percent(max_discount_percent, "maxDiscountPercent") if max_discount_percent is not None else None
    store = await require_store(connection(), store_code, field="store")

    async def run(write: Write) -> SalesPolicy:
        policy = await SalesPolicy.get_or_none(store_id=store.id, using_db=write.conn)
        if policy is None:
            return await SalesPolicy.create(store_id=store.id, max_discount_percent=limit, using_db=write.conn)
        policy.max_discount_percent = limit  # type: ignore[assignment]
        await policy.save(using_db=write.conn, update_fields=["max_discount_percent"])
        return policy

    command = SetSalesPolicy(store.code, limit)
    effect = row_effect(run, SalesPolicy, "sales_policy")
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result
