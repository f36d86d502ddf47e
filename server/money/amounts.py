"""Money, percents and rates from input, in the one form numbers are sent (``server.numbers``),
with the places and limits of the money area's columns; and the periods and bounded whole numbers
its inputs have."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from server.errors import Field, Invalid
from server.money.models import PERCENT_PLACES, RATE_PLACES
from server.numbers import QUANTITY, NumberKind
from server.partners.models import MONEY_PLACES

MAX_MONEY = Decimal(10) ** 12  # NUMERIC(18, 4) holds 14 digits before the point: a margin for totals
MAX_RATE = Decimal(10) ** 9  # NUMERIC(18, 8) holds 10
MAX_PERCENT = Decimal(100)
MAX_PRIORITY = 1000
MAX_LEAD_TIME_DAYS = 3650


MONEY = NumberKind("price", MONEY_PLACES, MAX_MONEY)  # a price per unit may have more places than the currency
PERCENT = NumberKind("percent", PERCENT_PLACES, MAX_PERCENT, inclusive=True)
RATE = NumberKind("rate", RATE_PLACES, MAX_RATE)


def money(value: object, field: Field = "price") -> Decimal:
    """An amount of money: zero or more, at most 4 places."""
    return MONEY.parse(value, field=field)


def percent(value: object, field: Field = "percent") -> Decimal:
    """A percentage from 0 to 100."""
    return PERCENT.parse(value, field=field)


def rate(value: object, field: Field = "rate") -> Decimal:
    """An exchange rate: more than zero, at most 8 places."""
    return RATE.parse(value, field=field, allow_zero=False)


def quantity(value: object, field: Field = "quantity", *, allow_zero: bool = False) -> Decimal:
    return QUANTITY.parse(value, field=field, allow_zero=allow_zero)


def bounded_int(value: object, low: int, high: int, what: str, field: Field) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(f"The {what} must be a whole number from {low} to {high}.", field=field)
    return value


def period(valid_from: date | None, valid_to: date | None, field: Field = "validTo") -> tuple[date | None, date | None]:
    """A period of validity, both ends included; the end may not come before the start."""
    for value in (valid_from, valid_to):
        if value is not None and not isinstance(value, date):
            raise Invalid("Dates are written YYYY-MM-DD.", field=field)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise Invalid(f"The period ends ({valid_to}) before it starts ({valid_from}).", field=field)
    return valid_from, valid_to


def plain(number: Decimal) -> str:
    """``number`` as a person writes it: 10 rather than 10.0000, 2.5 rather than 2.5000."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
