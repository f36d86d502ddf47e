"""Warehouses, their location trees, and the virtual locations every ledger needs."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import audit, sql
from server.errors import AlreadyExists, Invalid, NotFound
from server.inventory.models import Location, LocationKind, Warehouse

VIRTUAL_LOCATIONS: dict[LocationKind, tuple[str, str]] = {
    LocationKind.SUPPLIER: ("VIRTUAL/SUPPLIER", "Suppliers"),
    LocationKind.CUSTOMER: ("VIRTUAL/CUSTOMER", "Customers"),
    LocationKind.INVENTORY_LOSS: ("VIRTUAL/INVENTORY-LOSS", "Inventory loss and gain"),
    LocationKind.SCRAP: ("VIRTUAL/SCRAP", "Scrap"),
    LocationKind.ASSEMBLY: ("VIRTUAL/ASSEMBLY", "Assembly"),
    LocationKind.TRANSIT: ("VIRTUAL/TRANSIT", "In transit"),
}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


def _clean_code(code: str, field: str) -> str:
    code = code.strip()
    if not _CODE.match(code) or code.upper().startswith("VIRTUAL/"):
        raise Invalid(
            "A code has 1 to 64 letters, digits, '.', '_', '/' or '-', starts with a letter or digit,"
            " and does not start with VIRTUAL/.",
            field=field,
        )
    return code


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 255:
        raise Invalid("A name has 1 to 255 characters.", field="name")
    return name


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


async def create_warehouse(code: str, name: str, *, actor_id: int | None) -> Warehouse:
    """A warehouse and its root location (same code), under which its zones and bins hang."""
    code = _clean_code(code, "code")
    name = _clean_name(name)
    try:
        async with in_transaction() as conn:
            if await Location.filter(code=code).using_db(conn).exists():
                raise AlreadyExists(f"The code {code} is taken by a location.", field="code")
            warehouse = await Warehouse.create(code=code, name=name, using_db=conn)
            root = await Location.create(
                code=code, name=name, kind=LocationKind.VIEW, warehouse=warehouse, using_db=conn
            )
            root.path = f"/{root.id}/"
            await root.save(update_fields=["path"], using_db=conn)
            await audit.record(
                conn,
                actor_id=actor_id,
                action="warehouse.create",
                object_type="warehouse",
                object_id=warehouse.id,
                data={"code": code, "name": name},
            )
    except IntegrityError:
        raise AlreadyExists(f"The code {code} is taken.", field="code") from None
    return warehouse


async def create_location(
    warehouse_code: str, code: str, name: str, *, parent_code: str | None = None, actor_id: int | None
) -> Location:
    """A zone, aisle or bin: a real location that holds stock, placed in a warehouse's tree."""
    code = _clean_code(code, "code")
    name = _clean_name(name)
    warehouse = await Warehouse.get_or_none(code=warehouse_code.strip())
    if warehouse is None:
        raise NotFound(f"There is no warehouse {warehouse_code!r}.", field="warehouseCode")
    parent = await Location.get_or_none(code=(parent_code or warehouse.code).strip())
    if parent is None:
        raise NotFound(f"There is no location {parent_code!r}.", field="parentCode")
    if parent.warehouse_id != warehouse.id:  # type: ignore[attr-defined]
        raise Invalid(f"The location {parent.code} is not in warehouse {warehouse.code}.", field="parentCode")
    try:
        async with in_transaction() as conn:
            location = await Location.create(
                code=code, name=name, kind=LocationKind.INTERNAL, warehouse=warehouse, parent=parent, using_db=conn
            )
            location.path = f"{parent.path}{location.id}/"
            await location.save(update_fields=["path"], using_db=conn)
            await audit.record(
                conn,
                actor_id=actor_id,
                action="location.create",
                object_type="location",
                object_id=location.id,
                data={"code": code, "warehouse": warehouse.code, "parent": parent.code},
            )
    except IntegrityError:
        raise AlreadyExists(f"The location code {code} is taken.", field="code") from None
    return location
