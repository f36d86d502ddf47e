"""What a package is and holds, as people read it: its label, where it is, the packages in it, and the
products and lots it holds with those packages, totalled."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from server import sql
from server.db import connection
from server.inventory import quantities
from server.inventory.models import Package
from server.inventory.package_booking import tree_depths
from server.inventory.packages import clean_sscc


@dataclass(frozen=True)
class PackageView:
    id: int
    sscc: str
    kind: str
    parent_id: int | None
    location_id: int
    created_at: datetime


@dataclass(frozen=True)
class Content:
    """One product and lot in a package and the packages inside it."""

    product_id: int
    sku: str
    lot_code: str | None
    quantity: Decimal


_COLUMNS = "id, sscc, kind, parent_id, location_id, created_at"


def _view(row: dict[str, Any]) -> PackageView:
    created_at = row["created_at"]
    return PackageView(
        id=int(row["id"]), sscc=row["sscc"], kind=row["kind"], location_id=int(row["location_id"]),
        parent_id=None if row["parent_id"] is None else int(row["parent_id"]),
        created_at=sql.as_datetime(created_at),
    )  # fmt: skip


async def package_by_sscc(sscc: str) -> PackageView | None:
    """The package with this label; INVALID for a code that is no SSCC, None for one never registered."""
    rows = await sql.fetch(connection(), f"SELECT {_COLUMNS} FROM package WHERE sscc = $1", clean_sscc(sscc))
    return _view(rows[0]) if rows else None


async def packages_by_ids(ids: list[int]) -> dict[int, PackageView]:
    if not ids:
        return {}
    rows = await sql.fetch(
        connection(), f"SELECT {_COLUMNS} FROM package WHERE id IN ({sql.placeholders(1, len(ids))})", *sorted(set(ids))
    )
    return {int(row["id"]): _view(row) for row in rows}


async def children_of(package_id: int, *, limit: int) -> list[PackageView]:
    """The packages directly in this one (the first ``limit``, oldest first)."""
    rows = await sql.fetch(
        connection(), f"SELECT {_COLUMNS} FROM package WHERE parent_id = $1 ORDER BY id LIMIT $2", package_id, limit
    )
    return [_view(row) for row in rows]


async def contents_of(package_id: int) -> list[Content]:
    """What the package and every package in it hold, per product and lot, in SKU and lot order."""
    conn = connection()
    ids = sorted(await tree_depths(conn, package_id))
    rows = await sql.fetch(
        conn,
        "SELECT quant.product_id, product.sku, lot.code AS lot_code, quant.on_hand FROM quant"
        " JOIN product ON product.id = quant.product_id LEFT JOIN lot ON lot.id = quant.lot_id"
        f" WHERE quant.package_id IN ({sql.placeholders(1, len(ids))}) AND CAST(quant.on_hand AS NUMERIC) > 0",
        *ids,
    )
    totals: dict[tuple[int, str, str | None], Decimal] = defaultdict(Decimal)
    for row in rows:  # summed here: SQLite keeps decimals as text
        totals[(int(row["product_id"]), row["sku"], row["lot_code"])] += quantities.from_db(row["on_hand"])
    return [
        Content(product_id, sku, lot_code, quantity)
        for (product_id, sku, lot_code), quantity in sorted(
            totals.items(), key=lambda item: (item[0][1], item[0][2] or "")
        )
    ]


def package_view(row: Package) -> PackageView:
    """A package row as read by the ORM (a scan's resolution), as the rest of this module shows it."""
    return PackageView(
        id=row.id, sscc=row.sscc, kind=str(row.kind),
        parent_id=row.parent_id, location_id=row.location_id, created_at=row.created_at,  # type: ignore[attr-defined]
    )  # fmt: skip
