"""A scanned code names one thing: no location shares its code with a product's SKU or barcode.

``resolveBarcode`` tries locations first, so a bin coded like a SKU would turn every scan of that
product into a scan of the bin. Whoever claims a code holds it for the rest of its transaction
(an advisory lock on PostgreSQL; SQLite runs one writer at a time), so a product and a location
created at once cannot both take it.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.barcodes import looks_like_gtin
from server.errors import AlreadyExists, Invalid


class CodeOwner(StrEnum):
    LOCATION = "location"  # locations and warehouses (a warehouse's code is its root location's)
    PRODUCT = "product"  # SKUs and free-form barcodes


# What the other kind holds under a code ($n in order: SQLite binds them by position).
_TAKEN_BY_OTHERS = {
    CodeOwner.LOCATION: (
        "SELECT 'the SKU of a product' AS owner FROM product WHERE sku = $1 UNION ALL"
        " SELECT 'a barcode of a product' FROM barcode WHERE normalized = $2 LIMIT 1",
        2,
    ),
    CodeOwner.PRODUCT: ("SELECT 'a location' AS owner FROM location WHERE code = $1 LIMIT 1", 1),
}


async def claim(conn: BaseDBAsyncClient, code: str, owner: CodeOwner, *, field: str) -> None:
    """Hold ``code`` for ``owner`` in this transaction; refuse it when the other kind has it."""
    if owner is CodeOwner.LOCATION and looks_like_gtin(code):
        raise Invalid(f"{code} reads as a GTIN: a scan of it would not find the location.", field=field)
    await sql.lock_name(conn, f"code:{code}")
    query, uses = _TAKEN_BY_OTHERS[owner]
    taken = await sql.fetch_one(conn, query, *[code] * uses)
    if taken is not None:
        raise AlreadyExists(f"{code} is already {taken['owner']}: a scan could not tell them apart.", field=field)
