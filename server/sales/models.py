"""What a sales order adds to its document, how far each line has come, and where it ships from.

The order's header and lines are the kernel's (``document``, ``document_line``). ``sales_order``
keeps what only an order has: its channel and the reference it has there, addresses, shipping and
reservation policy, and three statuses beside the document's own state (fulfillment, payment,
invoicing). ``sales_line`` counts what each line has come to, in base units, under the line's row
lock. ``sales_allocation`` splits a line's components over the warehouses that ship them: the
allocations of one warehouse are a fulfillment group, and each is the demand that reserves stock
(``DemandKey("sales.allocation", order id, allocation id)``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.catalog.models import Product
from server.documents.models import Document, DocumentLine
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Warehouse
from server.partners.models import MONEY_DIGITS, MONEY_PLACES, Address, Store


class Channel(StrEnum):
    COUNTER = "counter"
    API = "api"
    MARKETPLACE = "marketplace"


class ShippingPolicy(StrEnum):
    SHIP_AVAILABLE = "ship_available"  # ship what is here; the rest is a backorder
    SHIP_COMPLETE = "ship_complete"  # nothing is picked until all of it is reserved


class ReservationMode(StrEnum):
    ON_CONFIRM = "on_confirm"
    MANUAL = "manual"
    BEFORE_SHIP = "before_ship"  # ``reserve_days_before`` the ship date, by the daily job


class AllocationStrategy(StrEnum):
    PRIORITY = "priority"  # the store's warehouses in their order
    MOST_STOCK = "most_stock"  # the warehouse with the most available first


class Fulfillment(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"
    PARTLY_RETURNED = "partly_returned"
    RETURNED = "returned"


class PaymentStatus(StrEnum):
    NONE = "none"
    PARTIAL = "partial"
    PAID = "paid"
    REFUNDED = "refunded"


class InvoiceStatus(StrEnum):
    NOT_INVOICED = "not_invoiced"
    PARTIAL = "partial"
    INVOICED = "invoiced"


def _quantity() -> Any:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)  # type: ignore[call-overload]


def _money() -> Any:
    return fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=0)  # type: ignore[call-overload]


class SalesOrder(Model):
    """A sales order beyond its document: where it came from, where it goes, how it ships and its statuses."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document id
    channel = fields.CharEnumField(Channel, max_length=16)
    # Its number on the channel (a marketplace order id): an order imported twice is one order.
    external_reference = fields.CharField(max_length=64, null=True)
    ship_to: fields.ForeignKeyNullableRelation[Address] = fields.ForeignKeyField(
        "storekeeper.Address", related_name="orders_shipped_to", null=True, on_delete=fields.RESTRICT
    )
    bill_to: fields.ForeignKeyNullableRelation[Address] = fields.ForeignKeyField(
        "storekeeper.Address", related_name="orders_billed_to", null=True, on_delete=fields.RESTRICT
    )
    # None: allocated over the store warehouses by the strategy; else every line ships from it.
    warehouse: fields.ForeignKeyNullableRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="sales_orders", null=True, on_delete=fields.RESTRICT
    )
    shipping_policy = fields.CharEnumField(ShippingPolicy, max_length=16, default=ShippingPolicy.SHIP_AVAILABLE)
    reservation = fields.CharEnumField(ReservationMode, max_length=16, default=ReservationMode.ON_CONFIRM)
    reserve_days_before = fields.IntField(default=0)
    allocation_strategy = fields.CharEnumField(AllocationStrategy, max_length=16, default=AllocationStrategy.PRIORITY)
    priority = fields.IntField(default=0)  # of its reservations: higher is served first
    ship_on = fields.DateField(null=True)  # when the customer wants it to leave
    promised_on = fields.DateField(null=True)  # when it was promised: waiting demand is served by it
    net_days = fields.IntField(default=0)  # payment terms, the customer's when it was made
    end_of_month = fields.BooleanField(default=False)
    fulfillment = fields.CharEnumField(Fulfillment, max_length=16, default=Fulfillment.UNFULFILLED)
    payment = fields.CharEnumField(PaymentStatus, max_length=16, default=PaymentStatus.NONE)
    invoicing = fields.CharEnumField(InvoiceStatus, max_length=16, default=InvoiceStatus.NOT_INVOICED)
    paid = _money()  # payments received, less refunds, in the order currency
    revision = fields.IntField(default=0)  # raised by every amendment of the confirmed order
    confirmed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sales_order"
        unique_together = (("channel", "external_reference"),)


class SalesLine(Model):
    """How far one order line has come, in base units (what was ordered is on its document line)."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document line id
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="sales_lines", on_delete=fields.CASCADE
    )
    cancelled = _quantity()  # never shipping
    shipped = _quantity()
    returned = _quantity()
    invoiced = _quantity()

    class Meta:
        table = "sales_line"


class SalesAllocation(Model):
    """What of the product of a line (a component, for a bundle line) one warehouse ships, in base units."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="sales_allocations", on_delete=fields.CASCADE
    )
    line: fields.ForeignKeyRelation[DocumentLine] = fields.ForeignKeyField(
        "storekeeper.DocumentLine", related_name="sales_allocations", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="sales_allocations", on_delete=fields.RESTRICT
    )
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="sales_allocations", on_delete=fields.RESTRICT
    )
    quantity = _quantity()  # to ship from this warehouse, shipped included
    shipped = _quantity()
    staged = _quantity()  # picked into the output location of its warehouse, not shipped yet

    class Meta:
        table = "sales_allocation"
        unique_together = (("line", "product", "warehouse"),)
        indexes = (("order_id", "warehouse_id"),)


class SalesPolicy(Model):
    """The rules of a store for confirming its orders."""

    id = fields.IntField(primary_key=True)
    store: fields.OneToOneRelation[Store] = fields.OneToOneField(
        "storekeeper.Store", related_name="sales_policy", on_delete=fields.CASCADE
    )
    # A line discounted more than this needs approval to confirm (None: any discount).
    max_discount_percent = fields.DecimalField(max_digits=5, decimal_places=2, null=True)

    class Meta:
        table = "sales_policy"


class BundleComponent(Model):
    """``quantity`` base units of ``component`` make one unit of ``bundle``: a bundle has no stock of its own,
    it is sold, reserved and shipped as its components."""

    id = fields.IntField(primary_key=True)
    bundle: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="bundle_components", on_delete=fields.RESTRICT
    )
    component: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="in_bundles", on_delete=fields.RESTRICT
    )
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)

    class Meta:
        table = "sales_bundle_component"
        unique_together = (("bundle", "component"),)
