"""Receiving: scan the product (a GS1 label fills lot, expiry and quantity), give the quantity,
scan the bin, confirm. Scans may come in any order; each fills what it names.

What both receipts share (this one, ``receiveStock``, and the one against purchase orders in
``logic.receive_order``) is ``ReceivingFlow``: a lot-tracked product asks for its lot; a serial-tracked one
for its serial (a GS1 label's AI 21 fills it, else its own label or the serial typed), is received one unit
per serial, and a serial already taken into the receipt is refused on the device before anything is sent
(the server would refuse it as ``SERIAL_IN_STOCK``, but only once the write arrives, which offline may be
much later).
"""

from __future__ import annotations

from typing import Any

from handheld.logic.outbox import Entry
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, format_quantity
from handheld.logic.task import Outcome, TaskFlow

ONE = "1"  # a serial is one unit


class ReceivingFlow(TaskFlow):
    """A receipt's form: the product, its lot or serial with their dates, the quantity and the bin."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # (sku, serial) taken into this receipt (sent or waiting to be); a refused one is not.
        self.serials: set[tuple[str, str]] = set()
        super().__init__(*args, **kwargs)

    def reset(self) -> None:
        self.sku = ""
        self.product_name = ""
        self.tracks_lots = False
        self.tracks_serials = False
        self.lot = ""  # the lot, or the serial of a serial-tracked product (the server keeps a serial as a lot)
        self.expires_on = ""
        self.best_before_on = ""
        self.bin = ""
        super().reset()

    @property
    def lot_label(self) -> str:
        return "Serial" if self.tracks_serials else "Lot"

    @property
    def lot_prompt(self) -> str:
        """What the form asks of the lot or serial; "" when it has what it needs."""
        if self.lot or not self.tracks_lots:
            return ""
        if self.tracks_serials:
            return "Scan the serial (its own label, or type it)."
        return "Scan the lot (its label or the GS1 code)."

    def take_label(self, found: Resolution) -> str:
        """A product (or its GS1 label) scanned on the form, before ``sku`` takes it: another product clears the
        lot and its dates; a label's lot (or serial) and dates fill them for a product kept by lot; a serial
        product is one unit. Why it is refused ("": taken)."""
        label_lot = found.gs1_lot if found.tracks_lots else ""
        if found.tracks_serials and label_lot and (problem := self._serial_taken(found.sku, label_lot)):
            return problem
        if found.sku != self.sku or not found.tracks_lots:
            self.lot, self.expires_on, self.best_before_on = "", "", ""
        if found.tracks_lots:
            self.lot = label_lot or self.lot
            self.expires_on = found.expires_on or self.expires_on
            self.best_before_on = found.best_before_on or self.best_before_on
        self.tracks_lots, self.tracks_serials = found.tracks_lots, found.tracks_serials
        if found.tracks_serials:
            self.quantity.set(ONE)
        elif found.gs1_quantity is not None:
            self.quantity.set(format_quantity(found.gs1_quantity))
        return ""

    def take_own_label(self, code: str) -> Outcome:
        """A code no product, bin or lot has, while the form wants a lot or serial: a new lot's (or serial's) own
        label; the server creates the lot on receipt."""
        lot = code.upper()
        if self.tracks_serials and (problem := self._serial_taken(self.sku, lot)):
            return self._said(BAD, problem)
        self.lot = lot
        return self._said(GOOD, self.prompt)

    def _serial_taken(self, sku: str, serial: str) -> str:
        if (sku.upper(), serial.upper()) not in self.serials:
            return ""
        return f"{serial} of {sku} is already in this receipt: each unit has its own serial. Scan the next one."

    def key(self, key: str) -> str:
        if self.tracks_serials:  # the pad cannot make a serial more than one unit
            self.message = f"One unit per serial. {self.prompt}"
            return self.quantity.text
        return super().key(key)

    def typed_quantity(self, text: str) -> Outcome:
        if self.tracks_serials and not self.lot:
            return self.take_own_label(text)  # a serial of digits, typed on the keys
        if self.tracks_serials:
            return self._said(BAD, f"One unit per serial: {text} is not taken. {self.prompt}")
        return super().typed_quantity(text)

    def confirm(self) -> Outcome:
        sku, serial = self.sku, self.lot if self.tracks_serials else ""
        if serial and self.fixing is None and (problem := self._serial_taken(sku, serial)):
            return self._said(BAD, problem)
        outcome = super().confirm()
        if serial and outcome.done is not None:  # sent, or waiting to be: taken either way
            self.serials.add((sku.upper(), serial.upper()))
        return outcome


class ReceiveFlow(ReceivingFlow):
    operation = "receiveStock"

    @property
    def prompt(self) -> str:
        if not self.sku:
            return "Scan the product (or its GS1 label)."
        if asked := self.lot_prompt:
            return asked
        if self.quantity.value is None:
            return "Enter the quantity on the pad."
        if not self.bin:
            return "Scan the bin to receive into."
        return "Check, then confirm (or scan SK:CONFIRM)."

    def fields(self) -> list[tuple[str, str, bool]]:
        next_up = self.prompt
        return [
            ("Product", f"{self.sku} {self.product_name}".strip(), next_up.startswith("Scan the product")),
            (self.lot_label, self.lot or ("needed" if self.tracks_lots else "-"), next_up == self.lot_prompt),
            ("Expires", self.expires_on or "-", False),
            ("Quantity", self.quantity.text, next_up.startswith("Enter the quantity")),
            ("Bin", self.bin, next_up.startswith("Scan the bin")),
        ]

    @property
    def ready(self) -> bool:
        return bool(self.sku and self.bin and self.quantity.value is not None and (self.lot or not self.tracks_lots))

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            self.bin = found.location
            return self._said(GOOD, self.prompt)
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            if problem := self.take_label(found):
                return self._said(BAD, problem)
            self.sku, self.product_name = found.sku, found.product_name
            self.item_scan = scan
            return self._said(GOOD, self.prompt)
        if found.kind == "UNKNOWN" and self.sku and self.tracks_lots and not self.lot and not found.gs1:
            return self.take_own_label(found.code)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def write(self) -> dict[str, Any]:
        write: dict[str, Any] = {"sku": self.sku, "locationCode": self.bin, "quantity": self.quantity.for_server}
        write |= lot_fields(self)
        if self.item_scan:
            write["scan"] = self.item_scan
        return write

    def summary(self) -> str:
        lot = f" {self.lot_label.lower()} {self.lot}" if self.lot else ""
        return f"Receive {self.quantity.for_server} x {self.sku}{lot} into {self.bin}"

    def load(self, entry: Entry) -> None:
        super().load(entry)
        values = entry.input
        self.sku, self.bin = str(values.get("sku") or ""), str(values.get("locationCode") or "")
        self.lot, self.expires_on = str(values.get("lot") or ""), str(values.get("expiresOn") or "")
        self.best_before_on = str(values.get("bestBeforeOn") or "")
        self.tracks_lots = bool(self.lot)


def lot_fields(form: Any) -> dict[str, str]:
    """The lot (a serial product's serial) and its dates a receiving form sends, those it has."""
    named = {"lot": form.lot, "expiresOn": form.expires_on, "bestBeforeOn": form.best_before_on}
    return {name: value for name, value in named.items() if value}
