"""How each warehouse ships its orders: in one, two or three steps.

- one step (the default: a shop with a back room): a shipment takes the reserved stock straight from
  the bins;
- two steps: a pick list moves the reserved stock from the bins to the warehouse's output location,
  where a shipment takes it;
- three steps: the same, and a shipment is packed (packages, box type, weight) before it is validated.

The output location is a real location of the warehouse that is not sellable (usage ``output``): stock
there is on hand but nobody else can reserve it. It is made the first time the warehouse is set to two
or three steps, coded ``<warehouse>-OUTPUT``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.codes import CodeOwner, claim
from server.commands import Command, Write, execute, row_effect
from server.db import connection
from server.errors import DomainError, Invalid, NotFound
from server.inventory.models import WAREHOUSE_CODE, Location, LocationKind, LocationUsage, Warehouse
from server.sales.fulfillment_models import ONE_STEP, THREE_STEPS, FulfillmentSetting
from server.text import shown

_CANDIDATES = 5  # codes tried for the output location before giving up


@dataclass(frozen=True)
class SetFulfillmentSteps(Command):
    operation = "fulfillment.set_steps"
    warehouse: str
    steps: int


@dataclass(frozen=True)
class Steps:
    """A warehouse's fulfillment: its steps and its output location (None in one step, before first use)."""

    warehouse_id: int
    steps: int
    output_location_id: int | None


async def require_warehouse(conn: BaseDBAsyncClient, code: object, field: object = "warehouse") -> Warehouse:
    key = WAREHOUSE_CODE.key(code)
    found = await Warehouse.get_or_none(code=key, using_db=conn) if key else None
    if found is None:
        raise NotFound(f"There is no warehouse {shown(str(code))}.", field=field)  # type: ignore[arg-type]
    return found


async def set_steps(
    warehouse_code: str, steps: object, *, actor_id: int | None, idempotency_key: str | None = None
) -> FulfillmentSetting:
    """Set how many steps the warehouse ships in (1, 2 or 3); its output location is made when first needed."""
    if not isinstance(steps, int) or isinstance(steps, bool) or not ONE_STEP <= steps <= THREE_STEPS:
        raise Invalid("A warehouse ships in 1, 2 or 3 steps.", field="steps")
    warehouse = await require_warehouse(connection(), warehouse_code)

    async def run(write: Write) -> FulfillmentSetting:
        setting = await _locked_setting(write.conn, warehouse)
        if steps != ONE_STEP and setting.output_location_id is None:  # type: ignore[attr-defined]
            setting.output_location_id = await _make_output_location(write.conn, warehouse)  # type: ignore[attr-defined]
        setting.steps = steps
        await setting.save(using_db=write.conn, update_fields=["steps", "output_location_id"])
        return setting

    effect = row_effect(run, FulfillmentSetting, "fulfillment_setting", related=("warehouse", "output_location"))
    done = await execute(SetFulfillmentSteps(warehouse.code, steps), effect, actor_id=actor_id,
                         idempotency_key=idempotency_key)  # fmt: skip
    await done.result.fetch_related("warehouse", "output_location")
    return done.result


async def _locked_setting(conn: BaseDBAsyncClient, warehouse: Warehouse) -> FulfillmentSetting:
    await sql.execute(
        conn, "INSERT INTO sales_fulfillment_setting (warehouse_id, steps) VALUES ($1, $2) ON CONFLICT (warehouse_id)"
        " DO NOTHING", warehouse.id, ONE_STEP,
    )  # fmt: skip
    return await FulfillmentSetting.select_for_update().using_db(conn).get(warehouse_id=warehouse.id)


async def _make_output_location(conn: BaseDBAsyncClient, warehouse: Warehouse) -> int:
    root = await Location.get(code=warehouse.code, using_db=conn)
    for attempt in range(_CANDIDATES):
        code = f"{warehouse.code}-OUTPUT" + (f"-{attempt + 1}" if attempt else "")
        if await Location.filter(code=code).using_db(conn).exists():
            continue
        try:
            await claim(conn, code, CodeOwner.LOCATION, field="warehouse")
        except DomainError:
            continue
        location = await Location.create(
            code=code, name=f"Output of {warehouse.name}"[:255], kind=LocationKind.INTERNAL, warehouse=warehouse,
            parent=root, sellable=False, usage=LocationUsage.OUTPUT, using_db=conn,
        )  # fmt: skip
        location.path = f"{root.path}{location.id}/"
        await location.save(update_fields=["path"], using_db=conn)
        return location.id
    raise Invalid(f"No code is free for the output location of {warehouse.code}.", field="warehouse")


async def steps_within(conn: BaseDBAsyncClient, warehouse_id: int) -> Steps:
    """The warehouse's steps as the caller's transaction reads them (one step when never set)."""
    row = await FulfillmentSetting.get_or_none(warehouse_id=warehouse_id, using_db=conn)
    if row is None:
        return Steps(warehouse_id, ONE_STEP, None)
    return Steps(warehouse_id, row.steps, row.output_location_id)  # type: ignore[attr-defined]


async def setting_of(warehouse_code: str) -> tuple[Warehouse, Steps]:
    conn = connection()
    warehouse = await require_warehouse(conn, warehouse_code)
    return warehouse, await steps_within(conn, warehouse.id)
