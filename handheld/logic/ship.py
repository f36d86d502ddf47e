"""Packing and shipping a sales shipment (issue 11: the last step of sales fulfillment).

The warehouse's draft shipments are offered as the ship screen opens (any may be scanned by its number, even one
past the twenty read). Opening one reads its lines. **Pack**: scan a box type (a free code, ``BOX-M``) or a box's
SSCC label (GS1 AI 00: the server checks its check digit) to open a box, scan the items into it (a product's
barcode, a GS1 label or the SKU, any case: each scan adds one, or what a case barcode or a GS1 count stands for;
more than the shipment's lines ship is refused here), key the box's weight in kg on the pad and close it
(``SK:CLOSE``, the button or Confirm); the next box, and so on. When all is packed, *Finish packing* sends one
``packShipment`` with every box through the outbox. **Ship**: scan the carrier's tracking barcode (optional) and
confirm: ``validateShipment``, named with the scan that confirmed it (the tracking barcode, else the shipment's
number, and when), so its moves are dated then however long it waits to be sent. A warehouse that ships in one or
two steps may ship unpacked. Every write has its idempotency key: offline it waits, in order, and one sent twice
is booked once; refused after waiting, it is fixed here (the boxes back on the screen) or dropped.

The shipment open and its boxes are remembered on the device (``logic.shipments.ShipMemory``), and its products
are looked up as it is opened: a packer who opens a shipment at the dock and walks into a dead zone keeps
packing, and an app restarted mid-box finds its boxes again.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from handheld.client import ClientError, NotSignedIn, Unreachable, UserError
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, CLOSE, CONFIRM, command
from handheld.logic.count_offer import as_of
from handheld.logic.courier import REFUSED, SENT, WAITING, Courier, Delivery
from handheld.logic.outbox import Entry
from handheld.logic.quantity import format_quantity
from handheld.logic.resolution import Resolution, clean_code, display_code
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from handheld.logic.shipments import (
    Box,
    Packing,
    ShipMemory,
    Shipment,
    box,
    find_open_shipment,
    read_open_shipments,
    read_shipment,
)
from handheld.logic.task import Outcome, TaskFlow

OFFERED = 3  # shipments offered as buttons, as the pick screen offers lists
CHOOSE = "shipment:"  # the command of a shipment's button: CHOOSE + its place in the offer
UNPACKED = "unpacked"  # the button that ships without packing (one or two steps)
DEFAULT_BOX = "BOX"  # the type of a box opened by its SSCC label before any box type was scanned
THREE_STEPS = 3
BOX_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,31}")  # a code the server takes as a box type
TRACKING = re.compile(r"[!-~]{1,64}")  # letters, digits and punctuation, no spaces: as the server takes one
SSCC_LABEL = re.compile(r"(?:00|\(00\))(\d{18})")
UNKNOWN_CODE = "Nothing is known by this code."  # the server's words for a code that names nothing
WEIGHT_STEP = Decimal("0.001")


class ShipFlow(TaskFlow):
    operation = "validateShipment"
    takes_packages = True  # an SSCC is a box label here, not a pallet to move

    def __init__(self, courier: Courier, **kwargs: Any) -> None:
        self.offered: list[Shipment] = []
        self.as_of: datetime | None = None  # the shipments were read then (the server is away); None: now
        self.packing: Packing | None = None
        super().__init__(courier, **kwargs)
        self.memory = ShipMemory(self.cache, courier.server, self.warehouse, courier.username)

    def reset(self) -> None:
        """Clears the pad; the shipment, its boxes and a refused write being fixed stay."""
        fixing = getattr(self, "fixing", None)
        super().reset()
        self.fixing = fixing

    # What the screen shows.
    @property
    def shipment(self) -> Shipment | None:
        return self.packing.shipment if self.packing is not None else None

    @property
    def open_box(self) -> Box | None:
        return self.packing.open_box if self.packing is not None else None

    def _boxed(self, position: int) -> Decimal:
        """What the device's boxes (closed and open) hold of a line."""
        if self.packing is None:
            return Decimal(0)
        boxes = [*self.packing.boxes, *([self.packing.open_box] if self.packing.open_box else [])]
        return sum((b.holds(position) for b in boxes), Decimal(0))

    @property
    def all_packed(self) -> bool:
        shipment = self.shipment
        return shipment is not None and all(self._boxed(ln.position) >= ln.quantity for ln in shipment.lines)

    @property
    def box_number(self) -> int:
        return len(self.packing.boxes) + 1 if self.packing is not None else 0

    @property
    def prompt(self) -> str:
        packing = self.packing
        if packing is None:
            old = f" (no connection: {as_of(self.as_of)})" if self.as_of else ""
            if not self.offered:
                return f"No shipment to pack in {self.warehouse}{old}."
            return f"Choose a shipment, or scan its number{old}."
        if packing.packing_sent:
            if packing.tracking:
                return f"Tracking {packing.tracking}: confirm to ship."
            return "Scan the carrier's tracking barcode (optional), then confirm to ship."
        open_box = packing.open_box
        if open_box is None:
            if packing.boxes and self.all_packed:
                return f"All packed in {len(packing.boxes)} box{'es' if len(packing.boxes) != 1 else ''}: Finish " \
                       "packing sends them."  # fmt: skip
            return f"Box {self.box_number}: scan a box type or the box's SSCC label."
        if not open_box.items:
            return f"Box {self.box_number}: scan the items into it."
        if self.quantity.value is None:
            return f"Box {self.box_number}: scan more, or key its weight (kg) and close it."
        return f"Box {self.box_number}, {self.quantity.for_server} kg: close it, or scan more."

    @property
    def confirm_label(self) -> str:
        packing = self.packing
        if packing is None:
            return "Confirm"
        if packing.packing_sent:
            return "Ship"
        if packing.open_box is not None:
            return f"Close box {self.box_number}"
        return "Finish packing"

    @property
    def takes_quantity(self) -> bool:
        return self.open_box is not None

    @property
    def choices_stacked(self) -> bool:  # type: ignore[override]
        return self.packing is None

    @property
    def ready(self) -> bool:
        packing = self.packing
        if packing is None:
            return False
        if packing.packing_sent:
            return True
        if packing.open_box is not None:
            return bool(packing.open_box.items) and self.quantity.value is not None
        return self._may_finish_packing

    @property
    def _may_finish_packing(self) -> bool:
        """Boxes closed, none open, and all packed (in three steps a shipment ships only packed in full)."""
        packing = self.packing
        if packing is None or packing.open_box is not None or not packing.boxes:
            return False
        return self.all_packed or packing.shipment.steps < THREE_STEPS

    def fields(self) -> list[tuple[str, str, bool]]:
        packing = self.packing
        if packing is None:
            return []  # the choice's buttons carry the shipments
        rows: list[tuple[str, str, bool]] = []
        if packing.packing_sent:
            boxes = len(packing.boxes) or packing.shipment.packages
            rows.append(("Packed", f"{boxes} box{'es' if boxes != 1 else ''}" if boxes else "not packed", False))
            rows.append(("Tracking", packing.tracking, not packing.tracking))
        elif packing.open_box is not None:
            open_box = packing.open_box
            label = open_box.packaging + (f", SSCC ...{open_box.sscc[-6:]}" if open_box.sscc else "")
            weight = f"{self.quantity.text} kg" if self.quantity.text else ""
            rows.append((f"Box {self.box_number}", label, False))
            rows.append(("Weight", weight, bool(open_box.items) and self.quantity.value is None))
        elif packing.boxes:
            rows.append(("Boxes", f"{len(packing.boxes)} closed", False))
        for line in packing.shipment.lines:
            boxed = self._boxed(line.position)
            done = boxed >= line.quantity or packing.packing_sent
            shown = line.quantity if packing.packing_sent else boxed
            rows.append((f"Line {line.position}", f"{line.label}: {format_quantity(shown)} of "
                         f"{format_quantity(line.quantity)}{' packed' if done else ''}", False))  # fmt: skip
        return rows

    def choices(self) -> list[tuple[str, str, bool]]:
        packing = self.packing
        if packing is None:
            return [(f"{CHOOSE}{place}", item.label, False) for place, item in enumerate(self.offered[:OFFERED])]
        if packing.packing_sent:
            return []
        if not packing.boxes and packing.open_box is None and packing.shipment.steps < THREE_STEPS:
            return [(UNPACKED, "Ship unpacked", False)]
        return []

    # The shipments.
    def look(self) -> Outcome:
        """The warehouse's draft shipments (the server's, else the device's memory); a shipment this packer had
        open when the app stopped is taken up again. Called on the network thread."""
        if self.packing is not None or self.fixing is not None:
            return self._said(QUIET, self.prompt)
        try:
            self.offered, self.as_of = read_open_shipments(self.courier, self.warehouse), None
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable:
            kept = self.memory.shipments()
            self.offered, self.as_of = kept if kept else ([], None)
        except ClientError as error:  # no sales.view, or a server without shipments
            self.offered = []
            return self._said(BAD, f"The shipments could not be read: {error.message}")
        else:
            self.memory.keep_list(self.offered)
        kept_open = self.memory.opened()
        if kept_open is not None:
            if not self._gone(kept_open.shipment):
                self.packing = kept_open
                self._restore_pad()
                old = f" (no connection: {as_of(self.as_of)})" if self.as_of else ""
                return self._said(WARN if self.as_of else GOOD,
                                  f"Back to {kept_open.shipment.number}{old}. {self.prompt}")  # fmt: skip
            self.memory.keep_open(None)  # shipped or cancelled elsewhere meanwhile
        return self._said(WARN if self.as_of or not self.offered else GOOD, self.prompt)

    def _gone(self, kept: Shipment) -> bool:
        """Shipped or cancelled meanwhile (the server says so; offline nothing is gone)."""
        if self.as_of is not None or any(item.id == kept.id for item in self.offered):
            return False
        try:  # past the shipments read, perhaps
            found = read_shipment(self.courier, kept.id)
        except ClientError:
            return False
        return found is None or found.state != "draft"

    def open(self, chosen: Shipment) -> Outcome:
        """Read ``chosen`` whole and start packing it (or shipping it, when the server has it packed)."""
        try:
            found = read_shipment(self.courier, chosen.id) if not chosen.lines else chosen
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        except Unreachable:
            found = self.memory.shipment_of(chosen.id)
            if found is None:
                return self._said(WARN, f"No connection: {chosen.number} was not read before. Choose it again when "
                                        "the server answers.")  # fmt: skip
        except ClientError as error:
            return self._said(BAD, f"{chosen.number} could not be read: {error.message}")
        if found is None or found.state != "draft":
            self._forget(chosen)
            return self._said(BAD, f"{chosen.number} is no longer to ship. {self.prompt}")
        self.packing = Packing(found, packing_sent=found.packed)
        self.reset()
        self.fixing = None
        self._keep()
        if self.shipment is not None:
            self._learn_products([line.sku for line in self.shipment.lines])
        lines = f"{len(found.lines)} line{'s' if len(found.lines) != 1 else ''}"
        if found.packed:
            return self._said(GOOD, f"{found.number} is packed already ({found.packages} boxes). {self.prompt}")
        return self._said(GOOD, f"{found.number}, order {found.order_number}: {lines}. {self.prompt}")

    def _keep(self) -> None:
        self.memory.keep_open(self.packing)

    def _forget(self, gone: Shipment) -> None:
        self.offered = [item for item in self.offered if item.id != gone.id]
        self.memory.keep_list(self.offered)

    def _restore_pad(self) -> None:
        open_box = self.open_box
        self.quantity.set(open_box.weight if open_box is not None else "")

    # What the worker does.
    def scan(self, captured: Captured) -> Outcome:
        code = clean_code(captured.code)
        if not code or command(code) is not None:
            return super().scan(captured)
        if self.packing is None:
            chosen = next((item for item in self.offered if item.number.upper() == code.upper()), None)
            if chosen is not None:
                return self.open(chosen)
            number = code.upper()
            return self._by_number(
                number,
                "shipment",
                lambda: find_open_shipment(self.courier, self.warehouse, number),
                self.open,
                f"No shipment {display_code(number)} to pack in {self.warehouse}.",
            )
        scanned = self._scan_of(captured)
        if self.packing.packing_sent:  # a tracking barcode is the carrier's: not asked of the server
            return self._tracking(code, scanned)
        if self.open_box is not None and not captured.by_scanner and _is_weight(code):
            return self.typed_quantity(code)
        line = next((ln for ln in self.packing.shipment.lines if ln.sku.upper() == code.upper()), None)
        if line is not None:  # its SKU: known without asking the server, so offline too
            return self._item(Resolution(code, "PRODUCT", sku=line.sku), scanned)
        return super().scan(captured)

    def _scan_of(self, captured: Captured) -> dict[str, Any]:
        return {"code": clean_code(captured.code), "symbology": captured.symbology, "device": self.device,
                "scannedAt": datetime.now(UTC).isoformat(timespec="milliseconds")}  # fmt: skip

    def _resolve(self, code: str) -> Resolution:
        """The server's answer (or the device's memory); offline, a box label or a box type is taken as read."""
        try:
            return super()._resolve(code)
        except Unreachable:
            if (sscc := SSCC_LABEL.fullmatch(code)) is not None:
                digits = sscc.group(1)
                if not _sscc_check_digit_ok(digits):
                    return Resolution(code, "UNKNOWN", "This SSCC's last digit is not its check digit: scan it again.")
                return Resolution(code, "UNKNOWN", gs1=(("00", "SSCC", digits),))
            if self.open_box is None and BOX_TYPE.fullmatch(code):
                return Resolution(code, "UNKNOWN", UNKNOWN_CODE)
            raise

    def apply(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        if self.packing is None:
            return self._said(BAD, self.prompt)
        if found.kind == "PACKAGE":
            return self._said(BAD, f"That SSCC labels a {found.package_kind or 'package'} in stock: put a new label "
                                   "on the box.")  # fmt: skip
        if found.kind in ("PRODUCT", "LOT") and found.sku:
            return self._item(found, scan)
        if found.kind == "UNKNOWN" and (sscc := found.gs1_value("00")):
            return self._label(sscc)
        if found.kind == "UNKNOWN" and not found.gs1 and found.message == UNKNOWN_CODE and BOX_TYPE.fullmatch(
                found.code):  # fmt: skip
            return self._box_type(found.code.upper())
        return self._said(BAD, f"Unknown code: {found.message or 'no product or box has it.'}")

    def _box_type(self, packaging: str) -> Outcome:
        packing = self.packing
        assert packing is not None
        if packing.open_box is None:
            packing.open_box = Box(packaging)
            self.quantity.set("")
            said = f"Box {self.box_number}: {packaging}."
        elif packing.open_box.items and packing.open_box.packaging != DEFAULT_BOX:
            return self._said(BAD, f"Box {self.box_number} is a {packing.open_box.packaging}: close it first.")
        else:
            packing.open_box.packaging = packaging
            said = f"Box {self.box_number} is a {packaging}."
        self._keep()
        return self._said(GOOD, f"{said} {self.prompt}")

    def _label(self, sscc: str) -> Outcome:
        packing = self.packing
        assert packing is not None
        taken = [b for b in [*packing.boxes, packing.open_box] if b is not None and b.sscc == sscc]
        if taken:
            return self._said(BAD, f"SSCC {sscc} is on a box of this shipment already.")
        if packing.open_box is None:
            last = packing.boxes[-1].packaging if packing.boxes else DEFAULT_BOX
            packing.open_box = Box(last, sscc)
            self.quantity.set("")
        elif packing.open_box.sscc:
            return self._said(BAD, f"Box {self.box_number} has its label ({packing.open_box.sscc}): close it first.")
        else:
            packing.open_box.sscc = sscc
        self._keep()
        return self._said(GOOD, f"Box {self.box_number}: SSCC {sscc}. {self.prompt}")

    def _item(self, found: Resolution, scan: dict[str, Any]) -> Outcome:
        packing = self.packing
        assert packing is not None
        if packing.open_box is None:
            return self._said(BAD, f"Open a box first: {self.prompt}")
        lot = found.gs1_lot.upper()
        lines = [ln for ln in packing.shipment.lines if ln.sku.upper() == found.sku.upper()]
        if not lines:
            return self._said(BAD, f"{found.sku} is not on {packing.shipment.number}.")
        if lot and any(ln.lot for ln in lines):
            lines = [ln for ln in lines if ln.lot.upper() == lot]
            if not lines:
                return self._said(BAD, f"Wrong lot: {lot} of {found.sku} is not on {packing.shipment.number}.")
        count = _units(found)
        room = {ln.position: ln.quantity - self._boxed(ln.position) for ln in lines}
        if count > sum(room.values()):
            ships = sum((ln.quantity for ln in lines), Decimal(0))
            already = format_quantity(ships - sum(room.values()))
            return self._said(BAD, f"Too many: {packing.shipment.number} ships {format_quantity(ships)} of "
                                   f"{found.sku}, {already} packed already.")  # fmt: skip
        left = count
        for ln in lines:  # the first lines with room first
            into = min(left, room[ln.position])
            if into > 0:
                packing.open_box.items.append((ln.position, into))
                left -= into
        self.item_scan = scan
        self._keep()
        return self._said(GOOD, f"{format_quantity(count)} x {found.sku} in box {self.box_number}. {self.prompt}")

    def _tracking(self, code: str, scan: dict[str, Any]) -> Outcome:
        packing = self.packing
        assert packing is not None
        if not TRACKING.fullmatch(code):
            return self._said(BAD, f"{display_code(code)} is no tracking number: scan the carrier's barcode.")
        packing.tracking, packing.tracking_scan = code, scan
        self._keep()
        return self._said(GOOD, self.prompt)

    def typed_quantity(self, text: str) -> Outcome:
        if self.open_box is None:
            return self._said(BAD, f"Not yet: {self.prompt}")
        outcome = super().typed_quantity(text)
        self._weighed()
        return outcome

    def key(self, key: str) -> str:
        shown = super().key(key)
        self._weighed()
        return shown

    def _weighed(self) -> None:
        if self.open_box is not None:
            self.open_box.weight = self.quantity.text
            self._keep()
            self.message = self.prompt

    def command(self, name: str) -> Outcome:
        if name.startswith(CHOOSE) and self.packing is None:
            place = name.removeprefix(CHOOSE)
            if place.isdigit() and int(place) < len(self.offered):
                return self.open(self.offered[int(place)])
            return self._said(BAD, self.prompt)
        if name == CLOSE:
            return self._close()
        if name == UNPACKED:
            return self._unpacked()
        if name == CANCEL:
            return self._cancel()
        if name == CONFIRM:
            return self.confirm()
        return super().command(name)

    def confirm(self) -> Outcome:
        """Close the box, finish packing (packShipment) or ship (validateShipment), as the step is."""
        packing = self.packing
        if packing is None:
            return self._said(BAD, f"Not yet: {self.prompt}")
        if packing.packing_sent:
            return self._ship()
        if packing.open_box is not None:
            return self._close()
        if not self._may_finish_packing:
            return self._said(BAD, f"Not yet: {self.prompt}")
        return self._finish_packing()

    def _close(self) -> Outcome:
        packing = self.packing
        if packing is None or packing.open_box is None:
            return self._said(BAD, f"No box is open. {self.prompt}")
        open_box = packing.open_box
        weight = self.quantity.value
        if not open_box.items:
            return self._said(BAD, f"Box {self.box_number} is empty: scan the items into it.")
        if weight is None:
            return self._said(BAD, f"Key the weight of box {self.box_number} (kg) first.")
        if weight != weight.quantize(WEIGHT_STEP):
            return self._said(BAD, "A weight has at most 3 decimals (grams).")
        open_box.weight = self.quantity.for_server
        packing.boxes.append(open_box)
        packing.open_box = None
        self.reset()
        self._keep()
        return self._said(GOOD, f"Box {len(packing.boxes)} closed: {format_quantity(open_box.holds())} items, "
                                f"{open_box.weight} kg. {self.prompt}")  # fmt: skip

    def _unpacked(self) -> Outcome:
        packing = self.packing
        if packing is None or packing.packing_sent or packing.boxes or packing.open_box is not None:
            return self._said(BAD, f"Not now. {self.prompt}")
        if packing.shipment.steps >= THREE_STEPS:
            return self._said(BAD, f"{self.warehouse} ships in three steps: pack the shipment first.")
        packing.packing_sent = True
        self._keep()
        return self._said(QUIET, self.prompt)

    def _cancel(self) -> Outcome:
        """One step back: the tracking number, the last item, an empty box, the last box closed (open again);
        then the shipment is left (what was sent stays sent)."""
        packing = self.packing
        if packing is None:
            self.reset()
            return self._said(QUIET, self.prompt)
        open_box = packing.open_box
        if packing.packing_sent and packing.tracking:
            packing.tracking, packing.tracking_scan = "", None
            said = "Tracking number cleared."
        elif not packing.packing_sent and open_box is not None and open_box.items:
            position, quantity = open_box.items.pop()
            line = next(ln for ln in packing.shipment.lines if ln.position == position)
            said = f"{format_quantity(quantity)} x {line.sku} out of box {self.box_number}."
        elif not packing.packing_sent and open_box is not None:
            packing.open_box = None
            self.reset()
            said = f"Box {self.box_number} dropped."
        elif not packing.packing_sent and packing.boxes:
            packing.open_box = packing.boxes.pop()
            self._restore_pad()
            said = f"Box {self.box_number} is open again."
        else:
            number = packing.shipment.number
            self.packing, self.fixing = None, None
            self.reset()
            self._keep()
            return self._said(QUIET, f"Left {number}. {self.prompt}")
        self._keep()
        return self._said(QUIET, f"{said} {self.prompt}")

    # The writes.
    def _finish_packing(self) -> Outcome:
        packing = self.packing
        assert packing is not None
        boxes = len(packing.boxes)
        summary = f"Pack {packing.shipment.number}: {boxes} box{'es' if boxes != 1 else ''}"
        packages = []
        for each in packing.boxes:
            package: dict[str, Any] = {"packaging": each.packaging, "weightKg": each.weight, "lines": each.contents()}
            if each.sscc:
                package["sscc"] = each.sscc
            packages.append(package)
        delivery = self._send("packShipment", {"id": packing.shipment.id, "packages": packages}, summary)
        if isinstance(delivery, Outcome):
            return delivery
        packing.packing_sent = True
        self._keep()
        if delivery.state == SENT:
            return self._said(GOOD, f"Packed: {summary.removeprefix('Pack ')}. {self.prompt}")
        return self._said(WARN, f"No connection: the packing is kept, and sent when the server is back. "
                                f"{self.prompt}")  # fmt: skip

    def _ship(self) -> Outcome:
        packing = self.packing
        assert packing is not None
        shipped = packing.shipment
        # The scan that shipped it: the tracking barcode, else the shipment's number, at the moment of confirming.
        scan = dict(packing.tracking_scan or {"code": shipped.number, "symbology": None, "device": self.device})
        scan["scannedAt"] = datetime.now(UTC).isoformat(timespec="milliseconds")
        write: dict[str, Any] = {"id": shipped.id, "scan": scan}
        if packing.tracking:
            write["trackingNumber"] = packing.tracking
        summary = f"Ship {shipped.number}" + (f", tracking {packing.tracking}" if packing.tracking else "")
        delivery = self._send("validateShipment", write, summary)
        if isinstance(delivery, Outcome):
            return delivery
        self.packing, self.fixing = None, None
        self.reset()
        self._keep()
        self._forget(shipped)
        self.look()
        if delivery.state == SENT:
            again = " (it had been sent before)" if delivery.replayed else ""
            return replace(self._said(GOOD, f"Shipped {shipped.number}{again}. {self.prompt}"), done=delivery)
        waiting, _ = self.courier.outbox.counts()
        said = self._said(WARN, f"No connection: shipping {shipped.number} is kept, and sent when the server is "
                                f"back ({waiting} waiting). {self.prompt}")  # fmt: skip
        return replace(said, done=delivery)

    def _send(self, operation: str, write: dict[str, Any], summary: str) -> Delivery | Outcome:
        """Through the outbox (a refused write being fixed: as its fix); refused now, the screen keeps it."""
        try:
            if self.fixing is not None and self.fixing.operation == operation:
                entry = self.courier.outbox.fix(self.fixing.id, write, summary)
                delivery = next((d for d in self.courier.drain() if d.entry.id == entry.id), None)
                delivery = delivery or Delivery(entry, WAITING)
            else:
                delivery = self.courier.write(operation, write, summary)
        except NotSignedIn:
            return Outcome(BAD, "Your session has ended: sign in again.", signed_out=True)
        if delivery.state == REFUSED:
            reason = delivery.error.message if delivery.error else "refused"
            if self.fixing is None or self.fixing.id != delivery.entry.id:
                self.courier.outbox.drop(delivery.entry.id)  # the worker is here to fix it: the screen keeps it
            return self._said(BAD, f"Refused: {reason}{self.after_refusal(delivery.error)}")
        self.fixing = None
        return delivery

    def after_refusal(self, error: UserError | None) -> str:
        return " Cancel goes back a step to change it." if self.packing and not self.packing.packing_sent else ""

    def write(self) -> dict[str, Any]:
        raise NotImplementedError("the ship screen sends its writes itself (packShipment, validateShipment)")

    def summary(self) -> str:
        return self.shipment.number if self.shipment else ""

    def load(self, entry: Entry) -> None:
        """A refused packShipment or validateShipment back on the screen: the shipment as the device remembers
        it, its boxes as they were sent (to change and finish again), or ready to ship again."""
        message = f"Fix and confirm: {entry.error.message if entry.error else ''}".strip()
        kept = self.memory.shipment_of(str(entry.input.get("id")))
        self.packing = None
        self.reset()
        self.fixing = entry
        if kept is None:
            self.message = f"{message} (the shipment is no longer on this device: drop it)"
            return
        if entry.operation == "packShipment":
            self.packing = Packing(kept, [box(raw) for raw in entry.input.get("packages") or []])
        else:
            scan = entry.input.get("scan")
            tracking = str(entry.input.get("trackingNumber") or "")
            self.packing = Packing(kept, packing_sent=True, tracking=tracking,
                                   tracking_scan=scan if tracking else None)  # fmt: skip
        self._keep()
        self.message = message


def _units(found: Resolution) -> Decimal:
    """How many base units one scan adds: what the server says it stands for (a case, a GS1 count), else one."""
    if found.units:
        try:
            return Decimal(found.units)
        except ArithmeticError:
            pass
    return found.gs1_quantity or Decimal(1)


def _is_weight(text: str) -> bool:
    whole = text.partition(".")[0]
    return 0 < len(whole) <= 6 and text.replace(".", "", 1).isdigit()


def _sscc_check_digit_ok(digits: str) -> bool:
    """GS1's mod-10 check digit (weights 3, 1, ... from the right of the body), for a label read offline."""
    body, check = digits[:-1], digits[-1]
    weighted = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return str(-weighted % 10) == check
