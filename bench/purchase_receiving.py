"""Receiving a 1,000-line purchase order: line by line (one `receivePurchaseOrder` per scan, as the
handheld sends them) and in one request, beside the same 1,000 lines as 1,000 `receiveStock` calls.

All three go through the GraphQL app in-process (httpx's ASGI transport, no network), on a fresh
database: PostgreSQL by default (``--database-url``), or SQLite with ``--sqlite``. Each order line is
one unit of one of 1,000 (product, bin) pairs: 50 products in 20 bins. Prints lines per second of each
way and their ratios to `receiveStock` measured in the same run; asserts nothing about time.

    .venv/bin/python bench/purchase_receiving.py [--lines 1000] [--rounds 3] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from typing import Any

import httpx
from document_posting import _database, _drop, _run  # a sibling script: bench/ is on sys.path

from server import db
from server.catalog.service import ProductDetails, create_product
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.partners.models import Party
from server.partners.stores import StoreDetails, create_store
from server.settings import Settings, use_settings

CREATE = """mutation C($input: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $input) {
  document { id } errors { field code message } } }"""
ACT = """mutation A($input: TransitionDocumentInput!) { transitionDocument(input: $input) {
  document { state } errors { field code message } } }"""
RECEIVE = """mutation R($input: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $input) {
  receipt { number } orders { state } errors { field code message } } }"""
RECEIVE_STOCK = (
    """mutation S($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { id } errors { code } } }"""
)


async def _setup(pairs: int) -> list[tuple[str, str]]:
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
    await Party.create(code="BENCH-SUP", name="Bench supplier", roles=["supplier"])
    return [(sku, code) for sku in skus for code in bins][:pairs]


async def _confirmed_order(client: httpx.AsyncClient, token: str, combos: list[tuple[str, str]]) -> str:
    lines = [{"sku": sku, "quantity": "1", "price": "2.50", "location": code} for sku, code in combos]
    made = await _run(client, token, CREATE, {"supplier": "BENCH-SUP", "store": "BENCH", "warehouse": "BENCH",
                                              "lines": lines})  # fmt: skip
    order_id: str = made["document"]["id"]
    await _run(client, token, ACT, {"id": order_id, "action": "confirm"})
    return order_id


async def _timed(work: Any) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    url, name = await _database(args)
    settings = use_settings(Settings(database_url=url, environment="test"))
    try:
        await db.migrate(settings)
        await db.open_database(settings)
        from server.app import create_app
        from server.auth.service import login
        from workers.queue import InProcessQueue

        combos = await _setup(args.lines)
        token = await login("bench", "correct horse battery")
        app = create_app(settings)
        app.state.graphql.queue = InProcessQueue()
        transport = httpx.ASGITransport(app=app)
        rates: dict[str, list[float]] = {"scans": [], "one request": [], "receiveStock": []}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            for round_ in range(args.rounds):
                by_scan = await _confirmed_order(client, token, combos)
                whole = await _confirmed_order(client, token, combos)

                async def scans(order_id: str = by_scan) -> None:
                    for position in range(1, len(combos) + 1):
                        answer = await _run(client, token, RECEIVE, {"idempotencyKey": str(uuid.uuid4()), "lines": [
                            {"order": order_id, "position": position, "quantity": "1"}]})  # fmt: skip
                    assert answer["orders"][0]["state"] == "received"

                async def one_request(order_id: str = whole) -> None:
                    lines = [{"order": order_id, "position": p, "quantity": "1"} for p in range(1, len(combos) + 1)]
                    answer = await _run(client, token, RECEIVE, {"idempotencyKey": str(uuid.uuid4()), "lines": lines})
                    assert answer["orders"][0]["state"] == "received"

                async def receive_stock() -> None:
                    for sku, code in combos:
                        await _run(client, token, RECEIVE_STOCK, {"sku": sku, "locationCode": code, "quantity": "1",
                                                                  "idempotencyKey": str(uuid.uuid4())})  # fmt: skip

                seconds = {"scans": await _timed(scans()), "one request": await _timed(one_request()),
                           "receiveStock": await _timed(receive_stock())}  # fmt: skip
                for way, took in seconds.items():
                    rates[way].append(len(combos) / took)
                print(f"round {round_ + 1}: " + ", ".join(f"{way} {len(combos) / took:7.0f} lines/s"
                                                          for way, took in seconds.items()))  # fmt: skip
        backend = "SQLite" if args.sqlite else "PostgreSQL"
        median = {way: statistics.median(values) for way, values in rates.items()}
        base = median["receiveStock"]
        print(
            f"{backend}, {len(combos)} lines, median of {args.rounds}: "
            + ", ".join(f"{way} {rate:.0f} lines/s ({rate / base:.2f}x receiveStock)" for way, rate in median.items())
        )
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
