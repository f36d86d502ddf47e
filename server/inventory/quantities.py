"""Quantities: Decimal, at most four places, positive and below what a column can hold (see
``server.numbers`` for the one form they are written in)."""

from __future__ import annotations

from decimal import Decimal

from server.numbers import QUANTITY, Field

PLACES = QUANTITY.places
STEP = QUANTITY.step
MAX_QUANTITY = QUANTITY.maximum


def parse(value: object, *, field: Field = "quantity", allow_zero: bool = False) -> Decimal:
    """A quantity from input; refuses other forms, zero (unless allowed), negatives and excess."""
    return QUANTITY.parse(value, field=field, allow_zero=allow_zero)


def from_db(value: object) -> Decimal:
    """A stored quantity (SQLite hands back text, PostgreSQL a Decimal)."""
    return QUANTITY.from_db(value)
