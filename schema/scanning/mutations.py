from __future__ import annotations

import strawberry

from schema.context import Info
from schema.mutations import answer, mutation
from schema.scanning.types import BarcodeResolution, ScanInput, ScanPayload
from server import scanning
from server.auth.permissions import Permission


@strawberry.type
class ScanningMutation:
    @mutation(
        Permission.STOCK_VIEW,
        description="What a scanned code is, like resolveBarcode, and the scan kept in the scan log.",
    )
    async def scan_barcode(self, info: Info, input: ScanInput) -> ScanPayload:
        async def shown(found: scanning.Resolution) -> ScanPayload:
            return ScanPayload(resolution=await BarcodeResolution.of(found))

        return await answer(ScanPayload, lambda: scanning.scan(input.info(), user_id=info.context.user_id), shown)
