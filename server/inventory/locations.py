"""Warehouses, their location trees, and the virtual locations every ledger needs."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server import sql
from server.codes import CodeOwner, claim
from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.inventory.models import (
    LOCATION_CODE,
    LOCATION_NAME,
    WAREHOUSE_CODE,
    WAREHOUSE_NAME,
    Location,
    LocationKind,
    Warehouse,
)
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
        # Each virtual location is a tree of its own: "/<id>/", so a subtree match finds it alone.
        await sql.execute(
            conn, "UPDATE location SET path = '/' || CAST(id AS VARCHAR(20)) || '/' WHERE warehouse_id IS NULL"
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
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Location:
    """A zone, aisle or bin: a real location that holds stock, placed in a warehouse's tree."""
    code = _clean_code(LOCATION_CODE, code, "code")
    name = LOCATION_NAME.clean(name, "name")
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
        location = await Location.create(
            code=code, name=name, kind=LocationKind.INTERNAL, warehouse=warehouse, parent=parent, using_db=write.conn
        )
        location.path = f"{parent.path}{location.id}/"
        await location.save(update_fields=["path"], using_db=write.conn)
        return location

    command = CreateLocation(warehouse_key or storable(warehouse_code), code, name, parent_key)
    effect = row_effect(run, Location, "location")
    try:
        done = await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)
    except IntegrityError:
        raise AlreadyExists(f"The location code {code} is taken.", field="code") from None
    return done.result


def find_warehouses() -> QuerySet[Warehouse]:
    return Warehouse.all()


async def warehouses_by_ids(ids: list[int]) -> list[Warehouse]:
    return await Warehouse.filter(id__in=ids)


async def locations_by_ids(ids: list[int]) -> list[Location]:
    return await Location.filter(id__in=ids)
