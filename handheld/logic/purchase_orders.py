"""The open purchase orders of the warehouse, as the receive screen offers them, and what the device remembers
of them for when the server is away.

An order is read with its lines (product, quantity in the order's unit, the base units that is, the line's bin)
and what each line has come to (ordered, received, due: base units). The list is kept in the device's lookup
cache (``logic.cache``) per server and warehouse, with when the server said it: a worker who loses the network,
or starts the app without it, still sees the orders and their lines, shown as old ("as of 14:02").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from handheld.logic.cache import LookupCache
from handheld.logic.quantity import format_quantity
from handheld.logic.resolution import Link

ORDERS_READ = 20  # open orders read at once; the first few are offered as buttons, any of them may be scanned
SUPPLIER_SHOWN = 18  # characters of the supplier's name on an order's button, with its expected day
LINES_READ = 100  # an order's lines read per request (the server's page)
# An order is read page by page to its last line; the server refuses an order of more than 2,000 lines
# (``MAX_LINES``), so this many pages always reach the end (the bound only stops a server that answers wrong).
PAGES_READ = 2000 // LINES_READ + 1
_PROGRESS = f"purchaseOrder {{ expectedOn receiveInto lines(first: {LINES_READ}) {{ position ordered received due }} }}"
OPEN_ORDERS = """
query OpenOrders($warehouse: String, $first: Int) {
  purchaseOrders(filter: {warehouse: $warehouse, open: true}, first: $first) { edges { node { id } } }
}
"""
# An order scanned by its number that the first read did not bring (any warehouse: the flow says where it goes).
NUMBERED = """
query Numbered($number: String) {
  purchaseOrders(filter: {number: $number, open: true}, first: 5) { edges { node { id number } } }
}
"""
# One order at a time, a page of its lines (and of their figures) per request: the lines after ``$after``.
ORDER = """
query Order($id: ID!, $first: Int, $after: Int) {
  document(id: $id) {
    id number state party partyName
    lines(first: $first, afterPosition: $after) { position sku productName quantity unit baseQuantity location }
    purchaseOrder {
      warehouse expectedOn receiveInto
      lines(first: $first, afterPosition: $after) { position ordered received due }
    }
  }
}
"""
# The figures of an order's lines after ``$after``: those a receipt's answer (its first page) did not carry.
PROGRESS = """
query Progress($id: ID!, $first: Int, $after: Int) {
  document(id: $id) {
    id number state purchaseOrder { lines(first: $first, afterPosition: $after) { position ordered received due } }
  }
}
"""
# What a receipt answers of the orders it filled: enough to update their due figures.
ORDER_PROGRESS = f"id number state {_PROGRESS}"


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


@dataclass(frozen=True)
class OrderLine:
    """One line of an order: in the order's unit (``quantity`` ``unit``, a case of 12) and what it has come to,
    in the product's base unit."""

    position: int
    sku: str
    product_name: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    location: str
    ordered: Decimal
    received: Decimal
    due: Decimal

    @property
    def per_unit(self) -> Decimal:
        """Base units in one of the line's unit (12 for a case of 12)."""
        return self.base_quantity / self.quantity if self.quantity else Decimal(1)

    def after(self, base: Decimal) -> OrderLine:
        """The line once ``base`` units more came, as far as the device can tell (while the receipt waits)."""
        return replace(self, received=self.received + base, due=max(self.due - base, Decimal(0)))

    @property
    def unit_label(self) -> str:
        """The unit as shown: "case of 12", or the unit alone when it is the base unit."""
        per = self.per_unit
        return f"{self.unit.lower()} of {format_quantity(per)}" if per != 1 else self.unit.lower()


@dataclass(frozen=True)
class OpenOrder:
    """An order still to be received: its id (for ``receivePurchaseOrder``), number, supplier and lines."""

    id: str
    number: str
    supplier: str
    expected_on: str
    receive_into: str
    state: str
    lines: tuple[OrderLine, ...]
    supplier_code: str = ""  # "": kept by a version that did not read it
    warehouse: str = ""

    @property
    def soonest(self) -> tuple[str, str]:
        """Its place among orders: the soonest expected first (no day: last), then by number."""
        return self.expected_on or "9999", self.number

    def same_source(self, other: OpenOrder) -> bool:
        """Whether one receipt may take both: the same supplier, into the same warehouse."""
        supplier = (self.supplier_code, other.supplier_code) if self.supplier_code and other.supplier_code else (
            self.supplier, other.supplier)  # fmt: skip
        return supplier[0] == supplier[1] and (not self.warehouse or not other.warehouse or
                                               self.warehouse == other.warehouse)  # fmt: skip

    @property
    def label(self) -> str:
        supplier = self.supplier if len(self.supplier) <= SUPPLIER_SHOWN else self.supplier[: SUPPLIER_SHOWN - 1] + "…"
        return f"{supplier or 'no supplier'}, {_day(self.expected_on)}"

    def line_for(self, sku: str) -> OrderLine | None:
        """The first line of the product with something due; else its last line (the supplier's tolerance may
        take more); None when the order does not have it."""
        mine = self.lines_of(sku)
        return next((line for line in mine if line.due > 0), mine[-1] if mine else None)

    def lines_of(self, sku: str) -> list[OrderLine]:
        return [line for line in self.lines if line.sku.upper() == sku.upper()]

    def with_progress(self, raw: dict[str, Any]) -> OpenOrder:
        """The order with the figures of a receipt's answer (``ORDER_PROGRESS``, ``PROGRESS``): those of the lines
        it carries."""
        progress = {int(p["position"]): p for p in (raw.get("purchaseOrder") or {}).get("lines") or []}
        lines = tuple(_progressed(line, progress.get(line.position)) for line in self.lines)
        return replace(self, state=str(raw.get("state") or self.state), lines=lines)

    def received(self, position: int, base: Decimal) -> OpenOrder:
        """The order after ``base`` units of a line came, as far as the device can tell (while offline)."""
        lines = tuple(line.after(base) if line.position == position else line for line in self.lines)
        return replace(self, lines=lines)

    def raw(self) -> dict[str, Any]:
        return {**asdict(self), "lines": [{k: str(v) for k, v in asdict(line).items()} for line in self.lines]}


def read_open_orders(link: Link, warehouse: str) -> list[OpenOrder]:
    """The warehouse's open orders (the first ``ORDERS_READ``) with their lines, the soonest expected first."""
    edges = (link.execute(OPEN_ORDERS, {"warehouse": warehouse or None, "first": ORDERS_READ})
             .get("purchaseOrders") or {}).get("edges") or []  # fmt: skip
    orders = [order for edge in edges if (order := read_order(link, edge["node"]["id"])) is not None]
    return sorted(orders, key=lambda order: order.soonest)


def read_order(link: Link, order_id: str) -> OpenOrder | None:
    """The order with all its lines, a page at a time; None when it is gone."""
    raw: dict[str, Any] | None = None
    after: int | None = None
    for _ in range(PAGES_READ):
        page = link.execute(ORDER, {"id": order_id, "first": LINES_READ, "after": after}).get("document")
        if page is None:
            return None
        lines, figures = page.get("lines") or [], (page.get("purchaseOrder") or {}).get("lines") or []
        if raw is None:
            raw = page
        else:
            raw["lines"] = [*raw["lines"], *lines]
            raw["purchaseOrder"]["lines"] = [*raw["purchaseOrder"]["lines"], *figures]
        if len(lines) < LINES_READ:
            break
        after = int(lines[-1]["position"])
    return open_order(raw) if raw is not None else None


def find_open_order(link: Link, number: str) -> OpenOrder | None:
    """The open order of that number (case-free, as printed on its paper), in any warehouse; None if none is."""
    edges = (link.execute(NUMBERED, {"number": number}).get("purchaseOrders") or {}).get("edges") or []
    found = next((edge["node"]["id"] for edge in edges
                  if str(edge["node"].get("number") or "").upper() == number.upper()), None)  # fmt: skip
    return read_order(link, found) if found is not None else None


def read_progress(link: Link, order_id: str, after: int) -> dict[str, Any] | None:
    """What the order's lines after position ``after`` have come to, as ``OpenOrder.with_progress`` takes it."""
    return link.execute(PROGRESS, {"id": order_id, "first": LINES_READ, "after": after}).get("document")


def _progressed(line: OrderLine, raw: dict[str, Any] | None) -> OrderLine:
    if raw is None:
        return line
    return replace(line, ordered=_decimal(raw["ordered"]), received=_decimal(raw["received"]), due=_decimal(raw["due"]))


def _day(text: str) -> str:
    try:
        return f"{date.fromisoformat(text):%d %b}"
    except ValueError:
        return text or "?"


def open_order(raw: dict[str, Any]) -> OpenOrder:
    """An order as ``read_order`` reads it (its pages put together)."""
    details = raw.get("purchaseOrder") or {}
    progress = {int(p["position"]): p for p in details.get("lines") or []}
    lines = []
    for line in raw.get("lines") or []:
        figures = progress.get(int(line["position"])) or {}
        base = _decimal(line.get("baseQuantity"))
        lines.append(OrderLine(
            int(line["position"]), str(line.get("sku") or ""), str(line.get("productName") or ""),
            _decimal(line.get("quantity")), str(line.get("unit") or ""), base, str(line.get("location") or ""),
            _decimal(figures.get("ordered", base)), _decimal(figures.get("received", 0)),
            _decimal(figures.get("due", base)),
        ))  # fmt: skip
    return OpenOrder(
        str(raw["id"]), str(raw.get("number") or ""), str(raw.get("partyName") or ""),
        str(details.get("expectedOn") or ""), str(details.get("receiveInto") or ""), str(raw.get("state") or ""),
        tuple(lines), supplier_code=str(raw.get("party") or ""), warehouse=str(details.get("warehouse") or ""),
    )  # fmt: skip


_DECIMALS = ("quantity", "base_quantity", "ordered", "received", "due")


def _kept_order(raw: dict[str, Any]) -> OpenOrder:
    """An order as ``OpenOrder.raw`` kept it."""

    def line_of(kept: dict[str, str]) -> OrderLine:
        values: dict[str, Any] = {k: _decimal(v) if k in _DECIMALS else v for k, v in kept.items()}
        return OrderLine(**{**values, "position": int(kept["position"])})

    lines = tuple(line_of(line) for line in raw.get("lines") or [])
    return OpenOrder(raw["id"], raw["number"], raw["supplier"], raw["expected_on"], raw["receive_into"], raw["state"],
                     lines, raw.get("supplier_code") or "", raw.get("warehouse") or "")  # fmt: skip


class OrderMemory:
    """What the device last knew of the warehouse's open orders, in its lookup cache (None: no cache)."""

    CODE = "#purchase-orders"

    def __init__(self, cache: LookupCache | None, server: str, warehouse: str) -> None:
        self.cache, self.server, self.warehouse = cache, server, warehouse

    def keep(self, orders: list[OpenOrder]) -> None:
        if self.cache is not None:
            self.cache.put(self.server, self.warehouse, [self.CODE], {"orders": [order.raw() for order in orders]})

    def recall(self) -> tuple[list[OpenOrder], datetime] | None:
        found = self.cache.get(self.server, self.warehouse, self.CODE) if self.cache is not None else None
        if found is None:
            return None
        try:
            return [_kept_order(raw) for raw in found.result.get("orders") or []], found.fetched_at
        except (KeyError, TypeError, ValueError):  # kept by a version that stored another shape
            return None
