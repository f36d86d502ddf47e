"""DataLoaders: made per request (per operation on a socket), one per key shape, results aligned
to keys. Each area keeps its own in ``schema/<area>/loaders.py``; ``Loaders`` gathers them, each
area's made only when a resolver first asks for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from schema.catalog.loaders import CatalogLoaders
    from schema.documents.loaders import DocumentsLoaders
    from schema.inventory.loaders import InventoryLoaders
    from schema.money.loaders import MoneyLoaders
    from schema.partners.loaders import PartnersLoaders
    from schema.purchasing.loaders import PurchasingLoaders
    from schema.sales.loaders import SalesLoaders

T = TypeVar("T")


def by_id(fetch: Callable[[list[int]], Awaitable[Iterable[T]]]) -> DataLoader[int, T | None]:
    """A loader of rows by id: ``None`` for an id no row has."""

    async def load(ids: list[int]) -> list[T | None]:
        rows = {row.id: row for row in await fetch(ids)}  # type: ignore[attr-defined]
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load)


def grouped(fetch: Callable[[list[int]], Awaitable[dict[int, Any]]], empty: Any) -> DataLoader[int, Any]:
    """A loader of what each key has (its barcodes, its total): ``empty`` for a key with none."""

    async def load(keys: list[int]) -> list[Any]:
        found = await fetch(keys)
        return [found.get(key, empty) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    @cached_property
    def catalog(self) -> CatalogLoaders:
        from schema.catalog.loaders import CatalogLoaders

        return CatalogLoaders()

    @cached_property
    def documents(self) -> DocumentsLoaders:
        from schema.documents.loaders import DocumentsLoaders

        return DocumentsLoaders()

    @cached_property
    def inventory(self) -> InventoryLoaders:
        from schema.inventory.loaders import InventoryLoaders

        return InventoryLoaders()

    @cached_property
    def money(self) -> MoneyLoaders:
        from schema.money.loaders import MoneyLoaders

        return MoneyLoaders()

    @cached_property
    def purchasing(self) -> PurchasingLoaders:
        from schema.purchasing.loaders import PurchasingLoaders

        return PurchasingLoaders()

    @cached_property
    def sales(self) -> SalesLoaders:
        from schema.sales.loaders import SalesLoaders

        return SalesLoaders()

    @cached_property
    def partners(self) -> PartnersLoaders:
        from schema.partners.loaders import PartnersLoaders

        return PartnersLoaders()
