from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.transactions import in_transaction

from server.inventory.constraints import CHECKS, PACKAGE_MOVE_CHECKS, create_checks, remove_checks

# Written by hand, never regenerated (server/migrations/0007 holds the rest of the packages' tables).
#
# 1. The quant's key gains package_id (0: loose stock). Tortoise would drop the old unique key with
#    DROP INDEX, which SQLite refuses for a key declared in CREATE TABLE, so on SQLite quant is
#    rebuilt here the way SQLite's documentation says (foreign keys off, outside any transaction:
#    stock_allocation refers to quant), and its CHECK triggers are created again (a dropped table
#    takes its triggers with it). The model state is what Tortoise's own operations leave.
# 2. A move between packages in one location (a pack, an unpack) has from_location_id =
#    to_location_id: the CHECK (a trigger pair on SQLite) that refused that now lets those two
#    kinds through, and still refuses every other move that goes nowhere.

_QUANT_CHECKS = {name: check for name, check in CHECKS.items() if check[0] == "quant"}

_SQLITE_QUANT = [
    """CREATE TABLE "new__quant" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "lot_id" INT NOT NULL,
    "on_hand" VARCHAR(40) NOT NULL,
    "reserved" VARCHAR(40) NOT NULL,
    "location_id" INT NOT NULL REFERENCES "location" ("id") ON DELETE RESTRICT,
    "product_id" INT NOT NULL REFERENCES "product" ("id") ON DELETE RESTRICT,
    "in_date" TIMESTAMP,
    "package_id" INT NOT NULL DEFAULT 0,
    CONSTRAINT "uid_quant_product_2d3fee" UNIQUE ("product_id", "location_id", "lot_id", "package_id")
)""",
    'INSERT INTO "new__quant" ("id", "lot_id", "on_hand", "reserved", "location_id", "product_id", "in_date",'
    ' "package_id") SELECT "id", "lot_id", "on_hand", "reserved", "location_id", "product_id", "in_date", 0'
    ' FROM "quant"',
    'DROP TABLE "quant"',
    'ALTER TABLE "new__quant" RENAME TO "quant"',
    'CREATE INDEX "idx_quant_package_b577f2" ON "quant" ("package_id")',
]

_POSTGRES_QUANT = [
    'ALTER TABLE "quant" ADD "package_id" INT NOT NULL DEFAULT 0',
    'ALTER TABLE "quant" ADD CONSTRAINT "uid_quant_product_2d3fee" UNIQUE ("product_id", "location_id", "lot_id",'
    ' "package_id")',
    'CREATE INDEX "idx_quant_package_b577f2" ON "quant" ("package_id")',
]


async def _sqlite(client) -> None:
    await client.execute_script("PRAGMA foreign_keys=OFF")  # no-op inside a transaction: hence atomic = False
    try:
        async with in_transaction(client.connection_name) as conn:
            for statement in _SQLITE_QUANT:
                await conn.execute_script(statement)
            await create_checks(conn, _QUANT_CHECKS)
            await remove_checks(conn, PACKAGE_MOVE_CHECKS)
            await create_checks(conn, PACKAGE_MOVE_CHECKS)
            broken = await conn.execute_query_dict("PRAGMA foreign_key_check")
            if broken:
                raise RuntimeError(f"quant rebuilt with broken foreign keys: {broken[:5]}")
    finally:
        await client.execute_script("PRAGMA foreign_keys=ON")


async def _postgres(client) -> None:
    async with in_transaction(client.connection_name) as conn:
        old_keys = await conn.execute_query_dict(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'quant'::regclass AND contype = 'u'"
        )
        for statement in _POSTGRES_QUANT[:1]:
            await conn.execute_script(statement)
        for row in old_keys:
            await conn.execute_script(f'ALTER TABLE "quant" DROP CONSTRAINT "{row["conname"]}"')
        for statement in _POSTGRES_QUANT[1:]:
            await conn.execute_script(statement)
        await remove_checks(conn, PACKAGE_MOVE_CHECKS)
        await create_checks(conn, PACKAGE_MOVE_CHECKS)


class PackagesInTheLedger(ops.TortoiseOperation):
    """The quant's key with its package, and moves that stay in one location for a pack or an unpack."""

    reversible = False
    reduces_to_sql = False
    state_operations = [
        ops.AddField(model_name='Quant', name='package_id', field=fields.IntField(default=0, db_default=0)),
        ops.RemoveConstraint(model_name='Quant', name=None, fields=['product', 'location', 'lot_id']),
        ops.AddIndex(model_name='Quant', index=Index(fields=['package_id'])),
        ops.AddConstraint(
            model_name='Quant',
            constraint=UniqueConstraint(fields=('product', 'location', 'lot_id', 'package_id'), name=None),
        ),
    ]

    def describe(self) -> str:
        return "Packages in the quant's key and in moves within one location"

    def state_forward(self, app_label, state) -> None:
        for operation in self.state_operations:
            operation.state_forward(app_label, state)

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is None:
            return
        client = state_editor.client
        await (_sqlite(client) if client.capabilities.dialect == "sqlite" else _postgres(client))


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0005_stock_core')]

    initial = False
    atomic = False  # each dialect's part runs in a transaction of its own (SQLite's with its foreign keys off)

    operations = [PackagesInTheLedger()]
