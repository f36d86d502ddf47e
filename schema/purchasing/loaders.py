from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.purchasing import orders, reads
from server.purchasing.models import PurchaseOrder


class PurchasingLoaders:
    @cached_property
    def orders(self) -> DataLoader[int, PurchaseOrder | None]:
        return by_id(orders.orders_by_ids)

    @cached_property
    def progress(self) -> DataLoader[int, list[orders.OrderLineProgress]]:
        return grouped(orders.order_progress, [])

    @cached_property
    def receipts(self) -> DataLoader[int, list[int]]:
        return grouped(reads.receipt_ids_of, [])

    @cached_property
    def bills(self) -> DataLoader[int, list[int]]:
        return grouped(reads.bill_ids_of, [])
