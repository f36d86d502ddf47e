from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.documents.mutations import DocumentLineInput, DocumentPayload, _shown
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.scalars import Decimal
from schema.scanning.types import ScanInput
from server.auth.permissions import Permission
from server.documents import service
from server.documents.models import Document as DocumentRow
from server.purchasing import orders, receiving

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."


@strawberry.input
class CreatePurchaseOrderInput:
    supplier: str = strawberry.field(description="The code of the supplier.")
    store: str = strawberry.field(description="The code of the store that buys.")
    warehouse: str = strawberry.field(description="The code of the warehouse the goods go to.")
    lines: list[DocumentLineInput] = strawberry.field(
        description="Quantities in the supplier's unit or pack (`unit`); prices per that unit, from the supplier's"
        " prices when not given. A line's `location` is where its goods are received."
    )
    expected_on: datetime.date | None = strawberry.field(
        default=None, description="Today plus the supplier's lead time when not given."
    )
    currency: str | None = strawberry.field(default=None, description="The supplier's, else the store's.")
    receive_into: str | None = strawberry.field(
        default=None, description="The location of the warehouse receipts go to when the scan and line name none."
    )
    supplier_reference: str | None = None
    notes: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SendPurchaseOrderInput:
    id: strawberry.ID
    to: list[str] | None = strawberry.field(
        default=None, description="The supplier's contacts with an email when not given."
    )
    subject: str | None = None
    message: str | None = None
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class AmendedLineInput(DocumentLineInput):
    position: int | None = strawberry.field(
        default=None, description="The line this one changes; null: a new line. Lines left out are removed."
    )


@strawberry.input
class AmendPurchaseOrderInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read: if it changed since, the amendment is STALE.")
    lines: list[AmendedLineInput] = strawberry.field(description="The order's lines as they are to be, all of them.")
    expected_on: datetime.date | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ClosePurchaseOrderInput:
    id: strawberry.ID
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CancelPurchaseOrderRemainingInput:
    id: strawberry.ID
    positions: list[int] = strawberry.field(description="The lines whose remainder will not come.")
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ReceiptLineInput:
    order: strawberry.ID = strawberry.field(description="The purchase order (a Document id).")
    position: int = strawberry.field(description="The `position` of the order's line.")
    quantity: Decimal = strawberry.field(description="What arrived, in `unit`.")
    unit: str | None = strawberry.field(default=None, description="The order line's unit when not given.")
    location: str | None = strawberry.field(
        default=None, description="The bin it goes to: the line's, else the order's receiveInto when not given."
    )
    lot: str | None = None
    expires_on: datetime.date | None = None
    best_before_on: datetime.date | None = None
    removal_on: datetime.date | None = None
    alert_on: datetime.date | None = None
    serials: list[str] | None = strawberry.field(
        default=None, description="A serial-tracked product's: one per unit that arrived."
    )

    def line(self, index: int) -> receiving.ReceiptLineInput:
        return receiving.ReceiptLineInput(
            document_id(self.order, ("lines", index, "order")), self.position, self.quantity, self.unit, self.location,
            self.lot, self.expires_on, self.best_before_on, self.removal_on, self.alert_on, tuple(self.serials or ()),
        )  # fmt: skip


@strawberry.input
class ReceivePurchaseOrderInput:
    lines: list[ReceiptLineInput] = strawberry.field(
        description="What arrived: lines of one order, or of several orders of one supplier."
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    scan: ScanInput | None = strawberry.field(
        default=None, description="The scan that caused it: the receipt is dated when it was scanned, and logged."
    )


@strawberry.type
class ReceiptPayload(Payload):
    receipt: Document | None = strawberry.field(default=None, description="The goods receipt, booked.")
    orders: list[Document] | None = strawberry.field(default=None, description="The orders it filled, as they are now.")


async def _shown_receipt(done: receiving.Received) -> ReceiptPayload:
    ids = [done.receipt.id, *(o.id for o in done.orders)]
    rows = {r.id: r for r in await DocumentRow.filter(id__in=ids).select_related("store", "party", "approved_by")}
    return ReceiptPayload(receipt=Document.from_model(rows[done.receipt.id]),
                          orders=[Document.from_model(rows[o.id]) for o in done.orders])  # fmt: skip


@strawberry.type
class PurchasingMutation:
    @mutation(Permission.PURCHASING_MANAGE, description="A draft purchase order for a supplier, into one warehouse.")
    async def create_purchase_order(self, info: Info, input: CreatePurchaseOrderInput) -> DocumentPayload:
        header = orders.OrderHeader(
            input.supplier, input.store, input.warehouse, input.expected_on, input.currency, input.receive_into,
            input.supplier_reference, input.notes,
        )  # fmt: skip
        return await answer(
            DocumentPayload,
            lambda: orders.create_order(header, [line.line() for line in input.lines], actor_id=info.context.user_id,
                                        idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.PURCHASING_MANAGE,
        description="Mail a confirmed order's PDF to the supplier and mark it sent (again after an amendment).",
    )
    async def send_purchase_order(self, info: Info, input: SendPurchaseOrderInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: orders.send_order(document_id(input.id), input.to, input.subject, input.message,
                                      version=input.version, queue=info.context.queue, actor_id=info.context.user_id,
                                      idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.PURCHASING_MANAGE,
        description="Amend a confirmed order in place: its revision goes up, approval applies again, and it is to be"
        " sent again. A line never drops below what it received.",
    )
    async def amend_purchase_order(self, info: Info, input: AmendPurchaseOrderInput) -> DocumentPayload:
        principal = info.context.principal
        return await answer(
            DocumentPayload,
            lambda: orders.amend_order(
                document_id(input.id), [service.Amended(line.position, line.line()) for line in input.lines],
                version=input.version, expected_on=input.expected_on,
                can_approve=principal is not None and principal.can(Permission.DOCUMENTS_APPROVE),
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.PURCHASING_MANAGE, description="Close an order: what is still due is closed short.")
    async def close_purchase_order(self, info: Info, input: ClosePurchaseOrderInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: orders.close_order(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                       idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.PURCHASING_MANAGE, description="Cancel what is still due of some lines of an open order.")
    async def cancel_purchase_order_remaining(
        self, info: Info, input: CancelPurchaseOrderRemainingInput
    ) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: orders.cancel_remaining(document_id(input.id), input.positions, version=input.version,
                                            actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.STOCK_RECEIVE,
        description="Book what arrived against purchase orders (a scan's one line, or many): one goods receipt.",
    )
    async def receive_purchase_order(self, info: Info, input: ReceivePurchaseOrderInput) -> ReceiptPayload:
        return await answer(
            ReceiptPayload,
            lambda: receiving.receive([line.line(i) for i, line in enumerate(input.lines)],
                                      actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
                                      scan=input.scan.info() if input.scan else None),
            _shown_receipt,
        )  # fmt: skip
