"""Files kept with a document: a supplier's delivery note, a photo of damaged goods, a signed receipt."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from server.commands import Audited, Command, Effect, Write, execute
from server.documents.kinds import DONE
from server.documents.models import Attachment, Document
from server.errors import Invalid, NotFound
from server.text import Text

MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 512 * 1024  # base64 in a request body of at most 1 MiB
CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv"})
FILE_NAME = Text("name", 255)


@dataclass(frozen=True)
class AttachFile(Command):
    operation = "document.attach"
    document_id: int
    name: str
    content_type: str
    sha256: str  # what a retry is compared by: the file itself stays out of the idempotency record


@dataclass(frozen=True)
class RemoveAttachment(Command):
    operation = "document.detach"
    document_id: int
    attachment_id: int


def _content(encoded: str) -> bytes:
    if not isinstance(encoded, str) or len(encoded) > (MAX_ATTACHMENT_BYTES * 4) // 3 + 4:
        raise Invalid(f"A file has at most {MAX_ATTACHMENT_BYTES // 1024} KiB.", field="contentBase64")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("The file is not valid base64.", field="contentBase64") from None
    if not content:
        raise Invalid("The file is empty.", field="contentBase64")
    return content


async def attach(
    document_id: int, name: str, content_type: str, content_base64: str, *, actor_id: int | None,
    idempotency_key: str | None = None,
) -> Attachment:  # fmt: skip
    """Keep a file with a document, in any state but cancelled."""
    clean_name = FILE_NAME.clean(name, "name")
    if "/" in clean_name or "\\" in clean_name:
        raise Invalid("A file name has no folder in it.", field="name")
    if content_type not in CONTENT_TYPES:
        raise Invalid(f"The files kept are {', '.join(sorted(CONTENT_TYPES))}.", field="contentType")
    content = _content(content_base64)
    command = AttachFile(document_id, clean_name, content_type, hashlib.sha256(content).hexdigest())

    async def run(write: Write) -> Attachment:
        document = await Document.select_for_update().using_db(write.conn).get_or_none(id=document_id)
        if document is None:
            raise NotFound("There is no such document.", field="id")
        if document.state == "cancelled":
            raise Invalid("A cancelled document takes no files.", field="id")
        if await Attachment.filter(document_id=document_id).using_db(write.conn).count() >= MAX_ATTACHMENTS:
            raise Invalid(f"A document keeps at most {MAX_ATTACHMENTS} files.", field="id")
        return await Attachment.create(document_id=document_id, name=clean_name, content_type=content_type,
                                       size=len(content), content=content, using_db=write.conn)  # fmt: skip

    async def recall(stored: dict[str, object]) -> Attachment:
        return await Attachment.get(id=stored["attachment_id"])

    effect = Effect(run, lambda a: Audited("document", document_id, {**command.request(), "attachment": a.id}),
                    lambda a: {"attachment_id": a.id}, recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


async def remove(document_id: int, attachment_id: int, *, actor_id: int | None) -> None:
    """Drop a file from a document that is not done (a done document keeps what it was done with)."""
    command = RemoveAttachment(document_id, attachment_id)

    async def run(write: Write) -> None:
        document = await Document.select_for_update().using_db(write.conn).get_or_none(id=document_id)
        if document is None:
            raise NotFound("There is no such document.", field="id")
        if document.state == DONE:
            raise Invalid("A done document keeps its files.", field="id")
        removed = await Attachment.filter(id=attachment_id, document_id=document_id).using_db(write.conn).delete()
        if not removed:
            raise NotFound("The document has no such file.", field="attachment")

    await execute(command, Effect(run, lambda _: Audited("document", document_id)), actor_id=actor_id)


async def attachments_of(document_ids: list[int]) -> dict[int, list[Attachment]]:
    """Each document's files without their content, oldest first."""
    grouped: dict[int, list[Attachment]] = defaultdict(list)
    rows = await Attachment.filter(document_id__in=document_ids).order_by("id").only(
        "id", "document_id", "name", "content_type", "size", "created_at"
    )  # fmt: skip
    for row in rows:
        grouped[row.document_id].append(row)  # type: ignore[attr-defined]
    return grouped


async def content_of(attachment_id: int) -> bytes | None:
    row = await Attachment.get_or_none(id=attachment_id)
    return bytes(row.content) if row else None
