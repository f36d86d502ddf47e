"""The per-request context: who is calling, the request's dataloaders, the job queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from server.auth.service import Principal
from server.jobs.queue import JobQueue
from server.settings import Settings


@dataclass
class Context:
    settings: Settings
    principal: Principal | None
    queue: JobQueue | None = None
    loaders: dict[str, Any] = field(default_factory=dict)
    connection_params: dict[str, Any] | None = None  # graphql-transport-ws connection_init payload
    # The caller's address as the ASGI server reports it (behind a proxy: uvicorn's --proxy-headers
    # with --forwarded-allow-ips), for throttles that must tell one client from another.
    client_address: str | None = None

    @property
    def user_id(self) -> int | None:
        return self.principal.user_id if self.principal else None

    def loader(self, name: str, factory: Any) -> Any:
        """One dataloader per key shape and request, made on first use."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]


Info = StrawberryInfo[Context, None]
