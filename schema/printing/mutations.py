from __future__ import annotations

import strawberry

from schema.context import Info
from schema.mutations import answer, mutation
from schema.printing.types import PrintTemplate, PrintTemplatePayload, SetPrintTemplateInput
from server.auth.permissions import Permission
from server.printing import service
from server.printing.logo import logo_from_base64
from server.printing.models import PrintTemplate as PrintTemplateRow


async def _shown(row: PrintTemplateRow) -> PrintTemplatePayload:
    await row.fetch_related("store")
    return PrintTemplatePayload(template=PrintTemplate.from_model(row.store, row))


@strawberry.type
class PrintingMutation:
    @mutation(
        Permission.STORES_MANAGE, description="Replace how a store's documents look: logo, address, footer, columns."
    )
    async def set_print_template(self, info: Info, input: SetPrintTemplateInput) -> PrintTemplatePayload:
        return await answer(
            PrintTemplatePayload,
            lambda: service.set_template(
                input.store, logo_from_base64(input.logo), input.address, input.footer, input.columns,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip
