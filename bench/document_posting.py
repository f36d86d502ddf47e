"""Posting a 1,000-line goods-out document, beside the same 1,000 lines as 1,000 `issueStock` calls.

Both go through the GraphQL app in-process (httpx's ASGI transport, no network), on a fresh
database: PostgreSQL by default (``--database-url``), or SQLite with ``--sqlite``. Each line takes
one unit of one of 1,000 (product, bin) pairs: 50 products in 20 bins. Prints lines per second of
each way and their ratio; asserts nothing about time.

    .venv/bin/python bench/document_posting.py [--lines 1000] [--rounds 3] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

import asyncpg
import httpx

from server import db
from server.catalog.service import ProductDetails, create_product
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.partners.stores import StoreDetails, create_store
from server.settings import Settings, use_settings

CREATE = """mutation C($input: CreateDocumentInput!) { createDocument(input: $input) {
  document { id version } errors { field code message } } }"""
ACT = """mutation A($input: TransitionDocumentInput!) { transitionDocument(input: $input) {
  document { state number } errors { field code message } } }"""
ISSUE = """mutation I($input: IssueStockInput!) { issueStock(input: $input) { moves { id } errors { code } } }"""


async def _database(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.sqlite:
        return f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3", None
    name = f"bench_documents_{os.getpid()}"
    conn = await asyncpg.connect(args.database_url.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return args.database_url.rsplit("/", 1)[0] + f"/{name}", name


async def _drop(args: argparse.Namespace, name: str | None) -> None:
    if name:
        conn = await asyncpg.connect(args.database_url.replace("postgres://", "postgresql://", 1))
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def _setup(pairs: int, stock_per_pair: int) -> tuple[str, list[tuple[str, str]]]:
    from server.auth.service import create_user

    user = await create_user("bench", "correct horse battery", "admin")
    await create_warehouse("BENCH", "Bench", actor_id=user.id)
    bins = [f"BENCH-{i:03d}" for i in range(20)]
    for code in bins:
        await create_location("BENCH", code, code, actor_id=user.id)
    skus = [f"BENCH-SKU-{i:03d}" for i in range(max(1, pairs // len(bins)))]
    for sku in skus:
        await create_product(sku, ProductDetails(name=sku), actor_id=user.id)
    await create_store("BENCH", StoreDetails(name="Bench", currency="EUR", warehouses=["BENCH"]), actor_id=user.id)
    combos = [(sku, code) for sku in skus for code in bins][:pairs]
    for sku, code in combos:
        await ledger.receive(sku, code, str(stock_per_pair), actor_id=user.id, idempotency_key=str(uuid.uuid4()))
    return "BENCH", combos


async def _run(client: httpx.AsyncClient, token: str, query: str, input: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": {"input": input}},
                                 headers={"authorization": f"Bearer {token}"})  # fmt: skip
    body = response.json()
    assert "errors" not in body, body
    payload = next(iter(body["data"].values()))
    assert not payload["errors"], payload["errors"]
    return payload  # type: ignore[no-any-return]


async def main(args: argparse.Namespace) -> None:
    url, name = await _database(args)
    settings = use_settings(Settings(database_url=url, environment="test"))
    try:
        await db.migrate(settings)
        await db.open_database(settings)
        from server.app import create_app
        from server.auth.service import login
        from workers.queue import InProcessQueue

        store, combos = await _setup(args.lines, stock_per_pair=2 * args.rounds + 1)
        token = await login("bench", "correct horse battery")
        app = create_app(settings)
        app.state.graphql.queue = InProcessQueue()
        lines = [{"sku": sku, "quantity": "1", "location": code} for sku, code in combos]
        transport = httpx.ASGITransport(app=app)
        document_rates, single_rates = [], []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            for round_ in range(args.rounds):
                made = await _run(client, token, CREATE, {"type": "stock.outbound", "store": store, "reason": "damage",
                                                          "lines": lines})  # fmt: skip
                document = made["document"]
                await _run(client, token, ACT, {"id": document["id"], "action": "confirm"})
                started = time.perf_counter()
                posted = await _run(client, token, ACT, {"id": document["id"], "action": "post"})
                document_seconds = time.perf_counter() - started
                assert posted["document"]["state"] == "done"

                started = time.perf_counter()
                for sku, code in combos:
                    await _run(client, token, ISSUE, {"sku": sku, "locationCode": code, "quantity": "1",
                                                      "reason": "SCRAP",
                                                      "idempotencyKey": str(uuid.uuid4())})  # fmt: skip
                single_seconds = time.perf_counter() - started
                document_rates.append(len(lines) / document_seconds)
                single_rates.append(len(lines) / single_seconds)
                print(f"round {round_ + 1}: document {len(lines) / document_seconds:8.0f} lines/s"
                      f" ({document_seconds * 1000:.0f} ms), one issueStock at a time"
                      f" {len(lines) / single_seconds:6.0f} lines/s ({single_seconds * 1000:.0f} ms)")  # fmt: skip
        await transport.aclose() if hasattr(transport, "aclose") else None
        backend = "SQLite" if args.sqlite else "PostgreSQL"
        doc, single = statistics.median(document_rates), statistics.median(single_rates)
        print(f"{backend}, {len(lines)} lines, median of {args.rounds}: document {doc:.0f} lines/s,"
              f" issueStock {single:.0f} lines/s, ratio {doc / single:.1f}x")  # fmt: skip
        report = await check_ledger()
        print(f"check-ledger: {'ok' if report.ok else report.problems[:5]}")
    finally:
        await db.close_database()
        await _drop(args, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true")
    default_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", default=default_url)
    asyncio.run(main(parser.parse_args()))
