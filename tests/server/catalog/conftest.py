"""The default units exist in every database once migrated (``server.db.migrate`` runs
``ensure_default_units``); the fixture makes sure of it here, and running it again changes nothing."""

from __future__ import annotations

import pytest

from server.catalog.units import ensure_default_units
from server.settings import Settings


@pytest.fixture(scope="session", autouse=True)
async def default_units(settings: Settings) -> None:
    await ensure_default_units()
