from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

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
    ]
