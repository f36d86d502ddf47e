"""Units of measure and packaging levels over GraphQL, as a client (and the handheld) sees them."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from biip.checksums import gs1_standard_check_digit

from server.catalog.models import Packaging, Unit
from server.catalog.units import ensure_default_units
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, unique

SET_PACKAGINGS = """
mutation P($input: SetProductPackagingsInput!) {
  setProductPackagings(input: $input) {
    product { sku packagings { code name quantity wholeUnitsOnly barcodes { code kind } } }
    errors { field code message }
  }
}"""
RESOLVE = """
query R($code: String!) {
  resolveBarcode(code: $code) {
    code kind message product { sku name unit tracksLots barcodes { code } } packaging { code quantity } quantity
  }
}"""
CONVERT = """
query C($sku: String!, $quantity: Decimal!, $unit: String) {
  convertQuantity(sku: $sku, quantity: $quantity, unit: $unit) {
    sku quantity unit packaging baseQuantity baseUnit
  }
}"""
PRODUCT_UNITS = """
query U($sku: String!) {
  product(sku: $sku) { unit baseUnit { code name factor category { code referenceUnit } } units { code factor } }
}"""
UNITS = """
query U($category: String, $first: Int) {
  units(category: $category, first: $first) { code name factor category { code name referenceUnit } }
}"""
CATEGORIES = "query C($first: Int) { unitCategories(first: $first) { code name referenceUnit } }"
CREATE_UNIT = """
mutation U($input: CreateUnitInput!) {
  createUnit(input: $input) { unit { code name factor category { code } } errors { field code message } }
}"""
CREATE_CATEGORY = """
mutation C($input: CreateUnitCategoryInput!) {
  createUnitCategory(input: $input) { unit { code factor category { code name referenceUnit } } errors { field code } }
}"""
UPDATE_PRODUCT = """
mutation U($input: UpdateProductInput!) { updateProduct(input: $input) { product { unit } errors { field code } } }"""


@pytest.fixture(scope="module", autouse=True)
async def default_units(settings: Settings) -> None:
    await ensure_default_units()  # server.db.migrate runs it on every start


def gtin(indicator: str = "1") -> str:
    body = indicator + "2" + "".join(random.choice("0123456789") for _ in range(11))
    return body + str(gs1_standard_check_digit(body))


async def set_packagings(
    graphql: GraphQLClient, actor: Actor, sku: str, levels: list[dict[str, Any]]
) -> dict[str, Any]:
    variables = {"input": {"sku": sku, "packagings": levels, "idempotencyKey": str(uuid.uuid4())}}
    return (await graphql.run(SET_PACKAGINGS, variables, token=actor.token))["setProductPackagings"]


async def convert_errors(
    graphql: GraphQLClient, actor: Actor, variables: dict[str, Any]
) -> list[tuple[str, list[str]]]:
    body = (await graphql.post(CONVERT, variables, actor.token)).json()
    assert body.get("data") is None, body
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


async def test_a_case_barcode_answers_the_product_and_twelve_units(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place
) -> None:
    case = gtin()
    levels: list[dict[str, Any]] = [{"code": "inner", "quantity": "6", "wholeUnitsOnly": False},
              {"code": "case", "name": "Case of 12", "quantity": "12", "barcodes": [case]}]  # fmt: skip
    answer = await set_packagings(graphql, admin, place.sku, levels)
    assert answer == {"errors": [], "product": {"sku": place.sku, "packagings": [
        {"code": "INNER", "name": None, "quantity": "6.0000", "wholeUnitsOnly": False, "barcodes": []},
        {"code": "CASE", "name": "Case of 12", "quantity": "12.0000", "wholeUnitsOnly": True,
         "barcodes": [{"code": case, "kind": "gtin"}]},
    ]}}  # fmt: skip
    for code in (case, f"(01){case}", f"https://id.gs1.org/01/{case}"):
        found = (await graphql.run(RESOLVE, {"code": code}, token=viewer.token))["resolveBarcode"]
        assert found["kind"] == "PRODUCT" and found["message"] is None
        assert found["product"] == {"sku": place.sku, "name": "Widget", "unit": "pcs", "tracksLots": False,
                                    "barcodes": []}  # the product's own barcodes, as before  # fmt: skip
        assert found["packaging"] == {"code": "CASE", "quantity": "12.0000"} and found["quantity"] == "12.0000"
    counted = (await graphql.run(RESOLVE, {"code": f"(02){case}(37)10"}, token=viewer.token))["resolveBarcode"]
    assert counted["quantity"] == "120.0000"


async def test_twelve_cases_convert_to_144(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await set_packagings(graphql, admin, place.sku, [{"code": "CASE", "quantity": "12"}])
    converted = await graphql.run(CONVERT, {"sku": place.sku, "quantity": "12", "unit": "Case"}, token=admin.token)
    assert converted["convertQuantity"] == {
        "sku": place.sku, "quantity": "12.0000", "unit": "CASE", "packaging": "CASE", "baseQuantity": "144.0000",
        "baseUnit": "pcs",
    }  # fmt: skip
    dozens = await graphql.run(CONVERT, {"sku": place.sku, "quantity": "1.5", "unit": "DOZEN"}, token=admin.token)
    assert dozens["convertQuantity"]["baseQuantity"] == "18.0000" and dozens["convertQuantity"]["packaging"] is None
    same = await graphql.run(CONVERT, {"sku": place.sku, "quantity": "3"}, token=admin.token)
    assert same["convertQuantity"]["baseQuantity"] == "3.0000" and same["convertQuantity"]["unit"] == "pcs"


async def test_a_whole_unit_pack_refuses_half_a_pack(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await set_packagings(graphql, admin, place.sku, [{"code": "CASE", "quantity": "12"}])
    variables = {"sku": place.sku, "quantity": "0.5", "unit": "CASE"}
    assert await convert_errors(graphql, admin, variables) == [("INVALID", ["quantity"])]


async def test_grams_and_kilograms(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    changed = await graphql.run(UPDATE_PRODUCT, {"input": {"sku": place.sku, "unit": "KG"}}, token=admin.token)
    assert changed["updateProduct"] == {"product": {"unit": "kg"}, "errors": []}
    converted = await graphql.run(CONVERT, {"sku": place.sku, "quantity": "250", "unit": "g"}, token=admin.token)
    assert converted["convertQuantity"]["baseQuantity"] == "0.2500"
    units = (await graphql.run(PRODUCT_UNITS, {"sku": place.sku}, token=admin.token))["product"]
    assert units["baseUnit"] == {"code": "kg", "name": "Kilograms", "factor": "1",
                                 "category": {"code": "weight", "referenceUnit": "kg"}}  # fmt: skip
    assert {"code": "g", "factor": "0.001"} in units["units"] and {"code": "kg", "factor": "1"} in units["units"]
    assert await convert_errors(graphql, admin, {"sku": place.sku, "quantity": "0.04", "unit": "g"}) == [
        ("INVALID", ["quantity"])
    ]  # 0.00004 kg rounds to nothing


async def test_unknown_units_and_units_of_another_category(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    for unit in ("parsec", "kg", "x" * 100_000, "pcs\x00", ""):
        assert await convert_errors(graphql, admin, {"sku": place.sku, "quantity": "1", "unit": unit}) == [
            ("INVALID", ["unit"])
        ]
    refused = await graphql.run(UPDATE_PRODUCT, {"input": {"sku": place.sku, "unit": "parsec"}}, token=admin.token)
    assert refused["updateProduct"] == {"product": None, "errors": [{"field": ["input", "unit"], "code": "INVALID"}]}


async def test_hostile_conversions_answer_errors_not_failures(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    for quantity in ("-1", "0", "1e3", "NaN", "1" * 100_000, "1.00001", "\uff11\uff12", 12, 0.5, True):
        errors = await convert_errors(graphql, admin, {"sku": place.sku, "quantity": quantity, "unit": None})
        assert errors == [("INVALID", ["quantity"])], quantity
    for sku in ("NO-SUCH", "s" * 100_000, "A\x00"):
        assert await convert_errors(graphql, admin, {"sku": sku, "quantity": "1"}) == [("NOT_FOUND", ["sku"])]


async def test_units_and_their_categories(graphql: GraphQLClient, viewer: Actor) -> None:
    categories = (await graphql.run(CATEGORIES, {}, token=viewer.token))["unitCategories"]
    assert categories[:4] == [
        {"code": "count", "name": "Count", "referenceUnit": "pcs"},
        {"code": "weight", "name": "Weight", "referenceUnit": "kg"},
        {"code": "volume", "name": "Volume", "referenceUnit": "l"},
        {"code": "length", "name": "Length", "referenceUnit": "m"},
    ]
    assert len((await graphql.run(CATEGORIES, {"first": 2}, token=viewer.token))["unitCategories"]) == 2
    volume = (await graphql.run(UNITS, {"category": "VOLUME"}, token=viewer.token))["units"]
    assert [(u["code"], u["factor"]) for u in volume][:2] == [("l", "1"), ("ml", "0.001")]
    every = (await graphql.run(UNITS, {}, token=viewer.token))["units"]
    assert {"pcs", "dozen", "kg", "g", "l", "ml", "m", "cm"} <= {u["code"] for u in every}
    for category in ("no-such", "x" * 100_000, "\x00"):
        assert (await graphql.run(UNITS, {"category": category}, token=viewer.token))["units"] == []
    negative = (await graphql.post(UNITS, {"first": -1}, viewer.token)).json()
    assert negative["errors"][0]["extensions"]["code"] == "INVALID"


async def test_making_units(graphql: GraphQLClient, admin: Actor, viewer: Actor) -> None:
    code, reference = unique("area").lower(), unique("sqm").lower()[:16]
    category = {"code": code, "name": "Area", "referenceUnit": reference, "idempotencyKey": str(uuid.uuid4())}
    made = await graphql.run(CREATE_CATEGORY, {"input": category}, token=admin.token)
    shown = {"code": code, "name": "Area", "referenceUnit": reference}
    assert made["createUnitCategory"] == {"errors": [], "unit": {"code": reference, "factor": "1", "category": shown}}
    unit = {"code": unique("ha").lower()[:16], "name": "Hectare", "category": code, "factor": "10000",
            "idempotencyKey": str(uuid.uuid4())}  # fmt: skip
    created = await graphql.run(CREATE_UNIT, {"input": unit}, token=admin.token)
    assert created["createUnit"] == {"errors": [], "unit": {"code": unit["code"], "name": "Hectare",
                                                            "factor": "10000", "category": {"code": code}}}  # fmt: skip
    again = await graphql.run(CREATE_UNIT, {"input": unit}, token=admin.token)  # a retry
    assert again == created and await Unit.filter(code=unit["code"]).count() == 1
    taken = await graphql.run(CREATE_UNIT, {"input": {**unit, "idempotencyKey": None}}, token=admin.token)
    assert taken["createUnit"]["errors"][0]["code"] == "ALREADY_EXISTS"
    forbidden = (await graphql.post(CREATE_UNIT, {"input": {**unit, "code": "x1"}}, viewer.token)).json()
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN" and not await Unit.exists(code="x1")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"factor": "0"}, "factor"),
        ({"factor": 0.001}, "factor"),
        ({"factor": "1e-3"}, "factor"),
        ({"factor": "9" * 100_000}, "factor"),
        ({"code": "k\x00g"}, "code"),
        ({"code": "c" * 100_000}, "code"),
        ({"name": "\u200b"}, "name"),
        ({"category": "no-such"}, "category"),
        ({"category": "\x00" * 1000}, "category"),
    ],
)
async def test_units_are_checked_before_they_are_made(
    graphql: GraphQLClient, admin: Actor, change: dict[str, Any], field: str
) -> None:
    unit = {"code": unique("u").lower()[:16], "name": "U", "category": "count", "factor": "2", **change}
    before = await Unit.all().count()
    answer = (await graphql.run(CREATE_UNIT, {"input": unit}, token=admin.token))["createUnit"]
    assert answer["unit"] is None and [(e["field"], e["code"]) for e in answer["errors"]] in (
        [(["input", field], "INVALID")], [(["input", field], "NOT_FOUND")]
    )  # fmt: skip
    assert await Unit.all().count() == before


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ([{"code": "CASE", "quantity": "abc"}], ["input", "packagings", "0", "quantity"]),
        ([{"code": "CASE", "quantity": "1" * 100_000}], ["input", "packagings", "0", "quantity"]),
        ([{"code": "CASE", "quantity": 12}], ["input", "packagings", "0", "quantity"]),
        ([{"code": "A", "quantity": "1"}, {"code": "\x00", "quantity": "1"}], ["input", "packagings", "1", "code"]),
        ([{"code": "G", "quantity": "1"}], ["input", "packagings", "0", "code"]),  # a unit's code
        (
            [{"code": "CASE", "quantity": "12", "barcodes": ["15901234123455"]}],
            ["input", "packagings", "0", "barcodes"],
        ),
        ([{"code": "CASE", "quantity": "12", "barcodes": ["b" * 100_000]}], ["input", "packagings", "0", "barcodes"]),
        ([{"code": f"L{n}", "quantity": "1"} for n in range(11)], ["input", "packagings"]),
    ],
)
async def test_hostile_packaging_levels_write_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, levels: list[dict[str, Any]], field: list[str]
) -> None:
    answer = await set_packagings(graphql, admin, place.sku, levels)
    assert answer["product"] is None and [(e["field"], e["code"]) for e in answer["errors"]] == [(field, "INVALID")]
    assert not await Packaging.filter(product__sku=place.sku).exists()


async def test_a_case_barcode_cannot_be_another_products_barcode_or_sku(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    for taken in (place.lot_sku, place.bin_a):
        answer = await set_packagings(
            graphql, admin, place.sku, [{"code": "CASE", "quantity": "12", "barcodes": [taken]}]
        )
        assert [(e["field"], e["code"]) for e in answer["errors"]] == [
            (["input", "packagings", "0", "barcodes"], "ALREADY_EXISTS")
        ]
    anonymous = await graphql.post(SET_PACKAGINGS, {"input": {"sku": place.sku, "packagings": []}})
    assert anonymous.status_code == 401
