"""The lookup flow: what a scanned code is and where its stock is, in the chosen warehouse.

Plain Python, no Kivy: the lookup screen forwards the scanner's code and shows a ``ScanResult``.
Every answer echoes the code as read and says in plain words what went wrong; while the server is
away, the last answer the device got for the code is shown, marked with its age, and the scan is
kept to be sent later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from handheld.client import ClientError, GraphQLError, NotSignedIn, Unreachable
from handheld.logic.cache import LookupCache
from handheld.logic.courier import Courier
from handheld.logic.quantity import format_quantity
from handheld.logic.resolution import Resolution, clean_code, display_code, resolve

STOCK = """
query Stock($sku: String, $locationCode: String, $warehouseCode: String, $first: Int) {
  stockLevels(sku: $sku, locationCode: $locationCode, warehouseCode: $warehouseCode, first: $first) {
    edges { node { sku locationCode lotCode expiresOn onHand reserved available } }
    pageInfo { hasNextPage }
  }
}
"""
GOOD, BAD, WARN, QUIET = "good", "bad", "warn", "quiet"
FOUND = ("PRODUCT", "LOCATION", "LOT", "PACKAGE")


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
    """What the screen shows after a scan. ``kind`` is the server's kind, or EMPTY / ERROR.

    ``feedback`` is how it should feel: ``good`` (found), ``bad`` (unknown, misread, refused),
    ``warn`` (an old answer while offline, a bin of another warehouse) or ``quiet``. ``as_of`` is
    set when the answer comes from the device's memory; ``kept`` when the scan waits to be sent.
    """

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
    feedback: str = QUIET
    warehouse: str = ""
    as_of: str = ""
    kept: bool = False

    @property
    def ok(self) -> bool:
        return self.kind in FOUND

    @property
    def echo(self) -> str:
        return display_code(self.code)

    @property
    def total_available(self) -> Decimal:
        return sum((row.available for row in self.rows), Decimal(0))

    @property
    def big_number(self) -> str:
        """The available quantity, the screen's biggest text (products and lots only)."""
        return format_quantity(self.total_available) if self.kind in ("PRODUCT", "LOT") else ""

    def summary(self) -> str:
        """One line for the log: ``PRODUCT SKU-1 Name (2 rows, 30 available) code '...'``."""
        if self.kind == "PACKAGE":
            holds = dict(self.details).get("Holds", "")
            line = f"PACKAGE {self.title} {self.subtitle} (holds {holds})"
        elif self.kind in FOUND:
            head = f"{self.title} {self.subtitle}".strip()
            stock = f"{len(self.rows)} {'row' if len(self.rows) == 1 else 'rows'}"
            line = f"{self.kind} {head} ({stock}, {format_quantity(self.total_available)} available)"
        elif self.kind == "EMPTY":
            line = f"EMPTY {self.message}"
        else:
            line = f"{self.kind} {self.echo!r}: {self.title}: {self.message}"
        ais = [(label[1:].split(")")[0], value) for label, value in self.details if label.startswith("(")]
        gs1 = " ".join(f"{ai}={value}" for ai, value in ais)
        extras = [f"code {self.echo!r}", f"feedback {self.feedback}"]
        extras += [f"gs1 {gs1}"] if gs1 else []
        extras += [f"as of {self.as_of}"] if self.as_of else []
        extras += ["kept for later"] if self.kept else []
        return f"{line} [{'; '.join(extras)}]"

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["rows"] = [{**row, **{k: str(row[k]) for k in ("on_hand", "reserved", "available")}} for row in raw["rows"]]
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ScanResult:
        rows = tuple(
            StockRow(**{**row, **{k: _decimal(row[k]) for k in ("on_hand", "reserved", "available")}})
            for row in raw.get("rows") or []
        )
        details = tuple((str(label), str(value)) for label, value in raw.get("details") or [])
        known = {f.name for f in fields(cls)}  # an answer kept by an older version may differ
        return cls(**{**{k: v for k, v in raw.items() if k in known}, "rows": rows, "details": details})


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


class ScanFlow:
    """Resolves one scanned code at a time through the courier, scoped to one warehouse."""

    def __init__(
        self,
        courier: Courier,
        *,
        warehouse: str = "",
        device: str | None = None,
        cache: LookupCache | None = None,
        page_size: int = 100,
    ) -> None:
        self.courier = courier
        self.warehouse = warehouse
        self.device = device
        self.cache = cache
        self.page_size = page_size

    def scan(self, raw: str, *, symbology: str | None = None) -> ScanResult:
        """Never raises for a user or network mistake: failures come back as a result that says so."""
        code = clean_code(raw)
        if not code:
            return ScanResult("EMPTY", "", "Nothing scanned", message="Nothing was scanned: scan a barcode.")
        try:
            found = resolve(self.courier, code, device=self.device, symbology=symbology)
            result = self._shown(found)
        except NotSignedIn as error:
            message = f"Your session has ended: sign in again. ({error.message})"
            return ScanResult("ERROR", code, "Signed out", message=message, signed_out=True, feedback=BAD)
        except Unreachable as error:
            return self._offline(code, symbology, error.message)
        except GraphQLError as error:
            return ScanResult("ERROR", code, "The server refused this scan", message=error.message, feedback=BAD)
        except ClientError as error:
            return ScanResult("ERROR", code, "The server answered oddly", message=error.message, feedback=BAD)
        if self.cache is not None and result.ok:
            self.cache.put(self.courier.server, self.warehouse, [code, result.title], result.to_json())
        return result

    def _offline(self, code: str, symbology: str | None, problem: str) -> ScanResult:
        self.courier.keep_scan({"code": code, "device": self.device, "symbology": symbology}, f"Scan {code}")
        cached = self.cache.get(self.courier.server, self.warehouse, code) if self.cache else None
        try:
            old = ScanResult.from_json(cached.result) if cached is not None else None
        except (TypeError, KeyError, ValueError):
            old = None
        if cached is None or old is None:
            return ScanResult(
                "ERROR", code, "No connection",
                message=f"{problem} The scan is kept and sent when the server answers again.",
                feedback=WARN, warehouse=self.warehouse, kept=True,
            )  # fmt: skip
        fetched = cached.fetched_at.astimezone()
        as_of = fetched.strftime("%H:%M" if fetched.date() == datetime.now().astimezone().date() else "%d %b %H:%M")
        note = f"No connection: this is what the server said at {as_of}; it may have changed since."
        return replace(old, code=code, message=note, feedback=WARN, as_of=as_of, kept=True)

    def _shown(self, found: Resolution) -> ScanResult:
        if found.kind == "PRODUCT" and found.sku:
            return self._product(found)
        if found.kind == "LOCATION" and found.location:
            return self._location(found)
        if found.kind == "LOT" and found.lot:
            return self._lot(found)
        if found.kind == "PACKAGE" and found.sscc:
            return self._package(found)
        if found.misread:
            title, message = "Misread: scan again", found.message
        elif found.kind == "UNKNOWN":
            title, message = "Unknown code", found.message or "No product, bin or lot has this code."
        else:
            title, message = found.kind.title(), found.message
        return ScanResult(found.kind, found.code, title, details=_gs1(found), message=message, feedback=BAD)

    def _product(self, found: Resolution) -> ScanResult:
        rows, more = self._stock(sku=found.sku, warehouse=self.warehouse)
        details = [("Unit", found.unit)] + ([("Barcodes", ", ".join(found.barcodes))] if found.barcodes else [])
        return ScanResult(
            "PRODUCT", found.code, found.sku, found.product_name,
            details=(*details, *_gs1(found)),
            rows=tuple(_row(node, node["locationCode"]) for node in rows),
            more_rows=more, feedback=GOOD, warehouse=self.warehouse,
            message="" if rows else f"None in stock in {self.warehouse or 'any warehouse'}.",
        )  # fmt: skip

    def _location(self, found: Resolution) -> ScanResult:
        rows, more = self._stock(location_code=found.location)
        elsewhere = bool(self.warehouse and found.warehouse and found.warehouse != self.warehouse)
        if elsewhere:
            message = f"This location is in warehouse {found.warehouse}; you are working in {self.warehouse}."
        else:
            message = "" if rows else "This location holds no stock."
        return ScanResult(
            "LOCATION", found.code, found.location, found.location_name,
            place_heading="SKU",
            rows=tuple(_row(node, node["sku"], _bin_below(node, found.location)) for node in rows),
            more_rows=more, message=message, feedback=WARN if elsewhere else GOOD, warehouse=self.warehouse,
        )  # fmt: skip

    def _lot(self, found: Resolution) -> ScanResult:
        details = [("Product", f"{found.sku} {found.product_name}".strip()), ("Expires", found.expires_on or "never")]
        rows: list[dict[str, Any]] = []
        more = False
        if found.sku:
            all_rows, more = self._stock(sku=found.sku, warehouse=self.warehouse)
            rows = [node for node in all_rows if (node.get("lotCode") or "").upper() == found.lot.upper()]
        return ScanResult(
            "LOT", found.code, found.lot, found.sku,
            details=(*details, *_gs1(found)),
            rows=tuple(_row(node, node["locationCode"]) for node in rows),
            more_rows=more, feedback=GOOD, warehouse=self.warehouse,
            message="" if rows else f"None of this lot in {self.warehouse or 'stock'}.",
        )  # fmt: skip

    def _package(self, found: Resolution) -> ScanResult:
        """A pallet (or case): where it is and what it holds, from the resolution itself (no stock query)."""
        kind = (found.package_kind or "package").title()
        details = [("Holds", found.package_holds)] + ([("On", found.package_parent)] if found.package_parent else [])
        elsewhere = bool(self.warehouse and found.package_warehouse and found.package_warehouse != self.warehouse)
        if elsewhere:
            message = f"It is in warehouse {found.package_warehouse}; you are working in {self.warehouse}."
        else:
            message = "To move it with all it holds: the move screen (SK:MOVE)."
        return ScanResult(
            "PACKAGE", found.code, found.sscc, f"{kind} in {found.package_location}",
            details=(*details, *_gs1(found)), message=message,
            feedback=WARN if elsewhere else GOOD, warehouse=self.warehouse,
        )  # fmt: skip

    def _stock(
        self, *, sku: str | None = None, location_code: str | None = None, warehouse: str | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        variables = {"sku": sku, "locationCode": location_code, "warehouseCode": warehouse or None}
        data = self.courier.execute(STOCK, {**variables, "first": self.page_size})
        connection = data.get("stockLevels") or {}
        nodes = [edge["node"] for edge in connection.get("edges") or [] if edge and edge.get("node")]
        nodes.sort(key=lambda node: (node.get("locationCode") or "", node.get("sku") or "", node.get("lotCode") or ""))
        return nodes, bool((connection.get("pageInfo") or {}).get("hasNextPage"))


def _bin_below(node: dict[str, Any], scanned_location: str) -> str:
    # A warehouse or zone includes the bins below it: name the bin when it is not the one scanned.
    where = node.get("locationCode") or scanned_location
    return "" if where == scanned_location else where


def _gs1(found: Resolution) -> tuple[tuple[str, str], ...]:
    return tuple((f"({ai}) {title}".strip(), value) for ai, title, value in found.gs1)


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
