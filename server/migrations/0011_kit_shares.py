from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0010_zone_limits')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KitShare',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kit', fields.ForeignKeyField('storekeeper.Product', source_field='kit_id', db_constraint=True, to_field='id', related_name='kit_shares', on_delete=OnDelete.RESTRICT)),
                ('warehouse_id', fields.IntField()),
                ('component', fields.ForeignKeyField('storekeeper.Product', source_field='component_id', db_constraint=True, to_field='id', related_name='shares_in_kits', on_delete=OnDelete.RESTRICT)),
                ('value', fields.DecimalField(max_digits=18, decimal_places=4)),
            ],
            options={'table': 'kit_share', 'app': 'storekeeper', 'unique_together': (('kit', 'warehouse_id', 'component'),), 'pk_attr': 'id', 'table_description': 'What the components of the kits of ``kit`` in one warehouse were worth when they went in (``value``,'},
            bases=['Model'],
        ),
    ]
