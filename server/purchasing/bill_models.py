"""What a supplier bill adds to its document: the supplier's number, the match, what is due and when.

The bill's header and lines are the kernel's (``document``, ``document_line``); each bill line is linked
to the order line it bills (``document_line_link``: line = the bill's line, source = the order's line,
quantity = base units billed). ``purchase_bill`` keeps what only a bill has.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.partners.models import MONEY_DIGITS, MONEY_PLACES


def _money() -> Any:
    return fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=0)  # type: ignore[call-overload]


class PurchaseBill(Model):
    """A supplier bill beyond its document: why it is held, who released it, when it is due, what it changed.

    Amounts in the bill currency but for the two differences, which are in the company currency."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document id
    supplier_reference = fields.CharField(max_length=64, default="")  # the number on the supplier invoice
    due_on = fields.DateField()
    discount_on = fields.DateField(null=True)  # paid by this day, discount_amount less is due (None: no discount)
    discount_amount = _money()
    # Why the match held it: a list of objects with position, kind (price or quantity) and message.
    hold_reasons: list[dict[str, Any]] = fields.JSONField(default=list)  # type: ignore[assignment]
    released_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="released_bills", null=True, on_delete=fields.RESTRICT
    )
    released_at = fields.DatetimeField(null=True)
    price_difference = _money()  # what the revaluations of its receipts came to (stock value and cost of goods)
    exchange_difference = _money()  # billed at the rate of the bill date less at the rate of each receipt date
    paid = _money()  # payments come later: until then every posted bill is open

    class Meta:
        table = "purchase_bill"
        indexes = (("due_on",),)
