"""The reservation invariant, proven like the ledger's (``server.inventory.check``), in one snapshot:

- a quant's reserved is the sum of its allocations, and never more than its on hand;
- a demand's reserved is the sum of its allocations, never more than it wants, and it is
  ``waiting`` exactly when it has less than it wants;
- an allocation is positive and held in a quant of the demand's product (and lot, when it names
  one) in a real location of the demand's warehouse.

``check_ledger`` runs it in its own snapshot, so one check proves both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import sql
from server.inventory import quantities
from server.inventory.models import NO_LOT


@dataclass(frozen=True)
class ReservationReport:
    ok: bool
    problems: list[str]


async def check_reservations() -> ReservationReport:
    async with in_transaction() as conn:
        if sql.dialect(conn) == "postgres":
            await sql.execute(conn, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        problems = await reservation_problems(conn)
    return ReservationReport(ok=not problems, problems=problems)


async def reservation_problems(conn: BaseDBAsyncClient) -> list[str]:
    """What breaks the reservation invariant, read on ``conn`` (the caller's snapshot); a quant or demand
    is named by its id and by what people know it as (SKU, location, document line)."""
    quants = await sql.fetch(
        conn,
        "SELECT quant.id, quant.product_id, quant.lot_id, quant.on_hand, quant.reserved, location.warehouse_id,"
        " location.kind, location.code, product.sku FROM quant JOIN location ON location.id = quant.location_id"
        " JOIN product ON product.id = quant.product_id",
    )
    demands = await sql.fetch(
        conn,
        "SELECT d.id, d.product_id, d.warehouse_id, d.lot_id, d.wanted, d.reserved, d.waiting, d.document_type,"
        " d.document_id, d.line_id, product.sku FROM stock_demand AS d JOIN product ON product.id = d.product_id",
    )
    allocations = await sql.fetch(conn, "SELECT id, demand_id, quant_id, quantity FROM stock_allocation")
    problems: list[str] = []
    by_quant: dict[int, Decimal] = defaultdict(Decimal)
    by_demand: dict[int, Decimal] = defaultdict(Decimal)
    quant_of = {int(q["id"]): q for q in quants}
    demand_of = {int(d["id"]): d for d in demands}
    for allocation in allocations:
        quantity = quantities.from_db(allocation["quantity"])
        quant, demand = quant_of.get(allocation["quant_id"]), demand_of.get(allocation["demand_id"])
        by_quant[allocation["quant_id"]] += quantity
        by_demand[allocation["demand_id"]] += quantity
        where = f"allocation #{allocation['id']}"
        if quantity <= 0:
            problems.append(f"{where}: not positive ({quantity})")
        if quant is None or demand is None:
            problems.append(f"{where}: its quant or demand is missing")
            continue
        if quant["product_id"] != demand["product_id"] or quant["warehouse_id"] != demand["warehouse_id"]:
            problems.append(f"{where}: held in another product's or warehouse's quant")
        if quant["kind"] != "internal":
            problems.append(f"{where}: held in a location that cannot hold stock")
        if demand["lot_id"] != NO_LOT and demand["lot_id"] != quant["lot_id"]:
            problems.append(f"{where}: held in another lot than its demand names")
    zero = Decimal("0.0000")
    for quant in quants:
        reserved, on_hand = quantities.from_db(quant["reserved"]), quantities.from_db(quant["on_hand"])
        allocated = by_quant.get(quant["id"], zero)
        where = f"quant #{quant['id']} ({quant['sku']} in {quant['code']})"
        if reserved != allocated:
            problems.append(f"{where}: reserved {reserved}, allocations {allocated}")
        if reserved > on_hand:
            problems.append(f"{where}: reserved {reserved} above on hand {on_hand}")
    for demand in demands:
        reserved, wanted = quantities.from_db(demand["reserved"]), quantities.from_db(demand["wanted"])
        allocated = by_demand.get(demand["id"], zero)
        where = (f"demand #{demand['id']} ({demand['sku']}, {demand['document_type']} {demand['document_id']}"
                 f" line {demand['line_id']})")  # fmt: skip
        if reserved != allocated:
            problems.append(f"{where}: reserved {reserved}, allocations {allocated}")
        if reserved > wanted:
            problems.append(f"{where}: reserved {reserved} above wanted {wanted}")
        if bool(demand["waiting"]) != (reserved < wanted):
            problems.append(f"{where}: waiting is {bool(demand['waiting'])} with {reserved} of {wanted}")
    return problems
