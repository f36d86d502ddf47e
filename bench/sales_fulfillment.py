"""Confirming, picking and shipping sales orders of 3 lines over GraphQL: orders per second.

Each order goes through the requests a shop sends: `createSalesOrder`, `confirmSalesOrder` (allocated and
reserved), then in a two-step warehouse `createPickList`, `confirmPicks` (bin -> output location),
`createShipment` and `validateShipment` (output location -> customer, cost of goods, the order settled);
in a one-step warehouse `createShipment` and `validateShipment` straight from the bins. Beside them, in the
same run, `receiveStock` (one posting per request) is the baseline, as in bench/purchase_receiving.py.

The app runs in-process (httpx's ASGI transport, no network) on a fresh database: PostgreSQL by default
(``--database-url``), or SQLite with ``--sqlite``. 30 products in 30 bins; each order takes 3 of them.
Prints figures; asserts nothing about time.

    .venv/bin/python bench/sales_fulfillment.py [--orders 1000] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

import httpx
from document_posting import _database, _drop, _run  # a sibling script: bench/ is on sys.path

from server import db
from server.catalog.service import ProductDetails, create_product
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.inventory.reservation_check import check_reservations
from server.partners.models import Party
from server.partners.stores import StoreDetails, create_store
from server.settings import Settings, use_settings

ERRORS = "errors { field code message }"
CREATE = f"""mutation C($input: CreateSalesOrderInput!) {{ createSalesOrder(input: $input) {{ document {{ id }}
  {ERRORS} }} }}"""
CONFIRM = f"""mutation C($input: SalesOrderActionInput!) {{ confirmSalesOrder(input: $input) {{ document {{ state }}
  {ERRORS} }} }}"""
PICK = (
    f"""mutation P($input: CreatePickListInput!) {{ createPickList(input: $input) {{ pickList {{ id }} {ERRORS} }} }}"""
)
PICKED = (
    f"""mutation P($input: ConfirmPicksInput!) {{ confirmPicks(input: $input) {{ pickList {{ state }} {ERRORS} }} }}"""
)
SHIP = (
    f"""mutation S($input: CreateShipmentInput!) {{ createShipment(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
)
VALIDATE = f"""mutation V($input: ValidateShipmentInput!) {{ validateShipment(input: $input) {{ shipment {{ state }}
  {ERRORS} }} }}"""
STEPS = (
    f"""mutation S($input: SetFulfillmentStepsInput!) {{ setFulfillmentSteps(input: $input) {{ steps {ERRORS} }} }}"""
)
RECEIVE_STOCK = (
    f"""mutation S($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
)
PRODUCTS = 30


def _key() -> str:
    return str(uuid.uuid4())


async def _setup(orders: int) -> list[tuple[str, str]]:
    from server.auth.service import create_user

    user = await create_user("bench", "correct horse battery", "admin")
    pairs = []
    for warehouse in ("BENCH1", "BENCH2"):
        await create_warehouse(warehouse, warehouse, actor_id=user.id)
    for i in range(PRODUCTS):
        sku = f"BENCH-SKU-{i:03d}"
        await create_product(sku, ProductDetails(name=sku), actor_id=user.id)
        for warehouse in ("BENCH1", "BENCH2"):
            code = f"{warehouse}-{i:03d}"
            await create_location(warehouse, code, code, actor_id=user.id)
            pairs.append((sku, code))
    for warehouse in ("BENCH1", "BENCH2"):
        await create_store(warehouse, StoreDetails(name=warehouse, currency="EUR", warehouses=[warehouse]),
                           actor_id=user.id)  # fmt: skip
    await Party.create(code="BENCH-CUS", name="Bench customer", roles=["customer"])
    return pairs


async def _order(client: httpx.AsyncClient, token: str, store: str, number: int) -> str:
    lines = [{"sku": f"BENCH-SKU-{(number * 3 + j) % PRODUCTS:03d}", "quantity": "1", "price": "9.90"}
             for j in range(3)]  # fmt: skip
    made = await _run(client, token, CREATE, {"customer": "BENCH-CUS", "store": store, "warehouse": store,
                                              "lines": lines, "idempotencyKey": _key()})  # fmt: skip
    order_id: str = made["document"]["id"]
    await _run(client, token, CONFIRM, {"id": order_id, "idempotencyKey": _key()})
    return order_id


async def _two_steps(client: httpx.AsyncClient, token: str, number: int) -> None:
    order_id = await _order(client, token, "BENCH1", number)
    listed = await _run(client, token, PICK, {"warehouse": "BENCH1", "orders": [order_id], "idempotencyKey": _key()})
    await _run(client, token, PICKED, {"id": listed["pickList"]["id"], "idempotencyKey": _key()})
    shipment = await _run(client, token, SHIP, {"order": order_id, "warehouse": "BENCH1", "idempotencyKey": _key()})
    done = await _run(client, token, VALIDATE, {"id": shipment["document"]["id"], "idempotencyKey": _key()})
    assert done["shipment"]["state"] == "done"


async def _one_step(client: httpx.AsyncClient, token: str, number: int) -> None:
    order_id = await _order(client, token, "BENCH2", number)
    shipment = await _run(client, token, SHIP, {"order": order_id, "warehouse": "BENCH2", "idempotencyKey": _key()})
    done = await _run(client, token, VALIDATE, {"id": shipment["document"]["id"], "idempotencyKey": _key()})
    assert done["shipment"]["state"] == "done"


async def main(args: argparse.Namespace) -> None:
    url, name = await _database(args)
    settings = use_settings(Settings(database_url=url, environment="test"))
    try:
        await db.migrate(settings)
        await db.open_database(settings)
        from server.app import create_app
        from server.auth.service import login
        from workers.queue import InProcessQueue

        pairs = await _setup(args.orders)
        token = await login("bench", "correct horse battery")
        app = create_app(settings)
        app.state.graphql.queue = InProcessQueue()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
            await _run(client, token, STEPS, {"warehouse": "BENCH1", "steps": 2, "idempotencyKey": _key()})
            per_bin = str(args.orders * 3 // PRODUCTS + 10)
            started = time.perf_counter()
            for sku, code in pairs:  # the stock the orders take: also the baseline, one posting per request
                await _run(client, token, RECEIVE_STOCK, {"sku": sku, "locationCode": code, "quantity": per_bin,
                                                          "unitCost": "4", "idempotencyKey": _key()})  # fmt: skip
            for i in range(args.baseline):
                sku, code = pairs[i % len(pairs)]
                await _run(client, token, RECEIVE_STOCK, {"sku": sku, "locationCode": code, "quantity": "1",
                                                          "unitCost": "4", "idempotencyKey": _key()})  # fmt: skip
            baseline = (len(pairs) + args.baseline) / (time.perf_counter() - started)
            rates = {}
            for label, flow, count in (("two steps", _two_steps, args.orders),
                                       ("one step", _one_step, args.one_step)):  # fmt: skip
                if count <= 0:
                    continue
                started = time.perf_counter()
                for number in range(count):
                    await flow(client, token, number)
                took = time.perf_counter() - started
                rates[label] = count / took
                print(f"{label}: {count} orders of 3 lines in {took:.1f} s: {count / took:.1f} orders/s")
        backend = "SQLite" if args.sqlite else "PostgreSQL"
        requests = {"two steps": 6, "one step": 4}
        print(
            f"{backend}: receiveStock {baseline:.0f} requests/s (baseline); "
            + "; ".join(
                f"{label} {rate:.1f} orders/s = {rate * requests[label]:.0f} requests/s"
                f" ({rate * requests[label] / baseline:.2f}x the baseline's requests/s)"
                for label, rate in rates.items()
            )
        )
        ledger, reservations = await check_ledger(), await check_reservations()
        print(f"check-ledger: {'ok' if ledger.ok else ledger.problems[:5]};"
              f" reservations: {'ok' if reservations.ok else reservations.problems[:5]}")  # fmt: skip
    finally:
        await db.close_database()
        await _drop(args, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000, help="orders through two steps")
    parser.add_argument("--one-step", type=int, default=200, help="orders through one step (0: none)")
    parser.add_argument("--baseline", type=int, default=300, help="receiveStock requests beside the stock needed")
    parser.add_argument("--sqlite", action="store_true")
    default_url = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/postgres")
    parser.add_argument("--database-url", default=default_url)
    asyncio.run(main(parser.parse_args()))
