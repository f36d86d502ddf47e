"""The lookup flow against a real server, without a window: what a code is, in plain words, in the
chosen warehouse; and what the worker sees while the server is away."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from handheld.logic.capture import GS
from handheld.logic.outbox import new_key
from handheld.logic.scan import BAD, GOOD, WARN, ScanFlow, format_quantity
from handheld.logic.store import DeviceStore
from tests.handheld.conftest import Handheld, new_session

if TYPE_CHECKING:
    from tests.handheld.conftest import BlackHole, DemoProduct, DemoServer, RestartableServer

CREATE_WAREHOUSE = """
mutation W($input: CreateWarehouseInput!) { createWarehouse(input: $input) { warehouse { code } errors { code } } }
"""
CREATE_LOCATION = """
mutation CreateLocation($input: CreateLocationInput!) {
  createLocation(input: $input) { location { code } errors { field code message } }
}
"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { moves { sku } errors { code message } } }
"""
SCANS = "query L($device: String) { scans(device: $device, last: 10) { edges { node { code username } } } }"
EMPTY_BIN = {"warehouseCode": "WH1", "code": "WH1-HH-99", "name": "Handheld test bin"}


@pytest.fixture
def flow(handheld: Handheld) -> ScanFlow:
    return ScanFlow(handheld.courier, warehouse="WH1", device="hh-scan-tests", cache=handheld.cache)


def _gtin_with_wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def _other_warehouse_with(handheld: Handheld, sku: str) -> str:
    """A second warehouse with a bin holding 5 of ``sku``; its bin code."""
    code = f"WX-{uuid.uuid4().hex[:6]}".upper()
    client = handheld.session.client
    client.execute(CREATE_WAREHOUSE, {"input": {"code": code, "name": "Elsewhere"}})
    client.execute(CREATE_LOCATION, {"input": {"warehouseCode": code, "code": f"{code}-01", "name": "Far bin"}})
    receipt = {"sku": sku, "locationCode": f"{code}-01", "quantity": "5", "idempotencyKey": new_key()}
    assert client.execute(RECEIVE, {"input": receipt})["receiveStock"]["errors"] == []
    return f"{code}-01"


def test_a_product_barcode_shows_the_product_and_its_stock_per_location(
    flow: ScanFlow, stocked_product: DemoProduct
) -> None:
    result = flow.scan(stocked_product.barcode)

    assert (result.kind, result.ok, result.title, result.feedback) == ("PRODUCT", True, stocked_product.sku, GOOD)
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
        if level["locationCode"].startswith("WH1")
    )
    assert shown == expected
    assert result.big_number == format_quantity(sum((row.available for row in result.rows), Decimal(0)))
    assert result.summary().startswith(f"PRODUCT {stocked_product.sku} {result.subtitle} ({len(result.rows)} row")


def test_stock_is_shown_for_the_chosen_warehouse_only(
    flow: ScanFlow, handheld: Handheld, stocked_product: DemoProduct
) -> None:
    far_bin = _other_warehouse_with(handheld, stocked_product.sku)

    result = flow.scan(stocked_product.barcode)

    assert far_bin not in {row.place for row in result.rows}
    assert {row.place for row in result.rows} and all(row.place.startswith("WH1") for row in result.rows)


def test_a_bin_of_another_warehouse_is_shown_with_a_warning(
    flow: ScanFlow, handheld: Handheld, stocked_product: DemoProduct
) -> None:
    far_bin = _other_warehouse_with(handheld, stocked_product.sku)

    result = flow.scan(far_bin)

    assert (result.kind, result.feedback) == ("LOCATION", WARN)
    assert f"in warehouse {far_bin.rsplit('-', 1)[0]}; you are working in WH1" in result.message


def test_the_scanners_line_ending_is_not_part_of_the_code(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    result = flow.scan(f"  {stocked_product.barcode}\r\n")

    assert (result.kind, result.title, result.code) == ("PRODUCT", stocked_product.sku, stocked_product.barcode)


def test_lower_case_bin_codes_and_skus_are_found(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    bin_code = stocked_product.stock[0]["locationCode"]

    by_bin = flow.scan(bin_code.lower())
    by_sku = flow.scan(stocked_product.sku.lower())

    assert (by_bin.kind, by_bin.title) == ("LOCATION", bin_code)
    assert (by_sku.kind, by_sku.title) == ("PRODUCT", stocked_product.sku)


def test_a_location_code_shows_what_is_stored_there(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    bin_code = stocked_product.stock[0]["locationCode"]

    result = flow.scan(bin_code)

    assert (result.kind, result.title, result.place_heading) == ("LOCATION", bin_code, "SKU")
    assert (stocked_product.sku, "") in {(row.place, row.place_detail) for row in result.rows}
    assert result.summary().startswith(f"LOCATION {bin_code}")


def test_a_location_without_stock_says_so(flow: ScanFlow, handheld: Handheld) -> None:
    created = handheld.session.client.execute(CREATE_LOCATION, {"input": EMPTY_BIN})["createLocation"]
    assert created["errors"] == [] or created["errors"][0]["code"] == "ALREADY_EXISTS"

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
    assert dict(result.details)["Expires"] == (level["expiresOn"] or "never")
    assert [(row.place, row.lot) for row in result.rows] == [(level["locationCode"], level["lotCode"])]


def test_a_gs1_code_with_gtin_and_lot_resolves_to_the_lot(flow: ScanFlow, demo_products: list[DemoProduct]) -> None:
    product, level = next((p, s) for p in demo_products for s in p.stock if s["lotCode"])
    gs1 = "01" + product.barcode.zfill(14) + "10" + level["lotCode"]

    result = flow.scan(gs1)

    assert (result.kind, result.title, result.subtitle) == ("LOT", level["lotCode"], product.sku)
    shown = dict(result.details)
    assert any(label.startswith("(01)") for label in shown)
    assert level["lotCode"] in shown.values()


def test_the_group_separator_keeps_the_lot_apart_from_what_follows(
    flow: ScanFlow, stocked_product: DemoProduct
) -> None:
    code = f"01{stocked_product.barcode.zfill(14)}10LOT42{GS}172712313012"

    result = flow.scan(code)

    shown = {label.split(")")[0].lstrip("("): value for label, value in result.details if label.startswith("(")}
    assert (shown["10"], shown["17"], shown["30"]) == ("LOT42", "271231", "12")
    assert result.echo == f"01{stocked_product.barcode.zfill(14)}10LOT42<GS>172712313012"


def test_an_unknown_code_says_nothing_is_known_by_it(flow: ScanFlow) -> None:
    result = flow.scan("NO-SUCH-CODE-4711")

    assert (result.kind, result.ok, result.code, result.title, result.feedback) == (
        "UNKNOWN", False, "NO-SUCH-CODE-4711", "Unknown code", BAD
    )  # fmt: skip
    assert result.message
    assert result.rows == ()
    assert result.summary().startswith("UNKNOWN 'NO-SUCH-CODE-4711': Unknown code: ")


def test_a_gtin_with_a_wrong_check_digit_says_misread_scan_again(flow: ScanFlow, stocked_product: DemoProduct) -> None:
    result = flow.scan(_gtin_with_wrong_check_digit(stocked_product.barcode))

    assert (result.kind, result.ok, result.title, result.feedback) == ("UNKNOWN", False, "Misread: scan again", BAD)
    assert "check digit" in result.message.lower()


def test_an_empty_scan_asks_for_a_barcode_without_calling_the_server(closed_port_url: str) -> None:
    result = ScanFlow(Handheld.on(new_session(server_url=closed_port_url)).courier).scan(" \r\n")

    assert (result.kind, result.ok) == ("EMPTY", False)
    assert result.message == "Nothing was scanned: scan a barcode."


def test_without_a_valid_token_the_scan_asks_to_sign_in_again(server: DemoServer) -> None:
    handheld = Handheld.signed_in(server.url)
    handheld.session.client.token = "not-a-valid-token"

    result = ScanFlow(handheld.courier).scan("ANY-CODE")

    assert (result.kind, result.signed_out) == ("ERROR", True)
    assert result.message.startswith("Your session has ended: sign in again.")


@pytest.mark.parametrize(
    ("text", "shown"), [("12.0000", "12"), ("1.5000", "1.5"), ("0.0000", "0"), ("-2.2500", "-2.25"), ("100", "100")]
)
def test_quantities_are_shown_without_trailing_zeros(text: str, shown: str) -> None:
    assert format_quantity(Decimal(text)) == shown


def test_every_scan_lands_in_the_servers_scan_log_with_the_device(
    handheld: Handheld, stocked_product: DemoProduct, server: DemoServer
) -> None:
    ScanFlow(handheld.courier, device="hh-test-7").scan(stocked_product.barcode + "\r\n")

    log = handheld.session.client.execute(SCANS, {"device": "hh-test-7"})
    assert [edge["node"] for edge in log["scans"]["edges"]] == [
        {"code": stocked_product.barcode, "username": server.username}
    ]


def test_offline_a_scan_shows_the_last_answer_marked_old_and_is_sent_when_the_server_is_back(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    flow = ScanFlow(handheld.courier, warehouse="WH1", device="hh-offline", cache=handheld.cache)
    assert flow.scan("WH1-A-01").kind == "LOCATION"

    with restartable.stopped():
        old = flow.scan("wh1-a-01")  # codes are case-free, in the device's memory too
        never_seen = flow.scan("MUG-WHITE")

    assert (old.kind, old.title, old.feedback, old.kept) == ("LOCATION", "WH1-A-01", WARN, True)
    assert old.as_of and "No connection: this is what the server said at" in old.message
    assert (never_seen.kind, never_seen.title, never_seen.feedback, never_seen.kept) == (
        "ERROR", "No connection", WARN, True
    )  # fmt: skip
    assert handheld.courier.probe()
    sent = handheld.courier.drain()
    assert [(d.state, d.entry.scan_code) for d in sent] == [("sent", "wh1-a-01"), ("sent", "MUG-WHITE")]
    log = handheld.session.client.execute(SCANS, {"device": "hh-offline"})["scans"]["edges"]
    assert [edge["node"]["code"] for edge in log] == ["WH1-A-01", "wh1-a-01", "MUG-WHITE"]


def test_a_server_that_never_answers_costs_one_timeout_not_one_per_scan(
    black_hole: BlackHole,
) -> None:
    store = DeviceStore.memory()
    for name, value in (("server_url", black_hole.url), ("username", "demo"), ("token", "t"), ("warehouse", "WH1")):
        store.put(name, value)
    session = new_session(store, read_timeout=0.3, connect_timeout=0.3)
    assert session.resume().offline, "the restart itself finds the server silent"
    handheld = Handheld.on(session)
    flow = ScanFlow(handheld.courier, warehouse="WH1", cache=handheld.cache)

    results = [flow.scan(code) for code in ("4006381333931", "WH1-A-01", "96385074")]

    assert [(r.title, r.feedback, r.kept) for r in results] == [("No connection", WARN, True)] * 3
    assert len(black_hole.connections) == 2, "one for the restart, one for the first scan; then none"
    assert [entry.scan_code for entry in handheld.outbox.entries()] == ["4006381333931", "WH1-A-01", "96385074"]
