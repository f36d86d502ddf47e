"""Scrap and loss, reported by reason and value.

Every loss is a move into a virtual location: the scrap location (``issueStock`` with reason SCRAP,
an outbound document's ``damage``) or inventory loss (a count below the books, an outbound
document's ``internal_use`` or ``other``, what a transfer never delivered). A count above the books,
stock found or opening stock moves out of inventory loss again: the report shows both sides and
the net, per kind of location and reason, for moves effective in a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from server import sql
from server.db import connection
from server.errors import Invalid
from server.inventory.models import LocationKind
from server.inventory.valuation.books import from_db
from server.inventory.valuation.value import Params, end_of, scope_filters, scope_of, time_window

LOSS_KINDS = (LocationKind.SCRAP, LocationKind.INVENTORY_LOSS)
MAX_LOSS_LINES = 200  # kinds x reasons: the reasons are few (documents declare them, closeTransfer names one)
ZERO = Decimal(0)


@dataclass(frozen=True)
class LossLine:
    location_kind: str  # scrap | inventory_loss
    reason: str
    quantity_lost: Decimal
    value_lost: Decimal
    quantity_found: Decimal  # what came back out of the location: counted above the books, found
    value_found: Decimal

    @property
    def net_quantity(self) -> Decimal:
        return self.quantity_lost - self.quantity_found

    @property
    def net_value(self) -> Decimal:
        return self.value_lost - self.value_found


async def loss_report(
    from_date: date, to_date: date, *, warehouse_code: str | None = None, sku: str | None = None
) -> list[LossLine]:
    """Scrap and loss effective from ``from_date`` to ``to_date`` (both included), of one warehouse
    (its bins' side of each move) and one product, or all; by kind of location and reason."""
    if from_date > to_date:
        raise Invalid("The period ends before it starts.", field="toDate")
    scope = await scope_of(sku, warehouse_code)
    params = Params()
    legs = []
    kinds = ", ".join(f"'{kind.value}'" for kind in LOSS_KINDS)
    moved = ("m.quantity", "COALESCE(m.value, 0)")
    for loss_side, stock_side, columns in (
        ("to_location_id", "from_location_id", (*moved, "0", "0")),  # into the loss location: lost
        ("from_location_id", "to_location_id", ("0", "0", *moved)),  # out of it again: found
    ):
        legs.append(
            "SELECT v.kind AS location_kind, COALESCE(m.reason, '') AS reason,"
            f" {columns[0]} AS quantity_lost, {columns[1]} AS value_lost,"
            f" {columns[2]} AS quantity_found, {columns[3]} AS value_found"
            f" FROM stock_move m JOIN location v ON v.id = m.{loss_side} JOIN location b ON b.id = m.{stock_side}"
            f" WHERE v.kind IN ({kinds})"
            f"{time_window('m.effective_at', end_of(from_date - timedelta(days=1)), end_of(to_date), params)}"
            f"{scope_filters(scope, 'm.product_id', 'b.warehouse_id', params)}"
        )
    union = " UNION ALL ".join(legs)
    conn = connection()
    if sql.dialect(conn) == "postgres":  # exact NUMERIC sums in the database
        query = (
            "SELECT location_kind, reason, SUM(quantity_lost) AS quantity_lost, SUM(value_lost) AS value_lost,"
            " SUM(quantity_found) AS quantity_found, SUM(value_found) AS value_found"
            f" FROM ({union}) AS legs GROUP BY location_kind, reason"
        )
    else:  # SQLite keeps decimals as text and would sum them as floats: sum them as Decimal here
        query = union
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for row in await sql.fetch(conn, query, *params):
        sums = totals.setdefault((row["location_kind"], row["reason"]), [ZERO, ZERO, ZERO, ZERO])
        for index, column in enumerate(("quantity_lost", "value_lost", "quantity_found", "value_found")):
            sums[index] += from_db(row[column])
    return [LossLine(kind, reason, *sums) for (kind, reason), sums in sorted(totals.items())][:MAX_LOSS_LINES]
