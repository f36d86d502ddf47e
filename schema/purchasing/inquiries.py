"""Inquiries (requests for quotation), the quotes side by side, ordering the chosen ones, and the supplier
scorecard over GraphQL."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents.models import Document as DocumentRow
from server.purchasing import comparison, inquiries, scorecard

_DAYS = "The scorecard window: the last `days` days, today included."
Days = Annotated[int, strawberry.argument(description=_DAYS)]


@strawberry.type(description="One supplier's quote for an inquiry line, beside the others.")
class QuoteComparison:
    supplier: str = strawberry.field(description="The code of the supplier.")
    supplier_name: str
    declined: bool
    price: Decimal | None = strawberry.field(description="Per `unit`, in `currency`, as quoted.")
    unit: str | None = strawberry.field(description="The unit or pack the price is per.")
    currency: str | None
    price_in_company_currency: Decimal | None = strawberry.field(
        description="Per `unit`, at today's rate; null when the currency has no rate today."
    )
    per_base_unit: Decimal | None = strawberry.field(
        description="Per base unit of the product, in the company currency: what the quotes are sorted by."
    )
    lead_time_days: int | None
    valid_until: datetime.date | None
    min_quantity: Decimal | None = strawberry.field(description="The least the supplier sells, in `unit`.")
    meets_minimum: bool = strawberry.field(description="Whether the line asks for at least `minQuantity`.")
    on_time_rate: Decimal | None = strawberry.field(description="The supplier's, from its scorecard.")
    fill_rate: Decimal | None = strawberry.field(description="The supplier's, from its scorecard.")
    chosen: bool = strawberry.field(description="The line was ordered from this quote.")

    @classmethod
    def of(cls, view: comparison.QuoteView) -> QuoteComparison:
        return cls(**{name: getattr(view, name) for name in view.__dataclass_fields__})


@strawberry.type(description="An inquiry line and its quotes: cheapest per base unit in the company currency first.")
class InquiryLineComparison:
    position: int
    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    quotes: list[QuoteComparison] = strawberry.field(description="Declines after the prices.")
    awaiting: list[str] = strawberry.field(description="The suppliers asked that have not answered for this line.")
    ordered_in_id: strawberry.Private[int | None]

    @strawberry.field(description="The purchase order the line became, once a quote was chosen.")
    async def ordered_in(self, info: Info) -> Document | None:
        if self.ordered_in_id is None:
            return None
        row = await info.context.loaders.documents.documents.load(self.ordered_in_id)
        return Document.from_model(row) if row else None


@strawberry.type(description="A request for quotation: what is asked, whom, and the answers side by side.")
class PurchaseInquiry:
    document: Document = strawberry.field(description="Its document (lines, number, state, PDF, deliveries).")
    warehouse: str
    reply_by: datetime.date | None
    suppliers: list[str] = strawberry.field(description="The codes of the suppliers asked.")
    row_id: strawberry.Private[int]
    days: strawberry.Private[int]

    @classmethod
    def of(cls, view: comparison.InquiryView, days: int = scorecard.DEFAULT_DAYS) -> PurchaseInquiry:
        return cls(document=Document.from_model(view.document), warehouse=view.warehouse, reply_by=view.reply_by,
                   suppliers=view.suppliers, row_id=view.document.id, days=days)  # fmt: skip

    @strawberry.field(description="Its lines with their quotes side by side: the first `first` after `afterPosition`.")
    async def lines(self, info: Info, first: int | None = 100, after_position: int | None = None) -> list[
        InquiryLineComparison
    ]:  # fmt: skip
        size = page_window(info, first, None).limit
        compared = await comparison.compare(self.row_id, days=self.days)
        return [
            InquiryLineComparison(position=c.position, sku=c.sku, quantity=c.quantity, unit=c.unit,  # type: ignore[arg-type]
                                  base_quantity=c.base_quantity, quotes=[QuoteComparison.of(q) for q in c.quotes],  # type: ignore[arg-type]
                                  awaiting=c.awaiting, ordered_in_id=c.ordered_in)
            for c in compared if c.position > (after_position or 0)
        ][:size]  # fmt: skip


@strawberry.type(description="One order line's price, as ordered and per base unit in the company currency.")
class SupplierPricePoint:
    on: datetime.date = strawberry.field(description="The order's business date.")
    order_number: str | None
    sku: str
    quantity: Decimal
    unit: str
    price: Decimal = strawberry.field(description="Per `unit`, in `currency`.")
    currency: str
    unit_cost: Decimal = strawberry.field(description="Net per base unit in the company currency.")


@strawberry.type(description="How a supplier has delivered over the last `days` days.")
class SupplierScorecard:
    supplier: str
    since: datetime.date
    until: datetime.date
    deliveries: int = strawberry.field(description="Goods receipts in the window, each once per order it filled.")
    on_time: int = strawberry.field(description="Of those, the ones on or before the order's expected day.")
    on_time_rate: Decimal | None = strawberry.field(description="onTime / deliveries, to 4 places; null: none.")
    ordered: Decimal = strawberry.field(description="Base units ordered in its received and closed orders.")
    filled: Decimal = strawberry.field(description="Of that, what came and stayed, per line at most what was ordered.")
    fill_rate: Decimal | None = strawberry.field(description="filled / ordered, to 4 places; null: nothing ordered.")
    supplier_id: strawberry.Private[int]
    days: strawberry.Private[int]

    @strawberry.field(description="The prices of its confirmed orders in the window, by product and day.")
    async def price_history(
        self, info: Info, sku: str | None = None, first: int | None = 100
    ) -> list[SupplierPricePoint]:
        size = page_window(info, first, None).limit
        points = await scorecard.price_history(self.supplier_id, self.days, sku=sku, limit=size)
        return [SupplierPricePoint(on=p.on, order_number=p.order_number, sku=p.sku, quantity=p.quantity, unit=p.unit,  # type: ignore[arg-type]
                              price=p.price, currency=p.currency, unit_cost=p.unit_cost) for p in points]  # type: ignore[arg-type]  # fmt: skip


@strawberry.input
class InquiryLineInput:
    sku: str
    quantity: Decimal = strawberry.field(description="In `unit` (the product's base unit when not given).")
    unit: str | None = strawberry.field(default=None, description="A unit of the product's category or a pack.")
    notes: str | None = None


@strawberry.input
class CreatePurchaseInquiryInput:
    store: str = strawberry.field(description="The code of the store that buys.")
    warehouse: str = strawberry.field(description="The code of the warehouse the goods would go to.")
    suppliers: list[str] = strawberry.field(description="The codes of the suppliers asked.")
    lines: list[InquiryLineInput]
    reply_by: datetime.date | None = None
    notes: str | None = None
    mail: bool = strawberry.field(
        default=False, description="Mail the inquiry's PDF to each supplier's contacts with an email, in the outbox."
    )
    subject: str | None = None
    message: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SupplierQuoteInput:
    position: int = strawberry.field(description="The `position` of the inquiry's line.")
    price: Decimal | None = strawberry.field(default=None, description="Per `unit`; required unless declined.")
    unit: str | None = strawberry.field(default=None, description="The unit or pack priced; the line's when not given.")
    currency: str | None = strawberry.field(default=None, description="The supplier's, else the company's.")
    lead_time_days: int | None = strawberry.field(default=None, description="The supplier's when not given.")
    valid_until: datetime.date | None = None
    min_quantity: Decimal | None = strawberry.field(default=None, description="The least sold, in `unit`.")
    declined: bool = strawberry.field(default=False, description="The supplier does not offer this line.")


@strawberry.input
class RecordSupplierQuotesInput:
    id: strawberry.ID = strawberry.field(description="The inquiry (a Document id).")
    supplier: str = strawberry.field(description="The code of a supplier the inquiry asked.")
    quotes: list[SupplierQuoteInput]
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class QuoteChoiceInput:
    position: int = strawberry.field(description="The `position` of the inquiry's line.")
    supplier: str = strawberry.field(description="The code of the supplier whose quote is ordered.")


@strawberry.input
class ChoosePurchaseQuotesInput:
    id: strawberry.ID = strawberry.field(description="The inquiry (a Document id).")
    choices: list[QuoteChoiceInput]
    expected_on: datetime.date | None = strawberry.field(
        default=None, description="Today plus the longest quoted lead time of each order when not given."
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type
class PurchaseInquiryPayload(Payload):
    inquiry: PurchaseInquiry | None = None


@strawberry.type
class ChoosePurchaseQuotesPayload(Payload):
    inquiry: PurchaseInquiry | None = None
    orders: list[Document] | None = strawberry.field(default=None, description="One draft order per supplier.")


async def _inquiry(document_id: int) -> PurchaseInquiry | None:
    view = await comparison.inquiry_of(document_id)
    return PurchaseInquiry.of(view) if view else None


async def _shown(row: DocumentRow) -> PurchaseInquiryPayload:
    return PurchaseInquiryPayload(inquiry=await _inquiry(row.id))


async def _shown_chosen(chosen: inquiries.Chosen) -> ChoosePurchaseQuotesPayload:
    ids = [o.id for o in chosen.orders]
    rows = {r.id: r for r in await DocumentRow.filter(id__in=ids).select_related("store", "party", "approved_by")}
    return ChoosePurchaseQuotesPayload(inquiry=await _inquiry(chosen.inquiry.id),
                                       orders=[Document.from_model(rows[i]) for i in ids])  # fmt: skip


@strawberry.type
class InquiriesQuery:
    @strawberry.field(
        permission_classes=[require(Permission.PURCHASING_VIEW)],
        description="A request for quotation with its quotes side by side; null when there is none.",
    )
    async def purchase_inquiry(
        self, info: Info, id: strawberry.ID, days: Days = scorecard.DEFAULT_DAYS
    ) -> PurchaseInquiry | None:
        scorecard.window(days)
        view = await comparison.inquiry_of(document_id(id))
        return PurchaseInquiry.of(view, days) if view else None

    @strawberry.field(
        permission_classes=[require(Permission.PURCHASING_VIEW)],
        description="A supplier's on-time and fill rates and price history over the last `days` days.",
    )
    async def supplier_scorecard(
        self, info: Info, supplier: str, days: Days = scorecard.DEFAULT_DAYS
    ) -> SupplierScorecard:
        party = await scorecard.supplier_by_code(supplier)
        card = (await scorecard.scorecards([party.id], days))[party.id]
        return SupplierScorecard(
            supplier=party.code, since=card.since, until=card.until, deliveries=card.deliveries, on_time=card.on_time,
            on_time_rate=card.on_time_rate, ordered=card.ordered, filled=card.filled, fill_rate=card.fill_rate,  # type: ignore[arg-type]
            supplier_id=party.id, days=days,
        )  # fmt: skip


@strawberry.type
class InquiriesMutation:
    @mutation(Permission.PURCHASING_MANAGE, description="Ask several suppliers for the same lines (and mail them).")
    async def create_purchase_inquiry(self, info: Info, input: CreatePurchaseInquiryInput) -> PurchaseInquiryPayload:
        header = inquiries.InquiryHeader(input.store, input.warehouse, tuple(input.suppliers), input.reply_by,
                                         input.notes, input.mail, input.subject, input.message)  # fmt: skip
        lines = [inquiries.InquiryLine(line.sku, line.quantity, line.unit, line.notes) for line in input.lines]
        return await answer(
            PurchaseInquiryPayload,
            lambda: inquiries.create_inquiry(header, lines, queue=info.context.queue, actor_id=info.context.user_id,
                                             idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.PURCHASING_MANAGE, description="A supplier's quotes (or declines) for lines of an inquiry.")
    async def record_supplier_quotes(self, info: Info, input: RecordSupplierQuotesInput) -> PurchaseInquiryPayload:
        quotes = [inquiries.QuoteInput(q.position, q.price, q.unit, q.currency, q.lead_time_days, q.valid_until,
                                       q.min_quantity, q.declined) for q in input.quotes]  # fmt: skip
        return await answer(
            PurchaseInquiryPayload,
            lambda: inquiries.record_quotes(document_id(input.id), input.supplier, quotes,
                                            actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.PURCHASING_MANAGE,
        description="Order the chosen quotes: one draft purchase order per supplier, at the quoted prices.",
    )
    async def choose_purchase_quotes(self, info: Info, input: ChoosePurchaseQuotesInput) -> ChoosePurchaseQuotesPayload:
        choices = [inquiries.ChoiceInput(c.position, c.supplier) for c in input.choices]
        return await answer(
            ChoosePurchaseQuotesPayload,
            lambda: inquiries.choose_quotes(document_id(input.id), choices, expected_on=input.expected_on,
                                            actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown_chosen,
        )  # fmt: skip
