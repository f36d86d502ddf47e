"""Currencies, the company currency and the rate in force on a day."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from server.errors import AlreadyExists, Invalid, NotFound
from server.money import rates
from server.money.models import COMPANY_ID, Company, Currency, ExchangeRate
from tests.conftest import Actor
from tests.server.money.helpers import new_currency


async def test_the_company_starts_in_euros_with_the_standard_currencies(admin: Actor) -> None:
    await rates.ensure_company()  # a second run (migrate ran the first) changes nothing
    await rates.ensure_company()

    assert await rates.company_currency() == "EUR"
    assert await Company.all().count() == 1
    assert {c.code: c.minor_units for c in await Currency.filter(code__in=["EUR", "USD", "GBP", "JPY"])} == {
        "EUR": 2, "USD": 2, "GBP": 2, "JPY": 0,
    }  # fmt: skip
    assert await rates.currency_places("jpy") == 0


async def test_the_rate_in_force_is_the_latest_that_started_on_or_before_the_day(admin: Actor) -> None:
    code = await new_currency(admin.user_id)
    await rates.set_exchange_rate(code, date(2026, 1, 1), "0.9", actor_id=admin.user_id)
    await rates.set_exchange_rate(code, date(2026, 3, 1), "0.95", actor_id=admin.user_id)

    with pytest.raises(NotFound) as before_any:
        await rates.rate_on(code, date(2025, 12, 31))
    assert before_any.value.message == f"No exchange rate of {code} is in force on 2025-12-31."
    assert before_any.value.field == "currency"
    assert await rates.rate_on(code, date(2026, 1, 1)) == Decimal("0.9")
    assert await rates.rate_on(code, date(2026, 2, 28)) == Decimal("0.9")
    assert await rates.rate_on(code, date(2026, 3, 1)) == Decimal("0.95")  # the day the new rate starts
    assert await rates.rate_on(code, date(2030, 1, 1)) == Decimal("0.95")
    assert await rates.rate_on("EUR", date(1999, 1, 1)) == Decimal(1)  # the company currency


async def test_a_second_rate_for_the_same_day_replaces_the_first(admin: Actor) -> None:
    code = await new_currency(admin.user_id)
    await rates.set_exchange_rate(code, date(2026, 5, 1), "1.5", actor_id=admin.user_id)
    await rates.set_exchange_rate(code, date(2026, 5, 1), "1.25000001", actor_id=admin.user_id)

    assert await ExchangeRate.filter(currency__code=code).count() == 1
    assert await rates.rate_on(code, date(2026, 5, 2)) == Decimal("1.25000001")


async def test_a_rate_kept_by_a_document_does_not_move_when_a_later_rate_is_set(admin: Actor) -> None:
    code = await new_currency(admin.user_id)
    await rates.set_exchange_rate(code, date(2026, 1, 1), "2", actor_id=admin.user_id)
    kept = await rates.rate_on(code, date(2026, 6, 1))  # what a document confirmed on that day stores

    await rates.set_exchange_rate(code, date(2026, 6, 2), "3", actor_id=admin.user_id)
    assert kept == Decimal(2)
    assert await rates.rate_on(code, date(2026, 6, 1)) == Decimal(2)  # the day before the new rate
    assert await rates.rate_on(code, date(2026, 6, 2)) == Decimal(3)


@pytest.mark.parametrize(
    ("rate", "message"),
    [("0", "greater than zero"), ("-1", "negative"), ("1.123456789", "8 decimal places"), ("1e3", "not a rate"),
     ("10000000000", "less than"), (1.5, "string of digits"), ("NaN", "not a rate"), ("\uff11", "not a rate")],
)  # fmt: skip
async def test_a_bad_rate_is_refused_and_nothing_is_written(admin: Actor, rate: object, message: str) -> None:
    code = await new_currency(admin.user_id)
    with pytest.raises(Invalid, match=message) as refused:
        await rates.set_exchange_rate(code, date(2026, 1, 1), rate, actor_id=admin.user_id)  # type: ignore[arg-type]
    assert refused.value.field == "rate"
    assert not await ExchangeRate.exists(currency__code=code)


async def test_the_company_currency_takes_no_rate(admin: Actor) -> None:
    with pytest.raises(Invalid, match="company currency"):
        await rates.set_exchange_rate("EUR", date(2026, 1, 1), "1.1", actor_id=admin.user_id)


async def test_currency_codes_are_three_letters_and_unique(admin: Actor) -> None:
    code = await new_currency(admin.user_id)
    with pytest.raises(AlreadyExists):
        await rates.create_currency(code.lower(), "Again", 2, actor_id=admin.user_id)
    for bad in ("EU", "EURO", "E1R", "€UR", "E R", "\x00EU", "A" * 10_000_000):
        with pytest.raises(Invalid) as refused:
            await rates.create_currency(bad, "Bad", 2, actor_id=admin.user_id)
        assert refused.value.field == "code"
    with pytest.raises(Invalid, match="minor units") as too_many:
        await rates.create_currency("QQQ", "Too precise", 5, actor_id=admin.user_id)
    assert too_many.value.field == "minorUnits"


async def test_creating_a_currency_twice_with_one_key_answers_the_first(admin: Actor) -> None:
    key = str(uuid.uuid4())
    code = "".join(c for c in uuid.uuid4().hex.upper() if c.isalpha())[:3].ljust(3, "Z")
    if await Currency.exists(code=code):
        pytest.skip("the random code is taken")
    first = await rates.create_currency(code, "Keyed", 3, actor_id=admin.user_id, idempotency_key=key)
    again = await rates.create_currency(code, "Keyed", 3, actor_id=admin.user_id, idempotency_key=key)
    assert again.id == first.id and await Currency.filter(code=code).count() == 1


async def test_unknown_currencies_are_not_found_on_the_field_asked(admin: Actor) -> None:
    with pytest.raises(NotFound) as missing:
        await rates.require_currency("XYZ", field=("lines", 2, "currency"))
    assert missing.value.path == ["lines", "2", "currency"]
    with pytest.raises(Invalid):
        await rates.require_currency("not a code")


async def test_the_company_currency_changes_only_to_a_known_currency(admin: Actor) -> None:
    with pytest.raises(NotFound):
        await rates.set_company_currency("QQZ", actor_id=admin.user_id)
    assert await rates.company_currency() == "EUR"
    try:
        await rates.set_company_currency("usd", actor_id=admin.user_id)
        assert await rates.company_currency() == "USD"
        assert await rates.rate_on("USD", date(2000, 1, 1)) == Decimal(1)
    finally:
        await rates.set_company_currency("EUR", actor_id=admin.user_id)
    assert (await Company.get(id=COMPANY_ID).select_related("currency")).currency.code == "EUR"
