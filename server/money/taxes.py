"""A document's net, tax and gross amounts from its lines: pure arithmetic, no database.

The rounding rule (every amount to the currency's ``places``, ROUND_HALF_UP):

1. A line's **base** is ``quantity x price x (1 - discount/100)``: its net amount when prices
   exclude tax, its gross amount when they include it (what the customer was quoted).
2. Tax is worked out from a rounded base (``base x p/100`` excluding tax, ``base x p/(100 + p)``
   including it), never from an unrounded one: a one-line document then gets the same tax
   whichever way the store rounds (Odoo's 6527.80 against 6527.81 cannot happen).
3. ``per_line``: each line's base is rounded, then its tax; the document's are their sums.
   ``per_document``: for each tax percent, the sum of the lines' exact bases is rounded once and
   its tax rounded once; both are shared out over the lines by the largest remainder, so the
   lines still add up to them exactly. Ten lines of 1 and one line of 10 at the same price then
   give the same totals, even at a price with more places than the currency. (Per line they can
   differ by up to half a minor unit per line: that is what rounding each line means.)
4. The other amount of a line is the difference (net + tax = gross on every line), and the
   document's net, tax and gross are the sums of its lines': a total is never rounded again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

PER_LINE = "per_line"
PER_DOCUMENT = "per_document"
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxableLine:
    quantity: Decimal
    price: Decimal  # per unit, including tax when the document's prices do
    discount_percent: Decimal
    tax_percent: Decimal


@dataclass(frozen=True)
class LineTotals:
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class TaxGroup:
    """The lines taxed at one percent, summed: what an invoice's tax summary shows."""

    percent: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class Totals:
    lines: list[LineTotals]
    net: Decimal
    tax: Decimal
    gross: Decimal
    groups: list[TaxGroup]  # by percent, in ascending order


def _step(places: int) -> Decimal:
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 4:
        raise ValueError(f"places is 0 to 4, not {places!r}")
    return Decimal(1).scaleb(-places)


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _tax_share(base: Decimal, percent: Decimal, prices_include_tax: bool) -> Decimal:
    """The exact (unrounded) tax in ``base``."""
    return base * percent / (_HUNDRED + percent) if prices_include_tax else base * percent / _HUNDRED


def share_out(total: Decimal, exact: Sequence[Decimal], step: Decimal) -> list[Decimal]:
    """``total`` (a multiple of ``step``) split in proportion to ``exact``: each part is the floor of its
    exact amount, plus one ``step`` for the parts with the largest remainders until they add up
    (the largest remainder method; ties go to the earlier line)."""
    floors = [(value / step).to_integral_value(rounding=ROUND_FLOOR) for value in exact]
    missing = int((total / step) - sum(floors, Decimal(0)))
    remainders = sorted(range(len(exact)), key=lambda i: (-(exact[i] / step - floors[i]), i))
    extra = [0] * len(exact)
    if missing >= 0:
        for i in remainders[:missing]:
            extra[i] = 1
    else:  # only with negative amounts (a credit line among others): take from the smallest remainders
        for i in remainders[::-1][:-missing]:
            extra[i] = -1
    return [((floors[i] + extra[i]) * step).quantize(step) for i in range(len(exact))]


def totals(lines: Sequence[TaxableLine], *, prices_include_tax: bool, rounding: str, places: int) -> Totals:
    """Net, tax and gross of each line and of the document, by the rule in this module's docstring."""
    if rounding not in (PER_LINE, PER_DOCUMENT):
        raise ValueError(f"rounding is {PER_LINE!r} or {PER_DOCUMENT!r}, not {rounding!r}")
    step = _step(places)
    exact_bases = [line.quantity * line.price * (_HUNDRED - line.discount_percent) / _HUNDRED for line in lines]
    if rounding == PER_LINE:
        bases = [_round(value, step) for value in exact_bases]
        taxes = [
            _round(_tax_share(base, line.tax_percent, prices_include_tax), step)
            for base, line in zip(bases, lines, strict=True)
        ]
    else:
        bases, taxes = [Decimal(0)] * len(lines), [Decimal(0)] * len(lines)
        by_percent: dict[Decimal, list[int]] = defaultdict(list)
        for i, line in enumerate(lines):
            by_percent[line.tax_percent].append(i)
        for percent, members in by_percent.items():
            group_base = _round(sum((exact_bases[i] for i in members), Decimal(0)), step)
            group_tax = _round(_tax_share(group_base, percent, prices_include_tax), step)
            line_bases = share_out(group_base, [exact_bases[i] for i in members], step)
            exact_taxes = [_tax_share(base, percent, prices_include_tax) for base in line_bases]
            for i, base, tax in zip(members, line_bases, share_out(group_tax, exact_taxes, step), strict=True):
                bases[i], taxes[i] = base, tax
    results = [
        LineTotals(net=(base - tax).quantize(step), tax=tax, gross=base)
        if prices_include_tax
        else LineTotals(net=base, tax=tax, gross=(base + tax).quantize(step))
        for base, tax in zip(bases, taxes, strict=True)
    ]
    return Totals(
        lines=results,
        net=_sum([r.net for r in results], step),
        tax=_sum([r.tax for r in results], step),
        gross=_sum([r.gross for r in results], step),
        groups=_groups(lines, results, step),
    )


def _sum(values: Sequence[Decimal], step: Decimal) -> Decimal:
    return sum(values, Decimal(0)).quantize(step)


def _groups(lines: Sequence[TaxableLine], results: Sequence[LineTotals], step: Decimal) -> list[TaxGroup]:
    members: dict[Decimal, list[LineTotals]] = defaultdict(list)
    for line, result in zip(lines, results, strict=True):
        members[line.tax_percent].append(result)
    return [
        TaxGroup(
            percent, _sum([r.net for r in rs], step), _sum([r.tax for r in rs], step), _sum([r.gross for r in rs], step)
        )
        for percent, rs in sorted(members.items())
    ]
