"""What a scanned code is: a product (by any of its barcodes or its SKU), a location, a lot,
or a GS1 element string (GS1-128, DataMatrix) naming a GTIN with its lot and expiry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import biip
from biip import ParseError
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.barcodes import GTIN_LENGTHS, gtin14
from server.catalog.models import Barcode, Product
from server.clock import now
from server.errors import Invalid
from server.inventory.models import Location, Lot

MAX_SCAN_LENGTH = 512


class CodeKind(StrEnum):
    PRODUCT = "product"
    LOCATION = "location"
    LOT = "lot"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Gs1Element:
    ai: str
    title: str
    value: str


@dataclass
class Resolution:
    code: str
    kind: CodeKind = CodeKind.UNKNOWN
    product: Product | None = None
    location: Location | None = None
    lot: Lot | None = None
    gs1: list[Gs1Element] = field(default_factory=list)
    expires_on: date | None = None
    message: str | None = None


@dataclass(frozen=True)
class ScanInfo:
    """A scan as the handheld read it."""

    code: str
    symbology: str | None = None
    device: str | None = None


async def record_scan(conn: BaseDBAsyncClient, scan: ScanInfo, *, user_id: int | None, move_id: int | None) -> None:
    """Keep the scan in the scan log, on ``conn`` (the transaction of the move it caused, if any)."""
    await sql.execute(
        conn,
        "INSERT INTO scan (code, symbology, device, user_id, move_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        scan.code[:MAX_SCAN_LENGTH],
        (scan.symbology or None) and scan.symbology[:32],
        (scan.device or None) and scan.device[:64],
        user_id,
        move_id,
        now(),
    )


async def scan(info: ScanInfo, *, user_id: int | None) -> Resolution:
    """A lookup scan: what the code is, kept in the scan log with who scanned it on which device."""
    try:
        return await resolve(info.code)
    finally:  # kept even if resolving failed
        async with in_transaction() as conn:
            await record_scan(conn, info, user_id=user_id, move_id=None)


async def resolve(code: str) -> Resolution:
    code = code.strip()
    result = Resolution(code=code)
    if not code:
        result.message = "The code is empty."
        return result
    if len(code) > MAX_SCAN_LENGTH or (not code.isprintable() and "\x1d" not in code):
        result.message = "The code is not readable text."
        return result
    if (location := await Location.get_or_none(code=code)) is not None:
        result.kind, result.location = CodeKind.LOCATION, location
        return result
    if code.isdigit() and len(code) in GTIN_LENGTHS:
        try:
            normalized = gtin14(code)
        except Invalid as error:
            result.message = error.message
            return result
        return await _by_barcode(result, normalized)
    barcode = await Barcode.get_or_none(normalized=code).select_related("product")
    if barcode is not None:
        result.kind, result.product = CodeKind.PRODUCT, barcode.product
        return result
    if (product := await Product.get_or_none(sku=code)) is not None:
        result.kind, result.product = CodeKind.PRODUCT, product
        return result
    if await _by_gs1(result):
        return result
    lots = await Lot.filter(code=code).select_related("product").limit(2)
    if len(lots) == 1:
        result.kind, result.lot, result.product = CodeKind.LOT, lots[0], lots[0].product
        result.expires_on = lots[0].expires_on
        return result
    result.message = "Several products have a lot with this code." if lots else "Nothing is known by this code."
    return result


async def _by_barcode(result: Resolution, normalized: str) -> Resolution:
    barcode = await Barcode.get_or_none(normalized=normalized).select_related("product")
    if barcode is None:
        result.message = "No product has this GTIN."
    else:
        result.kind, result.product = CodeKind.PRODUCT, barcode.product
    return result


async def _by_gs1(result: Resolution) -> bool:
    """Parse a GS1 element string; True when it named something we know (or said why not)."""
    try:
        parsed = biip.parse(result.code)
    except ParseError:
        return False
    message = parsed.gs1_message
    if message is None:
        return False
    result.gs1 = [Gs1Element(ai=e.ai.ai, title=e.ai.data_title, value=e.value) for e in message.element_strings]
    values = {e.ai: e for e in result.gs1}
    expiry = next((e.date for e in message.element_strings if e.ai.ai == "17" and e.date), None)
    result.expires_on = expiry
    if "01" not in values and "02" not in values:
        result.message = "The GS1 code names no product (no GTIN)."
        return True
    gtin = (values.get("01") or values["02"]).value
    try:
        normalized = gtin14(gtin)
    except Invalid as error:
        result.message = error.message
        return True
    await _by_barcode(result, normalized)
    if result.product is not None and "10" in values:
        lot = await Lot.get_or_none(product_id=result.product.id, code=values["10"].value)
        if lot is not None:
            result.kind, result.lot = CodeKind.LOT, lot
            result.expires_on = lot.expires_on or expiry
    return True
