"""The formats of a party's facts that are not plain text: emails, phones, countries, currencies,
percentages, amounts and day counts. Each check takes what a caller sent and the field it came in,
and answers the value to store or an ``Invalid`` naming that field."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from server.errors import Invalid
from server.numbers import NumberKind
from server.partners.countries import COUNTRIES
from server.text import Code, Text

Field = str | tuple[str | int, ...]
E = TypeVar("E", bound=StrEnum)

MAX_DAYS = 3650  # ten years: longer terms or lead times are typing mistakes
MAX_EMAIL_LENGTH = 254  # what fits in SMTP's forward path
# The local part as people really write it (RFC 5322's dot-atom), the domain as DNS names (IDNs as punycode).
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]"
)
_PHONE = re.compile(r"\+?[0-9 ().-]+")
MIN_PHONE_DIGITS, MAX_PHONE_DIGITS = 6, 15  # 15: the longest number E.164 allows
MAX_PHONE_LENGTH = 32  # the column; room for spaces and punctuation around 15 digits
_CURRENCY = re.compile(r"[A-Z]{3}")


def given(value: object) -> bool:
    """Whether an optional fact was sent with something in it (an empty or blank string clears it)."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def lines(value: object) -> object:
    """Text of several lines as a browser may send it (CR LF) with the line ends stored (LF)."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def text(spec: Text | Code, value: object, field: Field) -> str:
    """``spec.clean`` for a field that may be a path (``("contacts", 2, "name")``)."""
    return spec.clean(value, field)  # type: ignore[arg-type]


def optional_text(spec: Text, value: object, field: Field) -> str | None:
    return spec.optional(value, field)  # type: ignore[arg-type]


def email(value: object, field: Field) -> str:
    """An address in lower case (``Ana@Example.COM`` and ``ana@example.com`` are one address to a person)."""
    text = value.strip().lower() if isinstance(value, str) and len(value) <= 4 * MAX_EMAIL_LENGTH else None
    if text is None or len(text) > MAX_EMAIL_LENGTH or len(text.partition("@")[0]) > 64 or not _EMAIL.fullmatch(text):
        raise Invalid("An email address looks like name@example.com (at most 254 characters).", field=field)
    return text


def phone(value: object, field: Field) -> tuple[str, str]:
    """The number as written, and its digits alone (what a search compares)."""
    text = value.strip() if isinstance(value, str) and len(value) <= 4 * MAX_PHONE_LENGTH else None
    digits = "".join(char for char in text if char.isascii() and char.isdigit()) if text else ""
    if (
        text is None
        or len(text) > MAX_PHONE_LENGTH
        or not _PHONE.fullmatch(text)
        or not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS
    ):
        raise Invalid(
            f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits, written with spaces, '+', '-',"
            " '(', ')' or '.' at most.",
            field=field,
        )
    return text, digits


def search_digits(search: str) -> str | None:
    """The digits of a search, when it has enough of them to be meant as (part of) a phone number."""
    digits = "".join(char for char in search if char.isascii() and char.isdigit())
    return digits if len(digits) >= 3 else None


def country(value: object, field: Field) -> str:
    """An ISO 3166-1 alpha-2 code, in capitals."""
    code = value.strip().upper() if isinstance(value, str) and len(value) <= 8 else None
    if code not in COUNTRIES:
        raise Invalid("A country is its ISO 3166-1 code of two letters, such as ES or DE.", field=field)
    return code


def currency(value: object, field: Field) -> str:
    """An ISO 4217 code: three letters, kept in capitals (which ones exist is the money area's business)."""
    code = value.strip().upper() if isinstance(value, str) and len(value) <= 8 else None
    if code is None or not code.isascii() or not _CURRENCY.fullmatch(code):
        raise Invalid("A currency is its ISO 4217 code of three letters, such as EUR.", field=field)
    return code


def days(value: object, field: Field, label: str = "number of days") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DAYS:
        raise Invalid(f"The {label} is a whole number from 0 to {MAX_DAYS}.", field=field)
    return value


def decimal(value: object, field: Field, *, label: str, places: int, below: Decimal) -> Decimal:
    """A non-negative number in the one form numbers are sent (``server.numbers``)."""
    return NumberKind(label, places, below).parse(value, field=field)


def percent(value: object, field: Field, label: str = "percentage") -> Decimal:
    return NumberKind(label, 2, Decimal(100), inclusive=True).parse(value, field=field)


def choice(kind: type[E], value: object, field: Field) -> E:
    """One of an enum's values (the API sends its members; a service caller may send the value)."""
    try:
        return kind(value if isinstance(value, str) else "")
    except ValueError:
        raise Invalid(f"Choose one of {', '.join(m.value for m in kind)}.", field=field) from None


def bounded_list(values: object, field: Field, *, most: int, label: str) -> list[object]:
    if not isinstance(values, list | tuple):
        raise Invalid(f"The {label} are a list.", field=field)
    if len(values) > most:
        raise Invalid(f"At most {most} {label}.", field=field)
    return list(values)
