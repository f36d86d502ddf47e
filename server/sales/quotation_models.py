"""What a sales quotation adds to its document: its validity, which version it is, and the order it became.

Every version of a quotation is a document of its own (lines, totals, PDF, state), so earlier versions stay
readable as they were sent. ``original`` is the first version (its own, for the first), ``previous`` the
version it revises; the current version is the one not revised.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from server.documents.models import Document


class SalesQuotation(Model):
    """A version of a sales quotation beyond its document: validity, revision and the order it became."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document id
    original: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="quotation_versions", on_delete=fields.RESTRICT
    )
    previous: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="quotation_revisions", null=True, on_delete=fields.RESTRICT
    )
    revision = fields.IntField(default=1)  # 1 for the first version
    valid_until = fields.DateField()  # the last day it may be accepted or ordered
    sent_at = fields.DatetimeField(null=True)
    order: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="from_quotations", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "sales_quotation"
        unique_together = (("original", "revision"),)
