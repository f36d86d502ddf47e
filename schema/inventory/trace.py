"""Following a lot: its trace (where it came from, every step, where it went) and its expiry alerts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.permissions import require
from schema.relay import page_window, paginate_queryset, paginate_with
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import expiry, quantities, trace
from server.inventory.models import ExpiryAlert as AlertRow


@strawberry.enum(description="Which moves of a lot's trace to list.")
class TraceEnd(StrEnum):
    ORIGINS = "origins"
    DESTINATIONS = "destinations"


@strawberry.type(description="One move of a lot or serial, with the packages and the document behind it.")
class LotTraceStep:
    id: strawberry.Private[int]
    move_id: strawberry.ID = strawberry.field(description="The StockMove's global id.")
    effective_at: datetime
    kind: str = strawberry.field(description="receive, issue, move, adjust, pack, unpack")
    reason: str | None
    quantity: Decimal
    from_location_code: str
    from_location_kind: str = strawberry.field(description="supplier, customer, internal, transit ...")
    to_location_code: str
    to_location_kind: str
    from_package_sscc: str | None = strawberry.field(description="The package the units left; null: loose.")
    to_package_sscc: str | None = strawberry.field(description="The package they arrived in; null: loose.")
    document_id: strawberry.ID | None = strawberry.field(description="The Document's global id, if one moved it.")
    document_type: str | None
    document_number: str | None = strawberry.field(description="Null until the document is posted and numbered.")
    party_code: str | None = strawberry.field(description="The document's supplier or customer.")
    party_name: str | None

    @classmethod
    def of(cls, step: trace.TraceStep) -> LotTraceStep:
        document = None if step.document_id is None else relay.GlobalID("Document", str(step.document_id))
        return cls(
            id=step.id, move_id=strawberry.ID(str(relay.GlobalID("StockMove", str(step.id)))),
            effective_at=step.effective_at, kind=step.kind, reason=step.reason,
            quantity=step.quantity,  # type: ignore[arg-type]
            from_location_code=step.from_location_code, from_location_kind=step.from_location_kind,
            to_location_code=step.to_location_code, to_location_kind=step.to_location_kind,
            from_package_sscc=step.from_package_sscc, to_package_sscc=step.to_package_sscc,
            document_id=None if document is None else strawberry.ID(str(document)),
            document_type=step.document_type, document_number=step.document_number,
            party_code=step.party_code, party_name=step.party_name,
        )  # fmt: skip


@strawberry.type(name="LotTraceStepConnection")
class LotTraceStepConnection(relay.Connection[LotTraceStep]):
    pass


@strawberry.type(description="A lot that reached its alert date with stock left; raised once per lot and date.")
class ExpiryAlert:
    id: strawberry.Private[int]
    sku: str
    lot_code: str
    alert_on: date
    expires_on: date | None
    on_hand: Decimal = strawberry.field(description="What was left in all bins when it was raised.")
    raised_at: datetime
    mailed: bool = strawberry.field(description="False: no address was set (STOREKEEPER_EXPIRY_ALERT_TO).")

    @classmethod
    def of(cls, row: AlertRow) -> ExpiryAlert:
        return cls(
            id=row.id, sku=row.lot.product.sku, lot_code=row.lot.code, alert_on=row.alert_on,
            expires_on=row.lot.expires_on, on_hand=quantities.from_db(row.on_hand),  # type: ignore[arg-type]
            raised_at=row.raised_at, mailed=row.mail_id is not None,
        )  # fmt: skip


@strawberry.type(name="ExpiryAlertConnection")
class ExpiryAlertConnection(relay.Connection[ExpiryAlert]):
    pass


@strawberry.type
class TraceQuery:
    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW), require(Permission.PARTNERS_VIEW)],
        description="Every move of a lot or serial in booking order, with its packages, document and partner."
        " only: ORIGINS, its receipts from suppliers; DESTINATIONS, what customers got (a recall's list).",
    )
    async def lot_trace(
        self, info: Info, sku: str, lot: str, only: TraceEnd | None = None, first: int | None = None,
        after: str | None = None,
    ) -> LotTraceStepConnection:  # fmt: skip
        window = page_window(info, first, after)
        end = None if only is None else trace.TraceEnd(only.value)

        async def fetch(after_id: int | None, limit: int) -> list[Any]:
            return await trace.lot_trace(sku, lot, only=end, after_id=after_id, limit=limit)

        return await paginate_with(LotTraceStepConnection, fetch, window, LotTraceStep.of)

    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="Lots that reached their alert date with stock left, oldest first (the nightly job raises them).",
    )
    async def expiry_alerts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ExpiryAlertConnection:
        return await paginate_queryset(
            ExpiryAlertConnection, expiry.expiry_alerts(), page_window(info, first, after), ExpiryAlert.of
        )
