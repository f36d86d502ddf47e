from __future__ import annotations

import base64

import strawberry

from schema.mutations import IDEMPOTENCY_KEY, Payload
from server.partners.models import Store
from server.printing import view
from server.printing.models import PrintTemplate as PrintTemplateRow
from server.printing.service import as_template

PrintColumn = strawberry.enum(view.Column, name="PrintColumn", description="A column of a printed document's lines.")


@strawberry.type(description="How a store's documents look on paper.")
class PrintTemplate:
    store: str = strawberry.field(description="The store's code.")
    custom: bool = strawberry.field(description="False while the store prints with the default template.")
    logo: str | None = strawberry.field(description="The logo (PNG or JPEG), base64-encoded; null for none.")
    address: str = strawberry.field(description="The address under the logo; empty: the store's own address.")
    footer: str = strawberry.field(description="Printed at the bottom of every page.")
    columns: list[PrintColumn] = strawberry.field(description="The columns of the line table, in order.")

    @classmethod
    def from_model(cls, store: Store, row: PrintTemplateRow | None) -> PrintTemplate:
        template = as_template(row)
        logo = base64.b64encode(template.logo).decode() if template.logo else None
        columns = [view.Column(column) for column in template.columns]
        return cls(store=store.code, custom=row is not None, logo=logo, address=template.address,
                   footer=template.footer, columns=columns)  # fmt: skip


@strawberry.input
class SetPrintTemplateInput:
    store: str = strawberry.field(description="The store's code.")
    logo: str | None = strawberry.field(
        default=None, description="A PNG or JPEG of at most 512 KiB and 4000 by 4000 pixels, base64-encoded; null or"
        " empty: no logo."
    )  # fmt: skip
    address: str = strawberry.field(default="", description="At most 500 characters; empty: the store's address.")
    footer: str = strawberry.field(default="", description="At most 500 characters, on every page.")
    columns: list[PrintColumn] = strawberry.field(
        default_factory=lambda: [view.Column(column) for column in view.DEFAULT_COLUMNS],
        description="The columns of the line table, in order, each once.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class PrintTemplatePayload(Payload):
    template: PrintTemplate | None = None
