"""The count's document type, and reading a count's header in a write (held against its approval)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.documents.kinds import CANCELLED, DONE, DocumentKind, IllegalTransition, Transition, register
from server.errors import NotFound
from server.inventory import quantities

COUNT = "stock.count"
COUNTING = "counting"
APPROVE, CANCEL = "approve", "cancel"

KIND = register(
    DocumentKind(
        type=COUNT,
        title="Stock count",
        prefix="CNT",
        initial=COUNTING,
        transitions=(
            Transition(APPROVE, frozenset({COUNTING}), DONE),
            Transition(CANCEL, frozenset({COUNTING}), CANCELLED),
        ),
        editable=frozenset(),  # what a count holds changes by counting, never by editing its document
        own_actions=frozenset({APPROVE, CANCEL}),  # approving books the count, cancelling frees its bins
    )
)


@dataclass(frozen=True)
class CountHeader:
    id: int
    state: str
    warehouse_id: int
    blind: bool
    recount_units: Decimal | None
    recount_value: Decimal | None
    warehouse_code: str = ""
    scope: str = ""
    number: str | None = None  # given when it is approved (a gapless series)


async def open_count(conn: BaseDBAsyncClient, count_id: int) -> CountHeader:
    """The count, its document row held FOR SHARE: counting goes on side by side, and an approval (which
    locks it FOR UPDATE) waits for the scans in flight and is waited for by the next ones."""
    row = await sql.fetch_one(conn, "SELECT state FROM document WHERE id = $1 AND type = $2 FOR SHARE", count_id, COUNT)
    if row is None:
        raise NotFound("There is no such count.", field="countId")
    header = await read_header(conn, count_id, row["state"])
    if header.state != COUNTING:
        raise IllegalTransition(f"The count is {header.state}: it takes no more counting.", field="countId")
    return header


async def read_header(conn: BaseDBAsyncClient, count_id: int, state: str) -> CountHeader:
    row = await sql.fetch_one(
        conn,
        "SELECT c.warehouse_id, c.blind, c.recount_units, c.recount_value, c.scope, w.code AS warehouse_code,"
        " d.number FROM stock_count c JOIN warehouse w ON w.id = c.warehouse_id JOIN document d ON d.id = c.id"
        " WHERE c.id = $1",
        count_id,
    )
    assert row is not None, "every stock.count document has its stock_count row"
    units, value = row["recount_units"], row["recount_value"]
    return CountHeader(
        id=count_id, state=state, warehouse_id=int(row["warehouse_id"]), blind=bool(row["blind"]),
        recount_units=None if units is None else quantities.from_db(units),
        recount_value=None if value is None else Decimal(str(value)), warehouse_code=row["warehouse_code"],
        scope=row["scope"], number=row["number"],
    )  # fmt: skip
