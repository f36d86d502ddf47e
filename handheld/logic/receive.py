"""Receiving: scan the product (a GS1 label fills lot, expiry and quantity), give the quantity,
scan the bin, confirm. Scans may come in any order; each fills what it names."""

from __future__ import annotations

from typing import Any

from handheld.logic.outbox import Entry
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, format_quantity
from handheld.logic.task import Outcome, TaskFlow


class ReceiveFlow(TaskFlow):
    operation = "receiveStock"

    def reset(self) -> None:
        self.sku = ""
        self.product_name = ""
        self.tracks_lots = False
        self.lot = ""
        self.expires_on = ""
        self.best_before_on = ""
        self.bin = ""
        super().reset()

    @property
    def prompt(self) -> str:
        if not self.sku:
            return "Scan the product (or its GS1 label)."
        if self.tracks_lots and not self.lot:
            return "Scan the lot (its label or the GS1 code)."
        if self.quantity.value is None:
            return "Enter the quantity on the pad."
        if not self.bin:
            return "Scan the bin to receive into."
        return "Check, then confirm (or scan SK:CONFIRM)."

    def fields(self) -> list[tuple[str, str, bool]]:
        next_up = self.prompt
        return [
            ("Product", f"{self.sku} {self.product_name}".strip(), next_up.startswith("Scan the product")),
            ("Lot", self.lot or ("needed" if self.tracks_lots else "-"), next_up.startswith("Scan the lot")),
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
            take_label(self, found)
            self.sku, self.product_name, self.tracks_lots = found.sku, found.product_name, found.tracks_lots
            if found.gs1_quantity is not None:
                self.quantity.set(format_quantity(found.gs1_quantity))
            self.item_scan = scan
            return self._said(GOOD, self.prompt)
        if found.kind == "UNKNOWN" and self.sku and self.tracks_lots and not self.lot and not found.gs1:
            self.lot = found.code.upper()  # a new lot's own label: the server creates the lot on receipt
            return self._said(GOOD, self.prompt)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def write(self) -> dict[str, Any]:
        write: dict[str, Any] = {"sku": self.sku, "locationCode": self.bin, "quantity": self.quantity.for_server}
        write |= lot_fields(self)
        if self.item_scan:
            write["scan"] = self.item_scan
        return write

    def summary(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"Receive {self.quantity.for_server} x {self.sku}{lot} into {self.bin}"

    def load(self, entry: Entry) -> None:
        super().load(entry)
        values = entry.input
        self.sku, self.bin = str(values.get("sku") or ""), str(values.get("locationCode") or "")
        self.lot, self.expires_on = str(values.get("lot") or ""), str(values.get("expiresOn") or "")
        self.best_before_on = str(values.get("bestBeforeOn") or "")
        self.tracks_lots = bool(self.lot)


def take_label(form: Any, found: Resolution) -> None:
    """A product scanned on a receiving form (before ``form.sku`` takes it): another product clears the lot and
    its dates; a GS1 label's lot and dates fill them for a product kept by lot, and mean nothing for one kept
    without lots."""
    if found.sku != form.sku or not found.tracks_lots:
        form.lot, form.expires_on, form.best_before_on = "", "", ""
    if found.tracks_lots:
        form.lot = found.gs1_lot or form.lot
        form.expires_on = found.expires_on or form.expires_on
        form.best_before_on = found.best_before_on or form.best_before_on


def lot_fields(form: Any) -> dict[str, str]:
    """The lot and its dates a receiving form sends, those it has."""
    named = {"lot": form.lot, "expiresOn": form.expires_on, "bestBeforeOn": form.best_before_on}
    return {name: value for name, value in named.items() if value}
