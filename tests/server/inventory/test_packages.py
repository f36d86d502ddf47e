"""The database's own rules after every migration (0006 rebuilt SQLite's quant table): what no bug may write."""

from __future__ import annotations

import uuid

import pytest
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from server import sql
from server.clock import now
from server.inventory import ledger
from server.inventory.models import Location, Product
from tests.conftest import Actor, Place

# asyncpg reports a CHECK violation as an IntegrityError; SQLite's triggers abort as a constraint failure too.
REFUSED = (IntegrityError, OperationalError)


async def _received(place: Place, admin: Actor) -> tuple[int, int, int]:
    await ledger.receive(place.sku, place.bin_a, "3", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    product = await Product.get(sku=place.sku)
    bin_a, bin_b = await Location.get(code=place.bin_a), await Location.get(code=place.bin_b)
    return product.id, bin_a.id, bin_b.id


async def test_a_negative_on_hand_is_still_refused_after_every_migration(place: Place, admin: Actor) -> None:
    product_id, bin_id, _ = await _received(place, admin)
    with pytest.raises(REFUSED, match="quant_on_hand_not_negative"):
        async with in_transaction() as conn:
            await sql.execute(conn, "UPDATE quant SET on_hand = -1 WHERE product_id = $1 AND location_id = $2",
                              product_id, bin_id)  # fmt: skip
    with pytest.raises(REFUSED, match="quant_reserved_not_negative"):
        async with in_transaction() as conn:
            await sql.execute(conn, "INSERT INTO quant (product_id, location_id, lot_id, package_id, on_hand, reserved)"
                              " VALUES ($1, $2, 0, 7, 0, -1)", product_id, bin_id)  # fmt: skip


async def test_the_quant_key_holds_the_package(place: Place, admin: Actor) -> None:
    product_id, bin_id, _ = await _received(place, admin)
    insert = "INSERT INTO quant (product_id, location_id, lot_id, package_id, on_hand, reserved)"
    insert += " VALUES ($1, $2, 0, $3, 0, 0)"
    package_id = 2_000_000_000 - int(uuid.uuid4().int % 1_000_000)  # no package has it: the key is what is tested
    async with in_transaction() as conn:
        await sql.execute(conn, insert, product_id, bin_id, package_id)  # beside the loose quant of the same lot
    with pytest.raises(IntegrityError):
        async with in_transaction() as conn:
            await sql.execute(conn, insert, product_id, bin_id, package_id)
    async with in_transaction() as conn:
        await sql.execute(conn, "DELETE FROM quant WHERE package_id = $1", package_id)


@pytest.mark.parametrize(("kind", "refused"), [("move", True), ("issue", True), ("pack", False), ("unpack", False)])
async def test_only_a_pack_or_an_unpack_stays_in_one_location(
    place: Place, admin: Actor, kind: str, refused: bool
) -> None:
    product_id, bin_id, _ = await _received(place, admin)
    insert = (
        "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, kind, created_at,"
        " effective_at, from_package_id, to_package_id) VALUES ($1, 1, $2, $3, $4, $5, $6, 0, 0)"
    )

    async def write() -> None:
        async with in_transaction() as conn:
            await sql.execute(conn, insert, product_id, bin_id, bin_id, kind, now(), now())
            raise _RolledBack  # the row is not kept: it would unbalance the ledger

    if refused:
        with pytest.raises(REFUSED, match="stock_move_locations_differ"):
            await write()
    else:
        with pytest.raises(_RolledBack):
            await write()


class _RolledBack(Exception):
    pass
