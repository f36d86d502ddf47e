"""Scalars, each accepting only the form it documents.

``Decimal`` travels as a string; its value is checked by the service, so a bad quantity comes
back as a ``UserError`` on the field rather than a request error (a JSON number is passed on as
it came, for the service to refuse). ``Date`` is ``YYYY-MM-DD`` and nothing else: Python's
``date.fromisoformat`` also takes week dates (``2030-W01-1``) and ``20300101``, which a person
who meant a date never types.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal as PyDecimal
from typing import Any, NewType

import strawberry

from server.text import shown

Decimal = NewType("Decimal", PyDecimal)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: Any) -> datetime.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"Dates are written YYYY-MM-DD, such as 2030-01-31; not {shown(str(value))}.")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a day of the calendar.") from None


SCALARS = {
    Decimal: strawberry.scalar(
        name="Decimal",
        description='A decimal number as a string, e.g. "12.5"; quantities have at most 4 decimal places.',
        serialize=lambda value: format(PyDecimal(value), "f"),
        parse_value=lambda value: value,
    ),
    datetime.date: strawberry.scalar(
        name="Date",
        description="A calendar day, written YYYY-MM-DD.",
        serialize=lambda value: value.isoformat(),
        parse_value=parse_date,
    ),
}
