from __future__ import annotations

import strawberry

from schema.context import Info
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from schema.scanning.types import BarcodeResolution, Scan, ScanConnection
from server import scanning
from server.auth.permissions import Permission


@strawberry.type
class ScanningQuery:
    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)])
    async def resolve_barcode(self, info: Info, code: str) -> BarcodeResolution:
        return await BarcodeResolution.of(await scanning.resolve(code))

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)], description="The scan log, oldest first.")
    async def scans(
        self, info: Info, device: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> ScanConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        return await paginate_queryset(ScanConnection, scanning.scan_log(device=device), window, Scan.from_model)
