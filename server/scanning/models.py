"""The scan log: every code a handheld scanned, as read, and the stock move it caused."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.inventory.models import StockMove
from server.text import Text, column_length


class Scan(Model):
    """A code the handheld scanned, as it was read, and the stock move it caused (if any)."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=512)
    symbology = fields.CharField(max_length=32, null=True)
    device = fields.CharField(max_length=64, null=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="scans", null=True
    )
    move: fields.ForeignKeyNullableRelation[StockMove] = fields.ForeignKeyField(
        "storekeeper.StockMove", related_name="scans", null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "scan"


# What a caller may send for each column (see server/text.py); the code itself is kept as read.
SYMBOLOGY = Text("symbology", column_length(Scan, "symbology"))
DEVICE = Text("device", column_length(Scan, "device"))
LOGGED_CODE_LENGTH = column_length(Scan, "code")
