"""Review attacks on kits (branch kits-review). Tests named ``test_DEFECT_...`` fail on purpose: each shows a
defect found in review; the others hold and stay as regression tests."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from server.catalog.service import ProductDetails, create_product, set_archived
from server.inventory import assembly, ledger
from server.inventory.check import check_ledger
from server.inventory.kits import ComponentSpec, set_kit_components
from server.inventory.models import StockMove
from server.inventory.periods import set_period_lock
from server.inventory.valuation.check import valuation_problems
from server.inventory.valuation.method import set_costing_method
from tests.conftest import Actor, GraphQLClient, Place, demand_id, make_actor, unique

ERRORS = "errors { field code message }"
MOVES = "moves { sku quantity fromLocationCode toLocationCode lotCode kind unitCost value }"
ASSEMBLE = f"mutation A($input: AssembleKitInput!) {{ assembleKit(input: $input) {{ {MOVES} {ERRORS} }} }}"
DISASSEMBLE = f"mutation D($input: DisassembleKitInput!) {{ disassembleKit(input: $input) {{ {MOVES} {ERRORS} }} }}"
VALUE = """query W($sku: String!) { stockValue(sku: $sku) { quantity value } }"""


def key() -> str:
    return str(uuid.uuid4())


async def invariants() -> None:
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


async def product(admin: Actor, **details: Any) -> str:
    sku = unique("KH")
    await create_product(sku, ProductDetails(name="Part", **details), actor_id=admin.user_id)
    return sku


async def receive(admin: Actor, sku: str, where: str, quantity: str, cost: str | None, **lot: Any) -> None:
    await ledger.receive(sku, where, quantity, unit_cost=cost, actor_id=admin.user_id, idempotency_key=key(), **lot)


async def kit_of(admin: Actor, parts: list[tuple[str, str]], **details: Any) -> str:
    kit = await product(admin, **details)
    await set_kit_components(kit, [ComponentSpec(s, q) for s, q in parts], actor_id=admin.user_id)
    return kit


async def gql(graphql: GraphQLClient, query: str, token: str, **input: Any) -> dict[str, Any]:
    """The payload; a top-level GraphQL error (an unexpected exception: "An unknown error occurred") fails."""
    body = (await graphql.post(query, {"input": input}, token)).json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))  # type: ignore[no-any-return]


async def worth(graphql: GraphQLClient, admin: Actor, sku: str) -> tuple[str, str]:
    value = (await graphql.run(VALUE, {"sku": sku}, token=admin.token))["stockValue"]
    return value["quantity"], value["value"]


async def test_a_fifo_component_gets_its_value_back_on_disassembly(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """FIFO: A's oldest layer (1.0000) goes into the kit; taking the kit apart right away gives A a share by A's
    average *now* (3.0000), so A comes back at 1.8000 and B at 1.2000 instead of 1.0000 and 2.0000."""
    a, b = await product(admin), await product(admin)
    await set_costing_method(a, "fifo", actor_id=admin.user_id)
    await receive(admin, a, place.bin_a, "1", "1")
    await receive(admin, a, place.bin_a, "5", "3")
    await receive(admin, b, place.bin_a, "1", "2")
    before = {sku: await worth(graphql, admin, sku) for sku in (a, b)}
    kit = await kit_of(admin, [(a, "1"), (b, "1")])
    built = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, idempotencyKey=key())  # fmt: skip
    assert built["errors"] == [] and built["moves"][-1]["value"] == "3.0000"
    apart = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, idempotencyKey=key())  # fmt: skip
    assert apart["errors"] == []
    await invariants()
    assert [(m["sku"], m["value"]) for m in apart["moves"][1:]] == [(a, "1.0000"), (b, "2.0000")]
    assert {sku: await worth(graphql, admin, sku) for sku in (a, b)} == before


async def test_a_component_without_a_cost_at_assembly_takes_no_value_from_the_others_at_disassembly(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """A had no cost when the kit was built (it went in at 0); once A has a cost, taking the kit apart moves
    value from B to A: B's 10.0000 comes back as 7.1429."""
    a, b = await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "1", None)
    await receive(admin, b, place.bin_a, "1", "10")
    kit = await kit_of(admin, [(a, "1"), (b, "1")])
    built = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, idempotencyKey=key())  # fmt: skip
    assert [m["value"] for m in built["moves"]] == ["0.0000", "10.0000", "10.0000"]
    await receive(admin, a, place.bin_a, "1", "4")  # A is worth something now
    apart = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, idempotencyKey=key())  # fmt: skip
    await invariants()
    assert [(m["sku"], m["value"]) for m in apart["moves"][1:]] == [(a, "0.0000"), (b, "10.0000")]


async def test_a_kit_list_is_not_changed_while_kits_built_of_it_are_in_stock(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """setKitComponents while kits are on the shelf: a kit built of A comes apart into C (made out of nothing,
    while A is gone for good). A list change should be refused while kits of the old list are in stock (or a
    kit should remember what it was built of)."""
    a, c = await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "1", "5")
    kit = await kit_of(admin, [(a, "1")])
    await assembly.assemble(kit, "1", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    try:
        await set_kit_components(kit, [ComponentSpec(c, "7")], actor_id=admin.user_id)
    except Exception:  # refused: what should happen
        return
    apart = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, idempotencyKey=key())  # fmt: skip
    assert apart["errors"] != [], f"a kit of {a} came apart into {apart['moves']}"


async def test_a_nested_kit_assembled_and_taken_apart_stays_exact(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a, b = await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "9", "1.0001")
    await receive(admin, b, place.bin_a, "6", "0.3333")
    inner = await kit_of(admin, [(a, "3"), (b, "1")])
    outer = await kit_of(admin, [(inner, "1"), (b, "1")])
    await assembly.assemble(inner, "3", from_location=place.bin_a, to_location=place.bin_a, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    built = await assembly.assemble(outer, "3", from_location=place.bin_a, to_location=place.bin_b,
                                    actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
    assert built.moves[-1].value == Decimal("9.0009") + Decimal("0.9999") + Decimal("0.9999")
    await assembly.disassemble(outer, "3", from_location=place.bin_b, to_location=place.bin_a,
                               actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
    await assembly.disassemble(inner, "3", from_location=place.bin_a, to_location=place.bin_a,
                               actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
    assert await worth(graphql, admin, a) == ("9.0000", "9.0009")
    assert await worth(graphql, admin, b) == ("6.0000", "1.9998")
    await invariants()


async def test_disassembling_more_than_is_there_is_insufficient_stock_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a = await product(admin)
    await receive(admin, a, place.bin_a, "2", "1")
    kit = await kit_of(admin, [(a, "1")])
    await assembly.assemble(kit, "2", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    moves = await StockMove.all().count()
    for quantity in ("3", "99999999999", "-1", "2.00001"):
        refused = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity=quantity,
                            fromLocationCode=place.bin_b, toLocationCode=place.bin_a, idempotencyKey=key())  # fmt: skip
        assert refused["errors"] and refused["moves"] == [], (quantity, refused)
    assert await StockMove.all().count() == moves
    await invariants()


async def test_serial_components_and_kits_are_refused_clearly_not_with_an_unknown_error(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    serial = await product(admin, tracking="serial")
    plain = await product(admin)
    for code in ("SN1", "SN2", "SN3", "SN4"):
        await receive(admin, serial, place.bin_a, "1", "10", lot=code)
    await receive(admin, plain, place.bin_a, "10", "1")
    kit = await kit_of(admin, [(serial, "2"), (plain, "1")])
    built = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="2", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, idempotencyKey=key())  # fmt: skip
    assert built["errors"] == [], built
    # two serials cannot go back into one serial number
    back = await gql(
        graphql,
        DISASSEMBLE,
        admin.token,
        sku=kit,
        quantity="1",
        fromLocationCode=place.bin_b,
        toLocationCode=place.bin_a,
        componentLots=[{"sku": serial, "lot": "SN9"}],
        idempotencyKey=key(),
    )
    assert back["errors"] and back["moves"] == [], back
    # a serial-tracked kit: two kits cannot be one serial
    skit = await kit_of(admin, [(plain, "1")], tracking="serial")
    two = await gql(graphql, ASSEMBLE, admin.token, sku=skit, quantity="2", fromLocationCode=place.bin_a,
                    toLocationCode=place.bin_b, lot="K-SN1", idempotencyKey=key())  # fmt: skip
    assert two["errors"] and two["moves"] == [], two
    one = await gql(graphql, ASSEMBLE, admin.token, sku=skit, quantity="1", fromLocationCode=place.bin_a,
                    toLocationCode=place.bin_b, lot="K-SN1", idempotencyKey=key())  # fmt: skip
    assert one["errors"] == [], one
    again = await gql(graphql, ASSEMBLE, admin.token, sku=skit, quantity="1", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, lot="K-SN1", idempotencyKey=key())  # fmt: skip
    assert again["errors"] and again["moves"] == [], again
    await invariants()


async def test_an_archived_kit_or_component_and_a_locked_period_are_refused_clearly(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a, b = await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "5", "1")
    await receive(admin, b, place.bin_a, "5", "1")
    kit = await kit_of(admin, [(a, "1"), (b, "1")])
    await assembly.assemble(kit, "2", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    args = {"sku": kit, "quantity": "1", "fromLocationCode": place.bin_a, "toLocationCode": place.bin_b}
    back = {"sku": kit, "quantity": "1", "fromLocationCode": place.bin_b, "toLocationCode": place.bin_a}
    await set_archived(kit, True, actor_id=admin.user_id)
    refused = await gql(graphql, ASSEMBLE, admin.token, **args, idempotencyKey=key())
    assert refused["errors"] and refused["moves"] == []
    await set_archived(kit, False, actor_id=admin.user_id)
    await set_archived(b, True, actor_id=admin.user_id)
    refused = await gql(graphql, DISASSEMBLE, admin.token, **back, idempotencyKey=key())
    assert refused["errors"] and refused["moves"] == []
    await set_archived(b, False, actor_id=admin.user_id)
    await set_period_lock(place.warehouse, date.today(), actor_id=admin.user_id)
    try:
        moves = await StockMove.all().count()
        for query, given in ((ASSEMBLE, args), (DISASSEMBLE, back)):
            locked = await gql(graphql, query, admin.token, **given, idempotencyKey=key())
            assert locked["errors"] and locked["moves"] == [], locked
        assert await StockMove.all().count() == moves
    finally:
        await set_period_lock(place.warehouse, None, actor_id=admin.user_id)
    await invariants()


async def test_a_partial_disassembly_of_a_kit_built_twice_at_different_costs_nets_to_zero(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a, b = await product(admin), await product(admin)
    await set_costing_method(a, "fifo", actor_id=admin.user_id)
    await receive(admin, a, place.bin_a, "3", "1.0001")
    await receive(admin, b, place.bin_a, "3", "0.3333")
    kit = await kit_of(admin, [(a, "1"), (b, "1")])
    await set_costing_method(kit, "fifo", actor_id=admin.user_id)
    await assembly.assemble(kit, "1", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    await receive(admin, a, place.bin_a, "3", "7.7777")
    await assembly.assemble(kit, "2", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    apart = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1.5", fromLocationCode=place.bin_b,
                      toLocationCode=place.bin_a, idempotencyKey=key())  # fmt: skip
    assert apart["errors"] == [], apart
    kit_value = sum(Decimal(m["value"]) for m in apart["moves"] if m["sku"] == kit)
    parts = sum(Decimal(m["value"]) for m in apart["moves"] if m["sku"] != kit)
    assert kit_value == parts
    await invariants()


SET = f"""mutation S($input: SetKitComponentsInput!) {{
  setKitComponents(input: $input) {{ kit {{ sku components {{ sku quantity }} }} {ERRORS} }} }}"""


async def test_a_replayed_set_kit_components_answers_its_first_answer(graphql: GraphQLClient, admin: Actor) -> None:
    """kits.py recall() reads the current list: a client retrying its first request (same key) is told the list
    someone else set since, as if its own change were what is stored."""
    a, b = await product(admin), await product(admin)
    kit = await product(admin)
    asked = {"sku": kit, "components": [{"sku": a, "quantity": "1"}], "idempotencyKey": key()}
    first = await gql(graphql, SET, admin.token, **asked)
    await gql(graphql, SET, admin.token, sku=kit, components=[{"sku": b, "quantity": "2"}])
    again = await gql(graphql, SET, admin.token, **asked)
    assert again == first


async def test_one_key_for_an_assembly_and_a_disassembly_is_refused_not_replayed(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a = await product(admin)
    await receive(admin, a, place.bin_a, "5", "1")
    kit = await kit_of(admin, [(a, "1")])
    shared = key()
    built = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_a, idempotencyKey=shared)  # fmt: skip
    assert built["errors"] == []
    other = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_a, idempotencyKey=shared)  # fmt: skip
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"], other
    await invariants()


async def test_an_expired_component_lot_is_not_built_into_a_kit_by_a_clerk(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """A clerk may assemble (stock.adjust) but may not take expired stock (stock.take_expired)."""
    clerk = await make_actor("clerk")
    a = await product(admin, tracks_lots=True)
    await receive(admin, a, place.bin_a, "5", "1", lot="OLD", expires_on=date(2020, 1, 1), accept_expired=True)
    kit = await kit_of(admin, [(a, "1")])
    for lots in ([], [{"sku": a, "lot": "OLD"}]):
        refused = await gql(graphql, ASSEMBLE, clerk.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
                            toLocationCode=place.bin_b, componentLots=lots, idempotencyKey=key())  # fmt: skip
        assert refused["errors"] and refused["moves"] == [], (lots, refused)


async def test_components_reserved_for_an_order_are_not_built_into_kits(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.inventory import reservations

    a = await product(admin)
    await receive(admin, a, place.bin_a, "3", "1")
    await reservations.reserve("sales.order", demand_id(), 1, a, place.warehouse, "2", actor_id=admin.user_id,
                               idempotency_key=key())  # fmt: skip
    kit = await kit_of(admin, [(a, "1")])
    refused = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="2", fromLocationCode=place.bin_a,
                        toLocationCode=place.bin_b, idempotencyKey=key())  # fmt: skip
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_STOCK"], refused
    await invariants()


async def test_odd_input_anywhere_is_a_user_error_never_an_unknown_error(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    a = await product(admin, tracks_lots=True)
    await receive(admin, a, place.bin_a, "5", "1", lot="L1")
    kit = await kit_of(admin, [(a, "1")], tracks_lots=True)
    base = {"sku": kit, "quantity": "1", "fromLocationCode": place.bin_a, "toLocationCode": place.bin_b}
    odd: list[dict[str, Any]] = [
        {"componentLots": [{"sku": a, "lot": "L1"}] * 60},
        {"componentLots": [{"sku": "x" * 1000, "lot": "y" * 1000}] * 40},
        {"componentLots": [{"sku": a, "lot": ""}]},
        {"componentLots": [{"sku": "", "lot": "L1"}]},
        {"lot": ""},
        {"lot": " "},
        {"lot": "x" * 300},
        {"lot": "NO-SUCH-LOT"},
        {"quantity": "NaN"},
        {"quantity": "-0"},
        {"quantity": "1E+2"},
        {"quantity": " 1 "},
        {"fromLocationCode": "VIRTUAL/ASSEMBLY", "toLocationCode": "VIRTUAL/ASSEMBLY"},
        {"fromLocationCode": place.warehouse},
        {"toLocationCode": place.warehouse},
        {"idempotencyKey": "k" * 10_000},
    ]
    for query in (ASSEMBLE, DISASSEMBLE):
        for changed in odd:
            given = {**base, "idempotencyKey": key(), **changed}
            body = (await graphql.post(query, {"input": given}, admin.token)).json()
            assert "errors" not in body, (changed, body)
    for sku in ("\x00", "x" * 100_000, ""):
        body = (await graphql.post("query K($s: String!) { kit(sku: $s) { sku } }", {"s": sku}, admin.token)).json()
        assert body.get("errors", [{}])[0].get("message") != "An unknown error occurred", body
    await invariants()


async def test_a_kit_built_of_a_perishable_lot_expires_with_it(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """assembly.py makes the kit's lot with LotDates() (no dates): a kit of yoghurt expiring in 3 days is kept,
    sold and picked (FEFO) as if it never expired. Its lot should expire no later than its first-expiring part
    (or the input should let the dates be given, and refuse a kit lot without them when a part has one)."""
    from datetime import timedelta

    from server.inventory.models import Lot

    soon = date.today() + timedelta(days=3)
    a = await product(admin, tracks_lots=True)
    await receive(admin, a, place.bin_a, "5", "1", lot="Y1", expires_on=soon)
    kit = await kit_of(admin, [(a, "1")], tracks_lots=True)
    built = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
                      toLocationCode=place.bin_b, lot="K1", idempotencyKey=key())  # fmt: skip
    assert built["errors"] == []
    lot = await Lot.get(product__sku=kit, code="K1")
    assert lot.expires_on is not None and lot.expires_on <= soon, lot.expires_on


async def test_a_bin_s_limits_refuse_kits_or_parts_that_do_not_fit_at_the_right_field(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.inventory.locations import LocationSettings, create_location

    small = unique("SMALL")
    await create_location(place.warehouse, small, small, settings=LocationSettings(max_units="1"),
                          actor_id=admin.user_id)  # fmt: skip
    a = await product(admin)
    await receive(admin, a, place.bin_a, "6", "1")
    kit = await kit_of(admin, [(a, "3")])
    too_many = await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="2", fromLocationCode=place.bin_a,
                         toLocationCode=small, idempotencyKey=key())  # fmt: skip
    assert [(e["field"], e["code"]) for e in too_many["errors"]] == [(["input", "quantity"], "CAPACITY_EXCEEDED")]
    await gql(graphql, ASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_a,
              toLocationCode=place.bin_b, idempotencyKey=key())  # fmt: skip
    parts = await gql(graphql, DISASSEMBLE, admin.token, sku=kit, quantity="1", fromLocationCode=place.bin_b,
                      toLocationCode=small, idempotencyKey=key())  # fmt: skip
    assert [(e["field"], e["code"]) for e in parts["errors"]] == [(["input", "quantity"], "CAPACITY_EXCEEDED")]
    await invariants()
