"""resolveBarcode and scanBarcode on bracketed GS1 and GS1 Digital Link URLs, as a scanner reads them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import pytest

from tests.conftest import Actor, GraphQLClient, Place, unique

RESOLVE = """
query R($code: String!) {
  resolveBarcode(code: $code) { code kind message expiresOn product { sku } lot { code } gs1 { ai value } }
}"""
SCAN = """
mutation S($input: ScanInput!) { scanBarcode(input: $input) { resolution { kind lot { code } } errors { code } } }
"""
SCANS = "query L($device: String) { scans(device: $device, last: 5) { edges { node { code } } } }"
CREATE_PRODUCT = """
mutation C($input: CreateProductInput!) { createProduct(input: $input) { product { sku } errors { code message } } }"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { lotCode } errors { code message } } }"""


def _gtin13() -> str:
    """A random GTIN-13 with its check digit, in the restricted-circulation range no real product uses."""
    body = "2" + "".join(random.choice("0123456789") for _ in range(11))
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class LotOnShelf:
    sku: str
    gtin: str
    lot: str
    expires_on: str


@pytest.fixture
async def lot_on_shelf(graphql: GraphQLClient, admin: Actor, place: Place) -> LotOnShelf:
    sku, gtin, lot = unique("GS1"), _gtin13(), unique("L")[:12]
    product = {"sku": sku, "name": "Yoghurt", "tracksLots": True, "barcodes": [gtin]}
    created = await graphql.run(CREATE_PRODUCT, {"input": product}, token=admin.token)
    assert created["createProduct"]["errors"] == []
    receipt = {"sku": sku, "locationCode": place.bin_a, "quantity": "6", "lot": lot, "expiresOn": "2031-12-31",
               "idempotencyKey": str(uuid.uuid4())}  # fmt: skip
    received = await graphql.run(RECEIVE, {"input": receipt}, token=admin.token)
    assert received["receiveStock"]["errors"] == []
    return LotOnShelf(sku, gtin, lot, "2031-12-31")


async def _resolve(graphql: GraphQLClient, admin: Actor, code: str) -> dict[str, object]:
    data = await graphql.run(RESOLVE, {"code": code}, token=admin.token)
    return data["resolveBarcode"]


async def test_bracketed_gs1_names_the_lot_with_its_expiry(
    graphql: GraphQLClient, admin: Actor, lot_on_shelf: LotOnShelf
) -> None:
    code = f"(01)0{lot_on_shelf.gtin}(10){lot_on_shelf.lot}(17)311231"

    found = await _resolve(graphql, admin, code)

    assert (found["kind"], found["code"], found["lot"], found["product"]) == (
        "LOT", code, {"code": lot_on_shelf.lot}, {"sku": lot_on_shelf.sku}
    )  # fmt: skip
    assert found["expiresOn"] == lot_on_shelf.expires_on
    assert found["gs1"] == [
        {"ai": "01", "value": "0" + lot_on_shelf.gtin},
        {"ai": "10", "value": lot_on_shelf.lot},
        {"ai": "17", "value": "311231"},
    ]


async def test_bracketed_gs1_as_printed_under_a_barcode_with_spaces_reads_the_same(
    graphql: GraphQLClient, admin: Actor, lot_on_shelf: LotOnShelf
) -> None:
    found = await _resolve(graphql, admin, f"(01) 0{lot_on_shelf.gtin} (10) {lot_on_shelf.lot}")

    assert (found["kind"], found["lot"]) == ("LOT", {"code": lot_on_shelf.lot})


async def test_bracketed_gs1_with_only_a_gtin_names_the_product(
    graphql: GraphQLClient, admin: Actor, lot_on_shelf: LotOnShelf
) -> None:
    found = await _resolve(graphql, admin, f"(01)0{lot_on_shelf.gtin}")

    assert (found["kind"], found["product"]) == ("PRODUCT", {"sku": lot_on_shelf.sku})


async def test_a_digital_link_url_names_the_lot(graphql: GraphQLClient, admin: Actor, lot_on_shelf: LotOnShelf) -> None:
    url = f"https://id.gs1.org/01/0{lot_on_shelf.gtin}/10/{lot_on_shelf.lot}?17=311231"

    found = await _resolve(graphql, admin, url)

    assert (found["kind"], found["code"], found["lot"]) == ("LOT", url, {"code": lot_on_shelf.lot})
    assert found["expiresOn"] == lot_on_shelf.expires_on


async def test_a_digital_link_url_in_a_qr_codes_capitals_on_any_domain_names_the_product(
    graphql: GraphQLClient, admin: Actor, lot_on_shelf: LotOnShelf
) -> None:
    found = await _resolve(graphql, admin, f"HTTPS://SHOP.EXAMPLE.COM/P/01/{lot_on_shelf.gtin}")

    assert (found["kind"], found["product"]) == ("PRODUCT", {"sku": lot_on_shelf.sku})


async def test_a_digital_link_to_a_gtin_with_a_wrong_check_digit_says_why(graphql: GraphQLClient, admin: Actor) -> None:
    gtin = _gtin13()
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)

    found = await _resolve(graphql, admin, f"https://id.gs1.org/01/0{wrong}")

    assert found["kind"] == "UNKNOWN"
    assert "check digit" in str(found["message"]).lower()


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("(01)0400638133393(10)LOT42", "malformed"),
        ("(1)LOT42", "no GS1 application identifier"),
        ("(01)04006381333931(10)", "has no value"),
        ("https://example.com/about", "not a GS1 Digital Link"),
    ],
)
async def test_gs1_in_brackets_or_a_link_that_does_not_hold_gs1_data_says_why(
    graphql: GraphQLClient, admin: Actor, code: str, said: str
) -> None:
    found = await _resolve(graphql, admin, code)

    assert (found["kind"], found["product"], found["lot"]) == ("UNKNOWN", None, None)
    assert said in str(found["message"])


async def test_a_scanned_digital_link_is_logged_as_read(
    graphql: GraphQLClient, admin: Actor, lot_on_shelf: LotOnShelf
) -> None:
    url = f"https://id.gs1.org/01/0{lot_on_shelf.gtin}/10/{lot_on_shelf.lot}"
    device = unique("hh-dl")

    scanned = await graphql.run(SCAN, {"input": {"code": url, "device": device}}, token=admin.token)

    assert scanned["scanBarcode"]["resolution"] == {"kind": "LOT", "lot": {"code": lot_on_shelf.lot}}
    log = await graphql.run(SCANS, {"device": device}, token=admin.token)
    assert [edge["node"]["code"] for edge in log["scans"]["edges"]] == [url]
