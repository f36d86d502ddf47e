"""Finding sales orders."""

from __future__ import annotations

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from server.catalog.models import SKU
from server.documents.models import Document
from server.documents.service import NUMBER_PART, STATE
from server.partners.models import PARTY_CODE
from server.sales.models import Channel, Fulfillment, PaymentStatus, SalesOrder
from server.sales.orders import EXTERNAL_REFERENCE, ORDER


def find_orders(
    *, number: str | None = None, state: str | None = None, customer: str | None = None, sku: str | None = None,
    channel: str | None = None, external_reference: str | None = None, fulfillment: str | None = None,
    payment: str | None = None,
) -> QuerySet[Document]:  # fmt: skip
    """Sales orders matching every filter given; a value nothing can have finds nothing."""
    nothing = Document.filter(id__in=[])
    query = Document.filter(type=ORDER)
    for given, spec, lookup in ((number, NUMBER_PART, "number__icontains"), (state, STATE, "state"),
                                (customer, PARTY_CODE, "party__code"), (sku, SKU, "lines__product__sku")):  # fmt: skip
        if given is None or not given.strip():
            continue
        key = spec.key(given)
        if key is None:
            return nothing
        query = query.filter(**{lookup: key})
    if sku is not None and sku.strip():
        query = query.distinct()
    details: dict[str, object] = {}
    for given, enum, column in ((channel, Channel, "channel"), (fulfillment, Fulfillment, "fulfillment"),
                                (payment, PaymentStatus, "payment")):  # fmt: skip
        if given is not None:
            if given not in {member.value for member in enum}:
                return nothing
            details[column] = given
    if external_reference is not None:
        key = EXTERNAL_REFERENCE.key(external_reference)
        if key is None:
            return nothing
        details["external_reference"] = key
    if details:
        query = query.filter(id__in=Subquery(SalesOrder.filter(**details).values_list("id", flat=True)))
    return query
