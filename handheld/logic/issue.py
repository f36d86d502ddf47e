"""Issuing and scrapping: scan the bin to take from, the item, give the quantity, say why (sale or
scrap: a button, or the SK:SALE / SK:SCRAP barcodes), confirm. The reason is always chosen, never
assumed: stock sold by mistake and stock scrapped by mistake are both hard to find again."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handheld.logic.commands import SALE, SCRAP
from handheld.logic.move import available
from handheld.logic.outbox import Entry
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, format_quantity
from handheld.logic.task import Outcome, TaskFlow

REASONS = {SALE: "Sale", SCRAP: "Scrap"}


class IssueFlow(TaskFlow):
    operation = "issueStock"

    def reset(self) -> None:
        self.source = ""
        self.sku = ""
        self.product_name = ""
        self.lot = ""
        self.reason = ""
        self.available: Decimal | None = None
        super().reset()

    @property
    def prompt(self) -> str:
        if not self.source:
            return "Scan the bin to take from."
        if not self.sku:
            return "Scan the item."
        if self.quantity.value is None:
            return "Enter the quantity on the pad."
        if not self.reason:
            return "Sale or scrap? Tap one (or scan SK:SALE / SK:SCRAP)."
        return "Check, then confirm (or scan SK:CONFIRM)."

    def fields(self) -> list[tuple[str, str, bool]]:
        next_up = self.prompt
        here = "" if self.available is None else f"  ({format_quantity(self.available)} here)"
        # The reason is shown by the Sale / Scrap buttons, and the lot only when there is one: the form
        # must fit above them and the pad on a 480x800 screen.
        rows = [
            ("From", self.source, next_up.startswith("Scan the bin")),
            ("Item", f"{self.sku} {self.product_name}".strip(), next_up.startswith("Scan the item")),
        ]
        if self.lot:
            rows.append(("Lot", self.lot, False))
        quantity = self.quantity.text + here if self.quantity.text else here.strip()
        rows.append(("Quantity", quantity, next_up.startswith("Enter the quantity")))
        return rows

    def choices(self) -> list[tuple[str, str, bool]]:
        return [(name, label, self.reason == name) for name, label in REASONS.items()]

    @property
    def ready(self) -> bool:
        return bool(self.source and self.sku and self.reason and self.quantity.value is not None)

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            self.source = found.location
            return self._checked()
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            self.sku, self.product_name, self.lot = found.sku, found.product_name, found.gs1_lot
            if found.gs1_quantity is not None:
                self.quantity.set(format_quantity(found.gs1_quantity))
            self.item_scan = scan
            return self._checked()
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _checked(self) -> Outcome:
        """What the bin holds of the item, once both are known: an empty bin is said at once."""
        self.available = available(self.courier, self.source, self.sku, self.lot) if self.source and self.sku else None
        if self.available is not None and self.available <= 0:
            return self._said(BAD, f"{self.source} holds no {self.sku}{' lot ' + self.lot if self.lot else ''}.")
        return self._said(GOOD, self.prompt)

    def command(self, name: str) -> Outcome:
        if name in REASONS:
            self.reason = name
            return self._said(GOOD, self.prompt)
        return super().command(name)

    def write(self) -> dict[str, Any]:
        write: dict[str, Any] = {
            "sku": self.sku, "locationCode": self.source, "quantity": self.quantity.for_server,
            "reason": self.reason.upper(),
        }  # fmt: skip
        if self.lot:
            write["lot"] = self.lot
        if self.item_scan:
            write["scan"] = self.item_scan
        return write

    def summary(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        verb = "Scrap" if self.reason == SCRAP else "Issue (sale)"
        return f"{verb} {self.quantity.for_server} x {self.sku}{lot} from {self.source}"

    def load(self, entry: Entry) -> None:
        super().load(entry)
        values = entry.input
        self.sku, self.lot = str(values.get("sku") or ""), str(values.get("lot") or "")
        self.source, self.reason = str(values.get("locationCode") or ""), str(values.get("reason") or "").lower()
