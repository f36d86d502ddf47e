"""Transfers over GraphQL: bin to bin in one warehouse, and between warehouses through transit (ship,
receive in parts, close with loss), valued the same at every step."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from server.documents.models import Document
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import VIRTUAL_LOCATIONS, create_location, create_warehouse
from server.inventory.models import LocationKind, StockMove
from tests.conftest import Actor, GraphQLClient, Place, unique

TRANSIT = VIRTUAL_LOCATIONS[LocationKind.TRANSIT][0]
LOSS = VIRTUAL_LOCATIONS[LocationKind.INVENTORY_LOSS][0]
ERRORS = "errors { field code message }"
DOCUMENT = "document { id state number version actions lines { position sku location toLocation lot } }"
CREATE = f"""mutation C($input: CreateDocumentInput!) {{ createDocument(input: $input) {{ {DOCUMENT} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ {DOCUMENT} {ERRORS} }} }}"""
SHIP = f"""mutation S($input: ShipTransferInput!) {{ shipTransfer(input: $input) {{ {DOCUMENT} {ERRORS} }} }}"""
RECEIVE = f"""mutation R($input: ReceiveTransferInput!) {{
  receiveTransfer(input: $input) {{ {DOCUMENT} {ERRORS} }} }}"""
CLOSE = f"""mutation X($input: CloseTransferInput!) {{ closeTransfer(input: $input) {{ {DOCUMENT} {ERRORS} }} }}"""
PROGRESS = """query P($id: ID!) {
  transferLines(id: $id) { position sku fromLocation toLocation lot quantity shipped received lost onTheWay } }"""
LEVELS = """query L($sku: String!) {
  stockLevels(sku: $sku, first: 50) { edges { node { locationCode lotCode onHand available } } } }"""
VALUE = """query W($sku: String!) { stockValue(sku: $sku) { quantity value } }"""
AVAILABLE = """query V($sku: String!) { availability(sku: $sku) { available } }"""
RECEIVE_STOCK = """mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { errors { code } } }"""


@pytest.fixture
async def far_bin(admin: Actor) -> str:
    """A bin in a warehouse of its own, for transfers between warehouses."""
    warehouse, code = unique("FAR"), unique("FARBIN")
    await create_warehouse(warehouse, "Far away", actor_id=admin.user_id)
    await create_location(warehouse, code, code, actor_id=admin.user_id)
    return code


async def _call(graphql: GraphQLClient, query: str, name: str, token: str, **input: Any) -> dict[str, Any]:
    return (await graphql.run(query, {"input": input}, token=token))[name]  # type: ignore[no-any-return]


async def _ok(graphql: GraphQLClient, query: str, name: str, token: str, **input: Any) -> dict[str, Any]:
    payload = await _call(graphql, query, name, token, **input)
    assert payload["errors"] == [], payload
    assert (await check_ledger()).ok, (await check_ledger()).problems
    return payload["document"]  # type: ignore[no-any-return]


async def _confirmed(graphql: GraphQLClient, token: str, store: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    draft = await _ok(graphql, CREATE, "createDocument", token, type="stock.transfer", store=store, lines=lines)
    return await _ok(graphql, ACT, "transitionDocument", token, id=draft["id"], action="confirm")


async def _stock(graphql: GraphQLClient, token: str, sku: str) -> dict[str, str]:
    edges = (await graphql.run(LEVELS, {"sku": sku}, token=token))["stockLevels"]["edges"]
    return {edge["node"]["locationCode"]: edge["node"]["onHand"] for edge in edges}


async def _progress(graphql: GraphQLClient, token: str, document: dict[str, Any]) -> list[dict[str, Any]]:
    return (await graphql.run(PROGRESS, {"id": document["id"]}, token=token))["transferLines"]  # type: ignore[no-any-return]


async def _receive_stock(place: Place, admin: Actor, sku: str, bin_code: str, quantity: str, **extra: Any) -> None:
    await ledger.receive(sku, bin_code, quantity, actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()), **extra)


def _key() -> str:
    return str(uuid.uuid4())


async def test_a_transfer_within_a_warehouse_moves_every_line_when_it_is_posted(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await _receive_stock(place, admin, place.sku, place.bin_a, "5")
    await _receive_stock(place, admin, place.lot_sku, place.bin_a, "3", lot="L1")
    transfer = await _confirmed(graphql, admin.token, store, [
        {"sku": place.sku, "quantity": "5", "location": place.bin_a, "toLocation": place.bin_b.lower()},
        {"sku": place.lot_sku, "quantity": "2", "location": place.bin_a, "toLocation": place.bin_b, "lot": "l1"},
    ])  # fmt: skip
    assert transfer["lines"][0]["toLocation"] == place.bin_b
    assert transfer["actions"] == ["reopen", "post", "cancel", "ship"]

    staying = await _call(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    assert {(e["field"][-1], e["code"]) for e in staying["errors"]} == {("toLocation", "INVALID")}
    assert "post the transfer" in staying["errors"][0]["message"]

    done = await _ok(graphql, ACT, "transitionDocument", admin.token, id=transfer["id"], action="post")
    assert done["state"] == "done" and done["number"].startswith(f"TR-{store}-")
    assert await _stock(graphql, admin.token, place.sku) == {place.bin_b: "5.0000"}
    assert await _stock(graphql, admin.token, place.lot_sku) == {place.bin_a: "1.0000", place.bin_b: "2.0000"}
    progress = await _progress(graphql, admin.token, done)
    assert [(p["shipped"], p["received"], p["onTheWay"]) for p in progress] == [
        ("5.0000", "5.0000", "0.0000"), ("2.0000", "2.0000", "0.0000")
    ]  # fmt: skip


async def test_a_transfer_between_warehouses_is_shipped_received_in_parts_and_closed_with_its_loss(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    await _receive_stock(place, admin, place.sku, place.bin_a, "10")
    transfer = await _confirmed(
        graphql,
        admin.token,
        store,
        [{"sku": place.sku, "quantity": "10", "location": place.bin_a, "toLocation": far_bin}],
    )
    posted = await _call(graphql, ACT, "transitionDocument", admin.token, id=transfer["id"], action="post")
    assert posted["errors"][0]["field"] == ["input", "lines", "0", "toLocation"]
    assert "ship the transfer" in posted["errors"][0]["message"]
    generic = await _call(graphql, ACT, "transitionDocument", admin.token, id=transfer["id"], action="ship")
    assert generic["errors"][0]["code"] == "ILLEGAL_TRANSITION"

    shipped = await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"], version=transfer["version"])
    assert shipped["state"] == "in_transit" and shipped["number"] is not None
    assert shipped["actions"] == ["receive", "close"]
    assert await _stock(graphql, admin.token, place.sku) == {TRANSIT: "10.0000"}

    first = await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                      lines=[{"position": 1, "quantity": "4"}])  # fmt: skip
    assert first["state"] == "in_transit"
    assert await _stock(graphql, admin.token, place.sku) == {TRANSIT: "6.0000", far_bin: "4.0000"}
    await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
              lines=[{"position": 1, "quantity": "3"}])  # fmt: skip

    too_many = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                           lines=[{"position": 1, "quantity": "3.5"}])  # fmt: skip
    assert too_many["document"] is None
    assert too_many["errors"] == [{"field": ["input", "lines", "0", "quantity"], "code": "INVALID",
                                   "message": "Line 1 has 3 still on the way: 3.5 cannot arrive."}]  # fmt: skip
    no_reason = await _call(graphql, CLOSE, "closeTransfer", admin.token, id=transfer["id"])
    assert no_reason["errors"][0]["field"] == ["input", "reason"]

    closed = await _ok(graphql, CLOSE, "closeTransfer", admin.token, id=transfer["id"], reason="Fell off the truck")
    assert closed["state"] == "done" and closed["actions"] == []
    assert await _stock(graphql, admin.token, place.sku) == {far_bin: "7.0000"}
    (line,) = await _progress(graphql, admin.token, closed)
    assert (line["shipped"], line["received"], line["lost"], line["onTheWay"]) == ("10.0000", "7.0000", "3.0000",
                                                                                   "0.0000")  # fmt: skip
    row = await Document.get(number=closed["number"])
    lost = await StockMove.filter(document_id=row.id, to_location__code=LOSS)
    assert [(m.quantity, m.reason, m.kind) for m in lost] == [(Decimal(3), "Fell off the truck", "adjust")]
    late = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                       lines=[{"position": 1, "quantity": "1"}])  # fmt: skip
    assert late["errors"][0]["code"] == "ILLEGAL_TRANSITION"


async def test_the_receipt_that_brings_the_last_unit_closes_the_transfer_without_a_reason(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    await _receive_stock(place, admin, place.sku, place.bin_a, "2")
    await _receive_stock(place, admin, place.sku, place.bin_b, "3")
    transfer = await _confirmed(graphql, admin.token, store, [
        {"sku": place.sku, "quantity": "2", "location": place.bin_a, "toLocation": far_bin},
        {"sku": place.sku, "quantity": "3", "location": place.bin_b, "toLocation": far_bin},
    ])  # fmt: skip
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    done = await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                     lines=[{"position": 2, "quantity": "3"}, {"position": 1, "quantity": "2"}])  # fmt: skip
    assert done["state"] == "done"
    assert await _stock(graphql, admin.token, place.sku) == {far_bin: "5.0000"}
    document_id = (await Document.get(number=done["number"])).id
    assert await StockMove.filter(document_id=document_id, to_location__code=LOSS).count() == 0


async def test_a_retried_receipt_replays_its_first_answer_and_never_books_twice(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    await _receive_stock(place, admin, place.sku, place.bin_a, "6")
    transfer = await _confirmed(
        graphql,
        admin.token,
        store,
        [{"sku": place.sku, "quantity": "6", "location": place.bin_a, "toLocation": far_bin}],
    )
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    key = _key()
    first = await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=key,
                      lines=[{"position": 1, "quantity": "4"}])  # fmt: skip
    again = await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=key,
                      lines=[{"position": 1, "quantity": "4"}])  # fmt: skip
    assert again["version"] == first["version"]
    assert await _stock(graphql, admin.token, place.sku) == {TRANSIT: "2.0000", far_bin: "4.0000"}
    other = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=key,
                        lines=[{"position": 1, "quantity": "2"}])  # fmt: skip
    assert other["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    stale = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                        version=transfer["version"], lines=[{"position": 1, "quantity": "1"}])  # fmt: skip
    assert stale["errors"][0]["code"] == "STALE"
    assert await _stock(graphql, admin.token, place.sku) == {TRANSIT: "2.0000", far_bin: "4.0000"}


async def test_lots_travel_with_their_line_and_arrive_in_the_order_they_were_shipped(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    await _receive_stock(place, admin, place.lot_sku, place.bin_a, "2", lot="EARLY", expires_on=_days(30))
    await _receive_stock(place, admin, place.lot_sku, place.bin_a, "5", lot="LATE", expires_on=_days(90))
    transfer = await _confirmed(
        graphql, admin.token, store, [{"sku": place.lot_sku, "quantity": "4", "location": place.bin_a,
                                       "toLocation": far_bin}],  # no lot: the first to expire goes first
    )  # fmt: skip
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
              lines=[{"position": 1, "quantity": "3"}])  # fmt: skip
    edges = (await graphql.run(LEVELS, {"sku": place.lot_sku}, token=admin.token))["stockLevels"]["edges"]
    held = {(e["node"]["locationCode"], e["node"]["lotCode"]): e["node"] for e in edges}
    assert {k: v["onHand"] for k, v in held.items()} == {
        (place.bin_a, "LATE"): "3.0000", (far_bin, "EARLY"): "2.0000", (far_bin, "LATE"): "1.0000",
        (TRANSIT, "LATE"): "1.0000",
    }  # fmt: skip
    sellable = await graphql.run(AVAILABLE, {"sku": place.lot_sku}, token=admin.token)
    assert sellable["availability"]["available"] == "6.0000"  # what is on the road never sells


async def test_a_transfer_of_10_worth_100_keeps_its_value_at_every_step(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    async def worth() -> tuple[str, str]:
        value = (await graphql.run(VALUE, {"sku": place.sku}, token=admin.token))["stockValue"]
        return value["quantity"], value["value"]

    async def lost_value(document_id: int) -> Decimal:
        moves = await StockMove.filter(document_id=document_id, to_location__code=LOSS)
        return sum((Decimal(str(m.value)) for m in moves), Decimal(0))

    bought = {
        "sku": place.sku,
        "locationCode": place.bin_a,
        "quantity": "10",
        "unitCost": "10",
        "idempotencyKey": _key(),
    }
    received = await graphql.run(RECEIVE_STOCK, {"input": bought}, token=admin.token)
    assert received["receiveStock"]["errors"] == []
    assert await worth() == ("10.0000", "100.0000")
    transfer = await _confirmed(graphql, admin.token, store, [
        {"sku": place.sku, "quantity": "10", "location": place.bin_a, "toLocation": far_bin}])  # fmt: skip
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    assert await worth() == ("10.0000", "100.0000")  # all of it in transit
    await _ok(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
              lines=[{"position": 1, "quantity": "7"}])  # fmt: skip
    assert await worth() == ("10.0000", "100.0000")  # 7 in the far bin, 3 on the road
    closed = await _ok(graphql, CLOSE, "closeTransfer", admin.token, id=transfer["id"], reason="Stolen")
    document_id = (await Document.get(number=closed["number"])).id
    assert await worth() == ("7.0000", "70.0000")
    assert await lost_value(document_id) == 30  # the other 30 of the 100: the cost of what was lost
    moves = await StockMove.filter(document_id=document_id).order_by("id")
    assert [(m.quantity, m.unit_cost) for m in moves] == [(Decimal(10), Decimal(10)), (Decimal(7), Decimal(10)),
                                                          (Decimal(3), Decimal(10))]  # fmt: skip


def _days(n: int) -> Any:
    import datetime

    return datetime.date.today() + datetime.timedelta(days=n)


async def test_the_transit_location_is_never_named_in_a_posting_a_count_or_a_document(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    refused = await graphql.run(RECEIVE_STOCK, {"input": {"sku": place.sku, "locationCode": TRANSIT.lower(),
                                                          "quantity": "1", "idempotencyKey": _key()}},
                                token=admin.token)  # fmt: skip
    assert refused["receiveStock"]["errors"] == [{"code": "INVALID"}]
    for mutation in (
        'issueStock(input: {sku: $sku, locationCode: $code, quantity: "1", idempotencyKey: $key})',
        'adjustStock(input: {sku: $sku, locationCode: $code, countedQuantity: "1", idempotencyKey: $key})',
        f'moveStock(input: {{sku: $sku, fromLocationCode: $code, toLocationCode: "{place.bin_a}", quantity: "1",'
        " idempotencyKey: $key})",
    ):
        query = f"mutation M($sku: String!, $code: String!, $key: String!) {{ {mutation} {{ {ERRORS} }} }}"
        data = await graphql.run(query, {"sku": place.sku, "code": TRANSIT, "key": _key()}, token=admin.token)
        assert next(iter(data.values()))["errors"][0]["code"] == "INVALID", data
    for line in ({"location": TRANSIT, "toLocation": place.bin_a}, {"location": place.bin_a, "toLocation": TRANSIT}):
        payload = await _call(graphql, CREATE, "createDocument", admin.token, type="stock.transfer", store=store,
                              lines=[{"sku": place.sku, "quantity": "1", **line}])  # fmt: skip
        assert payload["errors"][0]["code"] == "INVALID" and "cannot hold stock" in payload["errors"][0]["message"]
    assert (await check_ledger()).ok


# A request body is at most 1 MB: half a megabyte is still thousands of times what any column holds.
HOSTILE = ["\x00", "x" * 500_000, "NO-SUCH-BIN", "  ", "VIRTUAL/INVENTORY-LOSS"]


async def test_hostile_transfer_lines_are_refused_with_the_path_of_each(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    lines = [{"sku": place.sku, "quantity": "1", "location": place.bin_a, "toLocation": given} for given in HOSTILE]
    lines.append({"sku": place.sku, "quantity": "1", "location": place.bin_a, "toLocation": place.bin_a.lower()})
    lines.append({"sku": place.sku, "quantity": "1", "location": place.bin_a})
    payload = await _call(graphql, CREATE, "createDocument", admin.token, type="stock.transfer", store=store,
                          lines=lines)  # fmt: skip
    assert payload["document"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        (["input", "lines", str(i), "toLocation"], code)
        for i, code in enumerate(["NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "INVALID", "INVALID", "INVALID", "INVALID"])
    ]
    inbound = await _call(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store, lines=[
        {"sku": place.sku, "quantity": "1", "location": place.bin_a, "toLocation": place.bin_b}])  # fmt: skip
    assert inbound["errors"][0]["field"] == ["input", "lines", "0", "toLocation"]


async def test_hostile_receipts_and_closings_are_refused_before_anything_is_booked(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    await _receive_stock(place, admin, place.sku, place.bin_a, "2")
    transfer = await _confirmed(
        graphql,
        admin.token,
        store,
        [{"sku": place.sku, "quantity": "2", "location": place.bin_a, "toLocation": far_bin}],
    )
    draft_receipt = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"],
                                idempotencyKey=_key(), lines=[{"position": 1, "quantity": "1"}])  # fmt: skip
    assert draft_receipt["errors"][0]["code"] == "ILLEGAL_TRANSITION"  # not shipped yet
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    before = await StockMove.all().count()

    hostile = [
        {"position": 0, "quantity": "1"}, {"position": 2**31 - 1, "quantity": "1"}, {"position": 1, "quantity": "abc"},
        {"position": 1, "quantity": "-1"}, {"position": 1, "quantity": "1e400"}, {"position": 1, "quantity": "0"},
        {"position": -5, "quantity": "\x00"},
    ]  # fmt: skip
    bad = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                      lines=hostile)  # fmt: skip
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        (["input", "lines", "0", "position"], "NOT_FOUND"), (["input", "lines", "1", "position"], "NOT_FOUND"),
        (["input", "lines", "2", "quantity"], "INVALID"), (["input", "lines", "3", "quantity"], "INVALID"),
        (["input", "lines", "4", "quantity"], "INVALID"), (["input", "lines", "5", "quantity"], "INVALID"),
        (["input", "lines", "6", "quantity"], "INVALID"),
    ]  # fmt: skip
    twice = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                        lines=[{"position": 1, "quantity": "1"}, {"position": 1, "quantity": "1"}])  # fmt: skip
    assert twice["errors"][0]["field"] == ["input", "lines", "1", "position"]
    for given in ("", "\x00", "not-a-global-id", "RG9jdW1lbnQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"):
        nowhere = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=given, idempotencyKey=_key(),
                              lines=[{"position": 1, "quantity": "1"}])  # fmt: skip
        assert nowhere["errors"][0]["code"] in ("INVALID", "NOT_FOUND"), nowhere
    for key in ("", "\x00", "k" * 10_000):
        keyed = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=key,
                            lines=[{"position": 1, "quantity": "1"}])  # fmt: skip
        assert keyed["errors"][0]["field"] == ["input", "idempotencyKey"], keyed
    empty = await _call(graphql, RECEIVE, "receiveTransfer", admin.token, id=transfer["id"], idempotencyKey=_key(),
                        lines=[])  # fmt: skip
    assert empty["errors"][0]["field"] == ["input", "lines"]
    for reason in ("\x00", "r" * 500_000, "\u200b"):
        closing = await _call(graphql, CLOSE, "closeTransfer", admin.token, id=transfer["id"], reason=reason)
        assert closing["errors"][0]["field"] == ["input", "reason"], closing
    inbound = await _call(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store,
                          lines=[{"sku": place.sku, "quantity": "1", "location": place.bin_a}])  # fmt: skip
    other = await _call(graphql, SHIP, "shipTransfer", admin.token, id=inbound["document"]["id"])
    assert other["errors"][0]["message"] == "This document is not a transfer."
    assert (await graphql.run(PROGRESS, {"id": inbound["document"]["id"]}, token=admin.token))["transferLines"] is None
    assert await StockMove.all().count() == before
    assert (await check_ledger()).ok


async def test_a_viewer_may_follow_a_transfer_but_not_receive_it(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, store: str, far_bin: str
) -> None:
    await _receive_stock(place, admin, place.sku, place.bin_a, "1")
    transfer = await _confirmed(
        graphql,
        admin.token,
        store,
        [{"sku": place.sku, "quantity": "1", "location": place.bin_a, "toLocation": far_bin}],
    )
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"])
    assert (await _progress(graphql, viewer.token, transfer))[0]["onTheWay"] == "1.0000"
    arrival = {"id": transfer["id"], "idempotencyKey": _key(), "lines": [{"position": 1, "quantity": "1"}]}
    response = await graphql.post(RECEIVE, {"input": arrival}, viewer.token)
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


UPDATE = f"""mutation U($input: UpdateDocumentInput!) {{ updateDocument(input: $input) {{ {DOCUMENT} {ERRORS} }} }}"""


async def test_editing_a_draft_transfer_keeps_where_each_line_goes(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    line = {"sku": place.sku, "quantity": "1", "location": place.bin_a, "toLocation": place.bin_b}
    draft = await _ok(graphql, CREATE, "createDocument", admin.token, type="stock.transfer", store=store, lines=[line])
    noted = await _ok(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=1, notes="Rush")
    assert noted["lines"][0]["toLocation"] == place.bin_b
    moved = await _ok(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=2,
                      lines=[{**line, "toLocation": far_bin}])  # fmt: skip
    assert moved["lines"][0]["toLocation"] == far_bin


async def test_a_serial_on_the_road_cannot_be_received_again_from_a_supplier(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, far_bin: str
) -> None:
    sku, serial = unique("SER"), unique("SN")
    create = "mutation P($input: CreateProductInput!) { createProduct(input: $input) { errors { code } } }"
    assert (await graphql.run(create, {"input": {"sku": sku, "name": "Drill", "tracking": "SERIAL"}},
                              token=admin.token))["createProduct"]["errors"] == []  # fmt: skip
    await _receive_stock(place, admin, sku, place.bin_a, "1", lot=serial)
    transfer = await _confirmed(graphql, admin.token, store,
                                [{"sku": sku, "quantity": "1", "location": place.bin_a, "toLocation": far_bin,
                                  "lot": serial}])  # fmt: skip
    await _ok(graphql, SHIP, "shipTransfer", admin.token, id=transfer["id"], version=transfer["version"])

    receipt = {"sku": sku, "locationCode": place.bin_b, "quantity": "1", "lot": serial, "idempotencyKey": _key()}
    again = await graphql.run(RECEIVE_STOCK, {"input": receipt}, token=admin.token)
    assert again["receiveStock"]["errors"] == [{"code": "SERIAL_IN_STOCK"}]
    assert await _stock(graphql, admin.token, sku) == {TRANSIT: "1.0000"}
    assert (await check_ledger()).ok
