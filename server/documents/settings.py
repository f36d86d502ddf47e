"""A store's document settings: how each type is numbered and above what amount confirming needs approval."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server import sql
from server.commands import Audited, Command, Effect, Write, execute
from server.documents import numbering
from server.documents.kinds import kind_of
from server.documents.models import ApprovalRule, NumberSeries
from server.numbers import AMOUNT
from server.partners.service import require_store


@dataclass(frozen=True)
class SetNumberSeries(Command):
    operation = "document.series.set"
    store: str
    type: str
    pattern: str
    gapless: bool


@dataclass(frozen=True)
class SetApprovalRule(Command):
    operation = "document.approval_rule.set"
    store: str
    type: str
    threshold: Decimal | None


async def set_number_series(
    store_code: str, document_type: str, pattern: str, gapless: bool, *, actor_id: int | None
) -> numbering.Series:
    """Set how a store numbers a type; numbers already given stay, the counter goes on from where it is."""
    kind = kind_of(document_type)
    pattern = numbering.check_pattern(pattern)
    command = SetNumberSeries(store_code, kind.type, pattern, bool(gapless))

    async def run(write: Write) -> numbering.Series:
        store = await require_store(write.conn, store_code, field="store")
        series = await numbering.series_for(write.conn, store.id, kind.type, pattern)
        await NumberSeries.filter(id=series.id).using_db(write.conn).update(pattern=pattern, gapless=bool(gapless))
        return numbering.Series(series.id, pattern, bool(gapless))

    return (await execute(command, Effect(run, lambda s: Audited("number_series", s.id)), actor_id=actor_id)).result


async def set_approval_rule(
    store_code: str, document_type: str, threshold: object | None, *, actor_id: int | None
) -> Decimal | None:
    kind = kind_of(document_type)
    amount = AMOUNT.parse(threshold, field="threshold") if threshold is not None else None
    command = SetApprovalRule(store_code, kind.type, amount)

    async def run(write: Write) -> Decimal | None:
        store = await require_store(write.conn, store_code, field="store")
        # Delete-then-insert of a rule that may not exist yet: two at once would both insert.
        await sql.lock_name(write.conn, f"approval_rule:{store.id}:{kind.type}")
        await ApprovalRule.filter(store_id=store.id, document_type=kind.type).using_db(write.conn).delete()
        if amount is not None:
            await ApprovalRule.create(store_id=store.id, document_type=kind.type, threshold=amount, using_db=write.conn)
        return amount

    effect = Effect(run, lambda _: Audited("approval_rule", f"{store_code}/{kind.type}"))
    return (await execute(command, effect, actor_id=actor_id)).result
