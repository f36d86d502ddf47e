"""What a product barcode is: a GTIN (with a valid check digit) or a free-form code."""

from __future__ import annotations

from dataclasses import dataclass

from biip import ParseError
from biip.gtin import Gtin

from server.catalog.models import BARCODE
from server.errors import Invalid

GTIN_LENGTHS = (8, 12, 13, 14)
MAX_BARCODES_PER_PRODUCT = 20  # a product's barcodes are a short list, never paged


@dataclass(frozen=True)
class ProductCode:
    code: str
    normalized: str
    kind: str


def looks_like_gtin(code: str) -> bool:
    """ASCII digits of a GTIN's length (other scripts' digits are not a GTIN, however they read)."""
    return code.isascii() and code.isdigit() and len(code) in GTIN_LENGTHS


def classify(code: str, *, field: str = "barcodes") -> ProductCode:
    """Validate a code given for a product; digits of a GTIN's length must be a valid GTIN."""
    canonical = BARCODE.clean(code, field)
    if looks_like_gtin(canonical):
        return ProductCode(canonical, gtin14(canonical, field=field), "gtin")
    return ProductCode(canonical, canonical, "other")


def gtin14(code: str, *, field: str = "barcodes") -> str:
    if not code.isascii() or not code.isdigit():
        raise Invalid(f"{code} is not a valid GTIN: a GTIN has ASCII digits only.", field=field)
    try:
        return Gtin.parse(code).as_gtin_14()
    except ParseError as error:
        raise Invalid(f"{code} is not a valid GTIN: {error}", field=field) from None
