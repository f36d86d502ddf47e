"""Packages and pallets over GraphQL: SSCC labels, packing and unpacking, nesting, and a pallet moved in one scan."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from server.catalog.service import ProductDetails, create_product
from server.clock import today
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.inventory.models import StockMove
from tests.conftest import Actor, GraphQLClient, Place, SQLLog, make_actor, unique

ERRORS = "errors { field code message }"
PACKAGE = "sscc kind location { code } parent { sscc } children { sscc location { code } } total"
MOVES = "moves { sku quantity fromLocationCode toLocationCode lotCode kind value }"
CREATE = f"""mutation C($input: CreatePackageInput!) {{
  createPackage(input: $input) {{ package {{ {PACKAGE} }} replayed {ERRORS} }} }}"""
PACK = f"""mutation P($input: PackStockInput!) {{
  packStock(input: $input) {{ package {{ {PACKAGE} contents {{ sku lotCode quantity }} }} {MOVES} {ERRORS} }} }}"""
UNPACK = f"""mutation U($input: UnpackStockInput!) {{
  unpackStock(input: $input) {{ package {{ {PACKAGE} }} {MOVES} {ERRORS} }} }}"""
NEST = f"""mutation N($input: NestPackageInput!) {{
  nestPackage(input: $input) {{ package {{ {PACKAGE} }} {ERRORS} }} }}"""
MOVE_PACKAGE = f"""mutation M($input: MovePackageInput!) {{
  movePackage(input: $input) {{ package {{ {PACKAGE} }} {MOVES} replayed {ERRORS} }} }}"""
SHOW = f"""query S($sscc: String!) {{
  package(sscc: $sscc) {{ {PACKAGE} contents {{ sku lotCode quantity }} }} }}"""
RESOLVE = """query R($code: String!) {
  resolveBarcode(code: $code) { kind message package { sscc kind location { code } total } } }"""
RECEIVE = f"""mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ {MOVES} {ERRORS} }} }}"""
ISSUE = f"""mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ {MOVES} {ERRORS} }} }}"""
MOVE_STOCK = f"""mutation M($input: MoveStockInput!) {{ moveStock(input: $input) {{ {MOVES} {ERRORS} }} }}"""
ADJUST = f"""mutation A($input: AdjustStockInput!) {{ adjustStock(input: $input) {{ {MOVES} {ERRORS} }} }}"""
UPDATE_LOCATION = f"""mutation U($input: UpdateLocationInput!) {{
  updateLocation(input: $input) {{ location {{ code }} {ERRORS} }} }}"""
RESERVE = f"""mutation R($input: ReserveStockInput!) {{
  reserveStock(input: $input) {{ reservation {{ reserved }} {ERRORS} }} }}"""
LEVELS = """query L($sku: String!, $location: String) {
  stockLevels(sku: $sku, locationCode: $location) { edges { node { locationCode onHand reserved } } } }"""


def sscc() -> str:
    """A random SSCC with its GS1 check digit (extension digit 9, a made-up company prefix)."""
    body = "9" + "".join(random.choice("0123456789") for _ in range(16))
    total = sum(int(digit) * (3 if (len(body) - index) % 2 else 1) for index, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def with_wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


async def call(graphql: GraphQLClient, actor: Actor, document: str, **fields: Any) -> dict[str, Any]:
    data = await graphql.run(document, {"input": fields}, token=actor.token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def keyed(graphql: GraphQLClient, actor: Actor, document: str, **fields: Any) -> dict[str, Any]:
    return await call(graphql, actor, document, idempotencyKey=str(uuid.uuid4()), **fields)


async def ledger_is_sound() -> None:
    report = await check_ledger()
    assert report.problems == []


async def on_hand(graphql: GraphQLClient, actor: Actor, sku: str, location: str | None = None) -> dict[str, Decimal]:
    """On hand per location (loose and packed together), leaving out empty quants."""
    data = await graphql.run(LEVELS, {"sku": sku, "location": location}, token=actor.token)
    totals: dict[str, Decimal] = {}
    for edge in data["stockLevels"]["edges"]:
        node = edge["node"]
        totals[node["locationCode"]] = totals.get(node["locationCode"], Decimal(0)) + Decimal(node["onHand"])
    return {code: total for code, total in totals.items() if total}


async def show(graphql: GraphQLClient, actor: Actor, code: str) -> dict[str, Any]:
    return (await graphql.run(SHOW, {"sscc": code}, token=actor.token))["package"]  # type: ignore[no-any-return]


async def new_box(graphql: GraphQLClient, admin: Actor, place: Place, *, packing: str | None = None) -> str:
    """An empty box in bin A (``packing``: first receive that many of the place's product there and pack them)."""
    if packing is not None:
        await keyed(graphql, admin, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity=packing)
    box = sscc()
    created = await call(graphql, admin, CREATE, sscc=box, kind="BOX", locationCode=place.bin_a)
    assert created["errors"] == [], created
    if packing is not None:
        packed = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": place.sku, "quantity": packing}])
        assert packed["errors"] == [], packed
    return box


async def pallet_of_cases(
    graphql: GraphQLClient, admin: Actor, place: Place, *, cases: int = 4, per_case: int = 12
) -> tuple[str, list[str]]:
    """A pallet in bin A with ``cases`` cases on it, each holding ``per_case`` units: the SSCCs."""
    received = await keyed(graphql, admin, RECEIVE, sku=place.sku, locationCode=place.bin_a,
                           quantity=str(cases * per_case), unitCost="2")  # fmt: skip
    assert received["errors"] == []
    pallet = sscc()
    created = await call(graphql, admin, CREATE, sscc=pallet, kind="PALLET", locationCode=place.bin_a)
    assert created["errors"] == [] and created["package"]["location"] == {"code": place.bin_a}
    case_codes = []
    for _ in range(cases):
        case = sscc()
        created = await call(graphql, admin, CREATE, sscc=case, kind="CASE", locationCode=place.bin_a,
                             parentSscc=pallet)  # fmt: skip
        assert created["errors"] == [] and created["package"]["parent"] == {"sscc": pallet}
        packed = await keyed(graphql, admin, PACK, sscc=case, lines=[{"sku": place.sku, "quantity": str(per_case)}])
        assert packed["errors"] == [], packed
        assert packed["moves"] == [{"sku": place.sku, "quantity": f"{per_case}.0000", "fromLocationCode": place.bin_a,
                                    "toLocationCode": place.bin_a, "lotCode": None, "kind": "pack",
                                    "value": f"{2 * per_case}.0000"}]  # fmt: skip
        await ledger_is_sound()
        case_codes.append(case)
    return pallet, case_codes


async def test_a_pallet_of_four_cases_of_twelve_moves_48_units_in_one_scan(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    pallet, cases = await pallet_of_cases(graphql, admin, place)
    shown = await show(graphql, admin, pallet)
    assert shown["total"] == "48.0000"
    assert shown["contents"] == [{"sku": place.sku, "lotCode": None, "quantity": "48.0000"}]
    assert sorted(child["sscc"] for child in shown["children"]) == sorted(cases)

    scanned = (await graphql.run(RESOLVE, {"code": f"(00){pallet}"}, token=admin.token))["resolveBarcode"]
    found = {"sscc": pallet, "kind": "PALLET", "location": {"code": place.bin_a}, "total": "48.0000"}
    assert scanned == {"kind": "PACKAGE", "message": None, "package": found}
    moves_before = await StockMove.filter(product__sku=place.sku).count()
    key = str(uuid.uuid4())
    moved = await call(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b,
                       fromLocationCode=scanned["package"]["location"]["code"], idempotencyKey=key)  # fmt: skip

    assert moved["errors"] == [] and moved["replayed"] is False
    assert len(moved["moves"]) == 4  # one per case: one move set
    assert {(m["quantity"], m["fromLocationCode"], m["toLocationCode"], m["kind"]) for m in moved["moves"]} == {
        ("12.0000", place.bin_a, place.bin_b, "move")
    }
    assert moved["package"]["location"] == {"code": place.bin_b}
    assert [child["location"] for child in moved["package"]["children"]] == [{"code": place.bin_b}] * 4
    assert await on_hand(graphql, admin, place.sku) == {place.bin_b: Decimal(48)}
    assert await StockMove.filter(product__sku=place.sku).count() == moves_before + 4
    await ledger_is_sound()

    again = await call(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b,
                       fromLocationCode=place.bin_a, idempotencyKey=key)  # fmt: skip
    assert again["errors"] == [] and again["replayed"] is True
    assert again["moves"] == moved["moves"]
    assert await on_hand(graphql, admin, place.sku) == {place.bin_b: Decimal(48)}
    assert await StockMove.filter(product__sku=place.sku).count() == moves_before + 4
    await ledger_is_sound()


async def test_a_bad_sscc_check_digit_is_invalid(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    bad = with_wrong_check_digit(sscc())
    created = await call(graphql, admin, CREATE, sscc=bad, kind="BOX", locationCode=place.bin_a)
    assert created["package"] is None
    assert [(e["field"], e["code"]) for e in created["errors"]] == [(["input", "sscc"], "INVALID")]
    assert "check digit" in created["errors"][0]["message"]
    moved = await keyed(graphql, admin, MOVE_PACKAGE, sscc=bad, toLocationCode=place.bin_b)
    assert [(e["field"], e["code"]) for e in moved["errors"]] == [(["input", "sscc"], "INVALID")]
    short = await call(graphql, admin, CREATE, sscc="12345", kind="BOX", locationCode=place.bin_a)
    assert [(e["field"], e["code"]) for e in short["errors"]] == [(["input", "sscc"], "INVALID")]

    response = await graphql.post(SHOW, {"sscc": bad}, admin.token)
    body = response.json()
    assert body["data"] == {"package": None} and body["errors"][0]["extensions"]["code"] == "INVALID"
    assert await show(graphql, admin, sscc()) is None  # a valid SSCC nobody registered


async def test_an_sscc_is_one_package_only(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    code = sscc()
    first = await call(graphql, admin, CREATE, sscc=code, kind="BOX", locationCode=place.bin_a)
    second = await call(graphql, admin, CREATE, sscc=code, kind="CASE", locationCode=place.bin_b)
    assert first["errors"] == []
    assert [(e["field"], e["code"]) for e in second["errors"]] == [(["input", "sscc"], "ALREADY_EXISTS")]
    assert (await show(graphql, admin, code))["location"] == {"code": place.bin_a}


async def test_pack_and_unpack_round_trip(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await keyed(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="6", lot="L1")
    await keyed(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="4", lot="L2")
    box = await new_box(graphql, admin, place)

    lines = [{"sku": place.lot_sku, "quantity": "5", "lot": "L1"}, {"sku": place.lot_sku, "quantity": "3", "lot": "L2"}]
    packed = await keyed(graphql, admin, PACK, sscc=box, lines=lines)
    assert packed["errors"] == []
    assert packed["package"]["contents"] == [{"sku": place.lot_sku, "lotCode": "L1", "quantity": "5.0000"},
                                             {"sku": place.lot_sku, "lotCode": "L2", "quantity": "3.0000"}]  # fmt: skip
    assert [m["kind"] for m in packed["moves"]] == ["pack", "pack"]
    assert await on_hand(graphql, admin, place.lot_sku) == {place.bin_a: Decimal(10)}  # packed is still on hand
    await ledger_is_sound()

    lines = [{"sku": place.lot_sku, "quantity": "2", "lot": "L1"}]
    unpacked = await keyed(graphql, admin, UNPACK, sscc=box, lines=lines)
    assert unpacked["errors"] == [] and unpacked["package"]["total"] == "6.0000"
    assert [(m["kind"], m["lotCode"], m["quantity"]) for m in unpacked["moves"]] == [("unpack", "L1", "2.0000")]
    await ledger_is_sound()

    everything = await keyed(graphql, admin, UNPACK, sscc=box)  # no lines: all it holds
    assert everything["errors"] == [] and everything["package"]["total"] == "0"
    assert sorted((m["lotCode"], m["quantity"]) for m in everything["moves"]) == [("L1", "3.0000"), ("L2", "3.0000")]
    assert await on_hand(graphql, admin, place.lot_sku) == {place.bin_a: Decimal(10)}
    await ledger_is_sound()
    # All loose again: a plain issue takes all ten.
    issued = await keyed(graphql, admin, ISSUE, sku=place.lot_sku, locationCode=place.bin_a, quantity="10")
    assert issued["errors"] == []
    await ledger_is_sound()


async def test_unpacking_more_than_the_package_holds_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    box = await new_box(graphql, admin, place, packing="12")
    moves_before = await StockMove.filter(product__sku=place.sku).count()

    refused = await keyed(graphql, admin, UNPACK, sscc=box, lines=[{"sku": place.sku, "quantity": "5"},
                                                                  {"sku": place.sku, "quantity": "8"}])  # fmt: skip
    assert refused["moves"] == [] and refused["package"] is None
    [error] = refused["errors"]
    assert (error["field"], error["code"]) == (["input", "lines", "1", "quantity"], "INSUFFICIENT_STOCK")
    assert f"in the box {box}" in error["message"]
    assert await StockMove.filter(product__sku=place.sku).count() == moves_before
    assert (await show(graphql, admin, box))["total"] == "12.0000"
    over_packed = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": place.sku, "quantity": "1"}])
    assert [(e["field"], e["code"]) for e in over_packed["errors"]] == [
        (["input", "lines", "0", "quantity"], "INSUFFICIENT_STOCK")
    ]
    await ledger_is_sound()


async def test_nesting_a_package_into_itself_or_its_own_child_is_refused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    pallet, case, box = sscc(), sscc(), sscc()
    await call(graphql, admin, CREATE, sscc=pallet, kind="PALLET", locationCode=place.bin_a)
    await call(graphql, admin, CREATE, sscc=case, kind="CASE", locationCode=place.bin_a, parentSscc=pallet)
    await call(graphql, admin, CREATE, sscc=box, kind="BOX", locationCode=place.bin_a, parentSscc=case)

    for child, parent in ((pallet, pallet), (pallet, case), (pallet, box), (case, box)):
        refused = await call(graphql, admin, NEST, sscc=child, parentSscc=parent)
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "parentSscc"], "INVALID")], refused
    assert (await show(graphql, admin, pallet))["parent"] is None

    off = await call(graphql, admin, NEST, sscc=box, parentSscc=None)
    assert off["errors"] == [] and off["package"]["parent"] is None
    on = await call(graphql, admin, NEST, sscc=box, parentSscc=pallet)
    assert on["errors"] == [] and on["package"]["parent"] == {"sscc": pallet}
    assert sorted(c["sscc"] for c in (await show(graphql, admin, pallet))["children"]) == sorted([case, box])


async def test_a_package_holding_stock_nests_only_where_its_parent_is(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await keyed(graphql, admin, RECEIVE, sku=place.sku, locationCode=place.bin_b, quantity="3")
    pallet, full, empty = sscc(), sscc(), sscc()
    await call(graphql, admin, CREATE, sscc=pallet, kind="PALLET", locationCode=place.bin_a)
    await call(graphql, admin, CREATE, sscc=full, kind="BOX", locationCode=place.bin_b)
    await call(graphql, admin, CREATE, sscc=empty, kind="BOX", locationCode=place.bin_b)
    await keyed(graphql, admin, PACK, sscc=full, lines=[{"sku": place.sku, "quantity": "3"}])

    refused = await call(graphql, admin, NEST, sscc=full, parentSscc=pallet)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "parentSscc"], "INVALID")]
    followed = await call(graphql, admin, NEST, sscc=empty, parentSscc=pallet)
    assert followed["errors"] == [] and followed["package"]["location"] == {"code": place.bin_a}
    await ledger_is_sound()


async def test_a_case_on_a_pallet_moves_only_with_it(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    pallet, cases = await pallet_of_cases(graphql, admin, place, cases=2, per_case=3)
    refused = await keyed(graphql, admin, MOVE_PACKAGE, sscc=cases[0], toLocationCode=place.bin_b)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "sscc"], "INVALID")]
    assert pallet in refused["errors"][0]["message"]
    await call(graphql, admin, NEST, sscc=cases[0], parentSscc=None)
    alone = await keyed(graphql, admin, MOVE_PACKAGE, sscc=cases[0], toLocationCode=place.bin_b)
    assert alone["errors"] == [] and [m["quantity"] for m in alone["moves"]] == ["3.0000"]
    assert await on_hand(graphql, admin, place.sku) == {place.bin_a: Decimal(3), place.bin_b: Decimal(3)}
    await ledger_is_sound()


async def test_moving_a_pallet_into_a_limited_bin_respects_its_limits(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    pallet, _ = await pallet_of_cases(graphql, admin, place)
    limited = await call(graphql, admin, UPDATE_LOCATION, code=place.bin_b, maxUnits="40")
    assert limited["errors"] == []
    moves_before = await StockMove.filter(product__sku=place.sku).count()

    refused = await keyed(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b)
    assert refused["moves"] == []
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "toLocationCode"], "CAPACITY_EXCEEDED")]
    assert await StockMove.filter(product__sku=place.sku).count() == moves_before
    assert (await show(graphql, admin, pallet))["location"] == {"code": place.bin_a}
    await ledger_is_sound()

    await call(graphql, admin, UPDATE_LOCATION, code=place.bin_b, maxUnits="48")
    moved = await keyed(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b)
    assert moved["errors"] == [] and len(moved["moves"]) == 4
    await ledger_is_sound()


async def test_a_pallet_moved_into_quarantine_is_on_hand_there_but_not_for_sale(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    pallet, cases = await pallet_of_cases(graphql, admin, place, cases=2, per_case=5)
    await call(graphql, admin, UPDATE_LOCATION, code=place.bin_b, usage="QUARANTINE")
    moved = await keyed(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b)
    assert moved["errors"] == []
    unpacked = await keyed(graphql, admin, UNPACK, sscc=cases[0])
    assert unpacked["errors"] == []
    sale = await keyed(graphql, admin, ISSUE, sku=place.sku, locationCode=place.bin_b, quantity="1")
    assert [e["code"] for e in sale["errors"]] == ["NOT_SELLABLE"]
    assert await on_hand(graphql, admin, place.sku) == {place.bin_b: Decimal(10)}
    await ledger_is_sound()


async def test_plain_postings_never_take_units_out_of_a_package(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    box = await new_box(graphql, admin, place, packing="5")

    sale = await keyed(graphql, admin, ISSUE, sku=place.sku, locationCode=place.bin_a, quantity="1")
    assert [e["code"] for e in sale["errors"]] == ["INSUFFICIENT_STOCK"]
    moved = await keyed(graphql, admin, MOVE_STOCK, sku=place.sku, fromLocationCode=place.bin_a,
                        toLocationCode=place.bin_b, quantity="1")  # fmt: skip
    assert [e["code"] for e in moved["errors"]] == ["INSUFFICIENT_STOCK"]
    counted = await keyed(graphql, admin, ADJUST, sku=place.sku, locationCode=place.bin_a, countedQuantity="0")
    assert counted["errors"] == [] and counted["moves"] == []  # a count of the bin's loose stock: none, as counted
    assert (await show(graphql, admin, box))["total"] == "5.0000"
    assert await on_hand(graphql, admin, place.sku) == {place.bin_a: Decimal(5)}
    await ledger_is_sound()


async def test_packing_reserved_stock_keeps_the_reservation_whole(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    await keyed(graphql, admin, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="10")
    line = {"documentType": "sales.order", "documentId": random.randint(1, 2**31 - 1), "lineId": 1}
    reserved = await keyed(graphql, admin, RESERVE, **line, sku=place.sku, warehouseCode=place.warehouse, quantity="8")
    assert reserved["reservation"]["reserved"] == "8.0000"
    box = await new_box(graphql, admin, place)

    packed = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": place.sku, "quantity": "9"}])
    assert packed["errors"] == []
    levels = (await graphql.run(LEVELS, {"sku": place.sku, "location": place.bin_a}, token=admin.token))["stockLevels"]
    nodes = [edge["node"] for edge in levels["edges"]]
    assert sum(Decimal(n["reserved"]) for n in nodes) == 8  # still all of it, on what is there
    assert all(Decimal(n["reserved"]) <= Decimal(n["onHand"]) for n in nodes)
    await ledger_is_sound()
    await keyed(graphql, admin, UNPACK, sscc=box)
    await ledger_is_sound()


async def test_a_pallet_moved_to_another_warehouse_takes_its_value_along(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    pallet, _ = await pallet_of_cases(graphql, admin, place, cases=2, per_case=6)
    other = unique("WH")
    await create_warehouse(other, "Other", actor_id=admin.user_id)
    far_bin = unique("BIN")
    await create_location(other, far_bin, far_bin, actor_id=admin.user_id)

    moved = await keyed(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=far_bin)
    assert moved["errors"] == []
    assert [(m["quantity"], m["value"]) for m in moved["moves"]] == [("6.0000", "12.0000"), ("6.0000", "12.0000")]
    assert await on_hand(graphql, admin, place.sku) == {far_bin: Decimal(12)}
    await ledger_is_sound()


async def test_resolve_barcode_knows_an_sscc_alone_and_says_when_none_has_it(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    box = await new_box(graphql, admin, place)
    bare = (await graphql.run(RESOLVE, {"code": box}, token=admin.token))["resolveBarcode"]
    assert bare["kind"] == "PACKAGE" and bare["package"]["sscc"] == box
    unknown = (await graphql.run(RESOLVE, {"code": f"(00){sscc()}"}, token=admin.token))["resolveBarcode"]
    assert unknown["kind"] == "UNKNOWN" and "createPackage" in unknown["message"]


@pytest.mark.postgres
async def test_two_moves_of_one_pallet_at_once_exactly_one_wins(
    graphql: GraphQLClient, admin: Actor, place: Place, sql_log: SQLLog
) -> None:
    pallet, _ = await pallet_of_cases(graphql, admin, place)
    third = unique("BIN")
    await create_location(place.warehouse, third, third, actor_id=admin.user_id)
    sql_log.statements.clear()

    outcomes = await asyncio.gather(*(
        keyed(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=target, fromLocationCode=place.bin_a)
        for target in (place.bin_b, third)
    ))  # fmt: skip

    won = [outcome for outcome in outcomes if not outcome["errors"]]
    lost = [outcome for outcome in outcomes if outcome["errors"]]
    assert len(won) == 1 and len(lost) == 1
    assert [(e["field"], e["code"]) for e in lost[0]["errors"]] == [(["input", "fromLocationCode"], "STALE")]
    target = won[0]["package"]["location"]["code"]
    assert await on_hand(graphql, admin, place.sku) == {target: Decimal(48)}
    package_locks = [s for s in sql_log.statements if "FROM package WHERE id IN" in s and "FOR UPDATE" in s]
    assert package_locks, sql_log.statements
    await ledger_is_sound()


async def test_packing_a_product_of_another_bin_names_the_line(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    sku = unique("SKU")
    await create_product(sku, ProductDetails(name="Elsewhere"), actor_id=admin.user_id)
    await keyed(graphql, admin, RECEIVE, sku=sku, locationCode=place.bin_b, quantity="2")
    box = await new_box(graphql, admin, place)
    refused = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": sku, "quantity": "1"},
                                                                {"sku": "NO-SUCH-SKU", "quantity": "1"}])  # fmt: skip
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "lines", "1", "sku"], "NOT_FOUND")]
    refused = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": sku, "quantity": "1"}])
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        (["input", "lines", "0", "quantity"], "INSUFFICIENT_STOCK")
    ]
    await ledger_is_sound()


async def test_a_pallet_holding_a_lot_past_its_removal_date_moves_only_with_the_permission(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    yesterday, next_year = (today() + timedelta(days=days) for days in (-1, 365))
    received = await keyed(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="5",
                           lot="OLD", expiresOn=next_year.isoformat(), removalOn=yesterday.isoformat())  # fmt: skip
    assert received["errors"] == []
    pallet = sscc()
    await call(graphql, admin, CREATE, sscc=pallet, kind="PALLET", locationCode=place.bin_a)
    packed = await keyed(
        graphql, admin, PACK, sscc=pallet, lines=[{"sku": place.lot_sku, "quantity": "5", "lot": "OLD"}]
    )
    assert packed["errors"] == []  # packing is no taking: the stock stays in its bin
    clerk = await make_actor("clerk")

    refused = await keyed(graphql, clerk, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b)
    moved = await keyed(graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b)

    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "sscc"], "LOT_EXPIRED")]
    assert "lot OLD" in refused["errors"][0]["message"] and "stock.take_expired" in refused["errors"][0]["message"]
    assert moved["errors"] == [] and moved["package"]["location"] == {"code": place.bin_b}
    assert await on_hand(graphql, admin, place.lot_sku) == {place.bin_b: Decimal(5)}
    await ledger_is_sound()


async def test_stock_levels_name_the_package_stock_is_in(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    await keyed(graphql, admin, RECEIVE, sku=place.sku, locationCode=place.bin_a, quantity="10")
    box = await new_box(graphql, admin, place)
    packed = await keyed(graphql, admin, PACK, sscc=box, lines=[{"sku": place.sku, "quantity": "4"}])
    assert packed["errors"] == []

    query = """query L($sku: String!) {
      stockLevels(sku: $sku) { edges { node { locationCode packageSscc onHand } } } }"""
    data = await graphql.run(query, {"sku": place.sku}, token=admin.token)

    levels = sorted((n["locationCode"], n["packageSscc"] or "", n["onHand"]) for n in edge_nodes(data["stockLevels"]))
    assert levels == [(place.bin_a, "", "6.0000"), (place.bin_a, box, "4.0000")]


def edge_nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]
