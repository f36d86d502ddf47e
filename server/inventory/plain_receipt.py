"""A plain receipt, booked with its quant and cost bucket held for one round trip (PostgreSQL).

The handheld's hot path (docs/performance.md) is a receipt of a product without lots or serials,
valued at the moving average, into a bin without limits. ``posting.post`` books any entry: it
locks the quant, then the cost bucket, prices the move from the bucket and writes both at the
end, holding the two rows for four round trips, where every receipt of the product in the
warehouse queues. Here the command's last statement does all of it under the locks
(``sql.fetch_after``, chained with ``{previous}``), in the posting's lock order:

1. the quant: ``INSERT ... ON CONFLICT DO UPDATE`` adds the quantity (its row lock taken first);
2. the bucket: ``SELECT ... FOR UPDATE`` after the quant, which reads its latest committed
   state, and prices the move from it as ``valuation.books`` does (the cost given, else the
   bucket's average while it holds stock, else the product's last cost, else 0);
3. the bucket again: it gains exactly what the move brings, in quantity and value (an increment
   from the state just locked), and keeps its average as its unit cost;
4. the move, with that cost and value, under the id read with the lookup (``nextval``), so the
   audit entry, the scan and the idempotency record name it in the same statement.

So every receipt is priced at the average of the very state it is added to, and the bucket stays
the sum of its moves, with issues and other postings taking turns on the same row lock. What the
statement cannot see (its snapshot is taken before it waits for the locks) a check after it
reads, before the commit: whether the move was written (not when the bin would exceed the largest
quantity) and whether demands wait for the product, which are then re-planned as a posting does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server import sql
from server.clock import now
from server.commands import Write
from server.errors import Invalid
from server.inventory import quantities, replan
from server.inventory.lookups import Place, Product
from server.inventory.models import NO_LOT
from server.inventory.moves import Move
from server.inventory.periods import refuse_if_locked
from server.inventory.posting import Trail, lock_quants
from server.inventory.valuation.books import AVERAGE, from_db
from server.inventory.valuation.models import PLACES

# Read with the lookup (``lookups.lookup_with``, PostgreSQL): whether the receipt is plain, and the id of its move.
ALSO = (
    "product.costing_method,"
    " (SELECT id FROM cost_bucket WHERE cost_bucket.product_id = product.id"
    " AND cost_bucket.warehouse_id = location.warehouse_id) AS bucket_id,"
    " (SELECT on_hand FROM quant WHERE quant.product_id = product.id AND quant.location_id = location.id"
    " AND quant.lot_id = 0 AND quant.package_id = 0) AS quant_on_hand,"
    " EXISTS (SELECT 1 FROM stock_demand WHERE stock_demand.product_id = product.id AND waiting) AS demands_waiting,"
    " nextval(pg_get_serial_sequence('stock_move', 'id')) AS next_move_id"
)

_QUANT = (
    "INSERT INTO quant (product_id, location_id, lot_id, package_id, on_hand, reserved, in_date)"
    " VALUES ($1, $2, 0, 0, $3, 0, $4) ON CONFLICT (product_id, location_id, lot_id, package_id) DO UPDATE SET"
    " on_hand = quant.on_hand + EXCLUDED.on_hand,"
    " in_date = CASE WHEN quant.on_hand <= 0 THEN EXCLUDED.in_date"
    " WHEN quant.in_date IS NOT NULL AND EXCLUDED.in_date < quant.in_date THEN EXCLUDED.in_date"
    " ELSE quant.in_date END"
    " WHERE quant.on_hand + EXCLUDED.on_hand < $5 RETURNING id"
)  # as posting.arrive keeps in_date; no row when the bin would hold too much (the check then refuses)
_BUCKET = (
    "SELECT cost_bucket.id, cost_bucket.quantity, cost_bucket.value, cost_bucket.unit_cost,"
    f" COALESCE($2::numeric, CASE WHEN cost_bucket.quantity > 0 THEN ROUND(cost_bucket.value / cost_bucket.quantity,"
    f" {PLACES}) END, (SELECT last.unit_cost FROM cost_bucket AS last WHERE last.product_id = $3"
    " AND last.unit_cost IS NOT NULL ORDER BY last.updated_at DESC, last.id DESC LIMIT 1), 0) AS cost"
    " FROM cost_bucket, {previous} WHERE cost_bucket.id = $1 FOR UPDATE OF cost_bucket"
)  # joined with the quant's upsert: locked after it, as every posting locks them
_ADD = (
    f"UPDATE cost_bucket SET quantity = b.quantity + $1, value = b.value + ROUND(b.cost * $1, {PLACES}),"
    f" unit_cost = COALESCE(NULLIF(ROUND((b.value + ROUND(b.cost * $1, {PLACES})) / (b.quantity + $1), {PLACES}), 0),"
    f" b.unit_cost), updated_at = $2 FROM {{previous}} AS b WHERE cost_bucket.id = b.id"
    f" RETURNING b.cost, ROUND(b.cost * $1, {PLACES}) AS value"
)  # as Bucket.add: an average of 0 keeps the last one
_MOVE = (
    "INSERT INTO stock_move (id, product_id, quantity, from_location_id, to_location_id, kind, user_id,"
    " idempotency_key, created_at, effective_at, unit_cost, value, from_package_id, to_package_id)"
    " SELECT $1::bigint, $2::bigint, $3::numeric, $4::bigint, $5::bigint, 'receive', $6::bigint, $7::text,"
    " $8::timestamptz, $9::timestamptz, added.cost, added.value, 0, 0 FROM {previous} AS added"
)
_CHECK = (
    "SELECT unit_cost, value, EXISTS (SELECT 1 FROM stock_demand WHERE product_id = $2 AND waiting) AS waiting,"
    " EXISTS (SELECT 1 FROM sales_bundle_component WHERE bundle_id = $2) AS bundle"
    " FROM stock_move WHERE id = $1"
)  # a bundle takes no stock (posting.refuse_bundles): read after the product is held, as a posting reads it


@dataclass(frozen=True)
class Plain:
    """What the lookup read of a receipt that may be booked here."""

    bucket_id: int
    move_id: int


def plain(row: dict[str, Any], product: Product, bin_: Place, quantity: Decimal) -> Plain | None:
    """The receipt's bucket and move id when it is plain (else ``posting.post`` books it): a product without
    lots or serials at the moving average, whose bucket exists, into a bin without limits, nothing waiting
    for it (as read; the check reads it again) and far from the largest quantity a bin holds."""
    if "next_move_id" not in row or row["bucket_id"] is None or product.tracks_lots or product.tracks_serials:
        return None
    if (row["costing_method"] or AVERAGE) != AVERAGE or row["demands_waiting"]:
        return None
    if bin_.limits is not None or bin_.limited_above or bin_.warehouse_id is None:
        return None
    held = quantities.from_db(row["quant_on_hand"]) if row["quant_on_hand"] is not None else Decimal(0)
    if held + quantity >= quantities.MAX_QUANTITY:  # posting.post refuses it, under the lock
        return None
    return Plain(int(row["bucket_id"]), int(row["next_move_id"]))


async def book(
    write: Write,
    found: Plain,
    product: Product,
    supplier: Place,
    bin_: Place,
    quantity: Decimal,
    unit_cost: Decimal | None,
    trail: Trail,
) -> list[Move]:
    """Leave the receipt's writes for the command's last statement and check it after; the move it books."""
    created_at = now()
    effective_at = trail.effective_at or created_at
    await refuse_if_locked(write.conn, effective_at, {bin_.warehouse_id}, known=dict(bin_.lock_dates))
    write.deferred.extend([
        (_QUANT, (product.id, bin_.id, quantity, effective_at, quantities.MAX_QUANTITY)),
        (_BUCKET, (found.bucket_id, unit_cost, product.id)),
        (_ADD, (quantity, created_at)),
        (_MOVE, (found.move_id, product.id, quantity, supplier.id, bin_.id, trail.actor_id, trail.key, created_at,
                 effective_at)),
    ])  # fmt: skip
    moves = [
        Move(
            id=found.move_id, product_id=product.id, sku=product.sku, quantity=quantity,
            from_location_id=supplier.id, from_location_code=supplier.code, to_location_id=bin_.id,
            to_location_code=bin_.code, lot_id=None, lot_code=None, kind="receive", reason=None,
            user_id=trail.actor_id, created_at=created_at, effective_at=effective_at,
        )
    ]  # fmt: skip

    async def check() -> None:
        row = await sql.fetch_one(write.conn, _CHECK, found.move_id, product.id)
        if row is None:  # the quant's upsert refused to pass the largest quantity
            raise Invalid("The location would hold more than the largest quantity allowed.", field="quantity")
        if row["bundle"]:
            raise Invalid(f"{product.sku} is a bundle, sold as its components: it takes no stock of its own.",
                          field="sku")  # fmt: skip
        moves[0] = dataclasses.replace(moves[0], unit_cost=from_db(row["unit_cost"]), value=from_db(row["value"]))
        if row["waiting"]:  # stock arrived: the waiting demands get it, as after any posting
            quants = await lock_quants(write.conn, product.id, bin_.id, NO_LOT)  # held already: no wait
            for quant in quants.values():
                quant.changed = True
            await replan.after_posting(write.conn, {product.id: {bin_.id: quants}}, waiting={product.id: True})

    write.checks.append(check)
    return moves
