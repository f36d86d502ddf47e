from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.permissions import require, still_allowed
from server import events
from server.auth.permissions import Permission
from server.documents.service import documents_by_ids
from server.errors import NotFound


async def _read(document_key: int) -> Document:
    rows = await documents_by_ids([document_key])
    if not rows:
        raise NotFound("There is no such document.", field="id")
    return Document.from_model(rows[0])


@strawberry.type
class DocumentsSubscription:
    @strawberry.subscription(
        permission_classes=[require(Permission.DOCUMENTS_VIEW)],
        description="A document now, and again after every change of it (edits, transitions).",
    )
    async def document_changed(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Document, None]:
        key = document_id(id)
        with events.broker.subscribe(events.document_topic(key)) as changes:
            yield await _read(key)
            while True:
                await changes.get()
                await still_allowed(info, Permission.DOCUMENTS_VIEW)
                yield await _read(key)
