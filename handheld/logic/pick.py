"""Picking a sales pick list (issue 11, point 5; the lists are the sales fulfillment's).

The warehouse's open lists are offered as the pick screen opens (a list claimed by someone else shows as
taken; any open list may also be scanned by its number, as printed on its paper, even one past the twenty the
screen reads: the server is asked for it by its number). Choosing one claims it
(``claimPickList``; taken meanwhile, the server's ``CLAIMED`` answer is shown). Its lines are walked in the
order the server lists them, which is bin order: scan the bin (another bin: "Wrong bin: go to X"), the
product (its barcode, a GS1 code or the SKU; a line with a lot checks the lot), then confirm the quantity the
pad shows, or key what was found. Less than the line asks, or *Short*, asks for a reason from a short list.
When every line is done, *Finish* sends one ``confirmPicks`` through the outbox with its own idempotency key:
offline it waits, in order, and one sent twice is booked once; refused after waiting, it is fixed (the list
back in the form, its short lines as they were) or dropped on *Waiting to send*. Each line done is named with
the scan that picked it (the item's, else the bin's: its code and when it was scanned), so the server books
it at that time, not when the finish arrives; a line picked in full names no quantity (the server takes it as
picked in full, or as far as its order still holds it), a short line names what was found and why. A list
longer than a page of lines is read whole as it is claimed.

A claimed list and what was picked of it are remembered on the device (``logic.pick_lists.PickMemory``), and
the products of its lines are looked up as it is claimed: a picker who claims at the dock and walks into a
dead zone keeps picking, bins and products known without the server. *Release* gives the claim up.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, NotSignedIn, Unreachable, UserError, user_errors
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, CONFIRM, DAMAGED, EXPIRED, MISSING, RELEASE, SHORT, command
from handheld.logic.count_offer import as_of
from handheld.logic.courier import REFUSED, SENT, WAITING, Courier
from handheld.logic.outbox import Entry, new_key
from handheld.logic.pick_lists import (
    PICK_LIST,
    Picked,
    PickLine,
    PickList,
    PickMemory,
    find_open_list,
    pick_list,
    read_open_lists,
    read_whole,
)
from handheld.logic.quantity import BACK, CLEAR, format_quantity
from handheld.logic.resolution import Resolution, clean_code, display_code
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from handheld.logic.task import Outcome, TaskFlow

OFFERED = 3  # lists offered as buttons: with their two-line labels, what fits above the pad
CHOOSE = "list:"  # the command of a list's button: CHOOSE + its place in the offer
# A short line's reason: as the server keeps it, and as its button says it (three side by side).
REASONS = {MISSING: "Not in the bin", DAMAGED: "Damaged", EXPIRED: "Expired"}
REASON_BUTTONS = {MISSING: "Missing", DAMAGED: "Damaged", EXPIRED: "Expired"}
CLAIM = (
    "mutation ClaimPickList($input: PickListActionInput!) { claimPickList(input: $input) {"
    f" pickList {{ {PICK_LIST} }} errors {{ field code message }} }} }}"
)
GONE = ("CLAIMED", "ILLEGAL_TRANSITION", "NOT_FOUND")  # the list is not the picker's to pick any more


class PickFlow(TaskFlow):
    operation = "confirmPicks"
    zero_quantity = True  # nothing found is a figure too (a short line)

    def __init__(self, courier: Courier, **kwargs: Any) -> None:
        self.offered: list[PickList] = []
        self.as_of: datetime | None = None  # the lists were read then (the server is away); None: now
        self.pick_list: PickList | None = None
        self.picks: dict[int, Picked] = {}  # position -> what was found of it
        self.asking_release = False
        super().__init__(courier, **kwargs)
        self.memory = PickMemory(self.cache, courier.server, self.warehouse, courier.username)

    def reset(self) -> None:
        """Clears the line under way; the list, its picks and the refused finish being fixed stay."""
        fixing = getattr(self, "fixing", None)
        self.at_bin = False
        self.item_found = False
        self.lot_found = False
        self.asking_reason = False
        self.prefilled = False  # the pad shows what the line asks: a key replaces it
        self.bin_scan: dict[str, Any] | None = None  # the line's bin as scanned (the item's is ``item_scan``)
        super().reset()
        self.fixing = fixing

    # What the screen shows.
    @property
    def line(self) -> PickLine | None:
        """The line to pick now: the first in bin order not done yet."""
        if self.pick_list is None:
            return None
        return next((line for line in self.pick_list.lines if line.position not in self.picks), None)

    @property
    def prompt(self) -> str:
        if self.pick_list is None:
            old = f" (no connection: {as_of(self.as_of)})" if self.as_of else ""
            if not self.offered:
                return f"No open pick list in {self.warehouse}{old}."
            return f"Choose a pick list, or scan its number{old}."
        if self.asking_release:
            return f"Release {self.pick_list.number}? What you picked of it here is dropped."
        line = self.line
        if line is None:
            return f"All {len(self.pick_list.lines)} lines done{self._shorts()}: Finish books them."
        if not self.at_bin:
            place = next(index for index, each in enumerate(self.pick_list.lines, 1) if each == line)
            return f"Line {place} of {len(self.pick_list.lines)}: go to {line.location} and scan the bin."
        if not self.item_found:
            return f"Take {line.label}: scan it."
        if line.lot and not self.lot_found:
            return f"Scan the lot of {line.sku}: {line.lot}."
        if self.asking_reason:
            return f"Short of {line.sku}: key how many you found (0: none), then tap why."
        return f"Take {format_quantity(line.quantity)}: confirm, or key how many you found."

    def _shorts(self) -> str:
        short = sum(1 for picked in self.picks.values() if picked.reason)
        return f", {short} short" if short else ""

    @property
    def confirm_label(self) -> str:
        if self.pick_list is None:
            return "Confirm"
        if self.asking_release:
            return "Release"
        if self.line is None:
            return "Finish"
        if self.asking_reason:
            return "Tap why"
        return f"Take {self.quantity.for_server}".strip()

    @property
    def takes_quantity(self) -> bool:
        return self.line is not None and self.item_found

    @property
    def choices_stacked(self) -> bool:  # type: ignore[override]
        return self.pick_list is None

    @property
    def ready(self) -> bool:
        if self.pick_list is None:
            return False
        if self.asking_release or self.line is None:
            return True
        return self._at_item and not self.asking_reason and self.quantity.value is not None

    @property
    def _at_item(self) -> bool:
        line = self.line
        return line is not None and self.at_bin and self.item_found and (self.lot_found or not line.lot)

    def fields(self) -> list[tuple[str, str, bool]]:
        if self.pick_list is None:
            return []  # the choice's buttons carry the lists
        lines = self.pick_list.lines
        line = self.line
        if line is None:
            rows = [("List", f"{self.pick_list.number}: {len(lines)} lines", False)]
            return rows + [(f"Line {each.position}", self._done_text(each), False) for each in lines]
        # Two to four rows, so that they fit above the buttons and the pad at 480x800 and density 1.5: the list's
        # number was said when it was claimed, the line's place is in the prompt, an order is named only in a
        # wave (the tote it goes into).
        next_up = self.prompt
        asked = f"{format_quantity(line.quantity)} x {line.sku}"
        if self.asking_reason:
            take = ("Found", f"{self.quantity.text or '0'} of {asked}", True)
        else:
            keyed = self.quantity.text if self.quantity.text and not self.prefilled else ""
            take = ("Take", f"{keyed} of {asked}" if keyed else asked, self.at_bin and not next_up.startswith("Scan"))
        rows = [("Bin", line.location, next_up.startswith("Line ")), take]
        if line.lot:
            rows.append(("Lot", line.lot, next_up.startswith("Scan the lot")))
        if self.pick_list.wave:
            rows.append(("Order", line.order_number, False))
        return rows

    def _done_text(self, line: PickLine) -> str:
        picked = self.picks.get(line.position)
        where = f"{line.label} from {line.location}"
        if picked is None:
            return where
        if not picked.reason:
            return f"{where}: picked"
        return f"{where}: {format_quantity(picked.quantity)} found, {picked.reason.lower()}"

    def choices(self) -> list[tuple[str, str, bool]]:
        if self.pick_list is None:
            user = self.courier.username
            return [(f"{CHOOSE}{place}", item.label(user), False) for place, item in enumerate(self.offered[:OFFERED])]
        if self.asking_release:
            return []
        if self.asking_reason:
            return [(name, label, False) for name, label in REASON_BUTTONS.items()]
        if self.line is not None:
            return [(SHORT, "Short", False), (RELEASE, "Release", False)]
        return [(RELEASE, "Release", False)]

    # The lists.
    def look(self) -> Outcome:
        """The warehouse's open lists (the server's, else the device's memory); a list this picker was picking
        when the app stopped is taken up again. Called on the network thread."""
        if self.pick_list is not None or self.fixing is not None:
            return self._said(QUIET, self.prompt)
        try:
            self.offered, self.as_of = read_open_lists(self.courier, self.warehouse), None
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable:
            kept = self.memory.lists()
            self.offered, self.as_of = kept if kept else ([], None)
        except ClientError as error:  # no sales.view, or a server without pick lists
            self.offered = []
            return self._said(BAD, f"The pick lists could not be read: {error.message}")
        else:
            self.memory.keep_lists(self.offered)
        if (resumed := self._resume()) is not None:
            return resumed
        return self._said(WARN if self.as_of or not self.offered else GOOD, self.prompt)

    def _resume(self) -> Outcome | None:
        kept = self.memory.claimed()
        if kept is None:
            return None
        remembered, picks, _ = kept
        mine = next((item for item in self.offered if item.id == remembered.id), None)
        if self.as_of is None and (mine is None or mine.taken_from(self.courier.username)):
            self.memory.keep_claimed(None, {})  # finished, released or taken over elsewhere meanwhile
            return None
        self._open(remembered, picks)
        old = f" (no connection: {as_of(self.as_of)})" if self.as_of else ""
        return self._said(WARN if self.as_of else GOOD, f"Back to {remembered.number}{old}. {self.prompt}")

    def _open(self, chosen: PickList, picks: dict[int, Picked]) -> None:
        self.pick_list, self.picks, self.asking_release = chosen, picks, False
        self.reset()
        self.fixing = None  # a refused finish is fixed in its own list (``load``), never in another
        self._keep()

    def _keep(self) -> None:
        self.memory.keep_claimed(self.pick_list, self.picks)

    def _leave(self) -> None:
        self.pick_list, self.picks, self.asking_release, self.fixing = None, {}, False, None
        self.reset()
        self._keep()

    def claim(self, chosen: PickList) -> Outcome:
        """Claim ``chosen`` and start on its first line; taken by someone else: the server's words."""
        try:
            data = self.courier.execute(CLAIM, {"input": {"id": chosen.id, "idempotencyKey": new_key()}})
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable:
            kept = self.memory.claimed()
            if kept is not None and kept[0].id == chosen.id:  # claimed before: picked on from memory
                self._open(kept[0], kept[1])
                return self._said(WARN, f"No connection: {chosen.number} as of {kept[2].astimezone():%H:%M}. "
                                        f"{self.prompt}")  # fmt: skip
            return self._said(WARN, f"No connection: a pick list is claimed with the server. Choose {chosen.number} "
                                    "again when it answers.")  # fmt: skip
        except ClientError as error:
            return self._said(BAD, f"{chosen.number} could not be claimed: {error.message}")
        payload = data.get("claimPickList") or {}
        if errors := user_errors(payload):
            if errors[0].code == "CLAIMED":
                self._taken(chosen)
                return self._said(BAD, f"Taken: {errors[0].message}")
            return self._said(BAD, f"{chosen.number} could not be claimed: {errors[0].message}")
        raw = payload.get("pickList") or {"id": chosen.id, "number": chosen.number}
        try:
            raw = read_whole(self.courier, raw)
        except ClientError as error:  # claimed, but not all of it could be read: picked once it can
            return self._said(WARN, f"{chosen.number} is yours, but its lines could not all be read: {error.message}."
                                    " Scan its number again.")  # fmt: skip
        claimed = pick_list(raw)
        kept = self.memory.claimed()
        self._open(claimed, kept[1] if kept is not None and kept[0].id == claimed.id else {})
        if self.pick_list is not None:
            self._learn_products([line.sku for line in self.pick_list.lines])
        return self._said(GOOD, f"{claimed.number} is yours: {len(claimed.lines)} lines. {self.prompt}")

    def _taken(self, chosen: PickList) -> None:
        """Someone else has it (the server said so): shown as taken from now on."""
        try:
            self.offered = read_open_lists(self.courier, self.warehouse)
        except ClientError:
            self.offered = [replace(item, claimed_by=item.claimed_by or "someone else") if item.id == chosen.id
                            else item for item in self.offered]  # fmt: skip

    # What the worker does.
    def scan(self, captured: Captured) -> Outcome:
        code = clean_code(captured.code).upper()
        if not code or command(code) is not None:
            return super().scan(captured)
        if self.pick_list is None:
            chosen = next((item for item in self.offered if item.number.upper() == code), None)
            if chosen is not None:
                return self.claim(chosen)  # its number, as printed on its paper
            return self._by_number(
                code,
                "pick list",
                lambda: find_open_list(self.courier, self.warehouse, code),
                self.claim,
                f"No open pick list {display_code(code)} in {self.warehouse}.",
            )
        line = self.line
        scanned = self._scanned(captured)
        # Known without asking the server, so offline too: the line's bin, its SKU, its lot.
        if line is not None and code == line.location.upper():
            return self._bin(scanned)
        if line is not None and self.at_bin and code == line.sku.upper():
            return self._item(line, Resolution(code, "PRODUCT", sku=line.sku), scanned)
        if line is not None and self.item_found and line.lot and code == line.lot.upper():
            self.lot_found = True
            return self._said(GOOD, self.prompt)
        return super().scan(captured)

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        line = self.line
        if self.pick_list is None:
            return self._said(BAD, self.prompt)
        if line is None:
            return self._said(BAD, f"Every line is done. {self.prompt}")
        if found.kind == "LOCATION":
            if problem := self._in_other_warehouse(found):
                return self._said(BAD, problem)
            if found.location.upper() == line.location.upper():
                return self._bin(scan)
            return self._said(BAD, f"Wrong bin: go to {line.location}.")
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            if not self.at_bin:
                return self._said(BAD, f"Scan the bin {line.location} first.")
            if found.sku.upper() != line.sku.upper():
                return self._said(BAD, f"Wrong item: that is {found.sku}. Take {line.sku} from {line.location}.")
            return self._item(line, found, scan)
        if self.item_found and line.lot and not self.lot_found:
            return self._said(BAD, f"Wrong lot: take lot {line.lot} of {line.sku}.")
        return self._said(BAD, f"Unknown code: {found.message or 'no product, bin or lot has it.'}")

    def _scanned(self, captured: Captured) -> dict[str, Any]:
        """A scan as ``confirmPicks`` takes it with its line: the code as read, and when (now)."""
        return {"code": clean_code(captured.code), "symbology": captured.symbology, "device": self.device,
                "scannedAt": datetime.now(UTC).isoformat(timespec="milliseconds")}  # fmt: skip

    def _bin(self, scan: dict[str, Any]) -> Outcome:
        already = self.at_bin
        self.at_bin = True
        if not self.item_found:
            self.bin_scan = scan  # the line's scan until its item is scanned
        return self._said(GOOD if not already else QUIET, self.prompt)

    def _item(self, line: PickLine, found: Resolution, scan: dict[str, Any]) -> Outcome:
        lot = found.gs1_lot if line.lot else ""
        if lot and lot.upper() != line.lot.upper():
            return self._said(BAD, f"Wrong lot: {lot}. Take lot {line.lot} of {line.sku}.")
        again = self.item_found
        self.item_found = True
        self.item_scan = scan
        self.lot_found = self.lot_found or bool(lot)
        if found.gs1_quantity is not None:  # a label that counts what it holds
            self.quantity.set(format_quantity(found.gs1_quantity))
            self.prefilled = False
        elif not again and not self.asking_reason:
            self.quantity.set(format_quantity(line.quantity))
            self.prefilled = True
        return self._said(GOOD, self.prompt)

    def key(self, key: str) -> str:
        if self.prefilled:
            self.prefilled = False
            if key not in (BACK, CLEAR):  # a figure keyed over the one shown replaces it
                self.quantity.set("")
        return super().key(key)

    def typed_quantity(self, text: str) -> Outcome:
        if self.line is None or not self.item_found:
            return self._said(BAD, f"Not yet: {self.prompt}")
        self.prefilled = False
        return super().typed_quantity(text)

    def command(self, name: str) -> Outcome:
        if name.startswith(CHOOSE) and self.pick_list is None:
            place = name.removeprefix(CHOOSE)
            if place.isdigit() and int(place) < len(self.offered):
                return self.claim(self.offered[int(place)])
            return self._said(BAD, self.prompt)
        if name in REASONS:
            return self._short(REASONS[name])
        if name == SHORT:
            return self._ask_reason()
        if name == RELEASE:
            return self._release()
        if name == CANCEL:
            return self._cancel()
        if name == CONFIRM:
            return self.confirm()
        return super().command(name)

    def confirm(self) -> Outcome:
        """Take the line's quantity (less: asks why), release the list (asked first), or finish it."""
        if self.pick_list is None:
            return self._said(BAD, f"Not yet: {self.prompt}")
        if self.asking_release:
            return self._release(sure=True)
        line = self.line
        if line is None:
            return self._finish()
        if not self._at_item or self.quantity.value is None:
            return self._said(BAD, f"Not yet: {self.prompt}")
        if self.asking_reason:
            return self._said(BAD, f"Tap why it is short. {self.prompt}")
        found = self.quantity.value
        if found > line.quantity:
            return self._said(BAD, f"Line {line.position} asks for {format_quantity(line.quantity)}: no more.")
        if found < line.quantity:
            self.asking_reason = True
            return self._said(WARN, f"{format_quantity(found)} of {format_quantity(line.quantity)} is short: "
                                    f"tap why.")  # fmt: skip
        return self._done(line, Picked(found, scan=self._line_scan()), f"Picked {line.label}.")

    def _ask_reason(self) -> Outcome:
        line = self.line
        if line is None:
            return self._said(BAD, f"Every line is done. {self.prompt}")
        found = self.quantity.value if self.item_found and not self.prefilled else None
        if found is None or found >= line.quantity:
            self.quantity.set("0")  # nothing found, unless a figure is keyed over it
            self.prefilled = True
        self.asking_reason = True
        return self._said(WARN, self.prompt)

    def _short(self, reason: str) -> Outcome:
        line = self.line
        if line is None or not (self.asking_reason or self.item_found):
            return self._said(BAD, f"That says why a line is short: tap Short first. {self.prompt}")
        found = self.quantity.value if self.quantity.value is not None else Decimal(0)
        if found >= line.quantity:
            return self._said(BAD, f"{format_quantity(found)} is all that line {line.position} asks: confirm it.")
        said = f"Short: {format_quantity(found)} of {line.label}, {reason.lower()}."
        return self._done(line, Picked(found, reason, self._line_scan()), said)

    def _line_scan(self) -> dict[str, Any] | None:
        """The scan that picked the line: its item's, else its bin's (a line short of everything)."""
        return self.item_scan or self.bin_scan

    def _done(self, line: PickLine, picked: Picked, said: str) -> Outcome:
        self.picks[line.position] = picked
        self.reset()
        self._keep()
        return self._said(GOOD, f"{said} {self.prompt}")

    def _cancel(self) -> Outcome:
        """One step back: the question, the keyed figure, the item, the bin, the last line done; then the list
        is left (still claimed: *Release* gives it up)."""
        line = self.line
        if self.pick_list is None:
            return self._said(QUIET, self.prompt)
        if self.asking_release or self.asking_reason:
            self.asking_release = self.asking_reason = False
            if line is not None and self.item_found:
                self.quantity.set(format_quantity(line.quantity))
                self.prefilled = True
            return self._said(QUIET, self.prompt)
        if line is not None and self.item_found and not self.prefilled and self.quantity.text:
            self.quantity.set(format_quantity(line.quantity))
            self.prefilled = True
            return self._said(QUIET, self.prompt)
        if line is not None and self.item_found:
            bin_scan = self.bin_scan
            self.reset()
            self.at_bin, self.bin_scan = True, bin_scan
            return self._said(QUIET, self.prompt)
        if self.at_bin:
            self.at_bin = False
            return self._said(QUIET, self.prompt)
        if self.picks:
            back = max(self.picks, key=lambda position: self._order(position))
            del self.picks[back]
            self._keep()
            return self._said(QUIET, f"Line {back} is to pick again. {self.prompt}")
        number = self.pick_list.number
        self._leave()
        return self._said(QUIET, f"Left {number}: it stays yours until you release it. {self.prompt}")

    def _order(self, position: int) -> int:
        assert self.pick_list is not None
        return next(index for index, line in enumerate(self.pick_list.lines) if line.position == position)

    def _release(self, *, sure: bool = False) -> Outcome:
        if self.pick_list is None:
            return self._said(BAD, f"Not yet: {self.prompt}")
        if self.picks and not sure:
            self.asking_release = True
            return self._said(WARN, f"{self.prompt} Confirm, or cancel to go on picking.")
        released = self.pick_list
        try:
            delivery = self.courier.write("releasePickList", {"id": released.id}, f"Release {released.number}")
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        if delivery.state == REFUSED:
            self.courier.outbox.drop(delivery.entry.id)
            error = delivery.error
            if error is None or error.code not in GONE:
                self.asking_release = False
                return self._said(BAD, f"Not released: {error.message if error else 'refused'}")
        self._leave()
        self._forget(released)
        self.look()
        if delivery.state == WAITING:
            return self._said(WARN, f"No connection: releasing {released.number} is kept, and sent when the server "
                                    f"is back. {self.prompt}")  # fmt: skip
        if delivery.state == REFUSED:
            return self._said(WARN, f"{released.number} is not yours any more: {delivery.error.message}. "  # type: ignore[union-attr]
                                    f"{self.prompt}")  # fmt: skip
        return self._said(GOOD, f"Released {released.number}. {self.prompt}")

    def _forget(self, gone: PickList) -> None:
        """Not to be offered again from memory: it was finished (or released) here."""
        self.offered = [item for item in self.offered if item.id != gone.id]
        self.memory.keep_lists(self.offered)

    def _finish(self) -> Outcome:
        finished = self.pick_list
        assert finished is not None
        outcome = super().confirm()
        delivery = outcome.done
        if delivery is None:  # refused: the list stays, to change and finish again, or release
            return outcome
        summary = delivery.entry.summary
        self._leave()
        self._forget(finished)
        self.look()
        if delivery.state == SENT:
            again = " (it had been sent before)" if delivery.replayed else ""
            said = self._said(GOOD, f"Done: {summary}{again}. {self.prompt}")
        else:
            waiting, _ = self.courier.outbox.counts()
            said = self._said(WARN, f"No connection: {finished.number} is kept, and sent when the server is back "
                                    f"({waiting} waiting). {self.prompt}")  # fmt: skip
        return replace(said, done=delivery)

    def after_refusal(self, error: UserError | None) -> str:
        if error is not None and error.code in GONE:
            return " Release it here (it is not booked)."
        return " Cancel goes back a line to change it."

    # The write.
    def write(self) -> dict[str, Any]:
        """Every line done with its scan (in full: no quantity, as far as its order still holds it); a short one
        with what was found and why. A line with neither (picked before scans were kept) is not named."""
        assert self.pick_list is not None
        lines = []
        for line in self.pick_list.lines:
            picked = self.picks.get(line.position)
            if picked is None or not (picked.reason or picked.scan):
                continue
            named: dict[str, Any] = {"position": line.position}
            if picked.reason:
                named.update(quantity=format_quantity(picked.quantity), reason=picked.reason)
            if picked.scan:
                named["scan"] = picked.scan
            lines.append(named)
        return {"id": self.pick_list.id, "lines": lines}

    def summary(self) -> str:
        assert self.pick_list is not None
        return f"Pick {self.pick_list.number}: {len(self.pick_list.lines)} lines{self._shorts()}"

    def load(self, entry: Entry) -> None:
        """A refused ``confirmPicks`` back in the form: the list as the device remembers it, every line done as
        it was sent (short lines short), ready to finish again or to go back a line with Cancel."""
        super().load(entry)
        self.quantity.set("")
        kept = self.memory.list_of(str(entry.input.get("id")))
        if kept is None:
            self.pick_list, self.picks = None, {}
            self.message = f"{self.message} (the list is no longer on this device: drop it)".strip()
            return
        named = {int(raw["position"]): raw for raw in entry.input.get("lines") or []}
        self.pick_list = kept
        self.picks = {}
        for line in kept.lines:
            raw = named.get(line.position) or {}
            if raw.get("reason"):
                self.picks[line.position] = Picked(Decimal(str(raw["quantity"])), str(raw["reason"]), raw.get("scan"))
            else:
                self.picks[line.position] = Picked(line.quantity, scan=raw.get("scan"))
