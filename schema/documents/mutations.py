from __future__ import annotations

import datetime

import strawberry

from schema.context import Info
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.nodes import id_from_text
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.documents import attachments, output, service, settings
from server.documents.attachments import MAX_ATTACHMENT_BYTES
from server.documents.lines import LineInput
from server.documents.models import Document as DocumentRow


@strawberry.input
class DocumentLineInput:
    sku: str
    quantity: Decimal = strawberry.field(description="In `unit` (the product's base unit when not given).")
    unit: str | None = strawberry.field(
        default=None, description="A unit of the product's category or a packaging level."
    )
    price: Decimal | None = strawberry.field(
        default=None, description="Per unit; from the party's price list when not given."
    )
    discount_percent: Decimal | None = None
    location: str | None = strawberry.field(default=None, description="The bin the stock comes into or goes from.")
    lot: str | None = None
    expires_on: datetime.date | None = None
    notes: str | None = None
    to_location: str | None = strawberry.field(
        default=None, description="A transfer's line: the bin the stock goes to (`location`: the bin it leaves)."
    )
    best_before_on: datetime.date | None = strawberry.field(default=None, description="The lot's best-before date.")
    removal_on: datetime.date | None = strawberry.field(
        default=None, description="The lot's removal date (defaults to expiresOn) for the lot a goods-in line creates."
    )
    alert_on: datetime.date | None = strawberry.field(default=None, description="The lot's alert date.")

    def line(self) -> LineInput:
        return LineInput(self.sku, self.quantity, self.unit, self.price, self.discount_percent, self.location,
                         self.lot, self.expires_on, self.notes, self.to_location, self.best_before_on,
                         self.removal_on, self.alert_on)  # fmt: skip


@strawberry.input
class DocumentHeaderFields:
    party: str | None = strawberry.field(default=None, description="The code of the party; empty to remove it.")
    business_date: datetime.date | None = None
    currency: str | None = strawberry.field(default=None, description="The store's currency when not given.")
    prices_include_tax: bool | None = None
    reason: str | None = None
    notes: str | None = None
    marks: list[str] | None = None

    def header(self) -> service.Header:
        return service.Header(self.party, self.business_date, self.currency, self.prices_include_tax, self.reason,
                              self.notes, self.marks)  # fmt: skip


@strawberry.input
class CreateDocumentInput(DocumentHeaderFields):
    type: str = strawberry.field(description="stock.inbound, stock.outbound, ...")
    store: str = strawberry.field(description="The code of the store.")
    lines: list[DocumentLineInput]
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class UpdateDocumentInput(DocumentHeaderFields):
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read: if it changed since, the update is STALE.")
    lines: list[DocumentLineInput] | None = strawberry.field(default=None, description="All the lines, replacing them.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class TransitionDocumentInput:
    id: strawberry.ID
    action: str = strawberry.field(description="One of the document's `actions`: confirm, post, cancel, reopen ...")
    version: int | None = strawberry.field(default=None, description="The version you read (recommended).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ReverseDocumentInput:
    id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class SendDocumentInput:
    id: strawberry.ID
    to: list[str] | None = strawberry.field(
        default=None, description="The party's contacts with an email when not given."
    )
    subject: str | None = None
    message: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class AttachToDocumentInput:
    id: strawberry.ID
    name: str = strawberry.field(description="The file's name, such as delivery-note.pdf.")
    content_type: str = strawberry.field(description="application/pdf, image/png, image/jpeg, text/plain or text/csv.")
    content_base64: str = strawberry.field(
        description=f"The file, base64-encoded; at most {MAX_ATTACHMENT_BYTES // 1024} KiB."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class RemoveDocumentAttachmentInput:
    id: strawberry.ID
    attachment: strawberry.ID = strawberry.field(description="The `id` of one of the document's `attachments`.")


@strawberry.input
class SetNumberSeriesInput:
    store: str
    type: str
    pattern: str = strawberry.field(description="Such as PO-{store}-{year}-{seq:05}; {month} and {type} work too.")
    gapless: bool = True


@strawberry.input
class SetApprovalRuleInput:
    store: str
    type: str
    threshold: Decimal | None = strawberry.field(
        description="Gross in the company currency above which confirming needs documents.approve; null removes it."
    )


@strawberry.type
class DocumentPayload(Payload):
    document: Document | None = None


@strawberry.type
class NumberSeriesPayload(Payload):
    pattern: str | None = None
    gapless: bool | None = None


@strawberry.type
class ApprovalRulePayload(Payload):
    threshold: Decimal | None = None


async def _shown(row: DocumentRow) -> DocumentPayload:
    """The document as stored (amounts with the places their columns keep), not as the write left it in memory."""
    stored = await DocumentRow.get(id=row.id).select_related("store", "party", "approved_by")
    return DocumentPayload(document=Document.from_model(stored))


async def _shown_by_id(key: int) -> DocumentPayload:
    return await _shown(await DocumentRow.get(id=key))


@strawberry.type
class DocumentsMutation:
    @mutation(Permission.DOCUMENTS_WRITE)
    async def create_document(self, info: Info, input: CreateDocumentInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: service.create_document(input.type, input.store, input.header(),
                                            [line.line() for line in input.lines], actor_id=info.context.user_id,
                                            idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.DOCUMENTS_WRITE)
    async def update_document(self, info: Info, input: UpdateDocumentInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: service.update_document(
                document_id(input.id), input.version, input.header(),
                [line.line() for line in input.lines] if input.lines is not None else None,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.DOCUMENTS_WRITE, description="Confirm, post, cancel ... a document, as its type allows.")
    async def transition_document(self, info: Info, input: TransitionDocumentInput) -> DocumentPayload:
        principal = info.context.principal
        return await answer(
            DocumentPayload,
            lambda: service.act(document_id(input.id), input.action, version=input.version,
                                actor_id=info.context.user_id,
                                can_approve=principal is not None and principal.can(Permission.DOCUMENTS_APPROVE),
                                idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.DOCUMENTS_WRITE, description="Undo a done document with a new one that points back at it.")
    async def reverse_document(self, info: Info, input: ReverseDocumentInput) -> DocumentPayload:
        return await answer(
            DocumentPayload,
            lambda: service.reverse(document_id(input.id), actor_id=info.context.user_id,
                                    idempotency_key=input.idempotency_key),
            _shown,
        )  # fmt: skip

    @mutation(Permission.DOCUMENTS_WRITE, description="Mail the document's PDF (through the outbox: see deliveries).")
    async def send_document(self, info: Info, input: SendDocumentInput) -> DocumentPayload:
        async def send() -> int:
            key = document_id(input.id)
            await output.send_document(key, input.to, input.subject, input.message, queue=info.context.queue,
                                       actor_id=info.context.user_id,
                                       idempotency_key=input.idempotency_key)  # fmt: skip
            return key

        return await answer(DocumentPayload, send, _shown_by_id)

    @mutation(Permission.DOCUMENTS_WRITE, description="Keep a file with a document (not a cancelled one).")
    async def attach_to_document(self, info: Info, input: AttachToDocumentInput) -> DocumentPayload:
        async def attach() -> int:
            key = document_id(input.id)
            await attachments.attach(key, input.name, input.content_type, input.content_base64,
                                     actor_id=info.context.user_id, idempotency_key=input.idempotency_key)  # fmt: skip
            return key

        return await answer(DocumentPayload, attach, _shown_by_id)

    @mutation(Permission.DOCUMENTS_WRITE, description="Drop a file from a document that is not done.")
    async def remove_document_attachment(self, info: Info, input: RemoveDocumentAttachmentInput) -> DocumentPayload:
        async def remove() -> int:
            key = document_id(input.id)
            await attachments.remove(key, id_from_text(str(input.attachment)) or 0, actor_id=info.context.user_id)
            return key

        return await answer(DocumentPayload, remove, _shown_by_id)

    @mutation(Permission.STORES_MANAGE)
    async def set_number_series(self, info: Info, input: SetNumberSeriesInput) -> NumberSeriesPayload:
        return await answer(
            NumberSeriesPayload,
            lambda: settings.set_number_series(input.store, input.type, input.pattern, input.gapless,
                                               actor_id=info.context.user_id),
            lambda s: NumberSeriesPayload(pattern=s.pattern, gapless=s.gapless),
        )  # fmt: skip

    @mutation(Permission.STORES_MANAGE)
    async def set_approval_rule(self, info: Info, input: SetApprovalRuleInput) -> ApprovalRulePayload:
        return await answer(
            ApprovalRulePayload,
            lambda: settings.set_approval_rule(input.store, input.type, input.threshold,
                                               actor_id=info.context.user_id),
            lambda threshold: ApprovalRulePayload(threshold=threshold),  # type: ignore[arg-type]
        )  # fmt: skip
