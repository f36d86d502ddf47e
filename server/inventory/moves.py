"""Stock moves as the rest of the system reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.catalog.models import SKU
from server.inventory import quantities
from server.inventory.models import StockMove


@dataclass(frozen=True)
class Move:
    id: int
    product_id: int
    sku: str
    quantity: Decimal
    from_location_id: int
    from_location_code: str
    to_location_id: int
    to_location_code: str
    lot_id: int | None
    lot_code: str | None
    kind: str
    reason: str | None
    user_id: int | None
    created_at: datetime  # when it was booked
    effective_at: datetime  # when it happened
    unit_cost: Decimal | None = None  # fixed when booked (None: booked before valuation)
    value: Decimal | None = None

    @classmethod
    def from_model(cls, row: StockMove) -> Move:
        return cls(
            id=row.id,
            product_id=row.product.id,
            sku=row.product.sku,
            quantity=quantities.from_db(row.quantity),
            from_location_id=row.from_location.id,
            from_location_code=row.from_location.code,
            to_location_id=row.to_location.id,
            to_location_code=row.to_location.code,
            lot_id=row.lot.id if row.lot else None,
            lot_code=row.lot.code if row.lot else None,
            kind=row.kind,
            reason=row.reason,
            user_id=row.user_id,  # type: ignore[attr-defined]
            created_at=row.created_at,
            effective_at=row.effective_at or row.created_at,
            unit_cost=None if row.unit_cost is None else Decimal(row.unit_cost),
            value=None if row.value is None else Decimal(row.value),
        )


_RELATED = ("product", "from_location", "to_location", "lot")


async def load_moves(ids: list[int]) -> list[Move]:
    """The moves with these ids, in the order given."""
    rows = {m.id: m for m in await StockMove.filter(id__in=ids).select_related(*_RELATED)}
    return [Move.from_model(rows[i]) for i in ids if i in rows]


async def list_moves(*, sku: str | None = None, after_id: int | None = None, limit: int = 100) -> list[Move]:
    """Moves in the order they were booked, of one product or all."""
    query = StockMove.all().select_related(*_RELATED).order_by("id")
    if sku is not None:
        key = SKU.key(sku)
        if key is None:
            return []
        query = query.filter(product__sku=key)
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return [Move.from_model(m) for m in await query.limit(limit)]
