"""Relay cursor connections over id-ordered results (keyset pagination, no OFFSET)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry import relay
from tortoise.queryset import QuerySet

from schema.nodes import id_from_text
from server.errors import Invalid
from server.paging import page_by_id
from server.text import shown

T = TypeVar("T")
_PREFIX = "cursor:"


def encode_cursor(item_id: int) -> str:
    return base64.b64encode(f"{_PREFIX}{item_id}".encode()).decode()


def decode_cursor(cursor: str, field: str) -> int:
    """The id in a cursor made by ``encode_cursor``; anything else (including ids no row can have) is Invalid."""
    try:
        raw = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    item_id = id_from_text(raw[len(_PREFIX) :]) if raw.startswith(_PREFIX) else None
    if item_id is None:
        raise Invalid(f"{shown(cursor)} is not a cursor from this API.", field=field)
    return item_id


@dataclass(frozen=True)
class Window:
    """What a connection's arguments ask for, checked and capped."""

    after_id: int | None
    before_id: int | None
    limit: int
    from_end: bool

    @classmethod
    def of(cls, *, first: int | None, after: str | None, last: int | None, before: str | None, max_size: int) -> Window:
        if first is not None and last is not None:
            raise Invalid("Give first or last, not both.", field="first")
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise Invalid(f"{name} must not be negative.", field=name)
        size = last if last is not None else first
        return cls(
            after_id=decode_cursor(after, "after") if after else None,
            before_id=decode_cursor(before, "before") if before else None,
            limit=min(size if size is not None else max_size, max_size),
            from_end=last is not None,
        )


def page_window(
    info: Any, first: int | None, after: str | None, last: int | None = None, before: str | None = None
) -> Window:
    """The window a connection field's arguments ask for, capped at the configured page size."""
    return Window.of(first=first, after=after, last=last, before=before, max_size=info.context.settings.max_page_size)


def connection(cls: type[Any], items: Sequence[Any], window: Window, to_node: Callable[[Any], Any]) -> Any:
    """Build ``cls`` (a ``relay.Connection`` subclass) from up to ``limit + 1`` fetched items."""
    has_more = len(items) > window.limit
    page = list(items[: window.limit])
    if window.from_end:
        page.reverse()
    edges = [relay.Edge(node=to_node(item), cursor=encode_cursor(item.id)) for item in page]
    return cls(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_more if not window.from_end else window.before_id is not None,
            has_previous_page=has_more if window.from_end else window.after_id is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def paginate_queryset(
    cls: type[Any], queryset: QuerySet[Any], window: Window, to_node: Callable[[Any], Any]
) -> Any:
    """A connection over a service's query, one page of it read by ``server.paging``."""
    rows = await page_by_id(
        queryset, after_id=window.after_id, before_id=window.before_id, limit=window.limit + 1,
        from_end=window.from_end,
    )  # fmt: skip
    return connection(cls, rows, window, to_node)


async def paginate_with(
    cls: type[Any],
    fetch: Callable[[int | None, int], Awaitable[Sequence[Any]]],
    window: Window,
    to_node: Callable[[Any], Any],
) -> Any:
    """For services that page forward by id themselves: ``fetch(after_id, limit)``."""
    if window.from_end or window.before_id is not None:
        raise Invalid("This list pages forward only: use first and after.", field="last")
    return connection(cls, await fetch(window.after_id, window.limit + 1), window, to_node)
