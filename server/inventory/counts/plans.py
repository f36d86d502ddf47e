"""Planning a count: which bins (and, for a cycle count by ABC class, which products) it covers.

- ``warehouse``: every real location of the warehouse; ``zone``: every one under a zone (and the zone).
- ``abc``: the bins holding products of the classes asked for (``server.inventory.counts.abc``), and only
  those products are counted there.
- ``stale_bins``: the bins counted longest ago (never counted first), not counted for ``not_counted_days``.

A bin is in one open count at a time (the unique key of ``bin_under_count``, claimed in the plan's
transaction): a whole-warehouse or zone count that meets a bin another count holds is refused, naming
it; a cycle count passes over such bins. Two counts of different zones run side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import events, sql
from server.clock import now, today
from server.commands import Audited, Command, Effect, Write, execute
from server.documents.models import Document
from server.errors import Invalid, NotFound
from server.inventory import quantities
from server.inventory.counts import abc
from server.inventory.counts.header import COUNT, COUNTING
from server.inventory.counts.models import BinUnderCount, CountBin, CountProduct, StockCount
from server.inventory.models import LOCATION_CODE, WAREHOUSE_CODE, LocationKind
from server.numbers import AMOUNT
from server.partners.models import STORE_CODE
from server.partners.stores import require_store
from server.text import shown

MAX_BINS = 20_000  # one count's bins: a large warehouse's worth, counted over days by many handhelds
MAX_DAYS = 3660
ABC_CLASSES = ("A", "B", "C")


class Scope(StrEnum):
    WAREHOUSE = "warehouse"
    ZONE = "zone"
    ABC = "abc"
    STALE_BINS = "stale_bins"


@dataclass(frozen=True)
class PlanCount(Command):
    operation = "count.plan"
    store: str
    warehouse: str
    scope: str
    zone: str | None
    abc_classes: tuple[str, ...]
    abc_window_days: int
    not_counted_days: int | None
    max_bins: int | None
    blind: bool
    recount_units: Decimal | None
    recount_value: Decimal | None


def _days(value: object, field: str, *, least: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= MAX_DAYS:
        raise Invalid(f"Give a number of days from {least} to {MAX_DAYS}.", field=field)
    return value


def checked(
    store_code: str,
    warehouse_code: str,
    scope: str,
    *,
    zone_code: str | None = None,
    abc_classes: list[str] | None = None,
    abc_window_days: int = 90,
    not_counted_days: int | None = None,
    max_bins: int | None = None,
    blind: bool = True,
    recount_units: object = None,
    recount_value: object = None,
) -> PlanCount:
    """The plan's input, every argument checked before the database sees any."""
    if scope not in set(Scope):
        raise Invalid(f"A count covers one of: {', '.join(Scope)}.", field="scope")
    store = STORE_CODE.key(store_code)
    if store is None:
        raise NotFound(f"There is no store {shown(store_code)}.", field="storeCode")
    warehouse = WAREHOUSE_CODE.key(warehouse_code)
    if warehouse is None:
        raise NotFound(f"There is no warehouse {shown(warehouse_code)}.", field="warehouseCode")
    zone = None
    if zone_code is not None:
        zone = LOCATION_CODE.key(zone_code)
        if zone is None:
            raise NotFound(f"There is no location {shown(zone_code)}.", field="zoneCode")
    elif scope == Scope.ZONE:
        raise Invalid("A zone count names its zone.", field="zoneCode")
    classes: tuple[str, ...] = ()
    if scope == Scope.ABC:
        given = abc_classes or []
        if not given or len(given) > len(ABC_CLASSES) or any(c not in ABC_CLASSES for c in given):
            raise Invalid("Name the classes to count: A, B and/or C.", field="abcClasses")
        classes = tuple(sorted(set(given)))
    elif abc_classes:
        raise Invalid("Classes are for a count by ABC class.", field="abcClasses")
    window = _days(abc_window_days, "abcWindowDays", least=1)
    stale_days = None if not_counted_days is None else _days(not_counted_days, "notCountedDays", least=0)
    if stale_days is not None and scope != Scope.STALE_BINS:
        raise Invalid("Days since the last count are for a count of stale bins.", field="notCountedDays")
    if max_bins is not None and (
        not isinstance(max_bins, int) or isinstance(max_bins, bool) or not 1 <= max_bins <= MAX_BINS
    ):
        raise Invalid(f"A count has 1 to {MAX_BINS} bins.", field="maxBins")
    if not isinstance(blind, bool):
        raise Invalid("Say whether the count is blind.", field="blind")
    units = None if recount_units is None else quantities.parse(recount_units, field="recountUnits", allow_zero=True)
    value = None if recount_value is None else AMOUNT.parse(recount_value, field="recountValue")
    if value is not None and value < 0:
        raise Invalid("A value threshold is not negative.", field="recountValue")
    return PlanCount(store, warehouse, scope, zone, classes, window, stale_days, max_bins, blind, units, value)


async def plan_count(command: PlanCount, *, actor_id: int | None, idempotency_key: str | None = None) -> Document:
    """A new count in the state ``counting``, its bins claimed: counting may start at once."""

    async def run(write: Write) -> Document:
        conn = write.conn
        store = await require_store(conn, command.store, field="storeCode")
        warehouse = await sql.fetch_one(conn, "SELECT id FROM warehouse WHERE code = $1", command.warehouse)
        if warehouse is None:
            raise NotFound(f"There is no warehouse {command.warehouse!r}.", field="warehouseCode")
        warehouse_id = int(warehouse["id"])
        zone = await _zone(conn, command.zone, warehouse_id) if command.zone else None
        bins, products, plan = await _choose(conn, command, warehouse_id, zone)
        document = Document(
            type=COUNT, state=COUNTING, store_id=store.id, business_date=today(), currency=store.currency,
            created_by_id=write.actor_id, updated_by_id=write.actor_id,
        )  # fmt: skip
        await document.save(using_db=conn)
        await StockCount.create(
            id=document.id, warehouse_id=warehouse_id, scope=command.scope, zone_id=zone["id"] if zone else None,
            plan=plan, blind=command.blind, recount_units=command.recount_units, recount_value=command.recount_value,
            using_db=conn,
        )  # fmt: skip
        await _claim(conn, document.id, bins)
        await CountBin.bulk_create(
            [CountBin(count_id=document.id, location_id=b) for b in bins], batch_size=500, using_db=conn
        )
        if products:
            rows = [CountProduct(count_id=document.id, product_id=p) for p in products]
            await CountProduct.bulk_create(rows, batch_size=500, using_db=conn)
        write.after_commit(lambda: events.publish_document_changed(document.id, document.state, document.version))
        return document

    async def recall(stored: dict[str, Any]) -> Document:
        return await Document.get(id=stored["document_id"])

    def audited(document: Document) -> Audited:
        return Audited("document", document.id)

    done = await execute(
        command, Effect(run, audited, lambda d: {"document_id": d.id}, recall),
        actor_id=actor_id, idempotency_key=idempotency_key,
    )  # fmt: skip
    return done.result


async def _zone(conn: BaseDBAsyncClient, code: str, warehouse_id: int) -> dict[str, Any]:
    zone = await sql.fetch_one(conn, "SELECT id, path, kind, warehouse_id FROM location WHERE code = $1", code)
    if zone is None:
        raise NotFound(f"There is no location {code!r}.", field="zoneCode")
    if zone["warehouse_id"] != warehouse_id or zone["kind"] not in (LocationKind.INTERNAL, LocationKind.VIEW):
        raise Invalid(f"The location {code} is not a zone of this warehouse.", field="zoneCode")
    return zone


async def _choose(
    conn: BaseDBAsyncClient, command: PlanCount, warehouse_id: int, zone: dict[str, Any] | None
) -> tuple[list[int], list[int], dict[str, Any]]:
    """The bins of the count, the products it is limited to (none: all), and how they were chosen."""
    where = "l.warehouse_id = $1 AND l.kind = 'internal'"
    params: list[Any] = [warehouse_id]
    if zone is not None:
        params.append(zone["path"] + "%")  # a path holds ids and slashes only: no LIKE wildcard in it
        where += f" AND l.path LIKE ${len(params)}"
    plan: dict[str, Any] = {"zone": command.zone}
    products: list[int] = []
    if command.scope == Scope.ABC:
        classes = await abc.classify(conn, warehouse_id, now() - timedelta(days=command.abc_window_days))
        products = sorted(p for p, c in classes.items() if c in command.abc_classes)
        plan |= {"abcClasses": list(command.abc_classes), "abcWindowDays": command.abc_window_days,
                 "products": len(products)}  # fmt: skip
        if not products:
            raise Invalid("No product of these classes is in stock in this warehouse.", field="abcClasses")
        rows = await _holding(conn, where, params, products)
    else:
        rows = await sql.fetch(conn, f"SELECT l.id, l.code FROM location l WHERE {where} ORDER BY l.code", *params)
    candidates = [(int(r["id"]), r["code"]) for r in rows]
    held = await _held_elsewhere(conn, [c[0] for c in candidates])
    if command.scope in (Scope.WAREHOUSE, Scope.ZONE):
        if held:
            named = ", ".join([f"{code} ({held[id_]})" for id_, code in candidates if id_ in held][:5])
            field = "zoneCode" if command.zone else "warehouseCode"
            raise Invalid(f"{len(held)} of these bins are in a count not yet approved: {named}.", field=field)
        chosen = [id_ for id_, _ in candidates]
    else:
        free = [(id_, code) for id_, code in candidates if id_ not in held]
        if command.scope == Scope.STALE_BINS:
            free = await _stale_first(conn, free, command.not_counted_days)
            plan["notCountedDays"] = command.not_counted_days
        chosen = [id_ for id_, _ in free]
    if command.max_bins is not None:
        chosen = chosen[: command.max_bins]
        plan["maxBins"] = command.max_bins
    if not chosen:
        raise Invalid("There is no bin to count: none matches, or every one is in another count.", field="scope")
    if len(chosen) > MAX_BINS:
        raise Invalid(f"A count has at most {MAX_BINS} bins: count a zone, or give maxBins.", field="maxBins")
    return chosen, products, plan


async def _holding(conn: BaseDBAsyncClient, where: str, params: list[Any], products: list[int]) -> list[dict[str, Any]]:
    """The bins that hold any of ``products``, in code order."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in sql.chunks(products):
        first = len(params) + 1
        rows = await sql.fetch(
            conn,
            f"SELECT DISTINCT l.id, l.code FROM location l JOIN quant q ON q.location_id = l.id WHERE {where}"
            f" AND CAST(q.on_hand AS NUMERIC) > 0 AND q.product_id IN ({sql.placeholders(first, len(chunk))})",
            *params, *chunk,
        )  # fmt: skip
        found.update((int(r["id"]), r) for r in rows)
    return sorted(found.values(), key=lambda r: r["code"])


async def _held_elsewhere(conn: BaseDBAsyncClient, location_ids: list[int]) -> dict[int, str]:
    """Bin id -> the count (its number, else its id) holding it, of the given bins in an open count."""
    held: dict[int, str] = {}
    for chunk in sql.chunks(location_ids):
        rows = await sql.fetch(
            conn,
            "SELECT b.location_id, d.id, d.number FROM bin_under_count b JOIN document d ON d.id = b.count_id"
            f" WHERE b.location_id IN ({sql.placeholders(1, len(chunk))})",
            *chunk,
        )
        held.update((int(r["location_id"]), r["number"] or f"count {r['id']}") for r in rows)
    return held


async def _stale_first(
    conn: BaseDBAsyncClient, bins: list[tuple[int, str]], not_counted_days: int | None
) -> list[tuple[int, str]]:
    """The bins counted longest ago first (never counted before them), without those counted within the days."""
    last: dict[int, Any] = {}
    ids = [id_ for id_, _ in bins]
    for chunk in sql.chunks(ids):
        rows = await sql.fetch(
            conn,
            "SELECT cb.location_id, MAX(cb.finished_at) AS counted_at FROM count_bin cb"
            " JOIN document d ON d.id = cb.count_id WHERE d.state = 'done'"
            f" AND cb.location_id IN ({sql.placeholders(1, len(chunk))}) GROUP BY cb.location_id",
            *chunk,
        )
        last.update((int(r["location_id"]), sql.as_datetime(r["counted_at"])) for r in rows)
    cutoff = None if not_counted_days is None else now() - timedelta(days=not_counted_days)
    kept = [b for b in bins if cutoff is None or b[0] not in last or last[b[0]] <= cutoff]
    return sorted(kept, key=lambda b: (b[0] in last, last.get(b[0]) or now(), b[1]))


async def _claim(conn: BaseDBAsyncClient, count_id: int, bins: list[int]) -> None:
    """Claim the bins for this count; one claimed by another count in the meantime refuses the plan."""
    rows = [BinUnderCount(location_id=b, count_id=count_id) for b in bins]
    await BinUnderCount.bulk_create(rows, batch_size=500, ignore_conflicts=True, using_db=conn)
    claimed = await BinUnderCount.filter(count_id=count_id).using_db(conn).count()
    if claimed != len(bins):
        raise Invalid(
            f"{len(bins) - claimed} of these bins were taken by another count just now: plan again.", field="scope"
        )
