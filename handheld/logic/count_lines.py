"""A count document's lines as the handheld holds them, the documents that read them, and what a scan names.

Nothing here asks for what the books expect: a line is what was counted (by this counter, by all), whether a
recount is wanted, and where it is (bin, package).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from handheld.logic.resolution import Resolution, clean_code

COUNT_BINS = """
query CountBins($id: ID!, $first: Int, $after: String) {
  stockCount(id: $id) { bins binsFinished binList(first: $first, afterCode: $after) { locationCode finished } }
}
"""
BIN_LINES = """
query CountBinLines($id: ID!, $locationCode: String, $first: Int) {
  stockCount(id: $id) {
    lines(locationCode: $locationCode, first: $first) { sku lot packageSscc counted recountNeeded recounted }
  }
}
"""
RECOUNT_LINES = """
query CountRecounts($id: ID!, $first: Int) {
  stockCount(id: $id) { lines(awaitingRecount: true, first: $first) { locationCode sku lot packageSscc } }
}
"""


@dataclass(frozen=True)
class BinLine:
    """One line of the bin: what this counter counted (None: not known here) and every counter together."""

    sku: str
    lot: str
    counted: Decimal | None = None
    mine: Decimal | None = None
    recount_needed: bool = False
    recounted: Decimal | None = None
    package: str = ""  # the SSCC of the package it is in ("": loose in the bin)
    location: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.sku.upper(), self.lot.upper(), self.package

    @property
    def label(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        inside = f" in {self.package}" if self.package else ""
        return f"{self.sku}{lot}{inside}"

    @classmethod
    def of(cls, raw: dict[str, Any]) -> BinLine:
        return cls(
            str(raw.get("sku") or ""), str(raw.get("lot") or ""), _decimal(raw.get("counted")),
            _decimal(raw.get("myCount")), bool(raw.get("recountNeeded")), _decimal(raw.get("recounted")),
            str(raw.get("packageSscc") or ""), str(raw.get("locationCode") or "").upper(),
        )  # fmt: skip

    def raw(self) -> dict[str, Any]:
        """As the server lists a line awaiting a recount (what the device remembers of it)."""
        return {"locationCode": self.location, "sku": self.sku, "lot": self.lot or None,
                "packageSscc": self.package or None}  # fmt: skip


def sscc_of(found: Resolution) -> str:
    """The SSCC a package's scan names: the server's, else its GS1 AI 00, else the 18 digits scanned (a counter
    of a blind count is told that a code is a package, not which one nor what it holds)."""
    ai_00 = next((value for ai, _, value in found.gs1 if ai == "00"), "")
    return found.sscc or ai_00 or clean_code(found.code)


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))
