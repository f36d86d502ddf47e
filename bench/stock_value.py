"""Stock value at a past date over a ledger of a million moves, with and without a period snapshot.

On a fresh PostgreSQL database (``--database-url``): 200 products in 4 warehouses of 5 bins,
``--moves`` moves over two years (receipts, issues, bin moves, transfers between warehouses),
bulk-inserted with COPY, each with its unit cost and value as a posting fixes them. Then, each the
median of ``--rounds``, beside a baseline measured in the same run (one SUM over every move: a
plain scan of the ledger):

- the company's stock value at a date 30 days ago, from the ledger alone;
- the same with a snapshot at the end of the closed period 60 days ago;
- one product's value at that date, from the ledger alone.

Prints seconds; asserts nothing about time.

    .venv/bin/python bench/stock_value.py [--moves 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from server import db
from server.settings import Settings, use_settings

PRODUCTS, WAREHOUSES, BINS = 200, 4, 5


async def _database(url: str) -> tuple[str, str]:
    name = f"bench_value_{os.getpid()}"
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return url.rsplit("/", 1)[0] + f"/{name}", name


async def _drop(url: str, name: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def _setup() -> tuple[list[int], list[list[int]], dict[str, int]]:
    from server.auth.service import create_user
    from server.catalog.service import ProductDetails, create_product
    from server.inventory.locations import create_location, create_warehouse
    from server.inventory.models import Location

    user = await create_user("bench", "correct horse battery", "admin")
    bins: list[list[int]] = []
    for w in range(WAREHOUSES):
        await create_warehouse(f"W{w}", f"Warehouse {w}", actor_id=user.id)
        bins.append([(await create_location(f"W{w}", f"W{w}-B{b}", "bin", actor_id=user.id)).id for b in range(BINS)])
    products = [(await create_product(f"P{p:04d}", ProductDetails(name=f"P{p}"), actor_id=user.id)).id
                for p in range(PRODUCTS)]  # fmt: skip
    virtual = {row.kind: row.id for row in await Location.filter(warehouse_id__isnull=True)}
    return products, bins, virtual


def _ledger(count: int, products: list[int], bins: list[list[int]], virtual: dict[str, int]) -> list[tuple[Any, ...]]:
    """Moves as a posting books them: each (product, warehouse) keeps a moving average."""
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=730)
    held: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    rows = []
    for n in range(count):
        when = start + timedelta(seconds=n * 730 * 86400 / count)
        product, warehouse = rng.choice(products), rng.randrange(WAREHOUSES)
        quantity, value = held.get((product, warehouse), (Decimal(0), Decimal(0)))
        roll = rng.random()
        qty = Decimal(rng.randint(1, 5))
        if quantity < qty or roll < 0.4:  # a receipt
            cost = Decimal(rng.randint(100, 2000)) / 100
            moved = (qty * cost).quantize(Decimal("0.0001"))
            source, target = virtual["supplier"], rng.choice(bins[warehouse])
            held[product, warehouse] = (quantity + qty, value + moved)
            kind = "receive"
        else:
            moved = value if qty == quantity else (value * qty / quantity).quantize(Decimal("0.0001"))
            source = rng.choice(bins[warehouse])
            held[product, warehouse] = (quantity - qty, value - moved)
            if roll < 0.8:
                target, kind = virtual["customer"], "issue"
            elif roll < 0.9:
                target, kind = rng.choice([b for b in bins[warehouse] if b != source]), "move"
                held[product, warehouse] = (quantity, value)
            else:
                other = (warehouse + 1) % WAREHOUSES
                target, kind = rng.choice(bins[other]), "move"
                q2, v2 = held.get((product, other), (Decimal(0), Decimal(0)))
                held[product, other] = (q2 + qty, v2 + moved)
        rows.append((product, qty, source, target, kind, when, when, (moved / qty).quantize(Decimal("0.0001")), moved))
    return rows


async def _timed(rounds: int, action: Callable[[], Awaitable[object]]) -> float:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        await action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


async def main(args: argparse.Namespace) -> None:
    url, name = await _database(args.database_url)
    settings = use_settings(Settings(database_url=url, environment="test"))
    try:
        await db.migrate(settings)
        await db.open_database(settings)
        from server import sql
        from server.inventory.periods import set_period_lock
        from server.inventory.valuation.snapshots import take_snapshot
        from server.inventory.valuation.value import stock_value

        products, bins, virtual = await _setup()
        rows = _ledger(args.moves, products, bins, virtual)
        raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        started = time.perf_counter()
        columns = ["product_id", "quantity", "from_location_id", "to_location_id", "kind", "created_at",
                   "effective_at", "unit_cost", "value"]  # fmt: skip
        await raw.copy_records_to_table("stock_move", records=rows, columns=columns)
        await raw.execute("ANALYZE")
        await raw.close()
        print(f"{len(rows):,} moves written with COPY in {time.perf_counter() - started:.1f} s")

        conn = db.connection()
        asked = date.today() - timedelta(days=30)
        baseline = await _timed(args.rounds, lambda: sql.fetch(conn, "SELECT SUM(quantity) FROM stock_move"))
        plain = await _timed(args.rounds, lambda: stock_value(asked, use_snapshots=False))
        one = await _timed(args.rounds, lambda: stock_value(asked, sku="P0007", use_snapshots=False))
        closed = date.today() - timedelta(days=60)
        await set_period_lock(None, closed, actor_id=None)
        started = time.perf_counter()
        await take_snapshot(closed)
        snapshot_seconds = time.perf_counter() - started
        snapped = await _timed(args.rounds, lambda: stock_value(asked))
        same = await stock_value(asked) == await stock_value(asked, use_snapshots=False)
        print(f"baseline, one SUM over every move:             {baseline:7.3f} s")
        print(f"company value {asked}, ledger only:       {plain:7.3f} s  ({plain / baseline:.1f}x baseline)")
        print(f"one product's value {asked}, ledger only: {one:7.3f} s  ({one / baseline:.2f}x baseline)")
        print(f"snapshot of {closed} taken in:                {snapshot_seconds:7.3f} s")
        print(f"company value {asked}, with the snapshot: {snapped:7.3f} s  ({snapped / baseline:.2f}x baseline)")
        print(f"same answer with and without the snapshot: {same}")
    finally:
        await db.close_database()
        await _drop(args.database_url, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    default_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", default=default_url)
    asyncio.run(main(parser.parse_args()))
