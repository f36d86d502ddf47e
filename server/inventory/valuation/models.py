"""The valuation's tables: a cost bucket per product and warehouse, FIFO layers, cost corrections, snapshots.

A bucket is a warehouse (all its locations), or the transit location (``TRANSIT_BUCKET``): its key
is a plain integer, not a foreign key, since 0 names the transit bucket and a NULL in a unique key
would let twins in on PostgreSQL.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.catalog.models import Product

TRANSIT_BUCKET = 0  # the bucket of the transit location, which belongs to no warehouse
QUANTITY_DIGITS, VALUE_DIGITS, PLACES = 24, 30, 4  # a bucket sums quants, a value is quantity times cost


def _quantity() -> fields.DecimalField:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=PLACES, default=0)


def _value() -> fields.DecimalField:
    return fields.DecimalField(max_digits=VALUE_DIGITS, decimal_places=PLACES, default=0)


class CostBucket(Model):
    """What the stock of a product in one bucket is worth now: locked FOR UPDATE by every posting that values it."""

    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="cost_buckets", on_delete=fields.RESTRICT
    )
    warehouse_id = fields.IntField()  # 0 is the transit bucket
    quantity = _quantity()
    value = _value()
    # The last average (or the cost of the first receipt), kept when the bucket empties: the product's last cost.
    unit_cost = fields.DecimalField(max_digits=18, decimal_places=PLACES, null=True)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cost_bucket"
        unique_together = (("product", "warehouse_id"),)


class CostLayer(Model):
    """Units of a product that came into a bucket at one cost, for FIFO: consumed oldest first."""

    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="cost_layers", on_delete=fields.RESTRICT
    )
    warehouse_id = fields.IntField()
    move_id = fields.BigIntField(db_index=True)  # the move that brought the units in
    unit_cost = fields.DecimalField(max_digits=18, decimal_places=PLACES)
    quantity = _quantity()
    quantity_left = _quantity()
    value_left = _value()

    class Meta:
        table = "cost_layer"
        indexes = (("product_id", "warehouse_id"),)


class CostAdjustment(Model):
    """A correction of the cost of an incoming move, dated when it was made and never a rewrite of the move.

    ``revaluation``: the part still on hand, which changes the bucket's value. ``cost_of_goods``: the
    part already consumed, an adjustment of the cost of goods that changes no stock value.
    """

    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="cost_adjustments", on_delete=fields.RESTRICT
    )
    warehouse_id = fields.IntField()
    move_id = fields.BigIntField(db_index=True)
    kind = fields.CharField(max_length=16)  # revaluation | cost_of_goods
    quantity = _quantity()
    value = _value()  # signed
    unit_cost_before = fields.DecimalField(max_digits=18, decimal_places=PLACES)
    unit_cost_after = fields.DecimalField(max_digits=18, decimal_places=PLACES)
    reason = fields.CharField(max_length=255, null=True)
    user_id = fields.IntField(null=True)
    effective_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "cost_adjustment"


class ValuationDay(Model):
    """A day whose closing valuation was kept: every bucket with stock or value has its row then."""

    id = fields.IntField(primary_key=True)
    taken_on = fields.DateField(unique=True)
    taken_at = fields.DatetimeField()
    buckets = fields.IntField()

    class Meta:
        table = "valuation_day"


class ValuationSnapshot(Model):
    """Quantity and value of a product in a bucket at the end of a closed day."""

    id = fields.BigIntField(primary_key=True)
    taken_on = fields.DateField()
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="valuation_snapshots", on_delete=fields.RESTRICT
    )
    warehouse_id = fields.IntField()
    quantity = _quantity()
    value = _value()

    class Meta:
        table = "valuation_snapshot"
        unique_together = (("taken_on", "product", "warehouse_id"),)
