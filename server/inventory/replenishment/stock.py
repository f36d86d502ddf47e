"""What a replenishment run reads of one warehouse, inside its transaction: the pick faces (rules with
their bins' stock), the reserve they may be refilled from, and the open transfers that already move stock
to a pick bin or out of a reserve bin.

Open transfers are those in draft, confirmed or in transit, but for the draft the run itself keeps (it
is what the run recomputes). A draft a person made, or the run's own once a person edited it, counts as
on the way too: someone is seeing to that bin, and counting it keeps a second proposal from doubling the
work. A transfer in transit counts what has not arrived yet; what it shipped has left its bin already.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.documents.kinds import CONFIRMED, DRAFT
from server.documents.transfers import IN_TRANSIT, TRANSFER
from server.inventory import quantities
from server.inventory.lookups import virtual
from server.inventory.lots import past_removal
from server.inventory.models import NO_PACKAGE, LocationKind, LocationUsage
from server.inventory.removal import Candidate, RemovalStrategy, strategy_for
from server.inventory.replenishment.plan import ZERO, Outgoing, PickFace

_OPEN = (DRAFT, CONFIRMED, IN_TRANSIT)


async def pick_faces(conn: BaseDBAsyncClient, warehouse_id: int, own_document_id: int | None) -> list[PickFace]:
    """The warehouse's rules with their bins' on hand and what is on its way to them, by bin code and SKU."""
    rules = await sql.fetch(
        conn,
        "SELECT r.id, r.location_id, r.product_id, r.minimum, r.maximum, r.source_id, l.code, l.path, p.sku,"
        " l.max_units, l.sellable, s.path AS source_path FROM replenishment_rule r"
        " JOIN location l ON l.id = r.location_id JOIN product p ON p.id = r.product_id"
        " LEFT JOIN location s ON s.id = r.source_id"
        " WHERE r.warehouse_id = $1 ORDER BY l.code, p.sku",
        warehouse_id,
    )
    if not rules:
        return []
    root = await sql.fetch_one(
        conn, "SELECT l.id, l.path FROM location l JOIN warehouse w ON w.code = l.code WHERE w.id = $1", warehouse_id
    )
    assert root is not None, "a warehouse has its root location"
    on_hand = await _on_hand(conn, warehouse_id)
    coming = await _on_the_way(conn, warehouse_id, own_document_id)
    held = await _units_held(conn, {int(r["location_id"]) for r in rules if r["max_units"] is not None})
    strategies: dict[tuple[int, int], RemovalStrategy] = {}
    faces = []
    for rule in rules:
        if not rule["sellable"]:  # made not to sell after its rule was set: nothing is picked from it
            continue
        key = (int(rule["product_id"]), int(rule["source_id"] or root["id"]))
        if key not in strategies:
            strategies[key] = await strategy_for(conn, *key)
        pick_bin = (int(rule["location_id"]), int(rule["product_id"]))
        faces.append(PickFace(
            rule_id=int(rule["id"]), location_id=pick_bin[0], location_code=rule["code"], path=rule["path"],
            product_id=pick_bin[1], sku=rule["sku"], minimum=quantities.from_db(rule["minimum"]),
            maximum=quantities.from_db(rule["maximum"]), on_hand=on_hand.get(pick_bin, ZERO),
            on_the_way=coming.get(pick_bin, ZERO), source_path=rule["source_path"] or root["path"],
            strategy=strategies[key], room=_room(rule, held, coming),
        ))  # fmt: skip
    return faces


def _room(rule: dict[str, Any], held: dict[int, Decimal], coming: dict[tuple[int, int], Decimal]) -> Decimal | None:
    """What the rule's bin can still take under its unit limit: less what it holds and what is on its way."""
    if rule["max_units"] is None:
        return None
    bin_id = int(rule["location_id"])
    on_the_way = sum((qty for (location_id, _), qty in coming.items() if location_id == bin_id), ZERO)
    return quantities.from_db(rule["max_units"]) - held.get(bin_id, ZERO) - on_the_way


async def _units_held(conn: BaseDBAsyncClient, location_ids: set[int]) -> dict[int, Decimal]:
    """Every product's units in each of these bins, summed as Decimal."""
    if not location_ids:
        return {}
    ids = sorted(location_ids)
    rows = await sql.fetch(
        conn, f"SELECT location_id, on_hand FROM quant WHERE location_id IN ({sql.placeholders(1, len(ids))})", *ids
    )
    held: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        held[int(row["location_id"])] += quantities.from_db(row["on_hand"])
    return held


async def _on_hand(conn: BaseDBAsyncClient, warehouse_id: int) -> dict[tuple[int, int], Decimal]:
    """What a picker can take from each pick bin, per (bin, product): every lot, loose or packed, but what is
    reserved and lots past their removal date (a bin full of those is empty to a picker); summed as Decimal."""
    rows = await sql.fetch(
        conn,
        "SELECT q.location_id, q.product_id, q.on_hand, q.reserved, COALESCE(lot.removal_on, lot.expires_on)"
        " AS removal_on FROM quant q JOIN replenishment_rule r ON r.location_id = q.location_id"
        " AND r.product_id = q.product_id LEFT JOIN lot ON lot.id = q.lot_id WHERE r.warehouse_id = $1",
        warehouse_id,
    )
    totals: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        if past_removal(sql.as_date(row["removal_on"])):
            continue
        free = quantities.from_db(row["on_hand"]) - quantities.from_db(row["reserved"])
        totals[int(row["location_id"]), int(row["product_id"])] += max(free, ZERO)
    return totals


async def _open_lines(conn: BaseDBAsyncClient, warehouse_id: int, own_document_id: int | None) -> list[dict[str, Any]]:
    """The lines of open transfers (but the run's own draft) of products the warehouse keeps in pick bins."""
    return await sql.fetch(
        conn,
        "SELECT d.state, l.id, l.product_id, l.location_id, l.to_location_id, l.lot_code, l.base_quantity"
        " FROM document d JOIN document_line l ON l.document_id = d.id"
        f" WHERE d.type = $1 AND d.state IN ({sql.placeholders(2, len(_OPEN))}) AND d.id <> $5"
        " AND l.product_id IN (SELECT product_id FROM replenishment_rule WHERE warehouse_id = $6)",
        TRANSFER, *_OPEN, own_document_id or 0, warehouse_id,
    )  # fmt: skip


async def _on_the_way(
    conn: BaseDBAsyncClient, warehouse_id: int, own_document_id: int | None
) -> dict[tuple[int, int], Decimal]:
    lines = await _open_lines(conn, warehouse_id, own_document_id)
    arrived = await _arrived(conn, [int(line["id"]) for line in lines if line["state"] == IN_TRANSIT])
    coming: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line["to_location_id"] is not None:
            left = quantities.from_db(line["base_quantity"]) - arrived.get(int(line["id"]), ZERO)
            coming[int(line["to_location_id"]), int(line["product_id"])] += max(left, ZERO)
    return coming


async def _arrived(conn: BaseDBAsyncClient, line_ids: list[int]) -> dict[int, Decimal]:
    """Per line of a transfer in transit, what left transit again (arrived, or lost on the way)."""
    if not line_ids:
        return {}
    transit = await virtual(conn, LocationKind.TRANSIT)
    rows = await sql.fetch(
        conn,
        "SELECT document_line_id, quantity FROM stock_move WHERE from_location_id = $1 AND document_type = $2"
        f" AND document_line_id IN ({sql.placeholders(3, len(line_ids))})",  # line ids are per area: name the type
        transit.id, "stock.transfer", *line_ids,
    )  # fmt: skip
    done: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        done[int(row["document_line_id"])] += quantities.from_db(row["quantity"])
    return done


async def outgoing(conn: BaseDBAsyncClient, warehouse_id: int, own_document_id: int | None) -> list[Outgoing]:
    """What open transfers not yet shipped or posted will take out of bins of the warehouse."""
    lines = await _open_lines(conn, warehouse_id, own_document_id)
    return [
        Outgoing(int(line["location_id"]), int(line["product_id"]), line["lot_code"],
                 quantities.from_db(line["base_quantity"]))
        for line in lines
        if line["state"] != IN_TRANSIT and line["location_id"] is not None
    ]  # fmt: skip


async def reserve(conn: BaseDBAsyncClient, warehouse_id: int) -> dict[int, list[Candidate]]:
    """Loose stock in the warehouse's storage locations of products it keeps in pick bins, by product: what a
    transfer's posting may take (it takes no stock out of a package). Which of it a pick bin may have is the
    plan's to say (sellable, not past removal, not a pick bin of the product, under the rule's source)."""
    rows = await sql.fetch(
        conn,
        "SELECT q.id, q.product_id, q.location_id, q.lot_id, q.on_hand, q.reserved, q.in_date, l.code, l.path,"
        " l.sellable, lot.code AS lot_code, COALESCE(lot.removal_on, lot.expires_on) AS removal_on"
        " FROM quant q JOIN location l ON l.id = q.location_id LEFT JOIN lot ON lot.id = q.lot_id"
        " WHERE l.warehouse_id = $1 AND l.kind = $2 AND l.usage = $3 AND q.package_id = $4"
        " AND CAST(q.on_hand AS NUMERIC) > 0"
        " AND q.product_id IN (SELECT product_id FROM replenishment_rule WHERE warehouse_id = $5)"
        " ORDER BY q.id",
        warehouse_id, LocationKind.INTERNAL.value, LocationUsage.STORAGE.value, NO_PACKAGE, warehouse_id,
    )  # fmt: skip
    by_product: dict[int, list[Candidate]] = defaultdict(list)
    for row in rows:
        by_product[int(row["product_id"])].append(Candidate(
            quant_id=int(row["id"]), location_id=int(row["location_id"]), location_code=row["code"],
            path=row["path"], lot_id=int(row["lot_id"]), lot_code=row["lot_code"],
            removal_on=sql.as_date(row["removal_on"]),
            in_date=None if row["in_date"] is None else sql.as_datetime(row["in_date"]),
            on_hand=quantities.from_db(row["on_hand"]), reserved=quantities.from_db(row["reserved"]),
            sellable=bool(row["sellable"]),
        ))  # fmt: skip
    return by_product
