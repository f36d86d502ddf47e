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
from typing import Any, Protocol

from handheld.logic.cache import LookupCache
from handheld.logic.quantity import format_quantity

ORDERS_READ = 20  # open orders read at once; the first few are offered as buttons, any of them may be scanned
SUPPLIER_SHOWN = 18  # characters of the supplier's name on an order's button, with its expected day
LINES_READ = 100  # the server's page of an order's lines
_PROGRESS = f"purchaseOrder {{ expectedOn receiveInto lines(first: {LINES_READ}) {{ position ordered received due }} }}"
OPEN_ORDERS = """
query OpenOrders($warehouse: String, $first: Int) {
  purchaseOrders(filter: {warehouse: $warehouse, open: true}, first: $first) { edges { node { id } } }
}
"""
# One order at a time: its lines (``Document.lines`` has no ``first``) cost nearly all one query may.
ORDER = f"""
query Order($id: ID!) {{
  document(id: $id) {{
    id number state partyName
    lines {{ position sku productName quantity unit baseQuantity location }}
    {_PROGRESS}
  }}
}}
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

    @property
    def label(self) -> str:
        supplier = self.supplier if len(self.supplier) <= SUPPLIER_SHOWN else self.supplier[: SUPPLIER_SHOWN - 1] + "…"
        return f"{supplier or 'no supplier'}, {_day(self.expected_on)}"

    def line_for(self, sku: str) -> OrderLine | None:
        """The first line of the product with something due; else its last line (the supplier's tolerance may
        take more); None when the order does not have it."""
        mine = [line for line in self.lines if line.sku.upper() == sku.upper()]
        return next((line for line in mine if line.due > 0), mine[-1] if mine else None)

    def with_progress(self, raw: dict[str, Any]) -> OpenOrder:
        """The order with the figures of a receipt's answer (``ORDER_PROGRESS``)."""
        progress = {int(p["position"]): p for p in (raw.get("purchaseOrder") or {}).get("lines") or []}
        lines = tuple(_progressed(line, progress.get(line.position)) for line in self.lines)
        return replace(self, state=str(raw.get("state") or self.state), lines=lines)

    def received(self, position: int, base: Decimal) -> OpenOrder:
        """The order after ``base`` units of a line came, as far as the device can tell (while offline)."""
        lines = tuple(line.after(base) if line.position == position else line for line in self.lines)
        return replace(self, lines=lines)

    def raw(self) -> dict[str, Any]:
        return {**asdict(self), "lines": [{k: str(v) for k, v in asdict(line).items()} for line in self.lines]}


class Link(Protocol):
    """The courier (or a GraphQL client)."""

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...


def read_open_orders(link: Link, warehouse: str) -> list[OpenOrder]:
    """The warehouse's open orders (the first ``ORDERS_READ``) with their lines, the soonest expected first."""
    edges = (link.execute(OPEN_ORDERS, {"warehouse": warehouse or None, "first": ORDERS_READ})
             .get("purchaseOrders") or {}).get("edges") or []  # fmt: skip
    orders = []
    for edge in edges:
        raw = link.execute(ORDER, {"id": edge["node"]["id"]}).get("document")
        if raw is not None:  # None: gone meanwhile
            orders.append(open_order(raw))
    return sorted(orders, key=lambda order: (order.expected_on or "9999", order.number))


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
    """An order as ``OPEN_ORDERS`` reads it."""
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
        tuple(lines),
    )  # fmt: skip


_DECIMALS = ("quantity", "base_quantity", "ordered", "received", "due")


def _kept_order(raw: dict[str, Any]) -> OpenOrder:
    """An order as ``OpenOrder.raw`` kept it."""

    def line_of(kept: dict[str, str]) -> OrderLine:
        values: dict[str, Any] = {k: _decimal(v) if k in _DECIMALS else v for k, v in kept.items()}
        return OrderLine(**{**values, "position": int(kept["position"])})

    lines = tuple(line_of(line) for line in raw.get("lines") or [])
    return OpenOrder(raw["id"], raw["number"], raw["supplier"], raw["expected_on"], raw["receive_into"], raw["state"],
                     lines)  # fmt: skip


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
