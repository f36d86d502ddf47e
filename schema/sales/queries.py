from __future__ import annotations

import strawberry

from schema.context import Info
from schema.documents.types import Document, DocumentConnection
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
from server.sales.reads import find_orders


@strawberry.input
class SalesOrderFilter:
    number: str | None = strawberry.field(default=None, description="Part of the number.")
    state: str | None = strawberry.field(default=None, description="draft, confirmed, completed or cancelled.")
    customer: str | None = strawberry.field(default=None, description="The code of the customer.")
    sku: str | None = strawberry.field(default=None, description="Orders with a line of this product.")
    channel: str | None = None
    external_reference: str | None = strawberry.field(default=None, description="Its number on the channel.")
    fulfillment: str | None = None
    payment: str | None = None


@strawberry.type
class SalesQuery:
    @strawberry.field(
        permission_classes=[require(Permission.SALES_VIEW)],
        description="Sales orders matching the filter, oldest first; each one's `salesOrder` has its details.",
    )
    async def sales_orders(
        self, info: Info, filter: SalesOrderFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> DocumentConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        f = filter or SalesOrderFilter()
        query = find_orders(number=f.number, state=f.state, customer=f.customer, sku=f.sku, channel=f.channel,
                            external_reference=f.external_reference, fulfillment=f.fulfillment,
                            payment=f.payment)  # fmt: skip
        return await paginate_queryset(
            DocumentConnection, query.select_related("store", "party", "approved_by"), window, Document.from_model,
        )  # fmt: skip
