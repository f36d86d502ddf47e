from tortoise import migrations
from tortoise.migrations import operations as ops
from server.inventory.models import PackageKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0006_package_moves')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Package',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sscc', fields.CharField(unique=True, max_length=18)),
                ('kind', fields.CharEnumField(description='BOX: box\nCASE: case\nPALLET: pallet\nTOTE: tote', enum_type=PackageKind, max_length=16)),
                ('parent', fields.ForeignKeyField('storekeeper.Package', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='packages', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'package', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A box, case or pallet known by the SSCC on its label: what it holds are the quants that name it.'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Quant',
            options={'table': 'quant', 'app': 'storekeeper', 'unique_together': (('product', 'location', 'lot_id', 'package_id'),), 'indexes': [Index(fields=['package_id'])], 'pk_attr': 'id', 'table_description': 'On-hand and reserved quantity of a product in a real location, per lot (0 = no lot) and package (0 = none).'},
        ),
        ops.AddField(
            model_name='StockMove',
            name='from_package_id',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='StockMove',
            name='to_package_id',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
