"""How a store's documents look on paper: one print template per store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from server.text import Text, column_length

if TYPE_CHECKING:
    from server.partners.models import Store


class PrintTemplate(Model):
    """The letterhead and line table of one store (a store without one prints with the default template)."""

    id = fields.IntField(primary_key=True)
    store: fields.OneToOneRelation[Store] = fields.OneToOneField(
        "storekeeper.Store", related_name="print_template", on_delete=fields.CASCADE
    )
    logo = fields.BinaryField(null=True)  # PNG or JPEG, checked on upload (server.printing.logo)
    address = fields.TextField(default="")  # printed under the logo; empty: the store's own address
    footer = fields.CharField(max_length=500, default="")  # on every page
    columns: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]  # server.printing.view.COLUMNS
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "print_template"


MAX_ADDRESS = 500  # a TextField: the limit is ours, a few lines of a letterhead
ADDRESS = Text("address", MAX_ADDRESS, multiline=True)
FOOTER = Text("footer", column_length(PrintTemplate, "footer"), multiline=True)
