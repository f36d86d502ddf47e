"""Stock counts over GraphQL (server/inventory/counts): planned, counted from many handhelds, approved.

A count is a document (its id is a Document's global id). A blind count never tells a counter what is
expected: `expected`, `difference` and `value` are null unless the caller holds counts.manage (and
`value` costs.view too).
"""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.context import Info
from schema.documents.types import document_id
from schema.errors import UserError
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from schema.scanning.types import ScanInput
from server import sql
from server.auth.permissions import Permission
from server.db import connection
from server.errors import MAX_ERRORS, DomainError
from server.inventory.counts import approval, counting, lines, plans, reads
from server.inventory.counts.counting import CountedLine
from server.inventory.counts.header import CountHeader
from server.inventory.counts.lines import Difference
from server.inventory.models import LOCATION_CODE

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."
_COUNT_ID = "The count's id (a Document's)."


@strawberry.enum(description="Which bins a count covers.")
class CountScope(Enum):
    WAREHOUSE = plans.Scope.WAREHOUSE.value
    ZONE = plans.Scope.ZONE.value
    ABC = plans.Scope.ABC.value
    STALE_BINS = plans.Scope.STALE_BINS.value


@strawberry.enum(description="How a scan's quantity changes what you counted of a line.")
class CountMode(Enum):
    ADD = counting.Mode.ADD.value
    SET = counting.Mode.SET.value


@strawberry.input
class PlanCountInput:
    store_code: str
    warehouse_code: str
    scope: CountScope
    zone_code: str | None = strawberry.field(default=None, description="ZONE: the zone; others: within it.")
    abc_classes: list[str] | None = strawberry.field(default=None, description="ABC: the classes to count (A, B, C).")
    abc_window_days: int = strawberry.field(default=90, description="ABC: the days of moves that rank products.")
    not_counted_days: int | None = strawberry.field(
        default=None, description="STALE_BINS: only bins not counted for that many days (null: the oldest first)."
    )
    max_bins: int | None = strawberry.field(default=None, description="At most this many bins (cycle counts).")
    blind: bool = strawberry.field(default=True, description="Counters are never told what is expected.")
    recount_units: Decimal | None = strawberry.field(
        default=None, description="A difference of more units asks for a recount by another user."
    )
    recount_value: Decimal | None = strawberry.field(
        default=None, description="A difference worth more (company currency) asks for a recount by another user."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class RecordCountInput:
    count_id: strawberry.ID = strawberry.field(description=_COUNT_ID)
    location_code: str
    sku: str
    quantity: Decimal = strawberry.field(description="In the product's base unit; SET may say 0.")
    lot: str | None = None
    package_sscc: str | None = strawberry.field(default=None, description="Stock inside this package.")
    mode: CountMode = CountMode.ADD
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    scan: ScanInput | None = strawberry.field(
        default=None, description="The scan that caused it: its code is kept in the audit entry and the scan log."
    )


@strawberry.input
class FinishCountBinInput:
    count_id: strawberry.ID = strawberry.field(description=_COUNT_ID)
    location_code: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class RecountInput:
    count_id: strawberry.ID = strawberry.field(description=_COUNT_ID)
    location_code: str
    sku: str
    counted_quantity: Decimal
    lot: str | None = None
    package_sscc: str | None = None
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input
class CountActionInput:
    id: strawberry.ID = strawberry.field(description=_COUNT_ID)
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


def _manages(info: Info) -> bool:
    principal = info.context.principal
    return principal is not None and principal.can(Permission.COUNTS_MANAGE)


def _sees_expected(info: Info, header: CountHeader) -> bool:
    return not header.blind or _manages(info)


def _sees_value(info: Info, header: CountHeader) -> bool:
    principal = info.context.principal
    return _sees_expected(info, header) and principal is not None and principal.can(Permission.COSTS_VIEW)


@strawberry.type(description="One (bin, product, lot, package) of a count, in the product's base unit.")
class CountLine:
    line_id: int = strawberry.field(description="Its place in the count's order: `afterLine` pages on from it.")
    location_code: str
    sku: str
    lot: str | None
    package_sscc: str | None
    counted: Decimal | None = strawberry.field(
        description="Every counter's count summed; null: not scanned yet (or a recount's, to its recounter)."
    )
    recount_needed: bool | None = strawberry.field(description="Null to a counter of a blind count who counted it.")
    recounted: Decimal | None
    expected: Decimal | None = strawberry.field(
        description="On hand when the bin was started; null to a counter of a blind count."
    )
    difference: Decimal | None = strawberry.field(description="What approval books: counted (or recounted) - expected.")
    value: Decimal | None = strawberry.field(description="The difference at the product's unit cost (costs.view).")

    @classmethod
    def of(cls, line: Difference, *, expected: bool, value: bool) -> CountLine:
        if not expected:  # a counter of a blind count: what is theirs to act on (server/inventory/counts/lines.py)
            counter = line.counted_by_viewer  # else a recounter: told what to recount, not what was counted
            return cls(
                line_id=line.line_id, location_code=line.location_code, sku=line.sku, lot=line.lot,
                package_sscc=line.package_sscc, counted=line.counted if counter else None,  # type: ignore[arg-type]
                recount_needed=None if counter else line.recount_needed,
                recounted=None if counter else line.recounted,  # type: ignore[arg-type]
                expected=None, difference=None, value=None,
            )  # fmt: skip
        return cls(
            line_id=line.line_id, location_code=line.location_code, sku=line.sku, lot=line.lot,
            package_sscc=line.package_sscc,
            counted=line.counted, recount_needed=line.recount_needed, recounted=line.recounted,  # type: ignore[arg-type]
            expected=line.expected if expected else None,  # type: ignore[arg-type]
            difference=line.difference if expected else None,  # type: ignore[arg-type]
            value=line.value if value else None,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type(description="A line as a counter's scan leaves it.")
class CountedLineResult:
    location_code: str
    sku: str
    lot: str | None
    package_sscc: str | None
    my_count: Decimal = strawberry.field(description="What you counted of it.")
    counted: Decimal | None = strawberry.field(
        description="Every counter's count summed; null to a recounter of a blind count (the recount is blind too)."
    )
    recount_needed: bool
    recounted: Decimal | None

    @classmethod
    def of(cls, line: CountedLine, *, shows_counted: bool = True) -> CountedLineResult:
        return cls(
            location_code=line.location_code, sku=line.sku, lot=line.lot, package_sscc=line.package_sscc,
            my_count=line.my_tally, counted=line.counted if shows_counted else None,  # type: ignore[arg-type]
            recount_needed=line.recount_needed, recounted=line.recounted,  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type(description="A bin of a count: started by its first scan, finished explicitly.")
class CountBin:
    location_code: str
    started: bool
    finished: bool


@strawberry.type(description="A stock count: its progress, its lines, and what stops its approval.")
class StockCount:
    id: strawberry.ID = strawberry.field(description="Its Document's global id.")
    number: str | None = strawberry.field(description="Given when it is approved.")
    state: str
    warehouse_code: str
    scope: CountScope
    blind: bool
    bins: int
    bins_started: int
    bins_finished: int
    recounts_needed: int | None = strawberry.field(description="Null to a counter of a blind count.")
    recounts_done: int | None = strawberry.field(description="Null to a counter of a blind count.")
    header: strawberry.Private[CountHeader]

    @strawberry.field(
        description="Its lines in order: the first `first` (null: the server's page size) after the line"
        " `afterLine`, of one bin or all, only those that differ, or only those awaiting a recount, if asked"
        " (to a counter of a blind count: those of bins they did not count, which they may recount)."
    )
    async def lines(
        self,
        info: Info,
        first: int | None = None,
        after_line: int = 0,
        location_code: str | None = None,
        differences_only: bool = False,
        awaiting_recount: bool = False,
    ) -> list[CountLine]:
        size = page_window(info, first, None).limit
        if differences_only and not _sees_expected(info, self.header):
            return []  # a counter of a blind count learns nothing of the books, not even which lines differ
        location_id = await _location_id(location_code) if location_code is not None else None
        if location_code is not None and location_id is None:
            return []
        sees, worth = _sees_expected(info, self.header), _sees_value(info, self.header)
        found = await lines.lines_of(
            connection(), self.header, location_id=location_id, after_id=max(after_line, 0), limit=size,
            differences_only=differences_only, awaiting_recount=awaiting_recount,
            visible_to=None if sees else info.context.user_id,
        )  # fmt: skip
        return [CountLine.of(line, expected=sees, value=worth) for line in found]

    @strawberry.field(
        description="Its bins in code order: the first `first` (null: the server's page size) after the bin"
        " `afterCode`, the unfinished ones only if asked."
    )
    async def bin_list(
        self, info: Info, first: int | None = None, after_code: str | None = None, unfinished_only: bool = False
    ) -> list[CountBin]:
        size = page_window(info, first, None).limit
        found = await reads.bins_of(self.header.id, after_code=after_code, limit=size, unfinished_only=unfinished_only)
        return [CountBin(location_code=b.location_code, started=b.started_at is not None,
                         finished=b.finished_at is not None) for b in found]  # fmt: skip

    @strawberry.field(
        permission_classes=[require(Permission.COUNTS_MANAGE)],
        description="What stops the approval now, every problem (up to the errors a call reports).",
    )
    async def problems(self) -> list[UserError]:
        conn = connection()
        found = await approval.problems(conn, self.header, await lines.lines_of(conn, self.header))
        return [UserError.from_domain(problem) for problem in found[:MAX_ERRORS]]


async def _location_id(code: str) -> int | None:

    key = LOCATION_CODE.key(code)
    row = await sql.fetch_one(connection(), "SELECT id FROM location WHERE code = $1", key) if key else None
    return None if row is None else int(row["id"])


async def _count(count_id: int, info: Info) -> StockCount | None:
    header = await reads.header_of(count_id)
    if header is None:
        return None
    done = await reads.progress(connection(), count_id)
    return StockCount(
        id=strawberry.relay.to_base64("Document", count_id), number=header.number, state=header.state,  # type: ignore[arg-type]
        warehouse_code=header.warehouse_code, scope=CountScope(header.scope), blind=header.blind,
        bins=done.bins, bins_started=done.started, bins_finished=done.finished,
        recounts_needed=done.recounts_needed if _sees_expected(info, header) else None,
        recounts_done=done.recounts_done if _sees_expected(info, header) else None, header=header,
    )  # fmt: skip


@strawberry.type
class StockCountPayload(Payload):
    count: StockCount | None = None


@strawberry.type
class CountLinePayload(Payload):
    line: CountedLineResult | None = None


@strawberry.type
class CountBinPayload(Payload):
    location_code: str | None = None
    lines: int | None = strawberry.field(default=None, description="Lines the bin holds (scanned or expected).")
    recounts_needed: int | None = None


async def _shown(document: object, info: Info) -> StockCountPayload:
    return StockCountPayload(count=await _count(document.id, info))  # type: ignore[attr-defined]


@strawberry.type
class CountsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.STOCK_COUNT)],
        description="A stock count by its id; null for another document or none.",
    )
    async def stock_count(self, info: Info, id: strawberry.ID) -> StockCount | None:
        try:
            count_id = document_id(id)
        except DomainError:  # not a document's id: no such count
            return None
        return await _count(count_id, info)

    @strawberry.field(
        permission_classes=[require(Permission.STOCK_COUNT)],
        description="The counts still being counted, newest first (of one warehouse, or all): what a handheld"
        " offers its counter. The first `first` (null: the server's page size).",
    )
    async def open_counts(
        self, info: Info, warehouse_code: str | None = None, first: int | None = None
    ) -> list[StockCount]:
        size = page_window(info, first, None).limit
        found = [await _count(count_id, info) for count_id in await reads.open_counts(warehouse_code=warehouse_code,
                                                                                 limit=size)]  # fmt: skip
        return [count for count in found if count is not None]


@strawberry.type
class CountsMutation:
    @mutation(Permission.COUNTS_MANAGE, description="Plan a count: its bins are claimed, counting may start.")
    async def plan_count(self, info: Info, input: PlanCountInput) -> StockCountPayload:
        return await answer(
            StockCountPayload,
            lambda: plans.plan_count(
                plans.checked(
                    input.store_code, input.warehouse_code, input.scope.value, zone_code=input.zone_code,
                    abc_classes=input.abc_classes, abc_window_days=input.abc_window_days,
                    not_counted_days=input.not_counted_days, max_bins=input.max_bins, blind=input.blind,
                    recount_units=input.recount_units, recount_value=input.recount_value,
                ),
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            lambda document: _shown(document, info),
        )  # fmt: skip

    @mutation(Permission.STOCK_COUNT, description="A counter's scan: adds to (or sets) what they counted of a line.")
    async def record_count(self, info: Info, input: RecordCountInput) -> CountLinePayload:
        async def record() -> CountedLine:
            scan = input.scan.info() if input.scan else None
            command = counting.record_command(
                document_id(input.count_id, "countId"),
                counting.line_key(input.location_code, input.sku, input.lot, input.package_sscc),
                input.quantity, input.mode.value, scan,
            )  # fmt: skip
            actor_id: int = info.context.user_id  # type: ignore[assignment]
            return await counting.record(command, actor_id=actor_id, idempotency_key=input.idempotency_key, scan=scan)

        return await answer(CountLinePayload, record, lambda line: CountLinePayload(line=CountedLineResult.of(line)))

    @mutation(Permission.STOCK_COUNT, description="Finish a bin: what was not scanned counts as 0.")
    async def finish_count_bin(self, info: Info, input: FinishCountBinInput) -> CountBinPayload:
        return await answer(
            CountBinPayload,
            lambda: counting.finish_bin(
                document_id(input.count_id, "countId"), input.location_code,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,  # type: ignore[arg-type]
            ),
            lambda done: CountBinPayload(  # how many differ would tell a blind count's counter what matched
                location_code=done.location_code, lines=done.lines,
                recounts_needed=done.recounts_needed if not done.blind or _manages(info) else None,
            ),
        )  # fmt: skip

    @mutation(
        Permission.STOCK_COUNT, description="Recount a line that asked for it: by someone who did not count the bin."
    )
    async def recount_stock(self, info: Info, input: RecountInput) -> CountLinePayload:
        return await answer(
            CountLinePayload,
            lambda: counting.recount(
                counting.recount_command(
                    document_id(input.count_id, "countId"),
                    counting.line_key(input.location_code, input.sku, input.lot, input.package_sscc),
                    input.counted_quantity,
                ),
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,  # type: ignore[arg-type]
            ),
            lambda line: CountLinePayload(
                line=CountedLineResult.of(line, shows_counted=not line.blind or _manages(info))
            ),
        )  # fmt: skip

    @mutation(
        Permission.COUNTS_MANAGE,
        description="Count a bin again from the start: what was counted there is dropped, its next scan starts it.",
    )
    async def reopen_count_bin(self, info: Info, input: FinishCountBinInput) -> CountBinPayload:
        return await answer(
            CountBinPayload,
            lambda: counting.reopen_bin(
                document_id(input.count_id, "countId"), input.location_code,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,  # type: ignore[arg-type]
            ),
            lambda code: CountBinPayload(location_code=code, lines=0, recounts_needed=0),
        )  # fmt: skip

    @mutation(Permission.COUNTS_MANAGE, description="Approve a count: every difference booked in one posting.")
    async def approve_count(self, info: Info, input: CountActionInput) -> StockCountPayload:
        return await answer(
            StockCountPayload,
            lambda: approval.approve(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                     idempotency_key=input.idempotency_key),
            lambda document: _shown(document, info),
        )  # fmt: skip

    @mutation(Permission.COUNTS_MANAGE, description="Cancel a count: nothing is booked, its bins are free.")
    async def cancel_count(self, info: Info, input: CountActionInput) -> StockCountPayload:
        return await answer(
            StockCountPayload,
            lambda: approval.cancel(document_id(input.id), version=input.version, actor_id=info.context.user_id,
                                    idempotency_key=input.idempotency_key),
            lambda document: _shown(document, info),
        )  # fmt: skip
