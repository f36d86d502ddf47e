from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

# Generated, then one hand edit: StockCount.id says generated=False (its document's id), which the writer
# leaves out and the autodetector then misses. Frozen since: never regenerate it.


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0008_lot_trace_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExpiryAlert',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lot', fields.ForeignKeyField('storekeeper.Lot', source_field='lot_id', db_constraint=True, to_field='id', related_name='expiry_alerts', on_delete=OnDelete.RESTRICT)),
                ('alert_on', fields.DateField()),
                ('on_hand', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('raised_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('mail_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'expiry_alert', 'app': 'storekeeper', 'unique_together': (('lot', 'alert_on'),), 'pk_attr': 'id', 'table_description': 'A lot that reached its alert date with stock left, raised once per lot and alert date'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KitComponent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kit', fields.ForeignKeyField('storekeeper.Product', source_field='kit_id', db_constraint=True, to_field='id', related_name='kit_components', on_delete=OnDelete.RESTRICT)),
                ('component', fields.ForeignKeyField('storekeeper.Product', source_field='component_id', db_constraint=True, to_field='id', related_name='used_in_kits', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('position', fields.SmallIntField()),
            ],
            options={'table': 'kit_component', 'app': 'storekeeper', 'unique_together': (('kit', 'component'),), 'pk_attr': 'id', 'table_description': '``quantity`` base units of ``component`` go into one unit of ``kit``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReplenishmentProposal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.OneToOneField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='replenishment_proposal', on_delete=OnDelete.CASCADE)),
                ('document', fields.ForeignKeyField('storekeeper.Document', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='replenishment_proposals', on_delete=OnDelete.SET_NULL)),
                ('version', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'replenishment_proposal', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': "The draft transfer a warehouse's runs keep up to date, at the version the last run left it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReplenishmentRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='replenishment_rules', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='replenishment_rules', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='replenishment_rules', on_delete=OnDelete.CASCADE)),
                ('minimum', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('maximum', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('source', fields.ForeignKeyField('storekeeper.Location', source_field='source_id', null=True, db_constraint=True, to_field='id', related_name='replenishment_sources', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'replenishment_rule', 'app': 'storekeeper', 'unique_together': (('location', 'product'),), 'indexes': [Index(fields=['warehouse_id', 'product_id'])], 'pk_attr': 'id', 'table_description': 'Keep ``product`` in the pick bin ``location`` between ``minimum`` and ``maximum`` (base units): at or below'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockCount',
            fields=[
                ('id', fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='counts', on_delete=OnDelete.RESTRICT)),
                ('scope', fields.CharField(max_length=16)),
                ('zone', fields.ForeignKeyField('storekeeper.Location', source_field='zone_id', null=True, db_constraint=True, to_field='id', related_name='counts', on_delete=OnDelete.RESTRICT)),
                ('plan', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('blind', fields.BooleanField(default=True)),
                ('recount_units', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('recount_value', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'stock_count', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'What a count covers and how it is counted (its document holds its state, number and version).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BinUnderCount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('location', fields.OneToOneField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='under_count', on_delete=OnDelete.RESTRICT)),
                ('count', fields.ForeignKeyField('storekeeper.StockCount', source_field='count_id', db_constraint=True, to_field='id', related_name='claimed_bins', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'bin_under_count', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A bin in a count not yet approved or cancelled: the unique key keeps it in one such count at a time.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CountBin',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('count', fields.ForeignKeyField('storekeeper.StockCount', source_field='count_id', db_constraint=True, to_field='id', related_name='bins', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='count_bins', on_delete=OnDelete.RESTRICT)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_by', fields.ForeignKeyField('storekeeper.User', source_field='started_by_id', null=True, db_constraint=True, to_field='id', related_name='started_count_bins', on_delete=OnDelete.RESTRICT)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_by', fields.ForeignKeyField('storekeeper.User', source_field='finished_by_id', null=True, db_constraint=True, to_field='id', related_name='finished_count_bins', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'count_bin', 'app': 'storekeeper', 'unique_together': (('count', 'location'),), 'pk_attr': 'id', 'table_description': 'A bin of a count: started by its first scan (the expected quantities are read then), finished explicitly.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CountLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bin', fields.ForeignKeyField('storekeeper.CountBin', source_field='bin_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='count_lines', on_delete=OnDelete.RESTRICT)),
                ('lot_id', fields.IntField(default=0)),
                ('package_id', fields.BigIntField(default=0)),
                ('expected', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('recount_needed', fields.BooleanField(default=False)),
                ('recounted', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('recounted_by', fields.ForeignKeyField('storekeeper.User', source_field='recounted_by_id', null=True, db_constraint=True, to_field='id', related_name='count_recounts', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'count_line', 'app': 'storekeeper', 'unique_together': (('bin', 'product', 'lot_id', 'package_id'),), 'pk_attr': 'id', 'table_description': 'One (bin, product, lot, package) of a count: expected when the bin was started, and counted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CountProduct',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('count', fields.ForeignKeyField('storekeeper.StockCount', source_field='count_id', db_constraint=True, to_field='id', related_name='products', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='count_products', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'count_product', 'app': 'storekeeper', 'unique_together': (('count', 'product'),), 'pk_attr': 'id', 'table_description': 'A count of only some products (a cycle count by ABC class): none listed means every product.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CountTally',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('line', fields.ForeignKeyField('storekeeper.CountLine', source_field='line_id', db_constraint=True, to_field='id', related_name='tallies', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('storekeeper.User', source_field='user_id', db_constraint=True, to_field='id', related_name='count_tallies', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'count_tally', 'app': 'storekeeper', 'unique_together': (('line', 'user'),), 'pk_attr': 'id', 'table_description': 'What one counter counted of one line: several counters of a bin add up.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Location',
            name='limits_above',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
