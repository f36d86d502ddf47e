"""Warehouses, their location trees, and the virtual locations every ledger needs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum, StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server import sql
from server.codes import CodeOwner, claim
from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.inventory import zones
from server.inventory.capacity import WEIGHT
from server.inventory.models import (
    LOCATION_CODE,
    LOCATION_NAME,
    WAREHOUSE_CODE,
    WAREHOUSE_NAME,
    Location,
    LocationKind,
    LocationUsage,
    Mixing,
    Warehouse,
)
from server.inventory.replan import move_off_ineligible
from server.numbers import QUANTITY
from server.text import Code, shown, storable

VIRTUAL_LOCATIONS: dict[LocationKind, tuple[str, str]] = {
    LocationKind.SUPPLIER: ("VIRTUAL/SUPPLIER", "Suppliers"),
    LocationKind.CUSTOMER: ("VIRTUAL/CUSTOMER", "Customers"),
    LocationKind.INVENTORY_LOSS: ("VIRTUAL/INVENTORY-LOSS", "Inventory loss and gain"),
    LocationKind.SCRAP: ("VIRTUAL/SCRAP", "Scrap"),
    LocationKind.ASSEMBLY: ("VIRTUAL/ASSEMBLY", "Assembly"),
    LocationKind.TRANSIT: ("VIRTUAL/TRANSIT", "In transit"),
}
# warehouse > zone > aisle > rack > shelf > bin, with room to spare; the id path stays far inside its column.
MAX_DEPTH = 12


def _clean_code(spec: Code, code: str, field: str) -> str:
    code = spec.clean(code, field)
    if code.startswith("VIRTUAL/"):
        raise Invalid("Codes starting with VIRTUAL/ are kept for the ledger's virtual locations.", field=field)
    return code


def _depth(path: str) -> int:
    return path.count("/") - 1


def find_locations(*, warehouse_code: str | None = None) -> QuerySet[Location]:
    """Every location, or those of one warehouse; a code no warehouse can have finds none."""
    query = Location.all()
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        query = query.filter(warehouse__code=key) if key else query.filter(id__in=[])
    return query


async def ensure_virtual_locations() -> None:
    async with in_transaction() as conn:
        for kind, (code, name) in VIRTUAL_LOCATIONS.items():
            await sql.execute(
                conn,
                "INSERT INTO location (code, name, kind, path, created_at) VALUES ($1, $2, $3, '/', CURRENT_TIMESTAMP)"
                " ON CONFLICT (code) DO NOTHING",
                code,
                name,
                kind.value,
            )
        # Each virtual location is a tree of its own: "/<id>/", so a subtree match finds it alone. Nothing
        # sells from one, not even the transit location, which holds the stock of transfers on the way.
        await sql.execute(
            conn,
            "UPDATE location SET path = '/' || CAST(id AS VARCHAR(20)) || '/', sellable = FALSE"
            " WHERE warehouse_id IS NULL",
        )


@dataclass(frozen=True)
class CreateWarehouse(Command):
    operation = "warehouse.create"
    code: str
    name: str


@dataclass(frozen=True)
class CreateLocation(Command):
    operation = "location.create"
    warehouse: str
    code: str
    name: str
    parent: str | None
    settings: dict[str, object] = field(default_factory=dict)  # the checked settings given (usage, limits)

    def request(self) -> dict[str, Any]:
        request = super().request()
        if not self.settings:  # as a request was remembered before a location could be made with settings
            del request["settings"]
        return request


async def create_warehouse(
    code: str, name: str, *, actor_id: int | None, idempotency_key: str | None = None
) -> Warehouse:
    """A warehouse and its root location (same code), under which its zones and bins hang."""
    code = _clean_code(WAREHOUSE_CODE, code, "code")
    name = WAREHOUSE_NAME.clean(name, "name")

    async def run(write: Write) -> Warehouse:
        await claim(write.conn, code, CodeOwner.LOCATION, field="code")
        if await Location.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The code {code} is taken by a location.", field="code")
        warehouse = await Warehouse.create(code=code, name=name, using_db=write.conn)
        root = await Location.create(
            code=code, name=name, kind=LocationKind.VIEW, warehouse=warehouse, using_db=write.conn
        )
        root.path = f"/{root.id}/"
        await root.save(update_fields=["path"], using_db=write.conn)
        return warehouse

    effect = row_effect(run, Warehouse, "warehouse")
    try:
        done = await execute(CreateWarehouse(code, name), effect, actor_id=actor_id, idempotency_key=idempotency_key)
    except IntegrityError:
        raise AlreadyExists(f"The code {code} is taken.", field="code") from None
    return done.result


async def create_location(
    warehouse_code: str,
    code: str,
    name: str,
    *,
    parent_code: str | None = None,
    settings: LocationSettings | None = None,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Location:
    """A zone, aisle or bin: a real location that holds stock, placed in a warehouse's tree.

    ``settings`` (its name aside, which is ``name``) are checked as ``update_location`` checks them; a
    usage or sellable flag not given is the parent's, limits not given are none."""
    code = _clean_code(LOCATION_CODE, code, "code")
    name = LOCATION_NAME.clean(name, "name")
    checked = _checked_settings(replace(settings, name=KEEP)) if settings is not None else {}
    warehouse_key = WAREHOUSE_CODE.key(warehouse_code)
    parent_key = LOCATION_CODE.key(parent_code) if parent_code is not None else warehouse_key

    async def run(write: Write) -> Location:
        warehouse = await Warehouse.get_or_none(code=warehouse_key, using_db=write.conn) if warehouse_key else None
        if warehouse is None:
            raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
        parent = await Location.get_or_none(code=parent_key, using_db=write.conn) if parent_key else None
        if parent is None:
            raise NotFound(f"There is no location {shown(parent_code or '')}.", field="parentCode")
        if parent.warehouse_id != warehouse.id:  # type: ignore[attr-defined]
            raise Invalid(f"The location {parent.code} is not in warehouse {warehouse.code}.", field="parentCode")
        if _depth(parent.path) >= MAX_DEPTH:
            raise Invalid(f"A location tree is at most {MAX_DEPTH} levels deep.", field="parentCode")
        await claim(write.conn, code, CodeOwner.LOCATION, field="code")
        inherited = {"usage": parent.usage, "sellable": parent.sellable, "limits_above": zones.limits_above_new(parent)}
        location = await Location.create(
            code=code, name=name, kind=LocationKind.INTERNAL, warehouse=warehouse, parent=parent,
            **{**inherited, **checked}, using_db=write.conn,
        )  # fmt: skip
        location.path = f"{parent.path}{location.id}/"
        await location.save(update_fields=["path"], using_db=write.conn)
        return location

    command = CreateLocation(warehouse_key or storable(warehouse_code), code, name, parent_key, checked)
    effect = row_effect(run, Location, "location")
    try:
        done = await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)
    except IntegrityError:
        raise AlreadyExists(f"The location code {code} is taken.", field="code") from None
    return done.result


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # a setting ``update_location`` leaves as it is (None clears a limit)


@dataclass(frozen=True)
class LocationSettings:
    """What ``update_location`` changes: each setting given, or ``KEEP``."""

    name: str | _Keep = KEEP
    usage: str | _Keep = KEEP
    sellable: bool | _Keep = KEEP  # when KEEP and ``usage`` is given, the usage's default (only storage sells)
    max_units: object = KEEP  # base units of all products together, or None: no limit
    max_weight_kg: object = KEEP  # or None: no limit
    mixing: str | _Keep = KEEP


@dataclass(frozen=True)
class UpdateLocation(Command):
    operation = "location.update"
    code: str
    settings: dict[str, object]  # the checked settings given


def _choice(kind: type[StrEnum], value: object, field: str) -> str:
    try:
        return kind(str(value)).value
    except ValueError:
        raise Invalid(f"{shown(str(value))} is not one of {', '.join(k.value for k in kind)}.", field=field) from None


def _checked_settings(given: LocationSettings) -> dict[str, object]:
    checked: dict[str, object] = {}
    if given.name is not KEEP:
        checked["name"] = LOCATION_NAME.clean(given.name, "name")
    if given.usage is not KEEP:
        checked["usage"] = _choice(LocationUsage, given.usage, "usage")
        checked["sellable"] = checked["usage"] == LocationUsage.STORAGE
    if given.sellable is not KEEP:
        checked["sellable"] = bool(given.sellable)
    if given.max_units is not KEEP:
        checked["max_units"] = None if given.max_units is None else QUANTITY.parse(given.max_units, field="maxUnits",
                                                                                   allow_zero=False)  # fmt: skip
    if given.max_weight_kg is not KEEP:
        weight = given.max_weight_kg
        checked["max_weight_kg"] = None if weight is None else WEIGHT.parse(weight, field="maxWeightKg",
                                                                              allow_zero=False)  # fmt: skip
    if given.mixing is not KEEP:
        checked["mixing"] = _choice(Mixing, given.mixing, "mixing")
    return checked


async def update_location(
    code: str, settings: LocationSettings, *, actor_id: int | None, idempotency_key: str | None = None
) -> Location:
    """Rename a location, set what it is for (usage, sellable) and its limits (units, weight, mixing).

    The row is locked FOR UPDATE: postings hold it FOR SHARE while they rely on its flags and limits,
    so the change waits for those in flight and the postings after it see it. Limits apply to what
    comes in from then on: a location already over a new limit keeps its stock and lets it out.
    """
    checked = _checked_settings(settings)
    key = LOCATION_CODE.key(code)

    async def run(write: Write) -> Location:
        location = await Location.select_for_update().using_db(write.conn).get_or_none(code=key) if key else None
        if location is None:
            raise NotFound(f"There is no location {shown(code)}.", field="code")
        if location.warehouse_id is None:  # type: ignore[attr-defined]
            raise Invalid(f"{location.code} is one of the ledger's virtual locations: it has no settings.",
                          field="code")  # fmt: skip
        limits = {"max_units", "max_weight_kg", "mixing"} & checked.keys()
        if location.kind != LocationKind.INTERNAL and limits:
            raise Invalid(f"{location.code} holds no stock itself: limits belong to its zones and bins.",
                          field=sorted(limits)[0])  # fmt: skip
        was_sellable = location.sellable
        for name, value in checked.items():
            setattr(location, name, value)
        if checked:
            await location.save(update_fields=list(checked), using_db=write.conn)
        if limits:  # the bins under it check its limits, or stop checking them
            await zones.refresh_subtree(write.conn, location)
        if was_sellable != location.sellable:
            await _replan_reservations_in(write.conn, location)
        return location

    command = UpdateLocation(key or storable(code), checked)
    done = await execute(command, row_effect(run, Location, "location"), actor_id=actor_id,
                         idempotency_key=idempotency_key)  # fmt: skip
    return done.result


async def _replan_reservations_in(conn: BaseDBAsyncClient, location: Location) -> None:
    """A location's stock stopped or started selling: reservations on stock that no longer sells
    move to stock elsewhere in the warehouse, and stock that now sells serves the waiting ones."""
    rows = await sql.fetch(
        conn,
        "SELECT DISTINCT product_id FROM quant WHERE location_id = $1"
        " AND (CAST(on_hand AS NUMERIC) > 0 OR CAST(reserved AS NUMERIC) > 0) ORDER BY product_id",
        location.id,
    )
    for row in rows:
        await move_off_ineligible(conn, int(row["product_id"]), location.warehouse_id)  # type: ignore[attr-defined]


def find_warehouses() -> QuerySet[Warehouse]:
    return Warehouse.all()


async def warehouses_by_ids(ids: list[int]) -> list[Warehouse]:
    return await Warehouse.filter(id__in=ids)


async def locations_by_ids(ids: list[int]) -> list[Location]:
    return await Location.filter(id__in=ids)
