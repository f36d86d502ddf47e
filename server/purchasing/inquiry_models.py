"""What an inquiry (a request for quotation) adds to its document: the suppliers asked, their quotes, and
which quote each line was ordered from.

The inquiry's header and lines are the kernel's (``document`` of type ``purchase.inquiry``, ``document_line``):
what is wanted, in which unit. ``purchase_inquiry`` keeps the warehouse the goods would go to,
``inquiry_supplier`` who was asked, ``supplier_quote`` each answer per line, and ``inquiry_choice`` the quote
a line was ordered from: one per line (a unique key), so a line is never ordered twice.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.documents.models import Document, DocumentLine
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Warehouse
from server.partners.models import MONEY_DIGITS, MONEY_PLACES, Party


def _quantity(*, null: bool = False) -> Any:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, null=null)  # type: ignore[call-overload]


class PurchaseInquiry(Model):
    """An inquiry beyond its document: the warehouse the goods would go to and the day answers are due."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document's id
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="purchase_inquiries", on_delete=fields.RESTRICT
    )
    reply_by = fields.DateField(null=True)

    class Meta:
        table = "purchase_inquiry"


class InquirySupplier(Model):
    """A supplier an inquiry asks, and when the inquiry was mailed to it (None: not mailed)."""

    id = fields.BigIntField(primary_key=True)
    inquiry: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="inquiry_suppliers", on_delete=fields.CASCADE
    )
    supplier: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="inquiries", on_delete=fields.RESTRICT
    )
    mailed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inquiry_supplier"
        unique_together = (("inquiry", "supplier"),)


class SupplierQuote(Model):
    """One supplier's answer for one inquiry line: a price per unit or pack in a currency, or a decline.

    ``unit_base`` is how many base units one ``unit`` holds, fixed when the quote is recorded, so quotes
    per piece and per case compare per base unit."""

    id = fields.BigIntField(primary_key=True)
    inquiry: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="quotes", on_delete=fields.CASCADE
    )
    line: fields.ForeignKeyRelation[DocumentLine] = fields.ForeignKeyField(
        "storekeeper.DocumentLine", related_name="quotes", on_delete=fields.CASCADE
    )
    supplier: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="quotes", on_delete=fields.RESTRICT
    )
    declined = fields.BooleanField(default=False)
    price = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=True)  # per ``unit``
    unit = fields.CharField(max_length=32, null=True)
    unit_base = _quantity(null=True)
    currency = fields.CharField(max_length=3, null=True)
    lead_time_days = fields.IntField(null=True)
    valid_until = fields.DateField(null=True)
    min_quantity = _quantity(null=True)  # in ``unit``
    recorded_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "supplier_quote"
        unique_together = (("line", "supplier"),)


class InquiryChoice(Model):
    """The quote an inquiry line was ordered from, and the order made of it: one per line."""

    id = fields.BigIntField(primary_key=True)
    line: fields.OneToOneRelation[DocumentLine] = fields.OneToOneField(
        "storekeeper.DocumentLine", related_name="inquiry_choice", on_delete=fields.CASCADE
    )
    quote: fields.ForeignKeyRelation[SupplierQuote] = fields.ForeignKeyField(
        "storekeeper.SupplierQuote", related_name="choices", on_delete=fields.RESTRICT
    )
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="inquiry_choices", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "inquiry_choice"
