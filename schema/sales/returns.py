"""Customer returns (RMA) over GraphQL: authorize one against shipped order lines, receive the goods back,
inspect them (restock or scrap) and refund the customer."""

from __future__ import annotations

import datetime

import strawberry
from strawberry import relay

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents.models import Document as DocumentRow
from server.errors import DomainError
from server.sales import return_inspection, return_reads, returns

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."
_KEY = "Required: " + IDEMPOTENCY_KEY


def _document(raw: str, field: str) -> int:
    """The row id in a Document's global id; a refusal is told at ``field`` (``document_id`` tells some at id)."""
    try:
        return document_id(raw, field)
    except DomainError as error:
        raise error.at(field) from None


def _global(key: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID("Document", str(key))))


@strawberry.type(description="A line of a customer return: what comes back of one order line, from one shipment.")
class SalesReturnLine:
    position: int
    order_position: int = strawberry.field(description="The position of the order line it returns.")
    sku: str
    lot: str | None
    warehouse: str = strawberry.field(description="The warehouse it shipped from and comes back to.")
    quantity: Decimal = strawberry.field(description="In the product's base unit.")
    unit_cost: Decimal = strawberry.field(description="The cost of goods it shipped at: it comes back at it.")
    restocked: Decimal
    restocked_to: str | None = strawberry.field(description="The bin it was restocked to.")
    scrapped: Decimal
    scrap_reason: str | None


@strawberry.type(description="A customer return (RMA) beyond its document: its order, progress, refund and lines.")
class SalesReturnDetails:
    id: strawberry.ID
    number: str
    state: str = strawberry.field(description="authorized, received, done (inspected) or cancelled.")
    version: int
    order: strawberry.ID = strawberry.field(description="The id of the sales order (a Document).")
    order_number: str
    customer: str
    reason: str
    received_at: datetime.datetime | None
    inspected_at: datetime.datetime | None
    refunded: Decimal = strawberry.field(description="Paid back with it, in the order currency.")
    currency: str
    all_lines: strawberry.Private[list[SalesReturnLine]]

    @strawberry.field(description="Its lines: the first `first` (null: the server's page size).")
    def lines(self, info: Info, first: int | None = 100) -> list[SalesReturnLine]:
        return self.all_lines[: page_window(info, first, None).limit]

    @classmethod
    def of(cls, view: return_reads.ReturnView) -> SalesReturnDetails:
        return cls(
            id=_global(view.id), number=view.number, state=view.state, version=view.version,
            order=_global(view.order_id), order_number=view.order_number, customer=view.customer, reason=view.reason,
            received_at=view.received_at, inspected_at=view.inspected_at, refunded=view.refunded,  # type: ignore[arg-type]
            currency=view.currency,
            all_lines=[SalesReturnLine(
                position=ln.position, order_position=ln.order_position, sku=ln.sku, lot=ln.lot, warehouse=ln.warehouse,
                quantity=ln.quantity, unit_cost=ln.unit_cost, restocked=ln.restocked, restocked_to=ln.restocked_to,  # type: ignore[arg-type]
                scrapped=ln.scrapped, scrap_reason=ln.scrap_reason,  # type: ignore[arg-type]
            ) for ln in view.lines],
        )  # fmt: skip


@strawberry.type
class SalesReturnPayload(Payload):
    document: Document | None = strawberry.field(default=None, description="The return's document.")
    sales_return: SalesReturnDetails | None = None
    order: Document | None = strawberry.field(default=None, description="The order, as it is now.")


@strawberry.input
class SalesReturnLineInput:
    position: int = strawberry.field(description="The `position` of the order line that comes back.")
    quantity: Decimal = strawberry.field(description="In the product's base unit.")


@strawberry.input
class CreateSalesReturnInput:
    order: strawberry.ID = strawberry.field(description="The sales order (a Document id) whose goods come back.")
    lines: list[SalesReturnLineInput]
    reason: str = strawberry.field(description="Why they come back (kept as the return's notes).")
    idempotency_key: str = strawberry.field(description=_KEY)


@strawberry.input
class ReceiveSalesReturnInput:
    id: strawberry.ID
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str = strawberry.field(description=_KEY)


@strawberry.input
class InspectedReturnLineInput:
    position: int = strawberry.field(description="The return line's position.")
    restocked: Decimal = strawberry.field(default=Decimal("0"), description="Back to a bin, to sell again.")  # type: ignore[arg-type]
    location: str | None = strawberry.field(
        default=None, description="The sellable bin it goes back to: the one it shipped from when not given."
    )
    scrapped: Decimal = strawberry.field(default=Decimal("0"), description="To the scrap location.")  # type: ignore[arg-type]
    reason: str | None = strawberry.field(default=None, description="Why it is scrapped: needed when it is.")


@strawberry.input
class ReturnRefundInput:
    method: str = strawberry.field(description="cash, card, bank_transfer or cash_on_delivery.")
    amount: Decimal | None = strawberry.field(
        default=None, description="In the order currency; null: the value of what came back, at most what was paid."
    )
    note: str | None = None


@strawberry.input
class InspectSalesReturnInput:
    id: strawberry.ID
    lines: list[InspectedReturnLineInput] = strawberry.field(
        description="Every line of the return once: restocked and scrapped make all of it."
    )
    refund: ReturnRefundInput | None = strawberry.field(default=None, description="Pay the customer back, too.")
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str = strawberry.field(description=_KEY)


async def _payload(row: DocumentRow) -> SalesReturnPayload:
    view = await return_reads.return_view(row.id)
    assert view is not None
    rows = {r.id: r for r in await DocumentRow.filter(id__in=[row.id, view.order_id]).select_related(
        "store", "party", "approved_by")}  # fmt: skip
    return SalesReturnPayload(document=Document.from_model(rows[row.id]), sales_return=SalesReturnDetails.of(view),
                              order=Document.from_model(rows[view.order_id]))  # fmt: skip


@strawberry.type
class SalesReturnsMutation:
    @mutation(
        Permission.SALES_MANAGE,
        description="Authorize a customer return of shipped order lines: each at most what it shipped less what other"
        " returns take back of it (OVER_RETURN).",
    )
    async def create_sales_return(self, info: Info, input: CreateSalesReturnInput) -> SalesReturnPayload:
        return await answer(
            SalesReturnPayload,
            lambda: returns.create_return(
                _document(input.order, "order"), input.reason,
                [returns.ReturnLineInput(line.position, line.quantity) for line in input.lines],
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _payload,
        )  # fmt: skip

    @mutation(
        Permission.STOCK_MOVE,
        description="The goods of a return are back: booked into the warehouse's returns location (not sellable) at"
        " the cost they shipped at; the order's lines and fulfillment show them returned.",
    )
    async def receive_sales_return(self, info: Info, input: ReceiveSalesReturnInput) -> SalesReturnPayload:
        return await answer(
            SalesReturnPayload,
            lambda: returns.receive_return(document_id(input.id), version=input.version,
                                           actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _payload,
        )  # fmt: skip

    @mutation(
        Permission.SALES_MANAGE,
        description="Inspect a received return: every line restocked to a sellable bin or scrapped (or split), and"
        " the customer refunded through the order's payments when asked.",
    )
    async def inspect_sales_return(self, info: Info, input: InspectSalesReturnInput) -> SalesReturnPayload:
        refund = input.refund
        return await answer(
            SalesReturnPayload,
            lambda: return_inspection.inspect_return(
                document_id(input.id),
                [return_inspection.InspectedLine(ln.position, ln.restocked, ln.location, ln.scrapped, ln.reason)
                 for ln in input.lines],
                refund=return_inspection.RefundRequest(refund.method, refund.amount, refund.note) if refund else None,
                version=input.version, actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _payload,
        )  # fmt: skip


_VIEW = [require(Permission.SALES_VIEW)]


@strawberry.type
class SalesReturnsQuery:
    @strawberry.field(permission_classes=_VIEW, description="A customer return with its lines (null: no such one).")
    async def sales_return(self, id: strawberry.ID) -> SalesReturnDetails | None:
        try:
            key = document_id(id)
        except DomainError:
            return None
        view = await return_reads.return_view(key)
        return SalesReturnDetails.of(view) if view else None

    @strawberry.field(permission_classes=_VIEW, description="The returns of a sales order, oldest first.")
    async def sales_returns_of_order(self, info: Info, order: strawberry.ID, first: int | None = 20) -> list[
        SalesReturnDetails
    ]:  # fmt: skip
        try:
            key = document_id(order, "order")
        except DomainError:
            return []
        ids = await return_reads.returns_of(key, page_window(info, first, None).limit)
        return [SalesReturnDetails.of(view) for i in ids if (view := await return_reads.return_view(i)) is not None]
