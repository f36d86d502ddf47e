"""The schema's one extension: every operation's policy (schema/policy.py), the parsed and validated
documents (schema/query_cache.py) and the masking of errors in production (schema/production.py).

One, not one per concern, and its stages called directly (``Runner``): for every request Strawberry
makes each extension anew and, for each stage, looks up every extension's hook and wraps it in a
context manager, which cost more than the hooks themselves (docs/performance.md, fifth pass).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from schema.policy import Policy, RequestPolicy
from schema.production import ProductionErrors
from schema.query_cache import DocumentCache


class RequestExtension(ProductionErrors):
    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = RequestPolicy(policy)

    # The stages, as ``Runner`` calls them.

    def begin(self) -> None:
        self._stream_result_processed = False
        self.policy.begin(self.execution_context)

    def end(self, failed: bool) -> None:
        """When the operation is over (for a subscription, when it ends): its errors masked, unless it raised."""
        try:
            if not failed:
                self.mask()
        finally:
            self.policy.end()

    def mask(self) -> None:
        """What MaskErrors's ``on_operation`` does after its yield."""
        if self._stream_result_processed:  # each streamed result was masked on its way out
            return
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult):
            self._process_result(result)
        elif initial_result := getattr(result, "initial_result", None):
            self._process_result(initial_result)

    def parse(self) -> None:
        DocumentCache.parse(self.execution_context)

    def validate(self) -> None:
        DocumentCache.validate(self.execution_context)

    async def check(self) -> None:
        await self.policy.check()

    # The same stages as Strawberry's hooks, for its own runner (another extension beside this one).

    def on_operation(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        except BaseException:
            self.end(failed=True)
            raise
        self.end(failed=False)

    def on_parse(self) -> Iterator[None]:
        self.parse()
        yield

    def on_validate(self) -> Iterator[None]:
        self.validate()
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        await self.check()
        yield


class _Stage:
    """A stage of an operation, entered with ``async with`` (or ``with``) by Strawberry."""

    __slots__ = ("_enter", "_leave")

    def __init__(self, enter: Callable[[], Any], leave: Callable[[bool], None] | None = None) -> None:
        self._enter = enter
        self._leave = leave

    def __enter__(self) -> None:
        self._enter()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._leave is not None:
            self._leave(kind is not None)

    async def __aenter__(self) -> None:
        entered = self._enter()
        if entered is not None:
            await entered

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(kind, error, tb)


class Runner(SchemaExtensionsRunner):
    """Strawberry's runner for an operation whose one extension is ``RequestExtension``: its stages called
    directly. Streamed results (subscription events) and extension results go through Strawberry's own."""

    def __init__(self, execution_context: ExecutionContext, extension: RequestExtension) -> None:
        super().__init__(execution_context, [extension])
        self.extension = extension

    def operation(self) -> _Stage:  # type: ignore[override]
        return _Stage(self.extension.begin, self.extension.end)

    def parsing(self) -> _Stage:  # type: ignore[override]
        return _Stage(self.extension.parse)

    def validation(self) -> _Stage:  # type: ignore[override]
        return _Stage(self.extension.validate)

    def executing(self) -> _Stage:  # type: ignore[override]
        return _Stage(self.extension.check)


def runner(execution_context: ExecutionContext, extensions: list[SchemaExtension]) -> SchemaExtensionsRunner:
    """``Runner`` when the request's one extension is ours, else Strawberry's."""
    if len(extensions) == 1 and type(extensions[0]) is RequestExtension:
        return Runner(execution_context, extensions[0])
    return SchemaExtensionsRunner(execution_context, extensions)
