"""Receiving a delivery against purchase orders (issue 11, point 5; the orders are issue 8's).

The warehouse's open orders are offered as the receive screen opens (number, supplier, expected day); any
open order may also be scanned by its number, as printed on its paper, also one the first read did not bring
(it is looked up on the server by its number). *Without an order* goes on to the plain receipt of
``logic.receive`` (``receiveStock``). A delivery often brings several orders of one supplier: the receipt
takes more than one (the supplier's next open order offered as a button, or any scanned by its number; same
supplier, same warehouse). A scanned product finds its order line on the first of those orders (soonest
expected) that still has it due, then the next; a product on none of them is refused. The form shows what the
line ordered, received and still wants, the quantity is keyed in the line's unit (a case of 12); more than
the line wants goes on to the product's next lines due, in the same write. A GS1 label fills lot, expiry and
a count of pieces as on the plain receipt, a serial-tracked product is received one unit per serial (see
``logic.receive.ReceivingFlow``), and the bin is scanned or left to the server (the line's bin, the order's
receive-into location, else its putaway suggestion). Confirm sends one ``receivePurchaseOrder`` write through
the outbox with its own idempotency key, so offline the receipts wait, in order, and one sent twice is booked
once. The due figures follow each receipt: the server's after it answers, the device's own count while it
waits.

The scan that named the product goes with the receipt: the server dates the receipt when it was scanned
(a receipt that waited offline books the day it was scanned) and keeps the code in its scan log.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, Unreachable
from handheld.logic.capture import GS, Captured
from handheld.logic.commands import CANCEL, command
from handheld.logic.count_offer import as_of
from handheld.logic.courier import SENT, WAITING, Courier
from handheld.logic.outbox import Entry
from handheld.logic.purchase_orders import (
    OpenOrder,
    OrderLine,
    OrderMemory,
    find_open_order,
    read_open_orders,
    read_progress,
)
from handheld.logic.quantity import format_quantity
from handheld.logic.receive import ReceivingFlow, lot_fields
from handheld.logic.resolution import Resolution, clean_code
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from handheld.logic.task import Outcome

OFFERED = 2  # orders offered as buttons (with *Without an order* they fill the screen above the pad)
PICK = "order:"  # the command of an order's button: PICK + its place in the offer
WITHOUT = "order:none"  # the button that goes on to a receipt without an order
ADD = "order:add:"  # the button that takes the supplier's next open order into the receipt: ADD + its id
MAX_TAKEN = 20  # orders in one receipt: the server takes lines of at most this many in one write (MAX_ORDERS)
NUMBER_LENGTH = 64  # the longest order number the server looks up (documents' NUMBER_PART)

Planned = tuple[OpenOrder, OrderLine, Decimal]  # a receipt's line: its order, order line and base units


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


class OrderReceiveFlow(ReceivingFlow):
    operation = "receivePurchaseOrder"
    choices_stacked = True

    def __init__(self, courier: Courier, *, orders: list[OpenOrder] | None = None, **kwargs: Any) -> None:
        self.orders = list(orders or [])  # the open orders known here: those read, and those found by number
        self.taken_ids: list[str] = []  # the receipt's orders
        self.line_order_id = ""  # the order of the line being received
        self.as_of: datetime | None = None  # the orders were read then (the server is away); None: now
        self.without_order = False  # the worker chose to receive without one: the screen takes the plain receipt
        self.handed_over: Captured | None = None  # the scan that chose it, for the plain receipt to take
        self.pending: dict[int, list[tuple[str, int, Decimal]]] = {}  # outbox entry -> (order id, position, base)
        super().__init__(courier, **kwargs)
        self.memory = OrderMemory(self.cache, courier.server, self.warehouse)

    def reset(self) -> None:
        """Clears the line being received; the receipt's orders stay."""
        self.line: OrderLine | None = None
        self.line_order_id = ""
        self.base_unit = ""
        self.unit = ""  # what the quantity is in: the line's unit, or the base unit of a label's count or a serial
        super().reset()

    @property
    def taken(self) -> list[OpenOrder]:
        """The receipt's orders, the soonest expected first."""
        by_id = {order.id: order for order in self.orders}
        return sorted((by_id[i] for i in self.taken_ids if i in by_id), key=lambda order: order.soonest)

    @property
    def order(self) -> OpenOrder | None:
        """The order of the line being received, else the receipt's first; None before one is chosen."""
        taken = self.taken
        return next((order for order in taken if order.id == self.line_order_id), taken[0] if taken else None)

    # What the screen shows.
    @property
    def prompt(self) -> str:
        if self.order is None:
            if self.as_of:
                return f"Orders {as_of(self.as_of)} (no connection): choose or scan one, or scan a product."
            return "Choose or scan an order, or scan a product to receive without one."
        if self.line is None:
            return f"Scan a product of {self._named()}."
        if asked := self.lot_prompt:
            return asked
        if self.quantity.value is None:
            return f"Enter how many {self._unit_label()} on the pad."
        if not self.bin:
            return f"Scan the bin, or confirm to receive into {self._default_bin()}."
        return "Check, then confirm (or scan SK:CONFIRM)."

    @property
    def takes_quantity(self) -> bool:
        return self.order is not None

    def fields(self) -> list[tuple[str, str, bool]]:
        # One line each, so that the form fits above the pad at 480x800: the choice's buttons carry the orders,
        # the rows of a line (quantity, bin) come with it, and a serial's quantity (one) goes without saying.
        order = self.order
        if order is None:
            return []
        self._forget_sent()
        next_up = self.prompt
        more = len(self.taken_ids) - 1
        rows = [("Order" + (f" +{more}" if more > 0 else ""), order.number, False),
                ("Product", self.sku, next_up.startswith("Scan a product"))]  # fmt: skip
        if self.line is not None:
            rows.append(("Due", self._figures(order, self.line), False))
        if self.tracks_lots:
            lot = self.lot or "needed"
            shown = f"{lot} exp {self.expires_on}" if self.expires_on else lot
            rows.append((self.lot_label, shown, next_up == self.lot_prompt))
        if not self.tracks_serials and (self.line is not None or self.quantity.text):
            quantity = f"{self.quantity.text} {self._unit_label()}" if self.quantity.text else ""
            rows.append(("Quantity", quantity, next_up.startswith("Enter how many")))
        if self.line is not None or self.bin:
            bin_ = self.bin or f"({self._default_bin(short=True)})"
            rows.append(("Bin", bin_, next_up.startswith("Scan the bin")))
        return rows

    def choices(self) -> list[tuple[str, str, bool]]:
        first = self.order
        if first is None:
            offered = [(f"{PICK}{place}", f"{order.number}\n{order.label}", False)
                       for place, order in enumerate(self.orders[:OFFERED])]  # fmt: skip
            return [*offered, (WITHOUT, "Without an order", False)]
        if self.line is not None or self.bin or len(self.taken_ids) >= MAX_TAKEN:
            return []
        # Between two products: the supplier's next open order, to take into the delivery with one press.
        others = sorted((order for order in self.orders if order.id not in self.taken_ids and order.same_source(first)),
                        key=lambda order: order.soonest)  # fmt: skip
        return [(f"{ADD}{others[0].id}", f"+ {others[0].number}", False)] if others else []

    @property
    def ready(self) -> bool:
        return bool(self.order and self.line and self.quantity.value is not None and (self.lot or not self.tracks_lots))

    def due(self, sku: str) -> Decimal | None:
        """What is still due of ``sku`` on the receipt's orders, in base units (receipts waiting to be sent taken
        off); None when none of them has it."""
        lines = [(order, line) for order in self.taken for line in order.lines_of(sku)]
        if not lines:
            return None
        return sum((self._line_now(order, line).due for order, line in lines), Decimal(0))

    def _named(self) -> str:
        numbers = [order.number for order in self.taken]
        if len(numbers) > 2:
            return f"{numbers[0]} or {len(numbers) - 1} more orders"
        return " or ".join(numbers)

    def _figures(self, order: OpenOrder, line: OrderLine) -> str:
        now = self._line_now(order, line)
        unit = f" {self.base_unit}" if self.base_unit else ""
        figures = now.due, now.received, now.ordered
        due, received, ordered = (format_quantity(figure) for figure in figures)
        shown = f"{due}{unit} ({received} of {ordered} in)"
        later = [other for other in self.taken if other.id != order.id and other.lines_of(line.sku)]
        rest = sum((self._line_now(other, each).due for other in later for each in other.lines_of(line.sku)),
                   Decimal(0))  # fmt: skip
        return f"{shown} +{format_quantity(rest)} on {len(later)} more" if rest > 0 else shown

    def _line_now(self, order: OpenOrder, line: OrderLine) -> OrderLine:
        """The line with what waits in the outbox for it counted as received."""
        waiting = sum((base for lines in self.pending.values() for order_id, position, base in lines
                       if order_id == order.id and position == line.position), Decimal(0))  # fmt: skip
        return line.after(waiting) if waiting else line

    def _unit_label(self) -> str:
        if self.line is None:
            return ""
        if self.unit and self.unit != self.line.unit:
            return self.unit
        return self.line.unit_label

    def _default_bin(self, *, short: bool = False) -> str:
        order = self.order
        assert order is not None
        if self.line is not None and self.line.location:
            return self.line.location if short else f"the line's bin {self.line.location}"
        if order.receive_into:
            return order.receive_into if short else f"the order's {order.receive_into}"
        return "suggested" if short else "the bin the server suggests"

    # What the worker does.
    def scan(self, captured: Captured) -> Outcome:
        code = clean_code(captured.code)
        if command(code) is None and (order := self._order_numbered(code)) is not None:
            return self._take(order)  # an order's number (as printed on its paper): known offline too
        if not self.taken_ids and command(code) is None and code:
            if (order := self._look_up_order(code)) is not None:
                return self._take(order)
            # Anything else scanned before an order is chosen is received without one, as before orders came.
            self.without_order, self.handed_over = True, captured
            return Outcome(QUIET, "Without an order.")
        return super().scan(captured)

    def _order_numbered(self, code: str) -> OpenOrder | None:
        return next((order for order in self.orders if order.number and order.number.upper() == code.upper()), None)

    def _look_up_order(self, code: str) -> OpenOrder | None:
        """The open order of that number on the server, when the first read did not bring it (None offline)."""
        if GS in code or len(code) > NUMBER_LENGTH:  # a GS1 label, or longer than any number
            return None
        try:
            return find_open_order(self.courier, code)
        except ClientError:  # offline, or signed out: the scan goes on as any other code, which says so
            return None

    def _take(self, order: OpenOrder) -> Outcome:
        """An order chosen or scanned: the receipt's first, or one more of the same supplier and warehouse."""
        if self.warehouse and order.warehouse and order.warehouse.upper() != self.warehouse.upper():
            return self._said(BAD, f"{order.number} goes to warehouse {order.warehouse}; you receive in "
                                   f"{self.warehouse}. {self.prompt}")  # fmt: skip
        if all(known.id != order.id for known in self.orders):  # found by its number: kept with the others
            self.orders.append(order)
            if self.as_of is None:
                self.memory.keep(self.orders)
        if order.id in self.taken_ids:
            return self._said(QUIET, f"{order.number} is already in this receipt. {self.prompt}")
        first = self.order
        if first is None:
            self.taken_ids = [order.id]
            self.serials.clear()  # a new receipt
            self.reset()
            old = f" (its figures {as_of(self.as_of)}: no connection)" if self.as_of else ""
            return self._said(WARN if self.as_of else GOOD, f"{order.number} from {order.supplier}{old}. {self.prompt}")
        if not order.same_source(first):
            return self._said(BAD, f"{order.number} is from {order.supplier or 'another supplier'}, not "
                                   f"{first.supplier}: a receipt takes the orders of one supplier (Cancel, then "
                                   f"choose it, to receive it alone). {self.prompt}")  # fmt: skip
        if len(self.taken_ids) >= MAX_TAKEN:
            return self._said(BAD, f"A receipt takes at most {MAX_TAKEN} orders. {self.prompt}")
        self.taken_ids.append(order.id)
        return self._said(GOOD, f"{order.number} taken too: {len(self.taken_ids)} orders of {first.supplier}. "
                                f"{self.prompt}")  # fmt: skip

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        assert self.order is not None
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            self.bin = found.location
            return self._said(GOOD, self.prompt)
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            return self._product(found, scan)
        if found.kind == "UNKNOWN" and not found.gs1:
            if self.line is not None and self.tracks_lots and not self.lot:
                return self.take_own_label(found.code)  # a new lot's (or serial's) own label
            if (order := self._look_up_order(found.code)) is not None:
                return self._take(order)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin, lot or open order has it.'}")

    def _product(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        hit = self._line_for(found.sku)
        if hit is None:
            return self._said(BAD, f"Not on {self._named()}: {found.sku} was not ordered there.")
        if problem := self.take_label(found):
            return self._said(BAD, problem)
        order, line = hit
        if found.sku != self.sku or not self.unit:
            self.unit = line.unit
        self.line, self.line_order_id = line, order.id
        self.sku, self.product_name = found.sku, found.product_name or line.product_name
        self.base_unit = found.unit
        if found.tracks_serials or (found.gs1_quantity is not None):  # counted in pieces, not the order's cases
            self.unit = found.unit or line.unit
        self.item_scan = scan
        if self._line_now(order, line).due <= 0:
            return self._said(WARN, f"Nothing more is due of {line.sku} on {self._named()}; the supplier's "
                                    f"tolerance decides. {self.prompt}")  # fmt: skip
        return self._said(GOOD, self.prompt)

    def _line_for(self, sku: str) -> tuple[OpenOrder, OrderLine] | None:
        """The first line of the product with something due on the receipt's orders, the soonest order first;
        when none has, the last line of it on the first order that has it (the supplier's tolerance may take
        more); None when none of them has it."""
        taken = self.taken
        for order in taken:
            for line in order.lines_of(sku):
                if self._line_now(order, line).due > 0:
                    return order, line
        having = next((order for order in taken if order.lines_of(sku)), None)
        return (having, having.lines_of(sku)[-1]) if having is not None else None

    def key(self, key: str) -> str:
        if self.line is not None and not self.tracks_serials and self.unit != self.line.unit:
            self.unit = self.line.unit  # keyed by the worker: in the line's unit, as the form says
        return super().key(key)

    def typed_quantity(self, text: str) -> Outcome:
        if self.line is not None and not self.tracks_serials:
            self.unit = self.line.unit
        return super().typed_quantity(text)

    def command(self, name: str) -> Outcome:
        if name.startswith(ADD):
            order = next((order for order in self.orders if order.id == name.removeprefix(ADD)), None)
            return self._take(order) if order is not None else self._said(BAD, self.prompt)
        if self.order is None and name == WITHOUT:
            self.without_order = True
            return self._said(QUIET, "Without an order: scan the product (or its GS1 label).")
        if self.order is None and name.startswith(PICK) and name.removeprefix(PICK).isdigit():
            place = int(name.removeprefix(PICK))
            if 0 <= place < len(self.orders):
                return self._take(self.orders[place])
            return self._said(BAD, self.prompt)
        if name == CANCEL and self.order is not None and self.line is None and not self.bin and self.fixing is None:
            self.taken_ids = []  # an empty form: back to the choice of orders
            return self._said(QUIET, f"Cancelled. {self.prompt}")
        return super().command(name)

    def confirm(self) -> Outcome:
        planned = self._planned() if self.ready else []
        sku, base_unit, unit = self.sku, self.base_unit, (self.line.unit.lower() if self.line else "")
        outcome = super().confirm()
        delivery = outcome.done
        if delivery is None or not planned:
            return outcome
        self.pending.pop(delivery.entry.id, None)  # a fixed entry keeps its id: its old quantity came to nothing
        if delivery.state == WAITING:
            self.pending[delivery.entry.id] = [(order.id, line.position, base) for order, line, base in planned]
        elif delivery.state == SENT:
            self._learn((delivery.payload or {}).get("orders") or [], planned)
        due = self.due(sku)
        left = f"{format_quantity(due)} {base_unit or unit} of {sku} still due. " if due is not None else ""
        message = outcome.message.removesuffix(self.prompt) + left + self.prompt
        return Outcome(outcome.feedback, message, done=delivery)

    def _base_quantity(self) -> Decimal:
        quantity = self.quantity.value or Decimal(0)
        if self.line is not None and self.unit == self.line.unit:
            return quantity * self.line.per_unit
        return quantity

    def _planned(self) -> list[Planned]:
        """Where the receipt goes, in base units: the line the product was found on; what is more than that line
        still wants goes on to the product's next lines due (the receipt's orders, soonest first); what is more
        than all of them want stays on the last (the supplier's tolerance decides)."""
        order, line, base = self.order, self.line, self._base_quantity()
        assert order is not None and line is not None
        if self.tracks_serials or not self.base_unit:  # one unit; or a loaded receipt, its base unit not known
            return [(order, line, base)]
        others = [(each, other) for each in self.taken for other in each.lines_of(self.sku)
                  if (each.id, other.position) != (order.id, line.position)]  # fmt: skip
        planned: list[Planned] = []
        left = base
        for each, other in [(order, line), *others]:
            take = min(left, self._line_now(each, other).due)
            if take > 0:
                planned.append((each, other, take))
                left -= take
        if not planned:
            return [(order, line, base)]
        if left > 0:
            last_order, last_line, last_base = planned[-1]
            planned[-1] = (last_order, last_line, last_base + left)
        return planned

    def _learn(self, raw_orders: list[dict[str, Any]], planned: list[Planned]) -> None:
        """The orders as the server answered after a receipt: their figures replace the device's. The answer
        carries an order's first page of lines; a line received further down is read on its own (or, the
        server gone meanwhile, counted on the device)."""
        by_id = {str(raw.get("id")): raw for raw in raw_orders}
        self.orders = [order.with_progress(by_id[order.id]) if order.id in by_id else order for order in self.orders]
        for order_id, position, base in self._unanswered(by_id, planned):
            try:
                raw = read_progress(self.courier, order_id, position - 1)
            except ClientError:
                raw = None
            answered = {int(p["position"]) for p in ((raw or {}).get("purchaseOrder") or {}).get("lines") or []}
            for place, order in enumerate(self.orders):
                if order.id != order_id:
                    continue
                if raw is not None and position in answered:
                    self.orders[place] = order.with_progress(raw)
                else:
                    self.orders[place] = order.received(position, base)
        if self.as_of is None:
            self.memory.keep(self.orders)

    @staticmethod
    def _unanswered(by_id: dict[str, dict[str, Any]], planned: list[Planned]) -> list[tuple[str, int, Decimal]]:
        """The receipt's lines whose figures the receipt's answer did not carry."""
        missing = []
        for order, line, base in planned:
            lines = ((by_id.get(order.id) or {}).get("purchaseOrder") or {}).get("lines") or []
            if all(int(p["position"]) != line.position for p in lines):
                missing.append((order.id, line.position, base))
        return missing

    def _forget_sent(self) -> None:
        """Receipts the app sent meanwhile (its sender drains the outbox too): received, as far as is known here."""
        if not self.pending:
            return
        waiting = {entry.id for entry in self.courier.outbox.waiting(self.courier.server, self.courier.username)}
        for entry_id in [entry_id for entry_id in self.pending if entry_id not in waiting]:
            lines = self.pending.pop(entry_id)
            if self.courier.outbox.get(entry_id) is not None:  # refused: nothing came
                continue
            for order_id, position, base in lines:
                self.orders = [order.received(position, base) if order.id == order_id else order
                               for order in self.orders]  # fmt: skip

    # The write.
    def write(self) -> dict[str, Any]:
        planned = self._planned()
        if len(planned) == 1:
            order, line, _ = planned[0]
            lines = [{"order": order.id, "position": line.position, "quantity": self.quantity.for_server,
                      "unit": self.unit or line.unit}]  # fmt: skip
        else:  # split over several lines: each in base units
            lines = [{"order": order.id, "position": line.position, "quantity": format_quantity(base),
                      "unit": self.base_unit} for order, line, base in planned]  # fmt: skip
        for line_input in lines:
            if self.bin:
                line_input["location"] = self.bin
            line_input |= lot_fields(self)
        write: dict[str, Any] = {"lines": lines}
        if self.item_scan:
            write["scan"] = self.item_scan
        return write

    def summary(self) -> str:
        numbers = list(dict.fromkeys(order.number for order, _, _ in self._planned()))
        lot = f" {self.lot_label.lower()} {self.lot}" if self.lot else ""
        into = f" into {self.bin}" if self.bin else ""
        return (f"Receive {self.quantity.for_server} {self.unit.lower()} x {self.sku}{lot} on "
                f"{' + '.join(numbers)}{into}")  # fmt: skip

    def load(self, entry: Entry) -> None:
        """A refused receipt back in the form (its orders and line as the device knows them), to fix and confirm."""
        super().load(entry)
        lines = entry.input.get("lines") or [{}]
        total = sum((Decimal(str(line.get("quantity") or 0)) for line in lines), Decimal(0))
        self.quantity.set(format_quantity(total) if len(lines) > 1 else str(lines[0].get("quantity") or ""))
        known = {order.id for order in self.orders}
        ids = [str(line.get("order")) for line in lines if str(line.get("order")) in known]
        if not ids:
            self.message = f"{self.message} (its order is no longer open here: drop it)".strip()
            return
        values = next(line for line in lines if str(line.get("order")) == ids[0])
        self.taken_ids, self.line_order_id = list(dict.fromkeys(ids)), ids[0]
        order = self.order
        assert order is not None
        self.line = next((line for line in order.lines if line.position == values.get("position")), None)
        if self.line is not None:
            self.sku, self.product_name = self.line.sku, self.line.product_name
        self.unit = str(values.get("unit") or (self.line.unit if self.line else ""))
        self.bin, self.lot = str(values.get("location") or ""), str(values.get("lot") or "")
        self.expires_on, self.best_before_on = str(values.get("expiresOn") or ""), str(values.get("bestBeforeOn") or "")
        self.tracks_lots = bool(self.lot)
