"""Kits over GraphQL: a bill of materials per kit, assembled and taken apart in one posting each, every value
exact in the ledger; short components all at once, retries replayed, hostile input refused before the database."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from server.catalog.service import ProductDetails, create_product
from server.inventory.check import check_ledger
from server.inventory.models import StockMove
from server.inventory.valuation.check import valuation_problems
from tests.conftest import Actor, GraphQLClient, Place, unique

ERRORS = "errors { field code message }"
MOVES = "moves { sku quantity fromLocationCode toLocationCode lotCode kind unitCost value }"
SET = f"""mutation S($input: SetKitComponentsInput!) {{
  setKitComponents(input: $input) {{ kit {{ sku components {{ sku quantity }} }} {ERRORS} }} }}"""
ASSEMBLE = f"""mutation A($input: AssembleKitInput!) {{ assembleKit(input: $input) {{ {MOVES} replayed {ERRORS} }} }}"""
DISASSEMBLE = f"""mutation D($input: DisassembleKitInput!) {{
  disassembleKit(input: $input) {{ {MOVES} replayed {ERRORS} }} }}"""
KIT = """query K($sku: String!) { kit(sku: $sku) { sku components { sku quantity } } }"""
RECEIVE = f"""mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ {ERRORS} }} }}"""
VALUE = """query W($sku: String!) { stockValue(sku: $sku) { quantity value } }"""
LEVELS = """query L($sku: String!) { stockLevels(sku: $sku, first: 50) { edges { node { locationCode onHand } } } }"""


def _key() -> str:
    return str(uuid.uuid4())


async def _call(graphql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    return next(iter((await graphql.run(query, {"input": input}, token=token)).values()))  # type: ignore[no-any-return]


async def _ok(graphql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    payload = await _call(graphql, query, token, **input)
    assert payload["errors"] == [], payload
    return payload


async def _products(admin: Actor, count: int, **details: Any) -> list[str]:
    skus = [unique("KIT") for _ in range(count)]
    for sku in skus:
        await create_product(sku, ProductDetails(name="Kit part", **details), actor_id=admin.user_id)
    return skus


async def _receive(graphql: GraphQLClient, admin: Actor, sku: str, bin_code: str, quantity: str, cost: str) -> None:
    await _ok(graphql, RECEIVE, admin.token, sku=sku, locationCode=bin_code, quantity=quantity, unitCost=cost,
              idempotencyKey=_key())  # fmt: skip


async def _worth(graphql: GraphQLClient, admin: Actor, sku: str) -> tuple[str, str]:
    value = (await graphql.run(VALUE, {"sku": sku}, token=admin.token))["stockValue"]
    return value["quantity"], value["value"]


async def _clean() -> None:
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


def _through_assembly(moves: list[dict[str, Any]]) -> Decimal:
    """What the assembly location kept of a posting's value: in less out (zero: nothing appeared or vanished)."""
    into = sum(Decimal(m["value"]) for m in moves if m["toLocationCode"] == "VIRTUAL/ASSEMBLY")
    out_of = sum(Decimal(m["value"]) for m in moves if m["fromLocationCode"] == "VIRTUAL/ASSEMBLY")
    return Decimal(into - out_of)


async def _kit(graphql: GraphQLClient, admin: Actor, parts: list[tuple[str, str]]) -> str:
    (kit,) = await _products(admin, 1)
    await _ok(graphql, SET, admin.token, sku=kit, components=[{"sku": s, "quantity": q} for s, q in parts])
    return kit


async def test_a_kit_assembled_and_disassembled_returns_every_component_value_exactly(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a, b, c = await _products(admin, 3)
    for sku, quantity, cost in ((a, "9", "1.0001"), (b, "21", "2.3333"), (c, "3", "0.3333")):
        await _receive(graphql, admin, sku, place.bin_a, quantity, cost)
    before = {sku: await _worth(graphql, admin, sku) for sku in (a, b, c)}
    kit = await _kit(graphql, admin, [(a, "3"), (b, "7"), (c, "1")])

    built = await _ok(graphql, ASSEMBLE, admin.token, sku=kit, quantity="3", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, idempotencyKey=_key())  # fmt: skip
    assert [(m["sku"], m["kind"], m["value"]) for m in built["moves"]] == [
        (a, "assemble", "9.0009"), (b, "assemble", "48.9993"), (c, "assemble", "0.9999"),
        (kit, "assemble", "59.0001"),  # exactly what the components took out; 3 x its unit cost 19.6667 is not
    ]  # fmt: skip
    assert built["moves"][-1]["unitCost"] == "19.6667" and _through_assembly(built["moves"]) == 0
    assert await _worth(graphql, admin, kit) == ("3.0000", "59.0001")
    await _clean()

    apart = await _ok(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="3", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, idempotencyKey=_key())  # fmt: skip
    assert [(m["sku"], m["quantity"], m["value"]) for m in apart["moves"]] == [
        (kit, "3.0000", "59.0001"), (a, "9.0000", "9.0009"), (b, "21.0000", "48.9993"), (c, "3.0000", "0.9999"),
    ]  # fmt: skip
    assert _through_assembly(apart["moves"]) == 0
    assert {sku: await _worth(graphql, admin, sku) for sku in (a, b, c)} == before
    assert await _worth(graphql, admin, kit) == ("0", "0")
    await _clean()


async def test_a_disassembly_shares_the_kits_value_so_the_components_add_up_to_it_exactly(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a, b, c = await _products(admin, 3)
    for sku, cost in ((a, "1.0001"), (b, "2.3333"), (c, "0.3333")):
        await _receive(graphql, admin, sku, place.bin_a, "100", cost)
    kit = await _kit(graphql, admin, [(a, "3"), (b, "7"), (c, "1")])
    await _ok(graphql, ASSEMBLE, admin.token, sku=kit, quantity="7", fromLocationCode=place.bin_a,
              toLocationCode=place.bin_b, idempotencyKey=_key())  # fmt: skip
    await _receive(graphql, admin, b, place.bin_a, "3", "5")  # b is worth more now: it takes a larger share

    apart = await _ok(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="3", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, idempotencyKey=_key())  # fmt: skip

    kit_move, *parts = apart["moves"]
    assert kit_move["sku"] == kit and [p["sku"] for p in parts] == [a, b, c]
    assert sum(Decimal(p["value"]) for p in parts) == Decimal(kit_move["value"])
    assert _through_assembly(apart["moves"]) == 0
    await _clean()


async def test_short_components_are_all_reported_at_once_and_nothing_is_written(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a, b, c = await _products(admin, 3)
    await _receive(graphql, admin, a, place.bin_a, "2", "1")
    await _receive(graphql, admin, b, place.bin_a, "50", "1")
    kit = await _kit(graphql, admin, [(a, "1"), (b, "2"), (c, "1")])
    moves_before = await StockMove.all().count()

    refused = await _call(graphql, ASSEMBLE, admin.token, sku=kit, quantity="3", fromLocationCode=place.bin_a,
                          toLocationCode=place.bin_b, idempotencyKey=_key())  # fmt: skip

    assert refused["moves"] == []
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(["input", "quantity"], "INSUFFICIENT_STOCK")] * 2
    assert a in refused["errors"][0]["message"] and c in refused["errors"][1]["message"]
    assert await StockMove.all().count() == moves_before
    levels = (await graphql.run(LEVELS, {"sku": a}, token=admin.token))["stockLevels"]["edges"]
    assert [edge["node"]["onHand"] for edge in levels] == ["2.0000"]
    await _clean()


async def test_a_retried_assembly_replays_its_first_answer_and_never_books_twice(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    (a,) = await _products(admin, 1)
    await _receive(graphql, admin, a, place.bin_a, "10", "3")
    kit = await _kit(graphql, admin, [(a, "2")])
    asked = {"sku": kit, "quantity": "2", "fromLocationCode": place.bin_a, "toLocationCode": place.bin_b,
             "idempotencyKey": _key()}  # fmt: skip

    first = await _ok(graphql, ASSEMBLE, admin.token, **asked)
    again = await _ok(graphql, ASSEMBLE, admin.token, **asked)
    other = await _call(graphql, ASSEMBLE, admin.token, **{**asked, "quantity": "1"})

    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["moves"] == first["moves"]
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await _worth(graphql, admin, kit) == ("2.0000", "12.0000")
    assert await _worth(graphql, admin, a) == ("6.0000", "18.0000")
    await _clean()


async def test_a_bill_of_materials_is_set_whole_read_back_and_never_contains_the_kit(
    graphql: GraphQLClient, admin: Actor, viewer: Actor
) -> None:
    a, b = await _products(admin, 2)
    inner = await _kit(graphql, admin, [(a, "1.5"), (b, "2")])
    outer = await _kit(graphql, admin, [(inner, "2")])
    shown = (await graphql.run(KIT, {"sku": inner.lower()}, token=viewer.token))["kit"]
    assert shown == {"sku": inner, "components": [{"sku": a, "quantity": "1.5000"}, {"sku": b, "quantity": "2.0000"}]}

    itself = await _call(graphql, SET, admin.token, sku=outer, components=[{"sku": outer, "quantity": "1"}])
    nested = await _call(graphql, SET, admin.token, sku=inner, components=[{"sku": a, "quantity": "1"},
                                                                          {"sku": outer, "quantity": "1"}])  # fmt: skip
    assert [(e["field"], e["code"]) for e in itself["errors"]] == [(["input", "components", "0", "sku"], "INVALID")]
    assert [(e["field"], e["code"]) for e in nested["errors"]] == [(["input", "components", "1", "sku"], "INVALID")]
    assert "cannot contain itself" in nested["errors"][0]["message"]
    assert (await graphql.run(KIT, {"sku": inner}, token=admin.token))["kit"] == shown  # as it was

    emptied = await _ok(graphql, SET, admin.token, sku=outer, components=[])
    assert emptied["kit"] == {"sku": outer, "components": []}
    refused = (await graphql.post(SET, {"input": {"sku": a, "components": []}}, token=viewer.token)).json()
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


# A request body is at most 1 MB: half a megabyte is thousands of times what any column holds.
LONG = "x" * 500_000


async def test_hostile_input_is_refused_at_its_field_before_the_database(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    (a,) = await _products(admin, 1)
    kit = await _kit(graphql, admin, [(a, "1")])
    components_cases = [
        ([{"sku": "A\x00B", "quantity": "1"}], ["components", "0", "sku"], "NOT_FOUND"),
        ([{"sku": LONG, "quantity": "1"}], ["components", "0", "sku"], "NOT_FOUND"),
        ([{"sku": "NO-SUCH-PART", "quantity": "1"}], ["components", "0", "sku"], "NOT_FOUND"),
        ([{"sku": a, "quantity": "0"}], ["components", "0", "quantity"], "INVALID"),
        ([{"sku": a, "quantity": "-1"}], ["components", "0", "quantity"], "INVALID"),
        ([{"sku": a, "quantity": "0.00001"}], ["components", "0", "quantity"], "INVALID"),
        ([{"sku": a, "quantity": "1e3"}], ["components", "0", "quantity"], "INVALID"),
        ([{"sku": a, "quantity": "1"}, {"sku": a.lower(), "quantity": "2"}], ["components", "1", "sku"], "INVALID"),
        ([{"sku": a, "quantity": "1"}] * 51, ["components"], "INVALID"),
    ]
    for components, field, code in components_cases:
        payload = await _call(graphql, SET, admin.token, sku=kit, components=components)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", *field], code)], payload
    unknown_kit = await _call(graphql, SET, admin.token, sku="NO-SUCH-KIT", components=[])
    assert [(e["field"], e["code"]) for e in unknown_kit["errors"]] == [(["input", "sku"], "NOT_FOUND")]

    good = {"sku": kit, "quantity": "1", "fromLocationCode": place.bin_a, "toLocationCode": place.bin_b}
    assembly_cases = [
        ({"sku": "K\x00"}, ["sku"], "NOT_FOUND"),
        ({"sku": LONG}, ["sku"], "NOT_FOUND"),
        ({"sku": "NO-SUCH-KIT"}, ["sku"], "NOT_FOUND"),
        ({"sku": a}, ["sku"], "INVALID"),  # a product without components is no kit
        ({"quantity": "0"}, ["quantity"], "INVALID"),
        ({"quantity": "1000000000000"}, ["quantity"], "INVALID"),
        ({"quantity": "0.00001"}, ["quantity"], "INVALID"),
        ({"fromLocationCode": "BIN\x00"}, ["fromLocationCode"], "NOT_FOUND"),
        ({"toLocationCode": LONG}, ["toLocationCode"], "NOT_FOUND"),
        ({"toLocationCode": "VIRTUAL/ASSEMBLY"}, ["toLocationCode"], "INVALID"),
        ({"lot": "L\x00T"}, ["lot"], "INVALID"),
        ({"componentLots": [{"sku": "\x00", "lot": "L1"}]}, ["componentLots", "0", "sku"], "NOT_FOUND"),
        ({"componentLots": [{"sku": a, "lot": LONG}]}, ["componentLots", "0", "lot"], "INVALID"),
        ({"componentLots": [{"sku": a, "lot": "L1"}]}, ["componentLots", "0", "lot"], "INVALID"),  # a has no lots
    ]
    moves_before = await StockMove.all().count()
    for query in (ASSEMBLE, DISASSEMBLE):
        for changed, field, code in assembly_cases:
            payload = await _call(graphql, query, admin.token, **{**good, **changed}, idempotencyKey=_key())
            assert [(e["field"], e["code"]) for e in payload["errors"]] == [(["input", *field], code)], payload
        bad_key = await _call(graphql, query, admin.token, **good, idempotencyKey="\x00" * 3)
        assert [e["code"] for e in bad_key["errors"]] == ["INVALID"]
    assert await StockMove.all().count() == moves_before


async def test_a_lot_tracked_kit_takes_named_lots_and_its_components_come_back_into_the_lot_named(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    (plain,) = await _products(admin, 1)
    (tracked,) = await _products(admin, 1, tracks_lots=True)
    await _receive(graphql, admin, plain, place.bin_a, "4", "2")
    for lot in ("OLD", "NEW"):
        await _ok(graphql, RECEIVE, admin.token, sku=tracked, locationCode=place.bin_a, quantity="4", lot=lot,
                  unitCost="1", idempotencyKey=_key())  # fmt: skip
    (kit,) = await _products(admin, 1, tracks_lots=True)
    await _ok(graphql, SET, admin.token, sku=kit, components=[{"sku": plain, "quantity": "1"},
                                                             {"sku": tracked, "quantity": "2"}])  # fmt: skip
    unnamed = await _call(graphql, ASSEMBLE, admin.token, sku=kit, quantity="2", fromLocationCode=place.bin_a,
                          toLocationCode=place.bin_b, idempotencyKey=_key())  # fmt: skip
    assert [(e["field"], e["code"]) for e in unnamed["errors"]] == [(["input", "lot"], "INVALID")]

    built = await _ok(graphql, ASSEMBLE, admin.token, sku=kit, quantity="2", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, lot="K1", componentLots=[{"sku": tracked, "lot": "new"}],
                      idempotencyKey=_key())  # fmt: skip
    assert [(m["sku"], m["lotCode"], m["quantity"]) for m in built["moves"]] == [
        (plain, None, "2.0000"), (tracked, "NEW", "4.0000"), (kit, "K1", "2.0000")
    ]  # fmt: skip

    no_lot = await _call(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_b,
                         toLocationCode=place.bin_a, idempotencyKey=_key())  # fmt: skip
    assert [(e["field"], e["code"]) for e in no_lot["errors"]] == [(["input", "componentLots"], "INVALID")]
    apart = await _ok(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, componentLots=[{"sku": tracked, "lot": "BACK"}],
                      idempotencyKey=_key())  # fmt: skip
    assert [(m["sku"], m["lotCode"], m["value"]) for m in apart["moves"]] == [
        (kit, "K1", "4.0000"), (plain, None, "2.0000"), (tracked, "BACK", "2.0000")
    ]  # fmt: skip
    await _clean()
