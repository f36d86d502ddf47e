from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.documents import attachments, models, service
from server.mail import service as mail
from server.mail.models import OutboxMessage


class DocumentsLoaders:
    @cached_property
    def documents(self) -> DataLoader[int, models.Document | None]:
        return by_id(service.documents_by_ids)

    @cached_property
    def lines(self) -> DataLoader[int, list[models.DocumentLine]]:
        return grouped(service.lines_of, [])

    @cached_property
    def deliveries(self) -> DataLoader[int, list[OutboxMessage]]:
        return grouped(mail.deliveries, [])

    @cached_property
    def attachments(self) -> DataLoader[int, list[models.Attachment]]:
        return grouped(attachments.attachments_of, [])
