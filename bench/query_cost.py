"""The query cost limit: what the fan-out attack cost before it, what it costs now, and the largest
query the limit still lets through, each beside a small query measured in the same run.

    .venv/bin/python bench/query_cost.py [--products 100] [--bins 25] [--repeat 5] [--limit N]

On SQLite in a temporary directory: migrates, loads the demo, then adds ``--products`` products
stocked in ``--bins`` bins each (demo-like, bigger). The app runs in-process (httpx's ASGI
transport, production settings), so a time is the server's work for one request, HTTP included,
with nothing else running. Two apps share the database: one with the configured limit, one with
the limit raised out of reach ("before": what the attack did without it). Each query runs
``--repeat`` times after one warm-up; the median is shown. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from graphql import parse

from handheld.logic.scan import STOCK as HANDHELD_STOCK
from server.settings import Settings, use_settings

LEVEL_FIELDS = "sku locationCode lotCode onHand reserved available"
# The finding: thirty aliases, each a page of products with every one of their stock levels.
PAGE_OF_LEVELS = "products(first: 100) {{ edges {{ node {{ sku stockLevels{first} {{ {fields} }} }} }} }}"
BACK_OFFICE_PAGE = """
query Page($first: Int, $levels: Int) {
  products(first: $first) {
    edges { node { sku name barcodes { code } stockLevels(first: $levels) { locationCode onHand available } onHand } }
    pageInfo { hasNextPage endCursor }
  }
}"""
# stockLevels(first: 100): everything the server lists per product (it listed all before the cap).
ATTACK = (
    "{ "
    + " ".join(f"a{i}: " + PAGE_OF_LEVELS.format(first="(first: 100)", fields=LEVEL_FIELDS) for i in range(30))
    + " }"
)


def largest_scalars(per_product: int, aliases: int) -> str:
    """Pages of products with ``per_product`` levels each: the most scalars under the limit."""
    page = (
        f"products(first: 100) {{ edges {{ node {{ sku stockLevels(first: {per_product}) {{ {LEVEL_FIELDS} }} }} }} }}"
    )
    return "{ " + " ".join(f"a{i}: {page}" for i in range(aliases)) + " }"


def largest_objects(per_product: int, aliases: int) -> str:
    """The same with each level's product and location resolved: dataloader fields, not attributes."""
    level = "onHand product { sku name } location { code name }"
    page = (
        f"products(first: 100) {{ edges {{ node {{ sku onHand stockLevels(first: {per_product}) {{ {level} }} }} }} }}"
    )
    return "{ " + " ".join(f"a{i}: {page}" for i in range(aliases)) + " }"


@dataclasses.dataclass
class Measured:
    name: str
    cost: int
    status: int
    outcome: str
    size: int
    ms: float


async def seed(settings: Settings, products: int, bins: int) -> tuple[str, str]:
    """The demo, plus ``products`` products in ``bins`` bins each; returns a token and a stocked SKU."""
    from server import db
    from server.auth.service import login
    from server.catalog.service import ProductDetails, create_product
    from server.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo
    from server.inventory import ledger
    from server.inventory.locations import create_location

    await db.migrate(settings)
    await db.open_database(settings)
    await seed_demo()
    codes = [f"WH1-C-{n:03d}" for n in range(bins)]
    for code in codes:
        await create_location("WH1", code, f"Bin {code}", actor_id=None)
    skus = [f"BENCH-{n:04d}" for n in range(products)]
    for sku in skus:
        await create_product(sku, ProductDetails(name=f"Bench product {sku}", barcodes=[]), actor_id=None)
        for quantity, code in enumerate(codes, start=1):
            await ledger.receive(sku, code, Decimal(quantity), actor_id=None, idempotency_key=str(uuid.uuid4()))
    return await login(DEMO_USERNAME, DEMO_PASSWORD), skus[0]


def cost_of(query: str, variables: dict[str, Any], settings: Settings) -> int:
    from schema import build_schema
    from schema.cost import operation_cost

    cost = operation_cost(build_schema()._schema, parse(query), None, variables, max_page_size=settings.max_page_size)
    return cost.total if cost is not None else -1


async def measure(
    http: httpx.AsyncClient, name: str, query: str, variables: dict[str, Any], token: str, repeat: int, cost: int
) -> Measured:
    headers = {"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"}
    body = {"query": query, "variables": variables}
    await http.post("/graphql", json=body, headers=headers)  # warm-up: caches, dataloaders' first imports
    times, response = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        response = await http.post("/graphql", json=body, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    assert response is not None
    errors = response.json().get("errors") or []
    outcome = errors[0].get("extensions", {}).get("code", "error") if errors else "data"
    return Measured(name, cost, response.status_code, outcome, len(response.content), statistics.median(times))


def fitting(shape: Any, bins: int, settings: Settings) -> tuple[str, int]:
    """The shape with the most levels per product (up to 20, and what the data holds) and as many
    aliases of it as the limit allows; and the levels per product it asks for."""
    for per_product in range(min(bins, 20), 0, -1):
        aliases = settings.max_query_cost // cost_of(shape(per_product, 1), {}, settings)
        if aliases:
            return shape(per_product, aliases), per_product
    return shape(1, 1), 1


async def run(args: argparse.Namespace) -> None:
    from schema import build_schema
    from server import db
    from server.app import create_app

    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)  # each refusal is logged as an error
    workdir = Path(tempfile.mkdtemp(prefix="query-cost-"))
    settings = Settings(
        database_url=f"sqlite://{workdir}/bench.sqlite3", environment="production", secret_key=secrets.token_hex(16)
    )
    settings = use_settings(dataclasses.replace(settings, max_query_cost=args.limit or settings.max_query_cost))
    build_schema()  # its validation limits come from the settings in force when it is first built
    print(f"seeding {args.products} products x {args.bins} bins in {workdir} ...", flush=True)
    started = time.perf_counter()
    token, sku = await seed(settings, args.products, args.bins)
    print(f"seeded in {time.perf_counter() - started:.1f} s\n")

    scalars, scalar_levels = fitting(largest_scalars, args.bins, settings)
    objects, object_levels = fitting(largest_objects, args.bins, settings)
    runs: list[tuple[str, str, str, dict[str, Any]]] = [
        ("limited", "baseline: the handheld's stock query", HANDHELD_STOCK, {"sku": sku, "first": 100}),
        ("limited", "back office: 20 products, 5 levels each", BACK_OFFICE_PAGE, {"first": 20, "levels": 5}),
        ("limited", "back office: 100 products, all levels", BACK_OFFICE_PAGE, {"first": 100, "levels": None}),
        ("raised", "attack, limit raised (before)", ATTACK, {}),
        ("limited", "attack, limit in force (now)", ATTACK, {}),
        ("limited", f"largest accepted: scalars ({scalar_levels} levels)", scalars, {}),
        ("limited", f"largest accepted: objects ({object_levels} levels)", objects, {}),
    ]
    apps = {
        "limited": create_app(settings),
        "raised": create_app(dataclasses.replace(settings, max_query_cost=10**15)),
    }
    results = []
    for app_name, name, query, variables in runs:
        transport = httpx.ASGITransport(app=apps[app_name])
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test", timeout=600) as http:
            repeat = args.repeat if "attack, limit raised" in name else args.repeat * 4
            cost = cost_of(query, variables, settings)
            results.append(await measure(http, name, query, variables, token, repeat, cost))
    await db.close_database()

    base = results[0]
    print(f"limit {settings.max_query_cost:,}, page size {settings.max_page_size}; "
          f"median of {args.repeat * 4} runs ({args.repeat} for the attack before the limit)\n")  # fmt: skip
    print("| query | cost | HTTP | answer | bytes | ms | time x baseline | bytes x baseline |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for m in results:
        print(f"| {m.name} | {m.cost:,} | {m.status} | {m.outcome} | {m.size:,} | {m.ms:.1f} | "
              f"{m.ms / base.ms:.1f} | {m.size / base.size:.1f} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100, help="products added to the demo (default 100)")
    parser.add_argument("--bins", type=int, default=25, help="bins each of them is stocked in (default 25)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the heaviest query (others 4x)")
    parser.add_argument("--limit", type=int, default=0, help="max_query_cost (default: the settings' default)")
    asyncio.run(run(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
