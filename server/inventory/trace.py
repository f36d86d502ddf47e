"""Traceability: every move of a lot or serial in the order it was booked, with the packages it left
and arrived in and the document and partner behind it. Where it came from is its moves out of a
supplier location (receipts); where it went, its moves into the customer location (sales, outbound
documents); a recall reads those two, an audit every step between.

A serial is a lot of a serial product (``server.inventory.serials``): one trace serves both.
The moves of a lot are found through a partial index on ``stock_move.lot_id`` (migration 0008), so a
trace reads only that lot's moves however long the ledger grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from server import sql
from server.catalog.models import SKU
from server.db import connection
from server.errors import NotFound
from server.inventory import quantities
from server.inventory.models import LOT_CODE, LocationKind
from server.text import shown


class TraceEnd(StrEnum):
    ORIGINS = "origins"  # moves out of a supplier: receipts
    DESTINATIONS = "destinations"  # moves into the customer location: what customers got


@dataclass(frozen=True)
class TraceStep:
    id: int  # the move's id
    effective_at: datetime
    kind: str
    reason: str | None
    quantity: Decimal
    from_location_code: str
    from_location_kind: str
    to_location_code: str
    to_location_kind: str
    from_package_sscc: str | None
    to_package_sscc: str | None
    document_type: str | None
    document_id: int | None
    document_number: str | None
    party_code: str | None
    party_name: str | None


_ENDS = {
    TraceEnd.ORIGINS: f" AND fl.kind = '{LocationKind.SUPPLIER.value}'",
    TraceEnd.DESTINATIONS: f" AND tl.kind = '{LocationKind.CUSTOMER.value}'",
}


async def lot_trace(
    sku: str, lot: str, *, only: TraceEnd | None = None, after_id: int | None = None, limit: int = 100
) -> list[TraceStep]:
    """The first ``limit`` moves of the lot ``lot`` of ``sku`` after the move ``after_id``, oldest
    first (``only``: its origins or its destinations); NOT_FOUND for a product or lot no row has."""
    conn = connection()
    sku_key, lot_key = SKU.key(sku), LOT_CODE.key(lot)
    product = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", sku_key) if sku_key else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    found = (
        await sql.fetch_one(conn, "SELECT id FROM lot WHERE product_id = $1 AND code = $2", product["id"], lot_key)
        if lot_key
        else None
    )
    if found is None:
        raise NotFound(f"{shown(sku)} has no lot or serial {shown(lot)}.", field="lot")
    rows = await sql.fetch(
        conn,
        "SELECT m.id, m.effective_at, m.created_at, m.kind, m.reason, m.quantity, fl.code AS from_code,"
        " fl.kind AS from_kind, tl.code AS to_code, tl.kind AS to_kind, fp.sscc AS from_sscc, tp.sscc AS to_sscc,"
        " m.document_type, m.document_id, d.number AS document_number, p.code AS party_code, p.name AS party_name"
        " FROM stock_move m JOIN location fl ON fl.id = m.from_location_id JOIN location tl ON tl.id = m.to_location_id"
        " LEFT JOIN package fp ON fp.id = m.from_package_id LEFT JOIN package tp ON tp.id = m.to_package_id"
        " LEFT JOIN document d ON d.id = m.document_id LEFT JOIN party p ON p.id = d.party_id"
        f" WHERE m.lot_id = $1 AND m.id > $2{_ENDS[only] if only else ''} ORDER BY m.id LIMIT $3",
        found["id"], after_id or 0, limit,
    )  # fmt: skip
    return [_step(row) for row in rows]


def _step(row: dict[str, Any]) -> TraceStep:
    return TraceStep(
        id=int(row["id"]), effective_at=sql.as_datetime(row["effective_at"] or row["created_at"]),
        kind=row["kind"], reason=row["reason"], quantity=quantities.from_db(row["quantity"]),
        from_location_code=row["from_code"], from_location_kind=row["from_kind"], to_location_code=row["to_code"],
        to_location_kind=row["to_kind"], from_package_sscc=row["from_sscc"], to_package_sscc=row["to_sscc"],
        document_type=row["document_type"], document_id=row["document_id"], document_number=row["document_number"],
        party_code=row["party_code"], party_name=row["party_name"],
    )  # fmt: skip
