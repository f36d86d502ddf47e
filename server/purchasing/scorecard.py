"""How a supplier has delivered over the last days: on time, in full, and at what prices.

- On-time rate: of the supplier's goods receipts in the window, each counted once per order it filled,
  the share whose business date is on or before that order's ``expected_on``.
- Fill rate: over the supplier's received or closed orders of the window (by the order's business date),
  what came and stayed (received less returned, capped per line at what was ordered) over what was ordered,
  in base units.
- Price history: the lines of its confirmed orders (any state past draft but cancelled), per product and
  day, at their net price per base unit in the company currency (the order's rate, fixed when confirmed).
Rates are kept to 4 places; None when there is nothing to count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from server import sql
from server.catalog.models import SKU
from server.clock import today
from server.db import connection
from server.documents.kinds import CANCELLED, DONE, DRAFT
from server.documents.models import Document, DocumentLine
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.partners.models import PARTY_CODE, Party
from server.purchasing.orders import CLOSED, ORDER, RECEIPT, RECEIVED, order_progress
from server.text import shown

RATE_STEP = PRICE_STEP = Decimal("0.0001")
MAX_DAYS = 3660
DEFAULT_DAYS = 365
ZERO = Decimal(0)


@dataclass(frozen=True)
class Scorecard:
    supplier_id: int
    since: date
    until: date
    deliveries: int  # receipts, each once per order it filled
    on_time: int
    ordered: Decimal  # over received and closed orders, in base units
    filled: Decimal  # of that, what came and stayed, per line at most what was ordered

    @property
    def on_time_rate(self) -> Decimal | None:
        return (Decimal(self.on_time) / self.deliveries).quantize(RATE_STEP) if self.deliveries else None

    @property
    def fill_rate(self) -> Decimal | None:
        return (self.filled / self.ordered).quantize(RATE_STEP) if self.ordered else None


@dataclass(frozen=True)
class PricePoint:
    """One order line's price: as ordered, and per base unit in the company currency."""

    on: date
    order_id: int
    order_number: str | None
    sku: str
    quantity: Decimal
    unit: str
    price: Decimal
    currency: str
    unit_cost: Decimal  # net per base unit in the company currency


def window(days: int, until: date | None = None) -> tuple[date, date]:
    """The days counted: ``days`` days up to and including ``until`` (today)."""
    if not isinstance(days, int) or not 0 < days <= MAX_DAYS:
        raise Invalid(f"A window is 1 to {MAX_DAYS} days.", field="days")
    end = until or today()
    return end - timedelta(days=days - 1), end


async def supplier_by_code(code: str) -> Party:
    key = PARTY_CODE.key(code)
    party = await Party.get_or_none(code=key) if key else None
    if party is None or "supplier" not in party.roles:
        raise NotFound(f"There is no supplier {shown(code)}.", field="supplier")
    return party


async def scorecards(supplier_ids: list[int], days: int = DEFAULT_DAYS) -> dict[int, Scorecard]:
    """Each supplier's scorecard over the last ``days`` days."""
    since, until = window(days)
    ids = sorted(set(supplier_ids))
    deliveries, on_time = await _deliveries(ids, since, until)
    ordered, filled = await _fill(ids, since, until)
    return {i: Scorecard(i, since, until, deliveries.get(i, 0), on_time.get(i, 0), ordered.get(i, ZERO),
                         filled.get(i, ZERO)) for i in ids}  # fmt: skip


async def _deliveries(ids: list[int], since: date, until: date) -> tuple[dict[int, int], dict[int, int]]:
    receipts = await Document.filter(
        type=RECEIPT, state=DONE, party_id__in=ids, business_date__gte=since, business_date__lte=until
    ).values_list("id", "party_id", "business_date")
    supplier_of = {int(r): int(p) for r, p, _ in receipts}
    day_of = {int(r): sql.as_date(d) for r, _, d in receipts}
    deliveries: dict[int, int] = {}
    on_time: dict[int, int] = {}
    for chunk in sql.chunks(sorted(supplier_of)):
        rows = await sql.fetch(
            connection(),
            "SELECT DISTINCT rl.document_id AS receipt_id, o.id AS order_id, o.expected_on FROM document_line rl"
            " JOIN document_line_link k ON k.line_id = rl.id JOIN document_line ol ON ol.id = k.source_id"
            " JOIN purchase_order o ON o.id = ol.document_id"
            f" WHERE rl.document_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )  # fmt: skip
        for row in rows:
            receipt = int(row["receipt_id"])
            supplier = supplier_of[receipt]
            deliveries[supplier] = deliveries.get(supplier, 0) + 1
            arrived, expected = day_of[receipt], sql.as_date(row["expected_on"])
            if arrived is not None and expected is not None and arrived <= expected:
                on_time[supplier] = on_time.get(supplier, 0) + 1
    return deliveries, on_time


async def _fill(ids: list[int], since: date, until: date) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    found = await Document.filter(type=ORDER, state__in=[RECEIVED, CLOSED], party_id__in=ids, business_date__gte=since,
                                  business_date__lte=until).values_list("id", "party_id")  # fmt: skip
    supplier_of = {int(o): int(p) for o, p in found}
    ordered: dict[int, Decimal] = {}
    filled: dict[int, Decimal] = {}
    for order_id, lines in (await order_progress(sorted(supplier_of))).items():
        supplier = supplier_of[order_id]
        for line in lines:
            ordered[supplier] = ordered.get(supplier, ZERO) + line.ordered
            came = min(max(line.received - line.returned, ZERO), line.ordered)
            filled[supplier] = filled.get(supplier, ZERO) + came
    return ordered, filled


async def price_history(supplier_id: int, days: int = DEFAULT_DAYS, *, sku: str | None = None,
                        limit: int = 100) -> list[PricePoint]:  # fmt: skip
    """The prices of the supplier's confirmed orders in the window, by product and day (the first ``limit``)."""
    since, until = window(days)
    query = DocumentLine.filter(
        document__type=ORDER, document__party_id=supplier_id, document__business_date__gte=since,
        document__business_date__lte=until,
    ).exclude(document__state__in=[DRAFT, CANCELLED])  # fmt: skip
    if sku is not None:
        key = SKU.key(sku)
        if key is None:
            return []
        query = query.filter(product__sku=key)
    rows = await query.select_related("document", "product").order_by(
        "product__sku", "document__business_date", "document_id", "position"
    ).limit(limit)  # fmt: skip
    points = []
    for line in rows:
        order = line.document
        base = quantities.from_db(line.base_quantity)
        rate = Decimal(order.rate) if order.rate is not None else Decimal(1)
        points.append(PricePoint(
            order.business_date, order.id, order.number, line.product.sku, quantities.from_db(line.quantity), line.unit,
            Decimal(line.price), order.currency, (Decimal(line.net) * rate / base).quantize(PRICE_STEP),
        ))  # fmt: skip
    return points
