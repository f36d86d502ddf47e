"""The stock card: every move of a product, and every revaluation of its stock, with the running
quantity and value after each, so the last line's figures are the stock's quantity and value.

Moves come in booking order (by id). A revaluation changes the value without a move: it is a line
of quantity 0 after the last move of the card booked at or before it was made (its anchor; the
receipt it corrects when none was), revaluations after one move in the order they were made. A
line's position on the card, what a page starts after, is its anchor's id shifted left by
``SLOT_BITS``, plus 0 for the move itself and 1, 2 ... for the revaluations after it; move ids stay
below 2**43, so a position is a BIGINT.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.db import connection
from server.inventory.valuation.books import ZERO, from_db
from server.inventory.valuation.value import INSIDE, Params, Scope, scope_of

SLOT_BITS = 20  # revaluations after one move and before the next: far more than a product ever has


@dataclass(frozen=True)
class CardLine:
    """One line of a product's stock card, with the quantity and value in scope after it."""

    id: int  # its position on the card
    move_id: int  # the move's; a revaluation's: the receipt whose cost it corrected
    effective_at: datetime
    kind: str  # the move's kind, or "revaluation"
    reason: str | None
    from_location_code: str | None  # None on a revaluation, which moves nothing
    to_location_code: str | None
    quantity: Decimal  # signed: what the scope gained (negative: lost); 0 on a revaluation
    unit_cost: Decimal | None  # a revaluation's: the receipt's corrected cost
    value: Decimal  # signed like quantity; a revaluation's: what it added to the stock's value
    quantity_after: Decimal = ZERO
    value_after: Decimal = ZERO


async def stock_card(
    sku: str, *, warehouse_code: str | None = None, after_id: int | None = None, limit: int = 100
) -> list[CardLine]:
    """The first ``limit`` lines of a product's stock card (of one warehouse, or all its buckets) after
    the position ``after_id``. A move between two bins of the scope changes neither figure."""
    scope = await scope_of(sku, warehouse_code)
    conn = connection()
    after = after_id or 0
    after_move = after >> SLOT_BITS
    revaluations = await _revaluations(conn, scope)
    running_quantity, running_value = ZERO, ZERO
    if after_id is not None:  # what the scope held after the line the page starts after
        running_quantity, running_value = await _moves_up_to(conn, scope, after_move)
        running_value += sum((r.value for r in revaluations if r.id <= after), ZERO)
    moves = await _moves_after(conn, scope, after_move, limit)
    # A full page of moves ends at its last move: revaluations beyond it belong to later pages.
    last = moves[-1].move_id if len(moves) == limit else None
    lines = moves + [r for r in revaluations if r.id > after and (last is None or r.id >> SLOT_BITS <= last)]
    lines.sort(key=lambda line: line.id)
    card = []
    for line in lines[:limit]:
        running_quantity += line.quantity
        running_value += line.value
        card.append(replace(line, quantity_after=running_quantity, value_after=running_value))
    return card


def _inside(alias: str, scope: Scope, params: Params) -> str:
    only = "" if scope.warehouse_id is None else f" AND {alias}.warehouse_id = {params.at(scope.warehouse_id)}"
    return f"({alias}.kind IN {INSIDE}{only})"


async def _moves_up_to(conn: BaseDBAsyncClient, scope: Scope, last_id: int) -> tuple[Decimal, Decimal]:
    """Quantity and value in scope after the move ``last_id`` (and all before it)."""
    quantity, value = ZERO, ZERO
    for side, sign in (("to_location_id", ""), ("from_location_id", "-")):
        params = Params()
        query = (
            f"SELECT {sign}m.quantity AS quantity, {sign}COALESCE(m.value, 0) AS value FROM stock_move m"
            f" JOIN location l ON l.id = m.{side} WHERE m.product_id = {params.at(scope.product_id)}"
            f" AND {_inside('l', scope, params)} AND m.id <= {params.at(last_id)}"
        )
        if sql.dialect(conn) == "postgres":  # exact NUMERIC sums; SQLite's are summed here as Decimal
            query = f"SELECT SUM(quantity) AS quantity, SUM(value) AS value FROM ({query}) AS legs"
        for row in await sql.fetch(conn, query, *params):
            if row["quantity"] is not None:
                quantity += from_db(row["quantity"])
                value += from_db(row["value"])
    return quantity, value


async def _moves_after(conn: BaseDBAsyncClient, scope: Scope, after_id: int, limit: int) -> list[CardLine]:
    """The first ``limit`` moves of the card after the move ``after_id``, signed as the scope sees them."""
    params = Params()
    query = (
        "SELECT m.id, m.effective_at, m.created_at, m.kind, m.reason, m.quantity, m.unit_cost, m.value,"
        " f.code AS from_code, t.code AS to_code,"
        f" CASE WHEN {_inside('t', scope, params)} THEN 1 ELSE 0 END AS arrives,"
        f" CASE WHEN {_inside('f', scope, params)} THEN 1 ELSE 0 END AS leaves"
        " FROM stock_move m JOIN location f ON f.id = m.from_location_id JOIN location t ON t.id = m.to_location_id"
        f" WHERE m.product_id = {params.at(scope.product_id)} AND m.id > {params.at(after_id)}"
        f" AND ({_inside('t', scope, params)} OR {_inside('f', scope, params)}) ORDER BY m.id LIMIT {params.at(limit)}"
    )
    lines = []
    for row in await sql.fetch(conn, query, *params):
        direction = int(row["arrives"]) - int(row["leaves"])
        lines.append(CardLine(
            id=int(row["id"]) << SLOT_BITS, move_id=int(row["id"]), effective_at=sql.as_datetime(row["effective_at"] or
            row["created_at"]), kind=row["kind"], reason=row["reason"], from_location_code=row["from_code"],
            to_location_code=row["to_code"], quantity=from_db(row["quantity"]) * direction,
            unit_cost=None if row["unit_cost"] is None else from_db(row["unit_cost"]),
            value=from_db(row["value"] or 0) * direction,
        ))  # fmt: skip
    return lines


async def _revaluations(conn: BaseDBAsyncClient, scope: Scope) -> list[CardLine]:
    """Every revaluation of the product's stock in scope, placed on the card, in the card's order.

    All of them, since a line's place depends on the others after the same move; they are corrections
    of receipts, a few per receipt at most, and each finds its anchor among the moves since its receipt."""
    params = Params()
    anchor = (
        "SELECT MAX(m.id) FROM stock_move m JOIN location f ON f.id = m.from_location_id"
        " JOIN location t ON t.id = m.to_location_id WHERE m.product_id = a.product_id AND m.id >= a.move_id"
        f" AND m.created_at <= a.effective_at AND ({_inside('t', scope, params)} OR {_inside('f', scope, params)})"
    )
    query = (
        "SELECT a.id, a.move_id, a.value, a.reason, a.unit_cost_after, a.effective_at,"
        f" COALESCE(({anchor}), a.move_id) AS anchor FROM cost_adjustment a"
        f" WHERE a.kind = 'revaluation' AND a.product_id = {params.at(scope.product_id)}"
    )
    if scope.warehouse_id is not None:
        query += f" AND a.warehouse_id = {params.at(scope.warehouse_id)}"
    slots: dict[int, int] = defaultdict(int)
    lines = []
    for row in await sql.fetch(conn, query + " ORDER BY a.id", *params):
        slots[int(row["anchor"])] += 1
        lines.append(CardLine(
            id=(int(row["anchor"]) << SLOT_BITS) + slots[int(row["anchor"])], move_id=int(row["move_id"]),
            effective_at=sql.as_datetime(row["effective_at"]), kind="revaluation", reason=row["reason"],
            from_location_code=None, to_location_code=None, quantity=from_db(0),
            unit_cost=from_db(row["unit_cost_after"]), value=from_db(row["value"]),
        ))  # fmt: skip
    lines.sort(key=lambda line: line.id)
    return lines
