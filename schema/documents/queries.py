from __future__ import annotations

import strawberry

from schema.context import Info
from schema.documents.types import Document, DocumentConnection, document_id
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
from server.documents.kinds import all_kinds
from server.documents.service import find_documents


@strawberry.input
class DocumentFilter:
    type: str | None = None
    state: str | None = None
    store: str | None = strawberry.field(default=None, description="The code of the store.")
    number: str | None = strawberry.field(default=None, description="Part of the number.")


@strawberry.type
class DocumentType:
    type: str
    title: str
    states: list[str]
    reasons: list[str]


@strawberry.type
class DocumentsQuery:
    @strawberry.field(permission_classes=[require(Permission.DOCUMENTS_VIEW)])
    async def documents(
        self, info: Info, filter: DocumentFilter | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> DocumentConnection:  # fmt: skip
        window = page_window(info, first, after, last, before)
        f = filter or DocumentFilter()
        query = find_documents(document_type=f.type, state=f.state, store=f.store, search=f.number)
        return await paginate_queryset(
            DocumentConnection, query.select_related("store", "party", "approved_by"), window, Document.from_model
        )

    @strawberry.field(permission_classes=[require(Permission.DOCUMENTS_VIEW)])
    async def document(self, info: Info, id: strawberry.ID) -> Document | None:
        row = await info.context.loaders.documents.documents.load(document_id(id))
        return Document.from_model(row) if row else None

    @strawberry.field(permission_classes=[require(Permission.DOCUMENTS_VIEW)], description="The types of documents.")
    def document_types(self) -> list[DocumentType]:
        return [DocumentType(type=k.type, title=k.title, states=list(k.states), reasons=list(k.reasons))
                for k in all_kinds()]  # fmt: skip
