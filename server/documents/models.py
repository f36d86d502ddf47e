"""Documents and their lines, number series and approval rules.

One header table and one line table serve every document type; a type declares its states and
transitions in code (``server.documents.types``), not in its own tables.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.catalog.models import Product
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Location
from server.partners.models import MONEY_DIGITS, MONEY_PLACES, Party, Store


def _money(*, default: int | None = None, null: bool = False) -> Any:
    return fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=default, null=null)  # type: ignore[call-overload]


def _quantity(*, null: bool = False) -> Any:
    return fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, null=null)  # type: ignore[call-overload]


class Document(Model):
    id = fields.BigIntField(primary_key=True)
    type = fields.CharField(max_length=32)
    number = fields.CharField(max_length=64, null=True)  # a gapless series numbers it when it is posted
    state = fields.CharField(max_length=32)
    reason = fields.CharField(max_length=32, null=True)  # why stock comes or goes (opening, gift, damage ...)
    store: fields.ForeignKeyRelation[Store] = fields.ForeignKeyField(
        "storekeeper.Store", related_name="documents", on_delete=fields.RESTRICT
    )
    party: fields.ForeignKeyNullableRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="documents", null=True, on_delete=fields.RESTRICT
    )
    business_date = fields.DateField()
    currency = fields.CharField(max_length=3)
    rate = fields.DecimalField(max_digits=18, decimal_places=8, null=True)  # fixed when confirmed
    prices_include_tax = fields.BooleanField(default=False)
    net = _money(default=0)
    tax = _money(default=0)
    gross = _money(default=0)
    notes = fields.TextField(default="")
    marks: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    reverses: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="reversed_by", null=True, on_delete=fields.RESTRICT
    )
    approved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="approved_documents", null=True, on_delete=fields.RESTRICT
    )
    approved_at = fields.DatetimeField(null=True)
    posted_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="created_documents", null=True, on_delete=fields.RESTRICT
    )
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="updated_documents", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    version = fields.IntField(default=1)  # an edit names the version it read; another one is STALE

    lines: fields.ReverseRelation[DocumentLine]

    class Meta:
        table = "document"
        # A number is unique in its store's series: two stores may number alike (a pattern needs no {store}).
        unique_together = (("store", "type", "number"),)
        indexes = (("type", "state"), ("store_id", "business_date"))


class DocumentLine(Model):
    id = fields.BigIntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="lines", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="document_lines", on_delete=fields.RESTRICT
    )
    quantity = _quantity()  # in ``unit``
    unit = fields.CharField(max_length=32)  # a unit of the product's category, or one of its packaging levels
    base_quantity = _quantity()  # in the product's base unit: what the ledger books
    price = _money(default=0)  # per ``unit``
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    tax_code = fields.CharField(max_length=16, null=True)
    tax_rate = fields.DecimalField(max_digits=7, decimal_places=4, default=0)  # percent
    net = _money(default=0)
    tax = _money(default=0)
    gross = _money(default=0)
    location: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="document_lines", null=True, on_delete=fields.RESTRICT
    )
    # Where a transfer's line takes the stock (``location`` is where it comes from).
    to_location: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="document_lines_to", null=True, on_delete=fields.RESTRICT
    )
    lot_code = fields.CharField(max_length=64, null=True)
    expires_on = fields.DateField(null=True)
    # The other dates of the lot an incoming line creates (see server/inventory/lots.py).
    best_before_on = fields.DateField(null=True)
    removal_on = fields.DateField(null=True)
    alert_on = fields.DateField(null=True)
    notes = fields.TextField(default="")

    class Meta:
        table = "document_line"
        unique_together = (("document", "position"),)


class DocumentLineLink(Model):
    """A line came from another (an order line from its quotation line, a return line from its delivery)."""

    id = fields.BigIntField(primary_key=True)
    line: fields.ForeignKeyRelation[DocumentLine] = fields.ForeignKeyField(
        "storekeeper.DocumentLine", related_name="sources", on_delete=fields.CASCADE
    )
    source: fields.ForeignKeyRelation[DocumentLine] = fields.ForeignKeyField(
        "storekeeper.DocumentLine", related_name="derived", on_delete=fields.RESTRICT
    )
    quantity = _quantity(null=True)

    class Meta:
        table = "document_line_link"
        unique_together = (("line", "source"),)


class NumberSeries(Model):
    """How one store numbers one document type: ``PO-{store}-{year}-{seq:05}``.

    A gapless series gives a number when the document is posted, as the last step of the posting's
    transaction, so its counter row is held only for the commit and a failed posting takes none.
    """

    id = fields.IntField(primary_key=True)
    store: fields.ForeignKeyRelation[Store] = fields.ForeignKeyField(
        "storekeeper.Store", related_name="number_series", on_delete=fields.CASCADE
    )
    document_type = fields.CharField(max_length=32)
    pattern = fields.CharField(max_length=64)
    gapless = fields.BooleanField(default=True)

    class Meta:
        table = "number_series"
        unique_together = (("store", "document_type"),)


class NumberCounter(Model):
    """The last number a series gave in one period (a year when its pattern has ``{year}``)."""

    id = fields.IntField(primary_key=True)
    series: fields.ForeignKeyRelation[NumberSeries] = fields.ForeignKeyField(
        "storekeeper.NumberSeries", related_name="counters", on_delete=fields.CASCADE
    )
    period = fields.CharField(max_length=8)  # "2026", or "" for a series that never restarts
    last_value = fields.IntField(default=0)

    class Meta:
        table = "number_counter"
        unique_together = (("series", "period"),)


class ApprovalRule(Model):
    """Confirming a document of this type in this store whose gross, in the company currency, is
    above ``threshold`` takes a user with the approve permission."""

    id = fields.IntField(primary_key=True)
    store: fields.ForeignKeyRelation[Store] = fields.ForeignKeyField(
        "storekeeper.Store", related_name="approval_rules", on_delete=fields.CASCADE
    )
    document_type = fields.CharField(max_length=32)
    threshold = _money()

    class Meta:
        table = "approval_rule"
        unique_together = (("store", "document_type"),)


class Attachment(Model):
    id = fields.BigIntField(primary_key=True)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="attachments", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=100)
    size = fields.IntField()  # bytes: shown without reading the content
    content = fields.BinaryField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document_attachment"
