"""Purchase planning tables: the reorder rules per product and warehouse, the draft orders the planning job
made, and the lines it proposed on them with what it proposed (so a rerun knows which lines are still its own).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.catalog.models import Product
from server.documents.models import Document
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Warehouse
from server.partners.models import MONEY_DIGITS, MONEY_PLACES, Party

DEFAULT_DEMAND_DAYS = 30


class ReorderRule(Model):
    """Keep ``product`` in ``warehouse``: order up to ``maximum`` at or below ``minimum`` (base units), and
    enough for the lead time at the recent daily demand plus ``safety_stock``. ``supplier`` is the preferred
    one (None: the supplier with the lowest valid price)."""

    id = fields.IntField(primary_key=True)
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="reorder_rules", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="reorder_rules", on_delete=fields.CASCADE
    )
    minimum = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)
    maximum = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)
    safety_stock = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)
    demand_days = fields.IntField(default=DEFAULT_DEMAND_DAYS)  # the window the average daily demand is read over
    supplier: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="reorder_rules", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reorder_rule"
        unique_together = (("warehouse", "product"),)


class PlannedOrder(Model):
    """A draft purchase order the planning job made for a supplier and warehouse: while it is a draft, the
    job adds the supplier's next suggestions to it instead of making another."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document's id
    supplier: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="planned_orders", on_delete=fields.CASCADE
    )
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="planned_orders", on_delete=fields.CASCADE
    )

    class Meta:
        table = "planned_order"
        indexes = (("warehouse_id", "supplier_id"),)


class PlannedLine(Model):
    """A line the planning job put on a draft order, by order and product, with what it said. While the
    line still says exactly that, it is the job to change or remove, else a person made it theirs."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="planned_lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="planned_lines", on_delete=fields.CASCADE
    )
    unit = fields.CharField(max_length=32)
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)  # in ``unit``
    price = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)

    class Meta:
        table = "planned_line"
        unique_together = (("order", "product"),)
