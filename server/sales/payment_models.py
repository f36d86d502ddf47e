"""Payments and refunds of sales orders: one row each, never changed after it is written.

``sales_order.paid`` is the sum of an order's rows (payments less refunds), kept under the order's lock.
Each row keeps the idempotency key it was booked with, unique per order: a retry finds it even after the
key's own record has expired, so money is never booked twice.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.documents.models import Document
from server.partners.models import MONEY_DIGITS, MONEY_PLACES


class PaymentKind(StrEnum):
    PAYMENT = "payment"  # money from the customer
    REFUND = "refund"  # money back to them


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    CASH_ON_DELIVERY = "cash_on_delivery"  # collected by the carrier when the goods arrive
    # DEPOSIT = "deposit": the customer's prepaid deposit comes with the CRM work; a payment of that method will
    # draw on the deposit in the payment's own transaction (see server.sales.payments.book_within).


class SalesPayment(Model):
    """A payment received for a sales order, or a refund of one, in the order currency."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "storekeeper.Document", related_name="sales_payments", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(PaymentKind, max_length=16)
    method = fields.CharEnumField(PaymentMethod, max_length=32)
    amount = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)  # always above zero
    currency = fields.CharField(max_length=3)  # the order currency when it was booked
    reference = fields.CharField(max_length=64, default="")  # a card slip, a bank statement line
    note = fields.TextField(default="")
    received_on = fields.DateField()  # its business date
    idempotency_key = fields.CharField(max_length=255)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="sales_payments", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sales_payment"
        unique_together = (("order", "idempotency_key"),)
        indexes = (("received_on",),)
