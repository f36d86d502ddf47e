"""Answers to past lookups, kept on the device so that a scan while offline still shows something,
marked with when the server gave it. Codes are case-free, as on the server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handheld.logic.store import DeviceStore

KEEP = 2000  # answers; the oldest go first


@dataclass(frozen=True)
class Cached:
    result: dict[str, Any]
    fetched_at: datetime


def cache_key(code: str) -> str:
    return code.strip().upper()


class LookupCache:
    def __init__(self, store: DeviceStore, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep

    def put(self, server: str, warehouse: str, codes: list[str], result: dict[str, Any]) -> None:
        """Keep ``result`` under every code it can be found by (the code scanned, the SKU or bin code)."""
        fetched = datetime.now(UTC).isoformat(timespec="seconds")
        raw = json.dumps(result)
        with self.store.transaction() as db:
            for code in {cache_key(code) for code in codes if code.strip()}:
                db.execute(
                    "INSERT INTO lookup (server, warehouse, code, result, fetched_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (server, warehouse, code) DO UPDATE SET result = excluded.result, "
                    "fetched_at = excluded.fetched_at",
                    (server, warehouse, code, raw, fetched),
                )
            db.execute(
                "DELETE FROM lookup WHERE rowid NOT IN (SELECT rowid FROM lookup ORDER BY fetched_at DESC LIMIT ?)",
                (self.keep,),
            )

    def get(self, server: str, warehouse: str, code: str) -> Cached | None:
        rows = self.store.rows(
            "SELECT result, fetched_at FROM lookup WHERE server = ? AND warehouse = ? AND code = ?",
            (server, warehouse, cache_key(code)),
        )
        if not rows:
            return None
        return Cached(json.loads(rows[0][0]), datetime.fromisoformat(rows[0][1]))


class TaskMemory:
    """What a task screen keeps on the device for one user in one warehouse (nothing without a cache): entries
    under codes of its own (``#<kind>-<what>:<user>``), beside the lookups. Per user: a claim is a person's."""

    kind = ""  # "pick", "ship": set by each screen's memory

    def __init__(self, cache: LookupCache | None, server: str, warehouse: str, username: str) -> None:
        self.cache, self.server, self.warehouse, self.username = cache, server, warehouse, username

    def _code(self, what: str) -> str:
        return f"#{self.kind}-{what}:{self.username}"

    def _put(self, what: str, value: dict[str, Any]) -> None:
        if self.cache is not None:
            self.cache.put(self.server, self.warehouse, [self._code(what)], value)

    def _get(self, what: str) -> tuple[dict[str, Any], datetime] | None:
        found = self.cache.get(self.server, self.warehouse, self._code(what)) if self.cache else None
        return (found.result, found.fetched_at) if found is not None else None
