from tortoise import migrations
from tortoise.migrations import operations as ops
from server.sales.models import AllocationStrategy, Channel, Fulfillment, InvoiceStatus, PaymentStatus, ReservationMode, ShippingPolicy
from server.sales.payment_models import PaymentKind, PaymentMethod
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Generated, then one hand edit: the models whose id is another row's (a document's, a document line's) say
# generated=False on it, which the writer leaves out and the autodetector then misses (as in 0009).


class Migration(migrations.Migration):
    dependencies = [('storekeeper', '0012_purchasing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BundleComponent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bundle', fields.ForeignKeyField('storekeeper.Product', source_field='bundle_id', db_constraint=True, to_field='id', related_name='bundle_components', on_delete=OnDelete.RESTRICT)),
                ('component', fields.ForeignKeyField('storekeeper.Product', source_field='component_id', db_constraint=True, to_field='id', related_name='in_bundles', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_bundle_component', 'app': 'storekeeper', 'unique_together': (('bundle', 'component'),), 'pk_attr': 'id', 'table_description': '``quantity`` base units of ``component`` make one unit of ``bundle``: a bundle has no stock of its own,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesAllocation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='sales_allocations', on_delete=OnDelete.CASCADE)),
                ('line', fields.ForeignKeyField('storekeeper.DocumentLine', source_field='line_id', db_constraint=True, to_field='id', related_name='sales_allocations', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('storekeeper.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='sales_allocations', on_delete=OnDelete.RESTRICT)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='sales_allocations', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('shipped', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_allocation', 'app': 'storekeeper', 'unique_together': (('line', 'product', 'warehouse'),), 'indexes': [Index(fields=['order_id', 'warehouse_id'])], 'pk_attr': 'id', 'table_description': "What of a line's product (a bundle's component for a bundle line) one warehouse ships, in base units."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesLine',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='sales_lines', on_delete=OnDelete.CASCADE)),
                ('cancelled', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('shipped', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('returned', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('invoiced', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_line', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'How far one order line has come, in base units (what was ordered is on its document line).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesOrder',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('channel', fields.CharEnumField(description='COUNTER: counter\nAPI: api\nMARKETPLACE: marketplace', enum_type=Channel, max_length=16)),
                ('external_reference', fields.CharField(null=True, max_length=64)),
                ('ship_to', fields.ForeignKeyField('storekeeper.Address', source_field='ship_to_id', null=True, db_constraint=True, to_field='id', related_name='orders_shipped_to', on_delete=OnDelete.RESTRICT)),
                ('bill_to', fields.ForeignKeyField('storekeeper.Address', source_field='bill_to_id', null=True, db_constraint=True, to_field='id', related_name='orders_billed_to', on_delete=OnDelete.RESTRICT)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', null=True, db_constraint=True, to_field='id', related_name='sales_orders', on_delete=OnDelete.RESTRICT)),
                ('shipping_policy', fields.CharEnumField(default=ShippingPolicy.SHIP_AVAILABLE, description='SHIP_AVAILABLE: ship_available\nSHIP_COMPLETE: ship_complete', enum_type=ShippingPolicy, max_length=16)),
                ('reservation', fields.CharEnumField(default=ReservationMode.ON_CONFIRM, description='ON_CONFIRM: on_confirm\nMANUAL: manual\nBEFORE_SHIP: before_ship', enum_type=ReservationMode, max_length=16)),
                ('reserve_days_before', fields.IntField(default=0)),
                ('allocation_strategy', fields.CharEnumField(default=AllocationStrategy.PRIORITY, description='PRIORITY: priority\nMOST_STOCK: most_stock', enum_type=AllocationStrategy, max_length=16)),
                ('priority', fields.IntField(default=0)),
                ('ship_on', fields.DateField(null=True)),
                ('promised_on', fields.DateField(null=True)),
                ('net_days', fields.IntField(default=0)),
                ('end_of_month', fields.BooleanField(default=False)),
                ('fulfillment', fields.CharEnumField(default=Fulfillment.UNFULFILLED, description='UNFULFILLED: unfulfilled\nPARTIAL: partial\nFULFILLED: fulfilled\nPARTLY_RETURNED: partly_returned\nRETURNED: returned', enum_type=Fulfillment, max_length=16)),
                ('payment', fields.CharEnumField(default=PaymentStatus.NONE, description='NONE: none\nPARTIAL: partial\nPAID: paid\nREFUNDED: refunded', enum_type=PaymentStatus, max_length=16)),
                ('invoicing', fields.CharEnumField(default=InvoiceStatus.NOT_INVOICED, description='NOT_INVOICED: not_invoiced\nPARTIAL: partial\nINVOICED: invoiced', enum_type=InvoiceStatus, max_length=16)),
                ('paid', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('revision', fields.IntField(default=0)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sales_order', 'app': 'storekeeper', 'unique_together': (('channel', 'external_reference'),), 'pk_attr': 'id', 'table_description': 'A sales order beyond its document: where it came from, where it goes, how it ships and its statuses.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesPayment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='sales_payments', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='PAYMENT: payment\nREFUND: refund', enum_type=PaymentKind, max_length=16)),
                ('method', fields.CharEnumField(description='CASH: cash\nCARD: card\nBANK_TRANSFER: bank_transfer\nCASH_ON_DELIVERY: cash_on_delivery', enum_type=PaymentMethod, max_length=32)),
                ('amount', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('currency', fields.CharField(max_length=3)),
                ('reference', fields.CharField(default='', max_length=64)),
                ('note', fields.TextField(default='', unique=False)),
                ('received_on', fields.DateField()),
                ('idempotency_key', fields.CharField(max_length=255)),
                ('created_by', fields.ForeignKeyField('storekeeper.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='sales_payments', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sales_payment', 'app': 'storekeeper', 'unique_together': (('order', 'idempotency_key'),), 'indexes': [Index(fields=['received_on'])], 'pk_attr': 'id', 'table_description': 'A payment received for a sales order, or a refund of one, in the order currency.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.OneToOneField('storekeeper.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='sales_policy', on_delete=OnDelete.CASCADE)),
                ('max_discount_percent', fields.DecimalField(null=True, max_digits=5, decimal_places=2)),
            ],
            options={'table': 'sales_policy', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'The rules of a store for confirming its orders.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesQuotation',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('original', fields.ForeignKeyField('storekeeper.Document', source_field='original_id', db_constraint=True, to_field='id', related_name='quotation_versions', on_delete=OnDelete.RESTRICT)),
                ('previous', fields.ForeignKeyField('storekeeper.Document', source_field='previous_id', null=True, db_constraint=True, to_field='id', related_name='quotation_revisions', on_delete=OnDelete.RESTRICT)),
                ('revision', fields.IntField(default=1)),
                ('valid_until', fields.DateField()),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', null=True, db_constraint=True, to_field='id', related_name='from_quotations', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'sales_quotation', 'app': 'storekeeper', 'unique_together': (('original', 'revision'),), 'pk_attr': 'id', 'table_description': 'A version of a sales quotation beyond its document: validity, revision and the order it became.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Demand',
            name='promised_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='StoreWarehouse',
            name='position',
            field=fields.SmallIntField(default=0),
        ),
    ]
