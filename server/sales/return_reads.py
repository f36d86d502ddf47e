"""Reading customer returns: one with its lines, and the returns of an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server import sql
from server.db import connection
from server.inventory import quantities
from server.sales.returns import RETURN

_MONEY_STEP = Decimal("0.0001")  # as the column keeps it (SQLite hands back what was written)


@dataclass(frozen=True)
class ReturnLineView:
    position: int
    order_position: int
    sku: str
    lot: str | None
    warehouse: str
    quantity: Decimal
    unit_cost: Decimal
    restocked: Decimal
    restocked_to: str | None
    scrapped: Decimal
    scrap_reason: str | None


@dataclass(frozen=True)
class ReturnView:
    id: int
    number: str
    state: str
    version: int
    order_id: int
    order_number: str
    customer: str
    reason: str
    received_at: datetime | None
    inspected_at: datetime | None
    refunded: Decimal
    currency: str
    lines: list[ReturnLineView]


def _when(value: object) -> datetime | None:
    return None if value is None else sql.as_datetime(value)


async def return_view(document_id: int) -> ReturnView | None:
    conn = connection()
    head = await sql.fetch_one(
        conn,
        "SELECT d.id, d.number, d.state, d.version, d.notes, d.currency, r.order_id, o.number AS order_number,"
        " p.code AS customer, r.received_at, r.inspected_at, r.refunded FROM document d"
        " JOIN sales_return r ON r.id = d.id JOIN document o ON o.id = r.order_id JOIN party p ON p.id = d.party_id"
        " WHERE d.id = $1 AND d.type = $2",
        document_id, RETURN,
    )  # fmt: skip
    if head is None:
        return None
    rows = await sql.fetch(
        conn,
        "SELECT l.position, ol.position AS order_position, pr.sku, lot.code AS lot, w.code AS warehouse, r.quantity,"
        " r.unit_cost, r.restocked, loc.code AS restocked_to, r.scrapped, r.scrap_reason FROM sales_return_line r"
        " JOIN document_line l ON l.id = r.id JOIN document_line ol ON ol.id = r.order_line_id"
        " JOIN product pr ON pr.id = l.product_id JOIN stock_move m ON m.id = r.move_id"
        " LEFT JOIN lot ON lot.id = m.lot_id JOIN warehouse w ON w.id = r.warehouse_id"
        " LEFT JOIN location loc ON loc.id = r.restocked_to_id WHERE r.sales_return_id = $1 ORDER BY l.position",
        document_id,
    )  # fmt: skip
    q = quantities.from_db
    return ReturnView(
        int(head["id"]), head["number"] or "", head["state"], int(head["version"]), int(head["order_id"]),
        head["order_number"] or "", head["customer"], head["notes"] or "", _when(head["received_at"]),
        _when(head["inspected_at"]), Decimal(str(head["refunded"])).quantize(_MONEY_STEP), head["currency"],
        [ReturnLineView(int(r["position"]), int(r["order_position"]), r["sku"], r["lot"], r["warehouse"],
                        q(r["quantity"]), q(r["unit_cost"]), q(r["restocked"]), r["restocked_to"], q(r["scrapped"]),
                        r["scrap_reason"]) for r in rows],
    )  # fmt: skip


async def returns_of(order_id: int, limit: int) -> list[int]:
    """The returns of an order, oldest first."""
    rows = await sql.fetch(connection(), "SELECT id FROM sales_return WHERE order_id = $1 ORDER BY id LIMIT $2",
                           order_id, limit)  # fmt: skip
    return [int(r["id"]) for r in rows]
