from tortoise import migrations
from tortoise.migrations import operations as ops

# Written by hand, never regenerated. A trace (server/inventory/trace.py) reads the moves of one lot:
# this index finds them without reading the ledger. Partial, so the moves of products without lots,
# most receipts and sales, do not pay for it. Tortoise's model state has no partial index, hence SQL
# (PostgreSQL and SQLite alike).


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0007_stock_core_packages')]

    initial = False

    operations = [
        ops.RunSQL(
            'CREATE INDEX "idx_stock_move_lot" ON "stock_move" ("lot_id") WHERE "lot_id" IS NOT NULL',
            reverse_sql='DROP INDEX "idx_stock_move_lot"',
        ),
    ]
