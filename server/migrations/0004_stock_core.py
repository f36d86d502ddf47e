from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

from server import sql
from server.clock import now


# Moves booked before 0004 happened when they were booked. The company's lock row exists from the
# start: every posting holds it FOR SHARE and every change of a lock date FOR UPDATE (see
# server/inventory/periods.py), which a row created later could not do for the postings before it.
async def effective_at_and_company_lock(apps, schema_editor) -> None:
    client = schema_editor.client
    await sql.execute(client, "UPDATE stock_move SET effective_at = created_at WHERE effective_at IS NULL")
    await sql.execute(client, "INSERT INTO period_lock (warehouse_id, locked_until, updated_at) VALUES (0, NULL, $1)",
                      now())


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0003_commerce')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PeriodLock',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse_id', fields.IntField(unique=True)),
                ('locked_until', fields.DateField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'period_lock', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'Up to which day the periods are closed: for the company (warehouse 0) or one warehouse.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='StockMove',
            name='effective_at',
            field=fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(effective_at_and_company_lock),
    ]
