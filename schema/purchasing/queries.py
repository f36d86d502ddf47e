from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.documents.types import Document, DocumentConnection
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
from server.purchasing.reads import find_orders


@strawberry.input
class PurchaseOrderFilter:
    number: str | None = strawberry.field(default=None, description="Part of the number (a scanned one, say).")
    state: str | None = None
    supplier: str | None = strawberry.field(default=None, description="The code of the supplier.")
    sku: str | None = strawberry.field(default=None, description="Orders with a line of this product.")
    warehouse: str | None = strawberry.field(default=None, description="The code of the warehouse.")
    expected_from: datetime.date | None = None
    expected_to: datetime.date | None = None
    open: bool = strawberry.field(
        default=False, description="Only orders still to be received: confirmed, sent or partially received."
    )
    late: bool = strawberry.field(default=False, description="Only open orders whose expected day has passed.")


@strawberry.type
class PurchasingQuery:
    @strawberry.field(
        permission_classes=[require(Permission.PURCHASING_VIEW)],
        description="Purchase orders matching the filter, oldest first; each one's `purchaseOrder` has its details.",
    )
    async def purchase_orders(
        self, info: Info, filter: PurchaseOrderFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> DocumentConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        f = filter or PurchaseOrderFilter()
        query = find_orders(state=f.state, supplier=f.supplier, sku=f.sku, warehouse=f.warehouse,
                            expected_from=f.expected_from, expected_to=f.expected_to, late=f.late,
                            open_only=f.open, number=f.number)  # fmt: skip
        return await paginate_queryset(
            DocumentConnection, query.select_related("store", "party", "approved_by"), window,
            Document.from_model,
        )  # fmt: skip
