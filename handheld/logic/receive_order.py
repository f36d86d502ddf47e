"""Receiving against a purchase order (issue 11, point 5; the orders are issue 8's).

The warehouse's open orders are offered as the receive screen opens (number, supplier, expected day; any
open order may also be scanned by its number, as printed on its paper); *Without an order* goes on to the
plain receipt of ``logic.receive`` (``receiveStock``). With an order chosen, a scanned product finds its
order line (the first of that product with something due; a product not on the order is refused), the form
shows what the line ordered, received and still wants, the quantity is keyed in the line's unit (a case of
12), a GS1 label fills lot, expiry and a count of pieces as on the plain receipt, and the bin is scanned or
left to the server (the line's bin, the order's receive-into location, else its putaway suggestion).
Confirm sends one ``receivePurchaseOrder`` line through the outbox with its own idempotency key, so offline
the receipts wait, in order, and one sent twice is booked once. The due figures follow each receipt: the
server's after it answers, the device's own count while it waits.

The scan that named the product goes with the receipt: the server dates the receipt when it was scanned
(a receipt that waited offline books the day it was scanned) and keeps the code in its scan log.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, Unreachable
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, command
from handheld.logic.count_offer import as_of
from handheld.logic.courier import SENT, WAITING, Courier
from handheld.logic.outbox import Entry
from handheld.logic.purchase_orders import OpenOrder, OrderLine, OrderMemory, read_open_orders
from handheld.logic.quantity import format_quantity
from handheld.logic.receive import lot_fields, take_label
from handheld.logic.resolution import Resolution, clean_code
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from handheld.logic.task import Outcome, TaskFlow

OFFERED = 2  # orders offered as buttons (with *Without an order* they fill the screen above the pad)
PICK = "order:"  # the command of an order's button: PICK + its place in the offer
WITHOUT = "order:none"  # the button that goes on to a receipt without an order


def offer(
    courier: Courier, *, warehouse: str, device: str | None = None, **kwargs: Any
) -> tuple[OrderReceiveFlow | None, Outcome | None]:
    """The flow that receives against the warehouse's open orders, or None to keep the plain receipt: no open
    order, no permission to read them, or the server away and nothing remembered."""
    memory = OrderMemory(kwargs.get("cache"), courier.server, warehouse)
    remembered: datetime | None = None
    try:
        orders = read_open_orders(courier, warehouse)
    except Unreachable:
        kept = memory.recall()
        if kept is None:
            return None, None
        orders, remembered = kept
    except ClientError:  # no purchasing.view (a counter), or a server without purchase orders
        return None, None
    else:
        memory.keep(orders)
    if not orders:
        return None, None
    flow = OrderReceiveFlow(courier, warehouse=warehouse, device=device, orders=orders, **kwargs)
    flow.as_of = remembered
    return flow, Outcome(WARN if remembered else GOOD, flow.prompt)


def remembered(courier: Courier, *, warehouse: str, device: str | None = None, **kwargs: Any) -> OrderReceiveFlow:
    """The flow with the orders as the device last read them (none if it never did), without asking the server:
    a refused receipt is fixed in it."""
    kept = OrderMemory(kwargs.get("cache"), courier.server, warehouse).recall()
    flow = OrderReceiveFlow(courier, warehouse=warehouse, device=device, orders=kept[0] if kept else [], **kwargs)
    flow.as_of = kept[1] if kept else None
    return flow


class OrderReceiveFlow(TaskFlow):
    operation = "receivePurchaseOrder"
    choices_stacked = True

    def __init__(self, courier: Courier, *, orders: list[OpenOrder] | None = None, **kwargs: Any) -> None:
        self.orders = list(orders or [])
        self.order: OpenOrder | None = None
        self.as_of: datetime | None = None  # the orders were read then (the server is away); None: now
        self.without_order = False  # the worker chose to receive without one: the screen takes the plain receipt
        self.handed_over: Captured | None = None  # the scan that chose it, for the plain receipt to take
        self.pending: dict[int, tuple[str, int, Decimal]] = {}  # outbox entry -> order id, position, base units
        super().__init__(courier, **kwargs)
        self.memory = OrderMemory(self.cache, courier.server, self.warehouse)

    def reset(self) -> None:
        """Clears the line being received; the order stays chosen."""
        self.line: OrderLine | None = None
        self.sku = ""
        self.product_name = ""
        self.base_unit = ""
        self.unit = ""  # what the quantity is in: the line's unit, or the base unit of a label's count
        self.tracks_lots = False
        self.lot = ""
        self.expires_on = ""
        self.best_before_on = ""
        self.bin = ""
        super().reset()

    # What the screen shows.
    @property
    def prompt(self) -> str:
        if self.order is None:
            if self.as_of:
                return f"Orders {as_of(self.as_of)} (no connection): choose or scan one, or scan a product."
            return "Choose or scan an order, or scan a product to receive without one."
        if self.line is None:
            return f"Scan a product of {self.order.number}."
        if self.tracks_lots and not self.lot:
            return "Scan the lot (its label or the GS1 code)."
        if self.quantity.value is None:
            return f"Enter how many {self._unit_label()} on the pad."
        if not self.bin:
            return f"Scan the bin, or confirm to receive into {self._default_bin()}."
        return "Check, then confirm (or scan SK:CONFIRM)."

    @property
    def takes_quantity(self) -> bool:
        return self.order is not None

    def fields(self) -> list[tuple[str, str, bool]]:
        # One line each, so that the form fits above the pad at 480x800: the choice's buttons carry the orders.
        if self.order is None:
            return []
        self._forget_sent()
        next_up = self.prompt
        rows = [("Order", self.order.number, False), ("Product", self.sku, next_up.startswith("Scan a product"))]
        if self.line is not None:
            rows.append(("Due", self._figures(self.line), False))
        if self.tracks_lots:
            lot = self.lot or "needed"
            rows.append(
                ("Lot", f"{lot} exp {self.expires_on}" if self.expires_on else lot, next_up.startswith("Scan the lot"))
            )
        quantity = f"{self.quantity.text} {self._unit_label()}" if self.quantity.text else ""
        rows.append(("Quantity", quantity, next_up.startswith("Enter how many")))
        bin_ = self.bin or (f"({self._default_bin(short=True)})" if self.line is not None else "")
        rows.append(("Bin", bin_, next_up.startswith("Scan the bin")))
        return rows

    def choices(self) -> list[tuple[str, str, bool]]:
        if self.order is not None:
            return []
        offered = [(f"{PICK}{place}", f"{order.number}\n{order.label}", False)
                   for place, order in enumerate(self.orders[:OFFERED])]  # fmt: skip
        return [*offered, (WITHOUT, "Without an order", False)]

    @property
    def ready(self) -> bool:
        return bool(self.order and self.line and self.quantity.value is not None and (self.lot or not self.tracks_lots))

    def due(self, sku: str) -> Decimal | None:
        """What is still due of ``sku`` on the chosen order, in base units (receipts waiting to be sent taken off)."""
        line = self.order.line_for(sku) if self.order is not None else None
        return None if line is None else self._line_now(line).due

    def _figures(self, line: OrderLine) -> str:
        now = self._line_now(line)
        unit = f" {self.base_unit}" if self.base_unit else ""
        return (
            f"{format_quantity(now.due)}{unit} ({format_quantity(now.received)} of {format_quantity(now.ordered)} in)"
        )

    def _line_now(self, line: OrderLine) -> OrderLine:
        """The line with what waits in the outbox for it counted as received."""
        assert self.order is not None
        waiting = sum((base for order_id, position, base in self.pending.values()
                       if order_id == self.order.id and position == line.position), Decimal(0))  # fmt: skip
        if not waiting:
            return line
        return line.after(waiting)

    def _unit_label(self) -> str:
        if self.line is None:
            return ""
        if self.unit and self.unit != self.line.unit:
            return self.unit
        return self.line.unit_label

    def _default_bin(self, *, short: bool = False) -> str:
        assert self.order is not None
        if self.line is not None and self.line.location:
            return self.line.location if short else f"the line's bin {self.line.location}"
        if self.order.receive_into:
            return self.order.receive_into if short else f"the order's {self.order.receive_into}"
        return "suggested" if short else "the bin the server suggests"

    # What the worker does.
    def scan(self, captured: Captured) -> Outcome:
        code = clean_code(captured.code)
        if command(code) is None and (order := self._order_numbered(code)) is not None:
            return self._choose(order)  # an order's number (as printed on its paper): known offline too
        if self.order is None and command(code) is None and code:
            # Anything else scanned before an order is chosen is received without one, as before orders came.
            self.without_order, self.handed_over = True, captured
            return Outcome(QUIET, "Without an order.")
        return super().scan(captured)

    def _order_numbered(self, code: str) -> OpenOrder | None:
        return next((order for order in self.orders if order.number and order.number.upper() == code.upper()), None)

    def _choose(self, order: OpenOrder) -> Outcome:
        self.order = order
        self.reset()
        old = f" (its figures {as_of(self.as_of)}: no connection)" if self.as_of else ""
        return self._said(WARN if self.as_of else GOOD, f"{order.number} from {order.supplier}{old}. {self.prompt}")

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        assert self.order is not None
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            self.bin = found.location
            return self._said(GOOD, self.prompt)
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            return self._product(found, scan)
        if found.kind == "UNKNOWN" and self.line is not None and self.tracks_lots and not self.lot and not found.gs1:
            self.lot = found.code.upper()  # a new lot's own label: the server creates the lot on receipt
            return self._said(GOOD, self.prompt)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _product(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        assert self.order is not None
        line = self.order.line_for(found.sku)
        if line is None:
            return self._said(BAD, f"Not on {self.order.number}: {found.sku} was not ordered there.")
        take_label(self, found)
        self.line, self.sku, self.product_name = line, found.sku, found.product_name or line.product_name
        self.base_unit, self.tracks_lots = found.unit, found.tracks_lots
        self.unit = self.unit or line.unit
        if found.gs1_quantity is not None:  # a label counts pieces, not the order's cases
            self.quantity.set(format_quantity(found.gs1_quantity))
            self.unit = found.unit or line.unit
        self.item_scan = scan
        if self._line_now(line).due <= 0:
            return self._said(WARN, f"Nothing more is due of {line.sku} on {self.order.number}; the supplier's "
                                    f"tolerance decides. {self.prompt}")  # fmt: skip
        return self._said(GOOD, self.prompt)

    def key(self, key: str) -> str:
        if self.line is not None and self.unit != self.line.unit:
            self.unit = self.line.unit  # keyed by the worker: in the line's unit, as the form says
        return super().key(key)

    def typed_quantity(self, text: str) -> Outcome:
        if self.line is not None:
            self.unit = self.line.unit
        return super().typed_quantity(text)

    def command(self, name: str) -> Outcome:
        if self.order is None and name == WITHOUT:
            self.without_order = True
            return self._said(QUIET, "Without an order: scan the product (or its GS1 label).")
        if self.order is None and name.startswith(PICK) and name.removeprefix(PICK).isdigit():
            place = int(name.removeprefix(PICK))
            if 0 <= place < len(self.orders):
                return self._choose(self.orders[place])
            return self._said(BAD, self.prompt)
        if name == CANCEL and self.order is not None and self.line is None and not self.bin and self.fixing is None:
            self.order = None  # an empty form: back to the choice of orders
            return self._said(QUIET, f"Cancelled. {self.prompt}")
        return super().command(name)

    def confirm(self) -> Outcome:
        order, line, sku, base_unit = self.order, self.line, self.sku, self.base_unit
        base = self._base_quantity()
        outcome = super().confirm()
        delivery = outcome.done
        if delivery is None or order is None or line is None:
            return outcome
        self.pending.pop(delivery.entry.id, None)  # a fixed entry keeps its id: its old quantity came to nothing
        if delivery.state == WAITING:
            self.pending[delivery.entry.id] = (order.id, line.position, base)
        elif delivery.state == SENT:
            self._learn((delivery.payload or {}).get("orders") or [])
        due = self.due(sku)
        unit = base_unit or line.unit.lower()
        left = f"{format_quantity(due)} {unit} of {sku} still due. " if due is not None else ""
        message = outcome.message.removesuffix(self.prompt) + left + self.prompt
        return Outcome(outcome.feedback, message, done=delivery)

    def _base_quantity(self) -> Decimal:
        quantity = self.quantity.value or Decimal(0)
        if self.line is not None and self.unit == self.line.unit:
            return quantity * self.line.per_unit
        return quantity

    def _learn(self, raw_orders: list[dict[str, Any]]) -> None:
        """The orders as the server answered after a receipt: their figures replace the device's."""
        by_id = {str(raw.get("id")): raw for raw in raw_orders}
        self.orders = [order.with_progress(by_id[order.id]) if order.id in by_id else order for order in self.orders]
        if self.order is not None:
            self.order = next((order for order in self.orders if order.id == self.order.id), self.order)
        if self.as_of is None:
            self.memory.keep(self.orders)

    def _forget_sent(self) -> None:
        """Receipts the app sent meanwhile (its sender drains the outbox too): received, as far as is known here."""
        if not self.pending:
            return
        waiting = {entry.id for entry in self.courier.outbox.waiting(self.courier.server, self.courier.username)}
        for entry_id in [entry_id for entry_id in self.pending if entry_id not in waiting]:
            order_id, position, base = self.pending.pop(entry_id)
            if self.courier.outbox.get(entry_id) is not None:  # refused: nothing came
                continue
            self.orders = [order.received(position, base) if order.id == order_id else order for order in self.orders]
            if self.order is not None and self.order.id == order_id:
                self.order = next(order for order in self.orders if order.id == order_id)

    # The write.
    def write(self) -> dict[str, Any]:
        assert self.order is not None and self.line is not None
        line: dict[str, Any] = {
            "order": self.order.id, "position": self.line.position, "quantity": self.quantity.for_server,
            "unit": self.unit or self.line.unit,
        }  # fmt: skip
        if self.bin:
            line["location"] = self.bin
        line |= lot_fields(self)
        write: dict[str, Any] = {"lines": [line]}
        if self.item_scan:
            write["scan"] = self.item_scan
        return write

    def summary(self) -> str:
        assert self.order is not None
        lot = f" lot {self.lot}" if self.lot else ""
        into = f" into {self.bin}" if self.bin else ""
        return f"Receive {self.quantity.for_server} {self.unit.lower()} x {self.sku}{lot} on {self.order.number}{into}"

    def load(self, entry: Entry) -> None:
        """A refused receipt back in the form (its order and line as the device knows them), to fix and confirm."""
        super().load(entry)
        lines = entry.input.get("lines") or [{}]
        values = lines[0]
        self.quantity.set(str(values.get("quantity") or ""))
        self.order = next((order for order in self.orders if order.id == values.get("order")), None)
        if self.order is None:
            self.message = f"{self.message} (its order is no longer open here: drop it)".strip()
            return
        self.line = next((line for line in self.order.lines if line.position == values.get("position")), None)
        if self.line is not None:
            self.sku, self.product_name = self.line.sku, self.line.product_name
        self.unit = str(values.get("unit") or (self.line.unit if self.line else ""))
        self.bin, self.lot = str(values.get("location") or ""), str(values.get("lot") or "")
        self.expires_on, self.best_before_on = str(values.get("expiresOn") or ""), str(values.get("bestBeforeOn") or "")
        self.tracks_lots = bool(self.lot)
