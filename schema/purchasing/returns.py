"""Returns to the supplier: goods of a receipt sent back for a refund or to be replaced."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents.models import Document as DocumentRow
from server.errors import DomainError, Field
from server.purchasing import returns


@strawberry.enum(description="How the supplier makes good what goes back.")
class SupplierReturnMode(StrEnum):
    REFUND = returns.REFUND  # received and billable quantities go down
    REPLACE = returns.REPLACE  # the quantity is due again


@strawberry.input
class SupplierReturnLineInput:
    position: int = strawberry.field(description="The `position` of the receipt's line that goes back.")
    quantity: Decimal = strawberry.field(description="What goes back, in `unit`.")
    unit: str | None = strawberry.field(default=None, description="The receipt line's unit when not given.")
    location: str | None = strawberry.field(
        default=None, description="The bin it leaves: the one the receipt line brought it to when not given."
    )


@strawberry.input
class ReturnToSupplierInput:
    receipt: strawberry.ID = strawberry.field(description="The goods receipt (a Document id) the goods came with.")
    mode: SupplierReturnMode
    lines: list[SupplierReturnLineInput]
    reason: str = strawberry.field(description="Why they go back (kept as the return's notes).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type
class SupplierReturnPayload(Payload):
    supplier_return: Document | None = strawberry.field(default=None, description="The return, booked.")
    orders: list[Document] | None = strawberry.field(
        default=None, description="The orders whose lines it returns, as they are now."
    )


def receipt_id(raw: str, field: Field) -> int:
    """The row id in a goods receipt's global id; INVALID at ``field`` for what is no document's id."""
    try:
        return document_id(raw)
    except DomainError as error:
        raise error.at(field) from None


async def _shown(done: returns.Returned) -> SupplierReturnPayload:
    ids = [done.document.id, *(o.id for o in done.orders)]
    rows = {r.id: r for r in await DocumentRow.filter(id__in=ids).select_related("store", "party", "approved_by")}
    return SupplierReturnPayload(supplier_return=Document.from_model(rows[done.document.id]),
                                 orders=[Document.from_model(rows[o.id]) for o in done.orders])  # fmt: skip


@strawberry.type
class PurchaseReturnsMutation:
    @mutation(
        Permission.PURCHASING_MANAGE,
        description="Send goods of a receipt back to the supplier, booked now at the cost they were received at.",
    )
    async def return_to_supplier(self, info: Info, input: ReturnToSupplierInput) -> SupplierReturnPayload:
        return await answer(
            SupplierReturnPayload,
            lambda: returns.return_to_supplier(
                receipt_id(input.receipt, "receipt"), input.mode.value, input.reason,
                [returns.ReturnLineInput(line.position, line.quantity, line.unit, line.location)
                 for line in input.lines],
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip
