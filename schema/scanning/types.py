"""What a scanned code is, as the API shows it, and the scan log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay

from schema.catalog.types import Packaging, Product
from schema.context import Info
from schema.inventory.package_types import Package
from schema.inventory.types import Location, Lot, StockMove
from schema.mutations import Payload
from schema.nodes import MAX_ID, Fetchable
from schema.scalars import Decimal
from server import scanning
from server.auth.permissions import Permission
from server.inventory.package_contents import package_view
from server.scanning import models

CodeKind = strawberry.enum(scanning.CodeKind, name="CodeKind")


@strawberry.type
class Gs1Element:
    ai: str = strawberry.field(description="GS1 application identifier, e.g. 01 (GTIN), 10 (lot), 17 (expiry).")
    title: str
    value: str


@strawberry.type(description="What a scanned code is.")
class BarcodeResolution:
    code: str
    kind: CodeKind
    product: Product | None
    location: Location | None
    lot: Lot | None
    expires_on: date | None = strawberry.field(description="The expiry: the known lot's, else the label's (AI 17).")
    gs1: list[Gs1Element]
    message: str | None = strawberry.field(description="Why the code is unknown, if it is.")
    packaging: Packaging | None = strawberry.field(
        default=None, description="The packaging level (a case) whose barcode it is, when it is one."
    )
    quantity: Decimal | None = strawberry.field(
        default=None,
        description="How many base units the scan stands for: the packaging level's quantity, times the count on a"
        " GS1 label (AI 30 or 37) when it carries one; null when the code says nothing of a quantity.",
    )
    lot_code: str | None = strawberry.field(
        default=None,
        description="The lot to receive into, as receiveStock's lot: the serial (AI 21) for a serial-tracked"
        " product, else the lot (AI 10); the known lot's code when it exists.",
    )
    serial: str | None = strawberry.field(default=None, description="The serial number on a GS1 label (AI 21).")
    best_before_on: date | None = strawberry.field(
        default=None, description="The best-before date: the known lot's, else the label's (AI 15)."
    )
    package: Package | None = strawberry.field(
        default=None, description="The package or pallet whose SSCC it is (GS1 AI 00): movePackage moves it."
    )

    @classmethod
    async def of(cls, found: scanning.Resolution) -> BarcodeResolution:
        if found.product is not None:
            await found.product.fetch_related("category", "brand")
        return cls(
            code=found.code,
            kind=found.kind,
            product=Product.from_model(found.product) if found.product else None,
            location=Location.from_model(found.location) if found.location else None,
            lot=Lot.from_model(found.lot) if found.lot else None,
            expires_on=found.expires_on,
            gs1=[Gs1Element(ai=e.ai, title=e.title, value=e.value) for e in found.gs1],
            message=found.message,
            packaging=Packaging.from_model(found.packaging) if found.packaging else None,
            quantity=found.quantity,  # type: ignore[arg-type]
            lot_code=found.lot_code,
            serial=found.serial,
            best_before_on=found.best_before_on,
            package=Package.of(package_view(found.package)) if found.package else None,
        )


@strawberry.input(description="A scan as the handheld read it.")
class ScanInput:
    code: str
    symbology: str | None = strawberry.field(default=None, description="e.g. EAN-13, GS1-128, QR, if the scanner says")
    device: str | None = None
    scanned_at: datetime | None = strawberry.field(
        default=None,
        description="When the device read it, with its time zone: a posting the scan causes is dated then"
        " (a queue sent later still books the day it was scanned).",
    )

    def info(self) -> scanning.ScanInfo:
        return scanning.ScanInfo.of(self.code, self.symbology, self.device, self.scanned_at)


@strawberry.type
class ScanPayload(Payload):
    resolution: BarcodeResolution | None = None


@strawberry.type(description="A code a handheld scanned, as read, and the stock move it caused.")
class Scan(Fetchable, relay.Node):
    view_permission = Permission.STOCK_VIEW
    max_id = MAX_ID  # BIGINT key
    id: relay.NodeID[int]
    code: str
    symbology: str | None
    device: str | None
    username: str | None
    created_at: datetime
    move_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.Scan) -> Scan:
        return cls(
            id=row.id,
            code=row.code,
            symbology=row.symbology,
            device=row.device,
            username=row.user.username if row.user else None,
            created_at=row.created_at,
            move_id=row.move_id,  # type: ignore[attr-defined]
        )

    @strawberry.field
    async def move(self, info: Info) -> StockMove | None:
        if self.move_id is None:
            return None
        move = await info.context.loaders.inventory.moves.load(self.move_id)
        return StockMove.from_move(move) if move else None

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        return {r.id: cls.from_model(r) for r in await scanning.scans_by_ids(ids)}


@strawberry.type(name="ScanConnection")
class ScanConnection(relay.Connection[Scan]):
    pass
