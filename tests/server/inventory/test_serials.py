"""Serials over GraphQL: one unit each, never in two places, back from a customer only through a return."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import pytest

from server.catalog.models import Product
from server.catalog.service import ProductDetails, Tracking, create_product, update_product
from server.errors import DomainError
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.stock import stock_levels
from tests.conftest import Actor, GraphQLClient, Place, SQLLog, unique

CREATE_PRODUCT = """
mutation C($input: CreateProductInput!) {
  createProduct(input: $input) { product { sku tracking tracksLots } errors { field code message } } }"""
UPDATE_PRODUCT = """
mutation U($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { sku tracking tracksLots } errors { field code message } } }"""
RECEIVE = """
mutation R($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { lotCode toLocationCode quantity } errors { field code message } } }"""
ISSUE = """
mutation I($input: IssueStockInput!) {
  issueStock(input: $input) { moves { lotCode quantity toLocationCode } errors { field code message } } }"""
ADJUST = """
mutation A($input: AdjustStockInput!) {
  adjustStock(input: $input) { moves { lotCode } errors { field code message } } }"""
CREATE_DOCUMENT = """
mutation C($input: CreateDocumentInput!) {
  createDocument(input: $input) { document { id state } errors { field code message } } }"""
ACT = """
mutation A($input: TransitionDocumentInput!) {
  transitionDocument(input: $input) { document { id state } errors { field code message } } }"""
WHERE = """
query W($code: String!) { resolveBarcode(code: $code) { kind lot { code location { code } } } }"""


async def _mutate(graphql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    data = await graphql.run(query, {"input": input}, token=token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def _serial_product(graphql: GraphQLClient, admin: Actor) -> str:
    sku = unique("SER")
    created = await _mutate(graphql, CREATE_PRODUCT, admin.token, sku=sku, name="Drill", tracking="SERIAL")
    assert created["errors"] == []
    assert created["product"] == {"sku": sku, "tracking": "SERIAL", "tracksLots": True}
    return sku


async def _receive(graphql: GraphQLClient, token: str, sku: str, bin_: str, serial: str, quantity: str = "1"
                   ) -> dict[str, Any]:  # fmt: skip
    return await _mutate(graphql, RECEIVE, token, sku=sku, locationCode=bin_, quantity=quantity, lot=serial,
                         idempotencyKey=str(uuid.uuid4()))  # fmt: skip


def _codes(payload: dict[str, Any]) -> list[tuple[list[str], str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def _ledger_problems(sku: str) -> list[str]:
    """What the ledger check finds about this product (other tests' products are theirs to check)."""
    return [problem for problem in (await check_ledger()).problems if problem.startswith(sku)]


async def _where(graphql: GraphQLClient, token: str, serial: str) -> str | None:
    found = (await graphql.run(WHERE, {"code": serial}, token=token))["resolveBarcode"]
    return found["lot"]["location"]["code"] if found["lot"]["location"] else None


async def test_the_same_serial_received_twice_is_refused(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    sku, serial = await _serial_product(graphql, admin), unique("SN")

    first = await _receive(graphql, admin.token, sku, place.bin_a, serial)
    again = await _receive(graphql, admin.token, sku, place.bin_b, serial)

    assert first["errors"] == [] and first["moves"] == [{"lotCode": serial, "toLocationCode": place.bin_a,
                                                         "quantity": "1.0000"}]  # fmt: skip
    assert _codes(again) == [(["input", "lot"], "SERIAL_IN_STOCK")]
    assert place.bin_a in again["errors"][0]["message"]
    assert await _where(graphql, admin.token, serial) == place.bin_a
    assert [(level.location_code, level.on_hand) for level in await stock_levels(sku=sku)] == [(place.bin_a, 1)]
    assert await _ledger_problems(sku) == []


async def test_receiving_more_than_one_unit_of_a_serial_is_refused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    sku = await _serial_product(graphql, admin)

    for quantity in ("3", "0.5"):
        refused = await _receive(graphql, admin.token, sku, place.bin_a, unique("SN"), quantity)
        assert _codes(refused) == [(["input", "quantity"], "INVALID")]
        assert "one unit" in refused["errors"][0]["message"]
    assert await stock_levels(sku=sku) == []


async def test_a_count_cannot_find_a_serial_that_is_in_stock_elsewhere(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    sku, serial = await _serial_product(graphql, admin), unique("SN")
    await _receive(graphql, admin.token, sku, place.bin_a, serial)

    counted = await _mutate(graphql, ADJUST, admin.token, sku=sku, locationCode=place.bin_b, countedQuantity="1",
                            lot=serial, idempotencyKey=str(uuid.uuid4()))  # fmt: skip

    assert _codes(counted) == [(["input", "lot"], "SERIAL_IN_STOCK")]
    assert await _ledger_problems(sku) == []


async def test_a_serial_sold_comes_back_only_through_a_return(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    sku, serial = await _serial_product(graphql, admin), unique("SN")
    await _receive(graphql, admin.token, sku, place.bin_a, serial)
    sold = await _mutate(graphql, ISSUE, admin.token, sku=sku, locationCode=place.bin_a, quantity="1",
                         idempotencyKey=str(uuid.uuid4()))  # fmt: skip
    assert sold["errors"] == [] and [m["lotCode"] for m in sold["moves"]] == [serial]
    assert await _where(graphql, admin.token, serial) == "VIRTUAL/CUSTOMER"

    received = await _receive(graphql, admin.token, sku, place.bin_b, serial)
    assert _codes(received) == [(["input", "lot"], "INVALID")]
    assert "return" in received["errors"][0]["message"]

    line = {"sku": sku, "quantity": "1", "location": place.bin_b, "lot": serial}
    created = await _mutate(graphql, CREATE_DOCUMENT, admin.token, type="stock.inbound", store=store, lines=[line],
                            reason="return")  # fmt: skip
    assert created["errors"] == []
    document = created["document"]
    assert (await _mutate(graphql, ACT, admin.token, id=document["id"], action="confirm"))["errors"] == []
    posted = await _mutate(graphql, ACT, admin.token, id=document["id"], action="post")
    assert posted["errors"] == [] and posted["document"]["state"] == "done"

    assert [(level.location_code, level.on_hand) for level in await stock_levels(sku=sku)] == [(place.bin_b, 1)]
    assert await _where(graphql, admin.token, serial) == place.bin_b
    assert await _ledger_problems(sku) == []


async def test_a_return_of_a_serial_still_in_stock_is_refused_on_its_line(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    sku, serial = await _serial_product(graphql, admin), unique("SN")
    await _receive(graphql, admin.token, sku, place.bin_a, serial)
    line = {"sku": sku, "quantity": "1", "location": place.bin_b, "lot": serial}
    document = (await _mutate(graphql, CREATE_DOCUMENT, admin.token, type="stock.inbound", store=store,
                              lines=[line], reason="return"))["document"]  # fmt: skip
    await _mutate(graphql, ACT, admin.token, id=document["id"], action="confirm")

    posted = await _mutate(graphql, ACT, admin.token, id=document["id"], action="post")

    assert _codes(posted) == [(["input", "lines", "0", "lot"], "SERIAL_IN_STOCK")]
    assert await _ledger_problems(sku) == []


async def test_tracking_changes_only_without_stock(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    sku = await _serial_product(graphql, admin)
    await _receive(graphql, admin.token, sku, place.bin_a, unique("SN"))

    to_lots = await _mutate(graphql, UPDATE_PRODUCT, admin.token, sku=sku, tracking="LOT")
    contradicting = await _mutate(graphql, UPDATE_PRODUCT, admin.token, sku=sku, tracking="SERIAL", tracksLots=False)
    plain = unique("PLAIN")
    await _mutate(graphql, CREATE_PRODUCT, admin.token, sku=plain, name="Plain")
    to_serial = await _mutate(graphql, UPDATE_PRODUCT, admin.token, sku=plain, tracking="SERIAL")
    back_off = await _mutate(graphql, UPDATE_PRODUCT, admin.token, sku=plain, tracksLots=False)

    assert _codes(to_lots) == [(["input", "tracking"], "INVALID")]
    assert _codes(contradicting) == [(["input", "tracksLots"], "INVALID")]
    assert to_serial["product"] == {"sku": plain, "tracking": "SERIAL", "tracksLots": True}
    assert back_off["product"] == {"sku": plain, "tracking": "NONE", "tracksLots": False}


async def test_an_unknown_tracking_is_a_graphql_error_not_a_crash(graphql: GraphQLClient, admin: Actor) -> None:
    response = await graphql.post(CREATE_PRODUCT, {"input": {"sku": unique("X"), "name": "x", "tracking": "BATCH"}},
                                  admin.token)  # fmt: skip

    assert response.status_code == 200 and "errors" in response.json()


async def _received_or_refused(sku: str, bin_: str, serial: str, actor_id: int, quantity: str = "1") -> str:
    receipt = ledger.receive(sku, bin_, quantity, lot=serial, actor_id=actor_id, idempotency_key=str(uuid.uuid4()))
    return await _done_or_refused(receipt)


@pytest.mark.postgres
async def test_concurrent_receipts_of_one_serial_give_exactly_one(
    graphql: GraphQLClient, admin: Actor, place: Place, sql_log: SQLLog
) -> None:
    sku = await _serial_product(graphql, admin)
    for _ in range(15):
        serial = unique("SN")
        outcomes = await asyncio.gather(*(
            _received_or_refused(sku, bin_, serial, admin.user_id) for bin_ in (place.bin_a, place.bin_b) * 3
        ))  # fmt: skip
        assert sorted(outcomes) == ["OK", *["SERIAL_IN_STOCK"] * 5]
    levels = await stock_levels(sku=sku)
    assert sum((level.on_hand for level in levels), Decimal(0)) == 15
    assert any(s.startswith("SELECT id, (SELECT code FROM location") and "FOR UPDATE" in s for s in sql_log.statements)
    assert await _ledger_problems(sku) == []


@pytest.mark.postgres
async def test_turning_serial_tracking_on_during_receipts_leaves_no_serial_of_two(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    for _ in range(10):
        sku = unique("RACE")
        await create_product(sku, ProductDetails(name="Race", tracks_lots=True), actor_id=admin.user_id)
        work: list[Awaitable[str]] = [
            _received_or_refused(sku, place.bin_a, unique("L"), admin.user_id, quantity="2") for _ in range(8)
        ]
        change = update_product(sku, ProductDetails(tracking=Tracking.SERIAL), actor_id=admin.user_id)
        work.insert(4, _done_or_refused(change))
        await asyncio.gather(*work)
        product = await Product.get(sku=sku)
        levels = await stock_levels(sku=sku)
        if product.tracks_serials:  # the change won: no stock then, and every receipt of 2 after it was refused
            assert levels == []
        else:
            assert levels and all(level.on_hand == 2 for level in levels)
        assert await _ledger_problems(sku) == []


async def _done_or_refused(action: Awaitable[object]) -> str:
    try:
        await action
    except DomainError as error:
        return error.code.value
    return "OK"
