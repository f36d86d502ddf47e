"""Document lines from input: product, quantity in a unit, price, discount, tax, where and which lot.

Every line is checked before anything is written, and every problem of every line is reported at
once with its path (``("lines", 3, "quantity")``): a clerk fixing a 30-line document sees all its
mistakes, not one per attempt. Products and locations of all lines are read in one query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server.catalog import units
from server.catalog.models import SKU, Product
from server.documents.kinds import DocumentKind
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory.lots import LotDates, refuse_dates_without_lot
from server.inventory.models import LOCATION_CODE, LOT_CODE, Location, LocationKind
from server.money import prices, taxes
from server.money.service import taxes_for
from server.numbers import AMOUNT, PERCENTAGE
from server.partners.models import Party
from server.text import Text, shown

MAX_LINES = 2000
LINE_NOTES = Text("notes", 2000, multiline=True)
UNIT_CODE = Text("unit", 32)


@dataclass(frozen=True)
class LineInput:
    """A line as a caller sends it (strings as typed; checked by ``check_lines``)."""

    sku: str
    quantity: object
    unit: str | None = None
    price: object | None = None
    discount_percent: object | None = None
    location: str | None = None
    lot: str | None = None
    expires_on: date | None = None
    notes: str | None = None
    to_location: str | None = None  # a transfer's: the bin the stock goes to
    best_before_on: date | None = None  # the lot's other dates, for the lot an incoming line creates
    removal_on: date | None = None
    alert_on: date | None = None


@dataclass(frozen=True)
class CheckedLine:
    """A line in canonical form: what a command remembers and what is stored."""

    sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    price: Decimal | None  # None: from the price lists when the document is priced
    discount_percent: Decimal
    location: str | None
    lot: str | None
    expires_on: date | None
    notes: str
    to_location: str | None = None
    best_before_on: date | None = None
    removal_on: date | None = None
    alert_on: date | None = None


@dataclass
class PricedLine:
    checked: CheckedLine
    product_id: int
    location_id: int | None
    price: Decimal
    tax_code: str | None
    tax_percent: Decimal
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)


def _at(index: int, name: str) -> tuple[str | int, ...]:
    return ("lines", index, name)


async def check_lines(
    conn: BaseDBAsyncClient, kind: DocumentKind, given: list[LineInput] | tuple[LineInput, ...]
) -> tuple[list[CheckedLine], dict[str, Product], dict[str, Location]]:
    """Every line checked against its product, unit, location and lot; all problems at once."""
    if len(given) > MAX_LINES:
        raise Invalid(f"A document has at most {MAX_LINES} lines.", field="lines")
    problems: list[DomainError] = []
    named = {code for line in given for code in (line.location, line.to_location) if code}
    products, locations = await rows_for(
        conn,
        {key for line in given if (key := SKU.key(line.sku))},
        {key for code in named if (key := LOCATION_CODE.key(code))},
    )
    checked: list[CheckedLine] = []
    for index, line in enumerate(given):
        try:
            checked.append(await _check_line(conn, kind, index, line, products, locations))
        except DomainError as error:
            problems.append(error)
        except ManyErrors as many:
            problems.extend(many.errors)
    if problems:
        raise ManyErrors(problems)
    return checked, products, locations


async def rows_for(
    conn: BaseDBAsyncClient, skus: set[str], codes: set[str]
) -> tuple[dict[str, Product], dict[str, Location]]:
    """The products and locations lines name, by SKU and code, in one query each."""
    products = {p.sku: p for p in await Product.filter(sku__in=list(skus)).using_db(conn)} if skus else {}
    locations = {loc.code: loc for loc in await Location.filter(code__in=list(codes)).using_db(conn)} if codes else {}
    return products, locations


async def _check_line(
    conn: BaseDBAsyncClient,
    kind: DocumentKind,
    index: int,
    line: LineInput,
    products: dict[str, Product],
    locations: dict[str, Location],
) -> CheckedLine:
    sku = SKU.key(line.sku)
    product = products.get(sku) if sku else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(line.sku)}.", field=_at(index, "sku"))
    unit = UNIT_CODE.clean(line.unit, _at(index, "unit")) if line.unit is not None and line.unit.strip() else None
    quantity = AMOUNT.parse(line.quantity, field=_at(index, "quantity"), allow_zero=False)
    converted = await units.to_base(conn, product, quantity, unit, field=_at(index, "quantity"))
    price = AMOUNT.parse(line.price, field=_at(index, "price")) if line.price is not None else None
    discount = PERCENTAGE.parse(line.discount_percent, field=_at(index, "discountPercent")) if (
        line.discount_percent is not None) else Decimal(0)  # fmt: skip
    location = _bin(line.location, locations, _at(index, "location"))
    if location is None and kind.lines_need_location:
        raise Invalid("Say where the stock is: give the line a location.", field=_at(index, "location"))
    to_location = _bin(line.to_location, locations, _at(index, "toLocation"))
    if to_location is None and kind.lines_need_target:
        raise Invalid("Say where the stock goes: give the line a toLocation.", field=_at(index, "toLocation"))
    if to_location is not None and not kind.lines_need_target:
        raise Invalid(f"The lines of a {kind.title.lower()} go nowhere else: leave toLocation out.",
                      field=_at(index, "toLocation"))  # fmt: skip
    if to_location is not None and to_location == location:
        raise Invalid("The stock is already in that location.", field=_at(index, "toLocation"))
    lot = LOT_CODE.clean(line.lot, _at(index, "lot")) if line.lot is not None and line.lot.strip() else None
    if lot is not None and not product.tracks_lots:
        raise Invalid(f"The product {product.sku} is not tracked by lot.", field=_at(index, "lot"))
    if line.expires_on is not None and lot is None:
        raise Invalid("An expiry date belongs to a lot: give the lot.", field=_at(index, "expiresOn"))
    dates = LotDates(None, line.best_before_on, line.removal_on, line.alert_on)
    if lot is None and dates.given:
        try:
            refuse_dates_without_lot(dates)
        except DomainError as error:
            raise error.at(_at(index, str(error.field))) from None
    notes = (LINE_NOTES.optional(line.notes, _at(index, "notes")) or "") if line.notes is not None else ""
    return CheckedLine(product.sku, converted.quantity, converted.unit, converted.base_quantity, price, discount,
                       location, lot, line.expires_on, notes, to_location, dates.best_before_on, dates.removal_on,
                       dates.alert_on)  # fmt: skip


def _bin(given: str | None, locations: dict[str, Location], field: tuple[str | int, ...]) -> str | None:
    """The code of the real location a line names, or None when it names none."""
    if given is None or not given.strip():
        return None
    code = LOCATION_CODE.key(given)
    found = locations.get(code) if code else None
    if found is None:
        raise NotFound(f"There is no location {shown(given)}.", field=field)
    if found.kind != LocationKind.INTERNAL:
        raise Invalid(f"The location {found.code} cannot hold stock.", field=field)
    return found.code


async def price_lines(
    checked: list[CheckedLine],
    products: dict[str, Product],
    locations: dict[str, Location],
    *,
    party: Party | None,
    currency: str,
    on: date,
    prices_include_tax: bool,
    rounding: str,
    places: int,
    purchase: bool,
) -> tuple[list[PricedLine], taxes.Totals]:
    """Prices (given, or from the party's price list), taxes and totals of the lines."""
    taxes_of = await taxes_for(sorted({products[line.sku].id for line in checked}), party.id if party else None)
    priced: list[PricedLine] = []
    for line in checked:
        product = products[line.sku]
        tax = taxes_of[product.id]
        price = line.price
        if price is None:
            answer = await prices.price(product.id, party.id if party else None, line.quantity, line.unit, on,
                                        currency=currency, purchase=purchase,
                                        base_per_unit=line.base_quantity / line.quantity)  # fmt: skip
            price = _as_document_prices(answer, tax.percent, prices_include_tax)
        location = locations[line.location].id if line.location else None
        priced.append(PricedLine(line, product.id, location, price, tax.code, tax.percent))
    totals = taxes.totals(
        [taxes.TaxableLine(p.checked.quantity, p.price, p.checked.discount_percent, p.tax_percent) for p in priced],
        prices_include_tax=prices_include_tax, rounding=rounding, places=places,
    )  # fmt: skip
    for priced_line, amounts in zip(priced, totals.lines, strict=True):
        priced_line.net, priced_line.tax, priced_line.gross = amounts.net, amounts.tax, amounts.gross
    return priced, totals


def _as_document_prices(answer: prices.PriceAnswer, tax_percent: Decimal, prices_include_tax: bool) -> Decimal:
    """A list price as the document counts prices: a tax-inclusive list price on a document whose
    prices exclude tax is divided by (1 + rate), and the other way round; kept to the column's 4
    places, since the document rounds only its totals to the currency."""
    if answer.source == "none":
        return Decimal(0)
    if answer.prices_include_tax == prices_include_tax:
        return answer.price
    factor = 1 + tax_percent / 100
    converted = answer.price / factor if answer.prices_include_tax else answer.price * factor
    return converted.quantize(AMOUNT.step)
