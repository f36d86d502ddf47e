"""Fetching Relay nodes by global id, behind the permission that lists of the same type need."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from strawberry import relay
from strawberry.relay.types import GlobalIDValueError

from server.auth.permissions import Permission
from server.errors import Forbidden, Invalid
from server.paging import MAX_ID
from server.text import shown

# Ids are positive BIGINTs, in ASCII digits: no sign, spaces, underscores or other scripts' digits.
_ID = re.compile(r"[1-9][0-9]{0,18}")


def id_from_text(digits: str) -> int | None:
    """The row id ``digits`` spells, or None when no row can have it."""
    return int(digits) if _ID.fullmatch(digits) and int(digits) <= MAX_ID else None


async def resolve_global_id(info: Any, raw: str) -> Any:
    """The node a Relay global id names, or None; an id that names no type of ours is INVALID."""
    try:
        global_id = relay.GlobalID.from_id(raw)
        fetchable = issubclass(global_id.resolve_type(info), Fetchable)  # not the Node interface itself
    except GlobalIDValueError:
        fetchable = False
    if not fetchable:
        raise Invalid(f"{shown(raw)} is not the id of anything here.", field="id")
    return await global_id.resolve_node(info)


def parse_node_id(raw: str) -> int:
    value = id_from_text(raw) if isinstance(raw, str) else None
    if value is None:
        raise Invalid(f"{shown(str(raw))} is not the id of anything here.", field="id")
    return value


class Fetchable:
    """Mixin for a ``relay.Node`` type: set ``view_permission``, implement ``fetch``."""

    view_permission: ClassVar[Permission]
    # The largest id the table's key holds (INT unless the model says BIGINT): a larger one is
    # simply not there, and PostgreSQL would refuse it as a parameter.
    max_id: ClassVar[int] = 2**31 - 1

    @classmethod
    async def fetch(cls, info: Any, ids: list[int]) -> dict[int, Any]:
        """The nodes with these ids that exist, as GraphQL objects by id."""
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(cls, *, info: Any, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = [parse_node_id(raw) for raw in node_ids]
        principal = info.context.principal
        if principal is None or not principal.can(cls.view_permission):
            raise Forbidden(f"You need the {cls.view_permission.value} permission.")
        found = await cls.fetch(info, [i for i in ids if i <= cls.max_id])
        return [found.get(i) for i in ids]
