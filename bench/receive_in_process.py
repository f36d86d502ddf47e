"""CPU per receiveStock in-process: the ASGI app called directly, one request at a time, no HTTP client or server.

    .venv/bin/python bench/receive_in_process.py [--requests 3000] [--rounds 3]
    .venv/bin/python bench/receive_in_process.py --database bench_ready   # a database set up by an earlier run

What a request costs the server's process, without the load generator and uvicorn sharing the
cores with it: the production app (``create_app``, its lifespan run by hand) on PostgreSQL, the
bench's ``receiveStock`` document with a fresh idempotency key each time, spread over the demo's
3 products x 3 bins, CPU from ``time.process_time()``. Beside it, in the same process: a
``{ __typename }`` with the token through the same stack, and ``ledger.receive`` called directly.
Sequential, so each figure includes the process's share of every round trip's kernel work. Prints
the minimum and median over ``--rounds``; nothing is asserted. To compare two versions, run each
from its own export against the same ``--database``, alternately (docs/performance.md, fifth pass).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import uvloop

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
SKUS = ("TSHIRT-RED-M", "TSHIRT-BLU-L", "MUG-WHITE")
BINS = ("WH1-A-01", "WH1-A-02", "WH1-B-01")
RECEIVE = "mutation($i: ReceiveStockInput!) { receiveStock(input: $i) { moves { id } errors { code } } }"
LOGIN = "mutation($i: LoginInput!) { login(input: $i) { token errors { code message } } }"


class Asgi:
    """POSTs to an ASGI app with nothing in between, as uvicorn would hand them over."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post(self, body: bytes, token: str | None = None) -> dict[str, Any]:
        headers = [(b"content-type", b"application/json"), (b"accept", b"application/json")]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": self.state,
        }  # fmt: skip
        sent = False
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return orjson.loads(b"".join(chunks))

    state: dict[str, Any] = {}


def storekeeper(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "storekeeper"), *args], env=env, check=True, capture_output=True, timeout=300)


async def cpu_per_call(call: Callable[[int], Awaitable[object]], count: int, start: int) -> float:
    """CPU ms per call over ``count`` sequential calls."""
    began = time.process_time()
    for n in range(start, start + count):
        await call(n)
    return 1000 * (time.process_time() - began) / count


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from server.app import create_app
    from server.inventory import ledger
    from server.settings import get_settings

    app = create_app(get_settings())
    client = Asgi(app)
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    try:
        login = {"query": LOGIN, "variables": {"i": {"username": "demo", "password": "demo-password"}}}
        token = (await client.post(orjson.dumps(login)))["data"]["login"]["token"]
        user_id = await _user_id()
        run = uuid.uuid4().hex[:8]
        pairs = [(s, b) for s in SKUS for b in BINS]
        typename = orjson.dumps({"query": "{ __typename }"})

        async def receive_stock(n: int) -> None:
            sku, code = pairs[n % len(pairs)]
            variables = {"i": {"sku": sku, "locationCode": code, "quantity": "1", "idempotencyKey": f"{run}-{n}"}}
            answer = await client.post(orjson.dumps({"query": RECEIVE, "variables": variables}), token)
            if answer.get("errors") or answer["data"]["receiveStock"]["errors"]:
                raise RuntimeError(f"not a receipt: {answer}")

        async def receive_directly(n: int) -> None:
            sku, code = pairs[n % len(pairs)]
            await ledger.receive(sku, code, "1", actor_id=user_id, idempotency_key=f"{run}-d-{n}")

        async def type_name(n: int) -> None:
            await client.post(typename, token)

        figures: dict[str, list[float]] = {"receiveStock": [], "ledger.receive": [], "{ __typename }": []}
        await cpu_per_call(receive_stock, args.warmup, 0)
        await cpu_per_call(receive_directly, args.warmup, 0)
        start = args.warmup
        for _ in range(args.rounds):
            figures["receiveStock"].append(await cpu_per_call(receive_stock, args.requests, start))
            figures["ledger.receive"].append(await cpu_per_call(receive_directly, args.requests, start))
            figures["{ __typename }"].append(await cpu_per_call(type_name, args.requests, start))
            start += args.requests
        gc.collect()
        return figures
    finally:
        await lifespan.__aexit__(None, None, None)


async def _user_id() -> int:
    from server.db import connection

    rows = await connection().execute_query_dict("SELECT id FROM app_user WHERE username = 'demo'")
    return int(rows[0]["id"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/postgres"),
        help="a database to connect to for CREATE/DROP DATABASE (env BENCH_DATABASE_URL)",
    )
    parser.add_argument("--database", default=None, help="use this database, already migrated and seeded; keep it")
    parser.add_argument("--keep-database", action="store_true", help="keep the database this run creates")
    parser.add_argument("--requests", type=int, default=3000, help="requests per figure and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args()

    admin = args.database_url
    name = args.database or f"bench_{os.getpid()}"
    dsn = f"{admin.rsplit('/', 1)[0]}/{name}"
    env = {
        **os.environ,
        "STOREKEEPER_DATABASE_URL": dsn,
        "STOREKEEPER_ENV": "production",
        "STOREKEEPER_SECRET_KEY": os.environ.get("STOREKEEPER_SECRET_KEY") or secrets.token_hex(32),
    }
    env.pop("STOREKEEPER_REDIS_URL", None)
    os.environ.update(env)
    os.environ.pop("STOREKEEPER_REDIS_URL", None)
    if args.database is None:
        asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
        storekeeper(env, "migrate")
        storekeeper(env, "seed-demo")
    try:
        figures = uvloop.run(measure(args))
    finally:
        if args.database is None and not args.keep_database:
            asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"database {name}; {args.rounds} rounds of {args.requests} sequential requests; CPU ms per request:")
    for what, values in figures.items():
        shown = ", ".join(f"{v:.3f}" for v in values)
        print(f"  {what:16} min {min(values):.3f}  median {statistics.median(values):.3f}  ({shown})")
    return 0


async def _admin(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
