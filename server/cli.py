"""The ``storekeeper`` command: serve, worker, migrate, seed-demo, createuser, export-schema, check-ledger."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from server import db
from server.settings import ConfigurationError, Settings, use_settings


async def _with_database(settings: Settings, action: Callable[[], Awaitable[int]]) -> int:
    await db.open_database(settings)
    try:
        return await action()
    finally:
        await db.close_database()


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(db.migrate(settings))
    print("database is up to date")
    return 0


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from server.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo

    async def seed() -> int:
        loaded = await seed_demo()
        print("demo data loaded" if loaded else "demo data already present")
        print(f"demo user: {DEMO_USERNAME} / password: {DEMO_PASSWORD}")
        return 0

    return asyncio.run(_with_database(settings, seed))


def _createuser(settings: Settings, args: argparse.Namespace) -> int:
    from server.auth.service import create_user
    from server.errors import DomainError

    async def create() -> int:
        try:
            user = await create_user(args.username, args.password, args.role)
        except DomainError as error:
            print(f"error: {error.message}", file=sys.stderr)
            return 1
        print(f"created user {user.username} with role {args.role}")
        return 0

    return asyncio.run(_with_database(settings, create))


def _create_api_token(settings: Settings, args: argparse.Namespace) -> int:
    from server.auth.service import create_api_token
    from server.errors import DomainError

    async def create() -> int:
        try:
            print(await create_api_token(args.username, args.name))
        except DomainError as error:
            print(f"error: {error.message}", file=sys.stderr)
            return 1
        return 0

    return asyncio.run(_with_database(settings, create))


def _export_schema(settings: Settings, args: argparse.Namespace) -> int:
    from schema import export_sdl

    sdl = export_sdl()
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def _check_ledger(settings: Settings, args: argparse.Namespace) -> int:
    from server.inventory.check import run_and_store

    async def check() -> int:
        outcome = await run_and_store()
        for problem in outcome.problems:
            print(problem, file=sys.stderr)
        print(f"ledger {'ok' if outcome.ok else 'WRONG'}: {outcome.quants_checked} quants checked,"
              f" {len(outcome.problems)} problems")  # fmt: skip
        return 0 if outcome.ok else 1

    return asyncio.run(_with_database(settings, check))


def _snapshot_valuation(settings: Settings, args: argparse.Namespace) -> int:
    from datetime import date

    from server.errors import DomainError
    from server.inventory.valuation.snapshots import take_snapshot

    async def take() -> int:
        try:
            kept = await take_snapshot(date.fromisoformat(args.on) if args.on else None)
        except DomainError as error:
            print(f"error: {error.message}", file=sys.stderr)
            return 1
        print(f"valuation kept for {kept.taken_on}: {kept.buckets} buckets" if kept else "no closed period yet")
        return 0

    return asyncio.run(_with_database(settings, take))


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from schema.http import MAX_BODY_BYTES
    from server.app import create_app

    if args.migrate:
        asyncio.run(db.migrate(settings))
    if args.demo:
        _seed_demo(settings, args)
    print(f"GraphQL (and GraphiQL) at http://{args.host}:{args.port}/graphql", flush=True)
    options = {"host": args.host, "port": args.port, "log_level": args.log_level, "access_log": args.access_log,
               "ws": "websockets-sansio",
               # A frame is read whole before it is parsed: no bigger than an HTTP body may be (default 16 MiB).
               "ws_max_size": MAX_BODY_BYTES}  # fmt: skip
    if args.forwarded_allow_ips:  # else uvicorn's default: FORWARDED_ALLOW_IPS, or 127.0.0.1
        options["forwarded_allow_ips"] = args.forwarded_allow_ips
    if args.workers > 1:  # each worker process builds its app from the same STOREKEEPER_* environment
        uvicorn.run("server.app:create_app", factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from workers.settings import build_worker

    try:
        worker = build_worker(settings, burst=args.burst)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    worker.run()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storekeeper", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve GraphQL over HTTP and WebSocket")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--demo", action="store_true", help="load the demo data if not there yet")
    serve.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL only; SQLite wants one)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.add_argument(
        "--forwarded-allow-ips",
        help="proxies whose X-Forwarded-For names the client (comma-separated, or *): logins are throttled"
        " per client address, and behind a proxy every client would otherwise share the proxy's",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run the arq worker (needs STOREKEEPER_REDIS_URL)")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.set_defaults(run=_worker)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("seed-demo", help="load the demo data once").set_defaults(run=_seed_demo)

    createuser = commands.add_parser("createuser", help="add a user")
    createuser.add_argument("--username", required=True)
    createuser.add_argument("--password", required=True)
    createuser.add_argument("--role", default="clerk", help="admin, manager, clerk or viewer")
    createuser.set_defaults(run=_createuser)

    token = commands.add_parser("create-api-token", help="print a new API token for an integration")
    token.add_argument("--username", required=True)
    token.add_argument("--name", required=True)
    token.set_defaults(run=_create_api_token)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o")
    export.set_defaults(run=_export_schema)

    commands.add_parser("check-ledger", help="compare quants with moves; exit 1 if they disagree").set_defaults(
        run=_check_ledger
    )
    snapshot = commands.add_parser("snapshot-valuation", help="keep the stock valuation at the end of a closed day")
    snapshot.add_argument("--on", help="YYYY-MM-DD, on or before the company's lock date (default: that date)")
    snapshot.set_defaults(run=_snapshot_valuation)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = use_settings(Settings.from_env())
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    run: Callable[[Settings, Any], int] = args.run
    return run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
