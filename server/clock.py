from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    """The current time, timezone-aware in UTC (as every stored time is)."""
    return datetime.now(UTC)


def today() -> date:
    """The business date (UTC until stores carry their own time zone)."""
    return now().date()
