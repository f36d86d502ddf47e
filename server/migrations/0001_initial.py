from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from server.inventory.models import LocationKind
from server.jobs.models import JobStatus
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index
from server.inventory.constraints import add_checks, drop_checks

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Brand',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
            ],
            options={'table': 'brand', 'app': 'storekeeper', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Category',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
            ],
            options={'table': 'category', 'app': 'storekeeper', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=255)),
                ('user_id', fields.IntField(default=0)),
                ('operation', fields.CharField(max_length=64)),
                ('request_hash', fields.CharField(max_length=64)),
                ('response', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'idempotency_record', 'app': 'storekeeper', 'unique_together': (('user_id', 'key'),), 'pk_attr': 'id', 'table_description': 'The first result of a write sent with this key, kept so that a retry replays it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JobRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job_id', fields.CharField(unique=True, max_length=128)),
                ('function', fields.CharField(max_length=64)),
                ('kwargs', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=JobStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=JobStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('result', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('enqueued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'job_record', 'app': 'storekeeper', 'indexes': [Index(fields=['status', 'enqueued_at'])], 'pk_attr': 'id', 'table_description': 'Every enqueued job, so a sweeper can re-enqueue what a Redis restart lost.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerCheck',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job_id', fields.CharField(null=True, unique=True, max_length=128)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ok', fields.BooleanField()),
                ('quants_checked', fields.IntField()),
                ('problems', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'ledger_check', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'The stored outcome of one run of the ledger invariant check.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sku', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('category', fields.ForeignKeyField('storekeeper.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name='products', on_delete=OnDelete.CASCADE)),
                ('brand', fields.ForeignKeyField('storekeeper.Brand', source_field='brand_id', null=True, db_constraint=True, to_field='id', related_name='products', on_delete=OnDelete.CASCADE)),
                ('unit', fields.CharField(default='pcs', max_length=16)),
                ('color', fields.CharField(null=True, max_length=64)),
                ('size', fields.CharField(null=True, max_length=64)),
                ('material', fields.CharField(null=True, max_length=64)),
                ('style', fields.CharField(null=True, max_length=64)),
                ('tracks_lots', fields.BooleanField(default=False)),
                ('is_archived', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'product', 'app': 'storekeeper', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Barcode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='barcodes', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=64)),
                ('normalized', fields.CharField(unique=True, max_length=64)),
                ('kind', fields.CharField(max_length=16)),
            ],
            options={'table': 'barcode', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A code printed on a product. Each code names one product only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Lot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='lots', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(max_length=64)),
                ('expires_on', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lot', 'app': 'storekeeper', 'unique_together': (('product', 'code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Role',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('permissions', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'role', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A named set of permissions. Every user has one.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=150)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.ForeignKeyField('storekeeper.Role', source_field='role_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.CASCADE)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_user', 'app': 'storekeeper', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('storekeeper.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=64)),
                ('object_type', fields.CharField(max_length=32)),
                ('object_id', fields.CharField(max_length=64)),
                ('data', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_entry', 'app': 'storekeeper', 'indexes': [Index(fields=['object_type', 'object_id'])], 'pk_attr': 'id', 'table_description': 'Who changed what, when: written in the transaction of the change it records.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Token',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('storekeeper.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('name', fields.CharField(default='', max_length=100)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'auth_token', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A bearer token: a session of a person or an API token of an integration. Only its hash is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Warehouse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'warehouse', 'app': 'storekeeper', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Location',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('kind', fields.CharEnumField(description='VIEW: view\nINTERNAL: internal\nSUPPLIER: supplier\nCUSTOMER: customer\nINVENTORY_LOSS: inventory_loss\nSCRAP: scrap\nASSEMBLY: assembly\nTRANSIT: transit', enum_type=LocationKind, max_length=16)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', null=True, db_constraint=True, to_field='id', related_name='locations', on_delete=OnDelete.CASCADE)),
                ('parent', fields.ForeignKeyField('storekeeper.Location', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.CASCADE)),
                ('path', fields.CharField(default='/', db_index=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'location', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A node of the location tree of a warehouse, or a virtual location (no warehouse).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Quant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='quants', on_delete=OnDelete.RESTRICT)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='quants', on_delete=OnDelete.RESTRICT)),
                ('lot_id', fields.IntField(default=0)),
                ('on_hand', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('reserved', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'quant', 'app': 'storekeeper', 'unique_together': (('product', 'location', 'lot_id'),), 'pk_attr': 'id', 'table_description': 'On-hand and reserved quantity of a product in a real location, per lot (0 = no lot).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StockMove',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('from_location', fields.ForeignKeyField('storekeeper.Location', source_field='from_location_id', db_constraint=True, to_field='id', related_name='moves_out', on_delete=OnDelete.RESTRICT)),
                ('to_location', fields.ForeignKeyField('storekeeper.Location', source_field='to_location_id', db_constraint=True, to_field='id', related_name='moves_in', on_delete=OnDelete.RESTRICT)),
                ('lot', fields.ForeignKeyField('storekeeper.Lot', source_field='lot_id', null=True, db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.RESTRICT)),
                ('unit_cost', fields.DecimalField(null=True, max_digits=18, decimal_places=4)),
                ('kind', fields.CharField(max_length=16)),
                ('reason', fields.CharField(null=True, max_length=255)),
                ('document_type', fields.CharField(null=True, max_length=32)),
                ('document_id', fields.BigIntField(null=True)),
                ('user', fields.ForeignKeyField('storekeeper.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.RESTRICT)),
                ('idempotency_key', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'stock_move', 'app': 'storekeeper', 'indexes': [Index(fields=['product_id', 'to_location_id']), Index(fields=['product_id', 'from_location_id'])], 'pk_attr': 'id', 'table_description': 'One append-only ledger entry: ``quantity`` left ``from_location`` and arrived in ``to_location``.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Scan',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(max_length=512)),
                ('symbology', fields.CharField(null=True, max_length=32)),
                ('device', fields.CharField(null=True, max_length=64)),
                ('user', fields.ForeignKeyField('storekeeper.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='scans', on_delete=OnDelete.CASCADE)),
                ('move', fields.ForeignKeyField('storekeeper.StockMove', source_field='move_id', null=True, db_constraint=True, to_field='id', related_name='scans', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'scan', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A code the handheld scanned, as it was read, and the stock move it caused (if any).'},
            bases=['Model'],
        ),
        ops.RunPython(add_checks, reverse_code=drop_checks),
    ]
