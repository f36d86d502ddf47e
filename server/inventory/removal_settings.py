"""Setting the removal strategy of a product, a category or a location (see ``server.inventory.removal``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server import sql
from server.catalog.models import CATEGORY_NAME, SKU
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import Invalid, NotFound
from server.inventory.models import LOCATION_CODE
from server.inventory.removal import RemovalStrategy
from server.text import Code, Text, shown, storable


class StrategyOwner(StrEnum):
    PRODUCT = "product"
    CATEGORY = "category"
    LOCATION = "location"


# What names each owner, the table it lives in, its column, and the input field that names it.
_OWNERS: dict[StrategyOwner, tuple[Code | Text, str, str, str]] = {
    StrategyOwner.PRODUCT: (SKU, "product", "sku", "sku"),
    StrategyOwner.CATEGORY: (CATEGORY_NAME, "category", "name", "category"),
    StrategyOwner.LOCATION: (LOCATION_CODE, "location", "code", "locationCode"),
}


@dataclass(frozen=True)
class StrategySetting:
    owner: StrategyOwner
    name: str
    strategy: RemovalStrategy | None  # None: it follows the next in line
    row_id: int = 0  # audited by id: a category's name is longer than an audit entry's object id


@dataclass(frozen=True)
class SetRemovalStrategy(Command):
    operation = "removal_strategy.set"
    owner: str
    name: str
    strategy: str | None


async def set_removal_strategy(
    owner: StrategyOwner,
    name: str,
    strategy: RemovalStrategy | None,
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> StrategySetting:
    """Which stock of a product (of a category's products, of stock in a location and below it) leaves
    first; None clears it, so the next in line applies (product, category, location, default)."""
    owner = StrategyOwner(owner)
    spec, table, column, field = _OWNERS[owner]
    key = spec.key(name)
    if key is None:
        raise NotFound(f"There is no {owner.value} {shown(name)}.", field=field)
    command = SetRemovalStrategy(owner.value, key or storable(name), strategy.value if strategy else None)

    async def run(write: Write) -> StrategySetting:
        # The row lock a settings change takes (postings read product and location rows FOR SHARE).
        found = await sql.fetch_one(write.conn, f"SELECT id FROM {table} WHERE {column} = $1 FOR UPDATE", key)
        if found is None:
            raise NotFound(f"There is no {owner.value} {shown(name)}.", field=field)
        if owner == StrategyOwner.LOCATION:
            await _refuse_virtual(write, int(found["id"]))
        await sql.execute(
            write.conn, f"UPDATE {table} SET removal_strategy = $1 WHERE id = $2", command.strategy, found["id"]
        )
        return StrategySetting(owner, key, strategy, int(found["id"]))

    async def recall(stored: dict[str, Any]) -> StrategySetting:
        chosen = stored["strategy"]
        return StrategySetting(
            StrategyOwner(stored["owner"]), stored["name"], RemovalStrategy(chosen) if chosen else None
        )

    effect = Effect(
        run,
        lambda setting: Audited(table, setting.row_id),
        lambda setting: {"owner": setting.owner.value, "name": setting.name,
                         "strategy": setting.strategy.value if setting.strategy else None},
        recall,
    )  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def _refuse_virtual(write: Write, location_id: int) -> None:
    row = await sql.fetch_one(write.conn, "SELECT warehouse_id FROM location WHERE id = $1", location_id)
    if row is None or row["warehouse_id"] is None:
        raise Invalid("A virtual location has no removal strategy: stock is never taken from it by one.",
                      field="locationCode")  # fmt: skip
