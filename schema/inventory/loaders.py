from __future__ import annotations

from decimal import Decimal
from functools import cached_property, partial

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.inventory import models
from server.inventory.locations import locations_by_ids
from server.inventory.lots import lots_by_ids
from server.inventory.moves import Move, load_moves
from server.inventory.stock import StockLevel, levels_by_product, on_hand_by_product


class InventoryLoaders:
    def __init__(self) -> None:
        self._stock: dict[int, DataLoader[int, list[StockLevel]]] = {}

    @cached_property
    def locations(self) -> DataLoader[int, models.Location | None]:
        return by_id(locations_by_ids)

    @cached_property
    def lots(self) -> DataLoader[int, models.Lot | None]:
        return by_id(lots_by_ids)

    @cached_property
    def moves(self) -> DataLoader[int, Move | None]:
        return by_id(load_moves)

    @cached_property
    def on_hand(self) -> DataLoader[int, Decimal]:
        return grouped(on_hand_by_product, Decimal(0))

    def stock(self, per_product: int) -> DataLoader[int, list[StockLevel]]:
        """The first ``per_product`` stock levels of products: one loader per page size asked for."""
        if per_product not in self._stock:
            self._stock[per_product] = grouped(partial(levels_by_product, per_product=per_product), [])
        return self._stock[per_product]
