"""The tables of customer returns (RMA): what each return takes back of which shipment move, what its
inspection did with it, and the returns location of each warehouse.

A return (``sales.return``) is a document on the kernel: its header, number and lines (product, quantity,
price) are the kernel's. These rows keep what only a return has: the order it returns goods of, and per
line the order line and the shipment move the goods left with, whose cost of goods they come back at.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.documents.models import Document, DocumentLine
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Location, StockMove, Warehouse
from server.partners.models import MONEY_DIGITS, MONEY_PLACES


def _quantity() -> Any:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)  # type: ignore[call-overload]


class ReturnsLocation(Model):
    """Where a warehouse takes returned goods in to be inspected: a real location that is not sellable (quality
    control), made on the first return received there. Its row lock makes that once."""

    id = fields.IntField(primary_key=True)
    warehouse: fields.OneToOneRelation[Warehouse] = fields.OneToOneField(
        "storekeeper.Warehouse", related_name="returns_location", on_delete=fields.CASCADE
    )
    location: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="returns_of", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "sales_returns_location"


class SalesReturn(Model):
    """A customer return beyond its document: the order whose shipped goods come back, and its progress."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document id
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="sales_returns", on_delete=fields.RESTRICT
    )
    received_at = fields.DatetimeField(null=True)
    inspected_at = fields.DatetimeField(null=True)
    # Paid back with it, in the order currency (a refund booked on the order when it was inspected).
    refunded = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=0)  # type: ignore[call-overload]

    class Meta:
        table = "sales_return"
        indexes = (("order_id",),)


class SalesReturnLine(Model):
    """What one return line takes back, in base units: of one order line, from one shipment move (its lot, its
    warehouse, its cost of goods), and what inspection did with it."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document line id
    sales_return: fields.ForeignKeyRelation[SalesReturn] = fields.ForeignKeyField(
        "storekeeper.SalesReturn", related_name="lines", on_delete=fields.CASCADE
    )
    order_line: fields.ForeignKeyRelation[DocumentLine] = fields.ForeignKeyField(
        "storekeeper.DocumentLine", related_name="sales_return_lines", on_delete=fields.RESTRICT
    )
    move: fields.ForeignKeyRelation[StockMove] = fields.ForeignKeyField(
        "storekeeper.StockMove", related_name="sales_return_lines", on_delete=fields.RESTRICT
    )
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="sales_return_lines", on_delete=fields.RESTRICT
    )
    quantity = _quantity()
    unit_cost = fields.DecimalField(max_digits=18, decimal_places=4)  # the shipment move's cost of goods
    restocked = _quantity()
    restocked_to: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="restocked_returns", null=True, on_delete=fields.RESTRICT
    )
    scrapped = _quantity()
    scrap_reason = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "sales_return_line"
        indexes = (("order_line_id",), ("move_id",))
