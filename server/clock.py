from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware in UTC (as every stored time is)."""
    return datetime.now(UTC)
