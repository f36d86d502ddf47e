"""Serials: a serial is a lot of a serial-tracked product, one unit that is never in two places.

Enforced in the posting core, so every path (receipts, counts, documents, returns) obeys it:

- every move of a serial product is of whole units, and one naming its serial is of exactly one;
- a serial enters stock from outside (a virtual location) only when it is in none: its lot row,
  locked FOR UPDATE before any quant, says where its last move went (``lot.location_id``), so two
  concurrent receipts of one serial give exactly one (``SERIAL_IN_STOCK`` for the other);
- a serial at a customer comes back only from the customer location: a return.

Each posting of a serial writes where it went. The lot rows of serials a posting names are locked
before its quants (lot, then quant order); one an issue picks without naming it is written after
its quants are locked, which a concurrent receipt of that very serial may meet as a deadlock,
which PostgreSQL breaks and ``server.commands.execute`` retries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.errors import DomainError, Field, Invalid, ManyErrors
from server.inventory.errors import SerialInStock
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.lookups import HOLDS_STOCK
from server.inventory.models import LocationKind

if TYPE_CHECKING:
    from server.inventory.posting import Entry

_CUSTOMER = VIRTUAL_LOCATIONS[LocationKind.CUSTOMER][0]


def _entering_stock(entry: Entry) -> bool:
    return entry.lot is not None and not entry.source.holds_stock and entry.target.holds_stock


async def refuse_impossible(conn: BaseDBAsyncClient, entries: list[Entry], *, at: list[Field]) -> None:
    """Check the serial entries of a posting before its quants are locked; ``at[i]`` places entry ``i``'s errors."""
    serial = [(index, entry) for index, entry in enumerate(entries) if entry.product.tracks_serials]
    if not serial:
        return
    problems: list[DomainError] = []
    for index, entry in serial:
        if entry.quantity != entry.quantity.to_integral_value() or (entry.lot is not None and entry.quantity != 1):
            problems.append(Invalid(
                f"{entry.product.sku} is tracked by serial: each serial is one unit, so "
                + ("move exactly 1." if entry.lot is not None else "move whole units."),
                field=_on(at[index], "quantity"),
            ))  # fmt: skip
    arriving = [(index, entry) for index, entry in serial if _entering_stock(entry)]
    # A serial this very posting takes out of its bin may arrive elsewhere (a count finds it in another bin).
    leaving = {(entry.lot.id, entry.source.code) for _, entry in serial
               if entry.lot is not None and entry.source.holds_stock and not entry.target.holds_stock}  # fmt: skip
    where = await _lock(conn, sorted({entry.lot.id for _, entry in arriving if entry.lot is not None}))
    seen: set[int] = set()
    for index, entry in arriving:
        assert entry.lot is not None
        location_code, kind = where.get(entry.lot.id, (None, None))
        field = _on(at[index], "lot")
        in_stock = kind in HOLDS_STOCK and (entry.lot.id, location_code) not in leaving  # in a bin, or on the road
        if in_stock or entry.lot.id in seen:
            problems.append(SerialInStock(
                f"The serial {entry.lot.code} of {entry.product.sku} is already in stock"
                + (f" in {location_code}." if entry.lot.id not in seen else " (named twice)."),
                field=field,
            ))  # fmt: skip
        elif location_code == _CUSTOMER and entry.source.code != _CUSTOMER:
            problems.append(Invalid(
                f"The serial {entry.lot.code} of {entry.product.sku} was sold to a customer: it comes back only"
                " through a return (goods in with the reason return).",
                field=field,
            ))  # fmt: skip
        seen.add(entry.lot.id)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ManyErrors(problems)


def _on(at: Field, name: str) -> Field:
    """``name`` inside the path ``at`` of a document line, or ``name`` itself for a single posting."""
    if isinstance(at, tuple):
        return (*at[:-1], name)
    return name


async def _lock(conn: BaseDBAsyncClient, lot_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """Lock these serials' lot rows, in id order; where each is: (location code, kind), or Nones."""
    if not lot_ids:
        return {}
    rows = await sql.fetch(
        conn,
        "SELECT id, (SELECT code FROM location WHERE location.id = lot.location_id) AS code,"
        " (SELECT kind FROM location WHERE location.id = lot.location_id) AS kind"
        f" FROM lot WHERE id IN ({sql.placeholders(1, len(lot_ids))}) ORDER BY id FOR UPDATE",
        *lot_ids,
    )
    return {int(row["id"]): (row["code"], row["kind"]) for row in rows}


async def record_whereabouts(conn: BaseDBAsyncClient, lot_id: int, location_id: int) -> None:
    """Where a serial's move took it: kept on its lot, read by the next receipt of it."""
    await sql.execute(conn, "UPDATE lot SET location_id = $1 WHERE id = $2", location_id, lot_id)
