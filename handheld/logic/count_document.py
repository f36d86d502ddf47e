"""Counting against a count document (issue 10): blind, by several counters from several handhelds.

The warehouse's open counts are offered (the newest first; the only one is taken at once). Scan a bin
of the count, then what is in it: every scan of an item (or a quantity given on the pad) is one
``recordCount`` ADD with its own idempotency key and the scan that caused it, through the outbox, so it
is booked once however often it is sent and waits, in order, while the server is away. The first scan of
a bin starts it on the server. The screen shows what this counter counted of a line and what all counters
counted of it together, never what the books expect: no document sent from here asks for ``expected``.

- A package's SSCC scanned in the bin: what is scanned next is counted inside it (the count's lines are
  per bin, product, lot and package); the bin scanned again goes back to loose stock.
- *Correct a line*: the item, then what this counter counted of it in all on the pad, confirmed: one
  ``recordCount`` SET.
- The lines awaiting a recount (``lines(awaitingRecount)``: to a counter of a blind count, only those of
  bins they did not count) name their bins; such a finished bin scanned is recounted line by line, each
  item's scans (or the pad) giving its figure, confirmed: one ``recountStock``. Nothing says what was
  counted first or what the books hold.
- *Finish bin* (confirmed first) sends ``finishCountBin`` and, where the server tells (not to a counter
  of a blind count), shows the lines that want a recount by another counter.

The open counts, their bins and the lines to recount are remembered on the device
(``logic.count_offer``): without the server, they are offered as last read, marked with their time.
A user who may not adjust stock and has no open count is told so (the single-bin count of
``logic.count`` books ``adjustStock``, which needs that permission).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, GraphQLError, NotSignedIn, Unreachable, UserError
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, CONFIRM, CORRECT, command
from handheld.logic.count_lines import BIN_LINES, COUNT_BINS, RECOUNT_LINES, BinLine, sscc_of
from handheld.logic.count_offer import ADJUST, OFFERED, OPEN_COUNTS, CountMemory, OpenCount, as_of, open_count
from handheld.logic.courier import REFUSED, SENT, WAITING, Courier, Delivery
from handheld.logic.quantity import QuantityEntry, format_quantity
from handheld.logic.resolution import Resolution, clean_code
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from handheld.logic.task import Outcome, TaskFlow

__all__ = ["CORRECT", "CountDocumentFlow", "OpenCount", "offer"]

PAGE = 100  # the server's largest page
MAX_BINS = 2000  # bins read when a count is chosen; past them, the server says whether a bin is in it
PICK = "count:"  # the command of a count's button: PICK + its place in the offer
ADD, SET = "ADD", "SET"


def offer(
    courier: Courier, *, warehouse: str, device: str | None = None, **kwargs: Any
) -> tuple[CountDocumentFlow | None, Outcome | None]:
    """The count flow for the warehouse's open counts (the only one chosen at once), or None to keep the
    single-bin count: no open count for a user who may adjust, or the server cannot say now and the device
    remembers none."""
    memory = CountMemory(kwargs.get("cache"), courier, warehouse)
    remembered: datetime | None = None
    try:
        data = courier.execute(OPEN_COUNTS, {"warehouseCode": warehouse or None, "first": OFFERED})
    except Unreachable:  # away: the counts read last, if any, marked as old
        kept = memory.open_counts()
        if kept is None:
            return None, None
        data, remembered = kept
    except ClientError:  # no stock.count: the single-bin count says what it can
        return None, None
    else:
        memory.keep_open_counts(data)
    counts = [open_count(raw) for raw in data.get("openCounts") or []]
    may_adjust = ADJUST in ((data.get("me") or {}).get("permissions") or [])
    if not counts and may_adjust:
        return None, None
    flow = CountDocumentFlow(courier, warehouse=warehouse, device=device, offered=counts, **kwargs)
    flow.as_of = remembered
    return flow, flow.pick(0) if len(counts) == 1 else Outcome(GOOD if counts else BAD, flow.prompt)


class CountDocumentFlow(TaskFlow):
    operation = "recordCount"
    choices_stacked = True
    takes_packages = True  # a package's SSCC: what follows is counted inside it

    def __init__(self, courier: Courier, *, offered: list[OpenCount] | None = None, **kwargs: Any) -> None:
        self.offered = list(offered or [])
        self.count: OpenCount | None = None
        self.bins: dict[str, bool] = {}  # code (upper case) -> finished, as far as this device knows
        self.all_bins_known = False
        # outbox entry -> bin, line, quantity, mode (ADD or SET)
        self.pending: dict[int, tuple[str, tuple[str, str, str], Decimal, str]] = {}
        self.recounts: list[str] = []  # of the bin finished last: lines another counter should recount
        self.to_recount: list[BinLine] = []  # lines awaiting a recount this user may make
        self.as_of: datetime | None = None  # what is shown was read then (the server is away); None: now
        super().__init__(courier, **kwargs)
        self.memory = CountMemory(self.cache, courier, self.warehouse)

    def reset(self) -> None:
        self.bin = ""
        self.lines: dict[tuple[str, str, str], BinLine] = {}
        self.asking_finish = False
        self.package = ""
        self.correcting = self.asking_set = False
        self.recounting = self.asking_recount = False
        self._clear_item()
        super().reset()

    def _clear_item(self) -> None:
        self.sku, self.product_name, self.tracks_lots, self.lot = "", "", False, ""

    def _clear_quantity(self) -> None:
        self.quantity = QuantityEntry(allow_zero=self.correcting or self.recounting)  # a line may hold none

    # What the screen shows.
    @property
    def prompt(self) -> str:
        if self.count is None:
            if not self.offered:
                return f"No open count in {self.warehouse}: ask for one to be planned."
            old = f" (no connection: {as_of(self.as_of)})" if self.as_of else ""
            return f"Choose the count to work on{old}."
        if not self.bin:
            again = self._recount_bins()
            to_recount = f" To recount: {', '.join(again)}." if again else ""
            if self.count.left == 0:
                return f"Every bin of this count is finished.{to_recount}"
            return f"Scan a bin of the count ({self.count.left} of {self.count.bins} left).{to_recount}"
        if self.asking_finish:
            return f"Finish {self.bin}? What was not scanned counts 0."
        if self.recounting:
            return self._recount_prompt()
        if self.correcting:
            return self._correct_prompt()
        if self.sku and self.tracks_lots and not self.lot:
            return f"Scan the lot of {self.sku} (its label or the GS1 code)."
        if self.quantity.value is not None:
            if self.sku:
                return f"Add {self.quantity.for_server} x {self.sku}: confirm, or scan the item."
            return f"Scan the item to add {self.quantity.for_server} of it."
        if self.package:
            return f"Counting inside {self.package}: scan each item in it; the bin again for loose stock."
        return "Scan each item (or a quantity, then the item); Finish bin when done."

    def _correct_prompt(self) -> str:
        if not self.sku:
            return "Correct a line: scan its item (it is not added)."
        label = self._item_line().label
        if self.asking_set:
            mine = self.lines.get(self._item_line().key)
            had = f" (you had {format_quantity(mine.mine)})" if mine is not None and mine.mine is not None else ""
            return f"Set your count of {label} to {self.quantity.for_server}{had}?"
        return f"Correct {label}: key what you counted of it in all, then confirm."

    def _recount_prompt(self) -> str:
        if not self.sku:
            names = ", ".join(line.label for line in self._recount_in(self.bin))
            return f"Recount in {self.bin}: scan the item ({names})."
        label = self._item_line().label
        if self.asking_recount:
            return f"Recount of {label} in {self.bin}: {self.quantity.for_server}? It replaces the count."
        so_far = self.quantity.for_server or "0"
        return f"Recount {label}: {so_far} so far; scan each, or key the number, then confirm."

    @property
    def confirm_label(self) -> str:
        if self.count is not None and self.bin and self.recounting:
            return f"Recount {self.quantity.for_server}".strip()
        if self.count is not None and self.bin and self.correcting:
            return f"Set {self.quantity.for_server}".strip()
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
            ("Bin", f"{self.bin} (recount)" if self.recounting else self.bin, not self.bin),
        ]
        if self.package:
            rows.append(("Inside", self.package, False))
        rows.append(("Item", self.sku, next_up.startswith(("Scan each", "Correct a line", "Recount in"))))
        if self.tracks_lots:
            rows.append(("Lot", self.lot or "needed", next_up.startswith("Scan the lot")))
        if self.quantity.text:
            rows.append(("Recount" if self.recounting else "Set" if self.correcting else "Add", self.quantity.text,
                         True))  # fmt: skip
        if self.recounting:
            rows.extend(("To recount", line.label, False) for line in self._recount_in(self.bin))
            return rows
        for line in self.lines.values():
            rows.append(("Recount" if line.recount_needed else "Counted", self._shown(line), False))
        rows.extend(("Recount", label, False) for label in self.recounts)
        if not self.bin:
            rows.extend(("To recount", f"{bin_}: {', '.join(line.label for line in self._recount_in(bin_))}", False)
                        for bin_ in self._recount_bins())  # fmt: skip
        return rows

    def _shown(self, line: BinLine) -> str:
        mine, waiting, was_set = line.mine, Decimal(0), False
        for bin_, key, quantity, mode in self.pending.values():
            if bin_ != self.bin or key != line.key:
                continue
            if mode == SET:
                mine, waiting, was_set = quantity, Decimal(0), True
            else:
                waiting += quantity
        if was_set:  # what the others counted meanwhile is not known here
            return f"{line.label}: you {format_quantity((mine or Decimal(0)) + waiting)} (to send)"
        you = f"you {format_quantity((mine or Decimal(0)) + waiting)}, " if mine is not None or waiting else ""
        every = format_quantity((line.counted or Decimal(0)) + waiting)
        to_send = f" ({format_quantity(waiting)} to send)" if waiting else ""
        return f"{line.label}: {you}all {every}{to_send}"

    def choices(self) -> list[tuple[str, str, bool]]:
        if self.count is None:
            return [(f"{PICK}{place}", count.short_label, False) for place, count in enumerate(self.offered)]
        if self.bin and not (self.recounting or self.correcting or self.asking_finish):
            return [(CORRECT, "Correct a line", False)]
        return []

    # What the worker does.
    def pick(self, place: int) -> Outcome:
        """Work on the offered count at ``place``: its bins (up to ``MAX_BINS``) and the lines to recount are
        read, or taken from the device's memory when the server is away."""
        if not 0 <= place < len(self.offered):
            return self._said(BAD, self.prompt)
        self.count = self.offered[place]
        self.reset()
        self.bins, self.all_bins_known, self.recounts, self.to_recount = {}, False, [], []
        try:
            self._read_bins()
            self.to_recount = self._read_recounts()
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable as error:
            if not self._recall():
                return self._said(WARN, f"The count's bins could not be read ({error.message}): the server "
                                        f"checks each bin when it gets its first scan. {self.prompt}")  # fmt: skip
            return self._said(WARN, f"No connection: the count's bins {as_of(self.as_of)}. {self.prompt}")
        except ClientError as error:
            return self._said(WARN, f"The count's bins could not be read ({error.message}): the server checks "
                                    f"each bin when it gets its first scan. {self.prompt}")  # fmt: skip
        self.as_of = None
        self._remember()
        return self._said(GOOD, self.prompt)

    def _read_bins(self) -> None:
        assert self.count is not None
        after: str | None = None
        while len(self.bins) < MAX_BINS:
            data = self.courier.execute(COUNT_BINS, {"id": self.count.id, "first": PAGE, "after": after})
            found = data.get("stockCount") or {}
            page = found.get("binList") or []
            self.bins.update({str(b["locationCode"]).upper(): bool(b["finished"]) for b in page})
            self.count = replace(self.count, bins=int(found.get("bins") or 0),
                                 bins_finished=int(found.get("binsFinished") or 0))  # fmt: skip
            if len(page) < PAGE:
                self.all_bins_known = True
                return
            after = str(page[-1]["locationCode"])

    def _read_recounts(self) -> list[BinLine]:
        """The lines awaiting a recount that this user may make (the first page's worth)."""
        assert self.count is not None
        try:
            data = self.courier.execute(RECOUNT_LINES, {"id": self.count.id, "first": PAGE})
        except GraphQLError:  # a server before awaitingRecount: recounts are not offered here
            return []
        return [BinLine.of(raw) for raw in (data.get("stockCount") or {}).get("lines") or []]

    def _remember(self) -> None:
        if self.count is not None:
            self.memory.keep_count(self.count.id, self.bins, [line.raw() for line in self.to_recount])

    def _recall(self) -> bool:
        """The count's bins and recounts as the device last read them; False when it has none."""
        assert self.count is not None
        kept = self.memory.count(self.count.id)
        if kept is None:
            return False
        raw, self.as_of = kept
        self.bins = {str(code).upper(): bool(finished) for code, finished in (raw.get("bins") or {}).items()}
        self.all_bins_known = len(self.bins) < MAX_BINS
        self.to_recount = [BinLine.of(line) for line in raw.get("recounts") or []]
        finished = sum(1 for done in self.bins.values() if done)
        self.count = replace(self.count, bins=max(self.count.bins, len(self.bins)), bins_finished=finished)
        return True

    def _recount_bins(self) -> list[str]:
        return sorted({line.location for line in self.to_recount})

    def _recount_in(self, bin_: str) -> list[BinLine]:
        return [line for line in self.to_recount if line.location == bin_]

    def _item_line(self) -> BinLine:
        return BinLine(self.sku, self.lot, package=self.package, location=self.bin)

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
        if found.kind == "PACKAGE":
            return self._inside(found)
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            if not self.bin:
                return self._said(BAD, "Scan a bin of the count first.")
            return self._item(found, scan)
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _bin(self, code: str) -> Outcome:
        if self.bins.get(code):
            if self._recount_in(code):
                if code != self.bin or not self.recounting:
                    self.reset()
                    self.bin, self.recounting, self.recounts = code, True, []
                    self._clear_quantity()
                return self._said(GOOD, self.prompt)
            return self._said(BAD, f"{code} is finished: it takes no more scans.")
        if code != self.bin or self.recounting:
            self.reset()
            self.bin = code
            self.recounts = []
        elif self.package:  # the bin again: back to its loose stock
            self.package = ""
            self._clear_item()
        try:
            self._read_lines()
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except ClientError:
            return self._said(WARN, f"Counting {code} (no connection: scans wait to be sent). {self.prompt}")
        return self._said(GOOD, f"Counting {code}. {self.prompt}")

    def _inside(self, found: Resolution) -> Outcome:
        """A package's SSCC: what is scanned next is counted inside it (or recounted, when a line asks)."""
        what = f"{found.package_kind or 'package'} {found.sscc}"
        if not self.bin:
            return self._said(BAD, f"That is the {what}: scan the bin it is in first.")
        where = found.package_location.upper()
        if where and where != self.bin:
            return self._said(BAD, f"The {what} is in {found.package_location}, not in {self.bin}: count it there.")
        self.package = sscc_of(found)
        self._clear_item()
        self._clear_quantity()
        return self._said(GOOD, self.prompt)

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

    def _item(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        lot = found.gs1_lot if found.tracks_lots else ""
        if found.sku != self.sku or (lot and lot.upper() != self.lot.upper()):
            self.sku, self.product_name, self.lot = found.sku, found.product_name, lot
            self.tracks_lots = found.tracks_lots
            if self.recounting:
                self._clear_quantity()
        self.item_scan = scan
        if self.tracks_lots and not self.lot:
            return self._said(WARN, self.prompt)
        if self.recounting:
            return self._recount_scan(found)
        if self.correcting:  # chosen, not counted: the pad says what it holds
            return self._said(QUIET, self.prompt)
        quantity = self.quantity.value or found.gs1_quantity or Decimal(1)
        return self._add(quantity)

    def _recount_scan(self, found: Resolution) -> Outcome:
        if self._recount_line() is None:
            label = self._item_line().label
            self._clear_item()
            return self._said(BAD, f"{label} is not to be recounted in {self.bin}. {self.prompt}")
        step = found.gs1_quantity or Decimal(1)
        self.quantity.set(format_quantity((self.quantity.value or Decimal(0)) + step))
        return self._said(GOOD, self.prompt)

    def _recount_line(self) -> BinLine | None:
        wanted = self._item_line().key
        return next((line for line in self._recount_in(self.bin) if line.key == wanted), None)

    def typed_quantity(self, text: str) -> Outcome:
        outcome = super().typed_quantity(text)
        if self.recounting or self.correcting:
            return outcome  # the figure itself: confirmed, not added
        if self.quantity.value is not None and self.sku and (self.lot or not self.tracks_lots):
            return self._add(self.quantity.value)  # typed and Enter: added at once
        return outcome

    def command(self, name: str) -> Outcome:
        if name.startswith(PICK) and self.count is None:
            return self.pick(int(name.removeprefix(PICK)))
        if name == CORRECT and self.bin and not self.recounting:
            self.correcting, self.asking_finish = True, False
            self._clear_quantity()
            return self._said(QUIET, self.prompt)
        if name == CANCEL:
            return self._cancel()
        if name == CONFIRM:
            return self.confirm()
        return super().command(name)

    def _cancel(self) -> Outcome:
        if self.asking_set or self.asking_recount:
            self.asking_set = self.asking_recount = False
            return self._said(QUIET, f"Not sent. {self.prompt}")
        if self.quantity.text:
            self._clear_quantity()
            return self._said(QUIET, self.prompt)
        if self.asking_finish:
            self.asking_finish = False
            return self._said(QUIET, f"Not finished. {self.prompt}")
        if self.sku:
            self._clear_item()
            return self._said(QUIET, self.prompt)
        if self.correcting:
            self.correcting = False
            self._clear_quantity()
            return self._said(QUIET, f"Nothing corrected. {self.prompt}")
        if self.package:
            self.package = ""
            return self._said(QUIET, self.prompt)
        if self.bin:
            left = self.bin
            recounting = self.recounting
            self.reset()
            if recounting:
                return self._said(QUIET, f"Left {left}: what was not recounted waits. {self.prompt}")
            return self._said(QUIET, f"Left {left}, not finished: what was scanned stays counted. {self.prompt}")
        if self.count is not None and len(self.offered) > 1:
            self.count = None
        return self._said(QUIET, self.prompt)

    def confirm(self) -> Outcome:
        """Add the quantity on the pad, set or recount a line (asked once first), or finish the bin (likewise)."""
        if not self.ready:
            return self._said(BAD, "Not yet: " + self.prompt)
        if self.recounting or self.correcting:
            if not self.sku or (self.tracks_lots and not self.lot) or self.quantity.value is None:
                return self._said(BAD, "Not yet: " + self.prompt)
            if self.recounting and not self.asking_recount:
                self.asking_recount = True
                return self._said(WARN, f"{self.prompt} Confirm, or cancel to change it.")
            if self.correcting and not self.asking_set:
                self.asking_set = True
                return self._said(WARN, f"{self.prompt} Confirm, or cancel to change it.")
            return self._recount() if self.recounting else self._set()
        if self.quantity.value is not None:
            if not self.sku or (self.tracks_lots and not self.lot):
                return self._said(BAD, "Not yet: " + self.prompt)
            return self._add(self.quantity.value)
        if not self.asking_finish:
            self.asking_finish = True
            return self._said(WARN, f"{self.prompt} Confirm, or cancel to go on counting.")
        return self._finish()

    # Writes.
    def _line_write(self, quantity: Decimal, mode: str) -> dict[str, Any]:
        assert self.count is not None
        write: dict[str, Any] = {
            "countId": self.count.id, "locationCode": self.bin, "sku": self.sku,
            "quantity": format_quantity(quantity), "mode": mode,
        }  # fmt: skip
        if self.lot:
            write["lot"] = self.lot
        if self.package:
            write["packageSscc"] = self.package
        if self.item_scan:  # the code that named the item: the server keeps it with the count
            write["scan"] = self.item_scan
        return write

    def _add(self, quantity: Decimal) -> Outcome:
        line = self._item_line()
        write = self._line_write(quantity, ADD)
        summary = f"Count +{format_quantity(quantity)} x {line.label} in {self.bin}"
        self.quantity = QuantityEntry()
        return self._sent_line(write, summary, line, quantity, ADD, f"+{format_quantity(quantity)}")

    def _set(self) -> Outcome:
        quantity = self.quantity.value
        assert quantity is not None
        line = self._item_line()
        write = self._line_write(quantity, SET)
        summary = f"Count of {line.label} in {self.bin} set to {format_quantity(quantity)}"
        self.correcting = self.asking_set = False
        self._clear_quantity()
        return self._sent_line(write, summary, line, quantity, SET, "Set:")

    def _sent_line(
        self, write: dict[str, Any], summary: str, line: BinLine, quantity: Decimal, mode: str, said: str
    ) -> Outcome:
        try:
            delivery, deliveries = self.courier.send(self.operation, write, summary)
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        self._learn(deliveries)
        if delivery.state == REFUSED:
            self.courier.outbox.drop(delivery.entry.id)  # one scan: scanned again once the reason is fixed
            return self._refused(delivery.error, f"{line.label} not counted")
        if delivery.state == WAITING:
            self.pending[delivery.entry.id] = (self.bin, line.key, quantity, mode)
            self.lines.setdefault(line.key, line)
            waiting, _ = self.courier.outbox.counts()
            kept = f"{line.label} set to {format_quantity(quantity)}" if mode == SET else \
                f"+{format_quantity(quantity)} {line.label}"  # fmt: skip
            return Outcome(WARN, f"No connection: {kept} kept, sent when the server is back ({waiting} waiting).",
                           done=delivery)  # fmt: skip
        shown = self.lines.get(line.key, line)
        return Outcome(GOOD, f"{said} {self._shown(shown)}", done=delivery)

    def _recount(self) -> Outcome:
        assert self.count is not None
        line, quantity, bin_ = self._recount_line(), self.quantity.value, self.bin
        assert line is not None and quantity is not None
        write: dict[str, Any] = {"countId": self.count.id, "locationCode": bin_, "sku": line.sku,
                                 "countedQuantity": format_quantity(quantity)}  # fmt: skip
        if line.lot:
            write["lot"] = line.lot
        if line.package:
            write["packageSscc"] = line.package
        summary = f"Recount {line.label} in {bin_}: {format_quantity(quantity)}"
        self.asking_recount = False
        try:
            delivery, deliveries = self.courier.send("recountStock", write, summary)
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        self._learn(deliveries)
        if delivery.state == REFUSED:
            self.courier.outbox.drop(delivery.entry.id)
            if delivery.error is not None and delivery.error.code == "SAME_COUNTER":  # not this user's to recount
                self.to_recount = [other for other in self.to_recount if other.location != bin_]
                self._remember()
                self.reset()
            return self._said(BAD, f"Refused, {line.label} not recounted: "
                                   f"{delivery.error.message if delivery.error else 'refused'}")  # fmt: skip
        self.to_recount = [other for other in self.to_recount if other != line]
        self._remember()
        self._clear_item()
        self._clear_quantity()
        if not self._recount_in(bin_):
            self.reset()
        done = f"Recounted {line.label} in {bin_}: {format_quantity(quantity)}"
        if delivery.state == WAITING:
            return Outcome(WARN, f"No connection: {done}, sent when the server is back. {self.prompt}",
                           done=delivery)  # fmt: skip
        return Outcome(GOOD, f"{done}. {self.prompt}", done=delivery)

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
        self._remember()
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
            sent = delivery.state == SENT and delivery.entry.operation == self.operation
            raw = (delivery.payload or {}).get("line") if sent else None
            if raw and str(raw.get("locationCode") or "").upper() == self.bin.upper():
                line = BinLine.of(raw)
                self.lines[line.key] = line

    def _forget_sent(self) -> None:
        """Entries the app sent meanwhile (its sender drains the outbox too): counted, as far as is known here."""
        if not self.pending:
            return
        waiting = {entry.id for entry in self.courier.outbox.waiting(self.courier.server, self.courier.username)}
        for entry_id in [entry_id for entry_id in self.pending if entry_id not in waiting]:
            bin_, key, quantity, mode = self.pending.pop(entry_id)
            line = self.lines.get(key)
            if bin_ != self.bin or line is None or self.courier.outbox.get(entry_id) is not None:
                continue
            if mode == SET:
                self.lines[key] = replace(line, mine=quantity, counted=None)
            else:
                self.lines[key] = replace(line, mine=(line.mine or Decimal(0)) + quantity,
                                          counted=(line.counted or Decimal(0)) + quantity)  # fmt: skip

    # A count's scan is not fixed on a form: it is sent again as it is, or dropped (the waiting screen).
    def write(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> str:
        raise NotImplementedError
