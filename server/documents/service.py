"""The document kernel's writes: create, edit (with a version), act (one transition), reverse.

Every write is a command (``server.commands``): one transaction with its audit entry and, when
it takes one, its idempotency record; subscribers hear of it after the commit.

``act`` is the one way a document changes state. It locks the document row, refuses a stale
version (``STALE``) and an action its type does not allow from its state (``ILLEGAL_TRANSITION``);
confirming fixes the exchange rate of the document's date and checks the store's approval rule;
posting runs the type's poster (booking stock, say) and takes the number of a gapless series as
the last statement, so the counter row is held only for the commit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from server import events, sql
from server.catalog.models import Product
from server.clock import now, today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents import numbering
from server.documents.errors import ApprovalRequired, Stale
from server.documents.kinds import DONE, DocumentKind, IllegalTransition, Poster, kind_of
from server.documents.lines import MAX_LINES, CheckedLine, LineInput, check_lines, price_lines, rows_for
from server.documents.models import ApprovalRule, Document, DocumentLine, DocumentLineLink
from server.errors import Invalid, NotFound
from server.inventory.models import Location
from server.money.service import company_currency, currency_places, rate_on, require_currency
from server.partners.models import STORE_CODE, Party, Store
from server.partners.service import require_party, require_store
from server.text import Opaque, Text, shown

NOTES = Text("notes", 10_000, multiline=True)
MARK = Text("mark", 32)
MAX_MARKS = 20
MAX_DELIVERIES_SHOWN = 20
ACTION = Opaque("action", 32)
DOCUMENT_TYPE = Opaque("type", 32)
STATE = Opaque("state", 32)
NUMBER_PART = Opaque("number", 64)

Rows = tuple[dict[str, Product], dict[str, Location]]  # a document's products by SKU and locations by code


@dataclass(frozen=True)
class Header:
    """The header of a document as a caller sends it; None leaves a field as it is on update."""

    party: str | None = None
    business_date: date | None = None
    currency: str | None = None
    prices_include_tax: bool | None = None
    reason: str | None = None
    notes: str | None = None
    marks: list[str] | None = None


def _remembered(lines: tuple[CheckedLine, ...]) -> list[dict[str, Any]]:
    """Lines as a request remembers them: one that goes nowhere else (no ``to_location``) keeps the
    form it had before transfers, so the keys stored then still replay."""
    return [{k: v for k, v in dataclasses.asdict(line).items() if k != "to_location" or v is not None}
            for line in lines]  # fmt: skip


@dataclass(frozen=True)
class CreateDocument(Command):
    operation = "document.create"
    type: str
    store: str
    header: dict[str, Any]
    lines: tuple[CheckedLine, ...]

    def request(self) -> dict[str, Any]:
        return {**super().request(), "lines": _remembered(self.lines)}


@dataclass(frozen=True)
class UpdateDocument(Command):
    operation = "document.update"
    document_id: int
    version: int
    header: dict[str, Any]
    lines: tuple[CheckedLine, ...] | None

    def request(self) -> dict[str, Any]:
        return {**super().request(), "lines": _remembered(self.lines) if self.lines is not None else None}


@dataclass(frozen=True)
class ActOnDocument(Command):
    operation = "document.act"
    document_id: int
    action: str
    version: int | None


@dataclass(frozen=True)
class ReverseDocument(Command):
    operation = "document.reverse"
    document_id: int


@dataclass
class _Header:
    """The checked header fields given, by column."""

    values: dict[str, Any] = field(default_factory=dict)
    party: Party | None = None


async def _check_header(conn: BaseDBAsyncClient, kind: DocumentKind, header: Header) -> _Header:
    checked = _Header()
    if header.party is not None:
        if header.party.strip():
            checked.party = await require_party(conn, header.party, field="party", role=kind.party_role)
        checked.values["party_id"] = checked.party.id if checked.party else None
    if header.business_date is not None:
        checked.values["business_date"] = header.business_date
    if header.currency is not None:
        currency = await require_currency(header.currency, field="currency")
        checked.values["currency"] = currency.code
    if header.prices_include_tax is not None:
        checked.values["prices_include_tax"] = bool(header.prices_include_tax)
    if header.reason is not None:
        if header.reason not in kind.reasons:
            allowed = ", ".join(kind.reasons) or "none"
            raise Invalid(f"The reasons of a {kind.title.lower()} are {allowed}.", field="reason")
        checked.values["reason"] = header.reason
    if header.notes is not None:
        checked.values["notes"] = NOTES.optional(header.notes, "notes") or ""
    if header.marks is not None:
        if len(header.marks) > MAX_MARKS:
            raise Invalid(f"A document has at most {MAX_MARKS} marks.", field="marks")
        marks = [MARK.clean(mark, ("marks", i)) for i, mark in enumerate(header.marks)]
        checked.values["marks"] = sorted(set(marks), key=marks.index)
    return checked


def _request_header(checked: _Header) -> dict[str, Any]:
    return {k: v for k, v in checked.values.items() if k != "party_id"} | (
        {"party": checked.party.code if checked.party else None} if "party_id" in checked.values else {}
    )


async def _write_lines(conn: BaseDBAsyncClient, document: Document, lines: list[CheckedLine], party: Party | None,
                       store: Store, *, new: bool = False, rows: Rows | None = None) -> None:  # fmt: skip
    """Replace the document's lines with ``lines`` (``new``: it has none yet), priced and taxed, and total it;
    ``rows``: their products and locations as the same transaction's ``check_lines`` read them."""
    products, locations = rows or await rows_for(
        conn, {line.sku for line in lines}, {c for line in lines for c in (line.location, line.to_location) if c}
    )
    priced, totals = await price_lines(
        lines, products, locations, party=party, currency=document.currency, on=document.business_date,
        prices_include_tax=document.prices_include_tax, rounding=str(store.tax_rounding),
        places=await currency_places(document.currency), purchase=kind_of(document.type).purchase,
    )  # fmt: skip
    if not new:
        await DocumentLine.filter(document_id=document.id).using_db(conn).delete()
    await DocumentLine.bulk_create(
        [
            DocumentLine(
                document_id=document.id, position=i + 1, product_id=p.product_id, quantity=p.checked.quantity,
                unit=p.checked.unit, base_quantity=p.checked.base_quantity, price=p.price,
                discount_percent=p.checked.discount_percent, tax_code=p.tax_code, tax_rate=p.tax_percent,
                net=p.net, tax=p.tax, gross=p.gross, location_id=p.location_id, lot_code=p.checked.lot,
                expires_on=p.checked.expires_on, notes=p.checked.notes, best_before_on=p.checked.best_before_on,
                removal_on=p.checked.removal_on, alert_on=p.checked.alert_on,
                to_location_id=locations[p.checked.to_location].id if p.checked.to_location else None,
            )
            for i, p in enumerate(priced)
        ],
        using_db=conn,
    )  # fmt: skip
    document.net, document.tax, document.gross = totals.net, totals.tax, totals.gross


def _document_write(command: Command, run: Any, actor_id: int | None, key: str | None) -> Any:
    async def recall(stored: dict[str, Any]) -> Document:
        return await Document.get(id=stored["document_id"])

    def audited(document: Document) -> Audited:
        return Audited("document", document.id, {**command.request(), "state": document.state,
                                                 "number": document.number})  # fmt: skip

    async def effect(write: Write) -> Document:
        document: Document = await run(write)
        write.after_commit(lambda: events.publish_document_changed(document.id, document.state, document.version))
        return document

    return execute(command, Effect(effect, audited, lambda d: {"document_id": d.id}, recall), actor_id=actor_id,
                   idempotency_key=key)  # fmt: skip


async def create_document(
    document_type: str,
    store_code: str,
    header: Header,
    lines: list[LineInput],
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:
    """A new document in its type's first state, its lines priced and totalled."""
    kind = kind_of(document_type)
    if kind.made_by is not None:
        raise Invalid(f"A {kind.title.lower()} is made with {kind.made_by}.", field="type")
    conn = connection()
    store = await require_store(conn, store_code, field="store")
    checked_header = await _check_header(conn, kind, header)
    if kind.party_required and checked_header.party is None:
        raise Invalid(f"A {kind.title.lower()} needs a party.", field="party")
    checked_lines, _, _ = await check_lines(conn, kind, lines)
    values = {"currency": store.currency, "business_date": today(), "reason": kind.reasons[0] if kind.reasons else None,
              **checked_header.values}  # fmt: skip
    command = CreateDocument(kind.type, store.code, _request_header(checked_header), tuple(checked_lines))

    async def run(write: Write) -> Document:
        return await _new_document(write, kind, store, values, checked_lines, checked_header.party)

    done = await _document_write(command, run, actor_id, idempotency_key)
    return done.result  # type: ignore[no-any-return]


async def _new_document(
    write: Write, kind: DocumentKind, store: Store, values: dict[str, Any], lines: list[CheckedLine],
    party: Party | None, rows: Rows | None = None,
) -> Document:  # fmt: skip
    document = Document(type=kind.type, state=kind.initial, store_id=store.id, created_by_id=write.actor_id,
                        updated_by_id=write.actor_id, **values)  # fmt: skip
    await document.save(using_db=write.conn)
    await _write_lines(write.conn, document, lines, party, store, new=True, rows=rows)
    series = await numbering.series_for(
        write.conn, store.id, kind.type, _default_pattern(kind), gapless=not kind.numbered_when_made
    )
    if not series.gapless:  # a series that may have gaps numbers a document when it is made
        document.number = await numbering.take_number(
            write.conn, series, store=store.code, document_type=kind.type, on=document.business_date
        )
    await document.save(using_db=write.conn)
    return document


async def create_within(
    write: Write, document_type: str, store_id: int, lines: list[LineInput], *, reason: str | None = None,
    notes: str | None = None, header: Header | None = None,
) -> Document:  # fmt: skip
    """A new document written by an area's own command, in its transaction (a job that keeps its proposals
    under a lock of its own, an order with a table of its own), its header and lines checked as
    ``create_document`` checks them (``reason`` and ``notes`` win over the header's)."""
    kind = kind_of(document_type)
    store = await Store.get(id=store_id, using_db=write.conn)
    given = header or Header()
    if reason is not None or notes is not None:
        given = dataclasses.replace(given, reason=reason or given.reason, notes=notes or given.notes)
    checked_header = await _check_header(write.conn, kind, given)
    if kind.party_required and checked_header.party is None:
        raise Invalid(f"A {kind.title.lower()} needs a party.", field="party")
    checked_lines, products, locations = await check_lines(write.conn, kind, lines)
    values = {"currency": store.currency, "business_date": today(), "reason": kind.reasons[0] if kind.reasons else None,
              **checked_header.values}  # fmt: skip
    document = await _new_document(write, kind, store, values, checked_lines, checked_header.party,
                                   rows=(products, locations))  # fmt: skip
    write.after_commit(lambda: events.publish_document_changed(document.id, document.state, document.version))
    return document


async def rewrite_within(write: Write, document_id: int, version: int, lines: list[LineInput], *,
                         notes: str | None = None) -> Document:  # fmt: skip
    """Replace the lines (and notes) of a document an area's own command wrote, at ``version`` (else STALE),
    while its state lets it be edited; in that command's transaction."""
    document = await _locked(write.conn, document_id, version)
    kind = kind_of(document.type)
    if document.state not in kind.editable:
        raise IllegalTransition(f"A {document.state} document cannot be edited.", field="id")
    checked_lines, _, _ = await check_lines(write.conn, kind, lines)
    if notes is not None:
        document.notes = NOTES.optional(notes, "notes") or ""
    store = await Store.get(id=document.store_id).using_db(write.conn)  # type: ignore[attr-defined]
    party = await Party.get(id=document.party_id).using_db(write.conn) if document.party_id else None  # type: ignore[attr-defined]
    await _write_lines(write.conn, document, checked_lines, party, store)
    document.version += 1
    document.updated_by_id = write.actor_id  # type: ignore[attr-defined]
    await document.save(using_db=write.conn)
    write.after_commit(lambda: events.publish_document_changed(document.id, document.state, document.version))
    return document


@dataclass(frozen=True)
class Amended:
    """A line of an amendment: ``position`` None adds ``line``, else it replaces that line in place."""

    position: int | None
    line: LineInput


def amended_positions(amended: list[Amended], *, instead: str) -> tuple[int | None, ...]:
    """The positions an amendment names (None: a new line), checked before the database sees them: at least one
    line (else ``instead`` says what to do), each position a line's and named once."""
    if not amended:
        raise Invalid(f"An order keeps at least one line: {instead} instead.", field="lines")
    positions = tuple(a.position for a in amended)
    for index, position in enumerate(positions):
        if position is not None and (not isinstance(position, int) or not 0 < position <= MAX_LINES):
            raise NotFound(f"The order has no line {str(position)[:20]}.", field=("lines", index, "position"))
    named = [p for p in positions if p is not None]
    if len(set(named)) != len(named):
        raise Invalid("Each line is named once.", field="lines")
    return positions


async def amend_within(write: Write, document: Document, amended: list[Amended]) -> dict[int, DocumentLine]:
    """Edit a locked document past its draft in place: the lines kept keep their identity (their moves,
    links and progress rows point at them), the new ones are added after the last position, and the lines
    not named are deleted. The document is priced, taxed and totalled again; its area decides what may
    change (what was received) before calling. Returns the lines by position."""
    kind = kind_of(document.type)
    existing = {line.position: line for line in await DocumentLine.filter(document_id=document.id).using_db(
        write.conn).order_by("position")}  # fmt: skip
    checked, products, locations = await check_lines(write.conn, kind, [a.line for a in amended])
    store = await Store.get(id=document.store_id).using_db(write.conn)  # type: ignore[attr-defined]
    party = await Party.get(id=document.party_id).using_db(write.conn) if document.party_id else None  # type: ignore[attr-defined]
    priced, totals = await price_lines(
        checked, products, locations, party=party, currency=document.currency, on=document.business_date,
        prices_include_tax=document.prices_include_tax, rounding=str(store.tax_rounding),
        places=await currency_places(document.currency), purchase=kind.purchase,
    )  # fmt: skip
    kept = {a.position for a in amended if a.position is not None}
    gone = [line.id for position, line in existing.items() if position not in kept]
    if gone:
        await DocumentLine.filter(id__in=gone).using_db(write.conn).delete()
    next_position = max(existing, default=0) + 1
    result: dict[int, DocumentLine] = {}
    for change, p in zip(amended, priced, strict=True):
        values = {
            "product_id": p.product_id, "quantity": p.checked.quantity, "unit": p.checked.unit,
            "base_quantity": p.checked.base_quantity, "price": p.price, "discount_percent": p.checked.discount_percent,
            "tax_code": p.tax_code, "tax_rate": p.tax_percent, "net": p.net, "tax": p.tax, "gross": p.gross,
            "location_id": p.location_id, "notes": p.checked.notes,
        }  # fmt: skip
        if change.position is not None:
            row = existing[change.position]
            for name, value in values.items():
                setattr(row, name, value)
            await row.save(using_db=write.conn, update_fields=list(values))
        else:
            row = await DocumentLine.create(document_id=document.id, position=next_position, using_db=write.conn,
                                            **values)  # fmt: skip
            next_position += 1
        result[row.position] = row
    document.net, document.tax, document.gross = totals.net, totals.tax, totals.gross
    return result


async def check_approval_within(write: Write, document: Document, *, can_approve: bool) -> None:
    """The store's approval rule for the document as it now stands (an amendment of a confirmed one)."""
    store = await Store.get(id=document.store_id).using_db(write.conn)  # type: ignore[attr-defined]
    await _check_approval(write.conn, document, store, write.actor_id, can_approve=can_approve)


async def act_within(write: Write, document_id: int, action: str, *, version: int | None) -> Document:
    """Take ``action`` on a document inside an area's own command (a job cancelling the draft it no longer needs)."""
    document = await _transition(write, await _locked(write.conn, document_id, version), action, can_approve=False)
    write.after_commit(lambda: events.publish_document_changed(document.id, document.state, document.version))
    return document


def _default_pattern(kind: DocumentKind) -> str:
    return f"{kind.prefix}-{{store}}-{{year}}-{{seq:05}}"


async def _locked(conn: BaseDBAsyncClient, document_id: int, version: int | None) -> Document:
    """The document, locked until the transaction ends; STALE when it is not the version the caller read."""
    document = await Document.select_for_update().using_db(conn).get_or_none(id=document_id)
    if document is None:
        raise NotFound("There is no such document.", field="id")
    if version is not None and document.version != version:
        raise Stale(
            f"The document changed since you read it (version {version}; it is now {document.version}):"
            " read it again and redo your change.",
            field="version",
        )
    return document


async def update_document(
    document_id: int,
    version: int,
    header: Header,
    lines: list[LineInput] | None,
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:
    """Change a document that its state lets be edited; ``version`` is the one the caller read."""
    conn = connection()
    existing = await Document.get_or_none(id=document_id)
    if existing is None:
        raise NotFound("There is no such document.", field="id")
    kind = kind_of(existing.type)
    checked_header = await _check_header(conn, kind, header)
    checked_lines = (await check_lines(conn, kind, lines))[0] if lines is not None else None
    command = UpdateDocument(document_id, version, _request_header(checked_header),
                             tuple(checked_lines) if checked_lines is not None else None)  # fmt: skip

    async def run(write: Write) -> Document:
        document = await _locked(write.conn, document_id, version)
        if document.state not in kind.editable:
            raise IllegalTransition(f"A {document.state} document cannot be edited.", field="id")
        for name, value in checked_header.values.items():
            setattr(document, name, value)
        store = await Store.get(id=document.store_id).using_db(write.conn)  # type: ignore[attr-defined]
        party = checked_header.party if "party_id" in checked_header.values else (
            await Party.get(id=document.party_id).using_db(write.conn) if document.party_id else None  # type: ignore[attr-defined]
        )  # fmt: skip
        if checked_lines is not None:
            current = checked_lines
        else:  # the header changed what prices and taxes the lines have: reprice them as they are
            current = await _current_lines(write.conn, document)
        await _write_lines(write.conn, document, current, party, store)
        document.version += 1
        document.updated_by_id = write.actor_id  # type: ignore[attr-defined]
        await document.save(using_db=write.conn)
        return document

    done = await _document_write(command, run, actor_id, idempotency_key)
    return done.result  # type: ignore[no-any-return]


async def _current_lines(conn: BaseDBAsyncClient, document: Document) -> list[CheckedLine]:
    rows = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position").select_related(
        "product", "location", "to_location"
    )  # fmt: skip
    return [
        CheckedLine(row.product.sku, row.quantity, row.unit, row.base_quantity, row.price, row.discount_percent,
                    row.location.code if row.location else None, row.lot_code, row.expires_on, row.notes,
                    row.to_location.code if row.to_location else None, row.best_before_on, row.removal_on,
                    row.alert_on)
        for row in rows
    ]  # fmt: skip


async def act(
    document_id: int,
    action: str,
    *,
    version: int | None,
    actor_id: int | None,
    can_approve: bool = False,
    idempotency_key: str | None = None,
) -> Document:
    """Take ``action`` on a document (confirm, post, cancel ...), as its type's transitions allow."""
    action = ACTION.clean(action, "action")
    command = ActOnDocument(document_id, action, version)

    async def run(write: Write) -> Document:
        document = await _locked(write.conn, document_id, version)
        return await _transition(write, document, action, can_approve=can_approve)

    done = await _document_write(command, run, actor_id, idempotency_key)
    return done.result  # type: ignore[no-any-return]


async def write_document(
    command: Command,
    document_id: int,
    version: int | None,
    run: Callable[[Write, Document], Awaitable[Document]],
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Document:
    """A write of one document by an area (a transfer's receipt): ``run`` gets it locked (``STALE``
    unless at ``version``), in one command with its audit entry; subscribers hear of it after the commit."""

    async def locked_run(write: Write) -> Document:
        return await run(write, await _locked(write.conn, document_id, version))

    done = await _document_write(command, locked_run, actor_id, idempotency_key)
    return done.result  # type: ignore[no-any-return]


async def transition(
    write: Write, document: Document, action: str, effect: Poster | None, *, can_approve: bool = False
) -> Document:
    """Take one of the type's ``own_actions`` on a locked document: ``effect`` books what it does, as the
    poster does for ``post`` (None: it books nothing, as sending an order); the first action that books
    numbers the document. An own ``confirm`` checks the approval rule as the generic one does."""
    return await _transition(write, document, action, can_approve=can_approve, effect=effect, own=True)


async def _transition(
    write: Write, document: Document, action: str, *, can_approve: bool, effect: Poster | None = None,
    own: bool = False,
) -> Document:  # fmt: skip
    """Move a locked document along its type's transition table."""
    kind = kind_of(document.type)
    target = kind.target_of(document.state, action)
    if kind.guard is not None:
        await kind.guard(write, document, action)
    if action in kind.own_actions and not own:
        raise IllegalTransition(
            f"A {kind.title.lower()} takes {shown(action, 30)} through a mutation of its own, with what it needs.",
            field="action",
        )
    conn = write.conn
    store = await Store.get(id=document.store_id).using_db(conn)  # type: ignore[attr-defined]
    if action in (kind.confirm, kind.post) and not await DocumentLine.filter(document_id=document.id).using_db(
        conn
    ).exists():  # fmt: skip
        raise Invalid("A document needs at least one line before it is confirmed or posted.", field="lines")
    if action == kind.confirm:
        document.rate = await rate_on(document.currency, document.business_date)
        await _check_approval(conn, document, store, write.actor_id, can_approve=can_approve)
    posting = action == kind.post
    books = posting or effect is not None
    if books:
        booker = kind.poster if posting else effect
        if booker is not None:
            lines = await DocumentLine.filter(document_id=document.id).using_db(conn).order_by("position")
            await booker(write, document, list(lines))
        if posting or document.posted_at is None:  # when its stock was first booked
            document.posted_at = now()
        if document.rate is None:
            document.rate = await rate_on(document.currency, document.business_date)
    document.state = target
    document.version += 1
    document.updated_by_id = write.actor_id  # type: ignore[attr-defined]
    if books and document.number is None:
        series = await numbering.series_for(
            conn, store.id, kind.type, _default_pattern(kind), gapless=not kind.numbered_when_made
        )
        # Last: the counter row stays locked only until the commit that follows.
        document.number = await numbering.take_number(conn, series, store=store.code, document_type=kind.type,
                                                      on=document.business_date)  # fmt: skip
    await document.save(using_db=conn)
    return document


async def _check_approval(
    conn: BaseDBAsyncClient, document: Document, store: Store, actor_id: int | None, *, can_approve: bool
) -> None:
    """Above the store's threshold for the type, only a user who may approve confirms; who did is kept."""
    rule = await ApprovalRule.get_or_none(store_id=store.id, document_type=document.type, using_db=conn)
    if rule is None:
        return
    in_company_currency = Decimal(document.gross) * Decimal(document.rate or 1)
    if in_company_currency <= rule.threshold:
        return
    if not can_approve:
        currency = await company_currency()
        raise ApprovalRequired(
            f"This document comes to {in_company_currency:.2f} {currency}, above the {rule.threshold:.2f} {currency}"
            " that needs approval: a user with the documents.approve permission must confirm it.",
            field="action",
        )
    document.approved_by_id = actor_id  # type: ignore[attr-defined]
    document.approved_at = now()


async def reverse(document_id: int, *, actor_id: int | None, idempotency_key: str | None = None) -> Document:
    """A posted document undone: a new document of the reversing type, pointing back at it, posted at once."""
    command = ReverseDocument(document_id)

    async def run(write: Write) -> Document:
        conn = write.conn
        original = await _locked(conn, document_id, None)
        kind = kind_of(original.type)
        if original.state != DONE or kind.reversed_as is None:
            raise IllegalTransition(f"Only a done document can be reversed; this one is {original.state}.",
                                    field="id")  # fmt: skip
        earlier = await Document.filter(reverses_id=original.id).using_db(conn).exclude(state="cancelled").first()
        if earlier is not None:
            raise Invalid(f"This document is reversed already, by {earlier.number}.", field="id")
        reversing = kind_of(kind.reversed_as)
        copy = Document(
            type=reversing.type, state=reversing.initial, store_id=original.store_id,  # type: ignore[attr-defined]
            party_id=original.party_id, business_date=today(), currency=original.currency,  # type: ignore[attr-defined]
            rate=original.rate, prices_include_tax=original.prices_include_tax, net=original.net, tax=original.tax,
            gross=original.gross, reason="reversal", notes=f"Reverses {original.number}.", marks=[],
            reverses_id=original.id, created_by_id=write.actor_id, updated_by_id=write.actor_id,
        )  # fmt: skip
        await copy.save(using_db=conn)
        for line in await DocumentLine.filter(document_id=original.id).using_db(conn).order_by("position"):
            copied = await DocumentLine.create(
                document_id=copy.id, using_db=conn,
                **{name: getattr(line, name) for name in _COPIED_LINE_FIELDS},
            )  # fmt: skip
            await DocumentLineLink.create(line_id=copied.id, source_id=line.id, quantity=line.base_quantity,
                                          using_db=conn)  # fmt: skip
        for action in _path_to_done(reversing):
            copy = await _transition(write, copy, action, can_approve=True)
        return copy

    done = await _document_write(command, run, actor_id, idempotency_key)
    return done.result  # type: ignore[no-any-return]


# What a reversing line keeps of the line it reverses: all but its identity and its document.
_COPIED_LINE_FIELDS = (
    "position", "product_id", "quantity", "unit", "base_quantity", "price", "discount_percent", "tax_code",
    "tax_rate", "net", "tax", "gross", "location_id", "lot_code", "expires_on", "notes", "to_location_id",
    "best_before_on", "removal_on", "alert_on",
)  # fmt: skip


def _path_to_done(kind: DocumentKind) -> list[str]:
    """The actions from a new document to a posted one (a reversal's approval was the original's)."""
    path, state = [], kind.initial
    for action in (kind.confirm, kind.post):
        if action in kind.actions_from(state):
            path.append(action)
            state = kind.target_of(state, action)
    assert state == DONE, f"{kind.type} cannot reach done by confirm and post"
    return path


# Reads


def find_documents(
    *, document_type: str | None = None, state: str | None = None, store: str | None = None,
    search: str | None = None,
) -> QuerySet[Document]:  # fmt: skip
    """Documents matching every filter given; a filter no document can match finds nothing."""
    query = Document.all()
    filters = ((document_type, DOCUMENT_TYPE, "type"), (state, STATE, "state"), (store, STORE_CODE, "store__code"),
               (search, NUMBER_PART, "number__icontains"))  # fmt: skip
    for given, spec, lookup in filters:
        if given is None or (lookup == "number__icontains" and not given.strip()):
            continue
        key = spec.key(given)
        if key is None:
            return query.filter(id__in=[])
        query = query.filter(**{lookup: key})
    return query


async def lines_of(document_ids: list[int]) -> dict[int, list[DocumentLine]]:
    grouped: dict[int, list[DocumentLine]] = {i: [] for i in document_ids}
    rows = await DocumentLine.filter(document_id__in=document_ids).order_by("document_id", "position").select_related(
        "product", "location", "to_location"
    )  # fmt: skip
    for row in rows:
        grouped[row.document_id].append(row)  # type: ignore[attr-defined]
    return grouped


async def documents_by_ids(ids: list[int]) -> list[Document]:
    return await Document.filter(id__in=ids).select_related("store", "party", "approved_by", "reverses")


async def reversal_of(document_id: int) -> Document | None:
    return await Document.filter(reverses_id=document_id).exclude(state="cancelled").first()


async def moves_of(document_id: int) -> list[int]:
    rows = await sql.fetch(connection(), "SELECT id FROM stock_move WHERE document_id = $1 ORDER BY id",
                           document_id)  # fmt: skip
    return [int(row["id"]) for row in rows]
