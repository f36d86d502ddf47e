"""The handheld's own SQLite file: what it keeps across restarts (settings and token, the outbox of
writes not yet sent, answers to past lookups). Every write is committed at once and synced, so
killing the app loses nothing it had accepted.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

FILENAME = "handheld.sqlite3"
MEMORY = ":memory:"  # a store that lasts as long as the object (tests, a kiosk without storage)

SCHEMA = """
CREATE TABLE IF NOT EXISTS setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server TEXT NOT NULL,
    username TEXT NOT NULL,
    operation TEXT NOT NULL,
    input TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting',
    error_code TEXT,
    error_message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lookup (
    server TEXT NOT NULL,
    warehouse TEXT NOT NULL,
    code TEXT NOT NULL,
    result TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (server, warehouse, code)
);
"""


class DeviceStore:
    """One SQLite file, shared by the UI thread and the network thread (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        in_memory = str(path) == MEMORY
        if not in_memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(MEMORY if in_memory else self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        if not in_memory:
            with contextlib.suppress(OSError):  # the token is in here: for this user only
                os.chmod(self.path, 0o600)

    @classmethod
    def memory(cls) -> DeviceStore:
        return cls(MEMORY)

    @classmethod
    def in_folder(cls, folder: str | os.PathLike[str]) -> DeviceStore:
        return cls(Path(folder) / FILENAME)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params))

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement in its own committed transaction; the new row's id (or rows changed)."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            return int(cursor.lastrowid or 0) if sql.lstrip().upper().startswith("INSERT") else cursor.rowcount

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, name: str) -> str | None:
        found = self.rows("SELECT value FROM setting WHERE name = ?", (name,))
        return str(found[0][0]) if found else None

    def put(self, name: str, value: str | None) -> None:
        if value is None:
            self.run("DELETE FROM setting WHERE name = ?", (name,))
        else:
            self.run("INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = ?",
                     (name, value, value))  # fmt: skip

    def get_list(self, name: str) -> list[str]:
        raw = self.get(name)
        try:
            value = json.loads(raw) if raw else []
        except ValueError:
            return []
        return [str(item) for item in value] if isinstance(value, list) else []

    def put_list(self, name: str, values: list[str]) -> None:
        self.put(name, json.dumps(values) if values else None)

    def close(self) -> None:
        with self._lock:
            self._db.close()
