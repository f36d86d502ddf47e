from tortoise import migrations
from tortoise.migrations import operations as ops
from server.inventory.models import LocationUsage
from server.sales.models import AllocationStrategy, Channel, Fulfillment, InvoiceStatus, PaymentStatus, ReservationMode, ShippingPolicy
from server.sales.payment_models import PaymentKind, PaymentMethod
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Generated, then one hand edit: the models whose id is another row's (a document's, a document line's) say
# generated=False on it, which the writer leaves out and the autodetector then misses (as in 0009). A second:
# Location.usage changes in the migration state only (AlterFieldInStateOnly below).



class AlterFieldInStateOnly(ops.AlterField):
    """A change of the field's description only (an enum value added to Location.usage): the column stays as it
    is. On SQLite Tortoise would rebuild the whole table for it, and dropping the old one fails on the rows that
    stock moves and quants point at."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


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
            name='FulfillmentSetting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.OneToOneField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='fulfillment_setting', on_delete=OnDelete.CASCADE)),
                ('steps', fields.IntField(default=1)),
                ('output_location', fields.ForeignKeyField('storekeeper.Location', source_field='output_location_id', null=True, db_constraint=True, to_field='id', related_name='output_of', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'sales_fulfillment_setting', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'How a warehouse ships its orders: in one step (from the bins), two (pick, ship) or three (pick, pack,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PickList',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='pick_lists', on_delete=OnDelete.RESTRICT)),
                ('wave', fields.BooleanField(default=False)),
                ('claimed_by', fields.ForeignKeyField('storekeeper.User', source_field='claimed_by_id', null=True, db_constraint=True, to_field='id', related_name='pick_lists_claimed', on_delete=OnDelete.RESTRICT)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sales_pick_list', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'A pick list beyond its document: its warehouse, whether it batches several orders, and who claimed it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReturnsLocation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('warehouse', fields.OneToOneField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='returns_location', on_delete=OnDelete.CASCADE)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', null=True, db_constraint=True, to_field='id', related_name='returns_of', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'sales_returns_location', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'Where a warehouse takes returned goods in to be inspected: a real location that is not sellable (quality'},
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
                ('staged', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_allocation', 'app': 'storekeeper', 'unique_together': (('line', 'product', 'warehouse'),), 'indexes': [Index(fields=['order_id', 'warehouse_id'])], 'pk_attr': 'id', 'table_description': 'What of the product of a line (a component, for a bundle line) one warehouse ships, in base units.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PickLine',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('pick_list', fields.ForeignKeyField('storekeeper.Document', source_field='pick_list_id', db_constraint=True, to_field='id', related_name='pick_lines', on_delete=OnDelete.CASCADE)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='order_pick_lines', on_delete=OnDelete.RESTRICT)),
                ('allocation', fields.ForeignKeyField('storekeeper.SalesAllocation', source_field='allocation_id', db_constraint=True, to_field='id', related_name='pick_lines', on_delete=OnDelete.RESTRICT)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='pick_lines', on_delete=OnDelete.RESTRICT)),
                ('lot_id', fields.IntField(default=0)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('picked', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('short', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('reason', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'sales_pick_line', 'app': 'storekeeper', 'indexes': [Index(fields=['allocation_id'])], 'pk_attr': 'id', 'table_description': 'One line to pick: stock of an allocation in one bin and lot, and what the picker found of it.'},
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
        ops.CreateModel(
            name='SalesReturn',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='sales_returns', on_delete=OnDelete.RESTRICT)),
                ('received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('inspected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('refunded', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_return', 'app': 'storekeeper', 'indexes': [Index(fields=['order_id'])], 'pk_attr': 'id', 'table_description': 'A customer return beyond its document: the order whose shipped goods come back, and its progress.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SalesReturnLine',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('sales_return', fields.ForeignKeyField('storekeeper.SalesReturn', source_field='sales_return_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('order_line', fields.ForeignKeyField('storekeeper.DocumentLine', source_field='order_line_id', db_constraint=True, to_field='id', related_name='sales_return_lines', on_delete=OnDelete.RESTRICT)),
                ('move', fields.ForeignKeyField('storekeeper.StockMove', source_field='move_id', db_constraint=True, to_field='id', related_name='sales_return_lines', on_delete=OnDelete.RESTRICT)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='sales_return_lines', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('unit_cost', fields.DecimalField(max_digits=18, decimal_places=4)),
                ('restocked', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('restocked_to', fields.ForeignKeyField('storekeeper.Location', source_field='restocked_to_id', null=True, db_constraint=True, to_field='id', related_name='restocked_returns', on_delete=OnDelete.RESTRICT)),
                ('scrapped', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
                ('scrap_reason', fields.CharField(null=True, max_length=255)),
            ],
            options={'table': 'sales_return_line', 'app': 'storekeeper', 'indexes': [Index(fields=['order_line_id']), Index(fields=['move_id'])], 'pk_attr': 'id', 'table_description': 'What one return line takes back, in base units: of one order line, from one shipment move (its lot, its'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Shipment',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('order', fields.ForeignKeyField('storekeeper.Document', source_field='order_id', db_constraint=True, to_field='id', related_name='shipments', on_delete=OnDelete.RESTRICT)),
                ('warehouse', fields.ForeignKeyField('storekeeper.Warehouse', source_field='warehouse_id', db_constraint=True, to_field='id', related_name='shipments', on_delete=OnDelete.RESTRICT)),
                ('steps', fields.IntField(default=1)),
                ('carrier', fields.ForeignKeyField('storekeeper.Party', source_field='carrier_id', null=True, db_constraint=True, to_field='id', related_name='shipments_carried', on_delete=OnDelete.RESTRICT)),
                ('shipping_method', fields.CharField(null=True, max_length=64)),
                ('tracking_number', fields.CharField(null=True, max_length=64)),
                ('shipped_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sales_shipment', 'app': 'storekeeper', 'indexes': [Index(fields=['order_id'])], 'pk_attr': 'id', 'table_description': 'A shipment beyond its document: the order and warehouse it ships, how, with whom, and its tracking.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShipmentPackage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shipment', fields.ForeignKeyField('storekeeper.Document', source_field='shipment_id', db_constraint=True, to_field='id', related_name='shipment_packages', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('packaging', fields.CharField(max_length=32)),
                ('weight_kg', fields.DecimalField(max_digits=12, decimal_places=3)),
                ('sscc', fields.CharField(null=True, max_length=18)),
            ],
            options={'table': 'sales_shipment_package', 'app': 'storekeeper', 'unique_together': (('shipment', 'number'),), 'pk_attr': 'id', 'table_description': 'A parcel of a shipment: its box type, weight and label code.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StagedStock',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('allocation', fields.ForeignKeyField('storekeeper.SalesAllocation', source_field='allocation_id', db_constraint=True, to_field='id', related_name='staged_stock', on_delete=OnDelete.RESTRICT)),
                ('pick_line', fields.ForeignKeyField('storekeeper.PickLine', source_field='pick_line_id', db_constraint=True, to_field='id', related_name='staged_stock', on_delete=OnDelete.RESTRICT)),
                ('bin', fields.ForeignKeyField('storekeeper.Location', source_field='bin_id', db_constraint=True, to_field='id', related_name='staged_from', on_delete=OnDelete.RESTRICT)),
                ('lot_id', fields.IntField(default=0)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_staged_stock', 'app': 'storekeeper', 'indexes': [Index(fields=['allocation_id'])], 'pk_attr': 'id', 'table_description': 'Picked stock of an allocation waiting in the warehouse output location: shipped from there, or put'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShipmentLine',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True, generated=False)),
                ('shipment', fields.ForeignKeyField('storekeeper.Document', source_field='shipment_id', db_constraint=True, to_field='id', related_name='shipment_lines', on_delete=OnDelete.CASCADE)),
                ('allocation', fields.ForeignKeyField('storekeeper.SalesAllocation', source_field='allocation_id', db_constraint=True, to_field='id', related_name='shipment_lines', on_delete=OnDelete.RESTRICT)),
                ('location', fields.ForeignKeyField('storekeeper.Location', source_field='location_id', db_constraint=True, to_field='id', related_name='shipment_lines', on_delete=OnDelete.RESTRICT)),
                ('lot_id', fields.IntField(default=0)),
                ('staged', fields.ForeignKeyField('storekeeper.StagedStock', source_field='staged_id', null=True, db_constraint=True, to_field='id', related_name='shipment_lines', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_shipment_line', 'app': 'storekeeper', 'indexes': [Index(fields=['allocation_id'])], 'pk_attr': 'id', 'table_description': 'What a shipment line takes: stock of an allocation from a bin (one step) or from staged stock.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PackedLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('package', fields.ForeignKeyField('storekeeper.ShipmentPackage', source_field='package_id', db_constraint=True, to_field='id', related_name='packed', on_delete=OnDelete.CASCADE)),
                ('line', fields.ForeignKeyField('storekeeper.ShipmentLine', source_field='line_id', db_constraint=True, to_field='id', related_name='packed', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.DecimalField(default=0, max_digits=18, decimal_places=4)),
            ],
            options={'table': 'sales_packed_line', 'app': 'storekeeper', 'pk_attr': 'id', 'table_description': 'How much of a shipment line went into a package.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Demand',
            name='promised_on',
            field=fields.DateField(null=True),
        ),
        AlterFieldInStateOnly(
            model_name='Location',
            name='usage',
            field=fields.CharEnumField(default=LocationUsage.STORAGE, description='STORAGE: storage\nRECEIVING: receiving\nQUALITY_CONTROL: quality_control\nQUARANTINE: quarantine\nDAMAGED: damaged\nOUTPUT: output', db_default='storage', enum_type=LocationUsage, max_length=16),
        ),
        ops.AddField(
            model_name='StoreWarehouse',
            name='position',
            field=fields.SmallIntField(default=0),
        ),
    ]
