"""The committed migrations describe the models: nothing is left for makemigrations to write."""

from __future__ import annotations

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from server.db import tortoise_config
from server.settings import Settings


@pytest.mark.sqlite  # initialising models on a second database would change their SQL dialect
async def test_the_models_need_no_new_migration(settings: Settings) -> None:
    config = tortoise_config(Settings(database_url="sqlite://:memory:"))
    async with TortoiseContext() as context:
        await context.init(config=config)
        changes = await MigrationAutodetector(context.apps, config["apps"]).changes()
    assert changes == [], "run `tortoise makemigrations` and commit the migration"
