"""Stock value at any past date, read from the ledger (the stock card is ``card``).

The value of a bucket at the end of day D is what its moves brought in less what they took out,
each at the value fixed on it, plus the revaluations made (dated when made) up to D. A period
snapshot (``snapshots``) holds that sum at the end of a closed day S, so a valuation at D reads the
latest snapshot on or before D and only the moves and revaluations after S.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.clock import today
from server.db import connection
from server.errors import NotFound
from server.inventory.models import WAREHOUSE_CODE, LocationKind
from server.inventory.valuation.books import ZERO, from_db
from server.inventory.valuation.models import TRANSIT_BUCKET
from server.text import shown

INSIDE = f"('{LocationKind.INTERNAL.value}', '{LocationKind.TRANSIT.value}')"  # the kinds valued in a bucket
Totals = dict[tuple[int, int], tuple[Decimal, Decimal]]  # (product, bucket) -> (quantity, value)


@dataclass(frozen=True)
class Scope:
    """Which buckets a question is about: one product or all, one warehouse or all (with transit)."""

    product_id: int | None = None
    warehouse_id: int | None = None


@dataclass(frozen=True)
class BucketValue:
    product_id: int
    sku: str
    warehouse_id: int | None  # None: the transit bucket
    warehouse_code: str | None
    quantity: Decimal
    value: Decimal

    @property
    def id(self) -> int:
        """A stable key for paging: product and bucket in one number."""
        return (self.product_id << 32) | (self.warehouse_id or TRANSIT_BUCKET)


def end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC, as lock dates are): what is valued at ``day`` comes before it."""
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


async def scope_of(sku: str | None, warehouse_code: str | None) -> Scope:
    """The scope named by a SKU and a warehouse code; NOT_FOUND for a name no row has."""
    product_id = warehouse_id = None
    conn = connection()
    if sku is not None:
        key = SKU.key(sku)
        row = await sql.fetch_one(conn, "SELECT id FROM product WHERE sku = $1", key) if key else None
        if row is None:
            raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
        product_id = int(row["id"])
    if warehouse_code is not None:
        key = WAREHOUSE_CODE.key(warehouse_code)
        row = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", key) if key else None
        if row is None:
            raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
        warehouse_id = int(row["id"])
    return Scope(product_id, warehouse_id)


class Params(list[Any]):
    """Parameters of a statement, bound by position: ``at(value)`` appends one and names its placeholder.
    Call it in the order the placeholders appear (on SQLite they all become ``?``), once per use."""

    def at(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}"


def scope_filters(scope: Scope, product: str, bucket: str, params: Params) -> str:
    where = ""
    if scope.product_id is not None:
        where += f" AND {product} = {params.at(scope.product_id)}"
    if scope.warehouse_id is not None:
        where += f" AND {bucket} = {params.at(scope.warehouse_id)}"
    return where


def time_window(column: str, after: datetime | None, before: datetime, params: Params) -> str:
    window = f" AND {column} < {params.at(before)}"
    return window + (f" AND {column} >= {params.at(after)}" if after is not None else "")


def _legs(scope: Scope, after: datetime | None, before: datetime, params: Params) -> str:
    """Every change of quantity and value per (product, bucket) in [after, before): a SELECT of legs."""
    legs = []
    for side, sign in (("to_location_id", ""), ("from_location_id", "-")):
        legs.append(
            f"SELECT m.product_id, COALESCE(l.warehouse_id, 0) AS bucket, {sign}m.quantity AS quantity,"
            f" {sign}COALESCE(m.value, 0) AS value FROM stock_move m JOIN location l ON l.id = m.{side}"
            f" WHERE l.kind IN {INSIDE}{time_window('m.effective_at', after, before, params)}"
            f"{scope_filters(scope, 'm.product_id', 'COALESCE(l.warehouse_id, 0)', params)}"
        )
    legs.append(
        "SELECT a.product_id, a.warehouse_id AS bucket, 0 AS quantity, a.value FROM cost_adjustment a"
        f" WHERE a.kind = 'revaluation'{time_window('a.effective_at', after, before, params)}"
        f"{scope_filters(scope, 'a.product_id', 'a.warehouse_id', params)}"
    )
    return " UNION ALL ".join(legs)


async def _sum_legs(conn: BaseDBAsyncClient, legs: str, params: Params, totals: Totals) -> None:
    if sql.dialect(conn) == "postgres":  # exact NUMERIC sums in the database
        query = f"SELECT product_id, bucket, SUM(quantity) AS quantity, SUM(value) AS value FROM ({legs}) AS legs" \
            " GROUP BY product_id, bucket"  # fmt: skip
    else:  # SQLite keeps decimals as text and would sum them as floats: sum them as Decimal here
        query = legs
    for row in await sql.fetch(conn, query, *params):
        key = (int(row["product_id"]), int(row["bucket"]))
        quantity, value = totals.get(key, (ZERO, ZERO))
        totals[key] = (quantity + from_db(row["quantity"]), value + from_db(row["value"]))


async def latest_snapshot(conn: BaseDBAsyncClient, on: date) -> date | None:
    row = await sql.fetch_one(conn, "SELECT MAX(taken_on) AS taken_on FROM valuation_day WHERE taken_on <= $1", on)
    return sql.as_date(row["taken_on"]) if row else None


async def totals_at(conn: BaseDBAsyncClient, on: date, scope: Scope = Scope(), *, use_snapshots: bool = True) -> Totals:
    """Quantity and value per (product, bucket) at the end of ``on``: the latest snapshot on or before
    it, plus the moves and revaluations after the snapshot, up to the end of ``on``."""
    totals: Totals = {}
    base = await latest_snapshot(conn, on) if use_snapshots else None
    if base is not None:
        params = Params([base])
        where = scope_filters(scope, "product_id", "warehouse_id", params)
        query = f"SELECT product_id, warehouse_id, quantity, value FROM valuation_snapshot WHERE taken_on = $1{where}"
        for row in await sql.fetch(conn, query, *params):
            totals[int(row["product_id"]), int(row["warehouse_id"])] = (from_db(row["quantity"]), from_db(row["value"]))
    params = Params()
    legs = _legs(scope, end_of(base) if base is not None else None, end_of(on), params)
    await _sum_legs(conn, legs, params, totals)
    return {key: total for key, total in totals.items() if total != (ZERO, ZERO)}


async def stock_value(
    on: date | None = None, *, sku: str | None = None, warehouse_code: str | None = None, use_snapshots: bool = True
) -> list[BucketValue]:
    """What each product's stock in each bucket was worth at the end of ``on`` (default today), in
    (product, bucket) order; their sum is the company's (or the warehouse's, or the product's) value."""
    scope = await scope_of(sku, warehouse_code)
    conn = connection()
    totals = await totals_at(conn, on or today(), scope, use_snapshots=use_snapshots)
    return await _named(conn, totals)


async def _named(conn: BaseDBAsyncClient, totals: Totals) -> list[BucketValue]:
    product_ids = sorted({product for product, _ in totals})
    warehouse_ids = sorted({bucket for _, bucket in totals if bucket != TRANSIT_BUCKET})
    skus = {int(r["id"]): r["sku"] for r in await _rows(conn, "product", "sku", product_ids)}
    codes = {int(r["id"]): r["code"] for r in await _rows(conn, "warehouse", "code", warehouse_ids)}
    return [
        BucketValue(product, skus.get(product, ""), bucket or None, codes.get(bucket), quantity, value)
        for (product, bucket), (quantity, value) in sorted(totals.items())
    ]


async def _rows(conn: BaseDBAsyncClient, table: str, column: str, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return await sql.fetch(
        conn, f"SELECT id, {column} FROM {table} WHERE id IN ({sql.placeholders(1, len(ids))})", *ids
    )
