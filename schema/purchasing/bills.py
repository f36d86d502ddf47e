"""Supplier bills over GraphQL: record one against purchase orders, post it through the three-way match,
release one the match held (``bills.release``), and read bills and what is payable."""

from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.purchasing.types import PurchaseOrderLine
from schema.relay import page_window, paginate_with
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents.models import Document as DocumentRow
from server.purchasing import bills

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."


@strawberry.type(description="Why the three-way match held a bill: one line outside a tolerance of its supplier.")
class BillHoldReason:
    position: int = strawberry.field(description="The bill line's position.")
    kind: str = strawberry.field(description="price or quantity.")
    message: str


@strawberry.type(description="A bill line and the order line it bills, with what that order line has come to.")
class SupplierBillLine:
    position: int
    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    price: Decimal = strawberry.field(description="As billed, per `unit`, before the discount.")
    discount_percent: Decimal
    net: Decimal
    order_id: strawberry.Private[int]
    order_number: str | None = strawberry.field(description="The number of the purchase order it bills.")
    order_line: PurchaseOrderLine | None = strawberry.field(
        description="The order line: ordered, received, returned and billed, in base units."
    )

    @strawberry.field(description="The purchase order it bills.")
    async def order(self, info: Info) -> Document | None:
        row = await info.context.loaders.documents.documents.load(self.order_id)
        return Document.from_model(row) if row else None


@strawberry.type(description="A supplier bill: its document, the match, and what is due when.")
class SupplierBill:
    id: strawberry.Private[int]
    document: Document
    supplier_reference: str = strawberry.field(description="The number on the supplier's invoice.")
    amount_due: Decimal = strawberry.field(
        description="What is still to pay, in the bill's currency (0 unless posted)."
    )
    due_on: datetime.date = strawberry.field(description="From the supplier's payment terms and the bill date.")
    discount_on: datetime.date | None = strawberry.field(description="Paid by this day, `discountAmount` less is due.")
    discount_amount: Decimal
    released_by: str | None = strawberry.field(description="Who released it from hold.")
    released_at: datetime.datetime | None
    price_difference: Decimal = strawberry.field(
        description="In the company currency: what the bill's price difference revalued (stock and cost of goods)."
    )
    exchange_difference: Decimal = strawberry.field(
        description="In the company currency: the bill at the rate of its date less at the rates of its receipts."
    )
    reasons: strawberry.Private[list[BillHoldReason]]
    bill_lines: strawberry.Private[list[SupplierBillLine]]

    @classmethod
    def of(cls, view: bills.BillView) -> SupplierBill:
        details = view.details
        lines = [
            SupplierBillLine(
                position=v.line.position, sku=v.line.product.sku, quantity=v.line.quantity, unit=v.line.unit,  # type: ignore[arg-type]
                base_quantity=v.line.base_quantity, price=v.line.price, discount_percent=v.line.discount_percent,  # type: ignore[arg-type]
                net=v.line.net, order_id=v.order_id, order_number=v.order_number,  # type: ignore[arg-type]
                order_line=PurchaseOrderLine.of(v.order_line) if v.order_line else None,
            )
            for v in view.lines
        ]  # fmt: skip
        return cls(
            id=view.id, document=Document.from_model(view.document), supplier_reference=details.supplier_reference,
            amount_due=view.amount_due, due_on=details.due_on, discount_on=details.discount_on,  # type: ignore[arg-type]
            discount_amount=details.discount_amount,  # type: ignore[arg-type]
            released_by=details.released_by.username if details.released_by else None,
            released_at=details.released_at, price_difference=details.price_difference,  # type: ignore[arg-type]
            exchange_difference=details.exchange_difference,  # type: ignore[arg-type]
            reasons=[BillHoldReason(position=r["position"], kind=r["kind"], message=r["message"])
                     for r in details.hold_reasons],
            bill_lines=lines,
        )  # fmt: skip

    @strawberry.field(description="Why the match held it, the first `first` (kept after a release).")
    def hold_reasons(self, info: Info, first: int | None = 100) -> list[BillHoldReason]:
        return self.reasons[: page_window(info, first, None).limit]

    @strawberry.field(description="Its lines by position: the first `first` after the line `afterPosition`.")
    def lines(self, info: Info, first: int | None = 100, after_position: int | None = None) -> list[SupplierBillLine]:
        size = page_window(info, first, None).limit
        return [line for line in self.bill_lines if line.position > (after_position or 0)][:size]


@strawberry.type(name="SupplierBillConnection")
class SupplierBillConnection(strawberry.relay.Connection[SupplierBill]):
    pass


@strawberry.input
class SupplierBillLineInput:
    order: strawberry.ID = strawberry.field(description="The purchase order (a Document id).")
    position: int = strawberry.field(description="The `position` of the order's line it bills.")
    quantity: Decimal = strawberry.field(description="What is billed, in `unit`.")
    unit: str | None = strawberry.field(default=None, description="The order line's unit when not given.")
    price: Decimal | None = strawberry.field(
        default=None, description="As billed, per `unit` before the discount: the order line's when not given."
    )
    discount_percent: Decimal | None = strawberry.field(default=None, description="The order line's when not given.")

    def line(self, index: int) -> bills.BillLineInput:
        return bills.BillLineInput(document_id(self.order, ("lines", index, "order")), self.position,  # type: ignore[arg-type]
                                   self.quantity, self.unit, self.price, self.discount_percent)  # fmt: skip


@strawberry.input
class CreateSupplierBillInput:
    supplier_reference: str = strawberry.field(description="The number on the supplier's invoice (once per supplier).")
    lines: list[SupplierBillLineInput] = strawberry.field(
        description="Lines of purchase orders of one supplier, store and currency."
    )
    bill_date: datetime.date | None = strawberry.field(
        default=None, description="The invoice's date (today when not given): its rate and its due date count from it."
    )
    notes: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SupplierBillActionInput:
    id: strawberry.ID = strawberry.field(description="The bill's Document id.")
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SupplierBillFilter:
    supplier: str | None = strawberry.field(default=None, description="The code of the supplier.")
    state: str | None = strawberry.field(default=None, description="draft, on_hold, posted or cancelled.")


@strawberry.type
class SupplierBillPayload(Payload):
    bill: SupplierBill | None = None


async def _shown(row: DocumentRow) -> SupplierBillPayload:
    return SupplierBillPayload(bill=SupplierBill.of((await bills.bills_by_ids([row.id]))[0]))


@strawberry.type
class BillsMutation:
    @mutation(Permission.PURCHASING_MANAGE, description="Record a supplier's bill against lines of purchase orders.")
    async def create_supplier_bill(self, info: Info, input: CreateSupplierBillInput) -> SupplierBillPayload:
        return await answer(
            SupplierBillPayload,
            lambda: bills.create_bill(input.supplier_reference, [line.line(i) for i, line in enumerate(input.lines)],
                                      bill_date=input.bill_date, notes=input.notes, actor_id=info.context.user_id,
                                      idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.PURCHASING_MANAGE,
        description="Match a draft bill with its orders and receipts: posted within the supplier's tolerances, else"
        " on hold with its reasons.",
    )
    async def post_supplier_bill(self, info: Info, input: SupplierBillActionInput) -> SupplierBillPayload:
        return await answer(
            SupplierBillPayload,
            lambda: bills.post_bill(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                    idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.BILLS_RELEASE,
        description="Post a bill the match held, as it is: its price difference revalues the receipts it bills.",
    )
    async def release_supplier_bill(self, info: Info, input: SupplierBillActionInput) -> SupplierBillPayload:
        return await answer(
            SupplierBillPayload,
            lambda: bills.release_bill(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                       idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip


@strawberry.type
class BillsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.PURCHASING_VIEW)], description="Supplier bills, oldest first."
    )
    async def supplier_bills(
        self, info: Info, filter: SupplierBillFilter | None = None, first: int | None = None, after: str | None = None
    ) -> SupplierBillConnection:
        window = page_window(info, first, after)
        f = filter or SupplierBillFilter()
        query = bills.find_bills(supplier=f.supplier, state=f.state)

        async def fetch(after_id: int | None, limit: int) -> list[bills.BillView]:
            return await bills.bill_page(query, after_id, limit)

        return await paginate_with(SupplierBillConnection, fetch, window, SupplierBill.of)  # type: ignore[no-any-return]

    @strawberry.field(
        permission_classes=[require(Permission.PURCHASING_VIEW)],
        description="Accounts payable: posted bills not yet paid (of one supplier, or all), oldest first, each with"
        " its amount due, due date and early-payment discount.",
    )
    async def payable_bills(
        self, info: Info, supplier: str | None = None, first: int | None = None, after: str | None = None
    ) -> SupplierBillConnection:
        window = page_window(info, first, after)
        query = bills.find_bills(supplier=supplier, open_only=True)

        async def fetch(after_id: int | None, limit: int) -> list[bills.BillView]:
            return await bills.bill_page(query, after_id, limit)

        return await paginate_with(SupplierBillConnection, fetch, window, SupplierBill.of)  # type: ignore[no-any-return]
