"""Scrap and loss by reason and value (server/inventory/losses.py)."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.permissions import require
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import losses


@strawberry.type(description="What went to the scrap or the inventory-loss location for one reason, and came back.")
class StockLossLine:
    location_kind: str = strawberry.field(description="scrap or inventory_loss")
    reason: str = strawberry.field(description="scrap, damage, count, internal_use, other, a transfer's reason ...")
    quantity_lost: Decimal
    value_lost: Decimal
    quantity_found: Decimal = strawberry.field(description="What came back: counted above the books, found.")
    value_found: Decimal
    net_quantity: Decimal
    net_value: Decimal = strawberry.field(description="Lost less found: what the reason cost in the period.")

    @classmethod
    def of(cls, line: losses.LossLine) -> StockLossLine:
        return cls(
            location_kind=line.location_kind, reason=line.reason, quantity_lost=line.quantity_lost,  # type: ignore[arg-type]
            value_lost=line.value_lost, quantity_found=line.quantity_found,  # type: ignore[arg-type]
            value_found=line.value_found, net_quantity=line.net_quantity,  # type: ignore[arg-type]
            net_value=line.net_value,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type
class LossesQuery:
    @strawberry.field(
        permission_classes=[require(Permission.COSTS_VIEW)],
        description="Scrap and loss effective from fromDate to toDate (both included), by kind of location and"
        " reason, with quantity and value lost, found again and net; of one warehouse and one product, or all.",
    )
    async def stock_losses(
        self, from_date: date, to_date: date, warehouse_code: str | None = None, sku: str | None = None
    ) -> list[StockLossLine]:
        lines = await losses.loss_report(from_date, to_date, warehouse_code=warehouse_code, sku=sku)
        return [StockLossLine.of(line) for line in lines]
