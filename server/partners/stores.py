"""Stores: the merchant's shops or sites, each with its address, currency, warehouses and the
settings its documents follow (its code in their numbers, how their taxes round)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.inventory.models import WAREHOUSE_CODE, Warehouse
from server.partners import checks
from server.partners.checks import Field
from server.partners.models import (
    MAX_WAREHOUSES_PER_STORE,
    STORE_ADDRESS,
    STORE_CODE,
    STORE_NAME,
    Store,
    StoreWarehouse,
    TaxRounding,
)
from server.text import shown, storable


@dataclass
class StoreDetails:
    """The editable facts of a store; ``None`` leaves a fact as it is on update. ``warehouses``
    (their codes) replaces the store's whole list."""

    name: str | None = None
    address: str | None = None
    currency: str | None = None
    tax_rounding: TaxRounding | str | None = None
    warehouses: list[str] | None = None


@dataclass(frozen=True)
class CreateStore(Command):
    operation = "store.create"
    code: str
    facts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateStore(Command):
    operation = "store.update"
    code: str
    facts: dict[str, object] = field(default_factory=dict)


def _clean(details: StoreDetails) -> dict[str, object]:
    given: dict[str, object] = {}
    if details.name is not None:
        given["name"] = STORE_NAME.clean(details.name, "name")
    if details.address is not None:
        given["address"] = STORE_ADDRESS.optional(checks.lines(details.address), "address") or ""
    if details.currency is not None:
        given["currency"] = checks.currency(details.currency, "currency")
    if details.tax_rounding is not None:
        given["tax_rounding"] = checks.choice(TaxRounding, details.tax_rounding, "taxRounding").value
    if details.warehouses is not None:
        codes = checks.bounded_list(
            details.warehouses, "warehouses", most=MAX_WAREHOUSES_PER_STORE, label="warehouses"
        )  # fmt: skip
        cleaned = [checks.text(WAREHOUSE_CODE, code, ("warehouses", i)) for i, code in enumerate(codes)]
        for i, code in enumerate(cleaned):
            if code in cleaned[:i]:
                raise Invalid(f"The warehouse {code} is given twice.", field=("warehouses", i))
        given["warehouses"] = cleaned
    return given


async def _apply(conn: BaseDBAsyncClient, store: Store, given: dict[str, object]) -> None:
    for name, value in given.items():
        if name != "warehouses":
            setattr(store, name, value)
    await store.save(using_db=conn)
    if "warehouses" in given:
        codes: list[str] = given["warehouses"]  # type: ignore[assignment]
        found = {w.code: w for w in await Warehouse.filter(code__in=codes).using_db(conn)} if codes else {}
        for i, code in enumerate(codes):
            if code not in found:
                raise NotFound(f"There is no warehouse {code}.", field=("warehouses", i))
        await StoreWarehouse.filter(store_id=store.id).using_db(conn).delete()
        links = [StoreWarehouse(store_id=store.id, warehouse_id=found[code].id, position=i)
                 for i, code in enumerate(codes)]  # fmt: skip
        if links:
            await StoreWarehouse.bulk_create(links, using_db=conn)


async def _store_write(
    command: Command, run: Callable[[Write], Awaitable[Store]], actor_id: int | None, key: str | None
) -> Store:
    return (await execute(command, row_effect(run, Store, "store"), actor_id=actor_id, idempotency_key=key)).result


async def create_store(
    code: str, details: StoreDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> Store:
    """A shop or site; its code goes into the numbers of its documents and cannot change."""
    code = STORE_CODE.clean(code, "code")
    if details.name is None:
        raise Invalid("A store needs a name.", field="name")
    if details.currency is None:
        raise Invalid("A store needs a currency.", field="currency")
    given = _clean(details)

    async def run(write: Write) -> Store:
        if await Store.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The store {code} exists.", field="code")
        store = Store(code=code)
        await _apply(write.conn, store, given)
        return store

    try:
        return await _store_write(CreateStore(code, given), run, actor_id, idempotency_key)
    except IntegrityError:
        raise AlreadyExists(f"The store {code} exists.", field="code") from None


async def update_store(
    code: str, details: StoreDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> Store:
    given = _clean(details)

    async def run(write: Write) -> Store:
        key = STORE_CODE.key(code)
        store = await Store.select_for_update().using_db(write.conn).get_or_none(code=key) if key else None
        if store is None:
            raise NotFound(f"There is no store {shown(code)}.", field="code")
        await _apply(write.conn, store, given)
        return store

    command = UpdateStore(STORE_CODE.key(code) or storable(code[:100]), given)
    return await _store_write(command, run, actor_id, idempotency_key)


def find_stores() -> QuerySet[Store]:
    return Store.all()


async def store_by_code(code: str) -> Store | None:
    """The store with this code, or None; a string no code can be finds none."""
    key = STORE_CODE.key(code)
    return await Store.get_or_none(code=key) if key else None


async def require_store(conn: BaseDBAsyncClient, code: str, *, field: Field) -> Store:
    """The store a write names, on the write's transaction; NotFound naming ``field`` when there is none."""
    key = STORE_CODE.key(code)
    store = await Store.filter(code=key).using_db(conn).first() if key else None
    if store is None:
        raise NotFound(f"There is no store {shown(code)}.", field=field)
    return store


async def stores_by_ids(ids: list[int]) -> list[Store]:
    return await Store.filter(id__in=ids)


async def warehouses_by_store(store_ids: list[int]) -> dict[int, list[Warehouse]]:
    """The warehouses of each store, by code (for dataloaders)."""
    links = await StoreWarehouse.filter(store_id__in=store_ids).select_related("warehouse").order_by("warehouse__code")
    grouped: dict[int, list[Warehouse]] = defaultdict(list)
    for link in links:
        grouped[link.store_id].append(link.warehouse)  # type: ignore[attr-defined]
    return grouped
