"""Scan to commit: the receiveStock mutation over HTTP against raw asyncpg: the same SQL, and the minimal txn.

    .venv/bin/python bench/scan_to_commit.py [--duration 12] [--workers N] [--profile]

Creates a database ``bench_<pid>`` on the local PostgreSQL, runs ``storekeeper migrate`` and
``seed-demo``, adds products and bins over GraphQL, starts ``storekeeper serve``, logs in, and
measures, each after a warm-up:

1. the server, saturated: ``wrk -t2 -c32`` sending ``receiveStock`` with a fresh idempotency key
   per request (bench/receive.lua); response bodies and the stock_move rows written are checked;
2. raw asyncpg: asyncio tasks on connections of their own, as many as the server can hold in transactions
   at once (its pool size times ``--workers``, at most 32), sending the server's SQL for a receive;
3. raw asyncpg, minimal: the same tasks, each receipt only a move with its unique idempotency key
   and an upserted quant, in tables of their own: the ceiling any ledger has;
4. the server, paced: the same 32 connections with think time, offering ~1/3 of the minimal txn's throughput;
5. with ``--profile``: an unmeasured run under py-spy, summarised by layer and span.

CPU time comes from /proc (server processes, the PostgreSQL backends serving the run, the load
generator): on a small machine they share the cores, and CPU ms per request varies less between
runs than requests per second. Nothing is asserted; the database is dropped at the end.

Target (issue 7, point 10): at least 1/3 of the minimal transaction's throughput, with p99 < 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import uvloop

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TARGET_RATIO = 1 / 3
TARGET_P99_MS = 25.0
NO_LOT = 0  # server/inventory/models.py
SUPPLIER_CODE = "VIRTUAL/SUPPLIER"  # server/inventory/locations.py
TICKS = os.sysconf("SC_CLK_TCK")
NAN = float("nan")
DEFAULT_POOL_SIZE = 10  # STOREKEEPER_DATABASE_POOL_SIZE's default (server/settings.py)


@dataclass
class Result:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    app_cpu: float  # ms per request: the server processes, or the raw client itself
    pg_cpu: float  # ms per request: the PostgreSQL backends serving the run
    wrk_cpu: float  # ms per request: the load generator (NaN for the raw run)
    busy: float  # share of all cores busy during the run
    others: float = NAN  # CPU seconds other processes on the machine used during the run


def run_async(coroutine: Any) -> Any:
    """On uvloop, as uvicorn runs the server."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


async def sql(dsn: str, method: str, query: str, *params: Any) -> Any:
    """One statement on a connection of its own: ``method`` is asyncpg's execute, fetch or fetchval."""
    conn = await asyncpg.connect(dsn)
    try:
        return await getattr(conn, method)(query, *params)
    finally:
        await conn.close()


def checkpoints(dsn: str) -> int:
    """PostgreSQL checkpoints so far (CREATE/DROP DATABASE elsewhere requests them; their I/O stalls commits)."""
    try:
        query = "SELECT num_timed + num_requested FROM pg_stat_checkpointer"  # PostgreSQL 17+
        return int(run_async(sql(dsn, "fetchval", query)))
    except asyncpg.UndefinedTableError:
        query = "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
        return int(run_async(sql(dsn, "fetchval", query)))


# --- CPU from /proc ----------------------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """utime + stime of a process in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def core_wait(pid: int) -> float:
    """Seconds the process's main thread spent runnable but waiting for a core."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(pid: int) -> list[int]:
    """The process and all its descendants (the server's workers with --workers N)."""
    children = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                children[int((entry / "stat").read_text().rpartition(")")[2].split()[1])].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children[found[-1]])
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


@contextlib.contextmanager
def cpu_meter(groups: dict[str, list[int]]) -> Iterator[dict[str, float]]:
    """CPU seconds of each group of pids, of child processes ('wrk'), of this process ('self'),
    of everything else on the machine ('others'), the share of the machine busy ('busy'), and the
    seconds the group's main threads waited for a core ('<group> wait')."""
    before = {name: {pid: process_cpu(pid) for pid in pids} for name, pids in groups.items()}
    waits = {name: sum(map(core_wait, pids)) for name, pids in groups.items()}
    kids, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    busy0, total0 = machine_ticks()
    used: dict[str, float] = {}
    yield used
    busy1, total1 = machine_ticks()
    for name, pids in groups.items():
        # A process gone by the end (0 then) is left out rather than counted negative.
        used[name] = sum(max(0.0, process_cpu(pid) - before[name][pid]) for pid in pids)
    for name, pids in groups.items():
        used[f"{name} wait"] = sum(map(core_wait, pids)) - waits[name]
    kids1, me1 = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    used["wrk"] = kids1.ru_utime + kids1.ru_stime - kids.ru_utime - kids.ru_stime
    used["self"] = me1.ru_utime + me1.ru_stime - me.ru_utime - me.ru_stime
    used["busy"] = (busy1 - busy0) / max(1, total1 - total0)
    ours = sum(v for k, v in used.items() if k != "busy" and not k.endswith(" wait"))
    used["others"] = max(0.0, (busy1 - busy0) / TICKS - ours)


# --- the server and wrk ------------------------------------------------------------------------


def storekeeper(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "storekeeper"), *args], env=env, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"storekeeper {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def graphql(url: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=30) as response:
        payload = json.loads(response.read())
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def start_server(env: dict[str, str], workers: int, *, floor: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """``storekeeper serve`` as an operator runs it (or, with ``floor``, bench/http_floor.py under the same
    uvicorn); returns the process and its base URL once healthy."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if floor:
        command = [str(BIN / "uvicorn"), "bench.http_floor:app", "--port", str(port), "--workers", str(workers)]
    else:
        command = [str(BIN / "storekeeper"), "serve", "--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=HERE.parent, start_new_session=True, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(f"{base}/healthz", timeout=2):
            return server, base
        time.sleep(0.2)
    stop(server)
    raise RuntimeError("the server did not answer /healthz in time")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return NAN
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, seconds: int, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Run wrk with receive.lua; its figures and error counts (bad_responses comes from receive.lua's done())."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    done = subprocess.run(
        [*command, "-s", str(HERE / "receive.lua"), url], env=env, capture_output=True, text=True, timeout=seconds + 60
    )
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    out = done.stdout

    def find(pattern: str, default: str = "0") -> str:
        match = re.search(pattern, out, re.M)
        return match.group(1) if match else default

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(find(r"Requests/sec:\s+([\d.]+)")),
        "requests": int(find(r"(\d+) requests in")),
        **{f"p{p}": _ms(find(rf"^\s+{p}%\s+(\S+)$", "nanms")) for p in (50, 90, 99)},
        "non_2xx": int(find(r"Non-2xx or 3xx responses:\s+(\d+)")),
        "socket_errors": sum(map(int, socket_errors.groups())) if socket_errors else 0,
        "bad": int(find(r"BENCH bad_responses=(\d+)")),
        "first_bad": find(r"BENCH first_bad=(.*)", ""),
    }


def measure_server(
    name: str, url: str, args: argparse.Namespace, env: dict[str, str], run: str, ctx: Bench,
    server: subprocess.Popen[bytes] | None = None, moves: str = "stock_move",
) -> Result:  # fmt: skip
    backends = [r["pid"] for r in run_async(sql(ctx.dsn, "fetch", BACKENDS))]
    count_moves = f"SELECT count(*) FROM {moves} WHERE idempotency_key LIKE $1"
    checkpointed = checkpoints(ctx.dsn)
    with cpu_meter({"server": descendants((server or ctx.server).pid), "postgres": backends}) as used:
        found = run_wrk(url, args.duration, args, {**env, "BENCH_RUN": run})
    checkpointed = checkpoints(ctx.dsn) - checkpointed
    written = run_async(sql(ctx.dsn, "fetchval", count_moves, f"{run}-%"))
    n = max(1, found["requests"])
    errors = found["non_2xx"] + found["socket_errors"] + found["bad"]
    print(
        f"  {name}: {found['requests']} responses ({found['non_2xx']} non-2xx, {found['socket_errors']} socket"
        f" errors, {found['bad']} not a successful receive), {written} stock_move rows written; p90"
        f" {found['p90']:.1f} ms; CPU s: server {used['server']:.1f} (waited {used['server wait']:.1f} for a"
        f" core), PostgreSQL {used['postgres']:.1f}, wrk {used['wrk']:.1f}, other processes {used['others']:.1f};"
        f" machine {100 * used['busy']:.0f}% busy; {checkpointed} checkpoints"
    )
    if found["first_bad"]:
        print(f"  first bad response: {found['first_bad']}")
    if written < found["requests"] - errors:
        print("  WARNING: fewer moves written than successful responses")
    return Result(
        name, found["requests"], found["rps"], found["p50"], found["p99"], errors,
        1000 * used["server"] / n, 1000 * used["postgres"] / n, 1000 * used["wrk"] / n, used["busy"], used["others"],
    )  # fmt: skip


# --- the raw asyncpg baseline ------------------------------------------------------------------
# The statements the server sends for a receive without lot, cost or scan into a bin that already
# holds the product, in its order (logged from ledger.receive on 2026-11-23, and asserted by
# tests/server/inventory/test_ledger.py): BEGIN, the product and bin lookup with the period lock
# dates (server/inventory/lookups.py; the supplier location's id is cached in the server), the quants
# (posting.py), the cost bucket with whether demands wait for the product (valuation/books.py), the
# move, then the quant, the bucket, the audit entry and the idempotency record in one statement
# (server/commands.py, Write.deferred), COMMIT. The product's last cost is read only for an empty bucket.

LOOKUP = (
    "SELECT product.id, product.sku, product.tracks_lots, product.is_archived, product.tracks_serials,"
    " location.id AS location_id, location.code, location.kind, location.warehouse_id, location.sellable,"
    " location.max_units, location.max_weight_kg, location.mixing,"
    " (SELECT locked_until FROM period_lock WHERE warehouse_id = 0 FOR SHARE) AS company_locked_until,"
    " (SELECT locked_until FROM period_lock WHERE warehouse_id = location.warehouse_id FOR SHARE)"
    " AS warehouse_locked_until"
    " FROM product, location WHERE product.sku = $1 AND location.code IN ($2) ORDER BY location.id FOR SHARE"
)
LOCK_QUANTS = (
    "SELECT id, product_id, location_id, lot_id, package_id, on_hand, reserved, in_date,"
    " (SELECT expires_on FROM lot WHERE lot.id = quant.lot_id) AS expires_on,"
    " (SELECT COALESCE(removal_on, expires_on) FROM lot WHERE lot.id = quant.lot_id) AS removal_on FROM quant"
    " WHERE product_id = $1 AND location_id = $2 AND package_id = 0 ORDER BY lot_id FOR UPDATE"
)
NEW_QUANT = (
    "INSERT INTO quant (product_id, location_id, lot_id, package_id, on_hand, reserved) VALUES ($1, $2, $3, 0, 0, 0)"
    " ON CONFLICT (product_id, location_id, lot_id, package_id) DO NOTHING RETURNING id"
)
BUCKET = (
    "SELECT id, product_id, warehouse_id, quantity, value, unit_cost,"
    " (SELECT costing_method FROM product WHERE product.id = cost_bucket.product_id) AS method,"
    " EXISTS (SELECT 1 FROM stock_demand WHERE stock_demand.product_id = cost_bucket.product_id AND waiting)"
    " AS waiting FROM cost_bucket WHERE (product_id, warehouse_id) IN (($1, $2))"
    " ORDER BY product_id, warehouse_id FOR UPDATE"
)
LAST_COST = (
    "SELECT unit_cost FROM cost_bucket WHERE product_id = $1 AND unit_cost IS NOT NULL"
    " ORDER BY updated_at DESC, id DESC LIMIT 1"
)
INSERT_MOVE = (
    "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, lot_id, kind, reason,"
    " user_id, idempotency_key, created_at, effective_at, document_type, document_id, document_line_id,"
    " unit_cost, value, from_package_id, to_package_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
    " $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id"
)
WRITES_AUDIT_AND_KEY = (
    "WITH w0 AS (UPDATE quant SET on_hand = $1, in_date = $2 WHERE id = $3),"
    " w1 AS (UPDATE cost_bucket SET quantity = $4, value = $5, unit_cost = $6, updated_at = $7 WHERE id = $8),"
    " w2 AS (INSERT INTO audit_entry (actor_id, action, object_type, object_id, data, created_at)"
    " VALUES ($9, $10, $11, $12, $13, $14)) INSERT INTO idempotency_record (key, user_id, operation, request_hash,"
    " created_at, expires_at, response) VALUES ($15, $16, $17, $18, $19, $20, $21)"
    " ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
)
BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


async def raw_receive(conn: asyncpg.Connection, sku: str, code: str, key: str, user_id: int, supplier_id: int) -> None:
    quantity = Decimal("1.0000")
    request = {"sku": sku, "location": code, "quantity": quantity, "lot": None, "expires_on": None}
    canonical = orjson.dumps(["stock.receive", request], option=orjson.OPT_SORT_KEYS, default=str)
    created = datetime.now(UTC)
    async with conn.transaction():
        row = await conn.fetchrow(LOOKUP, sku, code)
        product_id, bin_id, warehouse_id = row["id"], row["location_id"], row["warehouse_id"]
        quants = {r["lot_id"]: r for r in await conn.fetch(LOCK_QUANTS, product_id, bin_id)}
        if NO_LOT in quants:
            quant_id, on_hand = quants[NO_LOT]["id"], quants[NO_LOT]["on_hand"]
        else:
            quant = await conn.fetchrow(NEW_QUANT, product_id, bin_id, NO_LOT)
            quant = quant or (await conn.fetch(LOCK_QUANTS, product_id, bin_id))[0]
            quant_id, on_hand = quant["id"], Decimal(0)
        bucket = await conn.fetchrow(BUCKET, product_id, warehouse_id)
        unit_cost = bucket["unit_cost"]
        if unit_cost is None:  # an average of zero is an average (as in the server)
            unit_cost = await conn.fetchval(LAST_COST, product_id) or Decimal(0)
        move_id = await conn.fetchval(
            INSERT_MOVE, product_id, quantity, supplier_id, bin_id, None, "receive", None, user_id, key, created,
            created, None, None, None, unit_cost, unit_cost * quantity, 0, 0,
        )  # fmt: skip
        data = {**request, "moves": [move_id]}
        audit = orjson.dumps(data, default=str).decode()
        stored = await conn.fetchval(
            WRITES_AUDIT_AND_KEY, on_hand + quantity, created, quant_id, bucket["quantity"] + quantity,
            bucket["value"] + unit_cost * quantity, unit_cost, created, bucket["id"],
            user_id, "stock.receive", "stock_move", str(move_id), audit, created, key, user_id,
            "stock.receive", hashlib.sha256(canonical).hexdigest(), created, created + timedelta(days=30),
            orjson.dumps({"move_ids": [move_id]}).decode(),
        )  # fmt: skip
        if stored is None:
            raise RuntimeError(f"idempotency key {key} already used")


# The minimal transaction (the ceiling of point 10 of issue 7): a move with its idempotency key,
# unique, and the quant upserted, nothing else. Its own two tables, so the unique key and the upsert
# need no lookups: what any ledger must at least do per receipt.
MINIMAL_TABLES = (
    "CREATE TABLE minimal_move (id BIGSERIAL PRIMARY KEY, product_id INT NOT NULL, location_id INT NOT NULL,"
    " quantity NUMERIC(18, 4) NOT NULL, idempotency_key VARCHAR(255) NOT NULL UNIQUE,"
    " created_at TIMESTAMPTZ NOT NULL);"
    " CREATE TABLE minimal_quant (product_id INT NOT NULL, location_id INT NOT NULL, on_hand NUMERIC(18, 4)"
    " NOT NULL, PRIMARY KEY (product_id, location_id))"
)
MINIMAL_MOVE = (
    "INSERT INTO minimal_move (product_id, location_id, quantity, idempotency_key, created_at)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING id"
)
MINIMAL_QUANT = (
    "INSERT INTO minimal_quant (product_id, location_id, on_hand) VALUES ($1, $2, $3)"
    " ON CONFLICT (product_id, location_id) DO UPDATE SET on_hand = minimal_quant.on_hand + EXCLUDED.on_hand"
)


async def minimal_receive(conn: asyncpg.Connection, product_id: int, bin_id: int, key: str) -> None:
    quantity = Decimal("1.0000")
    async with conn.transaction():
        await conn.fetchval(MINIMAL_MOVE, product_id, bin_id, quantity, key, datetime.now(UTC))
        await conn.execute(MINIMAL_QUANT, product_id, bin_id, quantity)


async def raw_run(ctx: Bench, seconds: float, clients: int, prefix: str, *, minimal: bool = False) -> dict[str, Any]:
    user_id = await sql(ctx.dsn, "fetchval", "SELECT id FROM app_user WHERE username = 'demo'")
    supplier_id = await sql(ctx.dsn, "fetchval", "SELECT id FROM location WHERE code = $1", SUPPLIER_CODE)
    ids = {}
    for sku, code in ctx.pairs:
        ids[sku, code] = (
            await sql(ctx.dsn, "fetchval", "SELECT id FROM product WHERE sku = $1", sku),
            await sql(ctx.dsn, "fetchval", "SELECT id FROM location WHERE code = $1", code),
        )
    pool = await asyncpg.create_pool(ctx.dsn, min_size=clients, max_size=clients)
    latencies: list[float] = []
    failures = 0
    try:
        backends = [r["pid"] for r in await pool.fetch(BACKENDS + " UNION SELECT pg_backend_pid()")]
        stop_at = time.perf_counter() + seconds

        async def client(number: int) -> None:
            nonlocal failures
            counter = 0
            async with pool.acquire() as conn:
                while time.perf_counter() < stop_at:
                    counter += 1
                    sku, code = ctx.pairs[(counter + number) % len(ctx.pairs)]
                    began = time.perf_counter()
                    key = f"{prefix}-{number}-{counter}"
                    try:
                        if minimal:
                            await minimal_receive(conn, *ids[sku, code], key)
                        else:
                            await raw_receive(conn, sku, code, key, user_id, supplier_id)
                    except Exception as error:  # counted and shown, never hidden
                        failures += 1
                        if failures == 1:
                            print(f"  raw: first failure: {error!r}", file=sys.stderr)
                        continue
                    latencies.append((time.perf_counter() - began) * 1000)

        with cpu_meter({"postgres": backends}) as used:
            started = time.perf_counter()
            await asyncio.gather(*(client(n) for n in range(clients)))
            elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    return {"latencies": latencies, "elapsed": elapsed, "failures": failures, "used": used}


def percentile(values: list[float], percent: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, int(-(-len(ordered) * percent // 100)) - 1)] if ordered else NAN


def measure_raw(args: argparse.Namespace, ctx: Bench, *, minimal: bool = False, round_: int = 1) -> Result:
    label, prefix = ("minimal", "min") if minimal else ("raw", "raw")
    prefix += str(round_) if round_ > 1 else ""  # the keys are unique
    if args.warmup:
        run_async(raw_run(ctx, args.warmup, args.raw_clients, f"{prefix}warm", minimal=minimal))
    checkpointed = checkpoints(ctx.dsn)
    out = run_async(raw_run(ctx, args.duration, args.raw_clients, prefix, minimal=minimal))
    checkpointed = checkpoints(ctx.dsn) - checkpointed
    used, latencies = out["used"], out["latencies"]
    n = max(1, len(latencies))
    print(
        f"  {label}: {len(latencies)} transactions in {out['elapsed']:.1f}s, {out['failures']} failures; CPU s:"
        f" client {used['self']:.1f}, PostgreSQL {used['postgres']:.1f}, other processes {used['others']:.1f};"
        f" machine {100 * used['busy']:.0f}% busy; {checkpointed} checkpoints"
    )
    name = f"raw asyncpg ({'minimal txn' if minimal else 'same SQL'}, {args.raw_clients} tasks)"
    return Result(
        name, len(latencies), len(latencies) / out["elapsed"], percentile(latencies, 50), percentile(latencies, 99),
        out["failures"], 1000 * used["self"] / n, 1000 * used["postgres"] / n, NAN, used["busy"], used["others"],
    )  # fmt: skip


# --- profile -----------------------------------------------------------------------------------

LAYERS = [  # by the innermost Python frame of a sample
    ("event loop (uvloop's C code)", "Runner.run (asyncio/runners.py"),
    ("asyncpg", "asyncpg/"),
    ("tortoise-orm", "tortoise/"),
    ("strawberry", "strawberry/"),
    ("graphql-core", "graphql/"),
    ("uvicorn", "uvicorn/"),
    ("starlette", "starlette/"),
    ("server/ (domain code)", "server/"),
    ("schema/ (resolvers, HTTP endpoint)", "schema/"),
    ("asyncio", "asyncio/"),
    ("contextlib (extension hooks)", "contextlib.py"),
]
SPANS: list[tuple[str, tuple[str, ...]]] = [  # inclusive: a sample counts if any frame matches
    ("GraphQLEndpoint.handle (body, auth, execute, respond)", ("GraphQLEndpoint.handle",)),
    ("  authenticate (token hash + principal cache)", ("authenticate (server/auth/service.py",)),
    ("  strawberry Schema.execute", ("Schema.execute ",)),
    ("    extension hooks (strawberry/extensions/)", ("strawberry/extensions/",)),
    ("    parse + validate (both cached)", ("Schema._prepare_operation_async",)),
    ("    graphql-core execute (executor, argument coercion, resolver)", ("Schema._execute_operation",)),
    ("      the receiveStock resolver (ledger.receive and its SQL)", ("receive (server/inventory/ledger.py",)),
    ("        product + bin lookup", ("lookup (server/inventory/lookups.py",)),
    ("        posting.post (quants, move, audit)", ("post (server/inventory/posting.py",)),
    ("        idempotency.run (the whole transaction)", ("run (server/idempotency/service.py",)),
    ("        tortoise execute_query*/in_transaction (asyncpg inside)", ("execute_query", "in_transaction")),
    ("    result handling, error masking", ("Schema._handle_execution_result",)),
    ("  response (JSON encoding)", ("GraphQLEndpoint.respond",)),
    ("garbage collector (anywhere)", ("gc_collect_main",)),
]
WAITS = ("write (libc", "epoll_pwait (libc", "epoll_wait (libc")
_PY_FRAME = re.compile(r"\(([^()]*\.py):\d+\)$")


def summarize_profile(collapsed: Path, top: int = 12) -> str:
    """Where the server's CPU went, from py-spy's collapsed stacks.

    A sample whose innermost frame is write() is mostly the server waiting for a core right after
    it woke a PostgreSQL backend (py-spy counts a runnable thread as busy); those, the epoll waits
    and threads blocked on a lock are counted apart and left out of the shares.
    """
    stacks, waiting = [], 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if frames[-1].startswith(WAITS) or any(f.startswith("PyThread_acquire_lock") for f in frames):
            waiting += int(count)  # also idle threads blocked on a lock (asyncio.to_thread's pool)
        else:
            stacks.append((frames, int(count)))
    busy = sum(c for _, c in stacks)
    if not busy:
        return "  (no samples)"
    own, layers, spans = collections.Counter(), collections.Counter(), collections.Counter()
    for frames, count in stacks:
        innermost = next((f for f in reversed(frames) if _PY_FRAME.search(f)), None)
        own[innermost or frames[-1]] += count
        if any(f.startswith("gc_collect") for f in frames):
            layers["garbage collector"] += count
        elif innermost is None:
            layers["native, no Python frame (event loop)"] += count
        else:
            layers[next((name for name, needle in LAYERS if needle in innermost), "other Python (stdlib)")] += count
        if not any("GraphQLEndpoint.handle" in f for f in frames):
            spans["HTTP + ASGI (uvicorn, starlette) outside the GraphQL endpoint"] += count
        for name, needles in SPANS:
            if any(n in f for f in frames for n in needles):
                spans[name] += count
    lines = [f"  {busy + waiting} samples; {waiting} waiting (write, epoll, locks) left out; shares of {busy} others"]
    lines.append("  by layer (innermost Python frame):")
    lines += [f"    {100 * c / busy:5.1f}%  {name}" for name, c in layers.most_common()]
    lines.append("  by span (inclusive):")
    outside = "HTTP + ASGI (uvicorn, starlette) outside the GraphQL endpoint"
    lines += [f"    {100 * spans[name] / busy:5.1f}%  {name}" for name in [outside, *(n for n, _ in SPANS)]]
    lines.append(f"  top {top} Python functions by own time (native code they call included):")
    lines += [f"    {100 * c / busy:5.1f}%  {frame[:110]}" for frame, c in own.most_common(top)]
    return "\n".join(lines)


def profile_server(url: str, args: argparse.Namespace, env: dict[str, str], ctx: Bench) -> str:
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    if not Path(spy).exists():
        return "  py-spy is not installed (.venv/bin/pip install py-spy)"
    # With --workers N, profile the busiest worker.
    target = max(descendants(ctx.server.pid), key=process_cpu) if args.workers > 1 else ctx.server.pid
    collapsed = ctx.tmp / "profile.txt"
    errors = ""
    for mode in ("--native", "--nonblocking"):  # native frames show the GC and syscalls; fall back without
        command = [spy, "record", "--pid", str(target), "--duration", str(args.duration), "--rate", "100", mode]
        record = subprocess.Popen(
            [*command, "--format", "raw", "--output", str(collapsed)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(1)
        found = run_wrk(url, args.duration, args, {**env, "BENCH_RUN": f"profile-{mode[2:]}"})
        _, stderr = record.communicate(timeout=args.duration + 60)
        if collapsed.exists() and collapsed.stat().st_size:
            break
        errors += stderr.decode().strip()[-300:] + "\n"
    else:
        return f"  py-spy recorded nothing: {errors}"
    if args.profile_output:
        shutil.copyfile(collapsed, args.profile_output)
    under = f"under the profiler {found['rps']:.0f} req/s, p99 {found['p99']:.1f} ms"
    return f"  py-spy {mode}, {args.duration}s, {under}\n" + summarize_profile(collapsed)


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Bench:
    dsn: str
    tmp: Path
    server: subprocess.Popen[bytes]
    pairs: list[tuple[str, str]]


def make_pairs(url: str, token: str, products: int, bins: int) -> list[tuple[str, str]]:
    """Demo products and bins first, then BENCH-* ones created over GraphQL (COFFEE-1KG needs a lot: left out)."""
    skus = ["TSHIRT-RED-M", "TSHIRT-BLU-L", "MUG-WHITE"][:products]
    codes = ["WH1-A-01", "WH1-A-02", "WH1-B-01"][:bins]
    create_product = "mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code message } } }"
    create_location = "mutation($i: CreateLocationInput!) { createLocation(input: $i) { errors { code message } } }"
    for n in range(len(skus), products):
        skus.append(f"BENCH-{n + 1:02d}")
        errors = graphql(url, create_product, {"i": {"sku": skus[-1], "name": f"Bench {n + 1}"}}, token)
        if errors["createProduct"]["errors"]:
            raise RuntimeError(f"createProduct {skus[-1]}: {errors}")
    for n in range(len(codes), bins):
        codes.append(f"WH1-C-{n + 1:02d}")
        variables = {"i": {"warehouseCode": "WH1", "code": codes[-1], "name": f"Bench bin {n + 1}"}}
        errors = graphql(url, create_location, variables, token)
        if errors["createLocation"]["errors"]:
            raise RuntimeError(f"createLocation {codes[-1]}: {errors}")
    return [(s, c) for s in skus for c in codes]


def start_floor(env: dict[str, str], args: argparse.Namespace, ctx: Bench) -> tuple[subprocess.Popen[bytes], str]:
    """bench/http_floor.py on uvicorn, with a pool as large as the server's, booking into the minimal tables."""
    ids = []
    for sku, code in ctx.pairs:
        product_id = run_async(sql(ctx.dsn, "fetchval", "SELECT id FROM product WHERE sku = $1", sku))
        bin_id = run_async(sql(ctx.dsn, "fetchval", "SELECT id FROM location WHERE code = $1", code))
        ids.append(f"{sku}@{code}={product_id}:{bin_id}")
    floor_env = {**env, "BENCH_FLOOR_DSN": ctx.dsn, "BENCH_FLOOR_POOL": str(args.pool_size or DEFAULT_POOL_SIZE),
                 "BENCH_FLOOR_IDS": ",".join(ids)}  # fmt: skip
    process, base = start_server(floor_env, args.workers, floor=True)
    return process, f"{base}/graphql"


def measure_floor(
    process: subprocess.Popen[bytes], url: str, args: argparse.Namespace, env: dict[str, str], ctx: Bench, round_: int
) -> Result:
    if args.warmup and round_ == 1:
        run_wrk(url, args.warmup, args, {**env, "BENCH_RUN": "floorwarm"})
    name = "HTTP floor (minimal txn on uvicorn)"
    return measure_server(name, url, args, env, f"floor{round_}", ctx, process, "minimal_move")


def report(server: Result, raw: Result, minimal: Result, floor: Result, paced: Result | None) -> str:
    rows = [
        f"{'':36} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'requests':>8} {'errors':>6}"
        f" {'app CPU':>7} {'PG CPU':>7} {'wrk CPU':>7} {'busy':>5}",
        f"{'':36} {'':>7} {'':>7} {'':>7} {'':>8} {'':>6} {'ms/req':>7} {'ms/req':>7} {'ms/req':>7}",
    ]
    for r in filter(None, (server, raw, minimal, floor, paced)):
        rows.append(
            f"{r.name:36} {r.rps:7.1f} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.requests:8d} {r.errors:6d}"
            f" {r.app_cpu:7.2f} {r.pg_cpu:7.2f} {r.wrk_cpu:7.2f} {100 * r.busy:4.0f}%"
        )
    rows.append("(app CPU: the server processes, or the raw client itself; PG: its backends; busy: all cores)\n")
    ratio = server.rps / raw.rps if raw.rps else NAN

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    rows.append(f"ratio server/raw (same SQL) throughput: {ratio:.3f}")
    share = server.rps / minimal.rps if minimal.rps else NAN
    rows.append(f"ratio server/minimal txn throughput: {share:.3f} (target >= 0.333): {verdict(share >= TARGET_RATIO)}")
    rows.append(f"ratio HTTP floor/minimal txn throughput: {floor.rps / minimal.rps if minimal.rps else NAN:.3f}")
    rows.append(f"ratio server/HTTP floor throughput: {server.rps / floor.rps if floor.rps else NAN:.3f}")
    rows.append(f"server p99 saturated: {server.p99_ms:.1f} ms (target < 25 ms): {verdict(server.p99_ms < 25)}")
    if paced:
        rows.append(
            f"server p99 paced at {paced.rps:.0f} req/s ({paced.rps / minimal.rps:.2f} of the minimal txn):"
            f" {paced.p99_ms:.1f} ms:"
            f" {verdict(paced.p99_ms < TARGET_P99_MS)}"
        )
    return "\n".join(rows)


def report_rounds(rounds: list[tuple[Result, Result, Result]]) -> str:
    rows = [
        "\nrounds (the server, the minimal txn, the HTTP floor):",
        f"{'round':>5} {'server req/s':>12} {'minimal req/s':>13} {'floor req/s':>11} {'ratio':>6}"
        f" {'floor ratio':>11} {'server CPU ms/req':>17} {'other CPU s (server, minimal, floor)':>37}",
    ]
    ratios, floors = [], []
    for number, (server, minimal, floor) in enumerate(rounds, 1):
        ratios.append(server.rps / minimal.rps if minimal.rps else NAN)
        floors.append(floor.rps / minimal.rps if minimal.rps else NAN)
        rows.append(
            f"{number:5d} {server.rps:12.1f} {minimal.rps:13.1f} {floor.rps:11.1f} {ratios[-1]:6.3f} {floors[-1]:11.3f}"
            f" {server.app_cpu:17.2f} {f'{server.others:.1f}, {minimal.others:.1f}, {floor.others:.1f}':>37}"
        )
    middle = statistics.median(ratios)
    verdict = "met" if middle >= TARGET_RATIO else "NOT met"
    rows.append(f"median ratio server/minimal txn over {len(ratios)} rounds: {middle:.3f} (target >= 0.333): {verdict}")
    rows.append(f"median ratio HTTP floor/minimal txn: {statistics.median(floors):.3f}")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/postgres"),
        help="a database to connect to for CREATE/DROP DATABASE (env BENCH_DATABASE_URL)",
    )
    parser.add_argument("--duration", type=int, default=12, help="seconds per measurement (default 12)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument(
        "--raw-clients",
        type=int,
        default=None,
        help="transactions the raw clients keep in flight (default: as many as the server can, its pool size"
        " times --workers, at most --connections)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="server processes: storekeeper serve --workers N")
    parser.add_argument(
        "--environment",
        default="production",
        choices=["production", "development"],
        help="STOREKEEPER_ENV of the server (production adds error masking and turns introspection off)",
    )
    parser.add_argument("--pool-size", type=int, default=None, help="STOREKEEPER_DATABASE_POOL_SIZE of the server")
    parser.add_argument("--products", type=int, default=4, help="products to spread the receipts over")
    parser.add_argument("--bins", type=int, default=4, help="bins to spread the receipts over")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure the server and the minimal txn this many times, alternated"
    )
    parser.add_argument("--no-paced", dest="paced", action="store_false", help="skip the paced server run")
    parser.add_argument("--profile", action="store_true", help="profile the server with py-spy in an extra run")
    parser.add_argument("--profile-output", default=None, help="keep py-spy's collapsed stacks in this file")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    admin_dsn = args.database_url
    db_name = f"bench_{os.getpid()}"
    dsn = f"{admin_dsn.rsplit('/', 1)[0]}/{db_name}"
    env = {
        **os.environ,
        "STOREKEEPER_DATABASE_URL": dsn,
        "STOREKEEPER_ENV": args.environment,
        "STOREKEEPER_SECRET_KEY": os.environ.get("STOREKEEPER_SECRET_KEY") or secrets.token_hex(32),
    }
    env.pop("STOREKEEPER_REDIS_URL", None)  # events stay in-process: no Redis on the measured path
    if args.pool_size:
        env["STOREKEEPER_DATABASE_POOL_SIZE"] = str(args.pool_size)
    # The server holds at most its pools' connections in transactions at once, whatever wrk sends: the
    # raw clients get as many, so both sides queue on the same row locks with the same concurrency.
    server_connections = (args.pool_size or DEFAULT_POOL_SIZE) * args.workers
    args.raw_clients = args.raw_clients or min(args.connections, server_connections)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}"
        f" before the run; python {sys.version.split()[0]}; database {db_name}"
    )
    run_async(sql(admin_dsn, "execute", f'CREATE DATABASE "{db_name}"'))
    server = None
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        storekeeper(env, "migrate")
        storekeeper(env, "seed-demo")
        server, base = start_server(env, args.workers)
        url = f"{base}/graphql"
        login = "mutation($i: LoginInput!) { login(input: $i) { token errors { code message } } }"
        token = graphql(url, login, {"i": {"username": "demo", "password": "demo-password"}})["login"]["token"]
        if not token:
            raise RuntimeError("login as demo failed")
        ctx = Bench(dsn, tmp, server, make_pairs(url, token, args.products, args.bins))
        print(
            f"server: storekeeper serve --workers {args.workers} ({args.environment}, pool"
            f" {args.pool_size or DEFAULT_POOL_SIZE} per process); {len(ctx.pairs)} sku/bin pairs;"
            f" {args.connections} clients; raw clients {args.raw_clients} connections;"
            f" {args.duration}s per measurement after {args.warmup}s warm-up"
        )
        wrk_env = {**os.environ, "BENCH_TOKEN": token, "BENCH_PAIRS": ",".join(f"{s}@{c}" for s, c in ctx.pairs)}
        if args.warmup:
            run_wrk(url, args.warmup, args, {**wrk_env, "BENCH_RUN": "warm"})
        saturated = measure_server("server (GraphQL over HTTP)", url, args, wrk_env, "http", ctx)
        raw = measure_raw(args, ctx)
        run_async(sql(dsn, "execute", MINIMAL_TABLES))
        minimal = measure_raw(args, ctx, minimal=True)
        floor_server, floor_url = start_floor(env, args, ctx)
        try:
            floor = measure_floor(floor_server, floor_url, args, wrk_env, ctx, 1)
            rounds = [(saturated, minimal, floor)]
            for round_ in range(2, args.rounds + 1):  # alternated, so that other load falls on all sides alike
                print(f"  round {round_}:")
                again = measure_server("server (GraphQL over HTTP)", url, args, wrk_env, f"http{round_}", ctx)
                minimal_again = measure_raw(args, ctx, minimal=True, round_=round_)
                floor_again = measure_floor(floor_server, floor_url, args, wrk_env, ctx, round_)
                rounds.append((again, minimal_again, floor_again))
        finally:
            stop(floor_server)
        paced = None
        if args.paced and raw.rps:
            # Closed loop with think time: each connection sends one request per think + latency ms.
            # A warm-up at the load measures the latency, and the think time is corrected for it.
            offered = minimal.rps * TARGET_RATIO
            cycle = 1000 * args.connections / offered  # ms per request and connection
            think = max(1.0, cycle - 2.0)
            if args.warmup:
                warm_env = {**wrk_env, "BENCH_RUN": "pacedwarm", "BENCH_DELAY_MS": f"{think:.1f}"}
                latency = 1000 * args.connections / max(run_wrk(url, args.warmup, args, warm_env)["rps"], 1.0) - think
                think = max(1.0, cycle - min(max(2.0, latency), cycle / 4))  # clamped: the warm-up is noisy too
                print(f"  paced warm-up: {latency:.1f} ms latency estimated; think time {think:.1f} ms")
            paced_env = {**wrk_env, "BENCH_DELAY_MS": f"{think:.1f}"}
            paced = measure_server(f"server paced (aiming at {offered:.0f}/s)", url, args, paced_env, "paced", ctx)
        profile = profile_server(url, args, wrk_env, ctx) if args.profile else None
        stop(server)

        print()
        print(report(saturated, raw, minimal, floor, paced))
        if len(rounds) > 1:
            print(report_rounds(rounds))
        if profile:
            print("\nwhere the server's CPU time goes (py-spy, a separate unmeasured run):")
            print(profile)
        print(f"\nstorekeeper check-ledger: {storekeeper(env, 'check-ledger')}")
        return 0
    finally:
        stop(server)
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep_database:
            run_async(sql(admin_dsn, "execute", f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


if __name__ == "__main__":
    sys.exit(main())
