"""Units of measure: a product keeps one base unit, and is traded in any unit of that unit's
category or in one of its packaging levels (see docs/units.md).

The one rounding rule: a quantity entered in another unit becomes base units by an exact
multiplication (the factors are exact decimals, their ratio an exact fraction), rounded once, at
the end, to the ledger's 4 places, half to even. A conversion that needs no rounding (a packaging
level, a multiple of the base unit, 0.1 g into kg) is exact, so receipts in cases and in units add
up to what they are: 12 cases of 12 are 144, never 143.9999. A quantity that rounds to nothing is
refused rather than booked as zero.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from server import sql
from server.catalog.models import (
    FACTOR_PLACES,
    PACKAGING_CODE,
    QUANTITY_PLACES,
    SKU,
    UNIT,
    UNIT_CATEGORY_CODE,
    UNIT_CATEGORY_NAME,
    UNIT_CODE,
    UNIT_NAME,
    Packaging,
    Product,
    Unit,
    UnitCategory,
)
from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.numbers import NumberKind
from server.text import shown

Field = str | tuple[str | int, ...]

STEP = Decimal(1).scaleb(-QUANTITY_PLACES)
MAX_QUANTITY = Decimal(10) ** 12  # as the ledger: NUMERIC(18, 4) with a margin for sums
MAX_FACTOR = Decimal(10) ** 12
MAX_UNITS_PER_CATEGORY = 50  # a category's units are one short list (a picker), never paged

# The units every installation starts with: (category, its name, [(code, name, factor)]), the
# reference unit (factor 1) first.
DEFAULT_UNITS: list[tuple[str, str, list[tuple[str, str, str]]]] = [
    ("count", "Count", [("pcs", "Pieces", "1"), ("dozen", "Dozens", "12")]),
    ("weight", "Weight", [("kg", "Kilograms", "1"), ("g", "Grams", "0.001")]),
    ("volume", "Volume", [("l", "Litres", "1"), ("ml", "Millilitres", "0.001")]),
    ("length", "Length", [("m", "Metres", "1"), ("cm", "Centimetres", "0.01")]),
]


@dataclass(frozen=True)
class Converted:
    """A quantity as entered (``quantity`` of ``unit``) and what the ledger books (``base_quantity``)."""

    unit: str  # the unit's or the packaging level's code, or the product's base unit
    quantity: Decimal
    base_quantity: Decimal
    packaging: str | None  # the packaging level's code when ``unit`` is one


def decimal_input(
    value: object, *, field: Field, places: int = QUANTITY_PLACES, maximum: Decimal = MAX_QUANTITY,
    label: str = "quantity",
) -> Decimal:  # fmt: skip
    """A positive decimal from input, in the one form numbers are sent (``server.numbers``)."""
    return NumberKind(label, places, maximum).parse(value, field=field, allow_zero=False)


def rounded(value: Fraction, places: int = QUANTITY_PLACES) -> Decimal:
    """``value`` to ``places`` decimal places, half to even: the one rounding of a conversion."""
    whole, rest = divmod(value.numerator * 10**places, value.denominator)
    twice = 2 * rest
    if twice > value.denominator or (twice == value.denominator and whole % 2 == 1):
        whole += 1
    return Decimal(whole).scaleb(-places)


def _sibling(field: Field, name: str) -> Field:
    """The input beside ``field``: the unit of ("lines", 3, "quantity") is ("lines", 3, "unit")."""
    if isinstance(field, tuple):
        return (*field[:-1], name) if field else (name,)
    head, dot, _ = field.rpartition(".")
    return f"{head}{dot}{name}"


def _db(conn: BaseDBAsyncClient | None) -> BaseDBAsyncClient:
    return conn if conn is not None else connections.get("default")


def _candidates(name: object) -> list[str]:
    """The codes a unit given as ``name`` may be stored under: its canonical code (case-free), and
    as typed for a unit an older version let a product name freely ("Stück", "box of 10")."""
    return list(dict.fromkeys(c for c in (UNIT_CODE.key(name), UNIT.key(name)) if c is not None))


async def unit_named(conn: BaseDBAsyncClient | None, name: object) -> Unit | None:
    """The unit ``name`` names (any case), with its category; None when none does."""
    found = await units_named(conn, [name])
    return found.get(name) if isinstance(name, str) else None


async def units_named(conn: BaseDBAsyncClient | None, names: list[Any]) -> dict[str, Unit]:
    """The units these names name, by name; names no unit has are left out (for dataloaders too)."""
    wanted = {name: _candidates(name) for name in names if isinstance(name, str)}
    codes = {code for candidates in wanted.values() for code in candidates}
    if not codes:
        return {}
    rows = await Unit.filter(code__in=codes).using_db(_db(conn)).select_related("category")
    by_code = {row.code: row for row in rows}
    return {
        name: next(by_code[c] for c in candidates if c in by_code)
        for name, candidates in wanted.items()
        if any(c in by_code for c in candidates)
    }


def ratio(unit: Unit, base: Unit) -> Fraction:
    """How many ``base`` units one ``unit`` is, exactly."""
    return Fraction(Decimal(unit.factor)) / Fraction(Decimal(base.factor))


@dataclass(frozen=True)
class _Measure:
    code: str
    per_unit: Fraction  # base units in one
    packaging: Packaging | None


async def _measure(conn: BaseDBAsyncClient, product: Any, unit: str | None, field: Field) -> _Measure:
    """What ``unit`` is for ``product``: its base unit, a unit of the same category, or a packaging level."""
    if unit is None or unit == product.unit:
        return _Measure(product.unit, Fraction(1), None)
    if (packaging_code := PACKAGING_CODE.key(unit)) is not None:
        packaging = await Packaging.filter(product_id=product.id, code=packaging_code).using_db(conn).first()
        if packaging is not None:
            return _Measure(packaging.code, Fraction(Decimal(packaging.quantity)), packaging)
    found = await units_named(conn, [unit, product.unit])
    given, base = found.get(unit), found.get(product.unit)
    if given is None:
        raise Invalid(f"{shown(unit)} is neither a unit nor a packaging level of this product.", field=field)
    if base is not None and given.id == base.id:
        return _Measure(base.code, Fraction(1), None)
    if base is None or given.category_id != base.category_id:  # type: ignore[attr-defined]
        raise Invalid(
            f"{given.code} is a unit of {given.category.name.lower()}; this product is kept in {product.unit}.",
            field=field,
        )
    return _Measure(given.code, ratio(given, base), None)


async def to_base(
    conn: BaseDBAsyncClient | None, product: Any, quantity: Decimal, unit: str | None, *, field: Field
) -> Converted:
    """``quantity`` of ``unit`` (None: the base unit) in ``product``'s base unit, by the one rounding
    rule. A bad unit is refused at the ``unit`` beside ``field``; a fraction of a whole-units-only
    packaging level, or a quantity that rounds to nothing, at ``field``."""
    conn = _db(conn)
    amount = decimal_input(quantity, field=field)
    measure = await _measure(conn, product, unit, _sibling(field, "unit"))
    if measure.packaging is not None and measure.packaging.whole_units_only and amount != amount.to_integral_value():
        raise Invalid(f"{measure.code} is sold in whole units only: {amount.normalize()} is not one.", field=field)
    base = rounded(Fraction(amount) * measure.per_unit)
    if base == 0:
        raise Invalid(f"{amount.normalize()} {measure.code} is less than {STEP} {product.unit}.", field=field)
    if base >= MAX_QUANTITY:
        raise Invalid(f"{amount.normalize()} {measure.code} is more than the ledger holds.", field=field)
    packaging = measure.packaging.code if measure.packaging is not None else None
    return Converted(unit=measure.code, quantity=amount, base_quantity=base, packaging=packaging)


async def from_base(
    conn: BaseDBAsyncClient | None, product: Any, base_quantity: Decimal, unit: str | None, *, field: Field = "unit"
) -> Decimal:
    """``base_quantity`` of ``product``'s base unit in ``unit``, for showing (rounded as ``to_base`` rounds)."""
    measure = await _measure(_db(conn), product, unit, field)
    return rounded(Fraction(Decimal(base_quantity)) / measure.per_unit)


async def convert(sku: str, quantity: object, unit: str | None) -> tuple[Product, Converted]:
    """``quantity`` of ``unit`` for the product ``sku``, in its base unit (what a line would book)."""
    key = SKU.key(sku)
    product = await Product.get_or_none(sku=key) if key else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    return product, await to_base(None, product, decimal_input(quantity, field="quantity"), unit, field="quantity")


async def ensure_default_units() -> None:
    """The default units (pcs and dozen, kg and g, l and ml, m and cm), and a unit of its own for
    every ``product.unit`` an older version stored that names none, so existing products convert
    (to themselves) and keep trading. Idempotent: run by every migrate."""
    async with in_transaction() as conn:
        for category, name, units in DEFAULT_UNITS:
            category_id = await _category_id(conn, category, name)
            for code, unit_name, factor in units:
                await _insert_unit(conn, code, unit_name, category_id, Decimal(factor))
        for row in await sql.fetch(conn, "SELECT DISTINCT unit FROM product"):
            stored = row["unit"]
            if await unit_named(conn, stored) is not None:
                continue
            code = UNIT_CODE.key(stored) or stored  # the column is the product's: it fits
            label = UNIT_CATEGORY_NAME.key(stored) or code
            category_code = UNIT_CATEGORY_CODE.key(code) or f"unit-{hashlib.sha1(stored.encode()).hexdigest()[:10]}"
            await _insert_unit(conn, code, label, await _category_id(conn, category_code, label), Decimal(1))


async def _category_id(conn: BaseDBAsyncClient, code: str, name: str) -> int:
    await sql.execute(conn, "INSERT INTO unit_category (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
                      code, name)  # fmt: skip
    row = await sql.fetch_one(conn, "SELECT id FROM unit_category WHERE code = $1", code)
    assert row is not None
    return int(row["id"])


async def _insert_unit(conn: BaseDBAsyncClient, code: str, name: str, category_id: int, factor: Decimal) -> None:
    await sql.execute(
        conn, "INSERT INTO unit (code, name, category_id, factor) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (code) DO NOTHING", code, name, category_id, factor,
    )  # fmt: skip


# Managing units: a category is made with its reference unit; other units join it with a factor.


@dataclass(frozen=True)
class CreateUnitCategory(Command):
    operation = "unit_category.create"
    code: str
    name: str
    reference_unit: str
    reference_unit_name: str


@dataclass(frozen=True)
class CreateUnit(Command):
    operation = "unit.create"
    code: str
    name: str
    category: str
    factor: Decimal


async def _unit_write(command: Command, run: Any, actor_id: int | None, key: str | None) -> Unit:
    effect = row_effect(run, Unit, "unit", related=("category",))
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=key)).result


async def _claim_unit_code(conn: BaseDBAsyncClient, code: str, field: str) -> None:
    """A unit code is one no unit and no packaging level has: a line's unit names exactly one thing."""
    await sql.lock_name(conn, f"unit:{code}")
    if await unit_named(conn, code) is not None:
        raise AlreadyExists(f"The unit {code} exists.", field=field)
    if await Packaging.filter(code=code.upper()).using_db(conn).exists():
        raise AlreadyExists(f"{code} is the code of a packaging level: a unit cannot share it.", field=field)


async def create_unit_category(
    code: str, name: str, reference_unit: str, reference_unit_name: str | None = None, *,
    actor_id: int | None, idempotency_key: str | None = None,
) -> Unit:  # fmt: skip
    """A category of units (count, weight ...) and its reference unit (factor 1); answers that unit."""
    code, name = UNIT_CATEGORY_CODE.clean(code, "code"), UNIT_CATEGORY_NAME.clean(name, "name")
    unit_code = UNIT_CODE.clean(reference_unit, "referenceUnit")
    unit_name = UNIT_NAME.clean(reference_unit_name, "referenceUnitName") if reference_unit_name else unit_code

    async def run(write: Write) -> Unit:
        await sql.lock_name(write.conn, f"unit-category:{code}")
        if await UnitCategory.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The unit category {code} exists.", field="code")
        await _claim_unit_code(write.conn, unit_code, "referenceUnit")
        category = await UnitCategory.create(code=code, name=name, using_db=write.conn)
        return await Unit.create(code=unit_code, name=unit_name, category=category, factor=Decimal(1),
                                 using_db=write.conn)  # fmt: skip

    command = CreateUnitCategory(code, name, unit_code, unit_name)
    return await _unit_write(command, run, actor_id, idempotency_key)


async def create_unit(
    code: str, name: str, category: str, factor: object, *, actor_id: int | None, idempotency_key: str | None = None
) -> Unit:
    """A unit in ``category``: ``factor`` of its reference unit in one (a gram is 0.001 kg)."""
    code, name = UNIT_CODE.clean(code, "code"), UNIT_NAME.clean(name, "name")
    exact = decimal_input(factor, field="factor", places=FACTOR_PLACES, maximum=MAX_FACTOR, label="factor")
    category_key = UNIT_CATEGORY_CODE.key(category)

    async def run(write: Write) -> Unit:
        found = await UnitCategory.filter(code=category_key).using_db(write.conn).first() if category_key else None
        if found is None:
            raise NotFound(f"There is no unit category {shown(category)}.", field="category")
        await sql.lock_name(write.conn, f"unit-category:{found.code}")
        if await Unit.filter(category_id=found.id).using_db(write.conn).count() >= MAX_UNITS_PER_CATEGORY:
            raise Invalid(f"A category has at most {MAX_UNITS_PER_CATEGORY} units.", field="category")
        await _claim_unit_code(write.conn, code, "code")
        return await Unit.create(code=code, name=name, category=found, factor=exact, using_db=write.conn)

    command = CreateUnit(code, name, category_key or "", exact)
    return await _unit_write(command, run, actor_id, idempotency_key)


async def unit_categories(limit: int) -> list[UnitCategory]:
    """The unit categories, the first ``limit`` of them, in the order they were made."""
    return list(await UnitCategory.all().order_by("id").limit(limit))


async def units(*, category: str | None = None, limit: int) -> list[Unit]:
    """Units, of one category or all, the first ``limit`` of them; a category no row can name finds none."""
    query = Unit.all().select_related("category").order_by("category_id", "id")
    if category is not None:
        key = UNIT_CATEGORY_CODE.key(category)
        if key is None:
            return []
        query = query.filter(category__code=key)
    return list(await query.limit(limit))


async def units_by_category(category_ids: list[int]) -> dict[int, list[Unit]]:
    """The units of each category, in the order they were made (for dataloaders)."""
    grouped: dict[int, list[Unit]] = {}
    for row in await Unit.filter(category_id__in=category_ids).select_related("category").order_by("id"):
        grouped.setdefault(row.category_id, []).append(row)  # type: ignore[attr-defined]
    return grouped


async def reference_units(category_ids: list[int]) -> dict[int, Unit]:
    """The reference unit (factor 1, the first made) of each category."""
    found = await units_by_category(category_ids)
    return {cid: next((u for u in rows if Decimal(u.factor) == 1), rows[0]) for cid, rows in found.items() if rows}
