"""Landed costs: freight, duty or insurance added to the cost of goods received.

An amount another party billed (in its currency, at the rate of today) is spread over the moves of
one or more goods receipts, by quantity, by value (each move's quantity at its current cost) or by
weight (quantity times the product's ``weight_kg``). Shares are in the company currency, rounded
to the cent; the last move with a share takes the remainder, so they sum exactly to the amount.

Each move is revalued through the stock core (``revalue_within``): to its current cost plus its
share over its quantity (kept to 4 places), so what is still on hand is revalued and what already
left becomes a cost-of-goods adjustment, both dated now; the value of the stock at an earlier date
does not change. The receipts are locked (documents by id) first, so a return from one of them
waits and leaves at the cost the landed cost gave; the moves are revalued in product order, the
order postings lock cost buckets in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.clock import today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.documents.kinds import DONE
from server.documents.models import Document
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.valuation.revalue import current_unit_cost, revalue_within
from server.money.rates import company_currency, currency_places, rate_on, require_currency
from server.numbers import AMOUNT
from server.paging import MAX_ID
from server.partners.models import PARTY_CODE
from server.partners.service import require_party
from server.purchasing.landed_models import KINDS, SPLITS, LandedCost, LandedCostShare
from server.purchasing.orders import RECEIPT
from server.text import Text

MAX_RECEIPTS = 50  # one landed cost spreads over at most this many receipts
REFERENCE = Text("reference", 64)
REASON = Text("reason", 255)
COST_STEP = Decimal("0.0001")
ZERO = Decimal(0)


@dataclass(frozen=True)
class LandedCostInput:
    """What a caller sends: the party that billed it, the amount (``currency`` None: the company's)."""

    receipts: list[int]
    kind: str
    party: str
    amount: object
    split: str
    currency: str | None = None
    reference: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class AddLandedCost(Command):
    operation = "purchase.landed_cost"
    receipts: tuple[int, ...]
    kind: str
    party: str
    amount: Decimal
    currency: str | None
    split: str
    reference: str
    reason: str


@dataclass(frozen=True)
class Landed:
    cost: LandedCost
    shares: list[LandedCostShare]


def _checked(given: LandedCostInput) -> AddLandedCost:
    """The input's shape before the database sees it: every problem at once."""
    problems: list[DomainError] = []
    if not given.receipts:
        problems.append(Invalid("Name the receipts the cost is spread over.", field="receipts"))
    elif len(given.receipts) > MAX_RECEIPTS:
        problems.append(Invalid(f"A landed cost spreads over at most {MAX_RECEIPTS} receipts.", field="receipts"))
    elif len(set(given.receipts)) != len(given.receipts):
        problems.append(Invalid("Name each receipt once.", field="receipts"))
    else:
        problems += [
            NotFound("There is no such goods receipt.", field=("receipts", i))
            for i, r in enumerate(given.receipts) if not isinstance(r, int) or not 0 < r <= MAX_ID
        ]  # fmt: skip
    checks: list[tuple[str, Any]] = [
        ("kind", lambda: _one_of(given.kind, KINDS, "kind")),
        ("split", lambda: _one_of(given.split, SPLITS, "split")),
        ("party", lambda: PARTY_CODE.clean(given.party, "party")),
        ("amount", lambda: AMOUNT.parse(given.amount, field="amount", allow_zero=False)),
        ("reference", lambda: REFERENCE.optional(given.reference, "reference") or "" if given.reference else ""),
        ("reason", lambda: REASON.optional(given.reason, "reason") or "" if given.reason else ""),
    ]
    values: dict[str, Any] = {}
    for name, check in checks:
        try:
            values[name] = check()
        except DomainError as error:
            problems.append(error)
    if given.currency is not None and (not isinstance(given.currency, str) or len(given.currency) > 3
                                       or "\x00" in given.currency):  # fmt: skip
        problems.append(Invalid("A currency is a code of three letters, such as EUR.", field="currency"))
    if problems:
        raise ManyErrors(problems)
    return AddLandedCost(tuple(sorted(given.receipts)), values["kind"], values["party"], values["amount"],
                         given.currency, values["split"], values["reference"], values["reason"])  # fmt: skip


def _one_of(value: object, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise Invalid(f"It is one of {', '.join(allowed)}.", field=field)
    return str(value)


async def add_landed_cost(given: LandedCostInput, *, actor_id: int | None, idempotency_key: str) -> Landed:
    """Spread an amount another party billed over receipts, revaluing each of their moves by its share."""
    command = _checked(given)
    positions = {receipt: index for index, receipt in enumerate(given.receipts)}

    async def run(write: Write) -> Landed:
        return await _add(write, command, positions)

    async def recall(stored: dict[str, Any]) -> Landed:
        cost = await LandedCost.get(id=stored["landed_cost_id"]).select_related("party")
        return Landed(cost, list(await LandedCostShare.filter(landed_cost_id=cost.id).order_by("id")))

    effect = Effect(run, lambda d: Audited("landed_cost", d.cost.id, command.request()),
                    lambda d: {"landed_cost_id": d.cost.id}, recall)  # fmt: skip
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)).result


@dataclass
class _Move:
    id: int
    receipt_id: int
    line_id: int
    product_id: int
    quantity: Decimal
    cost: Decimal  # now
    basis: Decimal
    share: Decimal = ZERO


async def _add(write: Write, command: AddLandedCost, positions: dict[int, int]) -> Landed:
    conn = write.conn
    for receipt_id in command.receipts:  # documents by id: a return from one of them waits
        receipt = await Document.select_for_update().using_db(conn).get_or_none(id=receipt_id, type=RECEIPT)
        if receipt is None or receipt.state != DONE:
            raise NotFound("There is no such goods receipt.", field=("receipts", positions[receipt_id]))
    party = await require_party(conn, command.party, field="party")
    currency = (await require_currency(command.currency, field="currency")).code if command.currency else (
        await company_currency())  # fmt: skip
    rate = await rate_on(currency, today())
    cent = Decimal(1).scaleb(-await currency_places(await company_currency()))
    in_company = (command.amount * rate).quantize(cent, rounding=ROUND_HALF_UP)
    if in_company <= 0:
        raise Invalid("The amount is worth nothing in the company currency.", field="amount")
    moves = await _moves(conn, command)
    _spread(moves, in_company, cent, command.split)
    cost = await LandedCost.create(
        kind=command.kind, party_id=party.id, reference=command.reference, reason=command.reason,
        amount=command.amount, currency=currency, rate=rate, amount_company=in_company, split=command.split,
        created_by_id=write.actor_id, using_db=conn,
    )  # fmt: skip
    _refuse_unit_costs_past_the_limit(moves)
    shares = []
    why = f"landed cost #{cost.id} ({command.kind})"
    for move in sorted(moves, key=lambda m: (m.product_id, m.id)):  # cost buckets in the order postings lock them
        after = _cost_after(move)
        done = await revalue_within(write, move.id, after, reason=why) if after != move.cost else None
        shares.append(LandedCostShare(
            landed_cost_id=cost.id, receipt_id=move.receipt_id, line_id=move.line_id, move_id=move.id,
            quantity=move.quantity, basis=move.basis, amount=move.share, unit_cost_before=move.cost,
            unit_cost_after=after, revalued=done.revalued if done else ZERO,
            cost_of_goods=done.cost_of_goods if done else ZERO,
        ))  # fmt: skip
    shares.sort(key=lambda s: (s.receipt_id, s.move_id))  # type: ignore[attr-defined]
    await LandedCostShare.bulk_create(shares, using_db=conn)
    cost.party = party
    return Landed(cost, list(await LandedCostShare.filter(landed_cost_id=cost.id).using_db(conn).order_by("id")))


def _cost_after(move: _Move) -> Decimal:
    return move.cost + (move.share / move.quantity).quantize(COST_STEP, rounding=ROUND_HALF_UP)


def _refuse_unit_costs_past_the_limit(moves: list[_Move]) -> None:
    """A share over a tiny quantity makes a unit cost the ledger cannot hold (NUMERIC(18, 4)): refused at the
    amount, before anything is written, rather than failing in the database."""
    for move in moves:
        if AMOUNT.maximum <= _cost_after(move):
            raise Invalid(
                f"The amount would make a unit received cost {_cost_after(move):,f}: at most"
                f" {AMOUNT.maximum:,} is kept. Check the amount, or spread it another way.",
                field="amount",
            )


async def _moves(conn: BaseDBAsyncClient, command: AddLandedCost) -> list[_Move]:
    """The moves the receipts booked, each with its cost now and its part of the basis."""
    rows = await sql.fetch(
        conn,
        "SELECT m.id, m.document_id, m.document_line_id, m.product_id, m.quantity, m.unit_cost, p.weight_kg"
        " FROM stock_move m JOIN product p ON p.id = m.product_id"
        f" WHERE m.document_id IN ({sql.placeholders(1, len(command.receipts))}) ORDER BY m.document_id, m.id",
        *command.receipts,
    )  # fmt: skip
    moves = []
    for row in rows:
        quantity = quantities.from_db(row["quantity"])
        cost = await current_unit_cost(conn, int(row["id"]), row["unit_cost"])
        weight = Decimal(str(row["weight_kg"])) if row["weight_kg"] is not None else ZERO
        basis = {"quantity": quantity, "value": quantity * cost, "weight": quantity * weight}[command.split]
        moves.append(_Move(int(row["id"]), int(row["document_id"]), int(row["document_line_id"]),
                           int(row["product_id"]), quantity, cost, basis))  # fmt: skip
    if sum((m.basis for m in moves), ZERO) <= 0:
        what = {"quantity": "no quantity", "value": "no value", "weight": "no weight (weight_kg)"}[command.split]
        raise Invalid(f"The goods of these receipts have {what}: spread the cost another way.", field="split")
    return moves


def _spread(moves: list[_Move], amount: Decimal, cent: Decimal, split: str) -> None:
    """Each move's share of ``amount`` by its basis, in whole cents that sum to it exactly: every share is cut
    down to the cent, and the cents left go to the largest remainders (the later move first on a tie), so no
    share is ever negative or a cent off its exact part by more than one."""
    total = sum((m.basis for m in moves), ZERO)
    sharing = [m for m in moves if m.basis > 0]
    exact = [amount * m.basis / total for m in sharing]
    for move, part in zip(sharing, exact, strict=True):
        move.share = part.quantize(cent, rounding=ROUND_DOWN)
    left = int(((amount - sum((m.share for m in sharing), ZERO)) / cent).to_integral_value())
    by_remainder = sorted(range(len(sharing)), key=lambda i: (exact[i] - sharing[i].share, i), reverse=True)
    for i in by_remainder[:left]:
        sharing[i].share += cent


# Reads


async def landed_costs_of(receipt_ids: list[int]) -> dict[int, list[LandedCost]]:
    """Per receipt, the landed costs spread over it, oldest first."""
    found: dict[int, list[LandedCost]] = {i: [] for i in receipt_ids}
    for chunk in sql.chunks(sorted(set(receipt_ids))):
        rows = await sql.fetch(
            connection(),
            "SELECT DISTINCT receipt_id, landed_cost_id FROM landed_cost_share"
            f" WHERE receipt_id IN ({sql.placeholders(1, len(chunk))}) ORDER BY landed_cost_id",
            *chunk,
        )
        costs = {c.id: c for c in await LandedCost.filter(id__in=[int(r["landed_cost_id"]) for r in rows])
                 .select_related("party")}  # fmt: skip
        for row in rows:
            found[int(row["receipt_id"])].append(costs[int(row["landed_cost_id"])])
    return found


async def shares_of(landed_cost_ids: list[int]) -> dict[int, list[LandedCostShare]]:
    found: dict[int, list[LandedCostShare]] = {i: [] for i in landed_cost_ids}
    rows = await LandedCostShare.filter(landed_cost_id__in=landed_cost_ids).order_by("id").select_related(
        "receipt", "line__product"
    )  # fmt: skip
    for row in rows:
        found[row.landed_cost_id].append(row)  # type: ignore[attr-defined]
    return found
