"""Fulfillment's tables: how each warehouse ships, pick lists, what picking put in the output location,
shipments and their packages.

A pick list (``sales.pick``) and a shipment (``sales.shipment``) are documents on the kernel: their
header, number and document lines (product, quantity, bin, lot) are the kernel's, printed as any
document is. These rows keep what only they have: which allocation (an order's fulfillment group line)
each line serves, how much was picked or left short and why, which staged stock a shipment takes.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.documents.models import Document
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Location, Warehouse
from server.partners.models import Party
from server.sales.models import SalesAllocation

ONE_STEP, TWO_STEPS, THREE_STEPS = 1, 2, 3


def _quantity() -> Any:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)  # type: ignore[call-overload]


class FulfillmentSetting(Model):
    """How a warehouse ships its orders: in one step (from the bins), two (pick, ship) or three (pick, pack,
    ship); picked goods wait in its output location, made when it is first set to two or three steps."""

    id = fields.IntField(primary_key=True)
    warehouse: fields.OneToOneRelation[Warehouse] = fields.OneToOneField(
        "storekeeper.Warehouse", related_name="fulfillment_setting", on_delete=fields.CASCADE
    )
    steps = fields.IntField(default=ONE_STEP)
    output_location: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="output_of", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "sales_fulfillment_setting"


class PickList(Model):
    """A pick list beyond its document: its warehouse, whether it batches several orders, and who claimed it."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document id
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="pick_lists", on_delete=fields.RESTRICT
    )
    wave = fields.BooleanField(default=False)
    claimed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="pick_lists_claimed", null=True, on_delete=fields.RESTRICT
    )
    claimed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sales_pick_list"


class PickLine(Model):
    """One line to pick: stock of an allocation in one bin and lot, and what the picker found of it."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document line id
    pick_list: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="pick_lines", on_delete=fields.CASCADE
    )
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="order_pick_lines", on_delete=fields.RESTRICT
    )
    allocation: fields.ForeignKeyRelation[SalesAllocation] = fields.ForeignKeyField(
        "storekeeper.SalesAllocation", related_name="pick_lines", on_delete=fields.RESTRICT
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="pick_lines", on_delete=fields.RESTRICT
    )
    lot_id = fields.IntField(default=0)  # 0: no lot
    quantity = _quantity()  # to pick
    picked = _quantity()
    short = _quantity()  # not found: booked to inventory loss, the order waits for it again
    reason = fields.CharField(max_length=200, null=True)  # why it was short

    class Meta:
        table = "sales_pick_line"
        indexes = (("allocation_id",),)


class StagedStock(Model):
    """Picked stock of an allocation waiting in the warehouse output location: shipped from there, or put
    back in its bin when the order no longer wants it."""

    id = fields.BigIntField(primary_key=True)
    allocation: fields.ForeignKeyRelation[SalesAllocation] = fields.ForeignKeyField(
        "storekeeper.SalesAllocation", related_name="staged_stock", on_delete=fields.RESTRICT
    )
    pick_line: fields.ForeignKeyRelation[PickLine] = fields.ForeignKeyField(
        "storekeeper.PickLine", related_name="staged_stock", on_delete=fields.RESTRICT
    )
    bin: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="staged_from", on_delete=fields.RESTRICT
    )
    lot_id = fields.IntField(default=0)
    quantity = _quantity()  # still in the output location

    class Meta:
        table = "sales_staged_stock"
        indexes = (("allocation_id",),)


class Shipment(Model):
    """A shipment beyond its document: the order and warehouse it ships, how, with whom, and its tracking."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document id
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="shipments", on_delete=fields.RESTRICT
    )
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="shipments", on_delete=fields.RESTRICT
    )
    steps = fields.IntField(default=ONE_STEP)  # the warehouse steps when it was made
    carrier: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="shipments_carried", null=True, on_delete=fields.RESTRICT
    )
    shipping_method = fields.CharField(max_length=64, null=True)
    tracking_number = fields.CharField(max_length=64, null=True)
    shipped_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sales_shipment"
        indexes = (("order_id",),)


class ShipmentLine(Model):
    """What a shipment line takes: stock of an allocation from a bin (one step) or from staged stock."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document line id
    shipment: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="shipment_lines", on_delete=fields.CASCADE
    )
    allocation: fields.ForeignKeyRelation[SalesAllocation] = fields.ForeignKeyField(
        "storekeeper.SalesAllocation", related_name="shipment_lines", on_delete=fields.RESTRICT
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="shipment_lines", on_delete=fields.RESTRICT
    )
    lot_id = fields.IntField(default=0)
    staged: fields.ForeignKeyNullableRelation[StagedStock] = fields.ForeignKeyField(
        "storekeeper.StagedStock", related_name="shipment_lines", null=True, on_delete=fields.RESTRICT
    )
    quantity = _quantity()

    class Meta:
        table = "sales_shipment_line"
        indexes = (("allocation_id",),)


class ShipmentPackage(Model):
    """A parcel of a shipment: its box type, weight and label code."""

    id = fields.BigIntField(primary_key=True)
    shipment: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="shipment_packages", on_delete=fields.CASCADE
    )
    number = fields.IntField()  # 1, 2 ... within the shipment
    packaging = fields.CharField(max_length=32)  # the box type
    weight_kg = fields.DecimalField(max_digits=12, decimal_places=3)
    sscc = fields.CharField(max_length=18, null=True)

    class Meta:
        table = "sales_shipment_package"
        unique_together = (("shipment", "number"),)


class PackedLine(Model):
    """How much of a shipment line went into a package."""

    id = fields.BigIntField(primary_key=True)
    package: fields.ForeignKeyRelation[ShipmentPackage] = fields.ForeignKeyField(
        "storekeeper.ShipmentPackage", related_name="packed", on_delete=fields.CASCADE
    )
    line: fields.ForeignKeyRelation[ShipmentLine] = fields.ForeignKeyField(
        "storekeeper.ShipmentLine", related_name="packed", on_delete=fields.CASCADE
    )
    quantity = _quantity()

    class Meta:
        table = "sales_packed_line"
