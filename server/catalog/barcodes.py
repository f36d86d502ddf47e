"""What a product barcode is: a GTIN (with a valid check digit) or a free-form code."""

from __future__ import annotations

from dataclasses import dataclass

from biip import ParseError
from biip.gtin import Gtin

from server.errors import Invalid

GTIN_LENGTHS = (8, 12, 13, 14)
MAX_CODE_LENGTH = 64


@dataclass(frozen=True)
class ProductCode:
    code: str
    normalized: str
    kind: str


def classify(code: str, *, field: str = "barcodes") -> ProductCode:
    """Validate a code given for a product; digits of a GTIN's length must be a valid GTIN."""
    code = code.strip()
    if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable() or any(c.isspace() for c in code):
        raise Invalid(f"A barcode must be 1 to {MAX_CODE_LENGTH} printable characters without spaces.", field=field)
    if code.isdigit() and len(code) in GTIN_LENGTHS:
        return ProductCode(code, gtin14(code, field=field), "gtin")
    return ProductCode(code, code, "other")


def gtin14(code: str, *, field: str = "barcodes") -> str:
    try:
        return Gtin.parse(code).as_gtin_14()
    except ParseError as error:
        raise Invalid(f"{code} is not a valid GTIN: {error}", field=field) from None
