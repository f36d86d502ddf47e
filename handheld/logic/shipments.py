"""The warehouse's draft shipments as the ship screen offers them, one shipment's lines and packages, the boxes
being packed, and what the device remembers of them for when the server is away.

``openShipments`` is read with what a button shows (number, order, how many lines); the shipment chosen is read
whole (``shipment``: its lines with what is packed of them, its packages). A shipment scanned by its number that
is not among those read is looked up by its number (``documents``), then read the same way. Both, and the boxes
packed so far, are kept in the device's lookup cache (``logic.cache``) per server, warehouse and user, so a
packer who opened a shipment at the dock packs and ships it in a dead zone, and an app restarted mid-box finds
its boxes again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from handheld.logic.cache import TaskMemory
from handheld.logic.drafts import find_draft
from handheld.logic.quantity import format_quantity
from handheld.logic.resolution import Link

SHIPMENTS_READ = 20  # draft shipments read at once; the first few are offered as buttons, any may be scanned
LINES_READ = 100  # the server's page of a shipment's lines (and packages)
OPEN_SHIPMENTS = f"""
query OpenShipments($warehouse: String!, $first: Int) {{
  openShipments(warehouse: $warehouse, first: $first) {{
    id number orderNumber lines(first: {LINES_READ}) {{ position }}
  }}
}}
"""
# What a packer needs of one shipment (also what packShipment and validateShipment answer).
SHIPMENT = (
    f"id number state warehouse orderNumber steps carrier trackingNumber"
    f" lines(first: {LINES_READ}) {{ position sku lot quantity packed }}"
    f" packages(first: {LINES_READ}) {{ number packaging weightKg sscc }}"
)
READ_SHIPMENT = f"query Shipment($id: ID!) {{ shipment(id: $id) {{ {SHIPMENT} }} }}"


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


@dataclass(frozen=True)
class ShipLine:
    """One line: ``quantity`` (base units) of ``sku`` (and ``lot``) ships; ``packed`` of it is in packages on the
    server."""

    position: int
    sku: str
    lot: str
    quantity: Decimal
    packed: Decimal = Decimal(0)

    @property
    def label(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"{self.sku}{lot}"


@dataclass(frozen=True)
class Shipment:
    """A draft shipment: ``lines`` is empty when only its header was read (``size`` says how many it has)."""

    id: str
    number: str
    order_number: str
    size: int
    steps: int = 1
    lines: tuple[ShipLine, ...] = ()
    packages: int = 0  # packed on the server already
    tracking: str = ""
    state: str = "draft"

    @property
    def label(self) -> str:
        """Its button: the number, then the order and how many lines."""
        return f"{self.number}\n{self.order_number}: {self.size} line{'s' if self.size != 1 else ''}"

    @property
    def packed(self) -> bool:
        """Every line is in packages on the server: there is nothing left to pack."""
        return bool(self.lines) and all(line.packed >= line.quantity for line in self.lines)

    def raw(self) -> dict[str, Any]:
        return {**asdict(self), "lines": [{**asdict(line), "quantity": str(line.quantity), "packed": str(line.packed)}
                                          for line in self.lines]}  # fmt: skip


def shipment(raw: dict[str, Any]) -> Shipment:
    """A shipment as ``OPEN_SHIPMENTS`` or ``SHIPMENT`` reads it."""
    raw_lines = raw.get("lines") or []
    lines = tuple(
        ShipLine(int(line["position"]), str(line["sku"]), str(line.get("lot") or ""), _decimal(line.get("quantity")),
                 _decimal(line.get("packed")))
        for line in raw_lines if "sku" in line
    )  # fmt: skip
    return Shipment(
        str(raw["id"]), str(raw.get("number") or ""), str(raw.get("orderNumber") or ""), len(raw_lines),
        int(raw.get("steps") or 1), lines, len(raw.get("packages") or []), str(raw.get("trackingNumber") or ""),
        str(raw.get("state") or "draft"),
    )  # fmt: skip


def _kept(raw: dict[str, Any]) -> Shipment:
    """A shipment as ``Shipment.raw`` kept it."""
    lines = tuple(ShipLine(**{**line, "quantity": _decimal(line["quantity"]), "packed": _decimal(line["packed"])})
                  for line in raw.get("lines") or [])  # fmt: skip
    return Shipment(**{**raw, "lines": lines})


def read_open_shipments(link: Link, warehouse: str) -> list[Shipment]:
    """The warehouse's draft shipments (the first ``SHIPMENTS_READ``), oldest first."""
    found = link.execute(OPEN_SHIPMENTS, {"warehouse": warehouse, "first": SHIPMENTS_READ}).get("openShipments")
    return [shipment(raw) for raw in found or []]


def read_shipment(link: Link, shipment_id: str) -> Shipment | None:
    """One shipment, whole (None: there is no such shipment)."""
    raw = link.execute(READ_SHIPMENT, {"id": shipment_id}).get("shipment")
    return shipment(raw) if raw else None


def find_open_shipment(link: Link, warehouse: str, number: str) -> Shipment | None:
    """The draft shipment of ``warehouse`` with this number, read whole (None: there is none)."""
    raw = find_draft(link, "sales.shipment", number, warehouse, lambda id_: link.execute(READ_SHIPMENT, {
        "id": id_}).get("shipment"))  # fmt: skip
    return shipment(raw) if raw else None


@dataclass
class Box:
    """A box being packed, or packed: its type (a code), the SSCC on its label ("" for none), its weight in kg as
    keyed ("" until then) and what went in, scan by scan: (line position, quantity)."""

    packaging: str
    sscc: str = ""
    weight: str = ""
    items: list[tuple[int, Decimal]] = field(default_factory=list)

    def holds(self, position: int | None = None) -> Decimal:
        return sum((quantity for at, quantity in self.items if position is None or at == position), Decimal(0))

    def contents(self) -> list[dict[str, Any]]:
        """As packShipment takes a package's lines: one per line position, in position order."""
        positions = sorted({position for position, _ in self.items})
        return [{"position": position, "quantity": format_quantity(self.holds(position))} for position in positions]

    def raw(self) -> dict[str, Any]:
        return {"packaging": self.packaging, "sscc": self.sscc, "weight": self.weight,
                "items": [[position, str(quantity)] for position, quantity in self.items]}  # fmt: skip


def box(raw: dict[str, Any]) -> Box:
    """A box as ``Box.raw`` kept it, or as a packShipment package sent it."""
    if "lines" in raw:  # a package of packShipment's input
        items = [(int(line["position"]), _decimal(line["quantity"])) for line in raw.get("lines") or []]
        return Box(str(raw.get("packaging") or ""), str(raw.get("sscc") or ""), str(raw.get("weightKg") or ""), items)
    items = [(int(position), _decimal(quantity)) for position, quantity in raw.get("items") or []]
    return Box(str(raw["packaging"]), str(raw.get("sscc") or ""), str(raw.get("weight") or ""), items)


@dataclass
class Packing:
    """The shipment open on the device and where its packer is: the boxes closed, the one open, whether the
    packing was sent (then it is to ship), the tracking number scanned and that scan."""

    shipment: Shipment
    boxes: list[Box] = field(default_factory=list)
    open_box: Box | None = None
    packing_sent: bool = False
    tracking: str = ""
    tracking_scan: dict[str, Any] | None = None

    def raw(self) -> dict[str, Any]:
        return {"shipment": self.shipment.raw(), "boxes": [b.raw() for b in self.boxes],
                "open_box": self.open_box.raw() if self.open_box else None, "packing_sent": self.packing_sent,
                "tracking": self.tracking, "tracking_scan": self.tracking_scan}  # fmt: skip


def _packing(raw: dict[str, Any]) -> Packing:
    return Packing(_kept(raw["shipment"]), [box(b) for b in raw.get("boxes") or []],
                   box(raw["open_box"]) if raw.get("open_box") else None, bool(raw.get("packing_sent")),
                   str(raw.get("tracking") or ""), raw.get("tracking_scan"))  # fmt: skip


class ShipMemory(TaskMemory):
    """What the device last knew of the warehouse's draft shipments and the one being packed (None: no cache)."""

    kind = "ship"

    def keep_list(self, shipments: list[Shipment]) -> None:
        self._put("list", {"shipments": [item.raw() for item in shipments]})

    def shipments(self) -> tuple[list[Shipment], datetime] | None:
        kept = self._get("list")
        try:
            return ([_kept(raw) for raw in kept[0].get("shipments") or []], kept[1]) if kept else None
        except (KeyError, TypeError, ValueError):  # kept by a version that stored another shape
            return None

    def keep_open(self, packing: Packing | None) -> None:
        """The shipment being packed or shipped and its boxes (None: none any more). The shipment stays known by
        its id after it is left: a write refused after waiting in the outbox is fixed with it."""
        self._put("open", packing.raw() if packing is not None else {})
        if packing is not None:
            self._put(f"shipment:{packing.shipment.id}", packing.shipment.raw())

    def opened(self) -> Packing | None:
        kept = self._get("open")
        try:
            return _packing(kept[0]) if kept and kept[0].get("shipment") else None
        except (KeyError, TypeError, ValueError):
            return None

    def shipment_of(self, shipment_id: str) -> Shipment | None:
        kept = self._get(f"shipment:{shipment_id}")
        try:
            return _kept(kept[0]) if kept else None
        except (KeyError, TypeError, ValueError):
            return None
