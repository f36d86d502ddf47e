"""Jobs travel as msgpack, never pickle: whoever can write to Redis must not be able to run code."""

from __future__ import annotations

from typing import Any

import msgpack


def serialize(value: dict[str, Any]) -> bytes:
    return msgpack.packb(value, datetime=True)


def deserialize(data: bytes) -> dict[str, Any]:
    return msgpack.unpackb(data, timestamp=3)
