"""Lots as the rest of the system reads them."""

from __future__ import annotations

from server.inventory.models import Lot


async def lots_by_ids(ids: list[int]) -> list[Lot]:
    return await Lot.filter(id__in=ids)
