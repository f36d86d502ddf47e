"""The open counts a count screen offers, and what the device remembers of them for when the server is away.

The open counts of the warehouse and, per count, its bin list and the lines awaiting a recount are kept
in the device's lookup cache (``logic.cache``), per server, warehouse and user (what a counter of a blind
count may read depends on who they are), with when the server said them: a counter who loses the network,
or starts the app without it, keeps counting the counts last read, shown as old ("as of 14:02").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handheld.logic.cache import LookupCache
from handheld.logic.courier import Courier

OFFERED = 3  # counts offered at once: one button each
ADJUST = "stock.adjust"

OPEN_COUNTS = """
query OpenCounts($warehouseCode: String, $first: Int) {
  me { permissions }
  openCounts(warehouseCode: $warehouseCode, first: $first) {
    id number scope bins binsFinished binList(first: 1, unfinishedOnly: true) { locationCode }
  }
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


def open_count(raw: dict[str, Any]) -> OpenCount:
    first = raw.get("binList") or []
    return OpenCount(
        str(raw["id"]), str(raw.get("number") or ""), str(raw.get("scope") or ""), int(raw.get("bins") or 0),
        int(raw.get("binsFinished") or 0), str(first[0]["locationCode"]) if first else "",
    )  # fmt: skip


def as_of(when: datetime | None) -> str:
    """How an answer from memory is marked: "as of 14:02" in the device's time."""
    return f"as of {when.astimezone():%H:%M}" if when is not None else ""


class CountMemory:
    """What the device last read of the open counts, in its lookup cache (None where there is no cache)."""

    def __init__(self, cache: LookupCache | None, courier: Courier, warehouse: str) -> None:
        self.cache, self.courier, self.warehouse = cache, courier, warehouse

    def _code(self, what: str) -> str:
        return f"#{what}:{self.courier.username}"

    def _put(self, what: str, value: dict[str, Any]) -> None:
        if self.cache is not None:
            self.cache.put(self.courier.server, self.warehouse, [self._code(what)], value)

    def _get(self, what: str) -> tuple[dict[str, Any], datetime] | None:
        found = self.cache.get(self.courier.server, self.warehouse, self._code(what)) if self.cache else None
        return (found.result, found.fetched_at) if found is not None else None

    def keep_open_counts(self, data: dict[str, Any]) -> None:
        self._put("open-counts", data)

    def open_counts(self) -> tuple[dict[str, Any], datetime] | None:
        return self._get("open-counts")

    def keep_count(self, count_id: str, bins: dict[str, bool], recounts: list[dict[str, Any]]) -> None:
        """A count's bins (code -> finished, as far as this device knows) and its lines awaiting a recount."""
        self._put(f"count:{count_id}", {"bins": bins, "recounts": recounts})

    def count(self, count_id: str) -> tuple[dict[str, Any], datetime] | None:
        return self._get(f"count:{count_id}")
