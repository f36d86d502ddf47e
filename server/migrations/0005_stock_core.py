from tortoise import migrations
from tortoise.migrations import operations as ops
from server.inventory.models import LocationUsage, Mixing
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0004_stock_core')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CostAdjustment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='cost_adjustments', on_delete=OnDelete.RESTRICT)),
                ('warehouse_id', fields.IntField()),
                ('move_id', fields.BigIntField(db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('quantity', fields.DecimalField(default=0, max_digits=24, decimal_places=4)),
                ('value', fields.DecimalField(default=0, max_digits=30, decimal_places=4)),
                ('unit_cost_before', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('unit_cost_after', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('reason', fields.CharField(null=True, max_length=255)),
                ('user_id', fields.IntField(null=True)),
                ('effective_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cost_adjustment', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A correction of the cost of an incoming move, dated when it was made and never a rewrite of the move.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CostBucket',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='cost_buckets', on_delete=OnDelete.RESTRICT)),
                ('warehouse_id', fields.IntField()),
                ('quantity', fields.DecimalField(default=0, max_digits=24, decimal_places=4)),
                ('value', fields.DecimalField(default=0, max_digits=30, decimal_places=4)),
                ('unit_cost', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cost_bucket', 'app': 'storekeeper', 'unique_together': (('product', 'warehouse_id'),), 'pk_attr': 'id', 'table_description': 'What the stock of a product in one bucket is worth now: locked FOR UPDATE by every posting that values it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CostLayer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='cost_layers', on_delete=OnDelete.RESTRICT)),
                ('warehouse_id', fields.IntField()),
                ('move_id', fields.BigIntField(db_index=True)),
                ('unit_cost', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('quantity', fields.DecimalField(default=0, max_digits=24, decimal_places=4)),
                ('quantity_left', fields.DecimalField(default=0, max_digits=24, decimal_places=4)),
                ('value_left', fields.DecimalField(default=0, max_digits=30, decimal_places=4)),
            ],
            options={'table': 'cost_layer', 'app': 'storekeeper', 'indexes': [Index(fields=['product_id', 'warehouse_id'])], 'pk_attr': 'id', 'table_description': 'Units of a product that came into a bucket at one cost, for FIFO: consumed oldest first.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Demand',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document_type', fields.CharField(max_length=32)),
                ('document_id', fields.BigIntField()),
                ('line_id', fields.BigIntField()),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='demands', on_delete=OnDelete.RESTRICT)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='demands', on_delete=OnDelete.RESTRICT)),
                ('lot_id', fields.IntField(default=0)),
                ('priority', fields.IntField(default=0)),
                ('wanted', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('reserved', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('waiting', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'stock_demand', 'app': 'storekeeper', 'unique_together': (('document_type', 'document_id', 'line_id'),), 'indexes': [Index(fields=['product_id', 'waiting'])], 'pk_attr': 'id', 'table_description': 'What one document line wants of a product in a warehouse, and how much of it is reserved.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Allocation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('demand', fields.ForeignKeyField('storekeeper.Demand', source_field='demand_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.CASCADE)),
                ('quant', fields.ForeignKeyField('storekeeper.Quant', source_field='quant_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(max_digits=18, decimal_places=4)),
            ],
            options={'table': 'stock_allocation', 'app': 'storekeeper', 'unique_together': (('demand', 'quant'),), 'pk_attr': 'id', 'table_description': 'Part of a demand held in one quant.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PutawayRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='putaway_rules', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', null=True, db_constraint=True, to_field='id', related_name='putaway_rules', on_delete=OnDelete.CASCADE)),
                ('category', fields.ForeignKeyField('storekeeper.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name='putaway_rules', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='putaway_rules', on_delete=OnDelete.CASCADE)),
                ('sequence', fields.IntField(default=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'putaway_rule', 'app': 'storekeeper', 'indexes': [Index(fields=['warehouse_id', 'product_id']), Index(fields=['warehouse_id', 'category_id'])], 'pk_attr': 'id', 'table_description': 'Where received stock of a product, or of a category, goes in a warehouse: a zone or a bin.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ValuationDay',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('taken_on', fields.DateField(unique=True)),
                ('taken_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('buckets', fields.IntField()),
            ],
            options={'table': 'valuation_day', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A day whose closing valuation was kept: every bucket with stock or value has its row then.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ValuationSnapshot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('taken_on', fields.DateField()),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='valuation_snapshots', on_delete=OnDelete.RESTRICT)),
                ('warehouse_id', fields.IntField()),
                ('quantity', fields.DecimalField(default=0, max_digits=24, decimal_places=4)),
                ('value', fields.DecimalField(default=0, max_digits=30, decimal_places=4)),
            ],
            options={'table': 'valuation_snapshot', 'app': 'storekeeper', 'unique_together': (('taken_on', 'product', 'warehouse_id'),), 'pk_attr': 'id', 'table_description': 'Quantity and value of a product in a bucket at the end of a closed day.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Category',
            name='removal_strategy',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='DocumentLine',
            name='alert_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='DocumentLine',
            name='best_before_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='DocumentLine',
            name='removal_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='DocumentLine',
            name='to_location',
            field=fields.ForeignKeyField('storekeeper.Location', source_field='to_location_id', null=True, db_constraint=True, to_field='id', related_name='document_lines_to', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Location',
            name='max_units',
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=4),
        ),
        ops.AddField(
            model_name='Location',
            name='max_weight_kg',
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=6),
        ),
        ops.AddField(
            model_name='Location',
            name='mixing',
            field=fields.CharEnumField(default=Mixing.MIXED, description='MIXED: mixed\nSAME_PRODUCT: same_product\nEMPTY_ONLY: empty_only', db_default='mixed', enum_type=Mixing, max_length=16),
        ),
        ops.AddField(
            model_name='Location',
            name='removal_strategy',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='Location',
            name='sellable',
            field=fields.BooleanField(default=True, db_default=True),
        ),
        ops.AddField(
            model_name='Location',
            name='usage',
            field=fields.CharEnumField(default=LocationUsage.STORAGE, description='STORAGE: storage\nRECEIVING: receiving\nQUALITY_CONTROL: quality_control\nQUARANTINE: quarantine\nDAMAGED: damaged', db_default='storage', enum_type=LocationUsage, max_length=16),
        ),
        ops.AddField(
            model_name='Lot',
            name='alert_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Lot',
            name='best_before_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Lot',
            name='location_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Lot',
            name='removal_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Product',
            name='costing_method',
            field=fields.CharField(default='average', db_default='average', max_length=8),
        ),
        ops.AddField(
            model_name='Product',
            name='removal_strategy',
            field=fields.CharField(null=True, max_length=8),
        ),
        ops.AddField(
            model_name='Product',
            name='tracks_serials',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Product',
            name='weight_kg',
            field=fields.DecimalField(null=True, max_digits=18, decimal_places=6),
        ),
        ops.AddField(
            model_name='Quant',
            name='in_date',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StockMove',
            name='value',
            field=fields.DecimalField(null=True, max_digits=30, decimal_places=4),
        ),
        ops.AddIndex(
            model_name='StockMove',
            index=Index(fields=['document_id']),
        ),
    ]
