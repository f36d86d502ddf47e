"""Units of measure and the one rounding rule, through the service functions."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from schema.errors import UserError
from server import db, sql
from server.catalog.models import Product, Unit, UnitCategory
from server.catalog.packagings import PackagingSpec, set_product_packagings
from server.catalog.service import ProductDetails, create_product, update_product
from server.catalog.units import (
    MAX_UNITS_PER_CATEGORY,
    Converted,
    convert,
    create_unit,
    create_unit_category,
    ensure_default_units,
    from_base,
    to_base,
    unit_named,
)
from server.clock import now
from server.errors import AlreadyExists, ErrorCode, Invalid, NotFound
from server.inventory import ledger
from tests.conftest import Actor, Place, unique

LINE = ("lines", 3, "quantity")


async def product(actor: Actor, unit: str = "pcs", packagings: list[PackagingSpec] | None = None) -> Product:
    sku = unique("U")
    row = await create_product(sku, ProductDetails(name="Thing", unit=unit), actor_id=actor.user_id)
    if packagings:
        await set_product_packagings(sku, packagings, actor_id=actor.user_id)
    return row


def case_of(quantity: str, code: str = "CASE", *, whole: bool = True) -> PackagingSpec:
    return PackagingSpec(code, quantity, whole_units_only=whole)


async def base(row: Product, quantity: str, unit: str | None, field: str | tuple[str | int, ...] = LINE) -> Decimal:
    return (await to_base(None, row, Decimal(quantity), unit, field=field)).base_quantity


async def refusal(row: Product, quantity: str, unit: str | None, field: str | tuple[str | int, ...] = LINE) -> Invalid:
    with pytest.raises(Invalid) as refused:
        await to_base(None, row, Decimal(quantity), unit, field=field)
    return refused.value


async def test_twelve_cases_of_twelve_are_144_exactly(admin: Actor) -> None:
    row = await product(admin, packagings=[case_of("12")])
    converted = await to_base(None, row, Decimal("12"), "CASE", field="quantity")
    assert converted == Converted(unit="CASE", quantity=Decimal("12"), base_quantity=Decimal("144"), packaging="CASE")
    assert str(converted.base_quantity) == "144.0000"
    assert await base(row, "12", "case") == Decimal("144")  # packaging codes are case-free
    assert await from_base(None, row, Decimal("144"), "CASE") == Decimal("12")


async def test_partial_receipts_in_cases_and_units_add_up(admin: Actor) -> None:
    row = await product(admin, packagings=[case_of("6", "INNER"), case_of("12")])
    parts = [await base(row, "11", "CASE"), await base(row, "1", "INNER"), await base(row, "6", None)]
    assert sum(parts) == Decimal("144") and parts == [Decimal("132"), Decimal("6"), Decimal("6")]
    assert await base(row, "1", "dozen") * 12 == await base(row, "12", "dozen") == Decimal("144")

    coffee = await product(admin, "kg")  # a kilogram received a third at a time, weighed in grams
    thirds = [await base(coffee, grams, "g") for grams in ("333.3", "333.3", "333.4")]
    assert thirds == [Decimal("0.3333"), Decimal("0.3333"), Decimal("0.3334")] and sum(thirds) == Decimal("1")
    beans = await product(admin, "g")  # and the other way round: kilograms into grams
    assert sum([await base(beans, kg, "kg") for kg in ("0.3333", "0.3333", "0.3334")]) == Decimal("1000")


async def test_a_whole_units_only_pack_refuses_half_a_pack(admin: Actor) -> None:
    row = await product(admin, packagings=[case_of("12"), case_of("6", "LOOSE", whole=False)])
    refused = await refusal(row, "0.5", "CASE")
    assert refused.code is ErrorCode.INVALID and "whole units only" in refused.message
    assert UserError.from_domain(refused).field == ["input", "lines", "3", "quantity"]
    assert await base(row, "0.5", "LOOSE") == Decimal("3")  # a level that allows fractions takes it
    assert await base(row, "0.5", None) == Decimal("0.5")  # and so does the base unit


async def test_grams_and_kilograms_convert_both_ways(admin: Actor) -> None:
    kilos = await product(admin, "kg")
    assert await base(kilos, "250", "g") == Decimal("0.25")
    assert await base(kilos, "1.5", "KG") == Decimal("1.5")
    assert await from_base(None, kilos, Decimal("0.25"), "g") == Decimal("250")
    grams = await product(admin, "g")
    assert await base(grams, "2.5", "kg") == Decimal("2500")
    assert await from_base(None, grams, Decimal("2500"), "kg") == Decimal("2.5")


async def test_the_one_rounding_rule_is_half_to_even_at_four_places(admin: Actor) -> None:
    kilos = await product(admin, "kg")
    assert await base(kilos, "0.25", "g") == Decimal("0.0002")  # 0.00025: down to the even digit
    assert await base(kilos, "0.35", "g") == Decimal("0.0004")  # 0.00035: up to the even digit
    assert await base(kilos, "0.3334", "g") == Decimal("0.0003")
    refused = await refusal(kilos, "0.04", "g")  # 0.00004 kg would be booked as nothing
    assert refused.field == LINE and "less than 0.0001 kg" in refused.message


async def test_a_unit_no_one_knows_is_refused_at_the_unit_beside_the_quantity(admin: Actor) -> None:
    row = await product(admin)
    for unit in ("parsec", "", "x" * 10_000, "kg\x00", "\uff30\uff23\uff33\u202e"):
        refused = await refusal(row, "1", unit)
        assert refused.code is ErrorCode.INVALID and refused.field == ("lines", 3, "unit")
    assert (await refusal(row, "1", "parsec", field="quantity")).field == "unit"
    assert (await refusal(row, "1", "parsec", field="line.quantity")).field == "line.unit"
    assert await base(row, "2", "\uff30\uff23\uff33") == Decimal(
        "2"
    )  # full-width letters are the unit's code all the same


async def test_a_unit_of_another_category_is_refused(admin: Actor) -> None:
    row = await product(admin)
    refused = await refusal(row, "1", "kg")
    assert refused.field == ("lines", 3, "unit") and "kg is a unit of weight" in refused.message
    with pytest.raises(Invalid):
        await from_base(None, row, Decimal(1), "ml")


async def test_quantities_are_checked_before_they_are_converted(admin: Actor) -> None:
    row = await product(admin, packagings=[case_of("12")])
    for quantity in ("0", "-1", "1.00001", "NaN", "Infinity", "1000000000000"):
        assert (await refusal(row, quantity, "CASE")).field == LINE
    assert "more than the ledger holds" in (await refusal(row, "999999999999", "CASE")).message
    for given in ("1e3", "0x10", "١٢", " 12", 12.5, None):
        with pytest.raises(Invalid) as refused:
            await convert(row.sku, given, "CASE")
        assert refused.value.field == "quantity"
    assert (await convert(row.sku, "2", "case"))[1].base_quantity == Decimal("24")
    with pytest.raises(NotFound):
        await convert("NO-SUCH-\x00" * 100, "2", None)


async def test_a_product_names_a_known_unit_kept_as_its_code(admin: Actor, place: Place) -> None:
    assert (await product(admin, "KG")).unit == "kg"
    for unit in ("parsec", "k g", "kg\x00"):
        with pytest.raises(Invalid) as refused:
            await create_product(unique("U"), ProductDetails(name="X", unit=unit), actor_id=admin.user_id)
        assert refused.value.field == "unit"
    assert await Product.get(sku=place.sku) and (await Product.get(sku=place.sku)).unit == "pcs"


async def test_the_base_unit_changes_only_without_stock_or_packaging(admin: Actor, place: Place) -> None:
    changed = await update_product(place.sku, ProductDetails(unit="dozen"), actor_id=admin.user_id)
    assert changed.unit == "dozen"
    await ledger.receive(place.sku, place.bin_a, "2", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    with pytest.raises(Invalid) as refused:
        await update_product(place.sku, ProductDetails(unit="pcs"), actor_id=admin.user_id)
    assert refused.value.field == "unit" and "has stock" in refused.value.message
    same = await update_product(place.sku, ProductDetails(unit="DOZEN", name="Renamed"), actor_id=admin.user_id)
    assert same.unit == "dozen" and same.name == "Renamed"  # naming the unit it has is no change
    packed = await product(admin, packagings=[case_of("12")])
    with pytest.raises(Invalid) as refused:
        await update_product(packed.sku, ProductDetails(unit="dozen"), actor_id=admin.user_id)
    assert refused.value.field == "unit" and "packaging levels" in refused.value.message
    assert (await Product.get(id=packed.id)).unit == "pcs"


async def test_units_an_older_version_stored_become_units_of_their_own(admin: Actor) -> None:
    conn = db.connection()
    skus = {unique("OLD"): unit for unit in ("Stück", "box of 10", "Roll", "PCS")}
    for sku, unit in skus.items():
        await sql.execute(
            conn, "INSERT INTO product (sku, name, unit, tracks_lots, is_archived, created_at, updated_at)"
            " VALUES ($1, 'Old', $2, $3, $4, $5, $6)", sku, unit, False, False, now(), now(),
        )  # fmt: skip
    await ensure_default_units()
    units_before, categories_before = await Unit.all().count(), await UnitCategory.all().count()
    await ensure_default_units()  # again: nothing new
    assert (await Unit.all().count(), await UnitCategory.all().count()) == (units_before, categories_before)
    found = {unit: await unit_named(None, unit) for unit in skus.values()}
    assert {unit: row.code if row else None for unit, row in found.items()} == {
        "Stück": "Stück", "box of 10": "box of 10", "Roll": "roll", "PCS": "pcs"
    }  # fmt: skip
    assert found["Stück"] and found["Stück"].category.code.startswith("unit-")  # type: ignore[union-attr]
    assert found["Roll"] and found["Roll"].category.code == "roll"  # type: ignore[union-attr]
    for sku, unit in skus.items():  # each still converts to itself, and PCS is pieces
        row = await Product.get(sku=sku)
        assert await base(row, "2", None) == await base(row, "2", unit) == Decimal("2")
    assert await base(await Product.get(sku=next(s for s, u in skus.items() if u == "PCS")), "1", "dozen") == 12


async def test_a_category_and_its_units(admin: Actor) -> None:
    code = unique("area").lower()
    reference = (unique("m").lower())[:12]
    made = await create_unit_category(code, "Area", reference, "Square metres", actor_id=admin.user_id)
    assert (made.code, made.factor, made.category.code) == (reference, Decimal(1), code)
    tenth = reference[:10] + "-t"
    unit = await create_unit(tenth, "Tenth", code.upper(), "0.1", actor_id=admin.user_id)
    assert unit.factor == Decimal("0.1") and unit.category.code == code  # type: ignore[union-attr]
    row = await product(admin, reference)
    assert await base(row, "25", tenth.upper()) == Decimal("2.5")
    with pytest.raises(AlreadyExists):
        await create_unit(tenth, "Again", code, "0.2", actor_id=admin.user_id)
    with pytest.raises(AlreadyExists):
        await create_unit("kg", "Kilo", code, "1", actor_id=admin.user_id)
    with pytest.raises(AlreadyExists):
        await create_unit_category(code, "Area", "other-ref", actor_id=admin.user_id)
    with pytest.raises(NotFound) as missing:
        await create_unit("nope", "Nope", "no-such-category", "1", actor_id=admin.user_id)
    assert missing.value.field == "category"


async def test_a_pound_converts_exactly_before_it_is_rounded(admin: Actor) -> None:
    code = unique("lb").lower()[:16]
    await create_unit(code, "Pound", "weight", "0.45359237", actor_id=admin.user_id)
    pounds = await product(admin, code)
    assert await base(pounds, "1", "kg") == Decimal("2.2046")  # 1 / 0.45359237 = 2.20462262...
    kilos = await product(admin, "kg")
    assert await base(kilos, "100", code) == Decimal("45.3592")  # 45.359237


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"factor": "0"}, "factor"),
        ({"factor": "-1"}, "factor"),
        ({"factor": "1e3"}, "factor"),
        ({"factor": "0.0000000000000001"}, "factor"),
        ({"factor": 0.001}, "factor"),
        ({"factor": "1" * 30}, "factor"),
        ({"code": "K G"}, "code"),
        ({"code": "kg\x00"}, "code"),
        ({"code": "x" * 17}, "code"),
        ({"name": "\u202e"}, "name"),
        ({"name": "n" * 65}, "name"),
    ],
)
async def test_a_unit_is_checked_before_it_is_made(admin: Actor, change: dict[str, object], field: str) -> None:
    given: dict[str, object] = {"code": unique("u").lower()[:16], "name": "Unit", "category": "weight", "factor": "1"}
    given.update(change)
    before = await Unit.all().count()
    with pytest.raises(Invalid) as refused:
        await create_unit(given["code"], given["name"], given["category"], given["factor"],  # type: ignore[arg-type]
                          actor_id=admin.user_id)  # fmt: skip
    assert refused.value.field == field and await Unit.all().count() == before


async def test_a_category_holds_a_bounded_list_of_units(admin: Actor) -> None:
    code = unique("c").lower()
    await create_unit_category(code, "Crowded", unique("r").lower()[:16], actor_id=admin.user_id)
    for n in range(MAX_UNITS_PER_CATEGORY - 1):
        await create_unit(f"{code[:10]}-{n}", "Unit", code, str(n + 2), actor_id=admin.user_id)
    with pytest.raises(Invalid) as refused:
        await create_unit(f"{code[:10]}-x", "Unit", code, "99", actor_id=admin.user_id)
    assert refused.value.field == "category"


async def test_a_retried_create_answers_the_first_unit(admin: Actor) -> None:
    key, code = str(uuid.uuid4()), unique("r").lower()[:16]
    first = await create_unit(code, "Ream", "count", "500", actor_id=admin.user_id, idempotency_key=key)
    again = await create_unit(code, "Ream", "count", "500", actor_id=admin.user_id, idempotency_key=key)
    assert again.id == first.id and await Unit.filter(code=code).count() == 1
