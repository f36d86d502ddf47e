"""Lot dates over GraphQL: kept as first received, read from GS1 labels, and a lot past its removal date
taken by name only with the permission stock.take_expired."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from server.inventory.check import check_ledger
from server.inventory.stock import stock_levels
from tests.conftest import Actor, GraphQLClient, Place, make_actor, unique
from tests.schema.test_resolve_gs1 import _gtin13

CREATE_PRODUCT = """
mutation C($input: CreateProductInput!) { createProduct(input: $input) { product { sku } errors { code message } } }"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { lotCode } errors { field code message } } }"""
ISSUE = """
mutation I($input: IssueStockInput!) {
  issueStock(input: $input) { moves { lotCode } errors { field code message } } }"""
MOVE = """
mutation M($input: MoveStockInput!) { moveStock(input: $input) { moves { lotCode } errors { field code message } } }"""
CREATE_DOCUMENT = """
mutation C($input: CreateDocumentInput!) {
  createDocument(input: $input) { document { id } errors { field code message } } }"""
ACT = """
mutation A($input: TransitionDocumentInput!) {
  transitionDocument(input: $input) { document { state } errors { field code message } } }"""
RESOLVE = """
query R($code: String!) {
  resolveBarcode(code: $code) {
    kind lotCode serial expiresOn bestBeforeOn product { sku }
    lot { code expiresOn bestBeforeOn removalOn alertOn }
  }
}"""

TODAY = datetime.date.today()
YESTERDAY = (TODAY - datetime.timedelta(days=1)).isoformat()
NEXT_YEAR = (TODAY + datetime.timedelta(days=365)).isoformat()


async def _mutate(graphql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    data = await graphql.run(query, {"input": input}, token=token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def _receive(graphql: GraphQLClient, token: str, sku: str, bin_: str, **more: Any) -> dict[str, Any]:
    return await _mutate(graphql, RECEIVE, token, sku=sku, locationCode=bin_, idempotencyKey=str(uuid.uuid4()),
                         **{"quantity": "5", **more})  # fmt: skip


async def _resolve(graphql: GraphQLClient, token: str, code: str) -> dict[str, Any]:
    return (await graphql.run(RESOLVE, {"code": code}, token=token))["resolveBarcode"]  # type: ignore[no-any-return]


def _codes(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def _ledger_problems(sku: str) -> list[str]:
    return [problem for problem in (await check_ledger()).problems if problem.startswith(sku)]


async def test_a_lot_keeps_the_dates_it_came_with_and_removal_defaults_to_expiry(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    lot = unique("L")
    first = await _receive(graphql, admin.token, place.lot_sku, place.bin_a, lot=lot, expiresOn="2031-12-31",
                           bestBeforeOn="2031-11-30", alertOn="2031-10-31")  # fmt: skip
    same = await _receive(graphql, admin.token, place.lot_sku, place.bin_b, lot=lot, bestBeforeOn="2031-11-30")
    other = await _receive(graphql, admin.token, place.lot_sku, place.bin_b, lot=lot, bestBeforeOn="2031-12-01")

    assert first["errors"] == [] and same["errors"] == []
    assert _codes(other) == [(["input", "bestBeforeOn"], "INVALID")]
    assert "2031-11-30" in other["errors"][0]["message"]
    found = await _resolve(graphql, admin.token, lot)
    assert found["lot"] == {"code": lot, "expiresOn": "2031-12-31", "bestBeforeOn": "2031-11-30",
                            "removalOn": "2031-12-31", "alertOn": "2031-10-31"}  # fmt: skip
    assert await _ledger_problems(place.lot_sku) == []


@pytest.mark.parametrize("field", ["bestBeforeOn", "removalOn", "alertOn"])
async def test_a_lot_date_without_a_lot_is_refused(
    graphql: GraphQLClient, admin: Actor, place: Place, field: str
) -> None:
    refused = await _receive(graphql, admin.token, place.sku, place.bin_a, **{field: "2031-01-01"})

    assert _codes(refused) == [(["input", field], "INVALID")]


async def test_hostile_lot_dates_are_graphql_errors_not_crashes(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    for value in ("31/12/2031", "2031-02-30", "\x00", "9" * 100):
        receipt = {"sku": place.lot_sku, "locationCode": place.bin_a, "quantity": "1", "lot": "L1",
                   "idempotencyKey": str(uuid.uuid4()), "removalOn": value}  # fmt: skip
        response = await graphql.post(RECEIVE, {"input": receipt}, admin.token)
        assert response.status_code == 200 and response.json()["errors"]


async def test_a_gs1_label_fills_lot_serial_and_dates(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    gtin, lot_sku, serial_sku = _gtin13(), unique("GS1L"), unique("GS1S")
    serial_gtin = _gtin13()
    for sku, code, tracking in ((lot_sku, gtin, "LOT"), (serial_sku, serial_gtin, "SERIAL")):
        created = await _mutate(graphql, CREATE_PRODUCT, admin.token, sku=sku, name="Kit", tracking=tracking,
                                barcodes=[code])  # fmt: skip
        assert created["errors"] == []
    lot, serial = unique("L")[:12], unique("S")[:12]

    new_lot = await _resolve(graphql, admin.token, f"(01)0{gtin}(10){lot}(15)310131(17)310200(21){serial}")
    new_serial = await _resolve(graphql, admin.token, f"(01)0{serial_gtin}(10){lot}(17)310228(21){serial}")

    assert new_lot == {"kind": "PRODUCT", "lotCode": lot, "serial": serial, "expiresOn": "2031-02-28",
                       "bestBeforeOn": "2031-01-31", "product": {"sku": lot_sku}, "lot": None}  # fmt: skip
    assert (new_serial["lotCode"], new_serial["serial"], new_serial["product"]) == (serial, serial, {"sku": serial_sku})

    # what the handheld then sends: the label's lot and dates, as resolved
    received = await _receive(graphql, admin.token, lot_sku, place.bin_a, lot=new_lot["lotCode"],
                              expiresOn=new_lot["expiresOn"], bestBeforeOn=new_lot["bestBeforeOn"])  # fmt: skip
    serial_in = await _receive(graphql, admin.token, serial_sku, place.bin_a, quantity="1",
                               lot=new_serial["lotCode"], expiresOn=new_serial["expiresOn"])  # fmt: skip
    assert received["errors"] == [] and serial_in["errors"] == []

    known = await _resolve(graphql, admin.token, f"(01)0{serial_gtin}(21){serial}")
    assert (known["kind"], known["lot"]["code"], known["lot"]["expiresOn"]) == ("LOT", serial, "2031-02-28")
    assert await _ledger_problems(lot_sku) == [] and await _ledger_problems(serial_sku) == []


async def test_a_gs1_serial_that_is_no_lot_code_resolves_without_one(graphql: GraphQLClient, admin: Actor) -> None:
    found = await _resolve(graphql, admin.token, "(01)04006381333931(21)" + "\u00e9" * 5)

    assert found["serial"] is None and found["lot"] is None


@pytest.fixture
async def expired_lot(graphql: GraphQLClient, admin: Actor, place: Place) -> str:
    """A lot of the place's lot product past its removal date (its expiry still ahead), 10 in bin A."""
    lot = unique("OLD")
    received = await _receive(graphql, admin.token, place.lot_sku, place.bin_a, lot=lot, quantity="10",
                              expiresOn=NEXT_YEAR, removalOn=YESTERDAY)  # fmt: skip
    assert received["errors"] == []
    return lot


async def test_an_expired_lot_named_is_refused_without_the_permission_and_taken_with_it(
    graphql: GraphQLClient, admin: Actor, place: Place, expired_lot: str
) -> None:
    clerk = await make_actor("clerk")
    common = {"sku": place.lot_sku, "quantity": "1", "lot": expired_lot}

    refused_issue = await _mutate(graphql, ISSUE, clerk.token, locationCode=place.bin_a,
                                  idempotencyKey=str(uuid.uuid4()), **common)  # fmt: skip
    refused_move = await _mutate(graphql, MOVE, clerk.token, fromLocationCode=place.bin_a, toLocationCode=place.bin_b,
                                 idempotencyKey=str(uuid.uuid4()), **common)  # fmt: skip
    scrapped = await _mutate(graphql, ISSUE, clerk.token, locationCode=place.bin_a, reason="SCRAP",
                             idempotencyKey=str(uuid.uuid4()), **common)  # fmt: skip
    sold = await _mutate(graphql, ISSUE, admin.token, locationCode=place.bin_a, idempotencyKey=str(uuid.uuid4()),
                         **common)  # fmt: skip

    assert _codes(refused_issue) == [(["input", "lot"], "LOT_EXPIRED")]
    assert "stock.take_expired" in refused_issue["errors"][0]["message"]
    assert _codes(refused_move) == [(["input", "lot"], "LOT_EXPIRED")]
    assert scrapped["errors"] == [] and sold["errors"] == []
    assert [(level.lot_code, level.on_hand) for level in await stock_levels(sku=place.lot_sku)] == [(expired_lot, 8)]
    assert await _ledger_problems(place.lot_sku) == []


async def test_an_outbound_document_naming_an_expired_lot_needs_the_permission(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, expired_lot: str
) -> None:
    clerk = await make_actor("clerk")
    line = {"sku": place.lot_sku, "quantity": "2", "location": place.bin_a, "lot": expired_lot}

    async def post(actor: Actor) -> dict[str, Any]:
        created = await _mutate(graphql, CREATE_DOCUMENT, actor.token, type="stock.outbound", store=store,
                                lines=[line], reason="gift")  # fmt: skip
        document_id = created["document"]["id"]
        await _mutate(graphql, ACT, actor.token, id=document_id, action="confirm")
        return await _mutate(graphql, ACT, actor.token, id=document_id, action="post")

    refused, posted = await post(clerk), await post(admin)

    assert _codes(refused) == [(["input", "lines", "0", "lot"], "LOT_EXPIRED")]
    assert posted["errors"] == [] and posted["document"]["state"] == "done"
    assert [level.on_hand for level in await stock_levels(sku=place.lot_sku)] == [8]
    assert await _ledger_problems(place.lot_sku) == []


async def test_a_goods_in_line_gives_its_new_lot_its_dates(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    lot = unique("DL")
    line = {"sku": place.lot_sku, "quantity": "4", "location": place.bin_a, "lot": lot, "expiresOn": "2032-06-30",
            "bestBeforeOn": "2032-05-31", "alertOn": "2032-04-30"}  # fmt: skip
    created = await _mutate(graphql, CREATE_DOCUMENT, admin.token, type="stock.inbound", store=store, lines=[line],
                            reason="opening")  # fmt: skip
    document_id = created["document"]["id"]
    await _mutate(graphql, ACT, admin.token, id=document_id, action="confirm")
    posted = await _mutate(graphql, ACT, admin.token, id=document_id, action="post")
    no_lot = await _mutate(graphql, CREATE_DOCUMENT, admin.token, type="stock.inbound", store=store, reason="opening",
                           lines=[{"sku": place.sku, "quantity": "1", "location": place.bin_a,
                                   "removalOn": "2032-01-01"}])  # fmt: skip

    assert posted["errors"] == [] and posted["document"]["state"] == "done"
    assert (await _resolve(graphql, admin.token, lot))["lot"] == {
        "code": lot, "expiresOn": "2032-06-30", "bestBeforeOn": "2032-05-31", "removalOn": "2032-06-30",
        "alertOn": "2032-04-30",
    }  # fmt: skip
    assert _codes(no_lot) == [(["input", "lines", "0", "removalOn"], "INVALID")]
    assert await _ledger_problems(place.lot_sku) == []
