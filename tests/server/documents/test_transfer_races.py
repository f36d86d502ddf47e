"""Transfers under concurrency (PostgreSQL): receipts at once never take the same units twice."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest

from server.documents import service, transfers
from server.documents.lines import LineInput
from server.errors import DomainError, ManyErrors
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, SQLLog, unique

pytestmark = pytest.mark.postgres


async def _shipped(place: Place, store: str, admin: Actor, quantity: str) -> tuple[int, str]:
    """A transfer of ``quantity`` from the place's first bin to a bin in another warehouse, shipped."""
    warehouse, far_bin = unique("FAR"), unique("FARBIN")
    await create_warehouse(warehouse, "Far away", actor_id=admin.user_id)
    await create_location(warehouse, far_bin, far_bin, actor_id=admin.user_id)
    await ledger.receive(place.sku, place.bin_a, quantity, actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    document = await service.create_document(
        transfers.TRANSFER, store, service.Header(), [LineInput(place.sku, quantity, location=place.bin_a,
                                                                to_location=far_bin)],
        actor_id=admin.user_id,
    )  # fmt: skip
    await service.act(document.id, "confirm", version=None, actor_id=admin.user_id)
    await transfers.ship(document.id, version=None, actor_id=admin.user_id)
    return document.id, far_bin


async def _on_hand(place: Place, location: str) -> Decimal:
    return sum((level.on_hand for level in await stock_levels(sku=place.sku, location_code=location)), Decimal(0))


async def test_twenty_receipts_at_once_of_a_unit_each_bring_in_exactly_the_ten_shipped(
    place: Place, store: str, admin: Actor
) -> None:
    document_id, far_bin = await _shipped(place, store, admin, "10")

    async def receive_one() -> bool:
        try:
            await transfers.receive(document_id, [(1, "1")], version=None, actor_id=admin.user_id,
                                    idempotency_key=str(uuid.uuid4()))  # fmt: skip
        except (DomainError, ManyErrors):
            return False
        return True

    outcomes = await asyncio.gather(*(receive_one() for _ in range(20)))

    assert outcomes.count(True) == 10
    assert await _on_hand(place, far_bin) == 10
    assert (await service.documents_by_ids([document_id]))[0].state == "done"  # the tenth closed it
    assert (await check_ledger()).ok


async def test_one_receipt_sent_many_times_at_once_is_booked_once(place: Place, store: str, admin: Actor) -> None:
    document_id, far_bin = await _shipped(place, store, admin, "10")
    key = str(uuid.uuid4())

    async def send() -> int:
        document = await transfers.receive(document_id, [(1, "4")], version=None, actor_id=admin.user_id,
                                           idempotency_key=key)  # fmt: skip
        return document.version

    versions = await asyncio.gather(*(send() for _ in range(10)))

    assert len(set(versions)) == 1  # every answer is the first one's
    assert await _on_hand(place, far_bin) == 4
    lines = await transfers.transfer_lines(document_id)
    assert lines is not None and lines[0].on_the_way == 6
    assert (await check_ledger()).ok


async def test_a_receipt_really_locks_the_transfer_for_update(
    place: Place, store: str, admin: Actor, sql_log: SQLLog
) -> None:
    """Tortoise drops FOR UPDATE in some query shapes; check what reaches the database."""
    document_id, _ = await _shipped(place, store, admin, "2")
    sql_log.statements.clear()
    await transfers.receive(document_id, [(1, "1")], version=None, actor_id=admin.user_id,
                            idempotency_key=str(uuid.uuid4()))  # fmt: skip
    reads = [s for s in sql_log.statements if s.lstrip().upper().startswith("SELECT") and '"document"' in s]
    assert reads and "FOR UPDATE" in reads[0], sql_log.statements
