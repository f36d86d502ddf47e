from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.sales import orders
from server.sales.models import SalesOrder


class SalesLoaders:
    @cached_property
    def orders(self) -> DataLoader[int, SalesOrder | None]:
        return by_id(orders.orders_by_ids)

    @cached_property
    def progress(self) -> DataLoader[int, list[orders.LineProgress]]:
        return grouped(orders.order_progress, [])

    @cached_property
    def groups(self) -> DataLoader[int, list[orders.GroupLine]]:
        return grouped(orders.groups_of, [])
