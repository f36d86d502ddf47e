"""DataLoaders: one per key shape, made per request, results aligned to keys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from server.catalog.models import Barcode, Product
from server.inventory.models import Location, Lot
from server.inventory.moves import Move, load_moves
from server.inventory.stock import StockLevel, levels_by_product, on_hand_by_product

K = TypeVar("K")


def by_id(fetch: Callable[[list[int]], Awaitable[Iterable[Any]]]) -> Callable[[], DataLoader[int, Any]]:
    async def load(ids: list[int]) -> list[Any]:
        rows = {row.id: row for row in await fetch(ids)}
        return [rows.get(i) for i in ids]

    return lambda: DataLoader(load_fn=load)


async def _products(ids: list[int]) -> list[Product]:
    return await Product.filter(id__in=ids).select_related("category", "brand")


async def _locations(ids: list[int]) -> list[Location]:
    return await Location.filter(id__in=ids)


async def _lots(ids: list[int]) -> list[Lot]:
    return await Lot.filter(id__in=ids)


async def _barcodes(product_ids: list[int]) -> list[list[Barcode]]:
    grouped: dict[int, list[Barcode]] = defaultdict(list)
    for barcode in await Barcode.filter(product_id__in=product_ids).order_by("id"):
        grouped[barcode.product_id].append(barcode)  # type: ignore[attr-defined]
    # The catalog refuses more on writes; rows from before that rule must not break the cost's cap either.
    return [grouped[i] for i in product_ids]


async def _on_hand(product_ids: list[int]) -> list[Decimal]:
    totals = await on_hand_by_product(product_ids)
    return [totals.get(i, Decimal(0)) for i in product_ids]


async def _moves(ids: list[int]) -> list[Move]:
    return await load_moves(ids)


products = by_id(_products)
moves = by_id(_moves)
locations = by_id(_locations)
lots = by_id(_lots)


def barcodes_of_product() -> DataLoader[int, list[Barcode]]:
    return DataLoader(load_fn=_barcodes)


def stock_of_product(per_product: int) -> Callable[[], DataLoader[int, list[StockLevel]]]:
    """A factory of loaders of the first ``per_product`` stock levels of products: one per page size asked for."""

    async def load(product_ids: list[int]) -> list[list[StockLevel]]:
        grouped = await levels_by_product(product_ids, per_product=per_product)
        return [grouped.get(i, []) for i in product_ids]

    return lambda: DataLoader(load_fn=load)


def on_hand_of_product() -> DataLoader[int, Decimal]:
    return DataLoader(load_fn=_on_hand)
