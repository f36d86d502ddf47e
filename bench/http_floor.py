"""The HTTP floor of bench/scan_to_commit.py: the minimal transaction behind uvicorn, and nothing else.

A bare ASGI app (no Starlette, no GraphQL, no authentication, no command layer) served by uvicorn
as ``storekeeper serve`` serves the real app (uvloop, httptools, one process). For each POST it
reads the JSON body wrk's ``receive.lua`` sends, books the minimal transaction (a move with its
unique idempotency key, the quant upserted: the same two statements as the raw minimal client,
on a pool of the server's size) and answers with a body ``receive.lua`` counts as a successful
receive. What it reaches is what *any* Python HTTP server reaches here before it does a ledger's
work: the ceiling of the real server, measured in the same run.

Run by the bench as ``uvicorn bench.http_floor:app`` with ``BENCH_FLOOR_DSN``, ``BENCH_FLOOR_POOL``
and ``BENCH_FLOOR_IDS`` (``SKU@BIN=product_id:bin_id,...``) in its environment.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

MOVE = (
    "INSERT INTO minimal_move (product_id, location_id, quantity, idempotency_key, created_at)"
    " VALUES ($1, $2, $3, $4, $5) RETURNING id"
)
QUANT = (
    "INSERT INTO minimal_quant (product_id, location_id, on_hand) VALUES ($1, $2, $3)"
    " ON CONFLICT (product_id, location_id) DO UPDATE SET on_hand = minimal_quant.on_hand + EXCLUDED.on_hand"
)
HEADERS = [(b"content-type", b"application/json")]


def _ids() -> dict[tuple[str, str], tuple[int, int]]:
    found = {}
    for entry in os.environ.get("BENCH_FLOOR_IDS", "").split(","):
        if entry:
            pair, ids = entry.split("=")
            sku, code = pair.split("@")
            product_id, bin_id = ids.split(":")
            found[sku, code] = (int(product_id), int(bin_id))
    return found


class Floor:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.ids = _ids()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        answer = await self.receive_stock(orjson.loads(body)["variables"]["i"]) if body else b'{"ok":true}'
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": answer})

    async def receive_stock(self, given: dict[str, str]) -> bytes:
        product_id, bin_id = self.ids[given["sku"], given["locationCode"]]
        assert self.pool is not None
        async with self.pool.acquire() as conn, conn.transaction():
            move_id = await conn.fetchval(
                MOVE, product_id, bin_id, Decimal(given["quantity"]), given["idempotencyKey"], datetime.now(UTC)
            )
            await conn.execute(QUANT, product_id, bin_id, Decimal(given["quantity"]))
        return orjson.dumps({"data": {"receiveStock": {"moves": [{"id": str(move_id)}], "errors": []}}})

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                size = int(os.environ.get("BENCH_FLOOR_POOL", "10"))
                # Connections kept however long they idle (between rounds), so the bench meters the same backends.
                self.pool = await asyncpg.create_pool(
                    os.environ["BENCH_FLOOR_DSN"], min_size=size, max_size=size, max_inactive_connection_lifetime=0
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = Floor()
