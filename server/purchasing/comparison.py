"""An inquiry's quotes side by side: per line, each supplier's price in the company currency and per base
unit, its lead time and validity, and how the supplier has delivered (its scorecard's on-time and fill
rates), cheapest per base unit first; declines after them, then the suppliers that have not answered.

Prices are converted at the rate in force today (``rates.rate_on``); a currency without a rate today has
no company-currency price and sorts after those that have one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from server.clock import today
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, NotFound
from server.inventory import quantities
from server.money.rates import rate_on
from server.purchasing.inquiries import INQUIRY
from server.purchasing.inquiry_models import InquiryChoice, InquirySupplier, PurchaseInquiry, SupplierQuote
from server.purchasing.scorecard import DEFAULT_DAYS, Scorecard, scorecards

PRICE_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class QuoteView:
    supplier: str
    supplier_name: str
    declined: bool
    price: Decimal | None
    unit: str | None
    currency: str | None
    price_in_company_currency: Decimal | None  # per ``unit``
    per_base_unit: Decimal | None  # in the company currency
    lead_time_days: int | None
    valid_until: date | None
    min_quantity: Decimal | None
    meets_minimum: bool
    on_time_rate: Decimal | None
    fill_rate: Decimal | None
    chosen: bool


@dataclass(frozen=True)
class LineComparison:
    position: int
    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    quotes: list[QuoteView]
    awaiting: list[str]  # the suppliers asked that have not answered for this line
    ordered_in: int | None  # the purchase order the line became


@dataclass(frozen=True)
class InquiryView:
    document: Document
    warehouse: str
    reply_by: date | None
    suppliers: list[str]


async def inquiry_of(document_id: int) -> InquiryView | None:
    header = await PurchaseInquiry.filter(id=document_id).select_related("warehouse").first()
    if header is None:
        return None
    document = await Document.get(id=document_id).select_related("store", "party", "approved_by")
    asked = await InquirySupplier.filter(inquiry_id=document_id).select_related("supplier").order_by("id")
    return InquiryView(document, header.warehouse.code, header.reply_by, [a.supplier.code for a in asked])


async def compare(document_id: int, *, days: int = DEFAULT_DAYS) -> list[LineComparison]:
    """The inquiry's lines in position order, each with its quotes side by side."""
    if not await Document.filter(id=document_id, type=INQUIRY).exists():
        raise NotFound("There is no such inquiry.", field="id")
    lines = await DocumentLine.filter(document_id=document_id).select_related("product").order_by("position")
    quotes = await SupplierQuote.filter(inquiry_id=document_id).select_related("supplier").order_by("id")
    asked = await InquirySupplier.filter(inquiry_id=document_id).select_related("supplier").order_by("id")
    choices = {c.line_id: c for c in await InquiryChoice.filter(line_id__in=[line.id for line in lines])}  # type: ignore[attr-defined]
    cards = await scorecards([a.supplier_id for a in asked], days)  # type: ignore[attr-defined]
    rates: dict[str, Decimal | None] = {}
    for currency in sorted({q.currency for q in quotes if q.currency}):
        try:
            rates[currency] = await rate_on(currency, today())
        except DomainError:
            rates[currency] = None
    compared = []
    for line in lines:
        mine = [q for q in quotes if q.line_id == line.id]  # type: ignore[attr-defined]
        choice = choices.get(line.id)
        views = [_view(line, q, rates, cards[q.supplier_id], choice) for q in mine]  # type: ignore[attr-defined]
        views.sort(key=_order)
        answered = {q.supplier_id for q in mine}  # type: ignore[attr-defined]
        compared.append(LineComparison(
            line.position, line.product.sku, quantities.from_db(line.quantity), line.unit,
            quantities.from_db(line.base_quantity), views,
            [a.supplier.code for a in asked if a.supplier_id not in answered],  # type: ignore[attr-defined]
            choice.order_id if choice else None,  # type: ignore[attr-defined]
        ))  # fmt: skip
    return compared


def _view(line: DocumentLine, quote: SupplierQuote, rates: dict[str, Decimal | None], card: Scorecard,
          choice: InquiryChoice | None) -> QuoteView:  # fmt: skip
    rate = rates.get(quote.currency) if quote.currency else None
    price = Decimal(quote.price) if quote.price is not None else None
    in_company = (price * rate).quantize(PRICE_STEP) if price is not None and rate is not None else None
    per_base = None
    if price is not None and rate is not None and quote.unit_base:
        per_base = (price * rate / quantities.from_db(quote.unit_base)).quantize(PRICE_STEP)
    minimum = quantities.from_db(quote.min_quantity) if quote.min_quantity is not None else None
    meets = True
    if minimum is not None and quote.unit_base:
        meets = quantities.from_db(line.base_quantity) / quantities.from_db(quote.unit_base) >= minimum
    return QuoteView(
        quote.supplier.code, quote.supplier.name, quote.declined, price, quote.unit, quote.currency, in_company,
        per_base, quote.lead_time_days, quote.valid_until, minimum, meets, card.on_time_rate, card.fill_rate,
        choice is not None and choice.quote_id == quote.id,  # type: ignore[attr-defined]
    )  # fmt: skip


def _order(view: QuoteView) -> tuple[int, Decimal, int, str]:
    """Cheapest per base unit first, then the shorter lead time; unpriced, then declines, last."""
    rank = 2 if view.declined else (1 if view.per_base_unit is None else 0)
    return rank, view.per_base_unit or Decimal(0), view.lead_time_days or 0, view.supplier
