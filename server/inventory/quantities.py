"""Quantities: Decimal, at most four places, positive and below what a column can hold."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from server.errors import Invalid

PLACES = 4
STEP = Decimal(1).scaleb(-PLACES)
# NUMERIC(18, 4) holds 14 digits before the point; keep a margin so sums cannot overflow.
MAX_QUANTITY = Decimal(10) ** 12


def parse(value: object, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity from input; refuses non-numbers, NaN, zero (unless allowed), negatives and excess."""
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid(f"{value!r} is not a number.", field=field) from None
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
