"""Numbers from input: quantities, amounts and percentages, as strings of digits and nothing else.

Callers send a number as a string of ASCII digits with an optional point ("12", "0.5"), the
one form the API documents: no exponents, underscores, other scripts' digits or JSON numbers
(a float has already lost what the caller meant by the time it arrives). Each kind says how many
places it keeps and how large it may be; a value written with more places is refused, never
rounded, since the caller then meant something the system cannot keep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from server.errors import Field, Invalid
from server.text import shown

_FORM = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_LONGEST = 40  # digits beyond this are over any maximum or past any places anyway


@dataclass(frozen=True)
class NumberKind:
    what: str  # "quantity", "amount", "percentage"
    places: int
    maximum: Decimal  # exclusive, unless ``inclusive``
    inclusive: bool = False

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-self.places)

    def _over(self, value: Decimal) -> bool:
        return value > self.maximum if self.inclusive else value >= self.maximum

    def parse(self, value: object, *, field: Field, allow_zero: bool = True) -> Decimal:
        """The number, checked; refuses other forms, negatives, zero (unless allowed) and excess."""
        limit = f"{'at most' if self.inclusive else 'less than'} {self.maximum:,}"
        if isinstance(value, Decimal):
            number = value
        elif not isinstance(value, str):
            raise Invalid(f'A {self.what} is sent as a string of digits, such as "12" or "0.5".', field=field)
        elif len(value) > _LONGEST and _FORM.fullmatch(value[:_LONGEST]):
            raise Invalid(f"The {self.what} must be {limit} with at most {self.places} places.", field=field)
        elif not _FORM.fullmatch(value):
            raise Invalid(f'{shown(value)} is not a {self.what}: write it as digits, such as "12" or "0.5".',
                          field=field)  # fmt: skip
        elif value.startswith("-"):  # "-0" too: a sign says the caller meant something else than zero
            raise Invalid(f"The {self.what} must not be negative.", field=field)
        elif len(value.partition(".")[2]) > self.places:  # "1.00000" is written with more places than kept
            raise Invalid(f"The {self.what} has more than {self.places} decimal places.", field=field)
        else:
            number = Decimal(value)
        if not number.is_finite():
            raise Invalid(f"The {self.what} must be a finite number.", field=field)
        if number < 0 or (number == 0 and not allow_zero):
            wanted = "greater than zero" if not allow_zero else "zero or more"
            raise Invalid(f"The {self.what} must be {wanted}.", field=field)
        if self._over(number):
            raise Invalid(f"The {self.what} must be {limit}.", field=field)
        if number != number.quantize(self.step):
            raise Invalid(f"The {self.what} has more than {self.places} decimal places.", field=field)
        return number.quantize(self.step)

    def from_db(self, value: object) -> Decimal:
        """A stored number (SQLite hands back text or a float-free string, PostgreSQL a Decimal)."""
        return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(self.step)


# NUMERIC(18, 4) holds 14 digits before the point; keep a margin so sums cannot overflow.
QUANTITY = NumberKind("quantity", 4, Decimal(10) ** 12)
AMOUNT = NumberKind("amount", 4, Decimal(10) ** 12)
PERCENTAGE = NumberKind("percentage", 2, Decimal(100), inclusive=True)
