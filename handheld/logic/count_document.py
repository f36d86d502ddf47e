"""Counting against a count document (issue 10): blind, by several counters from several handhelds.

The warehouse's open counts are offered (the newest first; the only one is taken at once). Scan a bin
of the count, then what is in it: every scan of an item (or a quantity given on the pad) is one
``recordCount`` ADD with its own idempotency key, through the outbox, so it is booked once however
often it is sent and waits, in order, while the server is away. The first scan of a bin starts it on
the server. The screen shows what this counter counted of a line and what all counters counted of it
together, never what the books expect: no document sent from here asks for ``expected``. *Finish
bin* (confirmed first) sends ``finishCountBin`` and, where the server tells (not to a counter of a
blind count), shows the lines that want a recount by another counter. A user who may not adjust
stock and has no open count is told so (the single-bin count of ``logic.count`` books
``adjustStock``, which needs that permission).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, NotSignedIn, UserError
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, CONFIRM, command
from handheld.logic.courier import REFUSED, SENT, WAITING, Courier, Delivery
from handheld.logic.quantity import QuantityEntry, format_quantity
from handheld.logic.resolution import Resolution, clean_code
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from handheld.logic.task import Outcome, TaskFlow

OFFERED = 3  # counts offered at once: one button each
PAGE = 100  # the server's largest page
MAX_BINS = 2000  # bins read when a count is chosen; past them, the server says whether a bin is in it
PICK = "count:"  # the command of a count's button: PICK + its place in the offer
ADJUST = "stock.adjust"

OPEN_COUNTS = """
query OpenCounts($warehouseCode: String, $first: Int) {
  me { permissions }
  openCounts(warehouseCode: $warehouseCode, first: $first) {
    id number scope bins binsFinished binList(first: 1, unfinishedOnly: true) { locationCode }
  }
}
"""
COUNT_BINS = """
query CountBins($id: ID!, $first: Int, $after: String) {
  stockCount(id: $id) { bins binsFinished binList(first: $first, afterCode: $after) { locationCode finished } }
}
"""
BIN_LINES = """
query CountBinLines($id: ID!, $locationCode: String, $first: Int) {
  stockCount(id: $id) { lines(locationCode: $locationCode, first: $first) { sku lot counted recountNeeded recounted } }
}
"""


@dataclass(frozen=True)
class OpenCount:
    """A count being counted, as offered: its id, scope and how many of its bins are left."""

    id: str
    number: str
    scope: str
    bins: int
    bins_finished: int
    next_bin: str = ""

    @property
    def label(self) -> str:
        name = self.number or f"{self.scope.replace('_', ' ').lower()} count"
        start = f", from {self.next_bin}" if self.next_bin else ""
        return f"{name[0].upper()}{name[1:]}: {self.left} of {self.bins} bins left{start}"

    @property
    def short_label(self) -> str:
        """The label of its button: what fits one line of a handheld."""
        return self.label.partition(", from ")[0]

    @property
    def left(self) -> int:
        return max(self.bins - self.bins_finished, 0)


@dataclass(frozen=True)
class BinLine:
    """One line of the bin: what this counter counted (None: not known here) and every counter together."""

    sku: str
    lot: str
    counted: Decimal | None = None
    mine: Decimal | None = None
    recount_needed: bool = False
    recounted: Decimal | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.sku.upper(), self.lot.upper()

    @property
    def label(self) -> str:
        return f"{self.sku} lot {self.lot}" if self.lot else self.sku

    @classmethod
    def of(cls, raw: dict[str, Any]) -> BinLine:
        return cls(
            str(raw.get("sku") or ""), str(raw.get("lot") or ""), _decimal(raw.get("counted")),
            _decimal(raw.get("myCount")), bool(raw.get("recountNeeded")), _decimal(raw.get("recounted")),
        )  # fmt: skip


def offer(
    courier: Courier, *, warehouse: str, device: str | None = None, **kwargs: Any
) -> tuple[CountDocumentFlow | None, Outcome | None]:
    """The count flow for the warehouse's open counts (the only one chosen at once), or None to keep the
    single-bin count: no open count for a user who may adjust, or the server cannot say now."""
    try:
        data = courier.execute(OPEN_COUNTS, {"warehouseCode": warehouse or None, "first": OFFERED})
    except ClientError:  # away, or no stock.count: the single-bin count says what it can
        return None, None
    counts = [_open_count(raw) for raw in data.get("openCounts") or []]
    may_adjust = ADJUST in ((data.get("me") or {}).get("permissions") or [])
    if not counts and may_adjust:
        return None, None
    flow = CountDocumentFlow(courier, warehouse=warehouse, device=device, offered=counts, **kwargs)
    return flow, flow.pick(0) if len(counts) == 1 else Outcome(GOOD if counts else BAD, flow.prompt)


def _open_count(raw: dict[str, Any]) -> OpenCount:
    first = raw.get("binList") or []
    return OpenCount(
        str(raw["id"]), str(raw.get("number") or ""), str(raw.get("scope") or ""), int(raw.get("bins") or 0),
        int(raw.get("binsFinished") or 0), str(first[0]["locationCode"]) if first else "",
    )  # fmt: skip


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class CountDocumentFlow(TaskFlow):
    operation = "recordCount"
    choices_stacked = True

    def __init__(self, courier: Courier, *, offered: list[OpenCount] | None = None, **kwargs: Any) -> None:
        self.offered = list(offered or [])
        self.count: OpenCount | None = None
        self.bins: dict[str, bool] = {}  # code (upper case) -> finished, as far as this device knows
        self.all_bins_known = False
        self.pending: dict[int, tuple[str, tuple[str, str], Decimal]] = {}  # outbox entry -> bin, line, quantity
        self.recounts: list[str] = []  # of the bin finished last: lines another counter should recount
        super().__init__(courier, **kwargs)

    def reset(self) -> None:
        self.bin = ""
        self.lines: dict[tuple[str, str], BinLine] = {}
        self.asking_finish = False
        self._clear_item()
        super().reset()

    def _clear_item(self) -> None:
        self.sku, self.product_name, self.tracks_lots, self.lot = "", "", False, ""

    # What the screen shows.
    @property
    def prompt(self) -> str:
        if self.count is None:
            if not self.offered:
                return f"No open count in {self.warehouse}: ask for one to be planned."
            return "Choose the count to work on."
        if not self.bin:
            if self.count.left == 0:
                return "Every bin of this count is finished."
            return f"Scan a bin of the count ({self.count.left} of {self.count.bins} left)."
        if self.asking_finish:
            return f"Finish {self.bin}? What was not scanned counts 0."
        if self.sku and self.tracks_lots and not self.lot:
            return f"Scan the lot of {self.sku} (its label or the GS1 code)."
        if self.quantity.value is not None:
            if self.sku:
                return f"Add {self.quantity.for_server} x {self.sku}: confirm, or scan the item."
            return f"Scan the item to add {self.quantity.for_server} of it."
        return "Scan each item (or a quantity, then the item); Finish bin when done."

    @property
    def confirm_label(self) -> str:
        if self.count is not None and self.bin and self.quantity.value is not None and self.sku:
            return f"Add {self.quantity.for_server}"
        return "Finish bin"

    @property
    def takes_quantity(self) -> bool:
        return bool(self.count is not None and self.bin)

    @property
    def ready(self) -> bool:
        return bool(self.count is not None and self.bin)

    def fields(self) -> list[tuple[str, str, bool]]:
        if self.count is None:
            return [("Count", count.label, False) for count in self.offered]
        self._forget_sent()
        next_up = self.prompt
        rows = [
            ("Count", f"{self.count.left} of {self.count.bins} bins left" if self.bin else self.count.label, False),
            ("Bin", self.bin, not self.bin),
            ("Item", self.sku, next_up.startswith("Scan each")),  # its name would take a second line
        ]
        if self.tracks_lots:
            rows.append(("Lot", self.lot or "needed", next_up.startswith("Scan the lot")))
        if self.quantity.text:
            rows.append(("Add", self.quantity.text, True))
        for line in self.lines.values():
            rows.append(("Recount" if line.recount_needed else "Counted", self._shown(line), False))
        rows.extend(("Recount", label, False) for label in self.recounts)
        return rows

    def _shown(self, line: BinLine) -> str:
        waiting = sum((q for bin_, key, q in self.pending.values() if bin_ == self.bin and key == line.key), Decimal(0))
        mine = (line.mine or Decimal(0)) + waiting
        you = f"you {format_quantity(mine)}, " if line.mine is not None or waiting else ""
        every = format_quantity((line.counted or Decimal(0)) + waiting)
        to_send = f" ({format_quantity(waiting)} to send)" if waiting else ""
        return f"{line.label}: {you}all {every}{to_send}"

    def choices(self) -> list[tuple[str, str, bool]]:
        if self.count is not None:
            return []
        return [(f"{PICK}{place}", count.short_label, False) for place, count in enumerate(self.offered)]

    # What the worker does.
    def pick(self, place: int) -> Outcome:
        """Work on the offered count at ``place``: its bins are read (up to ``MAX_BINS``)."""
        if not 0 <= place < len(self.offered):
            return self._said(BAD, self.prompt)
        self.count = self.offered[place]
        self.reset()
        self.bins, self.all_bins_known, self.recounts = {}, False, []
        after: str | None = None
        try:
            while len(self.bins) < MAX_BINS:
                data = self.courier.execute(COUNT_BINS, {"id": self.count.id, "first": PAGE, "after": after})
                found = data.get("stockCount") or {}
                page = found.get("binList") or []
                self.bins.update({str(b["locationCode"]).upper(): bool(b["finished"]) for b in page})
                self.count = replace(self.count, bins=int(found.get("bins") or 0),
                                     bins_finished=int(found.get("binsFinished") or 0))  # fmt: skip
                if len(page) < PAGE:
                    self.all_bins_known = True
                    break
                after = str(page[-1]["locationCode"])
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except ClientError as error:
            return self._said(WARN, f"The count's bins could not be read ({error.message}): the server checks "
                                    f"each bin when it gets its first scan. {self.prompt}")  # fmt: skip
        return self._said(GOOD, self.prompt)

    def scan(self, captured: Captured) -> Outcome:
        code = clean_code(captured.code)
        if self.count is not None and command(code) is None and code.upper() in self.bins:
            return self._bin(code.upper())  # a bin of the count: known without asking, offline too
        return super().scan(captured)

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if self.count is None:
            return self._said(BAD, self.prompt)
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            if self.all_bins_known and found.location.upper() not in self.bins:
                return self._said(BAD, f"{found.location} is not in this count: scan a bin of it.")
            return self._bin(found.location.upper())
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            if not self.bin:
                return self._said(BAD, "Scan a bin of the count first.")
            return self._item(found)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _bin(self, code: str) -> Outcome:
        if self.bins.get(code):
            return self._said(BAD, f"{code} is finished: it takes no more scans.")
        if code != self.bin:
            self.reset()
            self.bin = code
            self.recounts = []
        try:
            self._read_lines()
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except ClientError:
            return self._said(WARN, f"Counting {code} (no connection: scans wait to be sent). {self.prompt}")
        return self._said(GOOD, f"Counting {code}. {self.prompt}")

    def _read_lines(self) -> None:
        """The bin's lines as every counter counted them so far (what this counter counted is kept)."""
        assert self.count is not None
        data = self.courier.execute(BIN_LINES, {"id": self.count.id, "locationCode": self.bin, "first": PAGE})
        found = [BinLine.of(raw) for raw in (data.get("stockCount") or {}).get("lines") or []]
        self.lines = {
            line.key: replace(line, mine=self.lines[line.key].mine if line.key in self.lines else None)
            for line in found
            if line.counted is not None or line.key in self.lines  # expected but not scanned: not shown
        }

    def _item(self, found: Resolution) -> Outcome:
        lot = found.gs1_lot if found.tracks_lots else ""
        if found.sku != self.sku or (lot and lot.upper() != self.lot.upper()):
            self.sku, self.product_name, self.lot = found.sku, found.product_name, lot
            self.tracks_lots = found.tracks_lots
        if self.tracks_lots and not self.lot:
            return self._said(WARN, self.prompt)
        quantity = self.quantity.value or found.gs1_quantity or Decimal(1)
        return self._add(quantity)

    def typed_quantity(self, text: str) -> Outcome:
        outcome = super().typed_quantity(text)
        if self.quantity.value is not None and self.sku and (self.lot or not self.tracks_lots):
            return self._add(self.quantity.value)  # typed and Enter: added at once
        return outcome

    def command(self, name: str) -> Outcome:
        if name.startswith(PICK) and self.count is None:
            return self.pick(int(name.removeprefix(PICK)))
        if name == CANCEL:
            return self._cancel()
        if name == CONFIRM:
            return self.confirm()
        return super().command(name)

    def _cancel(self) -> Outcome:
        if self.quantity.text:
            self.quantity = QuantityEntry()
            return self._said(QUIET, self.prompt)
        if self.asking_finish:
            self.asking_finish = False
            return self._said(QUIET, f"Not finished. {self.prompt}")
        if self.sku:
            self._clear_item()
            return self._said(QUIET, self.prompt)
        if self.bin:
            left = self.bin
            self.reset()
            return self._said(QUIET, f"Left {left}, not finished: what was scanned stays counted. {self.prompt}")
        if self.count is not None and len(self.offered) > 1:
            self.count = None
        return self._said(QUIET, self.prompt)

    def confirm(self) -> Outcome:
        """Add the quantity on the pad, or finish the bin (asked once first)."""
        if not self.ready:
            return self._said(BAD, "Not yet: " + self.prompt)
        if self.quantity.value is not None:
            if not self.sku or (self.tracks_lots and not self.lot):
                return self._said(BAD, "Not yet: " + self.prompt)
            return self._add(self.quantity.value)
        if not self.asking_finish:
            self.asking_finish = True
            return self._said(WARN, f"{self.prompt} Confirm, or cancel to go on counting.")
        return self._finish()

    # Writes.
    def _add(self, quantity: Decimal) -> Outcome:
        assert self.count is not None
        line = BinLine(self.sku, self.lot)
        write: dict[str, Any] = {
            "countId": self.count.id, "locationCode": self.bin, "sku": self.sku,
            "quantity": format_quantity(quantity), "mode": "ADD",
        }  # fmt: skip
        if self.lot:
            write["lot"] = self.lot
        summary = f"Count +{format_quantity(quantity)} x {line.label} in {self.bin}"
        self.quantity = QuantityEntry()
        try:
            delivery, deliveries = self.courier.send(self.operation, write, summary)
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        self._learn(deliveries)
        if delivery.state == REFUSED:
            self.courier.outbox.drop(delivery.entry.id)  # one scan: scanned again once the reason is fixed
            return self._refused(delivery.error, f"{line.label} not counted")
        if delivery.state == WAITING:
            self.pending[delivery.entry.id] = (self.bin, line.key, quantity)
            self.lines.setdefault(line.key, line)
            waiting, _ = self.courier.outbox.counts()
            return Outcome(WARN, f"No connection: +{format_quantity(quantity)} {line.label} kept, sent when "
                                 f"the server is back ({waiting} waiting).", done=delivery)  # fmt: skip
        shown = self.lines.get(line.key, line)
        return Outcome(GOOD, f"+{format_quantity(quantity)} {self._shown(shown)}", done=delivery)

    def _finish(self) -> Outcome:
        assert self.count is not None
        bin_ = self.bin
        write = {"countId": self.count.id, "locationCode": bin_}
        try:
            delivery, deliveries = self.courier.send("finishCountBin", write, f"Finish bin {bin_} of the count")
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        self._learn(deliveries)
        self.asking_finish = False
        if delivery.state == REFUSED:
            self.courier.outbox.drop(delivery.entry.id)
            return self._refused(delivery.error, f"{bin_} not finished")
        self._finished(bin_)
        if delivery.state == WAITING:
            return Outcome(WARN, f"No connection: finishing {bin_} is kept, and sent when the server is back. "
                                 f"{self.prompt}", done=delivery)  # fmt: skip
        payload = delivery.payload or {}
        lines, recounts = int(payload.get("lines") or 0), int(payload.get("recountsNeeded") or 0)
        if recounts:
            self.recounts = self._recounts_of(bin_)
        again = f", {recounts} to be recounted by someone else" if recounts else ""
        return Outcome(GOOD, f"{bin_} finished: {lines} lines{again}. {self.prompt}", done=delivery)

    def _finished(self, bin_: str) -> None:
        assert self.count is not None
        if not self.bins.get(bin_):
            self.count = replace(self.count, bins_finished=min(self.count.bins_finished + 1, self.count.bins))
        self.bins[bin_] = True
        self.reset()

    def _recounts_of(self, bin_: str) -> list[str]:
        assert self.count is not None
        try:
            data = self.courier.execute(BIN_LINES, {"id": self.count.id, "locationCode": bin_, "first": PAGE})
        except ClientError:
            return []
        lines = [BinLine.of(raw) for raw in (data.get("stockCount") or {}).get("lines") or []]
        return [f"{bin_} {line.label}" for line in lines if line.recount_needed and line.recounted is None]

    def _refused(self, error: UserError | None, what: str) -> Outcome:
        reason = error.message if error else "refused"
        if error is not None and error.code == "ILLEGAL_TRANSITION" and self.bin:
            self._finished(self.bin)  # finished by someone else meanwhile (or the count was closed)
        elif error is not None and error.field_name == "locationCode":
            self.reset()
        return self._said(BAD, f"Refused, {what}: {reason}")

    def _learn(self, deliveries: list[Delivery]) -> None:
        """What the server said of the entries sent just now (this one and any that waited before it)."""
        for delivery in deliveries:
            self.pending.pop(delivery.entry.id, None)
            raw = (delivery.payload or {}).get("line") if delivery.state == SENT else None
            if raw and str(raw.get("locationCode") or "").upper() == self.bin.upper():
                line = BinLine.of(raw)
                self.lines[line.key] = line

    def _forget_sent(self) -> None:
        """Entries the app sent meanwhile (its sender drains the outbox too): counted, as far as is known here."""
        if not self.pending:
            return
        waiting = {entry.id for entry in self.courier.outbox.waiting(self.courier.server, self.courier.username)}
        for entry_id in [entry_id for entry_id in self.pending if entry_id not in waiting]:
            bin_, key, quantity = self.pending.pop(entry_id)
            line = self.lines.get(key)
            if bin_ == self.bin and line is not None and self.courier.outbox.get(entry_id) is None:
                self.lines[key] = replace(line, mine=(line.mine or Decimal(0)) + quantity,
                                          counted=(line.counted or Decimal(0)) + quantity)  # fmt: skip

    # A count's scan is not fixed on a form: it is sent again as it is, or dropped (the waiting screen).
    def write(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> str:
        raise NotImplementedError
