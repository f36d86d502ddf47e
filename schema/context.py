"""The per-request context: who is calling, the request's dataloaders, the job queue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from strawberry.types import Info as StrawberryInfo

from schema.loaders import Loaders
from server.auth.service import Principal
from server.jobs.queue import JobQueue
from server.settings import Settings


@dataclass
class Context:
    settings: Settings
    principal: Principal | None
    queue: JobQueue | None = None
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init payload
    # The caller's address as the ASGI server reports it (behind a proxy: uvicorn's --proxy-headers
    # with --forwarded-allow-ips), for throttles that must tell one client from another.
    client_address: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.principal.user_id if self.principal else None

    @cached_property
    def loaders(self) -> Loaders:
        """This request's dataloaders, by area: ``info.context.loaders.catalog.products``."""
        return Loaders()


Info = StrawberryInfo[Context, None]
