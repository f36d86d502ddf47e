"""A draft document of the warehouse found by the number a worker scanned (a pick list, a shipment), when the
screen's first read did not bring it: the server's number filter finds parts of numbers, so the whole number
is matched here, and the document is read by ``read`` and kept only if it is still a draft of this warehouse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handheld.logic.resolution import Link

DRAFTS_BY_NUMBER = """
query DraftsByNumber($type: String!, $number: String!) {
  documents(filter: {type: $type, state: "draft", number: $number}, first: 10) { edges { node { id number } } }
}
"""


def find_draft(
    link: Link, document_type: str, number: str, warehouse: str, read: Callable[[str], dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The draft ``document_type`` of ``warehouse`` numbered ``number`` as ``read`` (its id) reads it; None: none."""
    found = link.execute(DRAFTS_BY_NUMBER, {"type": document_type, "number": number}).get("documents") or {}
    for edge in found.get("edges") or []:
        node = edge.get("node") or {}
        if str(node.get("number") or "").upper() != number.upper():
            continue  # the server finds a part of the number
        raw = read(node["id"])
        if raw and raw.get("state") == "draft" and str(raw.get("warehouse") or "").upper() == warehouse.upper():
            return raw
    return None
