from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.documents.models import Document
from server.sales import orders, payments, quotations
from server.sales.models import SalesOrder
from server.sales.payment_models import SalesPayment
from server.sales.quotation_models import SalesQuotation


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

    @cached_property
    def payments(self) -> DataLoader[int, list[SalesPayment]]:
        return grouped(payments.payments_of, [])

    @cached_property
    def quotations(self) -> DataLoader[int, SalesQuotation | None]:
        return by_id(quotations.quotations_by_ids)

    @cached_property
    def quotation_versions(self) -> DataLoader[int, list[Document]]:
        return grouped(quotations.versions_of, [])
