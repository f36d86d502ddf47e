"""What a scanned code is: a product (by any of its barcodes or its SKU), a location, a lot,
or a GS1 element string (GS1-128, DataMatrix) naming a GTIN with its lot or serial and their dates."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import biip
from biip import ParseError
from biip.sscc import Sscc
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.barcodes import gtin14, looks_like_gtin
from server.catalog.models import BARCODE, SKU, Barcode, Packaging, Product
from server.clock import now
from server.commands import Command, Effect, Write, execute
from server.errors import Invalid
from server.inventory.models import LOCATION_CODE, LOT_CODE, Location, Lot, Package
from server.inventory.quantities import STEP
from server.scanning import gs1
from server.scanning.models import DEVICE, LOGGED_CODE_LENGTH, SYMBOLOGY, Scan
from server.text import for_log, storable

# The longest code a symbology holds (a QR code in numeric mode); longer is no scan.
MAX_SCAN_LENGTH = 7089
# A GS1 label carries a handful of elements (GTIN, lot, dates, serial, quantity ...); far more is no label.
MAX_GS1_ELEMENTS = 32


class CodeKind(StrEnum):
    PRODUCT = "product"
    LOCATION = "location"
    LOT = "lot"
    PACKAGE = "package"  # a package or pallet, by the SSCC on its label
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
    packaging: Packaging | None = None  # the packaging level whose barcode it is (a case's GTIN)
    # Base units the scan stands for: the packaging level's quantity, times a GS1 count (AI 30 or 37)
    # when the label carries one; None when the code says nothing of a quantity.
    quantity: Decimal | None = None
    location: Location | None = None
    lot: Lot | None = None
    gs1: list[Gs1Element] = field(default_factory=list)
    expires_on: date | None = None
    # From a GS1 label: the lot to receive into (the serial, AI 21, for a serial-tracked product, else the
    # lot, AI 10), the serial itself, and the best-before date (AI 15); the known lot's own dates win.
    lot_code: str | None = None
    serial: str | None = None
    best_before_on: date | None = None
    message: str | None = None
    package: Package | None = None  # the package whose SSCC it is (AI 00, or the 18 digits alone)


@dataclass(frozen=True)
class ScanInfo:
    """A scan as the handheld read it."""

    code: str
    symbology: str | None = None
    device: str | None = None
    scanned_at: datetime | None = None  # when the device read it: what a posting it causes is dated

    @classmethod
    def of(
        cls, code: str, symbology: str | None = None, device: str | None = None, scanned_at: datetime | None = None
    ) -> ScanInfo:
        """A scan as a caller describes it: the code is kept whatever it holds; the rest is checked."""
        return cls(
            code=code,
            symbology=SYMBOLOGY.optional(symbology, "scan.symbology") if symbology is not None else None,
            device=DEVICE.optional(device, "scan.device") if device is not None else None,
            scanned_at=_scan_time(scanned_at) if scanned_at is not None else None,
        )


# A device's clock may run a little ahead; a scan from further ahead is a wrong clock, not a scan.
CLOCK_SKEW = timedelta(minutes=5)


def _scan_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise Invalid("Say the scan's time zone: 2026-11-23T09:30:00+01:00, or Z for UTC.", field="scan.scannedAt")
    if value > now() + CLOCK_SKEW:
        raise Invalid("The scan's time is in the future: check the device's clock.", field="scan.scannedAt")
    if value.year < 2000:
        raise Invalid("The scan's time is before 2000: check the device's clock.", field="scan.scannedAt")
    # In UTC, as every stored time is: lock dates and valuation days are UTC days, and SQLite compares the text.
    return value.astimezone(UTC)


async def record_scan(
    conn: BaseDBAsyncClient,
    scan: ScanInfo,
    *,
    user_id: int | None,
    move_id: int | None,
    deferred: list[sql.Statement] | None = None,
) -> None:
    """Keep the scan in the scan log, on ``conn`` (the transaction of the move it caused, if any); left in
    ``deferred`` for the command's last statement when given."""
    insert = "INSERT INTO scan (code, symbology, device, user_id, move_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    params = (
        for_log(scan.code, LOGGED_CODE_LENGTH),
        scan.symbology or None,
        scan.device or None,
        user_id,
        move_id,
        now(),
    )
    await sql.write_or_defer(conn, (insert, params), deferred)


def scan_log(*, device: str | None = None) -> QuerySet[Scan]:
    """The scan log, of one device or all; a device name no scan can carry finds none."""
    query = Scan.all().select_related("user")
    if device is not None:
        query = query.filter(device=DEVICE.key(device)) if DEVICE.key(device) else query.filter(id__in=[])
    return query


@dataclass(frozen=True)
class LogScan(Command):
    operation = "scan.log"
    code: str
    symbology: str | None
    device: str | None


async def scan(info: ScanInfo, *, user_id: int | None) -> Resolution:
    """A lookup scan: what the code is, kept in the scan log with who scanned it on which device."""

    async def run(write: Write) -> None:
        await record_scan(write.conn, info, user_id=write.actor_id, move_id=None)

    command = LogScan(for_log(info.code, LOGGED_CODE_LENGTH), info.symbology, info.device)
    try:
        return await resolve(info.code)
    finally:  # kept even if resolving failed; the scan log is its own record, not audited twice
        await execute(command, Effect(run, None), actor_id=user_id)


async def resolve(code: str) -> Resolution:
    """What ``code`` names. Any string is a fair question: one no row can hold is simply unknown."""
    code = code.strip()
    # Echoed as read, but storable: a lone surrogate (WebSocket JSON lets one in) would make the answer no JSON.
    result = Resolution(code=storable(code[:MAX_SCAN_LENGTH]))
    if not code:
        result.message = "The code is empty."
        return result
    if len(code) > MAX_SCAN_LENGTH:
        result.message = f"The code is longer than any barcode holds ({MAX_SCAN_LENGTH} characters)."
        return result
    if (location_code := LOCATION_CODE.key(code)) is not None:
        if (location := await Location.get_or_none(code=location_code)) is not None:
            result.kind, result.location = CodeKind.LOCATION, location
            return result
    if await _by_sscc(result, code):
        return result
    typed = unicodedata.normalize("NFKC", code) if not code.isascii() else code
    if looks_like_gtin(typed):
        try:
            normalized = gtin14(typed)
        except Invalid as error:
            result.message = error.message
            return result
        return await _by_barcode(result, normalized)
    if (barcode_key := BARCODE.key(code)) is not None:
        barcode = await Barcode.get_or_none(normalized=barcode_key).select_related("product", "packaging")
        if barcode is not None:
            _found(result, barcode)
            return result
    if (sku := SKU.key(code)) is not None and (product := await Product.get_or_none(sku=sku)) is not None:
        result.kind, result.product = CodeKind.PRODUCT, product
        return result
    if await _by_gs1(result):
        return result
    lot_code = LOT_CODE.key(code)
    lots = await Lot.filter(code=lot_code).select_related("product").limit(2) if lot_code else []
    if len(lots) == 1:
        result.kind, result.product = CodeKind.LOT, lots[0].product
        _known_lot(result, lots[0])
        return result
    result.message = "Several products have a lot with this code." if lots else "Nothing is known by this code."
    return result


def _found(result: Resolution, barcode: Barcode, count: int | None = None) -> None:
    """The product a barcode names; for a packaging level's, that level and the base units it holds."""
    result.kind, result.product = CodeKind.PRODUCT, barcode.product
    result.packaging = barcode.packaging
    per_item = Decimal(barcode.packaging.quantity) if barcode.packaging is not None else None
    if count is not None:
        result.quantity = ((per_item or Decimal(1)) * count).quantize(STEP)
    else:
        result.quantity = per_item


async def _by_barcode(result: Resolution, normalized: str, count: int | None = None) -> Resolution:
    barcode = await Barcode.get_or_none(normalized=normalized).select_related("product", "packaging")
    if barcode is None:
        result.message = "No product has this GTIN."
    else:
        _found(result, barcode, count)
    return result


def _count(values: dict[str, Gs1Element]) -> int | None:
    """The count of items a GS1 label carries: (30) variable count or (37) count of trade items."""
    element = values.get("30") or values.get("37")
    if element is None or not (element.value.isascii() and element.value.isdigit()) or int(element.value) == 0:
        return None
    return int(element.value)


async def _by_gs1(result: Resolution) -> bool:
    """Parse a GS1 element string; True when it named something we know (or said why not)."""
    try:
        element_string = gs1.element_string(result.code)  # bracketed GS1 or a Digital Link URL
    except Invalid as error:
        result.message = error.message
        return True
    try:
        message = biip.parse(element_string or result.code).gs1_message
    except (ParseError, ValueError):  # hostile input is normal input: not GS1, then
        message = None
    if message is None:
        if element_string is not None:  # it was written as GS1, so say so rather than "unknown"
            result.message = "The GS1 data in this code is malformed: a value does not fit its (AI)."
        return element_string is not None
    if len(message.element_strings) > MAX_GS1_ELEMENTS:
        result.message = f"The code holds more than {MAX_GS1_ELEMENTS} GS1 elements: no label does."
        return True
    result.gs1 = [Gs1Element(ai=e.ai.ai, title=e.ai.data_title, value=e.value) for e in message.element_strings]
    values = {e.ai: e for e in result.gs1}
    if "00" in values and await _by_sscc(result, values["00"].value, on_label=True):
        return True
    dated = {e.ai.ai: e.date for e in message.element_strings if e.date is not None}
    result.expires_on, result.best_before_on = dated.get("17"), dated.get("15")
    lot_on_label = LOT_CODE.key(values["10"].value) if "10" in values else None
    result.serial = LOT_CODE.key(values["21"].value) if "21" in values else None
    result.lot_code = lot_on_label or result.serial
    if "01" not in values and "02" not in values:
        result.message = "The GS1 code names no product (no GTIN)."
        return True
    gtin = (values.get("01") or values["02"]).value
    try:
        normalized = gtin14(gtin)
    except Invalid as error:
        result.message = error.message
        return True
    await _by_barcode(result, normalized, _count(values))
    if result.product is not None and result.product.tracks_serials:
        result.lot_code = result.serial  # a serial product's lots are its serials
    if result.product is not None and result.lot_code is not None:
        lot = await Lot.get_or_none(product_id=result.product.id, code=result.lot_code)
        if lot is not None:
            result.kind = CodeKind.LOT
            _known_lot(result, lot)
    return True


async def _by_sscc(result: Resolution, code: str, *, on_label: bool = False) -> bool:
    """An SSCC (GS1 AI 00, or its 18 digits alone) that labels a package; on a GS1 label, one that labels
    none is said so, unless the label names a product too."""
    if len(code) != 18 or not (code.isascii() and code.isdigit()):
        return False
    package = await Package.get_or_none(sscc=code)
    if package is not None:
        result.kind, result.package = CodeKind.PACKAGE, package
        return True
    if on_label and not any(element.ai in ("01", "02") for element in result.gs1):
        try:
            Sscc.parse(code)
            result.message = "No package has this SSCC: register its label first (createPackage)."
        except ParseError:
            result.message = "This SSCC's last digit is not its check digit: scan it again, or type it."
        return True
    return False


def _known_lot(result: Resolution, lot: Lot) -> None:
    """The lot a code names, with the dates it was received with (a label's dates only where it has none)."""
    result.lot, result.lot_code = lot, lot.code
    result.expires_on = lot.expires_on or result.expires_on
    result.best_before_on = lot.best_before_on or result.best_before_on


async def scans_by_ids(ids: list[int]) -> list[Scan]:
    """Scans of the log with these ids, with who scanned them."""
    return await Scan.filter(id__in=ids).select_related("user")
