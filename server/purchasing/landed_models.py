"""Landed costs: freight, duty or insurance spread over receipts, and the share each receipt line took.

A landed cost is an amount another party billed (a carrier, customs) added to the cost of goods
received. Each share is the part one receipt line took, in the company currency, rounded to the
cent: the last share takes the remainder, so the shares sum exactly to the amount.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.documents.models import Document, DocumentLine
from server.partners.models import Party

KINDS = ("freight", "duty", "insurance", "other")
SPLITS = ("quantity", "value", "weight")


def _money() -> fields.DecimalField:
    return fields.DecimalField(max_digits=20, decimal_places=4)


class LandedCost(Model):
    """An amount billed by a party that is part of what goods received cost, spread over receipts."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # freight | duty | insurance | other
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="landed_costs", on_delete=fields.RESTRICT
    )
    reference = fields.CharField(max_length=64, default="")  # the number of the party bill
    reason = fields.CharField(max_length=255, default="")
    amount = _money()  # in ``currency``
    currency = fields.CharField(max_length=3)
    rate = fields.DecimalField(max_digits=18, decimal_places=8)  # company units per 1 unit, on the day it was added
    amount_company = _money()  # rounded to the company currency, the sum of the shares
    split = fields.CharField(max_length=16)  # quantity | value | weight
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="landed_costs", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "landed_cost"


class LandedCostShare(Model):
    """The part of a landed cost one receipt line took, and the unit cost of its move before and after."""

    id = fields.BigIntField(primary_key=True)
    landed_cost: fields.ForeignKeyRelation[LandedCost] = fields.ForeignKeyField(
        "storekeeper.LandedCost", related_name="shares", on_delete=fields.CASCADE
    )
    receipt: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="landed_cost_shares", on_delete=fields.RESTRICT
    )
    line: fields.ForeignKeyRelation[DocumentLine] = fields.ForeignKeyField(
        "storekeeper.DocumentLine", related_name="landed_cost_shares", on_delete=fields.RESTRICT
    )
    move_id = fields.BigIntField(db_index=True)  # the receipt line's stock move, revalued
    quantity = fields.DecimalField(max_digits=18, decimal_places=4)  # the move's, in base units
    basis = fields.DecimalField(max_digits=24, decimal_places=6)  # its quantity, value or weight
    amount = _money()  # its share, in the company currency
    unit_cost_before = fields.DecimalField(max_digits=18, decimal_places=4)
    unit_cost_after = fields.DecimalField(max_digits=18, decimal_places=4)
    revalued = _money()  # what the part still on hand gained in value
    cost_of_goods = _money()  # what the part already gone added to the cost of goods

    class Meta:
        table = "landed_cost_share"
        indexes = (("receipt_id",),)
