"""The ledger invariant: quants equal the sum of the moves, and nothing sits where it cannot.

Run by tests after every kind of move, by ``storekeeper check-ledger``, and as a worker job.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import sql
from server.clock import now
from server.inventory import quantities
from server.inventory.models import NO_LOT, LedgerCheck, LocationKind

_BATCH = 5000


@dataclass(frozen=True)
class LedgerReport:
    ok: bool
    quants_checked: int
    problems: list[str]


async def _balances(conn) -> dict[tuple[int, int, int], Decimal]:  # type: ignore[no-untyped-def]
    """Net quantity per (product, location, lot) over all moves."""
    balances: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    if sql.dialect(conn) == "postgres":  # exact NUMERIC sums in the database
        rows = await sql.fetch(
            conn,
            "SELECT product_id, location_id, lot_id, SUM(qty) AS qty FROM ("
            " SELECT product_id, to_location_id AS location_id, COALESCE(lot_id, 0) AS lot_id, quantity AS qty"
            " FROM stock_move UNION ALL"
            " SELECT product_id, from_location_id, COALESCE(lot_id, 0), -quantity FROM stock_move"
            ") AS legs GROUP BY product_id, location_id, lot_id",
        )
        for row in rows:
            balances[(row["product_id"], row["location_id"], row["lot_id"])] = quantities.from_db(row["qty"])
        return balances
    last_id = 0  # SQLite keeps decimals as text: sum them as Decimal here, a batch at a time
    while True:
        rows = await sql.fetch(
            conn,
            "SELECT id, product_id, from_location_id, to_location_id, lot_id, quantity FROM stock_move"
            " WHERE id > $1 ORDER BY id LIMIT $2",
            last_id,
            _BATCH,
        )
        for row in rows:
            qty = quantities.from_db(row["quantity"])
            lot = row["lot_id"] or NO_LOT
            balances[(row["product_id"], row["to_location_id"], lot)] += qty
            balances[(row["product_id"], row["from_location_id"], lot)] -= qty
        if len(rows) < _BATCH:
            return balances
        last_id = rows[-1]["id"]


async def check_ledger() -> LedgerReport:
    """Compare every quant with its moves, in one consistent snapshot."""
    problems: list[str] = []
    async with in_transaction() as conn:
        if sql.dialect(conn) == "postgres":
            await sql.execute(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        balances = await _balances(conn)
        quants = await sql.fetch(conn, "SELECT product_id, location_id, lot_id, on_hand, reserved FROM quant")
        kinds = {r["id"]: r["kind"] for r in await sql.fetch(conn, "SELECT id, kind FROM location")}

    seen: set[tuple[int, int, int]] = set()
    for quant in quants:
        key = (quant["product_id"], quant["location_id"], quant["lot_id"])
        seen.add(key)
        on_hand = quantities.from_db(quant["on_hand"])
        expected = balances.get(key, Decimal(0))
        where = f"product {key[0]} in location {key[1]}, lot {key[2]}"
        if kinds.get(key[1]) != LocationKind.INTERNAL:
            problems.append(f"{where}: a quant in a location that cannot hold stock")
        if on_hand != expected:
            problems.append(f"{where}: quant says {on_hand}, moves say {expected}")
        if on_hand < 0 or quantities.from_db(quant["reserved"]) < 0:
            problems.append(f"{where}: negative on hand or reserved")
    per_product: dict[int, Decimal] = defaultdict(Decimal)
    for key, balance in balances.items():
        per_product[key[0]] += balance
        if key not in seen and balance != 0 and kinds.get(key[1]) == LocationKind.INTERNAL:
            problems.append(f"product {key[0]} in location {key[1]}, lot {key[2]}: moves say {balance}, no quant")
    problems.extend(f"product {p}: moves do not sum to zero ({s})" for p, s in per_product.items() if s != 0)
    return LedgerReport(ok=not problems, quants_checked=len(quants), problems=problems)


async def run_and_store(job_id: str | None = None) -> LedgerCheck:
    """Run the check and keep its outcome; a job that runs again returns the outcome it already stored."""
    if job_id is not None and (done := await LedgerCheck.get_or_none(job_id=job_id)) is not None:
        return done
    started = now()
    report = await check_ledger()
    try:
        return await LedgerCheck.create(
            job_id=job_id,
            started_at=started,
            finished_at=now(),
            ok=report.ok,
            quants_checked=report.quants_checked,
            problems=report.problems[:1000],
        )
    except IntegrityError:  # the same job ran twice at once; keep the first outcome
        return await LedgerCheck.get(job_id=job_id)
