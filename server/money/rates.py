"""Currencies, the company currency and dated exchange rates.

A rate says how many company-currency units one unit of a currency is worth from its
``valid_from`` on, until the next rate of that currency starts. A document keeps the rate of
its date when it is confirmed (``rate_on``), so a later rate changes nothing already confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from server import sql
from server.commands import Audited, Command, Effect, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.money import amounts
from server.money.models import COMPANY_ID, CURRENCY_CODE, CURRENCY_NAME, Company, Currency, ExchangeRate
from server.text import shown

MAX_MINOR_UNITS = 4  # amounts are kept with 4 places
DEFAULT_CURRENCY = "EUR"
STANDARD_CURRENCIES = [("EUR", "Euro", 2), ("USD", "US dollar", 2), ("GBP", "Pound sterling", 2), ("JPY", "Yen", 0)]
Field = str | tuple[str | int, ...]


def currency_code(value: object, field: Field = "currency") -> str:
    """A currency code as written in ISO 4217: three letters (case-free)."""
    code = CURRENCY_CODE.key(value)
    if code is None:
        raise Invalid("A currency code is three letters, such as EUR (ISO 4217).", field=field)
    return code


async def require_currency(code: str, *, field: Field = "currency", conn: BaseDBAsyncClient | None = None) -> Currency:
    """The currency with this code; NotFound (or Invalid, for what no code can be) naming ``field``."""
    key = currency_code(code, field)
    currency = (
        await Currency.filter(code=key).using_db(conn).get_or_none() if conn else await Currency.get_or_none(code=key)
    )
    if currency is None:
        raise NotFound(f"There is no currency {key}.", field=field)
    return currency


async def currency_places(code: str) -> int:
    """How many decimals amounts in this currency are rounded to."""
    return (await require_currency(code)).minor_units


async def company_currency() -> str:
    """The code of the currency the books are kept in."""
    company = await Company.get_or_none(id=COMPANY_ID).select_related("currency")
    if company is None:
        raise NotFound("The company has no currency yet: the database was not set up (storekeeper migrate).")
    return company.currency.code


async def rate_in_force(currency: str, on: date, *, field: Field = "currency") -> tuple[str, Decimal, date | None]:
    """The currency's code, its rate on the day ``on`` and the day that rate started (None for the
    company currency, whose rate is always 1); NotFound naming the currency and the day when none is in force."""
    found = await require_currency(currency, field=field)
    if found.code == await company_currency():
        return found.code, Decimal(1), None
    row = await ExchangeRate.filter(currency_id=found.id, valid_from__lte=on).order_by("-valid_from").first()
    if row is None:
        raise NotFound(f"No exchange rate of {found.code} is in force on {on.isoformat()}.", field=field)
    return found.code, Decimal(row.rate), row.valid_from


async def rate_on(currency: str, on: date, *, field: Field = "currency") -> Decimal:
    """Company-currency units per one unit of ``currency`` on the day ``on``: 1 for the company
    currency, else the latest rate starting on or before ``on``."""
    return (await rate_in_force(currency, on, field=field))[1]


async def company_currency_row() -> Currency:
    return await require_currency(await company_currency())


def currencies() -> QuerySet[Currency]:
    return Currency.all().order_by("code")


def exchange_rates(currency: str) -> QuerySet[ExchangeRate]:
    """The rates of a currency, by id (for a connection); none for a code no currency can have."""
    key = CURRENCY_CODE.key(currency)
    if key is None:
        return ExchangeRate.filter(id__in=[])
    return ExchangeRate.filter(currency__code=key).select_related("currency")


async def exchange_rates_by_ids(ids: list[int]) -> list[ExchangeRate]:
    return await ExchangeRate.filter(id__in=ids).select_related("currency")


def _minor_units(value: object, field: str = "minorUnits") -> int:
    return amounts.bounded_int(value, 0, MAX_MINOR_UNITS, "number of minor units", field)


@dataclass(frozen=True)
class CreateCurrency(Command):
    operation = "currency.create"
    code: str
    name: str
    minor_units: int


@dataclass(frozen=True)
class UpdateCurrency(Command):
    operation = "currency.update"
    code: str
    name: str | None
    minor_units: int | None


@dataclass(frozen=True)
class SetCompanyCurrency(Command):
    operation = "company.currency"
    currency: str


@dataclass(frozen=True)
class SetExchangeRate(Command):
    operation = "exchange_rate.set"
    currency: str
    valid_from: date
    rate: Decimal


def _currency_effect(run: Any) -> Effect[Currency]:
    return row_effect(run, Currency, "currency")


async def create_currency(
    code: str, name: str, minor_units: int, *, actor_id: int | None, idempotency_key: str | None = None
) -> Currency:
    """A currency documents, price lists and rates may use."""
    code, name = currency_code(code, "code"), CURRENCY_NAME.clean(name, "name")
    minor_units = _minor_units(minor_units)

    async def run(write: Write) -> Currency:
        if await Currency.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The currency {code} exists.", field="code")
        return await Currency.create(code=code, name=name, minor_units=minor_units, using_db=write.conn)

    command = CreateCurrency(code, name, minor_units)
    try:
        return (
            await execute(command, _currency_effect(run), actor_id=actor_id, idempotency_key=idempotency_key)
        ).result
    except IntegrityError:  # a concurrent create of the same code won
        raise AlreadyExists(f"The currency {code} exists.", field="code") from None


async def update_currency(
    code: str, *, name: str | None = None, minor_units: int | None = None, actor_id: int | None
) -> Currency:
    """Rename a currency or change its minor units (documents already totalled keep their amounts)."""
    name = CURRENCY_NAME.clean(name, "name") if name is not None else None
    minor_units = _minor_units(minor_units) if minor_units is not None else None
    key = CURRENCY_CODE.key(code)

    async def run(write: Write) -> Currency:
        currency = await Currency.select_for_update().using_db(write.conn).get_or_none(code=key) if key else None
        if currency is None:
            raise NotFound(f"There is no currency {shown(code)}.", field="code")
        currency.name = name if name is not None else currency.name
        currency.minor_units = minor_units if minor_units is not None else currency.minor_units
        await currency.save(using_db=write.conn)
        return currency

    command = UpdateCurrency(key or "", name, minor_units)
    return (await execute(command, _currency_effect(run), actor_id=actor_id)).result


async def set_company_currency(currency: str, *, actor_id: int | None) -> Currency:
    """The currency the books are kept in (rates are quoted against it)."""
    code = currency_code(currency)

    async def run(write: Write) -> Currency:
        found = await require_currency(code, conn=write.conn)
        await _ensure_company_row(write.conn, found.id)
        await Company.filter(id=COMPANY_ID).using_db(write.conn).update(currency_id=found.id)
        return found

    effect = Effect(run, lambda c: Audited("company", COMPANY_ID))
    return (await execute(SetCompanyCurrency(code), effect, actor_id=actor_id)).result


async def set_exchange_rate(
    currency: str, valid_from: date, rate: Decimal | str, *, actor_id: int | None
) -> ExchangeRate:
    """The rate of ``currency`` from ``valid_from`` on; a second rate for the same day replaces the first.

    Documents confirmed meanwhile keep the rate they stored.
    """
    code = currency_code(currency)
    if not isinstance(valid_from, date):
        raise Invalid("Dates are written YYYY-MM-DD.", field="validFrom")
    value = amounts.rate(rate)

    async def run(write: Write) -> ExchangeRate:
        found = await require_currency(code, conn=write.conn)
        company = await Company.filter(id=COMPANY_ID).using_db(write.conn).first()
        if company is not None and company.currency_id == found.id:  # type: ignore[attr-defined]
            raise Invalid(f"{code} is the company currency: its rate is always 1.", field="currency")
        await sql.lock_name(write.conn, f"exchange_rate:{found.id}:{valid_from.isoformat()}")
        row = await ExchangeRate.filter(currency_id=found.id, valid_from=valid_from).using_db(write.conn).first()
        if row is None:
            row = await ExchangeRate.create(currency=found, valid_from=valid_from, rate=value, using_db=write.conn)
        else:
            row.rate = value
            await row.save(using_db=write.conn, update_fields=["rate"])
        row.currency = found
        return row

    effect = Effect(run, lambda r: Audited("exchange_rate", r.id))
    return (await execute(SetExchangeRate(code, valid_from, value), effect, actor_id=actor_id)).result


async def _ensure_company_row(conn: BaseDBAsyncClient, currency_id: int) -> None:
    await sql.execute(
        conn,
        "INSERT INTO company (id, currency_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        COMPANY_ID,
        currency_id,
    )


async def ensure_currencies() -> None:
    """The currencies every installation starts with (idempotent; existing rows are left as they are)."""
    from tortoise.transactions import in_transaction

    async with in_transaction() as conn:
        for code, name, places in STANDARD_CURRENCIES:
            await sql.execute(
                conn,
                "INSERT INTO currency (code, name, minor_units) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
                code, name, places,
            )  # fmt: skip


async def ensure_company() -> None:
    """The company row, in euros unless it is there already (idempotent; creates the standard currencies)."""
    from tortoise.transactions import in_transaction

    await ensure_currencies()
    async with in_transaction() as conn:
        euro = await Currency.filter(code=DEFAULT_CURRENCY).using_db(conn).get()
        await _ensure_company_row(conn, euro.id)
