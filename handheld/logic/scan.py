"""The scan flow: ask the server what a scanned code is and turn the answer into display rows.

Plain Python, no Kivy: the scan screen only forwards the scanner's text and shows a ``ScanResult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from handheld.client import ClientError, GraphQLClient, GraphQLError, NotSignedIn

# A mutation, not the resolveBarcode query: the server keeps every scan in its scan log.
SCAN = """
mutation Scan($input: ScanInput!) {
  scanBarcode(input: $input) {
    resolution {
      code kind message expiresOn
      product { sku name unit barcodes { code } }
      location { code name }
      lot { code expiresOn product { sku name } }
      gs1 { ai title value }
    }
  }
}
"""

STOCK = """
query Stock($sku: String, $locationCode: String, $first: Int) {
  stockLevels(sku: $sku, locationCode: $locationCode, first: $first) {
    edges { node { sku locationCode lotCode expiresOn onHand reserved available } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@dataclass(frozen=True)
class StockRow:
    """One quant as shown: ``place`` is the location (product view) or the SKU (location view).

    ``place_detail`` names the bin in a location view when the scanned location is a zone or warehouse.
    """

    place: str
    lot: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    expires_on: str | None = None
    place_detail: str = ""


@dataclass(frozen=True)
class ScanResult:
    """What the screen shows after a scan. ``kind`` is the server's kind, or EMPTY / ERROR."""

    kind: str
    code: str
    title: str
    subtitle: str = ""
    details: tuple[tuple[str, str], ...] = ()
    place_heading: str = "Location"
    rows: tuple[StockRow, ...] = ()
    more_rows: bool = False
    message: str = ""
    signed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.kind not in ("UNKNOWN", "EMPTY", "ERROR")

    @property
    def total_available(self) -> Decimal:
        return sum((row.available for row in self.rows), Decimal(0))

    def summary(self) -> str:
        """One line for the log: ``PRODUCT SKU-1 Name (2 rows, 30 available)``."""
        if self.kind in ("PRODUCT", "LOCATION", "LOT"):
            head = f"{self.title} {self.subtitle}".strip()
            stock = f"{len(self.rows)} {'row' if len(self.rows) == 1 else 'rows'}"
            return f"{self.kind} {head} ({stock}, {format_quantity(self.total_available)} available)"
        if self.kind in ("EMPTY", "ERROR"):
            return f"{self.kind} {self.message}"
        return f"{self.kind} {self.code!r}: {self.message}"


def format_quantity(value: Decimal) -> str:
    """``Decimal("12.5000")`` → ``12.5``; whole numbers without a decimal point."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def clean_code(raw: str) -> str:
    # A wedge scanner may add CR/LF or a leading FNC1 (GS); inner GS separators of GS1 data stay.
    return raw.strip().strip("\x1d")


class ScanFlow:
    """Resolves one scanned code at a time with the signed-in client."""

    def __init__(self, client: GraphQLClient, *, device: str | None = None, page_size: int = 100) -> None:
        self.client = client
        self.device = device
        self.page_size = page_size

    def scan(self, raw: str) -> ScanResult:
        """Never raises for a user or network mistake: failures come back as an ERROR result."""
        code = clean_code(raw)
        if not code:
            return ScanResult("EMPTY", "", "Nothing scanned", message="Nothing was scanned: scan a barcode.")
        try:
            scanned = {"code": code, "device": self.device}
            resolved = (self.client.execute(SCAN, {"input": scanned}).get("scanBarcode") or {}).get("resolution")
            if not resolved:
                return _unknown(code, "The server did not recognise this code.")
            kind = str(resolved.get("kind") or "UNKNOWN").upper()
            if kind == "PRODUCT" and resolved.get("product"):
                return self._product(code, resolved)
            if kind == "LOCATION" and resolved.get("location"):
                return self._location(code, resolved)
            if kind == "LOT" and resolved.get("lot"):
                return self._lot(code, resolved)
            if kind == "UNKNOWN":
                return _unknown(code, resolved.get("message") or "No product, location or lot has this code.")
            return ScanResult(
                kind,
                code,
                resolved.get("code") or code,
                kind.title(),
                details=_gs1_details(resolved),
                message=resolved.get("message") or "",
            )
        except NotSignedIn as error:
            message = f"Your session has ended: sign in again. ({error.message})"
            return ScanResult("ERROR", code, "Not signed in", message=message, signed_out=True)
        except GraphQLError as error:
            return ScanResult("ERROR", code, "Server error", message=error.message)
        except ClientError as error:
            return ScanResult("ERROR", code, "Server unreachable", message=error.message)

    def _product(self, code: str, resolved: dict[str, Any]) -> ScanResult:
        product = resolved["product"]
        rows, more = self._stock(sku=product["sku"])
        details = [("Unit", product.get("unit") or "")]
        barcodes = [b["code"] for b in product.get("barcodes") or [] if b.get("code")]
        if barcodes:
            details.append(("Barcodes", ", ".join(barcodes)))
        return ScanResult(
            "PRODUCT",
            code,
            product["sku"],
            product.get("name") or "",
            details=(*details, *_gs1_details(resolved)),
            rows=tuple(_row(node, node["locationCode"]) for node in rows),
            more_rows=more,
        )

    def _location(self, code: str, resolved: dict[str, Any]) -> ScanResult:
        location = resolved["location"]
        rows, more = self._stock(location_code=location["code"])
        return ScanResult(
            "LOCATION",
            code,
            location["code"],
            location.get("name") or "",
            place_heading="SKU",
            rows=tuple(_row(node, node["sku"], _bin_below(node, location["code"])) for node in rows),
            more_rows=more,
            message="" if rows else "This location holds no stock.",
        )

    def _lot(self, code: str, resolved: dict[str, Any]) -> ScanResult:
        lot = resolved["lot"]
        product = lot.get("product") or {}
        details: list[tuple[str, str]] = [("Product", f"{product.get('sku', '')} {product.get('name', '')}".strip())]
        details.append(("Expires", lot.get("expiresOn") or resolved.get("expiresOn") or "no expiry date"))
        rows: list[dict[str, Any]] = []
        more = False
        if product.get("sku"):
            all_rows, more = self._stock(sku=product["sku"])
            rows = [node for node in all_rows if node.get("lotCode") == lot["code"]]
        return ScanResult(
            "LOT",
            code,
            lot["code"],
            product.get("sku") or "",
            details=(*details, *_gs1_details(resolved)),
            rows=tuple(_row(node, node["locationCode"]) for node in rows),
            more_rows=more,
        )

    def _stock(self, *, sku: str | None = None, location_code: str | None = None) -> tuple[list[dict[str, Any]], bool]:
        data = self.client.execute(STOCK, {"sku": sku, "locationCode": location_code, "first": self.page_size})
        connection = data.get("stockLevels") or {}
        nodes = [edge["node"] for edge in connection.get("edges") or [] if edge and edge.get("node")]
        nodes.sort(key=lambda node: (node.get("locationCode") or "", node.get("sku") or "", node.get("lotCode") or ""))
        return nodes, bool((connection.get("pageInfo") or {}).get("hasNextPage"))


def _unknown(code: str, message: str) -> ScanResult:
    return ScanResult("UNKNOWN", code, "Unknown code", code, message=message)


def _bin_below(node: dict[str, Any], scanned_location: str) -> str:
    # A warehouse or zone includes the bins below it: name the bin when it is not the one scanned.
    where = node.get("locationCode") or scanned_location
    return "" if where == scanned_location else where


def _gs1_details(resolved: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"({item.get('ai')}) {item.get('title') or ''}".strip(), str(item.get("value") or ""))
        for item in resolved.get("gs1") or []
    )


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _row(node: dict[str, Any], place: str, place_detail: str = "") -> StockRow:
    return StockRow(
        place=place or "",
        place_detail=place_detail,
        lot=node.get("lotCode") or "",
        on_hand=_decimal(node.get("onHand")),
        reserved=_decimal(node.get("reserved")),
        available=_decimal(node.get("available")),
        expires_on=node.get("expiresOn"),
    )
