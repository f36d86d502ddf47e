"""Quantities: Decimal, at most four places, positive and below what a column can hold.

Callers send a quantity as a string of ASCII digits with an optional point ("12", "0.5"), the
one form the API documents: no exponents, underscores, other scripts' digits or JSON numbers
(a float has already lost what the caller meant by the time it arrives).
"""

from __future__ import annotations

import re
from decimal import Decimal

from server.errors import Invalid
from server.text import shown

PLACES = 4
STEP = Decimal(1).scaleb(-PLACES)
# NUMERIC(18, 4) holds 14 digits before the point; keep a margin so sums cannot overflow.
MAX_QUANTITY = Decimal(10) ** 12
_FORM = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_LONGEST = 40  # digits beyond this are over MAX_QUANTITY or past PLACES anyway


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise Invalid('A quantity is sent as a string of digits, such as "12" or "0.5".', field=field)
    if len(value) > _LONGEST and _FORM.fullmatch(value[:_LONGEST]):
        raise Invalid(f"The quantity must be less than {MAX_QUANTITY:,} with at most {PLACES} places.", field=field)
    if not _FORM.fullmatch(value):
        raise Invalid(f'{shown(value)} is not a quantity: write it as digits, such as "12" or "0.5".', field=field)
    if value.startswith("-"):  # "-0" too: a sign says the caller meant something else than zero
        raise Invalid("The quantity must not be negative.", field=field)
    if len(value.partition(".")[2]) > PLACES:  # "1.00000" is written with more places than kept
        raise Invalid(f"The quantity has more than {PLACES} decimal places.", field=field)
    return Decimal(value)


def parse(value: object, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity from input; refuses other forms, zero (unless allowed), negatives and excess."""
    quantity = _decimal(value, field)
    if not quantity.is_finite():
        raise Invalid("The quantity must be a finite number.", field=field)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise Invalid(
            "The quantity must be greater than zero." if not allow_zero else "The quantity must not be negative.",
            field=field,
        )
    if quantity >= MAX_QUANTITY:
        raise Invalid(f"The quantity must be less than {MAX_QUANTITY:,}.", field=field)
    if quantity != quantity.quantize(STEP):
        raise Invalid(f"The quantity has more than {PLACES} decimal places.", field=field)
    return quantity.quantize(STEP)


def from_db(value: object) -> Decimal:
    """A stored quantity (SQLite hands back text, PostgreSQL a Decimal)."""
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(STEP)
