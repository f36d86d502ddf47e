"""Document totals: golden cases from known rounding bugs, and the rules every total keeps."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from server.money.taxes import PER_DOCUMENT, PER_LINE, TaxableLine, share_out, totals

D = Decimal
MODES = [PER_LINE, PER_DOCUMENT]


def line(quantity: str, price: str, tax: str = "21", discount: str = "0") -> TaxableLine:
    return TaxableLine(D(quantity), D(price), D(discount), D(tax))


def amounts(result: object) -> tuple[Decimal, Decimal, Decimal]:
    return result.net, result.tax, result.gross  # type: ignore[attr-defined]


@pytest.mark.parametrize("rounding", MODES)
def test_odoo_6527_80_against_6527_81_gives_6527_81_whichever_way_the_store_rounds(rounding: str) -> None:
    # odoo/odoo pull request 28788: 16 pieces at 348.35, 4 % discount, 22 % tax. Odoo gave 6527.80
    # rounding globally and 6527.81 rounding per line; the fix wanted 6527.81 both ways.
    # 16 x 348.35 x 0.96 = 5350.656 -> net 5350.66; 22 % of 5350.66 = 1177.1452 -> 1177.15.
    result = totals([line("16", "348.35", "22", "4")], prices_include_tax=False, rounding=rounding, places=2)

    assert amounts(result) == (D("5350.66"), D("1177.15"), D("6527.81"))
    assert amounts(result.lines[0]) == (D("5350.66"), D("1177.15"), D("6527.81"))


@pytest.mark.parametrize("include", [False, True])
def test_ten_lines_of_one_and_one_line_of_ten_agree_when_the_document_rounds(include: bool) -> None:
    for price in ("0.99", "1.10", "8.01", "13.37", "0.05", "2.345", "19.9999"):
        for tax in ("21", "10", "5.5", "22"):
            ten = totals([line("1", price, tax)] * 10, prices_include_tax=include, rounding=PER_DOCUMENT, places=2)
            one = totals([line("10", price, tax)], prices_include_tax=include, rounding=PER_DOCUMENT, places=2)
            assert amounts(ten) == amounts(one), (price, tax)


def test_ten_lines_of_one_and_one_line_of_ten_agree_on_what_the_price_list_fixes_when_each_line_rounds() -> None:
    # Rounding each line's tax is what per_line means: 10 x round(0.2079) = 2.10 against round(2.079) = 2.08.
    # What the customer was quoted still agrees: the net without tax, the gross with tax included.
    ten = totals([line("1", "0.99")] * 10, prices_include_tax=False, rounding=PER_LINE, places=2)
    one = totals([line("10", "0.99")], prices_include_tax=False, rounding=PER_LINE, places=2)
    assert (ten.net, one.net) == (D("9.90"), D("9.90"))
    assert (ten.tax, one.tax) == (D("2.10"), D("2.08"))

    ten = totals([line("1", "1.10", "5")] * 10, prices_include_tax=True, rounding=PER_LINE, places=2)
    one = totals([line("10", "1.10", "5")], prices_include_tax=True, rounding=PER_LINE, places=2)
    assert (ten.gross, one.gross) == (D("11.00"), D("11.00"))
    assert abs(ten.tax - one.tax) <= D("0.005") * 10  # at most half a cent per line


@pytest.mark.parametrize("rounding", MODES)
def test_tax_included_prices_keep_the_gross_the_customer_was_quoted(rounding: str) -> None:
    # odoo/odoo issue 2594: three lines of 1.10 with 5 % included must come to 3.30.
    result = totals([line("1", "1.10", "5")] * 3, prices_include_tax=True, rounding=rounding, places=2)
    assert result.gross == D("3.30")
    assert result.net + result.tax == result.gross


def test_per_document_rounds_the_tax_of_the_sum_and_shares_it_out_over_the_lines() -> None:
    # odoo/odoo pull request 45700: 11.90 and 2.80 with 21 % included; the tax of 14.70 is 2.55.
    lines = [line("1", "11.90"), line("1", "2.80")]
    per_document = totals(lines, prices_include_tax=True, rounding=PER_DOCUMENT, places=2)
    per_line = totals(lines, prices_include_tax=True, rounding=PER_LINE, places=2)

    assert amounts(per_document) == (D("12.15"), D("2.55"), D("14.70"))
    # exact taxes 2.0653 and 0.4860: the odd cent goes to the larger remainder
    assert [amounts(r) for r in per_document.lines] == [(D("9.84"), D("2.06"), D("11.90")),
                                                       (D("2.31"), D("0.49"), D("2.80"))]  # fmt: skip
    assert amounts(per_line) == (D("12.14"), D("2.56"), D("14.70"))


@pytest.mark.parametrize(("include", "rounding"), list(itertools.product([False, True], MODES)))
def test_the_document_is_always_the_sum_of_its_lines(include: bool, rounding: str) -> None:
    prices = ["0.01", "0.33", "1.005", "7.77", "12.3456", "99.99", "0.6667"]
    quantities = ["1", "3", "0.5", "2.25", "7"]
    lines = [line(q, p, tax, disc) for (q, p), tax, disc in
             zip(itertools.product(quantities, prices), itertools.cycle(["21", "10", "0", "5.5"]),
                 itertools.cycle(["0", "4", "12.5"]))]  # fmt: skip
    for places in (0, 2, 3):
        result = totals(lines, prices_include_tax=include, rounding=rounding, places=places)
        step = D(1).scaleb(-places)
        assert result.net == sum(r.net for r in result.lines)
        assert result.tax == sum(r.tax for r in result.lines)
        assert result.gross == sum(r.gross for r in result.lines)
        assert all(r.net + r.tax == r.gross for r in result.lines)
        assert all(value == value.quantize(step) for r in result.lines for value in amounts(r))
        assert sum(g.tax for g in result.groups) == result.tax
        if rounding == PER_DOCUMENT:  # each percent's tax is its base's, rounded once
            for group in result.groups:
                base = group.gross if include else group.net
                rate = group.percent / (100 + group.percent) if include else group.percent / 100
                assert group.tax == (base * rate).quantize(step, rounding="ROUND_HALF_UP")


def test_yen_has_no_minor_units() -> None:
    # odoo/odoo pull request 100478: 12,345 yen at 10 % excluded is 1,235 tax (1234.5 rounds up).
    result = totals([line("1", "12345", "10")], prices_include_tax=False, rounding=PER_DOCUMENT, places=0)
    assert amounts(result) == (D("12345"), D("1235"), D("13580"))


def test_a_zero_rated_or_fully_discounted_line_has_no_tax() -> None:
    result = totals([line("3", "4.99", "0"), line("2", "10", "21", "100")], prices_include_tax=False,
                    rounding=PER_DOCUMENT, places=2)  # fmt: skip
    assert [amounts(r) for r in result.lines] == [(D("14.97"), D("0.00"), D("14.97")), (D("0.00"),) * 3]


def test_share_out_gives_the_odd_cents_to_the_largest_remainders() -> None:
    assert share_out(D("1.00"), [D("0.3333"), D("0.3333"), D("0.3334")], D("0.01")) == [D("0.33"), D("0.33"),
                                                                                         D("0.34")]  # fmt: skip
    assert share_out(D("0.10"), [D("0.025")] * 4, D("0.01")) == [D("0.03"), D("0.03"), D("0.02"), D("0.02")]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rounding"):
        totals([], prices_include_tax=False, rounding="per_invoice", places=2)
    with pytest.raises(ValueError, match="places"):
        totals([], prices_include_tax=False, rounding=PER_LINE, places=5)
    assert amounts(totals([], prices_include_tax=False, rounding=PER_LINE, places=2)) == (D("0.00"),) * 3
