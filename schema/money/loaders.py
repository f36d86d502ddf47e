from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import grouped
from server.money import service


class MoneyLoaders:
    @cached_property
    def categories(self) -> DataLoader[int, list[str]]:
        """The names of the categories taxed at each tax rate, by the rate's id."""
        return grouped(service.categories_by_tax, [])
