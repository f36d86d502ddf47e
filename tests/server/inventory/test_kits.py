"""Kits through the service functions: a bill of materials per kit, assembly at the components' exact value,
disassembly sharing the kit's value to the last digit, and the ledger and the valuation exact after both."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server.catalog.service import ProductDetails, create_product
from server.errors import DomainError, ManyErrors
from server.inventory import assembly, ledger
from server.inventory.assembly import split
from server.inventory.check import check_ledger
from server.inventory.kits import ComponentSpec, kit_components, set_kit_components
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.models import LocationKind, StockMove
from server.inventory.valuation.check import valuation_problems
from server.inventory.valuation.method import set_costing_method
from tests.conftest import Actor, Place, unique

ASSEMBLY = VIRTUAL_LOCATIONS[LocationKind.ASSEMBLY][0]


def key() -> str:
    return str(uuid.uuid4())


async def invariants() -> None:
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


async def product(admin: Actor, name: str = "Part") -> str:
    sku = unique("KITPART")
    await create_product(sku, ProductDetails(name=name), actor_id=admin.user_id)
    return sku


async def receive(admin: Actor, sku: str, bin_code: str, quantity: str, unit_cost: str) -> None:
    await ledger.receive(sku, bin_code, quantity, unit_cost=unit_cost, actor_id=admin.user_id, idempotency_key=key())


async def kit_of(admin: Actor, parts: list[tuple[str, str]]) -> str:
    kit = await product(admin, "Kit")
    await set_kit_components(kit, [ComponentSpec(sku, qty) for sku, qty in parts], actor_id=admin.user_id)
    return kit


async def values_by_sku(moves: list[object]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for move in moves:
        totals[move.sku] = totals.get(move.sku, Decimal(0)) + move.value  # type: ignore[attr-defined]
    return totals


async def assembly_net(idempotency_key: str) -> Decimal:
    """What the assembly location holds in value after the moves of one request: in less out."""
    moves = await StockMove.filter(idempotency_key=idempotency_key).select_related("from_location", "to_location")
    into = sum((Decimal(str(m.value)) for m in moves if m.to_location.code == ASSEMBLY), Decimal(0))
    out_of = sum((Decimal(str(m.value)) for m in moves if m.from_location.code == ASSEMBLY), Decimal(0))
    return into - out_of


def test_a_split_adds_up_to_the_total_and_the_last_share_takes_the_remainder() -> None:
    assert split(Decimal("10.0000"), [Decimal(1), Decimal(1), Decimal(1)]) == [
        Decimal("3.3333"), Decimal("3.3333"), Decimal("3.3334")
    ]  # fmt: skip
    assert split(Decimal("0.0001"), [Decimal(1), Decimal(1), Decimal(0)]) == [
        Decimal("0.0000"), Decimal("0.0000"), Decimal("0.0001")
    ]  # rounded down, the last is never below zero  # fmt: skip
    assert sum(split(Decimal("59.0001"), [Decimal("9.0009"), Decimal("48.9993"), Decimal("0.9999")])) == Decimal(
        "59.0001"
    )


async def test_a_kit_assembled_and_taken_apart_returns_every_component_value_exactly(
    admin: Actor, place: Place
) -> None:
    a, b, c = await product(admin), await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "9", "1.0001")
    await receive(admin, b, place.bin_a, "21", "2.3333")
    await receive(admin, c, place.bin_a, "3", "0.3333")
    kit = await kit_of(admin, [(a, "3"), (b, "7"), (c, "1")])

    built_key = key()
    built = await assembly.assemble(kit, "3", from_location=place.bin_a, to_location=place.bin_b,
                                    actor_id=admin.user_id, idempotency_key=built_key)  # fmt: skip
    made = [m for m in built.moves if m.sku == kit]
    assert [(m.quantity, m.value, m.unit_cost) for m in made] == [
        (Decimal(3), Decimal("59.0001"), Decimal("19.6667"))  # 9.0009 + 48.9993 + 0.9999, not 3 x 19.6667
    ]
    assert await assembly_net(built_key) == 0
    await invariants()

    apart_key = key()
    apart = await assembly.disassemble(kit, "3", from_location=place.bin_b, to_location=place.bin_a,
                                       actor_id=admin.user_id, idempotency_key=apart_key)  # fmt: skip
    back = await values_by_sku([m for m in apart.moves if m.sku != kit])
    assert back == {a: Decimal("9.0009"), b: Decimal("48.9993"), c: Decimal("0.9999")}
    assert sum(back.values()) == Decimal("59.0001")
    assert await assembly_net(apart_key) == 0
    await invariants()


async def test_a_partial_disassembly_shares_the_kits_value_to_the_last_digit(admin: Actor, place: Place) -> None:
    a, b, c = await product(admin), await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "100", "1.0001")
    await receive(admin, b, place.bin_a, "100", "2.3333")
    await receive(admin, c, place.bin_a, "100", "0.3333")
    kit = await kit_of(admin, [(a, "3"), (b, "7"), (c, "1")])
    await assembly.assemble(kit, "7", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip

    apart = await assembly.disassemble(kit, "3", from_location=place.bin_b, to_location=place.bin_a,
                                       actor_id=admin.user_id, idempotency_key=key())  # fmt: skip

    (kit_move,) = [m for m in apart.moves if m.sku == kit]
    parts = [m for m in apart.moves if m.sku != kit]
    assert [m.quantity for m in parts] == [Decimal(9), Decimal(21), Decimal(3)]
    assert sum((m.value or Decimal(0) for m in parts), Decimal(0)) == kit_move.value
    await invariants()


async def test_components_short_of_stock_are_all_reported_at_once_and_nothing_is_written(
    admin: Actor, place: Place
) -> None:
    a, b, c = await product(admin), await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "2", "1")
    await receive(admin, b, place.bin_a, "100", "1")
    kit = await kit_of(admin, [(a, "1"), (b, "2"), (c, "1")])
    before = await StockMove.all().count()

    with pytest.raises(ManyErrors) as refused:
        await assembly.assemble(kit, "3", from_location=place.bin_a, to_location=place.bin_b,
                                actor_id=admin.user_id, idempotency_key=key())  # fmt: skip

    errors = refused.value.errors
    assert [(e.code, e.field) for e in errors] == [("INSUFFICIENT_STOCK", "quantity")] * 2
    assert [a in errors[0].message, c in errors[1].message] == [True, True]
    assert await StockMove.all().count() == before
    await invariants()


async def test_a_retried_assembly_replays_its_first_answer_and_never_books_twice(admin: Actor, place: Place) -> None:
    a = await product(admin)
    await receive(admin, a, place.bin_a, "4", "2.5")
    kit = await kit_of(admin, [(a, "2")])
    same = key()

    first = await assembly.assemble(kit, "2", from_location=place.bin_a, to_location=place.bin_b,
                                    actor_id=admin.user_id, idempotency_key=same)  # fmt: skip
    again = await assembly.assemble(kit, "2", from_location=place.bin_a, to_location=place.bin_b,
                                    actor_id=admin.user_id, idempotency_key=same)  # fmt: skip

    assert (first.replayed, again.replayed) == (False, True)
    assert [m.id for m in again.moves] == [m.id for m in first.moves]
    assert await StockMove.filter(idempotency_key=same).count() == 2
    await invariants()


async def test_a_kit_never_contains_itself_directly_or_through_a_nested_kit(admin: Actor) -> None:
    a = await product(admin)
    inner = await kit_of(admin, [(a, "1")])
    outer = await kit_of(admin, [(inner, "2")])

    with pytest.raises(ManyErrors) as itself:
        await set_kit_components(outer, [ComponentSpec(outer, "1")], actor_id=admin.user_id)
    with pytest.raises(ManyErrors) as nested:
        await set_kit_components(inner, [ComponentSpec(a, "1"), ComponentSpec(outer, "1")], actor_id=admin.user_id)

    assert [(e.code, e.field) for e in itself.value.errors] == [("INVALID", ("components", 0, "sku"))]
    assert [(e.code, e.field) for e in nested.value.errors] == [("INVALID", ("components", 1, "sku"))]
    assert [(c.sku, c.quantity) for c in (await kit_components(inner)).components] == [(a, Decimal(1))]  # as it was


async def test_a_fifo_component_is_taken_from_its_oldest_layers_and_the_books_stay_exact(
    admin: Actor, place: Place
) -> None:
    a, b = await product(admin), await product(admin)
    await set_costing_method(a, "fifo", actor_id=admin.user_id)
    await receive(admin, a, place.bin_a, "2", "1.0001")
    await receive(admin, a, place.bin_a, "5", "3.3333")
    await receive(admin, b, place.bin_a, "7", "0.3333")
    kit = await kit_of(admin, [(a, "1"), (b, "1")])
    await set_costing_method(kit, "fifo", actor_id=admin.user_id)

    built = await assembly.assemble(kit, "3", from_location=place.bin_a, to_location=place.bin_b,
                                    actor_id=admin.user_id, idempotency_key=key())  # fmt: skip

    (made,) = [m for m in built.moves if m.sku == kit]
    assert made.value == Decimal("2.0002") + Decimal("3.3333") + Decimal("0.9999")
    await assembly.disassemble(kit, "1", from_location=place.bin_b, to_location=place.bin_a,
                               actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
    await invariants()


@pytest.mark.postgres
async def test_two_lists_changed_at_once_that_would_close_a_cycle_are_not_both_kept(admin: Actor) -> None:
    """A -> B and C -> D, with B -> C and D -> A stored: each alone is fine, both make A -> B -> C -> D -> A.
    The four rows the two changes lock are all different, so only the lock every change takes orders them."""
    a, b, c, d = [await product(admin, "Kit") for _ in range(4)]
    await set_kit_components(b, [ComponentSpec(c, "1")], actor_id=admin.user_id)
    await set_kit_components(d, [ComponentSpec(a, "1")], actor_id=admin.user_id)

    async def contain(kit: str, component: str) -> bool:
        try:
            await set_kit_components(kit, [ComponentSpec(component, "1")], actor_id=admin.user_id)
        except ManyErrors:
            return False
        return True

    outcomes = await asyncio.gather(contain(a, b), contain(c, d))

    assert sorted(outcomes) == [False, True]  # the second saw the first's list


@pytest.mark.postgres
async def test_assemblies_at_once_never_take_the_same_component_twice(admin: Actor, place: Place) -> None:
    a, b = await product(admin), await product(admin)
    await receive(admin, a, place.bin_a, "10", "1.0001")
    await receive(admin, b, place.bin_a, "30", "0.3333")
    kit = await kit_of(admin, [(a, "1"), (b, "3")])

    async def build() -> bool:
        try:
            await assembly.assemble(kit, "1", from_location=place.bin_a, to_location=place.bin_b,
                                    actor_id=admin.user_id, idempotency_key=key())  # fmt: skip
        except (ManyErrors, DomainError):
            return False
        return True

    outcomes = await asyncio.gather(*(build() for _ in range(15)))

    assert outcomes.count(True) == 10
    made = await StockMove.filter(product__sku=kit)
    assert sum((Decimal(str(m.value)) for m in made), Decimal(0)) == Decimal("10.0010") + Decimal(
        "9.9990"
    )  # all of both, no more
    await invariants()
