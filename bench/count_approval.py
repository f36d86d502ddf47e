"""Approving a whole-warehouse count of 5,000 bins, beside the same differences booked one by one with adjust.

On a fresh database (SQLite in a temporary folder by default; PostgreSQL with ``--database-url``, in a
database of its own, dropped at the end): one warehouse of ``--bins`` bins, ``--products`` products
(every tenth tracked by lot), each bin holding one or two of them, received by ``stock.inbound``
documents (2,000 lines each) as opening stock. Then, as the handhelds would:

1. a WAREHOUSE count is planned (``plans.plan_count``);
2. every line is counted with ``counting.record`` (one scan per line and an idempotency key; some lines
   by two counters in two halves): ``--differ`` of them differ from the books by 1 to 3 units, ``--unscanned``
   are never scanned (they count 0), and ``--found`` of the bins hold a product the books do not have there;
3. every bin is finished (``counting.finish_bin``);
4. **measured**: ``approval.approve``, one posting of every difference;
5. checked: every quant of the warehouse equals what was counted, and ``check_ledger`` passes;
6. **baseline, same run**: the same number of differences booked one at a time with ``ledger.adjust``
   (the single-bin count there was before), each taking its line back to what the books said before
   the count: the same bins, products, lots and sizes, in the other direction. Checked again after.

Prints the time of each step, the approval and the baseline with their ratio and per-bin / per-difference
figures, and the SQL statements each sent. Nothing is asserted about time.

    .venv/bin/python bench/count_approval.py                    # SQLite, 5,000 bins
    .venv/bin/python bench/count_approval.py --database-url postgres://root@127.0.0.1:5432/postgres
    .venv/bin/python bench/count_approval.py --bins 500 --profile   # + cProfile of the approval
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import logging
import os
import pstats
import random
import re
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from server import db, sql
from server.db import connection
from server.settings import Settings, use_settings

WAREHOUSE = "CNT"
DOCUMENT_LINES = 2000  # server/documents/lines.py MAX_LINES
PASSWORD = "correct horse battery"


@dataclass
class Line:
    sku: str
    lot: str | None
    books: int  # what the books said when the count began
    counted: int | None = None  # None: never scanned (counts 0)
    split: bool = False  # counted by two counters, half each

    @property
    def final(self) -> int:
        return self.counted or 0


@dataclass
class Bin:
    code: str
    lines: list[Line] = field(default_factory=list)


class Statements(logging.Handler):
    """Counts the SQL statements Tortoise sends, by their first words."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.shapes: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            self.shapes[_shape(record.args[0])] += 1

    @property
    def total(self) -> int:
        return sum(self.shapes.values())


def _shape(statement: str) -> str:
    words = re.sub(r"\s+", " ", statement).strip()
    words = re.sub(r"(\$\d+|\?)(, ?(\$\d+|\?))+", "…", words)
    return words[:110]


@contextmanager
def counting_statements() -> Iterator[Statements]:
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = Statements(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _admin_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _database(args: argparse.Namespace) -> tuple[str, str | None]:
    if not args.database_url:
        return f"sqlite://{tempfile.mkdtemp(prefix='bench_count_')}/bench.sqlite3", None
    name = f"bench_count_{os.getpid()}"
    conn = await asyncpg.connect(_admin_url(args.database_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return args.database_url.rsplit("/", 1)[0] + f"/{name}", name


async def _drop(args: argparse.Namespace, name: str | None) -> None:
    if name:
        conn = await asyncpg.connect(_admin_url(args.database_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _in_parallel(jobs: list[Callable[[], Awaitable[Any]]], width: int) -> None:
    """Run the jobs, ``width`` at a time (each job's order within its share kept)."""
    shares = [jobs[i::width] for i in range(width)]

    async def worker(share: list[Callable[[], Awaitable[Any]]]) -> None:
        for job in share:
            await job()

    await asyncio.gather(*(worker(share) for share in shares))


def _layout(args: argparse.Namespace, rng: random.Random) -> tuple[list[str], set[str], list[Bin]]:
    skus = [f"CNT-P{p:04d}" for p in range(args.products)]
    lot_skus = {sku for i, sku in enumerate(skus) if i % 10 == 9}
    bins = []
    for b in range(args.bins):
        held = rng.sample(skus, 2 if rng.random() < 0.5 else 1)
        bins.append(Bin(f"CNT-B{b:05d}", [Line(sku, f"L{b % 7}" if sku in lot_skus else None, rng.randint(1, 60))
                                          for sku in held]))  # fmt: skip
    return skus, lot_skus, bins


async def _setup(
    args: argparse.Namespace, width: int, rng: random.Random, skus: list[str], lot_skus: set[str], bins: list[Bin]
) -> tuple[int, list[int]]:
    from server.auth.service import create_user
    from server.catalog.service import ProductDetails, create_product
    from server.documents.lines import LineInput
    from server.documents.service import Header, act, create_document
    from server.inventory.locations import create_location, create_warehouse
    from server.partners.stores import StoreDetails, create_store

    admin = (await create_user("bench", PASSWORD, "admin")).id
    counters = [(await create_user(f"counter{i}", PASSWORD, "counter")).id for i in range(max(2, width))]
    await create_warehouse(WAREHOUSE, "Counted warehouse", actor_id=admin)
    await create_store(WAREHOUSE, StoreDetails(name="Bench", currency="EUR", warehouses=[WAREHOUSE]), actor_id=admin)
    started = time.perf_counter()

    def location(code: str) -> Callable[[], Awaitable[Any]]:
        return lambda: create_location(WAREHOUSE, code, code, actor_id=admin)

    def product(sku: str) -> Callable[[], Awaitable[Any]]:
        return lambda: create_product(sku, ProductDetails(name=sku, tracks_lots=sku in lot_skus), actor_id=admin)

    await _in_parallel([location(b.code) for b in bins], width)
    await _in_parallel([product(sku) for sku in skus], width)
    print(f"  {len(bins)} bins and {len(skus)} products made in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    lines = [LineInput(line.sku, str(line.books), price=str(Decimal(rng.randint(50, 5000)) / 100), location=b.code,
                       lot=line.lot) for b in bins for line in b.lines]  # fmt: skip
    for start in range(0, len(lines), DOCUMENT_LINES):
        document = await create_document("stock.inbound", WAREHOUSE, Header(reason="opening"),
                                         lines[start : start + DOCUMENT_LINES], actor_id=admin)  # fmt: skip
        document = await act(document.id, "confirm", version=document.version, actor_id=admin)
        document = await act(document.id, "post", version=document.version, actor_id=admin)
        assert document.state == "done", document.state
    print(f"  {len(lines)} lines of opening stock posted in {time.perf_counter() - started:.1f} s"
          f" ({-(-len(lines) // DOCUMENT_LINES)} stock.inbound documents)")  # fmt: skip
    return admin, counters


def _decide(args: argparse.Namespace, bins: list[Bin], skus: list[str], lot_skus: set[str], rng: random.Random) -> None:
    """What the counters will find: most lines as the books say, some off by 1-3, some never scanned,
    and in some bins a product the books do not have there."""
    loose = [sku for sku in skus if sku not in lot_skus]
    for bin_ in bins:
        for line in bin_.lines:
            roll = rng.random()
            if roll < args.unscanned:
                line.counted = None
            elif roll < args.unscanned + args.differ:
                line.counted = max(0, line.books + rng.choice((-3, -2, -1, 1, 2, 3)))
            else:
                line.counted = line.books
            line.split = line.counted is not None and line.counted >= 2 and rng.random() < args.split
        if rng.random() < args.found:
            present = {line.sku for line in bin_.lines}
            sku = rng.choice([s for s in loose if s not in present])
            bin_.lines.append(Line(sku, None, 0, rng.randint(1, 5)))


async def _count(count_id: int, bins: list[Bin], counters: list[int], width: int) -> tuple[int, float, float]:
    """Scan every line as the handhelds do, then finish every bin. Returns scans, seconds scanning, finishing."""
    from server.inventory.counts.counting import finish_bin, line_key, record, record_command

    scans = 0

    async def scan(bin_: Bin, line: Line, counter: int, quantity: int, mode: str) -> None:
        nonlocal scans
        command = record_command(count_id, line_key(bin_.code, line.sku, line.lot, None), str(quantity), mode)
        await record(command, actor_id=counter, idempotency_key=str(uuid.uuid4()))
        scans += 1

    def bin_jobs(n: int, bin_: Bin) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            counter, other = counters[n % len(counters)], counters[(n + 1) % len(counters)]
            for line in bin_.lines:
                if line.counted is None:
                    continue
                if line.counted == 0:
                    await scan(bin_, line, counter, 0, "set")  # found none: a zero is set, not added
                elif line.split:
                    half = line.counted // 2
                    await scan(bin_, line, counter, half, "add")
                    await scan(bin_, line, other, line.counted - half, "add")  # a second counter, same bin
                else:
                    await scan(bin_, line, counter, line.counted, "add")

        return job

    started = time.perf_counter()
    await _in_parallel([bin_jobs(n, b) for n, b in enumerate(bins)], width)
    scanning = time.perf_counter() - started

    def finish_job(n: int, bin_: Bin) -> Callable[[], Awaitable[Any]]:
        return lambda: finish_bin(count_id, bin_.code, actor_id=counters[n % len(counters)],
                                  idempotency_key=str(uuid.uuid4()))  # fmt: skip

    started = time.perf_counter()
    await _in_parallel([finish_job(n, b) for n, b in enumerate(bins)], width)
    return scans, scanning, time.perf_counter() - started


async def _on_hand() -> dict[tuple[str, str, str | None], Decimal]:
    rows = await sql.fetch(
        connection(),
        "SELECT loc.code, p.sku, lot.code AS lot, q.on_hand FROM quant q JOIN location loc ON loc.id = q.location_id"
        " JOIN product p ON p.id = q.product_id LEFT JOIN lot ON lot.id = q.lot_id JOIN warehouse w"
        " ON w.id = loc.warehouse_id WHERE w.code = $1",
        WAREHOUSE,
    )
    found = {(r["code"], r["sku"], r["lot"]): Decimal(str(r["on_hand"])) for r in rows}
    return {key: quantity for key, quantity in found.items() if quantity}  # an emptied quant stays, at 0


async def _verify(bins: list[Bin], what: Callable[[Line], int], label: str) -> None:
    from server.inventory.check import check_ledger

    expected = {(b.code, line.sku, line.lot): Decimal(what(line)) for b in bins for line in b.lines if what(line)}
    found = await _on_hand()
    wrong = [
        (k, expected.get(k), found.get(k)) for k in expected.keys() | found.keys() if expected.get(k) != found.get(k)
    ]
    report = await check_ledger()
    print(f"  check ({label}): {len(found)} quants of the warehouse, {len(wrong)} not as expected"
          f"{' ' + str(sorted(wrong, key=str)[:5]) if wrong else ''}; check_ledger"
          f" {'ok' if report.ok else report.problems[:5]}")  # fmt: skip


def _top_statements(counted: Statements, n: int = 8) -> str:
    return "\n".join(f"      {times:6d}  {shape}" for shape, times in counted.shapes.most_common(n))


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    url, name = await _database(args)
    backend = "PostgreSQL" if name else "SQLite"
    width = args.counters or (4 if name else 1)
    settings = use_settings(Settings(database_url=url, environment="test"))
    try:
        started = time.perf_counter()
        await db.migrate(settings)
        await db.open_database(settings)
        migrating = time.perf_counter() - started
        from server.inventory import ledger
        from server.inventory.counts import approval, plans

        print(f"{backend}: {args.bins} bins, {args.products} products, {width} counter(s) at a time")
        started = time.perf_counter()
        skus, lot_skus, bins = _layout(args, rng)
        admin, counters = await _setup(args, width, rng, skus, lot_skus, bins)
        setup = time.perf_counter() - started
        _decide(args, bins, skus, lot_skus, rng)

        started = time.perf_counter()
        count = await plans.plan_count(plans.checked(WAREHOUSE, WAREHOUSE, "warehouse"), actor_id=admin)
        planning = time.perf_counter() - started
        scans, scanning, finishing = await _count(count.id, bins, counters, width)
        lines = [line for b in bins for line in b.lines]
        differing = [(b, line) for b in bins for line in b.lines if line.final != line.books]
        print(f"  migrate {migrating:.1f} s; setup {setup:.1f} s; plan {planning:.2f} s;"
              f" {scans} scans in {scanning:.1f} s ({scans / scanning:.0f}/s);"
              f" {len(bins)} bins finished in {finishing:.1f} s ({len(bins) / finishing:.0f}/s)")  # fmt: skip
        print(f"  {len(lines)} lines: {sum(line.counted is None for line in lines)} never scanned,"
              f" {sum(line.books == 0 for line in lines)} found where the books had none,"
              f" {len(differing)} differ from the books")  # fmt: skip

        profile = cProfile.Profile() if args.profile else None
        with counting_statements() as approval_sql:
            if profile:
                profile.enable()
            started = time.perf_counter()
            approved = await approval.approve(count.id, version=count.version, actor_id=admin,
                                              idempotency_key=str(uuid.uuid4()))  # fmt: skip
            approving = time.perf_counter() - started
            if profile:
                profile.disable()
        assert approved.state == "done", approved.state
        await _verify(bins, lambda line: line.final, "after the approval")

        with counting_statements() as baseline_sql:
            started = time.perf_counter()
            for bin_, line in differing:  # each line back to what the books said: the same differences, reversed
                await ledger.adjust(line.sku, bin_.code, str(line.books), lot=line.lot, actor_id=admin,
                                    idempotency_key=str(uuid.uuid4()))  # fmt: skip
            one_by_one = time.perf_counter() - started
        await _verify(bins, lambda line: line.books, "after the baseline")

        n = len(differing)
        print(f"\n{backend}, {len(bins)} bins, {len(lines)} lines, {n} differences:")
        print(f"  approval (one posting):       {approving:7.2f} s  {approving / len(bins) * 1000:6.2f} ms/bin"
              f"  {approving / n * 1000:6.2f} ms/difference  {approval_sql.total:6d} statements")  # fmt: skip
        print(f"  baseline (adjust one by one): {one_by_one:7.2f} s  {'':>13}  {one_by_one / n * 1000:6.2f}"
              f" ms/difference  {baseline_sql.total:6d} statements")  # fmt: skip
        print(f"  ratio baseline/approval: {one_by_one / approving:.1f}x"
              f"  (approval {n / approving:.0f} differences/s, baseline {n / one_by_one:.0f}/s)")  # fmt: skip
        print(f"    approval's statements, most frequent:\n{_top_statements(approval_sql)}")
        print(f"    baseline's statements, most frequent:\n{_top_statements(baseline_sql)}")
        if profile:
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
            stats.print_stats(r"server/", args.profile_lines)
            print(out.getvalue())
    finally:
        await db.close_database()
        await _drop(args, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bins", type=int, default=5000)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--differ", type=float, default=0.10, help="share of lines counted 1-3 units off")
    parser.add_argument("--unscanned", type=float, default=0.01, help="share of lines never scanned (count 0)")
    parser.add_argument("--found", type=float, default=0.005, help="share of bins holding a product not on the books")
    parser.add_argument("--split", type=float, default=0.05, help="share of lines counted by two counters")
    parser.add_argument("--counters", type=int, default=0, help="counters at work at a time (default 4; SQLite 1)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="cProfile the approval (slows it)")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server, e.g. postgres://root@127.0.0.1:5432/postgres"
    )
    asyncio.run(main(parser.parse_args()))
