"""What can be sold or reserved: available = on hand - reserved, per bin, per warehouse and for the company,
and what documents will bring in.

Only stock in sellable real locations of a warehouse, in lots not past their removal date, is
available; the rest is on hand (and shown) but available 0. Virtual locations (transit included)
hold nothing available.

**Incoming** comes from providers, one per kind of document that will bring stock: each answers,
for a product, the open quantities with the day they are expected. Confirmed ``stock.inbound``
documents (not yet done) are the first; purchase orders (issue 8) register theirs with
``register_incoming``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import today
from server.db import connection
from server.errors import NotFound
from server.inventory import quantities
from server.inventory.models import WAREHOUSE_CODE
from server.inventory.removal import past_removal
from server.text import shown

ZERO = Decimal("0.0000")  # shown with the places of a quantity


@dataclass(frozen=True)
class BinAvailability:
    warehouse_code: str
    location_code: str
    lot_code: str | None
    removal_on: date | None
    sellable: bool
    on_hand: Decimal
    reserved: Decimal
    available: Decimal


@dataclass
class Totals:
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    available: Decimal = ZERO

    def add(self, level: BinAvailability) -> None:
        self.on_hand += level.on_hand
        self.reserved += level.reserved
        self.available += level.available


@dataclass(frozen=True)
class WarehouseAvailability:
    warehouse_code: str
    totals: Totals


@dataclass(frozen=True)
class Incoming:
    """A quantity a document will bring, and the day it is expected."""

    document_type: str
    document_id: int
    document_number: str | None
    warehouse_code: str | None
    location_code: str | None
    quantity: Decimal
    expected_on: date


@dataclass
class Availability:
    sku: str
    totals: Totals
    warehouses: list[WarehouseAvailability]
    bins: list[BinAvailability]
    incoming: list[Incoming] = field(default_factory=list)


# (conn, product id, warehouse id or None for all, how many at most) -> open quantities, earliest first.
IncomingProvider = Callable[[BaseDBAsyncClient, int, int | None, int], Awaitable[list[Incoming]]]
_providers: dict[str, IncomingProvider] = {}


def register_incoming(name: str, provider: IncomingProvider) -> None:
    """Add (or replace, by name) a source of incoming stock."""
    _providers[name] = provider


async def availability(sku: str, *, warehouse_code: str | None = None, limit: int) -> Availability:
    """On hand, reserved and available of a product: the company's, each warehouse's, the first ``limit``
    bins (by warehouse, location and lot) and the first ``limit`` incoming quantities (by date)."""
    conn = connection()
    sku_key = SKU.key(sku)
    product = await sql.fetch_one(conn, "SELECT id, sku FROM product WHERE sku = $1", sku_key) if sku_key else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    warehouse_id = None
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        row = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", key) if key else None
        if row is None:
            raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
        warehouse_id = int(row["id"])
    levels = await _levels(conn, int(product["id"]), warehouse_id)
    totals, per_warehouse = Totals(), dict[str, Totals]()
    for level in levels:
        totals.add(level)
        per_warehouse.setdefault(level.warehouse_code, Totals()).add(level)
    incoming = await incoming_of(conn, int(product["id"]), warehouse_id, limit)
    return Availability(
        sku=product["sku"], totals=totals,
        warehouses=[WarehouseAvailability(code, per_warehouse[code]) for code in sorted(per_warehouse)][:limit],
        bins=levels[:limit], incoming=incoming[:limit],
    )  # fmt: skip


async def incoming_of(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int | None, limit: int) -> list[Incoming]:
    """What every provider says will come of a product (into one warehouse, or any), earliest first."""
    incoming: list[Incoming] = []
    for provider in _providers.values():
        incoming += await provider(conn, product_id, warehouse_id, limit)
    incoming.sort(key=lambda i: (i.expected_on, i.document_type, i.document_id))
    return incoming


async def available_in(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int) -> Decimal:
    """What of a product can be sold or reserved in a warehouse now (its sellable bins, lots not past removal)."""
    return sum((level.available for level in await _levels(conn, product_id, warehouse_id)), ZERO)


async def _levels(conn: BaseDBAsyncClient, product_id: int, warehouse_id: int | None) -> list[BinAvailability]:
    # CAST: SQLite keeps decimals as text; the sums are made here, as Decimal.
    query = (
        "SELECT warehouse.code AS warehouse_code, location.code AS location_code, location.sellable,"
        " lot.code AS lot_code, COALESCE(lot.removal_on, lot.expires_on) AS removal_on, quant.on_hand, quant.reserved"
        " FROM quant JOIN location ON location.id = quant.location_id"
        " JOIN warehouse ON warehouse.id = location.warehouse_id LEFT JOIN lot ON lot.id = quant.lot_id"
        " WHERE quant.product_id = $1 AND location.kind = 'internal'"
        " AND (CAST(quant.on_hand AS NUMERIC) > 0 OR CAST(quant.reserved AS NUMERIC) > 0)"
    )
    params: list[object] = [product_id]
    if warehouse_id is not None:
        query += " AND location.warehouse_id = $2"
        params.append(warehouse_id)
    day = today()
    levels = []
    for row in await sql.fetch(conn, query + " ORDER BY warehouse.code, location.code, quant.lot_id", *params):
        on_hand, reserved = quantities.from_db(row["on_hand"]), quantities.from_db(row["reserved"])
        removal_on = sql.as_date(row["removal_on"])
        levels.append(BinAvailability(
            row["warehouse_code"], row["location_code"], row["lot_code"], removal_on, bool(row["sellable"]),
            on_hand, reserved,
            available_to_sell(on_hand, reserved, sellable=bool(row["sellable"]), removal_on=removal_on, day=day),
        ))  # fmt: skip
    return levels


def available_to_sell(on_hand: Decimal, reserved: Decimal, *, sellable: bool, removal_on: date | None,
                      day: date) -> Decimal:  # fmt: skip
    """What of a quant can be sold or reserved: on hand less reserved where stock sells (``sellable``: a real
    location flagged so) in a lot not past its removal date on ``day``; else nothing. Stock levels read it too."""
    if not sellable or past_removal(removal_on, day):
        return ZERO
    return max(on_hand - reserved, ZERO)


async def _inbound_documents(
    conn: BaseDBAsyncClient, product_id: int, warehouse_id: int | None, limit: int
) -> list[Incoming]:
    """Confirmed goods-in documents not yet done: their lines, expected on the document's business date."""
    query = (
        "SELECT document.id, document.type, document.number, document.business_date, document_line.base_quantity,"
        " location.code AS location_code, warehouse.code AS warehouse_code FROM document_line"
        " JOIN document ON document.id = document_line.document_id"
        " LEFT JOIN location ON location.id = document_line.location_id"
        " LEFT JOIN warehouse ON warehouse.id = location.warehouse_id"
        " WHERE document_line.product_id = $1 AND document.type = 'stock.inbound' AND document.state = 'confirmed'"
    )
    params: list[object] = [product_id]
    if warehouse_id is not None:
        query += " AND location.warehouse_id = $2"
        params.append(warehouse_id)
    query += f" ORDER BY document.business_date, document.id, document_line.position LIMIT ${len(params) + 1}"
    rows = await sql.fetch(conn, query, *params, limit)
    return [
        Incoming(
            document_type=r["type"],
            document_id=int(r["id"]),
            document_number=r["number"],
            warehouse_code=r["warehouse_code"],
            location_code=r["location_code"],
            quantity=quantities.from_db(r["base_quantity"]),
            expected_on=sql.as_date(r["business_date"]) or today(),
        )
        for r in rows
    ]


register_incoming("stock.inbound", _inbound_documents)
