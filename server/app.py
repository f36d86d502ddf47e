"""The ASGI app: GraphQL over HTTP and WebSocket at /graphql, document PDFs, a health check at /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute

from server import db, events
from server.documents.output import printable
from server.printing.http import pdf_endpoint
from server.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> Starlette:
    from schema import build_schema
    from schema.http import GraphQLEndpoint
    from schema.websocket import SubscriptionApp
    from workers.queue import InProcessQueue, open_queue
    from workers.schedule import run_in_process

    settings = settings or get_settings()
    schema = build_schema()
    endpoint = GraphQLEndpoint(schema, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.open_database(settings)
        endpoint.queue = queue = await open_queue(settings)
        schedule = None
        if isinstance(queue, InProcessQueue):  # no Redis, no arq cron: keep the schedule here
            schedule = asyncio.create_task(run_in_process(queue))
        else:
            await events.broker.connect(settings.redis_url, settings.namespace)  # type: ignore[arg-type]
        # Start-up objects live for the whole process: keep them out of the collector's full
        # passes, which otherwise stall every request for tens of milliseconds.
        # A request leaves reference cycles (graphql-core's executor) for the collector: collect the
        # young generation less often than the default 700, but not so rarely that one collection
        # stalls requests (20 000 meant 8-11 ms pauses; see docs/performance.md).
        gc.collect()
        gc.freeze()
        gc.set_threshold(3_000, 20, 20)
        try:
            yield
        finally:
            if schedule is not None:
                schedule.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await schedule
            await queue.close()
            await events.broker.close()
            await db.close_database()

    async def healthz(request: Request) -> JSONResponse:
        await db.connection().execute_query("SELECT 1")
        return JSONResponse({"status": "ok"})

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    app = Starlette(
        routes=[
            Route("/graphql", endpoint.__call__, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            WebSocketRoute("/graphql", SubscriptionApp(schema, settings, queue=lambda: endpoint.queue)),
            Route("/documents/{id:int}/pdf", pdf_endpoint(printable), methods=["GET"]),
            Route("/healthz", healthz),
            Route("/", home),
        ],
        lifespan=lifespan,
    )
    app.state.graphql = endpoint
    return app
