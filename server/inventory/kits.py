"""Bills of materials: which components, and how many base units of each, make one unit of a kit.

A kit's list is set whole (``set_kit_components`` replaces it) and read with ``kit_components``. A kit
never contains itself, directly or through a component that is a kit: the check walks the lists of the
components as they are stored, under a lock every change of a list takes, so two changes at once cannot
each make half a cycle. Assembling and taking kits apart is ``server.inventory.assembly``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import kit_shares, quantities
from server.text import shown, storable

MAX_KIT_COMPONENTS = 50  # a kit's list is shown whole, never paged; more is a bill for a production order
_LOCK = "kit.components"  # held by every change of a list, so the cycle check sees the others' changes


@dataclass(frozen=True)
class ComponentSpec:
    """A component as a caller gives it; checked by ``set_kit_components``."""

    sku: str
    quantity: object  # base units in one kit: a string of digits, or a Decimal


@dataclass(frozen=True)
class Component:
    """A component as checked: its SKU in canonical form, base units per kit at the ledger's scale."""

    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class Kit:
    sku: str
    components: tuple[Component, ...]  # in their order: the last takes a split's rounding remainder


@dataclass(frozen=True)
class SetKitComponents(Command):
    operation = "kit.set_components"
    sku: str
    components: tuple[Component, ...]


def checked_components(specs: Sequence[ComponentSpec], *, most: int, what: str) -> tuple[Component, ...]:
    """A list of components (of a kit, a bundle: ``what``), checked before the database sees it: at most ``most``,
    each SKU a code and given once, each quantity a quantity; every problem at once."""
    if len(specs) > most:
        raise Invalid(f"A {what} has at most {most} components.", field="components")
    checked: list[Component] = []
    problems: list[DomainError] = []
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        sku = SKU.key(spec.sku) if isinstance(spec.sku, str) else None
        if sku is None:
            problems.append(NotFound(f"There is no product with SKU {shown(str(spec.sku))}.",
                                     field=("components", index, "sku")))  # fmt: skip
        elif sku in seen:
            problems.append(Invalid(f"The component {sku} is given twice: give its whole quantity once.",
                                    field=("components", index, "sku")))  # fmt: skip
        try:
            quantity = quantities.parse(spec.quantity, field=("components", index, "quantity"))
        except DomainError as error:
            problems.append(error)
            continue
        if sku is not None and sku not in seen:
            seen.add(sku)
            checked.append(Component(sku, quantity))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked)


async def set_kit_components(
    sku: str, specs: Sequence[ComponentSpec], *, actor_id: int | None, idempotency_key: str | None = None
) -> Kit:
    """Replace the components of the kit ``sku`` with ``specs``, in that order (none: it is no kit any more)."""
    components = checked_components(specs, most=MAX_KIT_COMPONENTS, what="kit")
    kit_sku = SKU.key(sku)
    if kit_sku is None:
        raise NotFound(f"There is no product with SKU {shown(str(sku))}.", field="sku")
    command = SetKitComponents(kit_sku, components)

    async def run(write: Write) -> Kit:
        conn = write.conn
        await sql.lock_name(conn, _LOCK)
        # FOR UPDATE, as a change of a product's settings: assemblies in flight (FOR SHARE) keep the list they read.
        kit = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1 FOR UPDATE", kit_sku)
        if kit is None:
            raise NotFound(f"There is no product with SKU {kit_sku!r}.", field="sku")
        kit_id = int(kit["id"])
        # Kits on the shelf were built of the list they have: a new one would take them apart into parts they
        # never held. Assemblies hold the kit FOR SHARE, so none slips in between this check and the change.
        held = await sql.fetch_one(
            conn, "SELECT 1 AS yes FROM quant WHERE product_id = $1 AND CAST(on_hand AS NUMERIC) > 0 LIMIT 1", kit_id
        )
        if held is not None:
            raise Invalid(
                f"Kits of {kit_sku} are in stock, built of the components they have: take them apart (or sell"
                " them) before changing the list.",
                field="components",
            )
        ids = await component_ids(conn, components)
        await _refuse_cycles(conn, kit_id, kit_sku, components, ids)
        await sql.execute(conn, "DELETE FROM kit_component WHERE kit_id = $1", kit_id)
        await kit_shares.forget(conn, kit_id)
        for position, component in enumerate(components, start=1):
            await sql.execute(
                conn, "INSERT INTO kit_component (kit_id, component_id, quantity, position) VALUES ($1, $2, $3, $4)",
                kit_id, ids[component.sku], component.quantity, position,
            )  # fmt: skip
        return Kit(kit_sku, components)

    async def recall(stored: dict[str, Any]) -> Kit:  # the first answer, not the list someone set since
        return Kit(stored["sku"], tuple(Component(c["sku"], Decimal(c["quantity"])) for c in stored["components"]))

    def remember(kit: Kit) -> dict[str, Any]:
        return {"sku": kit.sku, "components": [{"sku": c.sku, "quantity": str(c.quantity)} for c in kit.components]}

    effect = Effect(run, lambda kit: Audited("product", kit.sku), remember, recall)
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def component_ids(conn: BaseDBAsyncClient, components: tuple[Component, ...]) -> dict[str, int]:
    """The components' product ids by SKU; every unknown SKU at once."""
    if not components:
        return {}
    skus = [component.sku for component in components]
    rows = await sql.fetch(conn, f"SELECT id, sku FROM product WHERE sku IN ({sql.placeholders(1, len(skus))})", *skus)
    ids = {row["sku"]: int(row["id"]) for row in rows}
    missing: list[DomainError] = [
        NotFound(f"There is no product with SKU {sku!r}.", field=("components", index, "sku"))
        for index, sku in enumerate(skus) if sku not in ids
    ]  # fmt: skip
    if missing:
        raise ManyErrors(missing)
    return ids


async def _refuse_cycles(
    conn: BaseDBAsyncClient, kit_id: int, kit_sku: str, components: tuple[Component, ...], ids: dict[str, int]
) -> None:
    """Refuse each component that is the kit, or holds it somewhere down its own lists."""
    if not components:
        return
    given = [ids[component.sku] for component in components]
    # UNION, not UNION ALL: a cycle stored by a bug still ends the walk, each (origin, product) once.
    rows = await sql.fetch(
        conn,
        "WITH RECURSIVE inside(origin, product_id) AS ("
        f" SELECT kit_id, component_id FROM kit_component WHERE kit_id IN ({sql.placeholders(1, len(given))})"
        " UNION SELECT inside.origin, kit_component.component_id FROM inside"
        " JOIN kit_component ON kit_component.kit_id = inside.product_id"
        f") SELECT DISTINCT origin FROM inside WHERE product_id = ${len(given) + 1}",
        *given, kit_id,
    )  # fmt: skip
    holding = {int(row["origin"]) for row in rows}
    problems: list[DomainError] = []
    for index, component in enumerate(components):
        if ids[component.sku] == kit_id:
            problems.append(Invalid(f"A kit cannot contain itself: {kit_sku} is the kit.",
                                    field=("components", index, "sku")))  # fmt: skip
        elif ids[component.sku] in holding:
            problems.append(Invalid(f"{component.sku} contains {kit_sku} (through its own components): a kit"
                                    " cannot contain itself.", field=("components", index, "sku")))  # fmt: skip
    if problems:
        raise ManyErrors(problems)


@dataclass(frozen=True)
class Line:
    """A component as a posting needs it: its product id and base units per kit."""

    product_id: int
    quantity: Decimal


async def lines_of(conn: BaseDBAsyncClient, kit_id: int) -> list[Line]:
    """The kit's components in their order, read in the caller's transaction (which holds the kit FOR SHARE,
    so the list cannot change under it)."""
    rows = await sql.fetch(
        conn, "SELECT component_id, quantity FROM kit_component WHERE kit_id = $1 ORDER BY position", kit_id
    )
    return [Line(int(row["component_id"]), quantities.from_db(row["quantity"])) for row in rows]


async def kit_components(sku: str) -> Kit:
    """The components of ``sku`` in their order (none: it is no kit)."""
    key = SKU.key(sku)
    conn = connection()
    kit = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", key) if key else None
    if kit is None:
        raise NotFound(f"There is no product with SKU {shown(storable(str(sku)))}.", field="sku")
    rows = await sql.fetch(
        conn,
        "SELECT product.sku, kit_component.quantity FROM kit_component"
        " JOIN product ON product.id = kit_component.component_id WHERE kit_component.kit_id = $1"
        " ORDER BY kit_component.position",
        int(kit["id"]),
    )
    return Kit(str(key), tuple(Component(row["sku"], quantities.from_db(row["quantity"])) for row in rows))
