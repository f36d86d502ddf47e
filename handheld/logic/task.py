"""What the task flows (receive, move) share: scans that fill a form, a quantity from the pad, a
confirmation that goes through the courier, and fixing a write the server refused.

Plain Python, no Kivy; every method that talks to the server is called on the network thread.
A scan is resolved with ``resolveBarcode`` (not logged on its own) and sent along with the write
it leads to, so the server logs it with its move. While offline, codes looked up before are
resolved from the device's memory; the write waits in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from handheld.client import ClientError, NotSignedIn, Unreachable, UserError
from handheld.logic.cache import LookupCache
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, CONFIRM, command
from handheld.logic.courier import REFUSED, SENT, Courier, Delivery
from handheld.logic.outbox import Entry
from handheld.logic.quantity import QuantityEntry
from handheld.logic.resolution import Resolution, clean_code, display_code, resolve
from handheld.logic.scan import BAD, GOOD, QUIET, WARN

T = TypeVar("T")
RESOLUTIONS = "#resolutions"  # the cache's "warehouse" for task resolutions (they are not per warehouse)
# What a task's resolution is kept under besides the code scanned, by kind. A package is kept too, so a
# pallet seen before can be moved offline: the move names where it was seen, and the server refuses it
# (STALE) if it has moved since.
_CACHED_BY = {"PRODUCT": "sku", "LOCATION": "location", "LOT": "code", "PACKAGE": "sscc"}


@dataclass(frozen=True)
class Outcome:
    """What to tell the worker after a scan, a key or a confirmation."""

    feedback: str
    message: str
    done: Delivery | None = None
    signed_out: bool = False


class TaskFlow:
    """A form filled by scans; subclasses say which scan fills what and what the write is."""

    operation = ""
    verb = ""
    zero_quantity = False  # a count may be 0; a receipt, move or issue may not
    takes_packages = False  # only the move screen moves a pallet; the others say where to go with one
    choices_stacked = False  # the choice's buttons one above the other (long labels), not side by side

    def __init__(
        self, courier: Courier, *, warehouse: str, device: str | None = None, cache: LookupCache | None = None
    ) -> None:
        self.courier = courier
        self.warehouse = warehouse
        self.device = device
        self.cache = cache
        self.quantity = QuantityEntry()
        self.item_scan: dict[str, Any] | None = None
        self.fixing: Entry | None = None
        self.message = ""
        self.reset()

    def reset(self) -> None:
        self.quantity = QuantityEntry(allow_zero=self.zero_quantity)
        self.item_scan = None
        self.fixing = None
        self.message = self.prompt

    # What the screen shows.
    @property
    def prompt(self) -> str:
        raise NotImplementedError

    @property
    def takes_quantity(self) -> bool:
        """Whether the form has a quantity to type: the screen shows the number pad's digits only then."""
        return True

    def fields(self) -> list[tuple[str, str, bool]]:
        """(label, value, is it the next thing to give) for each line of the form."""
        raise NotImplementedError

    @property
    def ready(self) -> bool:
        raise NotImplementedError

    def choices(self) -> list[tuple[str, str, bool]]:
        """(command, label, is it chosen) for the buttons of a choice the form needs (none by default)."""
        return []

    # What the worker does.
    def scan(self, captured: Captured) -> Outcome:
        """A scanned (or typed) code: a command, a quantity typed on the keys, or something to resolve."""
        code = clean_code(captured.code)
        if (name := command(code)) is not None:
            return self.command(name)
        if not code:
            return Outcome(QUIET, self.prompt)
        if not captured.by_scanner and _is_quantity(code):
            return self.typed_quantity(code)
        # Sent with the write: the server books it on the day it was scanned, however long it waited here.
        scanned_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        try:
            found = self._resolve(code)
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable:
            return self._said(WARN, f"No connection, and {display_code(code)} was not looked up before: "
                                    "scan it again when the server is back.")  # fmt: skip
        except ClientError as error:
            return self._said(BAD, f"The server could not say what {display_code(code)} is: {error.message}")
        if found.misread:
            return self._said(BAD, f"Misread: scan again. ({found.message})")
        if found.kind == "PACKAGE" and not self.takes_packages:
            what = f"{found.package_kind or 'package'} {found.sscc}"
            return self._said(BAD, f"That is the {what}: a pallet moves whole, on the move screen (SK:MOVE).")
        return self.apply(
            found, {"code": code, "symbology": captured.symbology, "device": self.device, "scannedAt": scanned_at}
        )

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        raise NotImplementedError

    def write_operation(self) -> str:
        """The mutation the form's write is sent as: the flow's own, unless the form says otherwise."""
        return self.operation

    def typed_quantity(self, text: str) -> Outcome:
        self.quantity.set(text)
        if self.quantity.value is None:
            wanted = "a number" if self.zero_quantity else "a number above zero"
            return self._said(BAD, f"{text} is no quantity: enter {wanted}.")
        return self._said(QUIET, self.prompt)

    def key(self, key: str) -> str:
        """A key of the number pad; the quantity as now shown."""
        self.quantity.press(key)
        self.message = self.prompt
        return self.quantity.text

    def command(self, name: str) -> Outcome:
        if name == CANCEL:
            self.reset()
            return Outcome(QUIET, "Cancelled. " + self.prompt)
        if name != CONFIRM:
            return self._said(BAD, f"That command does nothing here. {self.prompt}")
        if not self.ready:
            return self._said(BAD, "Not yet: " + self.prompt)
        return self.confirm()

    def confirm(self) -> Outcome:
        """Send the write (or the fixed one); the form is cleared unless the server refused it."""
        if not self.ready:
            return self._said(BAD, "Not yet: " + self.prompt)
        write, summary = self.write(), self.summary()
        try:
            # A refused entry is fixed under its own operation: the form it was loaded into makes that one.
            if self.fixing is not None:
                entry = self.courier.outbox.fix(self.fixing.id, write, summary)
                delivery = next((d for d in self.courier.drain() if d.entry.id == entry.id), None)
                delivery = delivery or Delivery(entry, "waiting")
            else:
                delivery = self.courier.write(self.write_operation(), write, summary)
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        if delivery.state == REFUSED:
            reason = delivery.error.message if delivery.error else "refused"
            if self.fixing is None:  # the worker is here to fix it: the form keeps it, not the outbox
                self.courier.outbox.drop(delivery.entry.id)
            return self._said(BAD, f"Refused: {reason}{self.after_refusal(delivery.error)}")
        self.reset()
        if delivery.state == SENT:
            again = " (it had been sent before)" if delivery.replayed else ""
            return Outcome(GOOD, f"Done: {summary}{again}. {self.prompt}", done=delivery)
        waiting, _ = self.courier.outbox.counts()
        return Outcome(WARN, f"No connection: kept, and sent when the server is back ({waiting} waiting). "
                             f"{self.prompt}", done=delivery)  # fmt: skip

    def after_refusal(self, error: UserError | None) -> str:
        """What the form does about a refusal it keeps, as words to add to the reason ("": it stays as it was)."""
        return ""

    def write(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> str:
        raise NotImplementedError

    def load(self, entry: Entry) -> None:
        """Fix a refused write: its values back in the form; confirming sends it again with a new key."""
        self.reset()
        self.fixing = entry
        self.item_scan = entry.input.get("scan")
        self.quantity.set(str(entry.input.get("quantity") or entry.input.get("countedQuantity") or ""))
        self.message = f"Fix and confirm: {entry.error.message if entry.error else ''}".strip()

    # Helpers.
    def _said(self, feedback: str, message: str) -> Outcome:
        self.message = message
        return Outcome(feedback, message)

    def _resolve(self, code: str) -> Resolution:
        server = self.courier.server
        try:
            found = resolve(self.courier, code, log=False)
        except Unreachable:
            cached = self.cache.get(server, RESOLUTIONS, code) if self.cache else None
            kept = _resolution(cached.result, code) if cached is not None else None
            if kept is None:
                raise
            return kept
        if self.cache is not None and found.kind in _CACHED_BY:
            self.cache.put(server, RESOLUTIONS, [code], asdict(found))
            name = getattr(found, _CACHED_BY[found.kind])
            if name and name != code:
                self.cache.put(server, RESOLUTIONS, [name], asdict(_named_by(found, name)))
        return found

    def _by_number(
        self, code: str, what: str, find: Callable[[], T | None], take: Callable[[T], Outcome], missing: str
    ) -> Outcome:
        """A document scanned by its number that the screen does not offer (past those read): ``find`` asks the
        server, ``take`` opens what it found; ``what`` names it ("pick list"), ``missing`` says it is not there."""
        try:
            found = find()
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable:
            return self._said(WARN, f"No connection: a {what} not offered here is looked up with the server. "
                                    f"{self.prompt}")  # fmt: skip
        except ClientError as error:
            return self._said(BAD, f"The {what} {display_code(code)} could not be looked up: {error.message}")
        if found is None:
            return self._said(BAD, f"{missing} {self.prompt}")
        return take(found)

    def _learn_products(self, skus: list[str]) -> None:
        """Look up a task's products now, with their barcodes, so that they are known in a dead zone."""
        if self.cache is None:
            return
        for sku in dict.fromkeys(skus):
            try:
                found = resolve(self.courier, sku, log=False)
            except ClientError:
                return  # best effort: each product scanned online is remembered anyway
            if found.kind == "PRODUCT":
                self.cache.put(self.courier.server, RESOLUTIONS, [sku, *found.barcodes], asdict(found))

    def _in_other_warehouse(self, found: Resolution) -> str:
        if self.warehouse and found.warehouse and found.warehouse != self.warehouse:
            return f"{found.location} is in warehouse {found.warehouse}; you work in {self.warehouse}."
        return ""


def _named_by(found: Resolution, name: str) -> Resolution:
    """What the device may answer offline for the product's own name (its SKU): the product, without what a GS1
    label said of the unit it was on (lot, serial, dates, how many it counts), which belongs to that label's code
    alone."""
    if found.kind != "PRODUCT":
        return found
    return replace(found, code=name, gs1=(), lot="", lot_code="", serial="", expires_on="", best_before_on="", units="")


def _resolution(raw: dict[str, Any], code: str) -> Resolution | None:
    """A resolution kept on the device (None if it was kept by a version that stored another shape)."""
    known = {f.name for f in fields(Resolution)}
    try:
        values = {k: v for k, v in raw.items() if k in known}
        values.update(code=code, barcodes=tuple(raw.get("barcodes") or ()))
        for name in ("gs1", "package_contents"):
            values[name] = tuple((str(a), str(b), str(c)) for a, b, c in raw.get(name) or ())
        return Resolution(**values)
    except (TypeError, ValueError):
        return None


def _is_quantity(text: str) -> bool:
    # Typed digits are a count, unless there are as many as a barcode has (EAN-8 and up).
    whole = text.partition(".")[0]
    return 0 < len(whole) <= 6 and text.replace(".", "", 1).isdigit()
