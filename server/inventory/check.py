"""The ledger invariant: quants equal the sum of the moves, and nothing sits where it cannot.

Run by tests after every kind of move, by ``storekeeper check-ledger``, and as a worker job.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from server import sql
from server.clock import now
from server.commands import Command, Effect, Write, execute
from server.inventory import quantities
from server.inventory.lookups import HOLDS_STOCK
from server.inventory.models import NO_LOT, LedgerCheck, LocationKind
from server.inventory.reservation_check import reservation_problems

_BATCH = 5000


@dataclass(frozen=True)
class LedgerReport:
    ok: bool
    quants_checked: int
    problems: list[str]


Key = tuple[int, int, int, int]  # (product, location, lot, package), 0 for no lot or no package


async def _balances(conn: BaseDBAsyncClient) -> dict[Key, Decimal]:
    """Net quantity per (product, location, lot, package) over all moves."""
    balances: dict[Key, Decimal] = defaultdict(Decimal)
    if sql.dialect(conn) == "postgres":  # exact NUMERIC sums in the database
        rows = await sql.fetch(
            conn,
            "SELECT product_id, location_id, lot_id, package_id, SUM(qty) AS qty FROM ("
            " SELECT product_id, to_location_id AS location_id, COALESCE(lot_id, 0) AS lot_id,"
            " to_package_id AS package_id, quantity AS qty FROM stock_move UNION ALL"
            " SELECT product_id, from_location_id, COALESCE(lot_id, 0), from_package_id, -quantity FROM stock_move"
            ") AS legs GROUP BY product_id, location_id, lot_id, package_id",
        )
        for row in rows:
            key = (row["product_id"], row["location_id"], row["lot_id"], row["package_id"])
            balances[key] = quantities.from_db(row["qty"])
        return balances
    last_id = 0  # SQLite keeps decimals as text: sum them as Decimal here, a batch at a time
    while True:
        rows = await sql.fetch(
            conn,
            "SELECT id, product_id, from_location_id, to_location_id, lot_id, from_package_id, to_package_id, quantity"
            " FROM stock_move"
            " WHERE id > $1 ORDER BY id LIMIT $2",
            last_id,
            _BATCH,
        )
        for row in rows:
            qty = quantities.from_db(row["quantity"])
            lot = row["lot_id"] or NO_LOT
            balances[(row["product_id"], row["to_location_id"], lot, row["to_package_id"])] += qty
            balances[(row["product_id"], row["from_location_id"], lot, row["from_package_id"])] -= qty
        if len(rows) < _BATCH:
            return balances
        last_id = rows[-1]["id"]


@dataclass(frozen=True)
class _Names:
    """What a problem names, as people know it: SKUs and location codes, not ids."""

    skus: dict[int, str]
    locations: dict[int, tuple[str, str]]  # id -> (code, kind)

    def product(self, product_id: int) -> str:
        return self.skus.get(product_id, f"product #{product_id}")

    def place(self, product_id: int, location_id: int, lot_id: int, package_id: int = 0) -> str:
        code = self.locations.get(location_id, (f"location #{location_id}", ""))[0]
        return (
            f"{self.product(product_id)} in {code}"
            + (f", lot #{lot_id}" if lot_id else "")
            + (f", package #{package_id}" if package_id else "")
        )

    def kind(self, location_id: int) -> str | None:
        return self.locations[location_id][1] if location_id in self.locations else None


async def check_ledger() -> LedgerReport:
    """Compare every quant with its moves, and prove the rules quants must obey, in one snapshot."""
    async with in_transaction() as conn:
        if sql.dialect(conn) == "postgres":
            await sql.execute(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        balances = await _balances(conn)
        quants = await sql.fetch(
            conn, "SELECT product_id, location_id, lot_id, package_id, on_hand, reserved FROM quant"
        )
        products = await sql.fetch(conn, "SELECT id, sku, tracks_lots FROM product")
        locations = await sql.fetch(conn, "SELECT id, code, kind FROM location")
        names = _Names({r["id"]: r["sku"] for r in products}, {r["id"]: (r["code"], r["kind"]) for r in locations})
        problems = _balance_problems(quants, balances, names)
        problems += _tracking_problems(quants, {r["id"]: bool(r["tracks_lots"]) for r in products}, names)
        problems += await _lot_owner_problems(conn, names)
        problems += await _archived_gain_problems(conn, names)
        problems += await _package_problems(conn, names)
        problems += await reservation_problems(conn)
    return LedgerReport(ok=not problems, quants_checked=len(quants), problems=problems)


def _balance_problems(quants: list[dict[str, Any]], balances: dict[Key, Decimal], names: _Names) -> list[str]:
    """Quants equal the sum of their moves, only real locations hold them, and each product nets to zero."""
    problems: list[str] = []
    seen: set[Key] = set()
    for quant in quants:
        key = (quant["product_id"], quant["location_id"], quant["lot_id"], quant["package_id"])
        seen.add(key)
        on_hand = quantities.from_db(quant["on_hand"])
        expected = balances.get(key, Decimal(0))
        where = names.place(*key)
        if names.kind(key[1]) not in HOLDS_STOCK:
            problems.append(f"{where}: a quant in a location that cannot hold stock")
        elif names.kind(key[1]) != LocationKind.INTERNAL and quantities.from_db(quant["reserved"]) != 0:
            problems.append(f"{where}: reserved in a location nothing is taken from for a demand")
        if on_hand != expected:
            problems.append(f"{where}: quant says {on_hand}, moves say {expected}")
        if on_hand < 0 or quantities.from_db(quant["reserved"]) < 0:
            problems.append(f"{where}: negative on hand or reserved")
    per_product: dict[int, Decimal] = defaultdict(Decimal)
    for key, balance in balances.items():
        per_product[key[0]] += balance
        if key not in seen and balance != 0 and names.kind(key[1]) in HOLDS_STOCK:
            problems.append(f"{names.place(*key)}: moves say {balance}, no quant")
    problems.extend(f"{names.product(p)}: moves do not sum to zero ({s})" for p, s in per_product.items() if s != 0)
    return problems


def _tracking_problems(quants: list[dict[str, Any]], tracks_lots: dict[int, bool], names: _Names) -> list[str]:
    """Stock of a product tracked by lot is in lots; stock of one that is not is in none."""
    problems = []
    for quant in quants:
        if quantities.from_db(quant["on_hand"]) == 0:
            continue
        tracked, in_lot = tracks_lots.get(quant["product_id"], False), quant["lot_id"] != NO_LOT
        if tracked != in_lot:
            why = "tracked by lot but held without one" if tracked else "held in a lot but not tracked by lot"
            problems.append(f"{names.place(quant['product_id'], quant['location_id'], quant['lot_id'])}: {why}")
    return problems


async def _lot_owner_problems(conn: BaseDBAsyncClient, names: _Names) -> list[str]:
    """A lot belongs to one product: no quant or move holds it for another."""
    rows = await sql.fetch(
        conn,
        "SELECT 'quant' AS what, quant.product_id, quant.lot_id FROM quant JOIN lot ON lot.id = quant.lot_id"
        " WHERE lot.product_id <> quant.product_id UNION ALL"
        " SELECT 'move', stock_move.product_id, stock_move.lot_id FROM stock_move"
        " JOIN lot ON lot.id = stock_move.lot_id WHERE lot.product_id <> stock_move.product_id LIMIT 100",
    )
    return [f"{names.product(r['product_id'])}: a {r['what']} in lot #{r['lot_id']} of another product" for r in rows]


async def _archived_gain_problems(conn: BaseDBAsyncClient, names: _Names) -> list[str]:
    """An archived product takes no new stock: no move brings it in from outside after it was archived."""
    rows = await sql.fetch(
        conn,
        "SELECT stock_move.id, stock_move.product_id FROM stock_move"
        " JOIN product ON product.id = stock_move.product_id"
        " JOIN location AS source ON source.id = stock_move.from_location_id"
        " JOIN location AS target ON target.id = stock_move.to_location_id"
        " WHERE product.is_archived AND stock_move.created_at > product.archived_at"
        " AND source.kind NOT IN ($1, $2) AND target.kind = $3 ORDER BY stock_move.id LIMIT 100",
        LocationKind.INTERNAL.value,
        LocationKind.TRANSIT.value,  # a transfer's stock arriving from transit is not new stock
        LocationKind.INTERNAL.value,
    )
    return [f"{names.product(r['product_id'])}: move #{r['id']} brought stock in after it was archived" for r in rows]


async def _package_problems(conn: BaseDBAsyncClient, names: _Names) -> list[str]:
    """Stock in a package is where the package is, and a package nested in another is where that one is."""
    rows = await sql.fetch(
        conn,
        "SELECT quant.product_id, quant.location_id, quant.lot_id, quant.package_id, package.sscc,"
        " package.location_id AS package_location_id FROM quant LEFT JOIN package ON package.id = quant.package_id"
        " WHERE quant.package_id <> 0 AND CAST(quant.on_hand AS NUMERIC) <> 0"
        " AND (package.id IS NULL OR package.location_id <> quant.location_id) ORDER BY quant.id LIMIT 100",
    )
    problems = [
        f"{names.place(r['product_id'], r['location_id'], r['lot_id'], r['package_id'])}: "
        + ("no such package" if r["sscc"] is None else f"the package {r['sscc']} is elsewhere")
        for r in rows
    ]
    nested = await sql.fetch(
        conn,
        "SELECT package.sscc, parent.sscc AS parent_sscc FROM package JOIN package AS parent"
        " ON parent.id = package.parent_id WHERE parent.location_id <> package.location_id"
        " ORDER BY package.id LIMIT 100",
    )
    return problems + [f"package {r['sscc']}: not where {r['parent_sscc']}, the package it is in, is" for r in nested]


@dataclass(frozen=True)
class StoreLedgerCheck(Command):
    operation = "ledger.check"
    job_id: str | None
    ok: bool
    quants_checked: int


async def run_and_store(job_id: str | None = None) -> LedgerCheck:
    """Run the check and keep its outcome; a job that runs again returns the outcome it already stored."""
    if job_id is not None and (done := await LedgerCheck.get_or_none(job_id=job_id)) is not None:
        return done
    started = now()
    report = await check_ledger()

    async def run(write: Write) -> LedgerCheck:
        return await LedgerCheck.create(
            job_id=job_id, started_at=started, finished_at=now(), ok=report.ok,
            quants_checked=report.quants_checked, problems=report.problems[:1000], using_db=write.conn,
        )  # fmt: skip

    command = StoreLedgerCheck(job_id, report.ok, report.quants_checked)
    try:  # the stored outcome is its own record: not audited twice
        return (await execute(command, Effect(run, None), actor_id=None)).result
    except IntegrityError:  # the same job ran twice at once; keep the first outcome
        return await LedgerCheck.get(job_id=job_id)


def ledger_checks() -> QuerySet[LedgerCheck]:
    """Every stored check, oldest first."""
    return LedgerCheck.all()


async def ledger_checks_by_ids(ids: list[int]) -> list[LedgerCheck]:
    return await LedgerCheck.filter(id__in=ids)
