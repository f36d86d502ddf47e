from __future__ import annotations

from dataclasses import replace

import strawberry

from schema.context import Info
from schema.permissions import require, require_any
from schema.relay import page_window, paginate_queryset
from schema.scanning.types import BarcodeResolution, Scan, ScanConnection
from server import scanning
from server.auth.permissions import Permission


@strawberry.type
class ScanningQuery:
    @strawberry.field(
        permission_classes=[require_any(Permission.STOCK_VIEW, Permission.STOCK_COUNT)],
        description="What a scanned code is. A counter (stock.count without stock.view) is told what a code is"
        " but not what a package holds: `package` is null to them, as its contents are stock levels.",
    )
    async def resolve_barcode(self, info: Info, code: str) -> BarcodeResolution:
        found = await scanning.resolve(code)
        principal = info.context.principal
        if found.package is not None and (principal is None or not principal.can(Permission.STOCK_VIEW)):
            found = replace(found, package=None)
        return await BarcodeResolution.of(found)

    @strawberry.field(permission_classes=[require(Permission.STOCK_VIEW)], description="The scan log, oldest first.")
    async def scans(
        self, info: Info, device: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> ScanConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        return await paginate_queryset(ScanConnection, scanning.scan_log(device=device), window, Scan.from_model)
