"""What a scanned code is, as the server says (``scanBarcode``: the scan lands in its scan log too).

Every flow asks through here: the lookup screen, and the task screens that need a product, a bin,
a GS1 label's lot, expiry and quantity, or a pallet's SSCC. The server parses GS1; the handheld only
reads the elements it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from handheld.logic.capture import GS
from handheld.logic.quantity import shown_quantity

# What a package's answer lists of what it holds (per product and lot): enough to name one or two.
PACKAGE_LINES = 3
# A bin's parents up to its warehouse (a warehouse > zone > aisle > bin tree, and two more levels).
_PARENTS = "code " + "parent { code " * 5 + "}" * 5
_RESOLUTION = f"""
      code kind message expiresOn bestBeforeOn lotCode serial quantity
      product {{ sku name unit tracksLots tracking barcodes {{ code }} }}
      location {{ name {_PARENTS} }}
      lot {{ code expiresOn product {{ sku name unit tracksLots tracking }} }}
      gs1 {{ ai title value }}
      package {{
        sscc kind total parent {{ sscc kind }} location {{ name {_PARENTS} }}
        contents(first: {PACKAGE_LINES}) {{ sku lotCode quantity }}
      }}
"""
# A lookup: the server keeps the scan in its scan log.
SCAN = f"""
mutation Scan($input: ScanInput!) {{
  scanBarcode(input: $input) {{ resolution {{ {_RESOLUTION} }} errors {{ code message }} }}
}}
"""
# A task's scan: not logged on its own, but sent with the write it leads to (logged with its move).
RESOLVE = f"query Resolve($code: String!) {{ resolveBarcode(code: $code) {{ {_RESOLUTION} }} }}"
# GS1 application identifiers that carry a count of items: (30) variable count, (37) count of trade items.
COUNT_AIS = ("30", "37")


class Link(Protocol):
    """A GraphQL client, or the courier in front of one."""

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Resolution:
    """The server's answer about one code, flattened for the flows."""

    code: str
    kind: str
    message: str = ""
    sku: str = ""
    product_name: str = ""
    unit: str = ""
    tracks_lots: bool = False  # by lot or by serial
    tracks_serials: bool = False  # each unit its own serial (a lot of one)
    barcodes: tuple[str, ...] = ()
    location: str = ""
    location_name: str = ""
    warehouse: str = ""  # the root of the scanned location's tree; "" when not known
    lot: str = ""
    expires_on: str = ""
    best_before_on: str = ""
    lot_code: str = ""  # the server's reading of a GS1 label: its serial (AI 21) for a serial product, else its lot
    serial: str = ""  # a GS1 label's serial (AI 21), whatever the product
    gs1: tuple[tuple[str, str, str], ...] = field(default=())  # (ai, title, value)
    # The base units the scan stands for, as the server reads it: a case's packaging level, times a GS1 count;
    # "" when the code says nothing of a quantity (one item).
    units: str = ""
    # A package or pallet (kind PACKAGE): its SSCC, kind (lower case), the package it is on ("pallet 0..."),
    # where it is (bin and warehouse), the base units it holds with the packages in it, and the first
    # of its contents: (sku, lot, quantity).
    sscc: str = ""
    package_kind: str = ""
    package_parent: str = ""
    package_location: str = ""
    package_warehouse: str = ""
    package_total: str = ""
    package_contents: tuple[tuple[str, str, str], ...] = field(default=())

    def gs1_value(self, *ais: str) -> str:
        return next((value for ai, _, value in self.gs1 if ai in ais), "")

    @property
    def gs1_lot(self) -> str:
        return self.lot or self.lot_code or self.gs1_value("10")

    @property
    def gs1_quantity(self) -> Decimal | None:
        """The count a GS1 label carries ((30) or (37)), if any."""
        text = self.gs1_value(*COUNT_AIS)
        try:
            return Decimal(text) if text else None
        except InvalidOperation:
            return None

    @property
    def package_holds(self) -> str:
        """What a package holds, in a few words: "48 x MUG-WHITE", "60 units: 48 x MUG-WHITE, 12 x ..."."""
        total = shown_quantity(self.package_total)
        if not self.package_contents:
            return "nothing" if total in ("", "0") else f"{total} units"
        items = [f"{shown_quantity(quantity)} x {sku}" + (f" lot {lot}" if lot else "")
                 for sku, lot, quantity in self.package_contents[: PACKAGE_LINES - 1]]  # fmt: skip
        if len(self.package_contents) == 1:
            return items[0]
        more = ", ..." if len(self.package_contents) >= PACKAGE_LINES else ""
        return f"{total} units: {', '.join(items)}{more}"

    @property
    def misread(self) -> bool:
        """The code is no valid barcode (a wrong check digit, malformed GS1): scanning again may fix it."""
        text = self.message.lower()
        return self.kind == "UNKNOWN" and ("check digit" in text or "malformed" in text)


def clean_code(raw: str) -> str:
    # A wedge scanner may add CR/LF or a leading FNC1 (GS); inner GS separators of GS1 data stay.
    return raw.strip().strip(GS).strip()


def display_code(code: str) -> str:
    """The code as a person can read it: control characters (a GS1 separator) spelled out."""
    return "".join(
        "<GS>" if char == GS else (f"<{ord(char):02X}>" if not char.isprintable() else char) for char in code
    )


def resolve(
    link: Link, code: str, *, device: str | None = None, symbology: str | None = None, log: bool = True
) -> Resolution:
    """Ask the server what ``code`` is (``log``: keep it in the scan log); ``ClientError`` when it cannot say."""
    if log:
        scan = {"code": code, "device": device, "symbology": symbology}
        payload = link.execute(SCAN, {"input": scan}).get("scanBarcode") or {}
    else:
        payload = {"resolution": link.execute(RESOLVE, {"code": code}).get("resolveBarcode")}
    found = payload.get("resolution")
    if not found:
        errors = payload.get("errors") or [{}]
        return Resolution(code, "UNKNOWN", str(errors[0].get("message") or "The server did not recognise this code."))
    return _resolution(code, found)


def _resolution(code: str, found: dict[str, Any]) -> Resolution:
    product = found.get("product") or {}
    location = found.get("location") or {}
    lot = found.get("lot") or {}
    package = found.get("package") or {}
    parent = package.get("parent") or {}
    if not product and lot.get("product"):
        product = lot["product"]
    return Resolution(
        code=code,
        kind=str(found.get("kind") or "UNKNOWN").upper(),
        message=str(found.get("message") or ""),
        sku=str(product.get("sku") or ""),
        product_name=str(product.get("name") or ""),
        unit=str(product.get("unit") or ""),
        tracks_lots=bool(product.get("tracksLots")),
        tracks_serials=str(product.get("tracking") or "").upper() == "SERIAL",
        barcodes=tuple(str(b["code"]) for b in product.get("barcodes") or [] if b.get("code")),
        location=str(location.get("code") or ""),
        location_name=str(location.get("name") or ""),
        warehouse=_root(location),
        lot=str(lot.get("code") or ""),
        expires_on=str(lot.get("expiresOn") or found.get("expiresOn") or ""),
        best_before_on=str(found.get("bestBeforeOn") or ""),
        lot_code=str(found.get("lotCode") or ""),
        serial=str(found.get("serial") or ""),
        units=str(found.get("quantity") or ""),
        gs1=tuple(
            (str(e.get("ai")), str(e.get("title") or ""), str(e.get("value") or "")) for e in found.get("gs1") or []
        ),
        sscc=str(package.get("sscc") or ""),
        package_kind=str(package.get("kind") or "").lower(),
        package_parent=f"{str(parent.get('kind') or 'package').lower()} {parent['sscc']}" if parent.get("sscc") else "",
        package_location=str((package.get("location") or {}).get("code") or ""),
        package_warehouse=_root(package.get("location") or {}),
        package_total=str(package.get("total") or ""),
        package_contents=tuple(
            (str(c.get("sku") or ""), str(c.get("lotCode") or ""), str(c.get("quantity") or ""))
            for c in package.get("contents") or []
        ),
    )


def _root(location: dict[str, Any]) -> str:
    node = location
    while node and node.get("parent"):
        node = node["parent"]
    if not node or "parent" not in node:  # deeper than asked: the warehouse is not known
        return ""
    return str(node.get("code") or "")
