"""The reservation tables: what a document line wants of a warehouse's stock, and which quants hold it.

``quant.reserved`` is the sum of the allocations on the quant and ``demand.reserved`` the sum of
the demand's, both kept in the same transaction as the allocations and proven by
``server.inventory.reservation_check.check_reservations``.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.catalog.models import Product
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Quant, Warehouse


class Demand(Model):
    """What one document line wants of a product in a warehouse, and how much of it is reserved.

    A demand whose reserved quantity is below what it wants is ``waiting``: stock that arrives or
    is freed in its warehouse goes to the waiting demands, the highest priority first.
    """

    id = fields.BigIntField(primary_key=True)
    document_type = fields.CharField(max_length=32)
    document_id = fields.BigIntField()
    line_id = fields.BigIntField()
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="demands", on_delete=fields.RESTRICT
    )
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="demands", on_delete=fields.RESTRICT
    )
    lot_id = fields.IntField(default=0)  # 0: any lot, else only this lot (or serial)
    priority = fields.IntField(default=0)  # higher is served first
    promised_on = fields.DateField(null=True)  # among equal priorities, the earliest promise is served first
    wanted = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    reserved = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)
    waiting = fields.BooleanField(default=False)  # reserved below wanted, kept so postings find them by index
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "stock_demand"
        unique_together = (("document_type", "document_id", "line_id"),)
        indexes = (("product_id", "waiting"),)


class Allocation(Model):
    """Part of a demand held in one quant."""

    id = fields.BigIntField(primary_key=True)
    demand: fields.ForeignKeyRelation[Demand] = fields.ForeignKeyField(
        "storekeeper.Demand", related_name="allocations", on_delete=fields.CASCADE
    )
    quant: fields.ForeignKeyRelation[Quant] = fields.ForeignKeyField(
        "storekeeper.Quant", related_name="allocations", on_delete=fields.RESTRICT
    )
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)

    class Meta:
        table = "stock_allocation"
        unique_together = (("demand", "quant"),)
