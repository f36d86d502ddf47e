"""Counting a bin: scan the bin (what the server says it holds is read then), scan each thing in it
and give its count on the pad, confirm to finish.

Each counted line (product and lot) is one ``adjustStock``: the server books the difference to
inventory loss or gain. The lines go through the outbox with a key each, so a count made offline
waits and one sent again is replayed, never booked twice. What the server lists in the bin but
nobody counted is shown before finishing and, once confirmed, counted as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, NotSignedIn
from handheld.logic.commands import CANCEL
from handheld.logic.courier import REFUSED, SENT, Delivery
from handheld.logic.outbox import Entry
from handheld.logic.quantity import QuantityEntry
from handheld.logic.resolution import Resolution
from handheld.logic.scan import BAD, GOOD, QUIET, WARN, format_quantity
from handheld.logic.task import Outcome, TaskFlow

BIN_STOCK = """
query BinStock($locationCode: String, $first: Int, $after: String) {
  stockLevels(locationCode: $locationCode, first: $first, after: $after) {
    edges { node { sku locationCode lotCode onHand } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
PAGE = 100


@dataclass(frozen=True)
class CountLine:
    """What was counted of one product (and lot) in the bin; ``before`` is what the server had."""

    sku: str
    lot: str
    quantity: Decimal
    before: Decimal | None = None
    scan: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.sku.upper(), self.lot.upper()

    @property
    def label(self) -> str:
        return f"{self.sku} lot {self.lot}" if self.lot else self.sku


class CountFlow(TaskFlow):
    operation = "adjustStock"
    zero_quantity = True

    def reset(self) -> None:
        self.bin = ""
        self.expected: dict[tuple[str, str], CountLine] = {}  # what the server lists, as lines counted 0
        self.expected_known = False
        self.counted: dict[tuple[str, str], CountLine] = {}
        self.asking: tuple[CountLine, ...] = ()  # not counted: set to 0? (asked once before finishing)
        self._clear_item()
        super().reset()

    def _clear_item(self) -> None:
        self.sku, self.product_name, self.tracks_lots, self.lot = "", "", False, ""
        self.item_scan = None
        self.quantity = QuantityEntry(allow_zero=True)

    # What the screen shows.
    @property
    def prompt(self) -> str:
        if not self.bin:
            return "Scan the bin to count."
        if self.asking:
            return f"Not counted: {len(self.asking)} will be set to 0. Confirm, or scan them to count."
        if not self.sku:
            return "Scan what is in the bin" + (", or confirm to finish." if self.counted or self.expected else ".")
        if self.tracks_lots and not self.lot:
            return "Scan the lot (its label or the GS1 code)."
        if self.quantity.value is None:
            return f"Enter the count of {self.sku} on the pad."
        return "Scan the next item, or confirm to finish."

    @property
    def confirm_label(self) -> str:
        return "Set to 0" if self.asking else "Finish"

    def fields(self) -> list[tuple[str, str, bool]]:
        next_up = self.prompt
        rows = [
            ("Bin", self.bin, not self.bin),
            ("Item", f"{self.sku} {self.product_name}".strip(), next_up.startswith("Scan what")),
        ]
        if self.tracks_lots or self.lot:
            rows.append(("Lot", self.lot or "needed", next_up.startswith("Scan the lot")))
        rows.append(("Count", self.quantity.text, next_up.startswith("Enter the count")))
        for line in self.counted.values():
            differs = line.before is not None and line.before != line.quantity
            books = f"  (books {format_quantity(line.before or Decimal(0))})" if differs else ""
            rows.append(("Counted", f"{line.label}: {format_quantity(line.quantity)}{books}", False))
        for line in self.not_counted():
            rows.append(("Set to 0" if self.asking else "Not yet", line.label, False))
        return rows

    def not_counted(self) -> list[CountLine]:
        current = (self.sku.upper(), self.lot.upper())
        return [line for key, line in self.expected.items() if key not in self.counted and key != current]

    @property
    def ready(self) -> bool:
        if not self.bin:
            return False
        if self.sku:
            return self._item_complete
        return bool(self.counted or self.expected)

    @property
    def _item_complete(self) -> bool:
        return bool(self.sku and (self.lot or not self.tracks_lots) and self.quantity.value is not None)

    # What the worker does.
    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if found.kind == "LOCATION":
            return self._bin(found)
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            if not self.bin:
                return self._said(BAD, "Scan the bin first: " + self.prompt)
            return self._item(found, scan)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _bin(self, found: Resolution) -> Outcome:
        if problem := self._in_other_warehouse(found):
            return self._said(BAD, problem)
        if self.bin.upper() == found.location.upper():
            return self._said(GOOD, self.prompt)
        if self.counted or self.sku:
            return self._said(BAD, f"Finish counting {self.bin} first (confirm), or cancel it.")
        self.bin = found.location
        try:
            self.expected = {line.key: line for line in self._bin_stock()}
            self.expected_known = True
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except ClientError:
            self.expected, self.expected_known = {}, False
            return self._said(WARN, f"No connection: what {self.bin} holds is not known, so nothing is set to 0 "
                                    f"that you do not count. {self.prompt}")  # fmt: skip
        return self._said(GOOD, self.prompt)

    def _bin_stock(self) -> list[CountLine]:
        """What the server lists in the bin, every page of it, as lines counted 0."""
        lines: dict[tuple[str, str], CountLine] = {}
        after: str | None = None
        while True:
            variables = {"locationCode": self.bin, "first": PAGE, "after": after}
            connection = self.courier.execute(BIN_STOCK, variables).get("stockLevels") or {}
            for node in (edge["node"] for edge in connection.get("edges") or []):
                if (node.get("locationCode") or "").upper() != self.bin.upper():
                    continue  # a zone's or warehouse's code lists the bins below it
                line = CountLine(node["sku"], node.get("lotCode") or "", Decimal(0), Decimal(str(node["onHand"])))
                if line.before:
                    lines[line.key] = line
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return list(lines.values())
            after = page["endCursor"]

    def _item(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        lot = found.gs1_lot.upper() if found.tracks_lots else ""
        same = found.sku == self.sku and (not lot or not self.lot or lot == self.lot.upper())
        if self.sku and not same:
            if not self._item_complete:
                return self._said(BAD, f"Enter the count of {self.sku} first, or cancel it.")
            self._keep_item()
        if not same or not self.sku:
            self.sku, self.product_name, self.tracks_lots, self.lot = (
                found.sku,
                found.product_name,
                found.tracks_lots,
                "",
            )
            self.quantity = QuantityEntry(allow_zero=True)
        self.lot = self.lot or (found.gs1_lot if found.tracks_lots else "")
        self.item_scan = scan
        self.asking = ()
        if found.gs1_quantity is not None:
            self.quantity.set(format_quantity(found.gs1_quantity))
        earlier = self.counted.pop((self.sku.upper(), self.lot.upper()), None)
        if earlier is not None:  # counted before: its line comes back to be changed
            self.quantity.set(format_quantity(earlier.quantity))
            return self._said(GOOD, f"{earlier.label} was counted {format_quantity(earlier.quantity)}: "
                                    "enter the new count, or scan the next item.")  # fmt: skip
        return self._said(GOOD, self.prompt)

    def _keep_item(self) -> None:
        key = (self.sku.upper(), self.lot.upper())
        before = self.expected[key].before if key in self.expected else (Decimal(0) if self.expected_known else None)
        value = self.quantity.value if self.quantity.value is not None else Decimal(0)
        self.counted[key] = CountLine(self.sku, self.lot, value, before, self.item_scan)
        self._clear_item()

    def command(self, name: str) -> Outcome:
        if name == CANCEL and self.sku and not self.fixing:
            label = self.sku
            self._clear_item()
            return self._said(QUIET, f"{label} not counted. {self.prompt}")
        if name == CANCEL and self.asking:
            self.asking = ()
            return self._said(QUIET, f"Not finished. {self.prompt}")
        return super().command(name)

    def confirm(self) -> Outcome:
        """Finish: ask about what was not counted (once), then send one ``adjustStock`` per line."""
        if self.fixing is not None:
            return super().confirm()
        if not self.ready:
            return self._said(BAD, "Not yet: " + self.prompt)
        if self.sku:
            self._keep_item()
        missing = self.not_counted()
        if missing and not self.asking:
            self.asking = tuple(missing)
            return self._said(WARN, self.prompt)
        for line in self.asking:
            self.counted[line.key] = line
        self.asking = ()
        return self._send()

    def _send(self) -> Outcome:
        deliveries: list[Delivery] = []
        refused: list[str] = []
        for key, line in list(self.counted.items()):
            try:
                delivery = self.courier.write(self.operation, self._write(line), self._summary(line))
            except NotSignedIn:
                return Outcome(
                    BAD, "Your session has ended: sign in again (what was counted is kept).", signed_out=True
                )
            if delivery.state == REFUSED:
                self.courier.outbox.drop(delivery.entry.id)  # kept in the form, to fix here
                refused.append(f"{line.label}: {delivery.error.message if delivery.error else 'refused'}")
                continue
            del self.counted[key]
            self.expected.pop(key, None)
            deliveries.append(delivery)
        if refused:
            self.expected = {key: line for key, line in self.expected.items() if key in self.counted}
            done = f" ({len(deliveries)} other lines done)" if deliveries else ""
            return self._said(BAD, f"Refused: {'; '.join(refused)}{done}. Fix and confirm again.")
        bin_, last = self.bin, deliveries[-1] if deliveries else None
        self.reset()
        if all(d.state == SENT for d in deliveries):
            differed = sum(1 for d in deliveries if (d.payload or {}).get("moves"))
            return Outcome(GOOD, f"Done: {bin_} counted, {len(deliveries)} lines, {differed} with a difference. "
                                 f"{self.prompt}", done=last)  # fmt: skip
        waiting, _ = self.courier.outbox.counts()
        return Outcome(WARN, f"No connection: the count of {bin_} is kept, and sent when the server is back "
                             f"({waiting} waiting). {self.prompt}", done=last)  # fmt: skip

    def _write(self, line: CountLine) -> dict[str, Any]:
        write: dict[str, Any] = {
            "sku": line.sku, "locationCode": self.bin, "countedQuantity": format_quantity(line.quantity),
        }  # fmt: skip
        if line.lot:
            write["lot"] = line.lot
        if line.scan:
            write["scan"] = line.scan
        return write

    def _summary(self, line: CountLine) -> str:
        return f"Count {format_quantity(line.quantity)} x {line.label} in {self.bin}"

    # Fixing a count the server refused after it waited (one line).
    def write(self) -> dict[str, Any]:
        return self._write(self._current())

    def summary(self) -> str:
        return self._summary(self._current())

    def _current(self) -> CountLine:
        return CountLine(self.sku, self.lot, self.quantity.value or Decimal(0), scan=self.item_scan)

    def load(self, entry: Entry) -> None:
        super().load(entry)
        values = entry.input
        self.bin, self.sku = str(values.get("locationCode") or ""), str(values.get("sku") or "")
        self.lot = str(values.get("lot") or "")
        self.tracks_lots = bool(self.lot)
