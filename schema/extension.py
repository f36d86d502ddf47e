"""The schema's one extension: every operation's policy (schema/policy.py), the parsed and validated
documents (schema/query_cache.py) and the masking of errors in production (schema/production.py).

One, not one per concern: Strawberry makes each extension anew for every request and, for each of its
hooks, finds the method and wraps it in a context manager (docs/performance.md, fifth pass).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from schema.policy import Policy, RequestPolicy
from schema.production import ProductionErrors
from schema.query_cache import DocumentCache


class RequestExtension(ProductionErrors):
    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = RequestPolicy(policy)

    def on_operation(self) -> Iterator[None]:
        self.policy.begin(self.execution_context)
        try:
            # The operation runs (for a subscription: until it ends), then its errors are masked.
            yield from super().on_operation()
        finally:
            self.policy.end()

    def on_parse(self) -> Iterator[None]:
        DocumentCache.parse(self.execution_context)
        yield

    def on_validate(self) -> Iterator[None]:
        DocumentCache.validate(self.execution_context)
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        await self.policy.check()
        yield
