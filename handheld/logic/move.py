"""Moving (and putting away): scan the bin to take from, the item, give the quantity, scan the bin
to put it in, confirm. Shows what the first bin holds of the item, so a short bin is seen early."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handheld.client import ClientError
from handheld.logic.courier import Courier
from handheld.logic.outbox import Entry
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, STOCK, format_quantity
from handheld.logic.task import Outcome, TaskFlow


class MoveFlow(TaskFlow):
    operation = "moveStock"

    def reset(self) -> None:
        self.source = ""
        self.sku = ""
        self.product_name = ""
        self.lot = ""
        self.target = ""
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
        if not self.target:
            return "Scan the bin to put it in."
        return "Check, then confirm (or scan SK:CONFIRM)."

    def fields(self) -> list[tuple[str, str, bool]]:
        next_up = self.prompt
        here = "" if self.available is None else f"{format_quantity(self.available)} here"
        return [
            ("From", self.source, next_up.startswith("Scan the bin to take")),
            ("Item", f"{self.sku} {self.product_name}".strip(), next_up.startswith("Scan the item")),
            ("Lot", self.lot or "-", False),
            ("Quantity", f"{self.quantity.text}  ({here})" if here else self.quantity.text,
             next_up.startswith("Enter the quantity")),
            ("To", self.target, next_up.startswith("Scan the bin to put")),
        ]  # fmt: skip

    @property
    def ready(self) -> bool:
        return bool(self.source and self.sku and self.target and self.quantity.value is not None)

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            if not self.source or not self.sku:
                self.source = found.location
                self.available = self._available() if self.sku else None
            elif found.location.upper() == self.source.upper():
                return self._said(BAD, f"That is {self.source} again: scan the bin to put it in.")
            else:
                self.target = found.location
            return self._said(GOOD, self.prompt)
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            self.sku, self.product_name, self.lot = found.sku, found.product_name, found.gs1_lot
            if found.gs1_quantity is not None:
                self.quantity.set(format_quantity(found.gs1_quantity))
            self.item_scan = scan
            self.available = self._available() if self.source else None
            if self.available is not None and self.available <= 0:
                return self._said(BAD, f"{self.source} holds no {self.sku}{' lot ' + self.lot if self.lot else ''}.")
            return self._said(GOOD, self.prompt)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _available(self) -> Decimal | None:
        return available(self.courier, self.source, self.sku, self.lot)

    def write(self) -> dict[str, Any]:
        write: dict[str, Any] = {
            "sku": self.sku, "fromLocationCode": self.source, "toLocationCode": self.target,
            "quantity": self.quantity.for_server,
        }  # fmt: skip
        if self.lot:
            write["lot"] = self.lot
        if self.item_scan:
            write["scan"] = self.item_scan
        return write

    def summary(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"Move {self.quantity.for_server} x {self.sku}{lot} from {self.source} to {self.target}"

    def load(self, entry: Entry) -> None:
        super().load(entry)
        values = entry.input
        self.sku, self.lot = str(values.get("sku") or ""), str(values.get("lot") or "")
        self.source, self.target = str(values.get("fromLocationCode") or ""), str(values.get("toLocationCode") or "")


def available(courier: Courier, location: str, sku: str, lot: str = "") -> Decimal | None:
    """What a bin holds of an item, available to take (None when the server cannot say now)."""
    try:
        data = courier.execute(STOCK, {"sku": sku, "locationCode": location, "first": 100})
    except ClientError:
        return None
    nodes = [edge["node"] for edge in (data.get("stockLevels") or {}).get("edges") or []]
    wanted = [n for n in nodes if not lot or (n.get("lotCode") or "").upper() == lot.upper()]
    return sum((Decimal(str(n.get("available") or 0)) for n in wanted), Decimal(0))
