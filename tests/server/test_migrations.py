"""The committed migrations describe the models: nothing is left for makemigrations to write."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations import operations as ops
from tortoise.migrations.autodetector import MigrationAutodetector

from server.db import tortoise_config
from server.settings import Settings
from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.mark.sqlite  # initialising models on a second database would change their SQL dialect
async def test_the_models_need_no_new_migration(settings: Settings) -> None:
    config = tortoise_config(Settings(database_url="sqlite://:memory:"))
    async with TortoiseContext() as context:
        await context.init(config=config)
        changes = await MigrationAutodetector(context.apps, config["apps"]).changes()
    assert changes == [], "run `tortoise makemigrations` and commit the migration"


async def _upgrade(settings: Settings, tmp_path: Path, skus: list[str], usernames: list[str]) -> dict[str, Any]:
    """Data as the version before 0002 wrote it, migrated on a new database of the run's backend."""
    return await _run_upgrade(settings, tmp_path, "tests.server.upgrade", json.dumps(skus), json.dumps(usernames))


async def _run_upgrade(settings: Settings, tmp_path: Path, script: str, *args: str) -> dict[str, Any]:
    """``script`` (a module run in a process of its own) on a new database of the run's backend: its JSON."""
    if settings.dialect == "postgres":
        admin_url = os.environ["STOREKEEPER_TEST_DATABASE_URL"]
        url, name = await _create_postgres_database(admin_url)
    else:
        url, name = f"sqlite://{tmp_path}/upgrade.sqlite3", ""
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", script, url, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=Path(__file__).parents[2],
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if name:
            await _drop_postgres_database(admin_url, name)
    assert process.returncode == 0, err.decode()
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


async def test_migration_0002_puts_codes_in_capitals_alike_on_both_databases(
    settings: Settings, tmp_path: Path
) -> None:
    result = await _upgrade(settings, tmp_path, ["mug-white", "Tshirt-1", "\uff26\uff37-1"], ["Alice", "bob"])
    assert result == {"skus": ["MUG-WHITE", "TSHIRT-1", "FW-1"], "archived": [True, False, False],
                      "usernames": ["alice", "bob"],
                      # and 0004: the old move happened when it was booked; the company's lock row is there
                      "moves_dated_when_booked": [1, 1], "company_lock_rows": 1}  # fmt: skip


async def test_migration_0002_lists_codes_it_cannot_convert_and_changes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    old_skus = ["mug-white", "MUG-WHITE", "caf\u00e9-1"]
    result = await _upgrade(settings, tmp_path, old_skus, [])
    assert "'MUG-WHITE' is 'mug-white' in other case" in result["refused"]
    assert "no valid SKU" in result["refused"]
    assert result["skus"] == old_skus  # as they were


async def test_upgrading_from_0011_keeps_every_document_line_and_attachment(settings: Settings, tmp_path: Path) -> None:
    # 0012 widens document.state: on SQLite a rebuilt document table took its lines and attachments with it.
    result = await _run_upgrade(settings, tmp_path, "tests.server.upgrade_documents")
    assert result["before"] == {"documents": 1, "lines": 2, "attachments": 1}
    assert result["after"] == result["before"]


def test_no_migration_rebuilds_a_table_on_sqlite() -> None:
    # Tortoise changes or drops a column on SQLite by copying the table and dropping the old one, and that drop
    # deletes the rows of other tables pointing at it ON DELETE CASCADE (or fails on those that restrict it).
    # A migration that needs one says how it avoids that, by an operation of its own (see 0012 and 0013).
    rebuilding = (ops.AlterField, ops.RemoveField)
    found = []
    for path in sorted((Path(__file__).parents[2] / "server" / "migrations").glob("0*.py")):
        module = importlib.import_module(f"server.migrations.{path.stem}")
        for operation in module.Migration.operations:
            if type(operation) in rebuilding:
                found.append(f"{path.stem}: {type(operation).__name__} {operation.model_name}.{operation.name}")
    assert found == []


def test_no_table_or_column_description_holds_a_semicolon(settings: Settings) -> None:
    """Descriptions (a model's docstring, a field's ``description``) become SQL comments in the
    migration, and the SQLite backend splits a migration's SQL at every ";": one in a docstring
    broke every fresh SQLite database with 'near "...": syntax error'."""
    from tortoise import Tortoise

    found = [
        f"{model.__name__}{'.' + name if name else ''}"
        for model in Tortoise.apps["storekeeper"].values()
        for name, text in [("", model._meta.table_description)]
        + [(field_name, field.description) for field_name, field in model._meta.fields_map.items()]
        if text and ";" in text
    ]
    assert found == [], "write these descriptions without ';' (a colon or a dash reads as well)"
