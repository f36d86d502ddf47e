"""Reading fulfillment: a pick list or a shipment with its lines, open pick lists and draft shipments of a
warehouse, the shipments of an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server import sql
from server.db import connection
from server.inventory import quantities
from server.inventory.models import WAREHOUSE_CODE
from server.sales.fulfillment_kinds import PICK, SHIPMENT


@dataclass(frozen=True)
class PickLineView:
    position: int
    order_id: int
    order_number: str
    sku: str
    location: str
    lot: str | None
    quantity: Decimal
    picked: Decimal
    short: Decimal
    reason: str | None


@dataclass(frozen=True)
class PickListView:
    id: int
    number: str
    state: str
    version: int
    warehouse: str
    wave: bool
    claimed_by: str | None
    claimed_at: datetime | None
    lines: list[PickLineView]


@dataclass(frozen=True)
class ShipmentLineView:
    position: int
    sku: str
    location: str
    lot: str | None
    quantity: Decimal
    packed: Decimal


@dataclass(frozen=True)
class PackageView:
    number: int
    packaging: str
    weight_kg: Decimal
    sscc: str | None


@dataclass(frozen=True)
class ShipmentDetailsView:
    id: int
    number: str
    state: str
    version: int
    order_id: int
    order_number: str
    warehouse: str
    steps: int
    carrier: str | None
    shipping_method: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    lines: list[ShipmentLineView]
    packages: list[PackageView]


def _q(value: object) -> Decimal:
    return quantities.from_db(value)


async def pick_list_view(document_id: int) -> PickListView | None:
    conn = connection()
    head = await sql.fetch_one(
        conn,
        "SELECT d.id, d.number, d.state, d.version, w.code AS warehouse, p.wave, u.username, p.claimed_at"
        " FROM document d JOIN sales_pick_list p ON p.id = d.id JOIN warehouse w ON w.id = p.warehouse_id"
        " LEFT JOIN app_user u ON u.id = p.claimed_by_id WHERE d.id = $1 AND d.type = $2",
        document_id, PICK,
    )  # fmt: skip
    if head is None:
        return None
    rows = await sql.fetch(
        conn,
        "SELECT l.position, p.order_id, o.number AS order_number, pr.sku, loc.code AS location, lot.code AS lot,"
        " p.quantity, p.picked, p.short, p.reason FROM sales_pick_line p JOIN document_line l ON l.id = p.id"
        " JOIN document o ON o.id = p.order_id JOIN product pr ON pr.id = l.product_id"
        " JOIN location loc ON loc.id = p.location_id LEFT JOIN lot ON lot.id = p.lot_id"
        " WHERE p.pick_list_id = $1 ORDER BY l.position",
        document_id,
    )
    return PickListView(
        int(head["id"]), head["number"] or "", head["state"], int(head["version"]), head["warehouse"],
        bool(head["wave"]), head["username"], None if head["claimed_at"] is None else sql.as_datetime(
            head["claimed_at"]),
        [PickLineView(int(r["position"]), int(r["order_id"]), r["order_number"] or "", r["sku"], r["location"],
                      r["lot"], _q(r["quantity"]), _q(r["picked"]), _q(r["short"]), r["reason"]) for r in rows],
    )  # fmt: skip


async def open_pick_lists(warehouse_code: str, limit: int) -> list[int]:
    """The draft pick lists of a warehouse, oldest first: unclaimed ones before claimed ones."""
    key = WAREHOUSE_CODE.key(warehouse_code)
    if key is None:
        return []
    rows = await sql.fetch(
        connection(),
        "SELECT d.id FROM document d JOIN sales_pick_list p ON p.id = d.id JOIN warehouse w ON w.id = p.warehouse_id"
        " WHERE w.code = $1 AND d.state = 'draft' ORDER BY CASE WHEN p.claimed_by_id IS NULL THEN 0 ELSE 1 END, d.id"
        " LIMIT $2",
        key, limit,
    )  # fmt: skip
    return [int(r["id"]) for r in rows]


async def open_shipments(warehouse_code: str, limit: int) -> list[int]:
    """The draft shipments of a warehouse, oldest first."""
    key = WAREHOUSE_CODE.key(warehouse_code)
    if key is None:
        return []
    rows = await sql.fetch(
        connection(),
        "SELECT d.id FROM document d JOIN sales_shipment s ON s.id = d.id JOIN warehouse w ON w.id = s.warehouse_id"
        " WHERE w.code = $1 AND d.state = 'draft' ORDER BY d.id LIMIT $2",
        key, limit,
    )  # fmt: skip
    return [int(r["id"]) for r in rows]


async def shipment_details(document_id: int) -> ShipmentDetailsView | None:
    conn = connection()
    head = await sql.fetch_one(
        conn,
        "SELECT d.id, d.number, d.state, d.version, s.order_id, o.number AS order_number, w.code AS warehouse,"
        " s.steps, c.code AS carrier, s.shipping_method, s.tracking_number, s.shipped_at FROM document d"
        " JOIN sales_shipment s ON s.id = d.id JOIN document o ON o.id = s.order_id"
        " JOIN warehouse w ON w.id = s.warehouse_id LEFT JOIN party c ON c.id = s.carrier_id"
        " WHERE d.id = $1 AND d.type = $2",
        document_id, SHIPMENT,
    )  # fmt: skip
    if head is None:
        return None
    rows = await sql.fetch(
        conn,
        "SELECT l.position, pr.sku, loc.code AS location, lot.code AS lot, s.quantity,"
        " (SELECT COALESCE(SUM(k.quantity), 0) FROM sales_packed_line k WHERE k.line_id = s.id) AS packed"
        " FROM sales_shipment_line s JOIN document_line l ON l.id = s.id JOIN product pr ON pr.id = l.product_id"
        " JOIN location loc ON loc.id = s.location_id LEFT JOIN lot ON lot.id = s.lot_id"
        " WHERE s.shipment_id = $1 ORDER BY l.position",
        document_id,
    )
    packages = await sql.fetch(conn, "SELECT number, packaging, weight_kg, sscc FROM sales_shipment_package"
                                     " WHERE shipment_id = $1 ORDER BY number", document_id)  # fmt: skip
    return ShipmentDetailsView(
        int(head["id"]), head["number"] or "", head["state"], int(head["version"]), int(head["order_id"]),
        head["order_number"] or "", head["warehouse"], int(head["steps"]), head["carrier"], head["shipping_method"],
        head["tracking_number"], None if head["shipped_at"] is None else sql.as_datetime(head["shipped_at"]),
        [ShipmentLineView(int(r["position"]), r["sku"], r["location"], r["lot"], _q(r["quantity"]), _q(r["packed"]))
         for r in rows],
        [PackageView(int(p["number"]), p["packaging"], Decimal(str(p["weight_kg"])), p["sscc"]) for p in packages],
    )  # fmt: skip


async def shipments_of(order_id: int, limit: int) -> list[int]:
    rows = await sql.fetch(connection(), "SELECT id FROM sales_shipment WHERE order_id = $1 ORDER BY id LIMIT $2",
                           order_id, limit)  # fmt: skip
    return [int(r["id"]) for r in rows]
