from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.documents.types import Document
from schema.relay import page_window
from schema.scalars import Decimal
from server.purchasing.models import PurchaseOrder as OrderRow
from server.purchasing.orders import OrderLineProgress

if TYPE_CHECKING:
    from schema.purchasing.bills import SupplierBill


@strawberry.type(description="How far a purchase order line has come, in the product's base unit.")
class PurchaseOrderLine:
    position: int = strawberry.field(description="The `position` of the order's document line.")
    ordered: Decimal
    received: Decimal = strawberry.field(description="Every receipt's, before returns.")
    returned: Decimal = strawberry.field(description="Sent back to the supplier (refunded or to be replaced).")
    cancelled: Decimal = strawberry.field(description="Closed short: will not come.")
    billed: Decimal
    due: Decimal = strawberry.field(
        description="Still to come: ordered - cancelled - (received - what was returned to be replaced)."
    )

    @classmethod
    def of(cls, line: OrderLineProgress) -> PurchaseOrderLine:
        return cls(position=line.position, ordered=line.ordered, received=line.received, returned=line.returned,  # type: ignore[arg-type]
                   cancelled=line.cancelled, billed=line.billed, due=line.due)  # type: ignore[arg-type]  # fmt: skip


@strawberry.type(description="What only a purchase order has, beside its document.")
class PurchaseOrderDetails:
    id: strawberry.Private[int]
    warehouse: str = strawberry.field(description="The code of the warehouse the goods go to.")
    receive_into: str | None = strawberry.field(
        description="The location receipts go to when neither the scan nor the line names one."
    )
    expected_on: datetime.date
    supplier_reference: str
    revision: int = strawberry.field(description="Raised by each amendment of the confirmed order.")
    sent_revision: int | None = strawberry.field(description="The revision the supplier last got; null: never sent.")

    @classmethod
    def of(cls, row: OrderRow) -> PurchaseOrderDetails:
        return cls(id=row.id, warehouse=row.warehouse.code, receive_into=row.receive_into.code if row.receive_into
                   else None, expected_on=row.expected_on, supplier_reference=row.supplier_reference,
                   revision=row.revision, sent_revision=row.sent_revision)  # fmt: skip

    @strawberry.field(
        description="Its lines with what each has come to, by position: the first `first` (null: the server's page"
        " size) after the line `afterPosition`."
    )
    async def lines(self, info: Info, first: int | None = 100, after_position: int | None = None) -> list[
        PurchaseOrderLine
    ]:  # fmt: skip
        size = page_window(info, first, None).limit
        rows = await info.context.loaders.purchasing.progress.load(self.id)
        return [PurchaseOrderLine.of(line) for line in rows if line.position > (after_position or 0)][:size]

    @strawberry.field(description="The first `first` goods receipts that filled its lines, oldest first.")
    async def receipts(self, info: Info, first: int | None = 100) -> list[Document]:
        size = page_window(info, first, None).limit
        ids = (await info.context.loaders.purchasing.receipts.load(self.id))[:size]
        rows = await info.context.loaders.documents.documents.load_many(ids)
        return [Document.from_model(row) for row in rows if row]

    @strawberry.field(description="The first `first` supplier bills of its lines, oldest first.")
    async def bills(
        self, info: Info, first: int | None = 20
    ) -> list[Annotated[SupplierBill, strawberry.lazy("schema.purchasing.bills")]]:
        from schema.purchasing.bills import SupplierBill
        from server.purchasing.bills import bills_by_ids

        size = page_window(info, first, None).limit
        ids = (await info.context.loaders.purchasing.bills.load(self.id))[:size]
        return [SupplierBill.of(view) for view in await bills_by_ids(ids)]
