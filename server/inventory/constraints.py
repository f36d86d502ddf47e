"""The ledger's CHECK constraints, the database's own refusal of a negative on-hand.

Tortoise's CreateModel does not emit CHECK constraints, and its SQLite AddConstraint rebuilds
the table without its unique keys; so PostgreSQL gets real CHECK constraints and SQLite gets
triggers that abort the same writes (as a constraint violation, an IntegrityError).

``CHECKS`` are the rules as 0001 created them; a rule changed later is dropped and added again by
its own migration, from its own entry set here (``PACKAGE_MOVE_CHECKS``, migration 0006).
"""

from __future__ import annotations

from typing import Any

# name -> (table, condition that must hold). CAST: SQLite stores decimals as text.
CHECKS = {
    "quant_on_hand_not_negative": ("quant", "CAST(on_hand AS NUMERIC) >= 0"),
    "quant_reserved_not_negative": ("quant", "CAST(reserved AS NUMERIC) >= 0"),
    "stock_move_quantity_positive": ("stock_move", "CAST(quantity AS NUMERIC) > 0"),
    "stock_move_locations_differ": ("stock_move", "from_location_id <> to_location_id"),
}

# Since 0006: packing and unpacking move stock between packages inside one location.
PACKAGE_MOVE_CHECKS = {
    "stock_move_locations_differ": ("stock_move", "from_location_id <> to_location_id OR kind IN ('pack', 'unpack')"),
}


def _sqlite_condition(condition: str) -> str:
    return (
        condition.replace("on_hand", "NEW.on_hand")
        .replace("reserved", "NEW.reserved")
        .replace("quantity", "NEW.quantity")
        .replace("from_location_id", "NEW.from_location_id")
        .replace("to_location_id", "NEW.to_location_id")
        .replace("kind IN", "NEW.kind IN")
    )


async def add_checks(apps: Any, schema_editor: Any) -> None:
    await create_checks(schema_editor.client, CHECKS)


async def drop_checks(apps: Any, schema_editor: Any) -> None:
    await remove_checks(schema_editor.client, CHECKS)


async def create_checks(client: Any, checks: dict[str, tuple[str, str]]) -> None:
    """Add ``checks`` on ``client`` (a connection or a transaction): constraints, or trigger pairs on SQLite."""
    for name, (table, condition) in checks.items():
        if client.capabilities.dialect == "sqlite":
            for event in ("INSERT", "UPDATE"):
                await client.execute_script(
                    f'CREATE TRIGGER "{name}_{event.lower()}" BEFORE {event} ON "{table}"'
                    f" WHEN NOT ({_sqlite_condition(condition)})"
                    f" BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                )
        else:
            await client.execute_script(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({condition})')


async def remove_checks(client: Any, checks: dict[str, tuple[str, str]]) -> None:
    for name, (table, _) in checks.items():
        if client.capabilities.dialect == "sqlite":
            for event in ("insert", "update"):
                await client.execute_script(f'DROP TRIGGER IF EXISTS "{name}_{event}"')
        else:
            await client.execute_script(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
