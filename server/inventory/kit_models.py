"""The bill of materials of a kit: which components, and how many base units of each, make one kit.

A product is a kit while it has components. A component may be a kit itself (a sub-assembly), held in
stock as any product: assembling a kit takes the sub-kit from the shelf, never its own components.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.catalog.models import Product
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES


class KitComponent(Model):
    """``quantity`` base units of ``component`` go into one unit of ``kit``."""

    id = fields.IntField(primary_key=True)
    kit: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="kit_components", on_delete=fields.RESTRICT
    )
    component: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="used_in_kits", on_delete=fields.RESTRICT
    )
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)  # > 0
    position = fields.SmallIntField()  # its place in the kit's list, from 1: the last takes a split's remainder

    class Meta:
        table = "kit_component"
        unique_together = (("kit", "component"),)


class KitShare(Model):
    """What the components of the kits of ``kit`` in one warehouse were worth when they went in (``value``,
    summed over assemblies, less what disassemblies gave back): taking a kit apart shares its value by these,
    so each component gets back what it brought, whatever its cost is now."""

    id = fields.BigIntField(primary_key=True)
    kit: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="kit_shares", on_delete=fields.RESTRICT
    )
    warehouse_id = fields.IntField()
    component: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="shares_in_kits", on_delete=fields.RESTRICT
    )
    value = fields.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        table = "kit_share"
        unique_together = (("kit", "warehouse_id", "component"),)
