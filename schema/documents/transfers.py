"""Transfers over GraphQL: created, confirmed and posted as any document; shipped, received and closed here."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.documents.mutations import DocumentPayload, _shown
from schema.documents.types import document_id
from schema.mutations import IDEMPOTENCY_KEY, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents import transfers

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."


@strawberry.input
class ShipTransferInput:
    id: strawberry.ID
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class TransferArrivalInput:
    position: int = strawberry.field(description="The `position` of the transfer's line.")
    quantity: Decimal = strawberry.field(description="What arrived, in the product's base unit (as `baseQuantity`).")


@strawberry.input
class ReceiveTransferInput:
    id: strawberry.ID
    lines: list[TransferArrivalInput] = strawberry.field(description="What arrived, per line; each line at most once.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    version: int | None = strawberry.field(default=None, description=_VERSION)


@strawberry.input
class CloseTransferInput:
    id: strawberry.ID
    reason: str | None = strawberry.field(
        default=None, description="Why what never arrived is lost (it goes to inventory loss); needed when any is."
    )
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type(description="How far a line of a transfer has come, in the product's base unit.")
class TransferLine:
    position: int
    sku: str
    from_location: str
    to_location: str
    lot: str | None = strawberry.field(description="The lot the line names; none: the removal rule picked.")
    quantity: Decimal
    shipped: Decimal = strawberry.field(description="Left its bin (into transit, or straight to its bin).")
    received: Decimal
    lost: Decimal = strawberry.field(description="Never arrived: booked to inventory loss when it was closed.")
    on_the_way: Decimal

    @classmethod
    def of(cls, line: transfers.TransferLine) -> TransferLine:
        return cls(
            position=line.position, sku=line.sku, from_location=line.from_location, to_location=line.to_location,
            lot=line.lot, quantity=line.quantity, shipped=line.shipped, received=line.received,  # type: ignore[arg-type]
            lost=line.lost, on_the_way=line.on_the_way,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type
class TransfersQuery:
    @strawberry.field(
        permission_classes=[require(Permission.DOCUMENTS_VIEW)],
        description="The lines of a transfer with what each shipped, received and lost, by position: the first"
        " `first` (null: the server's page size) after the line `afterPosition`; null for another document.",
    )
    async def transfer_lines(
        self, info: Info, id: strawberry.ID, first: int | None = 100, after_position: int | None = None
    ) -> list[TransferLine] | None:
        size = page_window(info, first, None).limit  # the connections' rule: negative is INVALID, more is clamped
        lines = await transfers.transfer_lines(document_id(id), after_position=after_position or 0, limit=size)
        return [TransferLine.of(line) for line in lines] if lines is not None else None


@strawberry.type
class TransfersMutation:
    @mutation(Permission.DOCUMENTS_WRITE, description="Send a confirmed transfer between warehouses into transit.")
    async def ship_transfer(self, info: Info, input: ShipTransferInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: transfers.ship(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                   idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(
        Permission.DOCUMENTS_WRITE,
        description="Book what arrived of a transfer in transit, in parts; the last of it closes the transfer.",
    )
    async def receive_transfer(self, info: Info, input: ReceiveTransferInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: transfers.receive(document_id(input.id), [(line.position, line.quantity) for line in input.lines],
                                      version=input.version, actor_id=info.context.user_id,
                                      idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.DOCUMENTS_WRITE, description="Close a transfer in transit: what never arrived is lost.")
    async def close_transfer(self, info: Info, input: CloseTransferInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: transfers.close(document_id(input.id), input.reason, version=input.version,
                                    actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip
