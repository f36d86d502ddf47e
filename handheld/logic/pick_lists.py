"""The warehouse's open pick lists as the pick screen offers them, a claimed list's lines, and what the device
remembers of them for when the server is away.

``openPickLists`` is read with only what a button shows (number, who claimed it, the bins and orders of its
lines): the full lines of twenty lists would cost more than one query may. A list's lines come with the answer
to ``claimPickList``, a page of them; a longer list is read on, page after page (``lines(afterPosition)``), so
it is picked whole. A list scanned by its number that is not among the twenty read is looked up by its number
(``documents``), then read as a claim would. Both are kept in the device's lookup cache (``logic.cache``) per
server, warehouse and user, with when the server said them: a picker who claimed a list at the dock and walks
into a dead zone keeps picking it, and a list claimed before the app restarted without the server is still
there to finish. What has been picked of a claimed list is kept there too, line by line (with the scan that
picked it), so a flat battery loses no picks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from handheld.logic.cache import TaskMemory
from handheld.logic.drafts import find_draft
from handheld.logic.quantity import format_quantity
from handheld.logic.resolution import Link

LISTS_READ = 20  # open lists read at once; the first few are offered as buttons, any of them may be scanned
LINES_READ = 100  # the server's page of a list's lines
OPEN_PICK_LISTS = f"""
query OpenPickLists($warehouse: String!, $first: Int) {{
  openPickLists(warehouse: $warehouse, first: $first) {{
    id number wave claimedBy claimedAt lines(first: {LINES_READ}) {{ position location orderNumber }}
  }}
}}
"""
LINE = "position order orderNumber sku location lot quantity picked short reason"
# What a claim (or a release, or confirmPicks) answers of the list: all a picker needs to walk it (its first page).
PICK_LIST = f"id number state version wave claimedBy claimedAt lines(first: {LINES_READ}) {{ {LINE} }}"
MORE_LINES = f"""
query PickListLines($id: ID!, $after: Int) {{
  pickList(id: $id) {{ lines(first: {LINES_READ}, afterPosition: $after) {{ {LINE} }} }}
}}
"""
MAX_LINES = 2000  # the server's largest pick list: past it, the device stops reading
# A list scanned by its number that was not among those read: found by its number, then read as an offer.
OFFERED_LIST = f"""
query PickListOffered($id: ID!) {{
  pickList(id: $id) {{ id number state warehouse wave claimedBy claimedAt lines(first: {LINES_READ}) {{
    position location orderNumber }} }}
}}
"""


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


@dataclass(frozen=True)
class PickLine:
    """One line: take ``quantity`` (base units) of ``sku`` (and ``lot``) from the bin ``location`` for an order."""

    position: int
    sku: str
    location: str
    lot: str
    quantity: Decimal
    order_number: str

    @property
    def label(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"{format_quantity(self.quantity)} x {self.sku}{lot}"


@dataclass(frozen=True)
class PickList:
    """An open pick list: its id, number, who claimed it (a username, "" for nobody), and its lines in bin order.
    ``lines`` is empty when only its header was read (``stops`` then names its bins)."""

    id: str
    number: str
    claimed_by: str
    wave: bool
    stops: tuple[str, ...]  # the bins of its lines, in order
    orders: tuple[str, ...]
    lines: tuple[PickLine, ...] = ()
    state: str = "draft"

    def taken_from(self, username: str) -> bool:
        """Claimed by someone other than ``username``."""
        return bool(self.claimed_by) and self.claimed_by.lower() != username.lower()

    def label(self, username: str) -> str:
        """Its button: the number, then what it is or who has it."""
        count = len(self.lines) or len(self.stops)
        more = "+" if not self.lines and len(self.stops) >= LINES_READ else ""  # only a page of its bins was read
        what = f"{count}{more} line{'s' if count != 1 else ''}"
        if self.taken_from(username):
            return f"{self.number}\ntaken by {self.claimed_by}"
        start = f" from {self.stops[0]}" if self.stops else ""
        mine = "yours: " if self.claimed_by else ""
        return f"{self.number}\n{mine}{what}{start}"

    def raw(self) -> dict[str, Any]:
        return {**asdict(self), "lines": [{**asdict(line), "quantity": str(line.quantity)} for line in self.lines]}


def read_open_lists(link: Link, warehouse: str) -> list[PickList]:
    """The warehouse's draft pick lists (the first ``LISTS_READ``), unclaimed ones first, as the server orders them."""
    found = link.execute(OPEN_PICK_LISTS, {"warehouse": warehouse, "first": LISTS_READ}).get("openPickLists") or []
    return [pick_list(raw) for raw in found]


def find_open_list(link: Link, warehouse: str, number: str) -> PickList | None:
    """The open (draft) pick list of ``warehouse`` with this number, asked of the server (None: there is none)."""
    raw = find_draft(link, "sales.pick", number, warehouse, lambda id_: link.execute(OFFERED_LIST, {"id": id_}).get(
        "pickList"))  # fmt: skip
    return pick_list(raw) if raw else None


def read_whole(link: Link, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` (a list as ``PICK_LIST`` reads it) with all its lines: the pages after the first read on."""
    lines = list(raw.get("lines") or [])
    page = lines
    while len(page) >= LINES_READ and len(lines) < MAX_LINES:
        after = max(int(line["position"]) for line in page)
        found = link.execute(MORE_LINES, {"id": raw["id"], "after": after}).get("pickList") or {}
        page = found.get("lines") or []
        lines += page
    return {**raw, "lines": lines}


def pick_list(raw: dict[str, Any]) -> PickList:
    """A list as ``OPEN_PICK_LISTS`` or ``PICK_LIST`` reads it."""
    raw_lines = raw.get("lines") or []
    lines = tuple(
        PickLine(int(line["position"]), str(line["sku"]), str(line.get("location") or ""), str(line.get("lot") or ""),
                 _decimal(line.get("quantity")), str(line.get("orderNumber") or ""))
        for line in raw_lines if "sku" in line
    )  # fmt: skip
    orders = dict.fromkeys(str(line.get("orderNumber") or "") for line in raw_lines)
    return PickList(
        str(raw["id"]), str(raw.get("number") or ""), str(raw.get("claimedBy") or ""), bool(raw.get("wave")),
        tuple(str(line.get("location") or "") for line in raw_lines), tuple(order for order in orders if order),
        lines, str(raw.get("state") or "draft"),
    )  # fmt: skip


def _kept(raw: dict[str, Any]) -> PickList:
    """A list as ``PickList.raw`` kept it."""
    lines = tuple(PickLine(**{**line, "quantity": _decimal(line["quantity"])}) for line in raw.get("lines") or [])
    return PickList(raw["id"], raw["number"], raw["claimed_by"], bool(raw["wave"]), tuple(raw["stops"]),
                    tuple(raw["orders"]), lines, raw.get("state") or "draft")  # fmt: skip


@dataclass(frozen=True)
class Picked:
    """What the picker did with a line: found ``quantity``; less than the line asks names a ``reason``. ``scan``:
    the scan that picked it (the item's, else the bin's), as ``confirmPicks`` takes it: the line is booked when
    it was scanned, however long the finish waits to be sent."""

    quantity: Decimal
    reason: str = ""
    scan: dict[str, Any] | None = None


class PickMemory(TaskMemory):
    """What the device last knew of the warehouse's open lists, the list being picked and its picks (None: no
    cache). Per user: a claim is a person's."""

    kind = "pick"

    def keep_lists(self, lists: list[PickList]) -> None:
        self._put("lists", {"lists": [item.raw() for item in lists]})

    def lists(self) -> tuple[list[PickList], datetime] | None:
        kept = self._get("lists")
        try:
            return ([_kept(raw) for raw in kept[0].get("lists") or []], kept[1]) if kept else None
        except (KeyError, TypeError, ValueError):  # kept by a version that stored another shape
            return None

    def keep_claimed(self, claimed: PickList | None, picks: dict[int, Picked]) -> None:
        """The list being picked (None: none any more) and what was picked of it so far. The list stays known by
        its id after it is left: a finish refused after waiting in the outbox is fixed in it."""
        if claimed is None:
            self._put("claimed", {})
            return
        self._put("claimed", {"list": claimed.raw(), "picks": {str(p): [str(x.quantity), x.reason, x.scan]
                                                               for p, x in picks.items()}})  # fmt: skip
        self._put(f"list:{claimed.id}", claimed.raw())

    def list_of(self, list_id: str) -> PickList | None:
        kept = self._get(f"list:{list_id}")
        try:
            return _kept(kept[0]) if kept else None
        except (KeyError, TypeError, ValueError):
            return None

    def claimed(self) -> tuple[PickList, dict[int, Picked], datetime] | None:
        kept = self._get("claimed")
        if not kept or not kept[0].get("list"):
            return None
        try:
            picks = {int(p): _picked(kept_pick) for p, kept_pick in (kept[0].get("picks") or {}).items()}
            return _kept(kept[0]["list"]), picks, kept[1]
        except (KeyError, TypeError, ValueError):
            return None


def _picked(kept: list[Any]) -> Picked:
    """A pick as ``keep_claimed`` kept it: [quantity, reason, scan] (a version before scans kept two)."""
    quantity, reason, *rest = kept
    scan = rest[0] if rest and isinstance(rest[0], dict) else None
    return Picked(_decimal(quantity), str(reason), scan)
