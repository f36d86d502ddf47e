"""Reading purchase orders: finding them, what is on order per product, and the receipts of an order."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.models import SKU
from server.clock import today
from server.db import connection
from server.documents.models import Document
from server.documents.service import NUMBER_PART, STATE
from server.inventory import quantities
from server.inventory.availability import Incoming, register_incoming
from server.inventory.models import WAREHOUSE_CODE
from server.partners.models import PARTY_CODE
from server.purchasing.models import PurchaseOrder
from server.purchasing.orders import OPEN, ORDER, RECEIPT, due_of

_OPEN_STATES = sorted(OPEN)
_DUE_COLUMNS = (
    "l.base_quantity, p.received, p.returned_refund, p.returned_replace, p.cancelled, d.id, d.type, d.number,"
    " o.expected_on, w.code AS warehouse_code, loc.code AS location_code"
)
_DUE_FROM = (
    " FROM document_line l JOIN document d ON d.id = l.document_id JOIN purchase_order o ON o.id = d.id"
    " JOIN warehouse w ON w.id = o.warehouse_id LEFT JOIN purchase_line p ON p.id = l.id"
    " LEFT JOIN location loc ON loc.id = COALESCE(l.location_id, o.receive_into_id)"
)


async def _on_order(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int | None, limit: int) -> list[Incoming]:
    """What open purchase orders still bring of a product, by the day each is expected."""
    states = sql.placeholders(2, len(_OPEN_STATES))
    query = f"SELECT {_DUE_COLUMNS}{_DUE_FROM} WHERE l.product_id = $1 AND d.type = '{ORDER}' AND d.state IN ({states})"
    params: list[object] = [product_id, *_OPEN_STATES]
    if warehouse_id is not None:
        query += f" AND o.warehouse_id = ${len(params) + 1}"
        params.append(warehouse_id)
    incoming: list[Incoming] = []
    # Due is worked out here (SQLite keeps decimals as text): lines with nothing due are passed over.
    for row in await sql.fetch(conn, query + " ORDER BY o.expected_on, d.id, l.position", *params):
        due = due_of(quantities.from_db(row["base_quantity"]), row)
        if due <= 0:
            continue
        incoming.append(Incoming(
            document_type=row["type"], document_id=int(row["id"]), document_number=row["number"],
            warehouse_code=row["warehouse_code"], location_code=row["location_code"], quantity=due,
            expected_on=sql.as_date(row["expected_on"]) or today(),
        ))  # fmt: skip
        if len(incoming) == limit:
            break
    return incoming


register_incoming(ORDER, _on_order)


def find_orders(
    *, state: str | None = None, supplier: str | None = None, sku: str | None = None,
    expected_from: date | None = None, expected_to: date | None = None, warehouse: str | None = None,
    late: bool = False, open_only: bool = False, number: str | None = None,
) -> QuerySet[Document]:  # fmt: skip
    """Purchase orders matching every filter given (none for a code nobody can have). ``open_only``: orders
    still to be received (confirmed, sent, partly received); ``late``: open ones whose expected day passed."""
    query = Document.filter(type=ORDER)
    if number is not None and number.strip():
        key = NUMBER_PART.key(number)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(number__icontains=key)
    if state is not None:
        key = STATE.key(state)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(state=key)
    if supplier is not None:
        key = PARTY_CODE.key(supplier)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(party__code=key)
    if sku is not None:
        key = SKU.key(sku)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(lines__product__sku=key).distinct()
    if warehouse is not None:
        key = WAREHOUSE_CODE.key(warehouse)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(id__in=Subquery(_ids_in_warehouse(key)))
    if expected_from is not None or expected_to is not None or late:
        query = query.filter(id__in=Subquery(_ids_expected(expected_from, expected_to, late)))
    if late or open_only:
        query = query.filter(state__in=_OPEN_STATES)
    return query


def _ids_in_warehouse(code: str) -> Any:
    return PurchaseOrder.filter(warehouse__code=code).values_list("id", flat=True)


def _ids_expected(start: date | None, end: date | None, late: bool) -> Any:
    query = PurchaseOrder.all()
    if start is not None:
        query = query.filter(expected_on__gte=start)
    if end is not None:
        query = query.filter(expected_on__lte=end)
    if late:
        query = query.filter(expected_on__lt=today())
    return query.values_list("id", flat=True)


async def receipt_ids_of(order_ids: list[int]) -> dict[int, list[int]]:
    """Per order, the receipts that filled its lines, oldest first."""
    return await linked_ids_of(order_ids, RECEIPT)


async def bill_ids_of(order_ids: list[int]) -> dict[int, list[int]]:
    """Per order, the supplier bills of its lines (cancelled ones too: their state says so), oldest first."""
    return await linked_ids_of(order_ids, "purchase.bill")


async def linked_ids_of(order_ids: list[int], document_type: str) -> dict[int, list[int]]:
    """Per order, the documents of ``document_type`` whose lines point at its lines, oldest first."""
    found: dict[int, list[int]] = {i: [] for i in order_ids}
    for chunk in sql.chunks(sorted(set(order_ids))):
        rows = await sql.fetch(
            connection(),
            "SELECT DISTINCT ol.document_id AS order_id, rl.document_id AS linked_id FROM document_line_link k"
            " JOIN document_line ol ON ol.id = k.source_id JOIN document_line rl ON rl.id = k.line_id"
            " JOIN document r ON r.id = rl.document_id WHERE r.type = $1"
            f" AND ol.document_id IN ({sql.placeholders(2, len(chunk))}) ORDER BY rl.document_id",
            document_type, *chunk,
        )  # fmt: skip
        for row in rows:
            found[int(row["order_id"])].append(int(row["linked_id"]))
    return found
