from __future__ import annotations

import strawberry

from schema.context import Info
from schema.permissions import require
from schema.printing.types import PrintTemplate
from server.auth.permissions import Permission
from server.errors import NotFound
from server.printing import service


@strawberry.type
class PrintingQuery:
    @strawberry.field(
        permission_classes=[require(Permission.DOCUMENTS_VIEW)],
        description="How the store's documents are printed (its template, or the default); null for no such store.",
    )
    async def print_template(self, info: Info, store: str) -> PrintTemplate | None:
        try:
            found, row = await service.template_row(store)
        except NotFound:
            return None
        return PrintTemplate.from_model(found, row)
