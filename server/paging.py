"""One page of a query, by id (keyset pagination, no OFFSET): what the API's connections read."""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

MAX_ID = 2**63 - 1  # the largest BIGINT


async def page_by_id(
    queryset: QuerySet[Any], *, after_id: int | None, before_id: int | None, limit: int, from_end: bool
) -> list[Any]:
    """Up to ``limit`` rows after ``after_id`` and before ``before_id``, from the start or the end."""
    # A cursor may name an id beyond the range of the table's id column (INTEGER on PostgreSQL):
    # no row lies after it and every row before it, and the driver must not see it.
    largest = int(queryset.model._meta.pk.constraints.get("le", MAX_ID))
    if after_id is not None:
        if after_id >= largest:
            return []
        queryset = queryset.filter(id__gt=after_id)
    if before_id is not None and before_id <= largest:
        queryset = queryset.filter(id__lt=before_id)
    return list(await queryset.order_by("-id" if from_end else "id").limit(limit))
