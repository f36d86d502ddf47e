from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from server import sql
from server.clock import now

# Codes became case-free and printable ASCII (server/text.py): every stored code is put in that
# form here, with the same rule the server applies to input, so both databases agree (their
# UPPER() does not: SQLite changes ASCII letters only). A code that has no such form, or two codes
# that become one, stop the migration with the list of them, before anything is changed.
_WHERE_CODES_ARE = [
    # table, column, the rule's module and name, rows it applies to, what must stay unique together
    ("product", "sku", "server.catalog.models", "SKU", "1 = 1", ()),
    ("warehouse", "code", "server.inventory.models", "WAREHOUSE_CODE", "1 = 1", ()),
    ("location", "code", "server.inventory.models", "LOCATION_CODE", "warehouse_id IS NOT NULL", ()),
    ("lot", "code", "server.inventory.models", "LOT_CODE", "1 = 1", ("product_id",)),
    ("barcode", "normalized", "server.catalog.models", "BARCODE", "kind = 'other'", ()),
    ("barcode", "code", "server.catalog.models", "BARCODE", "kind = 'other'", ("id",)),
    ("app_user", "username", "server.auth.service", "USERNAME", "1 = 1", ()),
]


def _rule(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(module), name)


async def codes_in_canonical_form(apps, schema_editor) -> None:
    client = schema_editor.client
    problems: list[str] = []
    changes: list[tuple[str, str, str, int]] = []
    for table, column, module, name, where, scope in _WHERE_CODES_ARE:
        rule = _rule(module, name)
        extra = "".join(f", {c}" for c in scope if c != "id")
        rows = await sql.fetch(client, f"SELECT id, {column} AS value{extra} FROM {table} WHERE {where} ORDER BY id")
        seen: dict[tuple[object, ...], object] = {}
        for row in rows:
            key = rule.key(row["value"])
            if key is None:
                problems.append(f"{table} {row['id']}: {column} {row['value']!r} is no valid {rule.label}")
                continue
            unique = (key, *(row[c] for c in scope))
            if unique in seen:
                problems.append(f"{table} {row['id']}: {column} {row['value']!r} is {seen[unique]!r} in other case")
            seen[unique] = row["value"]
            if key != row["value"]:
                changes.append((table, column, key, row["id"]))
    if problems:
        raise RuntimeError("Migration 0002 needs these codes changed first:\n" + "\n".join(problems))
    for table, column, key, row_id in changes:
        await sql.execute(client, f"UPDATE {table} SET {column} = $1 WHERE id = $2", key, row_id)


async def archived_from_now(apps, schema_editor) -> None:
    """Products archived before the column existed: the rule that nothing comes in starts now
    (counts could add stock to them until now, and the ledger check must not hold that against them)."""
    await sql.execute(schema_editor.client, "UPDATE product SET archived_at = $1 WHERE is_archived", now())


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0001_initial')]

    initial = False

    operations = [
        # First: when it refuses, nothing else has changed yet.
        ops.RunPython(codes_in_canonical_form),
        ops.AddField(
            model_name='Product',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(archived_from_now),
    ]
