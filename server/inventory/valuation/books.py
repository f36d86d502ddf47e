"""The valuation side of a posting: lock the cost buckets it touches, price each move, write them back.

``posting`` makes ``Books`` for its entries, prices every move before writing it (the cost goes in
the move's own INSERT) and closes them after the quants. The buckets are locked at the first price,
when the posting holds every quant its moves touch (new ones created first), so quants are always
locked before buckets and two postings cannot wait for each other across the two: per posting, one
statement locks (creating where new) and reads every bucket it touches, in (product, bucket) order,
and one UPDATE writes each bucket that changed. FIFO adds the layers: read for a bucket stock
leaves, inserted for stock that arrives. The bucket row guards its layers: whoever changes them
holds the bucket's lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import now
from server.inventory.lookups import Place
from server.inventory.valuation.models import PLACES, TRANSIT_BUCKET

AVERAGE, FIFO = "average", "fifo"
COSTING_METHODS = (AVERAGE, FIFO)
STEP = Decimal(1).scaleb(-PLACES)
ZERO = Decimal(0)


def money(value: Decimal) -> Decimal:
    return value.quantize(STEP, rounding=ROUND_HALF_UP)


def from_db(value: object) -> Decimal:
    """A stored quantity or value (SQLite hands back text or a float-free string, PostgreSQL a Decimal)."""
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(STEP)


def bucket_of(place: Place) -> int | None:
    """The bucket a place's stock is valued in; None for a place outside (supplier, customer, loss ...)."""
    if not place.holds_stock:
        return None
    return place.warehouse_id if place.warehouse_id is not None else TRANSIT_BUCKET


class Valued(Protocol):
    """What ``Books`` needs of a posting's entry (``posting.Entry``)."""

    @property
    def source(self) -> Place: ...
    @property
    def target(self) -> Place: ...
    @property
    def unit_cost(self) -> Decimal | None: ...
    @property
    def value(self) -> object: ...  # a Decimal: exactly what a move from outside brings in (None: not given)
    @property
    def product(self) -> object: ...


@dataclass(frozen=True)
class Cost:
    unit_cost: Decimal
    value: Decimal


@dataclass
class Layer:
    id: int | None  # None: made by this posting
    unit_cost: Decimal
    quantity: Decimal
    quantity_left: Decimal
    value_left: Decimal
    move_id: int | None = None
    changed: bool = False


@dataclass
class Bucket:
    id: int
    product_id: int
    warehouse_id: int
    method: str
    quantity: Decimal
    value: Decimal
    unit_cost: Decimal | None  # the last average: kept when the bucket empties
    layers: list[Layer] | None = None  # FIFO: the open layers, oldest first, read when stock leaves
    changed: bool = False
    # Whether demands wait for stock of the product, read with the bucket (so after the posting's quants
    # were locked, as server.inventory.replan needs it): a posting's re-plan asks no query of its own.
    demands_waiting: bool = False

    def average(self) -> Decimal | None:
        """The value of one unit while the bucket holds stock."""
        return money(self.value / self.quantity) if self.quantity > 0 else None

    def take(self, quantity: Decimal, *, at_cost: Decimal | None = None) -> Decimal:
        """Take ``quantity`` out at the bucket's cost (FIFO: its oldest layers, those at ``at_cost`` first;
        average: at ``at_cost`` when given): the value that leaves."""
        if self.method == FIFO and self.layers is not None:
            value = ZERO
            remaining = quantity
            for layer in sorted(self.layers, key=lambda layer: layer.unit_cost != at_cost):  # stable: oldest first
                if remaining == 0:
                    break
                share = min(layer.quantity_left, remaining)
                if share <= 0:
                    continue
                part = (
                    layer.value_left
                    if share == layer.quantity_left
                    else money(layer.value_left * share / layer.quantity_left)
                )
                layer.quantity_left -= share
                layer.value_left -= part
                layer.changed = True
                value += part
                remaining -= share
            self.layers = [layer for layer in self.layers if layer.quantity_left > 0 or layer.changed]
        elif at_cost is not None:
            value = money(at_cost * quantity)
        elif quantity >= self.quantity:
            value = max(self.value, ZERO)
        else:
            value = money(self.value * quantity / self.quantity)
        return self.remove(quantity, value)

    def remove(self, quantity: Decimal, value: Decimal) -> Decimal:
        """Book ``quantity`` worth ``value`` out (all that is left when it is the last units)."""
        if quantity >= self.quantity:  # the last units take what is left, so no residue stays behind
            value = self.value
        value = min(value, self.value)
        self.quantity = max(self.quantity - quantity, ZERO)
        self.value -= value
        self._after_change()
        return value

    def add(self, quantity: Decimal, value: Decimal) -> Layer | None:
        self.quantity += quantity
        self.value += value
        self._after_change()
        if self.method != FIFO:
            return None
        layer = Layer(None, money(value / quantity), quantity, quantity, value, changed=True)
        if self.layers is not None:
            self.layers.append(layer)
        return layer

    def _after_change(self) -> None:
        self.unit_cost = self.average() or self.unit_cost
        self.changed = True


Key = tuple[int, int]  # (product id, bucket)


@dataclass
class Books:
    """The buckets one posting touches, locked in (product, bucket) order after its quants."""

    buckets: dict[Key, Bucket]
    keys: list[Key] = field(default_factory=list)  # to lock, in this order, before the first price
    new_layers: dict[Key, list[Layer]] = field(default_factory=dict)
    _pending: list[Layer] = field(default_factory=list)  # layers of the move being booked

    @classmethod
    def of(cls, entries: Iterable[Valued]) -> Books:
        """The books of a posting of ``entries``: its buckets are locked when its first move is priced,
        which ``posting`` does once it holds every quant the moves touch (creating new ones first)."""
        keys = sorted({
            (_product_id(entry), bucket)
            for entry in entries for bucket in (bucket_of(entry.source), bucket_of(entry.target)) if bucket is not None
        })  # fmt: skip
        return cls({}, keys=keys)

    async def price(self, conn: BaseDBAsyncClient, entry: Valued, quantity: Decimal) -> Cost:
        """The cost of ``quantity`` of ``entry`` (one move), and its effect on the buckets in memory."""
        if self.keys:
            self.buckets, self.keys = await lock_buckets(conn, self.keys), []
        product_id = _product_id(entry)
        source, target = bucket_of(entry.source), bucket_of(entry.target)
        self._pending = []
        if source is None and target is None:  # outside to outside: nothing of ours moves
            cost = entry.unit_cost or ZERO
            return Cost(cost, money(cost * quantity))
        if source == target:  # bin to bin: carries the cost, changes no value
            bucket = self.buckets[product_id, source]  # type: ignore[index]
            average = bucket.average()  # an average of 0 is an average: stock valued at nothing
            cost = average if average is not None else bucket.unit_cost or ZERO
            return Cost(cost, money(cost * quantity))
        if source is None:
            bucket = self.buckets[product_id, target]  # type: ignore[index]
            if isinstance(entry.value, Decimal):  # exactly this value: its unit cost is only what it is near
                value, cost = entry.value, money(entry.value / quantity)
                self._arrive(bucket, quantity, [(quantity, value)])
                return Cost(cost, value)
            given = entry.unit_cost
            known = given if given is not None else bucket.average()
            # an empty bucket: the product's last cost (one more statement)
            cost = known if known is not None else await last_cost(conn, product_id) or ZERO
            value = money(cost * quantity)
            self._arrive(bucket, quantity, [(quantity, value)])
            return Cost(cost, value)
        origin = self.buckets[product_id, source]
        if origin.method == FIFO and origin.layers is None:
            # with the layers this posting made there and has not written yet
            origin.layers = await open_layers(conn, product_id, source) + self.new_layers.get((product_id, source), [])
        # Out of transit at the cost the entry gives: a transfer's receipt at the cost of its ship move. Out to
        # outside at the cost it gives: a return to the supplier at what the receipt it returns cost.
        given = entry.unit_cost if source == TRANSIT_BUCKET or target is None else None
        taken = self._take(origin, quantity, given)
        value = sum((v for _, v in taken), ZERO)
        if target is not None:
            self._arrive(self.buckets[product_id, target], quantity, taken)
        return Cost(money(value / quantity), value)

    def _take(self, bucket: Bucket, quantity: Decimal, at_cost: Decimal | None) -> list[tuple[Decimal, Decimal]]:
        """What leaves, as (quantity, value) per cost it had: one part per FIFO layer, else one."""
        if bucket.method != FIFO or bucket.layers is None:
            return [(quantity, bucket.take(quantity, at_cost=at_cost))]
        before = [(layer, layer.quantity_left, layer.value_left) for layer in bucket.layers]
        total = bucket.take(quantity, at_cost=at_cost)
        parts = [(q - layer.quantity_left, v - layer.value_left) for layer, q, v in before if q != layer.quantity_left]
        moved = sum((q for q, _ in parts), ZERO)
        if moved < quantity or sum((v for _, v in parts), ZERO) != total:  # units beyond the layers: at no value
            parts.append((quantity - moved, total - sum((v for _, v in parts), ZERO)))
        return [(q, v) for q, v in parts if q > 0]

    def _arrive(self, bucket: Bucket, quantity: Decimal, parts: list[tuple[Decimal, Decimal]]) -> None:
        if bucket.method != FIFO:
            bucket.add(quantity, sum((v for _, v in parts), ZERO))
            return
        for part_quantity, part_value in parts:  # each cost it had stays a layer of its own
            layer = bucket.add(part_quantity, part_value)
            assert layer is not None
            self._pending.append(layer)
            self.new_layers.setdefault((bucket.product_id, bucket.warehouse_id), []).append(layer)

    def waiting(self) -> dict[int, bool]:
        """Whether demands wait for each product the locked buckets are of."""
        found: dict[int, bool] = {}
        for (product_id, _), bucket in self.buckets.items():
            found[product_id] = found.get(product_id, False) or bucket.demands_waiting
        return found

    def booked(self, move_id: int) -> None:
        """The move just priced was written as ``move_id``: its layers name it."""
        for layer in self._pending:
            layer.move_id = move_id
        self._pending = []

    async def close(self, conn: BaseDBAsyncClient, deferred: list[sql.Statement] | None = None) -> None:
        """Write back what changed: the buckets, and the FIFO layers (updates left in ``deferred`` when given,
        see ``posting.post``)."""
        stamp = now()
        for bucket in self.buckets.values():
            if not bucket.changed:
                continue
            update = "UPDATE cost_bucket SET quantity = $1, value = $2, unit_cost = $3, updated_at = $4 WHERE id = $5"
            await sql.write_or_defer(
                conn, (update, (bucket.quantity, bucket.value, bucket.unit_cost, stamp, bucket.id)), deferred
            )
            bucket.changed = False
            for layer in bucket.layers or []:
                if layer.changed and layer.id is not None:
                    update = "UPDATE cost_layer SET quantity_left = $1, value_left = $2 WHERE id = $3"
                    await sql.write_or_defer(
                        conn, (update, (layer.quantity_left, layer.value_left, layer.id)), deferred
                    )
                    layer.changed = False
        for (product_id, bucket_id), layers in self.new_layers.items():
            for layer in layers:
                row = await sql.fetch_one(
                    conn,
                    "INSERT INTO cost_layer (product_id, warehouse_id, move_id, unit_cost, quantity, quantity_left,"
                    " value_left) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    product_id, bucket_id, layer.move_id, layer.unit_cost, layer.quantity, layer.quantity_left,
                    layer.value_left,
                )  # fmt: skip
                assert row is not None
                layer.id, layer.changed = int(row["id"]), False
        self.new_layers = {}


def _product_id(entry: Valued) -> int:
    return int(entry.product.id)  # type: ignore[attr-defined]


async def lock_buckets(conn: BaseDBAsyncClient, keys: list[Key]) -> dict[Key, Bucket]:
    """Lock and read the buckets of ``keys`` (creating the new ones), in their order.

    The buckets usually exist: one ``SELECT ... FOR UPDATE`` locks them without writing a row
    version. When one is new, an upsert of all the keys, whose update changes nothing, creates it
    and takes every lock, so two first postings into a new bucket cannot both start from zero (two
    such postings of several buckets may deadlock: ``server.commands`` runs the loser again). The
    product's costing method comes with it: a change of method locks the product FOR UPDATE, which
    postings hold FOR SHARE.
    """
    if not keys:
        return {}
    params = [part for key in keys for part in key]
    pairs = ", ".join(f"(${2 * i + 1}, ${2 * i + 2})" for i in range(len(keys)))
    rows = await sql.fetch(
        conn,
        f"SELECT {_BUCKET_COLUMNS} FROM cost_bucket WHERE (product_id, warehouse_id) IN ({pairs})"
        " ORDER BY product_id, warehouse_id FOR UPDATE",
        *params,
    )
    if len(rows) < len(keys):
        values = ", ".join(f"(${2 * i + 1}, ${2 * i + 2}, 0, 0)" for i in range(len(keys)))
        rows = await sql.fetch(
            conn,
            f"INSERT INTO cost_bucket (product_id, warehouse_id, quantity, value) VALUES {values}"
            f" ON CONFLICT (product_id, warehouse_id) DO UPDATE SET quantity = cost_bucket.quantity"
            f" RETURNING {_BUCKET_COLUMNS}",
            *params,
        )
    return {
        (int(r["product_id"]), int(r["warehouse_id"])): Bucket(
            id=int(r["id"]), product_id=int(r["product_id"]), warehouse_id=int(r["warehouse_id"]),
            method=r["method"] or AVERAGE, quantity=from_db(r["quantity"]), value=from_db(r["value"]),
            unit_cost=None if r["unit_cost"] is None else from_db(r["unit_cost"]), demands_waiting=bool(r["waiting"]),
        )
        for r in rows
    }  # fmt: skip


_BUCKET_COLUMNS = (
    "id, product_id, warehouse_id, quantity, value, unit_cost,"
    " (SELECT costing_method FROM product WHERE product.id = cost_bucket.product_id) AS method,"
    " EXISTS (SELECT 1 FROM stock_demand WHERE stock_demand.product_id = cost_bucket.product_id AND waiting)"
    " AS waiting"
)


async def open_layers(conn: BaseDBAsyncClient, product_id: int, bucket: int) -> list[Layer]:
    """The FIFO layers of a bucket with units left, oldest first (the caller holds the bucket's lock)."""
    rows = await sql.fetch(
        conn,
        "SELECT id, move_id, unit_cost, quantity, quantity_left, value_left FROM cost_layer"
        " WHERE product_id = $1 AND warehouse_id = $2 AND CAST(quantity_left AS NUMERIC) > 0 ORDER BY id",
        product_id, bucket,
    )  # fmt: skip
    return [
        Layer(int(r["id"]), from_db(r["unit_cost"]), from_db(r["quantity"]), from_db(r["quantity_left"]),
              from_db(r["value_left"]), int(r["move_id"]))
        for r in rows
    ]  # fmt: skip


async def last_cost(conn: BaseDBAsyncClient, product_id: int) -> Decimal | None:
    """The product's last cost: the last average any of its buckets kept."""
    row = await sql.fetch_one(
        conn,
        "SELECT unit_cost FROM cost_bucket WHERE product_id = $1 AND unit_cost IS NOT NULL"
        " ORDER BY updated_at DESC, id DESC LIMIT 1",
        product_id,
    )
    return None if row is None else from_db(row["unit_cost"])


async def unit_costs(conn: BaseDBAsyncClient, product_ids: list[int], bucket: int) -> dict[int, Decimal]:
    """What one unit of each product is worth in ``bucket`` now, as a receipt without a cost would be valued:
    the bucket's average while it holds stock, else the product's last cost, else 0. Read without a lock
    (buckets are locked after quants): a split key, such as a disassembly's, not a value booked."""
    if not product_ids:
        return {}
    ids = sorted(set(product_ids))
    rows = await sql.fetch(
        conn,
        f"SELECT product_id, quantity, value FROM cost_bucket WHERE warehouse_id = $1"
        f" AND product_id IN ({sql.placeholders(2, len(ids))})",
        bucket, *ids,
    )  # fmt: skip
    held = {int(r["product_id"]): (from_db(r["quantity"]), from_db(r["value"])) for r in rows}
    costs: dict[int, Decimal] = {}
    for product_id in ids:
        quantity, value = held.get(product_id, (ZERO, ZERO))
        costs[product_id] = money(value / quantity) if quantity > 0 else await last_cost(conn, product_id) or ZERO
    return costs
