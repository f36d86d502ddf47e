"""A scanned code names one thing: no two things share a code a scanner can read.

``resolveBarcode`` tries locations first, then barcodes, then SKUs: a bin coded like a SKU would
turn every scan of that product into a scan of the bin, and a barcode equal to another product's
SKU would take over that product's scans. So a location code is never a SKU or a barcode, and
looks like no GTIN or GS1 code naming one; a SKU is never a location code or another product's
barcode; a barcode never a location code or another product's SKU. Whoever claims a code holds it
for the rest of its transaction (an advisory lock on PostgreSQL; SQLite runs one writer at a
time), so two writes at once cannot both take it. A GTIN is locked and compared as GTIN-14, the
form a scan of any of its spellings resolves to.
"""

from __future__ import annotations

from enum import StrEnum

import biip
from biip import ParseError
from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.barcodes import gtin14, looks_like_gtin
from server.errors import AlreadyExists, Invalid


class CodeOwner(StrEnum):
    LOCATION = "location"  # locations and warehouses (a warehouse's code is its root location's)
    SKU = "sku"
    BARCODE = "barcode"  # as normalized: GTIN-14 for a GTIN, the code in capitals otherwise


def _scanned_as(code: str) -> str:
    """The form a scan of ``code`` is looked up by: GTIN-14 for a GTIN, the code itself otherwise."""
    if looks_like_gtin(code):
        try:
            return gtin14(code)
        except Invalid:
            return code
    return code


def _spellings(scanned: str) -> list[str]:
    """Every code a scan reads as ``scanned``: a GTIN-14's shorter forms (its leading zeros dropped)."""
    if not (len(scanned) == 14 and scanned.isascii() and scanned.isdigit()):
        return [scanned]
    return [scanned] + [scanned[cut:] for cut in (1, 2, 6) if scanned[:cut] == "0" * cut]


def _names_a_product(code: str) -> bool:
    """Whether a scan of ``code`` would be read as a GS1 code carrying a GTIN."""
    try:
        message = biip.parse(code).gs1_message
    except (ParseError, ValueError):
        return False
    return message is not None and any(e.ai.ai in ("01", "02") for e in message.element_strings)


async def claim(
    conn: BaseDBAsyncClient, code: str, owner: CodeOwner, *, field: str, product_id: int | None = None
) -> None:
    """Hold ``code`` for ``owner`` (the product ``product_id``) in this transaction; refuse it when
    something else a scan could find has it."""
    if owner is CodeOwner.LOCATION and (looks_like_gtin(code) or _names_a_product(code)):
        raise Invalid(f"{code} reads as a GTIN: a scan of it would not find the location.", field=field)
    scanned = _scanned_as(code)
    await sql.lock_name(conn, f"code:{scanned}")
    spellings = _spellings(scanned)
    others = product_id or 0
    if owner is CodeOwner.LOCATION:
        query = (
            "SELECT 'the SKU of a product' AS owner FROM product WHERE sku = $1 UNION ALL"
            " SELECT 'a barcode of a product' FROM barcode WHERE normalized = $2 LIMIT 1"
        )
        params: list[object] = [code, code]
    elif owner is CodeOwner.SKU:
        query = (
            "SELECT 'a location' AS owner FROM location WHERE code = $1 UNION ALL"
            " SELECT 'a barcode of another product' FROM barcode WHERE normalized = $2 AND product_id <> $3 LIMIT 1"
        )
        params = [code, scanned, others]
    else:
        query = (
            "SELECT 'a location' AS owner FROM location WHERE code = $1 UNION ALL SELECT 'the SKU of another"
            f" product' FROM product WHERE sku IN ({sql.placeholders(2, len(spellings))})"
            f" AND id <> ${len(spellings) + 2} LIMIT 1"
        )
        params = [code, *spellings, others]
    taken = await sql.fetch_one(conn, query, *params)
    if taken is not None:
        raise AlreadyExists(f"{code} is already {taken['owner']}: a scan could not tell them apart.", field=field)
