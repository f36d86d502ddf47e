"""Moving (and putting away): scan the bin to take from, the item, give the quantity, scan the bin
to put it in, confirm. Shows what the first bin holds of the item, so a short bin is seen early.

Or a pallet (any package with an SSCC label), whole: scan its label instead of the first bin, then
the bin to put it in, and confirm. The form shows where the pallet is and what it holds; the move
(``movePackage``) names the bin it was seen in, so a pallet someone moved meanwhile is refused
(STALE) rather than moved from where it no longer is, and a retry of the same move is replayed, not
booked twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handheld.client import ClientError, UserError
from handheld.logic.courier import Courier
from handheld.logic.outbox import Entry
from handheld.logic.quantity import QuantityEntry, shown_quantity
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, STOCK, format_quantity
from handheld.logic.task import Outcome, TaskFlow


class MoveFlow(TaskFlow):
    """Items from a bin (``moveStock``), or a pallet with all it holds (``movePackage``) once one is scanned."""

    operation = "moveStock"
    package_operation = "movePackage"
    takes_packages = True

    def reset(self) -> None:
        self.source = ""
        self.sku = ""
        self.product_name = ""
        self.lot = ""
        self.target = ""
        self.available: Decimal | None = None
        # A pallet's move: its SSCC (empty for an item move), kind, and what it holds, as shown.
        self.sscc = ""
        self.package_kind = ""
        self.package_total = ""
        self.package_holds = ""
        super().reset()

    @property
    def takes_quantity(self) -> bool:
        return not self.sscc  # a pallet moves whole

    @property
    def package(self) -> str:
        """How the form names the package it moves: "pallet", "case" ("package" when not known)."""
        return self.package_kind or "package"

    @property
    def prompt(self) -> str:
        if self.sscc:
            if not self.source:
                return f"Scan the {self.package} again: where it is now is not known."
            if not self.target:
                return f"Scan the bin to put the {self.package} in."
            return "Check, then confirm (or scan SK:CONFIRM)."
        if not self.source:
            return "Scan the bin to take from, or a pallet."
        if not self.sku:
            return "Scan the item."
        if self.quantity.value is None:
            return "Enter the quantity on the pad."
        if not self.target:
            return "Scan the bin to put it in."
        return "Check, then confirm (or scan SK:CONFIRM)."

    def fields(self) -> list[tuple[str, str, bool]]:
        next_up = self.prompt
        if self.sscc:
            return [
                (self.package.title(), self.sscc, next_up.startswith("Scan the " + self.package)),
                ("From", self.source, False),
                ("Holds", self.package_holds or "-", False),
                ("To", self.target, next_up.startswith("Scan the bin to put")),
            ]
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
        if self.sscc:
            return bool(self.source and self.target)
        return bool(self.source and self.sku and self.target and self.quantity.value is not None)

    def write_operation(self) -> str:
        return self.package_operation if self.sscc else self.operation

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if found.kind == "PACKAGE" and found.sscc:
            return self._package(found, scan)
        if self.sscc:
            return self._pallet_target(found)
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

    def _package(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        """A pallet's label: on an empty form, instead of the first bin, or again (another pallet, or where it
        is now); never into a move of items begun, whose entry could not become a pallet's."""
        what = f"{found.package_kind or 'package'} {found.sscc}"
        if not self.sscc and (self.source or self.sku):
            return self._said(BAD, f"That is the {what}: finish this move of items, or cancel it (SK:CANCEL), "
                                   "then scan the pallet.")  # fmt: skip
        if found.package_parent:
            return self._said(BAD, f"The {what} is on the {found.package_parent}: scan that one to move them "
                                   "together.")  # fmt: skip
        if not found.package_location:
            return self._said(BAD, f"The server did not say where the {what} is: scan it again.")
        if self.warehouse and found.package_warehouse and found.package_warehouse != self.warehouse:
            return self._said(BAD, f"The {what} is in {found.package_location}, in warehouse "
                                   f"{found.package_warehouse}; you work in {self.warehouse}.")  # fmt: skip
        if self.target.upper() == found.package_location.upper():
            self.target = ""  # scanned before the pallet, or the pallet was moved there meanwhile
        self.sscc, self.package_kind, self.source = found.sscc, found.package_kind, found.package_location
        self.package_total, self.package_holds = found.package_total, found.package_holds
        self.quantity = QuantityEntry()
        self.item_scan = scan
        return self._said(GOOD, self.prompt)

    def _pallet_target(self, found: Resolution) -> Outcome:
        """With a pallet on the form, a bin is where it goes; nothing else is taken."""
        if found.kind != "LOCATION":
            return self._said(BAD, f"The {self.package} moves whole: scan the bin to put it in, or cancel "
                                   "(SK:CANCEL) to move items.")  # fmt: skip
        if problem := self._in_other_warehouse(found):
            return self._said(BAD, problem)
        if self.source and found.location.upper() == self.source.upper():
            return self._said(BAD, f"The {self.package} is in {self.source} already: scan the bin to put it in.")
        self.target = found.location
        return self._said(GOOD, self.prompt)

    def after_refusal(self, error: UserError | None) -> str:
        if self.sscc and error is not None and error.code == "STALE":
            self.source = ""  # not where it was seen: its label, scanned again, says where it is
            return f" Scan the {self.package} again."
        return ""

    def _available(self) -> Decimal | None:
        return available(self.courier, self.source, self.sku, self.lot)

    def write(self) -> dict[str, Any]:
        if self.sscc:
            pallet: dict[str, Any] = {"sscc": self.sscc, "fromLocationCode": self.source, "toLocationCode": self.target}
            if self.item_scan:
                pallet["scan"] = self.item_scan
            return pallet
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
        if self.sscc:
            total = f" ({shown_quantity(self.package_total)} units)" if self.package_total else ""
            return f"Move {self.package} {self.sscc}{total} from {self.source} to {self.target}"
        lot = f" lot {self.lot}" if self.lot else ""
        return f"Move {self.quantity.for_server} x {self.sku}{lot} from {self.source} to {self.target}"

    def load(self, entry: Entry) -> None:
        super().load(entry)
        values = entry.input
        self.sku, self.lot = str(values.get("sku") or ""), str(values.get("lot") or "")
        self.source, self.target = str(values.get("fromLocationCode") or ""), str(values.get("toLocationCode") or "")
        if entry.operation == self.package_operation:
            self.sscc = str(values.get("sscc") or "")  # its kind and contents are not kept: "package" will do
            self.message += self.after_refusal(entry.error)


def available(courier: Courier, location: str, sku: str, lot: str = "") -> Decimal | None:
    """What a bin holds of an item, available to take (None when the server cannot say now)."""
    try:
        data = courier.execute(STOCK, {"sku": sku, "locationCode": location, "first": 100})
    except ClientError:
        return None
    nodes = [edge["node"] for edge in (data.get("stockLevels") or {}).get("edges") or []]
    wanted = [n for n in nodes if not lot or (n.get("lotCode") or "").upper() == lot.upper()]
    return sum((Decimal(str(n.get("available") or 0)) for n in wanted), Decimal(0))
