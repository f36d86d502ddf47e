"""Assembling kits from their components, and taking kits apart: each one posting through the assembly location.

**Assembly**: every component leaves its bin for the assembly location (its lots by the removal rule, or
the lot named), and the kit comes out of it into a bin, in one ``post_all``. The kit is worth exactly what
its components took out: that value, fixed on their moves, is the value of the kit's move, so the
assembly location nets to zero and no cent appears or vanishes (its unit cost is only that value over the
quantity, rounded).

**Disassembly**: the kit leaves its bin for the assembly location at its own cost, and each component
comes back into a bin with a share of that value: by what each component brought into the warehouse's
kits (``server.inventory.kit_shares``), so a FIFO component, or one without a cost when it went in, gets
back what it brought; a kit never assembled here is shared by its components' unit costs now times their
quantities. Each share is rounded down, and the last component takes what rounding left, so the parts add
up to the kit's value exactly.

Both bins are in one warehouse: a kit is built where its parts are. A component short of stock is
reported with every other short one at once, and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient

from server import sql
from server.catalog.models import SKU
from server.commands import Write
from server.errors import DomainError, Field, Invalid, ManyErrors, NotFound
from server.inventory import kit_shares, quantities
from server.inventory.errors import InsufficientStock
from server.inventory.kits import MAX_KIT_COMPONENTS, lines_of
from server.inventory.ledger import Posting, StockCommand, _post
from server.inventory.lookups import LotRef, Place, Product, existing_lot, lookup, lot_for_receipt, products_by_ids
from server.inventory.lookups import virtual as virtual_place
from server.inventory.lots import DATE_COLUMNS, LotDates
from server.inventory.models import LOCATION_CODE, LOT_CODE, LocationKind
from server.inventory.moves import Move
from server.inventory.posting import Entry, Trail, ValueOf, post_all
from server.inventory.valuation.books import STEP, ZERO, bucket_of, unit_costs
from server.text import shown

ASSEMBLE, DISASSEMBLE = "assemble", "disassemble"  # the moves' kind
# Every move is shown in the answer: a few lots per component on average is plenty for a workbench.
MAX_MOVES = 4 * MAX_KIT_COMPONENTS


@dataclass(frozen=True)
class KitCommand(StockCommand):
    """An assembly's or a disassembly's input, its codes in canonical form."""

    quantity: Decimal
    from_location: str
    to_location: str
    lot: str | None
    component_lots: tuple[tuple[str, str], ...] = field(default=(), kw_only=True)  # (component SKU, lot)


@dataclass(frozen=True)
class AssembleKit(KitCommand):
    operation = "kit.assemble"


@dataclass(frozen=True)
class DisassembleKit(KitCommand):
    operation = "kit.disassemble"


C = TypeVar("C", bound=KitCommand)


def _command(
    kind: type[C], sku: str, quantity: object, from_location: str, to_location: str, lot: str | None,
    component_lots: Sequence[tuple[str, str]],
) -> C:  # fmt: skip
    """The command, every argument checked before the database sees it; every problem at once."""
    problems: list[DomainError] = []

    def check(make: Any, *args: Any, at: Field) -> Any:
        try:
            return make(*args)
        except DomainError as error:
            problems.append(error.at(at))
            return None

    sku_key = SKU.key(sku)
    if sku_key is None:
        problems.append(NotFound(f"There is no product with SKU {shown(str(sku))}.", field="sku"))
    qty = check(quantities.parse, quantity, at="quantity")
    codes = []
    for given, at in ((from_location, "fromLocationCode"), (to_location, "toLocationCode")):
        code = LOCATION_CODE.key(given)
        if code is None:
            problems.append(NotFound(f"There is no location {shown(str(given))}.", field=at))
        codes.append(code)
    lot_code = check(LOT_CODE.clean, lot, "lot", at="lot") if lot is not None and lot.strip() else None
    if len(component_lots) > MAX_KIT_COMPONENTS:
        raise Invalid(f"A kit has at most {MAX_KIT_COMPONENTS} components.", field="componentLots")
    named: list[tuple[str, str]] = []
    for index, (component, component_lot) in enumerate(component_lots):
        component_key = SKU.key(component)
        if component_key is None:
            problems.append(NotFound(f"There is no product with SKU {shown(str(component))}.",
                                     field=("componentLots", index, "sku")))  # fmt: skip
        elif component_key in (n for n, _ in named):
            problems.append(Invalid(f"A lot of {component_key} is named twice: name one.",
                                    field=("componentLots", index, "sku")))  # fmt: skip
        code = check(LOT_CODE.clean, component_lot, "lot", at=("componentLots", index, "lot"))
        if component_key is not None and code is not None:
            named.append((component_key, code))
    if problems:
        raise ManyErrors(problems)
    assert sku_key is not None and qty is not None and codes[0] is not None and codes[1] is not None
    return kind(sku_key, qty, codes[0], codes[1], lot_code, component_lots=tuple(named))


@dataclass(frozen=True)
class Part:
    """A component of this assembly: its product, how much of it, and the lot named for it (None: any)."""

    product: Product
    quantity: Decimal
    lot: LotRef | None
    named_at: int | None  # the index in componentLots that named its lot


@dataclass(frozen=True)
class Bench:
    """What an assembly or a disassembly works with, read in its transaction."""

    kit: Product
    stock_side: Place  # the components' bin
    kit_side: Place  # the kit's bin
    assembly: Place
    parts: list[Part]


async def assemble(
    sku: str,
    quantity: object,
    *,
    from_location: str,
    to_location: str,
    lot: str | None = None,
    component_lots: Sequence[tuple[str, str]] = (),
    actor_id: int | None,
    idempotency_key: str,
) -> Posting:
    """Build ``quantity`` kits of ``sku``: its components leave ``from_location`` (lots by the removal rule, or
    those ``component_lots`` name), the kits arrive in ``to_location`` (in the lot ``lot``, when tracked), worth
    exactly what the components took out."""
    command = _command(AssembleKit, sku, quantity, from_location, to_location, lot, component_lots)

    async def run(write: Write, trail: Trail) -> list[Move]:
        conn = write.conn
        kit, (stock_side, kit_side) = await lookup(
            conn, command.sku, (command.from_location, "fromLocationCode"), (command.to_location, "toLocationCode"),
            lot=command.lot, lot_required=True,
        )  # fmt: skip
        kit.refuse_new_stock_if_archived()
        bench = await _bench(conn, kit, stock_side, kit_side, command, taking=True)
        kit_lot = await lot_for_receipt(conn, kit, command.lot, LotDates()) if command.lot else None
        taken = [Entry(part.product, stock_side, bench.assembly, part.quantity, part.lot, ASSEMBLE, kit.sku)
                 for part in bench.parts]  # fmt: skip

        def components_value(booked: list[list[Move]]) -> Decimal:
            return sum((move.value or ZERO for moves in booked[: len(taken)] for move in moves), ZERO)

        made = Entry(kit, bench.assembly, kit_side, command.quantity, kit_lot, ASSEMBLE, kit.sku,
                     value=components_value)  # fmt: skip
        moves = await _book(conn, [*taken, made], trail, bench)
        brought: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for move in moves:
            if move.to_location_id == bench.assembly.id:
                brought[move.product_id] += move.value or ZERO
        await kit_shares.add(conn, kit.id, _warehouse(stock_side), brought)
        if kit_lot is not None:
            parts_lots = {m.lot_id for m in moves if m.to_location_id == bench.assembly.id and m.lot_id is not None}
            await _dates_of_earliest_part(conn, kit_lot.id, parts_lots)
        return moves

    return await _post(command, run, actor_id, idempotency_key, None)


async def disassemble(
    sku: str,
    quantity: object,
    *,
    from_location: str,
    to_location: str,
    lot: str | None = None,
    component_lots: Sequence[tuple[str, str]] = (),
    actor_id: int | None,
    idempotency_key: str,
) -> Posting:
    """Take ``quantity`` kits of ``sku`` apart: the kits leave ``from_location`` (the lot ``lot``, or by the
    removal rule), their components arrive in ``to_location`` (a component tracked by lot in the lot
    ``component_lots`` names), sharing the kits' value by what each is worth now."""
    command = _command(DisassembleKit, sku, quantity, from_location, to_location, lot, component_lots)

    async def run(write: Write, trail: Trail) -> list[Move]:
        conn = write.conn
        kit, (kit_side, stock_side) = await lookup(
            conn, command.sku, (command.from_location, "fromLocationCode"), (command.to_location, "toLocationCode"),
            lot=command.lot,
        )  # fmt: skip
        bench = await _bench(conn, kit, stock_side, kit_side, command, taking=False)
        kit_lot = await existing_lot(conn, kit, command.lot) if command.lot else None
        taken_apart = Entry(kit, kit_side, bench.assembly, command.quantity, kit_lot, DISASSEMBLE, kit.sku)
        bucket = bucket_of(stock_side)
        assert bucket is not None  # a bin lookup found: it holds stock
        shares = await kit_shares.shares_of(conn, kit.id, _warehouse(stock_side))
        weights = [shares.get(part.product.id, ZERO) for part in bench.parts]  # what each brought in
        if sum(weights, ZERO) <= 0 or any(part.product.id not in shares for part in bench.parts):
            costs = await unit_costs(conn, [part.product.id for part in bench.parts], bucket)  # bought as kits
            weights = [max(costs[part.product.id], ZERO) * part.quantity for part in bench.parts]
        if sum(weights, ZERO) <= 0:  # nothing is worth anything yet: share by quantity
            weights = [part.quantity for part in bench.parts]

        def share(index: int) -> ValueOf:
            return lambda booked: split(sum((move.value or ZERO for move in booked[0]), ZERO), weights)[index]

        back = [Entry(part.product, bench.assembly, stock_side, part.quantity, part.lot, DISASSEMBLE, kit.sku,
                      value=share(index)) for index, part in enumerate(bench.parts)]  # fmt: skip
        moves = await _book(conn, [taken_apart, *back], trail, bench)
        given: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for move in moves:
            if move.from_location_id == bench.assembly.id:
                given[move.product_id] -= move.value or ZERO
        if shares:
            await kit_shares.add(conn, kit.id, _warehouse(stock_side), given)
        return moves

    return await _post(command, run, actor_id, idempotency_key, None)


async def _dates_of_earliest_part(conn: BaseDBAsyncClient, kit_lot_id: int, part_lot_ids: set[int]) -> None:
    """A kit keeps no longer than its first-expiring part: each date of the kit's lot (expiry, best before,
    removal, alert) becomes the earliest of the parts' lots it was built of, when that is earlier."""
    if not part_lot_ids:
        return
    ids = sorted(part_lot_ids)
    rows = await sql.fetch(
        conn, f"SELECT {', '.join(DATE_COLUMNS)} FROM lot WHERE id IN ({sql.placeholders(1, len(ids))})", *ids
    )
    for column in DATE_COLUMNS:  # names of the lot table's own columns, never input
        dates = [d for r in rows if (d := sql.as_date(r[column])) is not None]
        if dates:
            await sql.execute(
                conn, f"UPDATE lot SET {column} = $1 WHERE id = $2 AND ({column} IS NULL OR {column} > $3)",
                min(dates), kit_lot_id, min(dates),
            )  # fmt: skip


def _warehouse(place: Place) -> int:
    assert place.warehouse_id is not None  # a bin lookup found
    return place.warehouse_id


def split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` shared by ``weights`` (their sum above zero), each share rounded down to the cost scale and
    the last taking the remainder: the shares add up to ``total`` exactly, and none is below zero when the
    total is not (rounding half up could leave the last a negative cent)."""
    whole = sum(weights, ZERO)
    shares = [(total * weight / whole).quantize(STEP, rounding=ROUND_DOWN) for weight in weights[:-1]]
    return [*shares, total - sum(shares, ZERO)]


async def _bench(
    conn: BaseDBAsyncClient, kit: Product, stock_side: Place, kit_side: Place, command: KitCommand, *, taking: bool
) -> Bench:
    """The kit's components for ``command.quantity`` kits, with the lots named for them; every problem at once.

    ``taking``: the components leave the shelf (a lot named must exist); else they come back (a component
    tracked by lot needs one, created when new)."""
    if stock_side.warehouse_id != kit_side.warehouse_id:
        raise Invalid("Both bins must be in one warehouse: a kit is built and taken apart where its parts are.",
                      field="toLocationCode")  # fmt: skip
    lines = await lines_of(conn, kit.id)
    if not lines:
        raise Invalid(f"{kit.sku} is not a kit: it has no components (setKitComponents).", field="sku")
    products = await products_by_ids(conn, {line.product_id for line in lines})
    by_sku = {product.sku: product for product in products.values()}
    problems: list[DomainError] = []
    lots: dict[int, tuple[LotRef, int]] = {}
    for index, (component_sku, code) in enumerate(command.component_lots):
        at: Field = ("componentLots", index, "lot")
        product = by_sku.get(component_sku)
        if product is None:
            problems.append(Invalid(f"{component_sku} is not a component of {kit.sku}.",
                                    field=("componentLots", index, "sku")))  # fmt: skip
        elif not product.tracks_lots:
            problems.append(Invalid(f"The product {product.sku} is not tracked by lot.", field=at))
        else:
            try:
                found = await (existing_lot(conn, product, code) if taking
                               else lot_for_receipt(conn, product, code, LotDates()))  # fmt: skip
                lots[product.id] = (found, index)
            except DomainError as error:
                problems.append(error.at(at))
    parts: list[Part] = []
    for line in lines:
        product = products[line.product_id]
        need = line.quantity * command.quantity
        if need != need.quantize(quantities.STEP) or need >= quantities.MAX_QUANTITY:
            problems.append(Invalid(
                f"{command.quantity.normalize():f} kits need {need.normalize():f} of {product.sku}: a quantity has"
                f" at most {quantities.PLACES} places and stays below {quantities.MAX_QUANTITY:,}.", field="quantity",
            ))  # fmt: skip
            continue
        lot, named_at = lots.get(product.id, (None, None))
        if not taking and product.tracks_lots and lot is None:
            problems.append(Invalid(f"The component {product.sku} is tracked by lot: name the lot it goes back into.",
                                    field="componentLots"))  # fmt: skip
        if not taking and product.archived:
            problems.append(Invalid(f"The component {product.sku} is archived and takes no new stock: restore it"
                                    " first.", field="sku"))  # fmt: skip
        parts.append(Part(product, need.quantize(quantities.STEP), lot, named_at))
    if problems:
        raise ManyErrors(problems)
    return Bench(kit, stock_side, kit_side, await virtual_place(conn, LocationKind.ASSEMBLY), parts)


async def _book(conn: BaseDBAsyncClient, entries: list[Entry], trail: Trail, bench: Bench) -> list[Move]:
    """Post the entries in one go; a line's problem told at the input that caused it."""
    try:
        booked = await post_all(conn, entries, trail)
    except ManyErrors as many:
        raise ManyErrors([_placed(error, entries, bench) for error in many.errors]) from None
    except DomainError as error:
        raise _placed(error, entries, bench) from None
    moves = [move for moves in booked for move in moves]
    if len(moves) > MAX_MOVES:  # refused before the commit: nothing of it is kept
        raise Invalid(f"This would take stock from more than {MAX_MOVES} lots at once: name the lots, or build"
                      " fewer kits at a time.", field="quantity")  # fmt: skip
    return moves


def _placed(error: DomainError, entries: list[Entry], bench: Bench) -> DomainError:
    """An error ``post_all`` placed on a line, placed on the input instead: a component short of stock at
    ``quantity`` (the kits asked for; its message names the component), a lot at the input that named it."""
    where = error.field
    if isinstance(error, InsufficientStock):
        return error.at("quantity")
    if not (isinstance(where, tuple) and len(where) == 3 and where[0] == "lines"):
        return error
    entry = entries[int(where[1])]
    if where[2] == "location":  # a bin's limits refuse what arrives: the kits, or the components back
        return error.at("toLocationCode")
    if where[2] == "lot":
        part = next((part for part in bench.parts if part.product.id == entry.product.id), None)
        if part is not None and part.named_at is not None:
            return error.at(("componentLots", part.named_at, "lot"))
        return error.at("lot" if entry.product.id == bench.kit.id else "componentLots")
    return error.at("quantity")
