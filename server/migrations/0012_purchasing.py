from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

# Generated, then two hand edits:
# 1. the models whose id is another row's (a document's, a document line's) say generated=False on it, which the
#    writer leaves out and the autodetector then misses (as in 0009);
# 2. Document.state is widened on PostgreSQL only (AlterFieldOnPostgres below).
# Frozen since issue 8 was done: never regenerate it.


class AlterFieldOnPostgres(ops.AlterField):
    """Widening a VARCHAR: PostgreSQL enforces the length, SQLite does not, so on SQLite the column stays as it is.
    Tortoise would rebuild the whole table there, and dropping the old ``document`` deleted every row that points
    at it ON DELETE CASCADE: an upgrade from 0011 lost all document lines and attachments."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor is not None and state_editor.DIALECT != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0011_kit_shares')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InquirySupplier',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('inquiry', fields.ForeignKeyField('storekeeper.Document', source_field='inquiry_id', db_constraint=True, to_field='id', related_name='inquiry_suppliers', on_delete=OnDelete.CASCADE)),
                ('supplier', fields.ForeignKeyField('storekeeper.Party', source_field='supplier_id', db_constraint=True, to_field='id', related_name='inquiries', on_delete=OnDelete.RESTRICT)),
                ('mailed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inquiry_supplier', 'app': 'storekeeper', 'unique_together': (('inquiry', 'supplier'),), 'pk_attr': 'id', 'table_description': 'A supplier an inquiry asks, and when the inquiry was mailed to it (None: not mailed).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LandedCost',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('party', fields.ForeignKeyField('storekeeper.Party', source_field='party_id', db_constraint=True, to_field='id', related_name='landed_costs', on_delete=OnDelete.RESTRICT)),
                ('reference', fields.CharField(default='', max_length=64)),
                ('reason', fields.CharField(default='', max_length=255)),
                ('amount', fields.DecimalField(max_digits=20, decimal_places=4)),
                ('currency', fields.CharField(max_length=3)),
                ('rate', fields.DecimalField(max_digits=18, decimal_places=8)),
                ('amount_company', fields.DecimalField(max_digits=20, decimal_places=4)),
                ('split', fields.CharField(max_length=16)),
                ('created_by', fields.ForeignKeyField('storekeeper.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='landed_costs', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'landed_cost', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'An amount billed by a party that is part of what goods received cost, spread over receipts.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LandedCostShare',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('landed_cost', fields.ForeignKeyField('storekeeper.LandedCost', source_field='landed_cost_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('receipt', fields.ForeignKeyField('storekeeper.Document', source_field='receipt_id', db_constraint=True, to_field='id', related_name='landed_cost_shares', on_delete=OnDelete.RESTRICT)),
                ('line', fields.ForeignKeyField('storekeeper.DocumentLine', source_field='line_id', db_constraint=True, to_field='id', related_name='landed_cost_shares', on_delete=OnDelete.RESTRICT)),
                ('move_id', fields.BigIntField(db_index=True)),
                ('quantity', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('basis', fields.DecimalField(max_digits=24, decimal_places=6)),
                ('amount', fields.DecimalField(max_digits=20, decimal_places=4)),
                ('unit_cost_before', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('unit_cost_after', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('revalued', fields.DecimalField(max_digits=20, decimal_places=4)),
                ('cost_of_goods', fields.DecimalField(max_digits=20, decimal_places=4)),
            ],
            options={'table': 'landed_cost_share', 'app': 'storekeeper', 'indexes': [Index(fields=['receipt_id'])], 'pk_attr': 'id', 'table_description': 'The part of a landed cost one receipt line took, and the unit cost of its move before and after.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlannedLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='planned_lines', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='planned_lines', on_delete=OnDelete.CASCADE)),
                ('unit', fields.CharField(max_length=32)),
                ('quantity', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('price', fields.DecimalField(max_digits=18, decimal_places=4)),
            ],
            options={'table': 'planned_line', 'app': 'storekeeper', 'unique_together': (('order', 'product'),), 'pk_attr': 'id', 'table_description': 'A line the planning job put on a draft order, by order and product, with what it said. While the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlannedOrder',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('supplier', fields.ForeignKeyField('storekeeper.Party', source_field='supplier_id', db_constraint=True, to_field='id', related_name='planned_orders', on_delete=OnDelete.CASCADE)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='planned_orders', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'planned_order', 'app': 'storekeeper', 'indexes': [Index(fields=['warehouse_id', 'supplier_id'])], 'pk_attr': 'id', 'table_description': 'A draft purchase order the planning job made for a supplier and warehouse: while it is a draft, the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PurchaseBill',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('supplier_reference', fields.CharField(default='', max_length=64)),
                ('due_on', fields.DateField()),
                ('discount_on', fields.DateField(null=True)),
                ('discount_amount', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('hold_reasons', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('released_by', fields.ForeignKeyField('storekeeper.User', source_field='released_by_id', null=True, db_constraint=True, to_field='id', related_name='released_bills', on_delete=OnDelete.RESTRICT)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('price_difference', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('exchange_difference', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('paid', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'purchase_bill', 'app': 'storekeeper', 'indexes': [Index(fields=['due_on'])], 'pk_attr': 'id', 'table_description': 'A supplier bill beyond its document: why it is held, who released it, when it is due, what it changed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PurchaseInquiry',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='purchase_inquiries', on_delete=OnDelete.RESTRICT)),
                ('reply_by', fields.DateField(null=True)),
            ],
            options={'table': 'purchase_inquiry', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'An inquiry beyond its document: the warehouse the goods would go to and the day answers are due.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PurchaseLine',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='purchase_lines', on_delete=OnDelete.CASCADE)),
                ('received', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('returned_refund', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('returned_replace', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('cancelled', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('billed', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'purchase_line', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'How far one order line has come, in base units (what was ordered is on its document line).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PurchaseOrder',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='purchase_orders', on_delete=OnDelete.RESTRICT)),
                ('receive_into', fields.ForeignKeyField('storekeeper.Location', source_field='receive_into_id', null=True, db_constraint=True, to_field='id', related_name='purchase_orders', on_delete=OnDelete.RESTRICT)),
                ('expected_on', fields.DateField()),
                ('supplier_reference', fields.CharField(default='', max_length=64)),
                ('revision', fields.IntField(default=0)),
                ('sent_revision', fields.IntField(null=True)),
            ],
            options={'table': 'purchase_order', 'app': 'storekeeper', 'indexes': [Index(fields=['warehouse_id', 'expected_on'])], 'pk_attr': 'id', 'table_description': 'A purchase order beyond its document: where the goods go, when they are due, which revision was sent.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReorderRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='reorder_rules', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='reorder_rules', on_delete=OnDelete.CASCADE)),
                ('minimum', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('maximum', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('safety_stock', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('demand_days', fields.IntField(default=30)),
                ('supplier', fields.ForeignKeyField('storekeeper.Party', source_field='supplier_id', null=True, db_constraint=True, to_field='id', related_name='reorder_rules', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reorder_rule', 'app': 'storekeeper', 'unique_together': (('warehouse', 'product'),), 'pk_attr': 'id', 'table_description': 'Keep ``product`` in ``warehouse``: order up to ``maximum`` at or below ``minimum`` (base units), and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SupplierQuote',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('inquiry', fields.ForeignKeyField('storekeeper.Document', source_field='inquiry_id', db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.CASCADE)),
                ('line', fields.ForeignKeyField('storekeeper.DocumentLine', source_field='line_id', db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.CASCADE)),
                ('supplier', fields.ForeignKeyField('storekeeper.Party', source_field='supplier_id', db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.RESTRICT)),
                ('declined', fields.BooleanField(default=False)),
                ('price', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('unit', fields.CharField(null=True, max_length=32)),
                ('unit_base', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('lead_time_days', fields.IntField(null=True)),
                ('valid_until', fields.DateField(null=True)),
                ('min_quantity', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('recorded_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'supplier_quote', 'app': 'storekeeper', 'unique_together': (('line', 'supplier'),), 'pk_attr': 'id', 'table_description': "One supplier's answer for one inquiry line: a price per unit or pack in a currency, or a decline."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InquiryChoice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('line', fields.OneToOneField('storekeeper.DocumentLine', source_field='line_id', db_constraint=True, to_field='id', related_name='inquiry_choice', on_delete=OnDelete.CASCADE)),
                ('quote', fields.ForeignKeyField('storekeeper.SupplierQuote', source_field='quote_id', db_constraint=True, to_field='id', related_name='choices', on_delete=OnDelete.RESTRICT)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='inquiry_choices', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'inquiry_choice', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'The quote an inquiry line was ordered from, and the order made of it: one per line.'},
            bases=['Model'],
        ),
        AlterFieldOnPostgres(
            model_name='Document',
            name='state',
            field=fields.CharField(max_length=32),
        ),
        ops.AddField(
            model_name='Party',
            name='bill_price_tolerance_percent',
            field=fields.DecimalField(default=0, max_digits=5, decimal_places=2),
        ),
        ops.AddField(
            model_name='Party',
            name='bill_quantity_tolerance_percent',
            field=fields.DecimalField(default=0, max_digits=5, decimal_places=2),
        ),
        ops.AddField(
            model_name='Party',
            name='bills_before_receipt',
            field=fields.BooleanField(default=False),
        ),
    ]
