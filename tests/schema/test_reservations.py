"""Removal strategies, availability and reservations over GraphQL: what a user reserving, picking or
counting sees, with the ledger and the reservation invariants after every step."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from server.inventory.check import check_ledger
from server.inventory.locations import LocationSettings, create_location, update_location
from server.inventory.reservation_check import check_reservations
from tests.conftest import Actor, GraphQLClient, Place, unique

ERRORS = "errors { field code message }"
RESERVATION = "documentType documentId lineId sku warehouseCode lotCode priority wanted reserved waiting" \
              " held { locationCode lotCode quantity }"  # fmt: skip
RESERVE = f"""mutation R($input: ReserveStockInput!) {{
  reserveStock(input: $input) {{ reservation {{ {RESERVATION} }} replayed {ERRORS} }} }}"""
RELEASE = f"""mutation R($input: ReleaseStockInput!) {{
  releaseStock(input: $input) {{ reservation {{ {RESERVATION} }} replayed {ERRORS} }} }}"""
SHOW = f"""query S($type: String!, $doc: Int!, $line: Int!) {{
  reservation(documentType: $type, documentId: $doc, lineId: $line) {{ {RESERVATION} }} }}"""
OF_DOCUMENT = """query S($type: String!, $doc: Int!) {
  reservations(documentType: $type, documentId: $doc, first: 10) { lineId held(first: 5) { quantity } } }"""
AVAILABILITY = """query A($sku: String!, $warehouse: String) {
  availability(sku: $sku, warehouseCode: $warehouse) {
    sku onHand reserved available
    warehouses { warehouseCode onHand reserved available }
    bins { locationCode lotCode sellable onHand reserved available }
    incoming { documentType documentNumber warehouseCode locationCode quantity expectedOn }
  } }"""
SUGGEST = """query S($sku: String!, $location: String!, $quantity: Decimal!, $lot: String, $near: String) {
  removalSuggestion(sku: $sku, locationCode: $location, quantity: $quantity, lot: $lot, nearLocationCode: $near) {
    strategy short portions { locationCode lotCode quantity } } }"""
SET_STRATEGY = f"""mutation S($input: SetRemovalStrategyInput!) {{
  setRemovalStrategy(input: $input) {{ strategy {ERRORS} }} }}"""
SET_LOCATION_STRATEGY = f"""mutation S($input: SetLocationRemovalStrategyInput!) {{
  setLocationRemovalStrategy(input: $input) {{ strategy {ERRORS} }} }}"""
RECEIVE = f"""mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
ISSUE = f"""mutation I($input: IssueStockInput!) {{
  issueStock(input: $input) {{ moves {{ fromLocationCode lotCode quantity }} {ERRORS} }} }}"""
ADJUST = f"""mutation A($input: AdjustStockInput!) {{ adjustStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
CREATE_DOCUMENT = f"""mutation C($input: CreateDocumentInput!) {{
  createDocument(input: $input) {{ document {{ id number }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state }} {ERRORS} }} }}"""

_lines = iter(range(1, 10**9))


def key() -> str:
    return str(uuid.uuid4())


def new_line() -> dict[str, Any]:
    """A document line of its own: demands are shared by the whole test session."""
    return {"documentType": "sales.order", "documentId": 700_000 + next(_lines), "lineId": next(_lines)}


async def assert_invariants() -> None:
    ledger, reservations = await check_ledger(), await check_reservations()
    assert ledger.ok, ledger.problems
    assert reservations.ok, reservations.problems


async def call(graphql: GraphQLClient, actor: Actor, document: str, name: str, **input: Any) -> dict[str, Any]:
    answer = (await graphql.run(document, {"input": input}, token=actor.token))[name]
    return answer  # type: ignore[no-any-return]


async def receive(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, quantity: str, **extra: Any) -> None:
    done = await call(graphql, actor, RECEIVE, "receiveStock", sku=sku, locationCode=bin_, quantity=quantity,
                      idempotencyKey=key(), **extra)  # fmt: skip
    assert done["errors"] == [], done
    await assert_invariants()


async def reserve(graphql: GraphQLClient, actor: Actor, line: dict[str, Any], sku: str, warehouse: str,
                  quantity: str, **extra: Any) -> dict[str, Any]:  # fmt: skip
    done = await call(graphql, actor, RESERVE, "reserveStock", **line, sku=sku, warehouseCode=warehouse,
                      quantity=quantity, idempotencyKey=key(), **extra)  # fmt: skip
    await assert_invariants()
    return done


async def shown(graphql: GraphQLClient, actor: Actor, line: dict[str, Any]) -> dict[str, Any] | None:
    variables = {"type": line["documentType"], "doc": line["documentId"], "line": line["lineId"]}
    return (await graphql.run(SHOW, variables, token=actor.token))["reservation"]  # type: ignore[no-any-return]


def held(reservation: dict[str, Any] | None) -> dict[str, str]:
    assert reservation is not None
    return {h["locationCode"]: h["quantity"] for h in reservation["held"]}


async def available(graphql: GraphQLClient, actor: Actor, sku: str, warehouse: str | None = None) -> dict[str, Any]:
    answer = await graphql.run(AVAILABILITY, {"sku": sku, "warehouse": warehouse}, token=actor.token)
    return answer["availability"]  # type: ignore[no-any-return]


async def suggest(graphql: GraphQLClient, actor: Actor, sku: str, location: str, quantity: str,
                  **extra: Any) -> dict[str, Any]:  # fmt: skip
    variables = {"sku": sku, "location": location, "quantity": quantity, **extra}
    return (await graphql.run(SUGGEST, variables, token=actor.token))["removalSuggestion"]  # type: ignore[no-any-return]


# ---- reservations ----


async def test_a_reservation_holds_stock_and_the_rest_waits(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "4")
    line = new_line()
    done = await reserve(graphql, admin, line, place.sku, place.warehouse, "6")
    assert done["errors"] == [] and done["replayed"] is False
    reservation = done["reservation"]
    assert (reservation["wanted"], reservation["reserved"], reservation["waiting"]) == ("6.0000", "4.0000", "2.0000")
    assert held(reservation) == {place.bin_a: "4.0000"}
    levels = await available(graphql, admin, place.sku)
    assert (levels["onHand"], levels["reserved"], levels["available"]) == ("4.0000", "4.0000", "0.0000")

    refused = await call(graphql, admin, ISSUE, "issueStock", sku=place.sku, locationCode=place.bin_a, quantity="1",
                         idempotencyKey=key())  # fmt: skip
    assert refused["errors"][0]["code"] == "INSUFFICIENT_STOCK"  # a sale cannot take what is reserved

    await receive(graphql, admin, place.sku, place.bin_b, "5")  # the waiting part is served on arrival
    assert held(await shown(graphql, admin, line)) == {place.bin_a: "4.0000", place.bin_b: "2.0000"}
    levels = await available(graphql, admin, place.sku, place.warehouse)
    assert (levels["onHand"], levels["reserved"], levels["available"]) == ("9.0000", "6.0000", "3.0000")
    assert levels["warehouses"] == [{"warehouseCode": place.warehouse, "onHand": "9.0000", "reserved": "6.0000",
                                     "available": "3.0000"}]  # fmt: skip


async def test_asking_again_changes_what_the_line_wants_and_a_retry_replays(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "10")
    line = new_line()
    await reserve(graphql, admin, line, place.sku, place.warehouse, "6")
    smaller = await reserve(graphql, admin, line, place.sku, place.warehouse, "2")
    assert (smaller["reservation"]["wanted"], smaller["reservation"]["reserved"]) == ("2.0000", "2.0000")

    same = {**line, "sku": place.sku, "warehouseCode": place.warehouse, "quantity": "3", "idempotencyKey": key()}
    first = await call(graphql, admin, RESERVE, "reserveStock", **same)
    again = await call(graphql, admin, RESERVE, "reserveStock", **same)
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["reservation"]["reserved"] == "3.0000"

    other_product = await call(graphql, admin, RESERVE, "reserveStock", **{**same, "sku": place.lot_sku,
                               "idempotencyKey": key()})  # fmt: skip
    assert other_product["errors"][0]["code"] == "INVALID"
    await assert_invariants()


async def test_releasing_frees_stock_for_the_waiting_highest_priority_first(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "5")
    holder, low, high = new_line(), new_line(), new_line()
    await reserve(graphql, admin, holder, place.sku, place.warehouse, "5")
    await reserve(graphql, admin, low, place.sku, place.warehouse, "3", priority=1)
    await reserve(graphql, admin, high, place.sku, place.warehouse, "3", priority=5)

    released = await call(graphql, admin, RELEASE, "releaseStock", **holder, quantity="4", idempotencyKey=key())
    assert released["errors"] == [] and released["reservation"]["reserved"] == "1.0000"
    await assert_invariants()
    assert (await shown(graphql, admin, high))["reserved"] == "3.0000"  # type: ignore[index]
    assert (await shown(graphql, admin, low))["reserved"] == "1.0000"  # type: ignore[index]

    gone = await call(graphql, admin, RELEASE, "releaseStock", **holder, idempotencyKey=key())
    assert gone["errors"] == [] and gone["reservation"] is None
    assert await shown(graphql, admin, holder) is None
    assert (await shown(graphql, admin, low))["reserved"] == "2.0000"  # type: ignore[index]
    missing = await call(graphql, admin, RELEASE, "releaseStock", **holder, idempotencyKey=key())
    assert missing["errors"][0]["code"] == "NOT_FOUND"
    await assert_invariants()


async def test_arriving_stock_serves_the_waiting_by_priority(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    first_come, urgent = new_line(), new_line()
    await reserve(graphql, admin, first_come, place.sku, place.warehouse, "2", priority=0)
    await reserve(graphql, admin, urgent, place.sku, place.warehouse, "2", priority=10)
    await receive(graphql, admin, place.sku, place.bin_b, "3")
    assert (await shown(graphql, admin, urgent))["reserved"] == "2.0000"  # type: ignore[index]
    assert (await shown(graphql, admin, first_come))["reserved"] == "1.0000"  # type: ignore[index]


async def test_scrapping_reserved_stock_replans_to_another_bin(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "5")
    await receive(graphql, admin, place.sku, place.bin_b, "5")
    line = new_line()
    await reserve(graphql, admin, line, place.sku, place.warehouse, "5")
    assert held(await shown(graphql, admin, line)) == {place.bin_a: "5.0000"}  # FIFO: the older bin

    scrapped = await call(graphql, admin, ISSUE, "issueStock", sku=place.sku, locationCode=place.bin_a,
                          quantity="3", reason="SCRAP", idempotencyKey=key())  # fmt: skip
    assert scrapped["errors"] == [], scrapped
    await assert_invariants()
    assert held(await shown(graphql, admin, line)) == {place.bin_a: "2.0000", place.bin_b: "3.0000"}
    bins = {b["locationCode"]: b for b in (await available(graphql, admin, place.sku))["bins"]}
    for bin_ in bins.values():
        assert Decimal(bin_["reserved"]) <= Decimal(bin_["onHand"])
    assert (bins[place.bin_a]["onHand"], bins[place.bin_a]["reserved"]) == ("2.0000", "2.0000")
    assert (bins[place.bin_b]["available"]) == "2.0000"


async def test_a_count_below_what_is_reserved_cuts_the_lowest_priority_first(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "6")
    low, high = new_line(), new_line()
    await reserve(graphql, admin, low, place.sku, place.warehouse, "3", priority=-5)
    await reserve(graphql, admin, high, place.sku, place.warehouse, "3", priority=5)
    counted = await call(graphql, admin, ADJUST, "adjustStock", sku=place.sku, locationCode=place.bin_a,
                         countedQuantity="4", idempotencyKey=key())  # fmt: skip
    assert counted["errors"] == []
    await assert_invariants()
    assert (await shown(graphql, admin, high))["reserved"] == "3.0000"  # type: ignore[index]
    cut = await shown(graphql, admin, low)
    assert cut is not None and (cut["reserved"], cut["waiting"]) == ("1.0000", "2.0000")
    await receive(graphql, admin, place.sku, place.bin_b, "2")  # the cut demand is served again on arrival
    assert (await shown(graphql, admin, low))["reserved"] == "3.0000"  # type: ignore[index]


async def test_all_or_nothing_reserves_nothing_when_short(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "2")
    line = new_line()
    refused = await reserve(graphql, admin, line, place.sku, place.warehouse, "3", allOrNothing=True)
    assert refused["errors"][0]["code"] == "INSUFFICIENT_STOCK" and refused["reservation"] is None
    assert await shown(graphql, admin, line) is None


async def test_a_documents_reservations_are_listed_by_line(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "3")
    line = new_line()
    second = {**line, "lineId": line["lineId"] + 10**8}
    await reserve(graphql, admin, second, place.sku, place.warehouse, "1")
    await reserve(graphql, admin, line, place.sku, place.warehouse, "1")
    found = await graphql.run(OF_DOCUMENT, {"type": "SALES.ORDER", "doc": line["documentId"]}, token=admin.token)
    assert [r["lineId"] for r in found["reservations"]] == [line["lineId"], second["lineId"]]


# ---- lots past their removal date, non-sellable bins ----


async def test_a_lot_past_its_removal_date_is_never_suggested_reserved_or_taken_unasked(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    past = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()
    await receive(graphql, admin, place.lot_sku, place.bin_a, "5", lot="OLD", expiresOn=past, acceptExpired=True)
    await receive(graphql, admin, place.lot_sku, place.bin_b, "2", lot="NEW", expiresOn="2099-01-01")

    suggestion = await suggest(graphql, admin, place.lot_sku, place.warehouse, "4")
    assert suggestion["strategy"] == "FEFO"
    assert suggestion["portions"] == [{"locationCode": place.bin_b, "lotCode": "NEW", "quantity": "2.0000"}]
    assert suggestion["short"] == "2.0000"

    line = new_line()
    reservation = (await reserve(graphql, admin, line, place.lot_sku, place.warehouse, "4"))["reservation"]
    assert held(reservation) == {place.bin_b: "2.0000"}
    refused = await reserve(graphql, admin, new_line(), place.lot_sku, place.warehouse, "1", lot="old")
    assert refused["errors"][0]["code"] == "LOT_EXPIRED"

    levels = await available(graphql, admin, place.lot_sku)
    assert (levels["onHand"], levels["available"]) == ("7.0000", "0.0000")
    bins = {b["lotCode"]: b for b in levels["bins"]}
    assert (bins["OLD"]["onHand"], bins["OLD"]["available"]) == ("5.0000", "0.0000")

    await call(graphql, admin, RELEASE, "releaseStock", **line, idempotencyKey=key())
    taken = await call(graphql, admin, ISSUE, "issueStock", sku=place.lot_sku, locationCode=place.bin_a,
                       quantity="1", idempotencyKey=key())  # fmt: skip
    assert taken["errors"][0]["code"] == "INSUFFICIENT_STOCK"  # a sale without a lot never takes OLD
    scrapped = await call(graphql, admin, ISSUE, "issueStock", sku=place.lot_sku, locationCode=place.bin_a,
                          quantity="5", reason="SCRAP", idempotencyKey=key())  # fmt: skip
    assert [m["lotCode"] for m in scrapped["moves"]] == ["OLD"]  # scrap clears it out
    await assert_invariants()


async def test_stock_in_a_bin_that_does_not_sell_is_on_hand_but_not_available(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await update_location(place.bin_b, LocationSettings(usage="quarantine"), actor_id=admin.user_id)
    await receive(graphql, admin, place.sku, place.bin_b, "4")
    levels = await available(graphql, admin, place.sku)
    assert (levels["onHand"], levels["reserved"], levels["available"]) == ("4.0000", "0.0000", "0.0000")
    assert [(b["sellable"], b["available"]) for b in levels["bins"]] == [(False, "0.0000")]

    reservation = (await reserve(graphql, admin, new_line(), place.sku, place.warehouse, "1"))["reservation"]
    assert (reservation["reserved"], reservation["held"]) == ("0.0000", [])
    suggestion = await suggest(graphql, admin, place.sku, place.warehouse, "1")
    assert (suggestion["portions"], suggestion["short"]) == ([], "1.0000")


# ---- strategies ----


async def test_fifo_takes_the_oldest_stock_first(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await receive(graphql, admin, place.sku, place.bin_b, "2")
    await receive(graphql, admin, place.sku, place.bin_a, "2")
    suggestion = await suggest(graphql, admin, place.sku, place.warehouse, "3")
    assert suggestion["strategy"] == "FIFO"
    assert [(p["locationCode"], p["quantity"]) for p in suggestion["portions"]] == [
        (place.bin_b, "2.0000"), (place.bin_a, "1.0000")
    ]  # fmt: skip


async def test_fefo_takes_the_first_lot_to_go_and_a_product_can_choose_fifo(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.lot_sku, place.bin_a, "2", lot="LATE", expiresOn="2031-01-01")
    await receive(graphql, admin, place.lot_sku, place.bin_a, "2", lot="EARLY", expiresOn="2030-01-01")
    fefo = await suggest(graphql, admin, place.lot_sku, place.warehouse, "1")
    assert (fefo["strategy"], fefo["portions"][0]["lotCode"]) == ("FEFO", "EARLY")

    chosen = await call(graphql, admin, SET_STRATEGY, "setRemovalStrategy", sku=place.lot_sku, strategy="FIFO")
    assert chosen == {"strategy": "FIFO", "errors": []}
    fifo = await suggest(graphql, admin, place.lot_sku, place.warehouse, "1")
    assert (fifo["strategy"], fifo["portions"][0]["lotCode"]) == ("FIFO", "LATE")
    issued = await call(graphql, admin, ISSUE, "issueStock", sku=place.lot_sku, locationCode=place.bin_a,
                        quantity="1", idempotencyKey=key())  # fmt: skip
    assert [m["lotCode"] for m in issued["moves"]] == ["LATE"]  # the posting in a bin follows it too
    await assert_invariants()


async def test_closest_takes_the_bins_nearest_the_start_first(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    zone_one, zone_two = unique("Z1"), unique("Z2")
    for zone in (zone_one, zone_two):
        await create_location(place.warehouse, zone, zone, actor_id=admin.user_id)
    far, near, packing = unique("FAR"), unique("NEAR"), unique("PACK")
    await create_location(place.warehouse, far, far, parent_code=zone_one, actor_id=admin.user_id)
    await create_location(place.warehouse, near, near, parent_code=zone_two, actor_id=admin.user_id)
    await create_location(place.warehouse, packing, packing, parent_code=zone_two, actor_id=admin.user_id)
    await receive(graphql, admin, place.sku, far, "2")  # older
    await receive(graphql, admin, place.sku, near, "2")

    chosen = await call(graphql, admin, SET_LOCATION_STRATEGY, "setLocationRemovalStrategy",
                        locationCode=place.warehouse, strategy="CLOSEST")  # fmt: skip
    assert chosen["errors"] == []
    suggestion = await suggest(graphql, admin, place.sku, place.warehouse, "3", near=packing)
    assert suggestion["strategy"] == "CLOSEST"
    assert [p["locationCode"] for p in suggestion["portions"]] == [near, far]

    line = new_line()
    await reserve(graphql, admin, line, place.sku, place.warehouse, "1")  # from the root: shallow, then by code
    assert held(await shown(graphql, admin, line)) == {min(far, near): "1.0000"}

    product_first = await call(graphql, admin, SET_STRATEGY, "setRemovalStrategy", sku=place.sku, strategy="FIFO")
    assert product_first["errors"] == []
    suggestion = await suggest(graphql, admin, place.sku, place.warehouse, "1", near=packing)
    assert (suggestion["strategy"], suggestion["portions"][0]["locationCode"]) == ("FIFO", far)


# ---- incoming ----


async def test_confirmed_goods_in_shows_as_incoming_with_its_date(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    when = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    created = await call(
        graphql,
        admin,
        CREATE_DOCUMENT,
        "createDocument",
        type="stock.inbound",
        store=store,
        businessDate=when,
        lines=[{"sku": place.sku, "quantity": "7", "location": place.bin_a}],
    )
    assert created["errors"] == [], created
    document = created["document"]
    assert (await available(graphql, admin, place.sku))["incoming"] == []  # a draft brings nothing yet
    confirmed = await call(graphql, admin, ACT, "transitionDocument", id=document["id"], action="confirm")
    assert confirmed["errors"] == [], confirmed
    incoming = (await available(graphql, admin, place.sku, place.warehouse))["incoming"]
    assert incoming == [{"documentType": "stock.inbound", "documentNumber": document["number"],
                         "warehouseCode": place.warehouse, "locationCode": place.bin_a, "quantity": "7.0000",
                         "expectedOn": when}]  # fmt: skip


# ---- hostile input ----


async def test_hostile_input_gets_a_user_error_or_nothing(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    huge, nul = "X" * 500_000, "A\x00B"  # a 10 MB body is refused before GraphQL
    good: dict[str, Any] = {**new_line(), "sku": place.sku, "warehouseCode": place.warehouse, "quantity": "1"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sku": nul}, "NOT_FOUND"), ({"sku": huge}, "NOT_FOUND"), ({"warehouseCode": nul}, "NOT_FOUND"),
        ({"warehouseCode": huge}, "NOT_FOUND"), ({"documentType": nul}, "INVALID"),
        ({"documentType": huge}, "INVALID"), ({"documentId": -1}, "INVALID"), ({"lineId": 0}, "INVALID"),
        ({"priority": 5000}, "INVALID"), ({"quantity": "-1"}, "INVALID"), ({"quantity": "1e9"}, "INVALID"),
        ({"lot": nul}, "INVALID"), ({"lot": "L1"}, "INVALID"),
    ]  # fmt: skip
    for change, code in cases:
        done = await call(graphql, admin, RESERVE, "reserveStock", **{**good, **change, "idempotencyKey": key()})
        assert done["errors"] and done["errors"][0]["code"] == code, (change, done)
    released = await call(graphql, admin, RELEASE, "releaseStock", documentType=nul, documentId=1, lineId=1,
                          idempotencyKey=key())  # fmt: skip
    assert released["errors"][0]["code"] == "INVALID"
    assert await shown(graphql, admin, {"documentType": huge, "documentId": 1, "lineId": 1}) is None
    for sku, location in ((nul, place.warehouse), (huge, place.warehouse), (place.sku, nul), (place.sku, huge),
                          (place.sku, "VIRTUAL/SUPPLIER")):  # fmt: skip
        response = await graphql.post(SUGGEST, {"sku": sku, "location": location, "quantity": "1"}, admin.token)
        codes = [e["extensions"]["code"] for e in response.json()["errors"]]
        assert codes in (["NOT_FOUND"], ["INVALID"]), codes
    response = await graphql.post(AVAILABILITY, {"sku": huge}, admin.token)
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["NOT_FOUND"]
    strategy = await call(graphql, admin, SET_STRATEGY, "setRemovalStrategy", sku=place.sku, category="x",
                          strategy="FIFO")  # fmt: skip
    assert strategy["errors"][0]["code"] == "INVALID"
    strategy = await call(graphql, admin, SET_LOCATION_STRATEGY, "setLocationRemovalStrategy",
                          locationCode="VIRTUAL/SCRAP", strategy="FIFO")  # fmt: skip
    assert strategy["errors"][0]["code"] == "INVALID"
    await assert_invariants()


async def test_a_viewer_cannot_reserve(graphql: GraphQLClient, viewer: Actor, place: Place) -> None:
    response = await graphql.post(
        RESERVE,
        {
            "input": {
                **new_line(),
                "sku": place.sku,
                "warehouseCode": place.warehouse,
                "quantity": "1",
                "idempotencyKey": key(),
            }
        },
        viewer.token,
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# ---- stock that stops selling ----

UPDATE_LOCATION = f"""mutation U($input: UpdateLocationInput!) {{
  updateLocation(input: $input) {{ location {{ code sellable }} {ERRORS} }} }}"""


async def test_a_bin_made_unsellable_hands_its_reservations_to_a_bin_that_sells_and_back(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await receive(graphql, admin, place.sku, place.bin_a, "5")
    await receive(graphql, admin, place.sku, place.bin_b, "3")
    line = new_line()
    await reserve(graphql, admin, line, place.sku, place.warehouse, "5")
    assert held(await shown(graphql, admin, line)) == {place.bin_a: "5.0000"}

    closed = await call(graphql, admin, UPDATE_LOCATION, "updateLocation", code=place.bin_a, sellable=False)
    assert closed["errors"] == [] and closed["location"] == {"code": place.bin_a, "sellable": False}
    await assert_invariants()
    reservation = await shown(graphql, admin, line)
    assert held(reservation) == {place.bin_b: "3.0000"}  # all that sells; the rest waits
    assert reservation is not None and (reservation["reserved"], reservation["waiting"]) == ("3.0000", "2.0000")
    bins = {b["locationCode"]: b for b in (await available(graphql, admin, place.sku))["bins"]}
    assert (bins[place.bin_a]["onHand"], bins[place.bin_a]["reserved"]) == ("5.0000", "0.0000")

    reopened = await call(graphql, admin, UPDATE_LOCATION, "updateLocation", code=place.bin_a, sellable=True)
    assert reopened["errors"] == []
    await assert_invariants()
    reservation = await shown(graphql, admin, line)
    assert held(reservation) == {place.bin_a: "2.0000", place.bin_b: "3.0000"}
    assert reservation is not None and (reservation["reserved"], reservation["waiting"]) == ("5.0000", "0.0000")


async def test_the_nightly_job_moves_reservations_off_a_lot_that_passed_its_removal_date(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.inventory.models import Lot
    from server.inventory.reservations import move_reservations_off_expired

    today = datetime.date.today()
    first, later = unique("L"), unique("L")
    await receive(graphql, admin, place.lot_sku, place.bin_a, "4", lot=first, removalOn=today.isoformat())
    await receive(graphql, admin, place.lot_sku, place.bin_b, "4", lot=later,
                  removalOn=(today + datetime.timedelta(days=30)).isoformat())  # fmt: skip
    line = new_line()
    await reserve(graphql, admin, line, place.lot_sku, place.warehouse, "3")
    assert held(await shown(graphql, admin, line)) == {place.bin_a: "3.0000"}  # still good today

    await Lot.filter(code=first).update(removal_on=today - datetime.timedelta(days=1))  # a day has passed
    assert await move_reservations_off_expired() >= 1

    await assert_invariants()
    reservation = await shown(graphql, admin, line)
    assert reservation is not None and reservation["held"] == [
        {"locationCode": place.bin_b, "lotCode": later, "quantity": "3.0000"}
    ]
    assert await move_reservations_off_expired() == 0  # a rerun finds nothing left to move
