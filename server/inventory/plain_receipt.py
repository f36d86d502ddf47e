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
the sum of its moves, with issues and other postings taking turns on the same row lock. The same
statement returns the move's cost and value (none when the bin would exceed the largest quantity:
refused). What it cannot see (its snapshot is taken before it waits for the locks) is whether
demands began waiting for the product meanwhile: a guard sent in one message with the COMMIT
(``db.commit_guarded``) reads that, and when some wait it fails the transaction, and the receipt is
booked again by ``posting.post``, which re-plans them. So the rows are held for one round trip,
and the receipt costs four (BEGIN, the lookup, the last statement, the guard with the COMMIT).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server import db, sql
from server.clock import now
from server.commands import Write
from server.errors import Invalid
from server.inventory import quantities
from server.inventory.lookups import Place, Product
from server.inventory.moves import Move
from server.inventory.periods import refuse_if_locked
from server.inventory.posting import Trail
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
# The cost and value ``_ADD`` priced the move at (NULL when the quant's upsert refused: no move), returned with the
# command's last statement; {added} is ``_ADD``'s name in it (``sql.cte``).
_PRICED = ("(SELECT cost FROM {added}) AS plain_receipt_cost", "(SELECT value FROM {added}) AS plain_receipt_value")
# Sent with the COMMIT (no parameters: the product's id is written in): stock arrived, and demands that began
# waiting for it while the last statement waited for its locks must get it, as after any posting; and a product
# made a bundle meanwhile takes no stock (``posting.refuse_bundles`` refuses it when the receipt is posted again).
_GUARD = (
    "DO $$BEGIN IF EXISTS (SELECT 1 FROM stock_demand WHERE product_id = {product_id} AND waiting)"
    " OR EXISTS (SELECT 1 FROM sales_bundle_component WHERE bundle_id = {product_id}) THEN"
    " RAISE EXCEPTION 'product {product_id} needs a full posting (demands wait, or it is a bundle)'"
    " USING ERRCODE = '{refused}'; END IF; END$$"
)


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
    """Leave the receipt's writes for the command's last statement and guard its COMMIT; the move it books."""
    created_at = now()
    effective_at = trail.effective_at or created_at
    await refuse_if_locked(write.conn, effective_at, {bin_.warehouse_id}, known=dict(bin_.lock_dates))
    added = sql.cte(len(write.deferred) + 2)
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

    write.returning.extend(expression.format(added=added) for expression in _PRICED)
    write.guards.append(_GUARD.format(product_id=int(product.id), refused=db.REFUSED))

    async def priced() -> None:
        cost = write.returned["plain_receipt_cost"]
        if cost is None:  # the quant's upsert refused to pass the largest quantity
            raise Invalid("The location would hold more than the largest quantity allowed.", field="quantity")
        moves[0] = dataclasses.replace(
            moves[0], unit_cost=from_db(cost), value=from_db(write.returned["plain_receipt_value"])
        )

    write.checks.append(priced)
    return moves
