from __future__ import annotations

import base64
import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from schema.context import Info
from schema.nodes import Fetchable, parse_node_id
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents import attachments, models
from server.documents.kinds import kind_of
from server.documents.models import Attachment as AttachmentRow
from server.documents.output import pdf_of
from server.documents.service import MAX_DELIVERIES_SHOWN
from server.errors import Invalid
from server.mail.models import OutboxMessage
from server.text import shown

if TYPE_CHECKING:
    from schema.purchasing.types import PurchaseOrderDetails
    from schema.sales.quotations import SalesQuotationDetails
    from schema.sales.types import SalesOrderDetails


def document_id(raw: str, field: str = "id") -> int:
    """The row id in a Document's global id; anything else is INVALID at ``field``."""
    try:
        global_id = relay.GlobalID.from_id(raw)
    except GlobalIDValueError:
        raise Invalid(f"{shown(str(raw))} is not the id of a document.", field=field) from None
    if global_id.type_name != "Document":
        raise Invalid(f"{shown(str(raw))} is not the id of a document.", field=field)
    return parse_node_id(global_id.node_id)


@strawberry.type
class DocumentLine:
    position: int
    sku: str
    product_name: str
    quantity: Decimal = strawberry.field(description="In `unit`.")
    unit: str = strawberry.field(description="A unit of the product's category, or one of its packaging levels.")
    base_quantity: Decimal = strawberry.field(description="In the product's base unit: what the ledger books.")
    price: Decimal = strawberry.field(description="Per `unit`, in the document's currency.")
    discount_percent: Decimal
    tax_code: str | None
    tax_percent: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal
    location: str | None
    to_location: str | None = strawberry.field(description="A transfer's line: the bin the stock goes to.")
    lot: str | None
    expires_on: datetime.date | None
    notes: str

    @classmethod
    def from_model(cls, row: models.DocumentLine) -> DocumentLine:
        return cls(
            position=row.position, sku=row.product.sku, product_name=row.product.name,
            quantity=row.quantity, unit=row.unit, base_quantity=row.base_quantity,  # type: ignore[arg-type]
            price=row.price, discount_percent=row.discount_percent, tax_code=row.tax_code,  # type: ignore[arg-type]
            tax_percent=row.tax_rate, net=row.net, tax=row.tax, gross=row.gross,  # type: ignore[arg-type]
            location=row.location.code if row.location else None, lot=row.lot_code, expires_on=row.expires_on,
            notes=row.notes, to_location=row.to_location.code if row.to_location else None,
        )  # fmt: skip


@strawberry.type(description="A message that sends the document, and how its delivery went.")
class Delivery:
    to: list[str]
    subject: str
    status: str = strawberry.field(description="queued, sending, sent or failed")
    attempts: int
    last_error: str | None
    created_at: datetime.datetime
    sent_at: datetime.datetime | None

    @classmethod
    def from_model(cls, row: OutboxMessage) -> Delivery:
        return cls(to=list(row.to), subject=row.subject, status=str(row.status), attempts=row.attempts,
                   last_error=row.last_error, created_at=row.created_at, sent_at=row.sent_at)  # fmt: skip


@strawberry.type(description="A file kept with a document.")
class DocumentAttachment:
    id: strawberry.ID
    name: str
    content_type: str
    size: int = strawberry.field(description="In bytes.")
    created_at: datetime.datetime

    @classmethod
    def from_model(cls, row: AttachmentRow) -> DocumentAttachment:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, content_type=row.content_type, size=row.size,
                   created_at=row.created_at)  # fmt: skip

    @strawberry.field(description="The file, base64-encoded.")
    async def content_base64(self) -> str | None:
        content = await attachments.content_of(int(self.id))
        return base64.b64encode(content).decode() if content is not None else None


@strawberry.type
class Document(Fetchable, relay.Node):
    view_permission = Permission.DOCUMENTS_VIEW
    max_id = 2**63 - 1
    id: relay.NodeID[int]
    type: str
    number: str | None = strawberry.field(description="Given when it is posted, in a gapless series.")
    state: str
    reason: str | None
    store: str = strawberry.field(description="The code of the store.")
    party: str | None = strawberry.field(description="The code of the party.")
    party_name: str | None
    business_date: datetime.date
    currency: str
    rate: Decimal | None = strawberry.field(
        description="Units of the company currency per unit of `currency`, fixed when the document is confirmed."
    )
    prices_include_tax: bool
    net: Decimal
    tax: Decimal
    gross: Decimal
    notes: str
    marks: list[str]
    version: int = strawberry.field(description="Send it back with an edit: a change by someone else makes it STALE.")
    approved_by: str | None
    approved_at: datetime.datetime | None
    posted_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    reverses_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Document) -> Document:
        return cls(
            id=row.id, type=row.type, number=row.number, state=row.state, reason=row.reason,
            store=row.store.code, party=row.party.code if row.party else None,
            party_name=row.party.name if row.party else None, business_date=row.business_date,
            currency=row.currency, rate=row.rate, prices_include_tax=row.prices_include_tax,  # type: ignore[arg-type]
            net=row.net, tax=row.tax, gross=row.gross, notes=row.notes, marks=list(row.marks),  # type: ignore[arg-type]
            version=row.version, approved_by=row.approved_by.username if row.approved_by else None,
            approved_at=row.approved_at, posted_at=row.posted_at, created_at=row.created_at,
            updated_at=row.updated_at, reverses_id=row.reverses_id,  # type: ignore[attr-defined]
        )  # fmt: skip

    @strawberry.field(description="What may be done with it now (the `action` of `transitionDocument`).")
    def actions(self) -> list[str]:
        return kind_of(self.type).actions_from(self.state)

    @strawberry.field(
        description="Its lines by position: all of them, or the first `first` after the line `afterPosition` (a"
        " query asking for many documents' lines names `first`, or the query-cost limit counts every line a"
        " document may have)."
    )
    async def lines(self, info: Info, first: int | None = None, after_position: int | None = None) -> list[
        DocumentLine
    ]:  # fmt: skip
        rows = await info.context.loaders.documents.lines.load(self.id)
        if after_position is not None:
            rows = [row for row in rows if row.position > after_position]
        if first is not None:
            rows = rows[: page_window(info, first, None).limit]
        return [DocumentLine.from_model(row) for row in rows]

    @strawberry.field(description="What only a purchase order has (null for any other document).")
    async def purchase_order(
        self, info: Info
    ) -> Annotated[PurchaseOrderDetails, strawberry.lazy("schema.purchasing.types")] | None:
        if self.type != "purchase.order":
            return None
        from schema.purchasing.types import PurchaseOrderDetails

        row = await info.context.loaders.purchasing.orders.load(self.id)
        return PurchaseOrderDetails.of(row) if row else None

    @strawberry.field(description="What only a sales order has (null for any other document).")
    async def sales_order(
        self, info: Info
    ) -> Annotated[SalesOrderDetails, strawberry.lazy("schema.sales.types")] | None:
        if self.type != "sales.order":
            return None
        from schema.sales.types import SalesOrderDetails

        row = await info.context.loaders.sales.orders.load(self.id)
        return SalesOrderDetails.of(row, self.gross) if row else None

    @strawberry.field(description="What only a sales quotation has: validity, versions, its order (null otherwise).")
    async def sales_quotation(
        self, info: Info
    ) -> Annotated[SalesQuotationDetails, strawberry.lazy("schema.sales.quotations")] | None:
        if self.type != "sales.quotation":
            return None
        from schema.sales.quotations import quotation_details

        return await quotation_details(info, self.id, self.state)

    @strawberry.field(description="The document this one reverses.")
    async def reverses(self, info: Info) -> Document | None:
        if self.reverses_id is None:
            return None
        row = await info.context.loaders.documents.documents.load(self.reverses_id)
        return Document.from_model(row) if row else None

    @strawberry.field(description="The files kept with it, oldest first.")
    async def attachments(self, info: Info) -> list[DocumentAttachment]:
        rows = await info.context.loaders.documents.attachments.load(self.id)
        return [DocumentAttachment.from_model(row) for row in rows]

    @strawberry.field(description=f"The latest {MAX_DELIVERIES_SHOWN} messages that sent it, oldest first.")
    async def deliveries(self, info: Info) -> list[Delivery]:
        rows = await info.context.loaders.documents.deliveries.load(self.id)
        return [Delivery.from_model(row) for row in rows[-MAX_DELIVERIES_SHOWN:]]

    @strawberry.field(description="Its PDF, base64-encoded (or fetch `pdfUrl`).")
    async def pdf_base64(self) -> str:
        pdf = await pdf_of(self.id)
        return base64.b64encode(pdf).decode()

    @strawberry.field(description="The URL of its PDF (send the same Authorization header).")
    def pdf_url(self) -> str:
        return f"/documents/{self.id}/pdf"

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.documents.documents.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(name="DocumentConnection")
class DocumentConnection(relay.Connection[Document]):
    pass
