from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

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
    ]
