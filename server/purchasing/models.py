"""What a purchase order adds to its document, and how far each of its lines has come.

The order's header and lines are the kernel's (``document``, ``document_line``); ``purchase_order``
keeps what only an order has (the warehouse it is for, when it is expected, its revision), and
``purchase_line`` what its lines have come to, in the product's base unit: counted there, under the
line's row lock, so that receipts at once never take a line past its tolerance.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.documents.models import Document
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Location, Warehouse


def _quantity(*, default: int | None = 0) -> Any:
    return fields.DecimalField(  # type: ignore[call-overload]
        max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=default
    )


class PurchaseOrder(Model):
    """A purchase order beyond its document: where the goods go, when they are due, which revision was sent."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document's id
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="purchase_orders", on_delete=fields.RESTRICT
    )
    # Where receipts go when neither the scan nor the line names a bin (None: the putaway suggestion).
    receive_into: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="purchase_orders", null=True, on_delete=fields.RESTRICT
    )
    expected_on = fields.DateField()
    supplier_reference = fields.CharField(max_length=64, default="")
    revision = fields.IntField(default=0)  # raised by every amendment of a confirmed order
    sent_revision = fields.IntField(null=True)  # the revision the supplier last got (None: never sent)

    class Meta:
        table = "purchase_order"
        indexes = (("warehouse_id", "expected_on"),)


class PurchaseLine(Model):
    """How far one order line has come, in base units (what was ordered is on its document line).

    Due = ordered - cancelled - (received - returned_replace). A refund return lowers what is here and
    what may be billed, and is not due again: a replacement return makes the quantity due again."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document line's id (made at the first receipt)
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="purchase_lines", on_delete=fields.CASCADE
    )
    received = _quantity()
    returned_refund = _quantity()
    returned_replace = _quantity()
    cancelled = _quantity()  # closed short: never coming
    billed = _quantity()

    class Meta:
        table = "purchase_line"
