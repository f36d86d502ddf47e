"""Scalars. ``Decimal`` travels as a string; its value is checked by the service, so a bad
quantity comes back as a ``UserError`` on the field rather than a request error."""

from __future__ import annotations

from decimal import Decimal as PyDecimal
from typing import NewType

import strawberry

Decimal = NewType("Decimal", PyDecimal)

SCALARS = {
    Decimal: strawberry.scalar(
        name="Decimal",
        description='A decimal number as a string, e.g. "12.5"; quantities have at most 4 decimal places.',
        serialize=lambda value: format(PyDecimal(value), "f"),
        parse_value=lambda value: value if isinstance(value, str) else str(value),
    )
}
