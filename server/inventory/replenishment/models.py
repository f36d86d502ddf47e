"""The replenishment tables: the rules per pick bin and product, and the draft each warehouse's run keeps."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.catalog.models import Product
from server.documents.models import Document
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Location, Warehouse


class ReplenishmentRule(Model):
    """Keep ``product`` in the pick bin ``location`` between ``minimum`` and ``maximum`` (base units): at or below
    the minimum, a run proposes to refill it up to the maximum from reserve (``source`` and below, else any
    reserve storage of the warehouse)."""

    id = fields.IntField(primary_key=True)
    # The bin's warehouse, kept here so a run reads its warehouse's rules by index.
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="replenishment_rules", on_delete=fields.CASCADE
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="replenishment_rules", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="replenishment_rules", on_delete=fields.CASCADE
    )
    minimum = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    maximum = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    source: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="replenishment_sources", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "replenishment_rule"
        unique_together = (("location", "product"),)
        indexes = (("warehouse_id", "product_id"),)


class ReplenishmentProposal(Model):
    """The draft transfer a warehouse's runs keep up to date, at the version the last run left it.

    Once a person edits, confirms or cancels it, its version moves on: it is theirs, and the next run
    that finds something to refill makes a new draft. One row per warehouse: two runs cannot both keep one.
    """

    id = fields.IntField(primary_key=True)
    warehouse: fields.OneToOneRelation[Warehouse] = fields.OneToOneField(
        "storekeeper.Warehouse", related_name="replenishment_proposal", on_delete=fields.CASCADE
    )
    document: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="replenishment_proposals", null=True, on_delete=fields.SET_NULL
    )
    version = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "replenishment_proposal"
