"""The scan flow against a real server, without a window."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from handheld.client import GraphQLClient
from handheld.logic.scan import ScanFlow, format_quantity

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoProduct, DemoServer


CREATE_LOCATION = """
mutation CreateLocation($input: CreateLocationInput!) {
  createLocation(input: $input) { location { code } errors { field code message } }
}
"""
EMPTY_BIN = {"warehouseCode": "WH1", "code": "WH1-HH-99", "name": "Handheld test bin"}


@pytest.fixture
def flow(signed_in_client: GraphQLClient) -> ScanFlow:
    return ScanFlow(signed_in_client)


def _gtin_with_wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_a_product_barcode_shows_the_product_and_its_stock_per_location(
    flow: ScanFlow, stocked_product: DemoProduct
) -> None:
    result = flow.scan(stocked_product.barcode)

    assert (result.kind, result.ok, result.title) == ("PRODUCT", True, stocked_product.sku)
    assert result.subtitle, "the product's name"
    shown = sorted((row.place, row.lot, row.on_hand, row.reserved, row.available) for row in result.rows)
    expected = sorted(
        (
            level["locationCode"],
            level["lotCode"] or "",
            Decimal(level["onHand"]),
            Decimal(level["reserved"]),
            Decimal(level["available"]),
        )
        for level in stocked_product.stock
    )
    assert shown == expected
    assert all(row.available == row.on_hand - row.reserved for row in result.rows)
    assert result.summary().startswith(f"PRODUCT {stocked_product.sku} {result.subtitle} ({len(result.rows)} row")


def test_the_scanners_line_ending_is_not_part_of_the_code(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    result = flow.scan(f"  {stocked_product.barcode}\r\n")

    assert (result.kind, result.title, result.code) == ("PRODUCT", stocked_product.sku, stocked_product.barcode)


def test_a_location_code_shows_what_is_stored_there(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    bin_code = stocked_product.stock[0]["locationCode"]

    result = flow.scan(bin_code)

    assert (result.kind, result.title, result.place_heading) == ("LOCATION", bin_code, "SKU")
    assert (stocked_product.sku, "") in {(row.place, row.place_detail) for row in result.rows}
    assert result.summary().startswith(f"LOCATION {bin_code}")


def test_a_location_without_stock_says_so(flow: ScanFlow, signed_in_client: GraphQLClient) -> None:
    created = signed_in_client.execute(CREATE_LOCATION, {"input": EMPTY_BIN})["createLocation"]
    assert created["errors"] == [], created["errors"]

    result = flow.scan(EMPTY_BIN["code"])

    assert (result.kind, result.title, result.subtitle) == ("LOCATION", EMPTY_BIN["code"], EMPTY_BIN["name"])
    assert (result.rows, result.message) == ((), "This location holds no stock.")


def test_a_zone_lists_the_stock_of_its_bins_by_bin(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    bin_code = stocked_product.stock[0]["locationCode"]
    zone = bin_code.rsplit("-", 1)[0]

    result = flow.scan(zone)

    assert result.kind == "LOCATION"
    assert (stocked_product.sku, bin_code) in {(row.place, row.place_detail) for row in result.rows}


def test_a_lot_code_shows_the_lot_its_product_and_where_it_is(flow: ScanFlow, demo_products: list[DemoProduct]) -> None:
    product, level = next((p, s) for p in demo_products for s in p.stock if s["lotCode"])

    result = flow.scan(level["lotCode"])

    assert (result.kind, result.title, result.subtitle) == ("LOT", level["lotCode"], product.sku)
    assert dict(result.details)["Expires"] == (level["expiresOn"] or "no expiry date")
    assert [(row.place, row.lot) for row in result.rows] == [(level["locationCode"], level["lotCode"])]


def test_a_gs1_code_with_gtin_and_lot_resolves_to_the_lot(flow: ScanFlow, demo_products: list[DemoProduct]) -> None:
    product, level = next((p, s) for p in demo_products for s in p.stock if s["lotCode"])
    gs1 = "01" + product.barcode.zfill(14) + "10" + level["lotCode"]

    result = flow.scan(gs1)

    assert (result.kind, result.title, result.subtitle) == ("LOT", level["lotCode"], product.sku)
    shown = dict(result.details)
    assert any(label.startswith("(01)") for label in shown)
    assert level["lotCode"] in shown.values()


def test_an_unknown_code_says_nothing_is_known_by_it(flow: ScanFlow) -> None:
    result = flow.scan("NO-SUCH-CODE-4711")

    assert (result.kind, result.ok, result.code) == ("UNKNOWN", False, "NO-SUCH-CODE-4711")
    assert result.message
    assert result.rows == ()
    assert result.summary() == f"UNKNOWN 'NO-SUCH-CODE-4711': {result.message}"


def test_a_gtin_with_a_wrong_check_digit_is_reported_as_malformed(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    result = flow.scan(_gtin_with_wrong_check_digit(stocked_product.barcode))

    assert (result.kind, result.ok) == ("UNKNOWN", False)
    assert "check digit" in result.message.lower() or "gtin" in result.message.lower()


def test_an_empty_scan_asks_for_a_barcode_without_calling_the_server(closed_port_url: str) -> None:
    with GraphQLClient(closed_port_url, token="unused") as client:
        result = ScanFlow(client).scan(" \r\n")

    assert (result.kind, result.ok) == ("EMPTY", False)
    assert result.message == "Nothing was scanned: scan a barcode."


def test_an_unreachable_server_gives_a_clear_message(closed_port_url: str) -> None:
    with GraphQLClient(closed_port_url, token="some-token") as client:
        result = ScanFlow(client).scan("4006381333931")

    assert (result.kind, result.ok, result.signed_out) == ("ERROR", False, False)
    assert result.message.startswith(f"Cannot reach the server at {closed_port_url}")


def test_without_a_valid_token_the_scan_asks_to_sign_in_again(server: DemoServer) -> None:
    with GraphQLClient(server.url, token="not-a-valid-token") as client:
        result = ScanFlow(client).scan("ANY-CODE")

    assert (result.kind, result.signed_out) == ("ERROR", True)
    assert result.message.startswith("Your session has ended: sign in again.")


@pytest.mark.parametrize(
    ("text", "shown"), [("12.0000", "12"), ("1.5000", "1.5"), ("0.0000", "0"), ("-2.2500", "-2.25"), ("100", "100")]
)
def test_quantities_are_shown_without_trailing_zeros(text: str, shown: str) -> None:
    assert format_quantity(Decimal(text)) == shown


def test_every_scan_lands_in_the_servers_scan_log_with_the_device(
    signed_in_client: GraphQLClient, stocked_product: DemoProduct, server: DemoServer
) -> None:
    ScanFlow(signed_in_client, device="hh-test-7").scan(stocked_product.barcode + "\r\n")

    log = signed_in_client.execute('{ scans(device: "hh-test-7", last: 1) { edges { node { code username } } } }')
    assert [edge["node"] for edge in log["scans"]["edges"]] == [
        {"code": stocked_product.barcode, "username": server.username}
    ]
