"""The ledger's past never goes below zero (server/inventory/history.py): what the check costs a posting, and
that it reads the moves under the quant's lock, through the service functions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from server import sql
from server.clock import now
from server.db import connection
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.errors import InsufficientStock
from server.scanning import ScanInfo
from tests.conftest import Actor, Place, SQLLog

HISTORY_READ = "FROM stock_move WHERE product_id IN"


def key() -> str:
    return str(uuid.uuid4())


def scanned(ago: timedelta) -> ScanInfo:
    return ScanInfo.of("scanned", device="HH-1", scanned_at=now() - ago)


async def test_an_issue_reads_the_moves_from_its_time_on_once_and_a_receipt_not_at_all(
    place: Place, admin: Actor, sql_log: SQLLog
) -> None:
    await ledger.receive(place.sku, place.bin_a, "5", unit_cost="2", actor_id=admin.user_id, idempotency_key=key())
    receipt = [s for s in sql_log.statements if HISTORY_READ in s]
    sql_log.statements.clear()

    await ledger.issue(place.sku, place.bin_a, "2", actor_id=admin.user_id, idempotency_key=key())

    assert receipt == []  # stock arriving cannot take the past below zero
    [read] = [index for index, s in enumerate(sql_log.statements) if HISTORY_READ in s]
    locked = next(index for index, s in enumerate(sql_log.statements) if "FROM quant" in s and "ORDER BY lot_id" in s)
    assert locked < read  # under the quant's row lock: two backdated issues of the bin take turns
    assert "FOR UPDATE" in sql_log.statements[locked] or sql.dialect(connection()) == "sqlite"
    assert "effective_at >=" in sql_log.statements[read]


async def test_a_count_scanned_before_the_stock_it_finds_missing_came_is_refused(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "5", unit_cost="2", actor_id=admin.user_id, idempotency_key=key())

    with pytest.raises(InsufficientStock) as refused:
        await ledger.adjust(place.sku, place.bin_a, "3", actor_id=admin.user_id, idempotency_key=key(),
                            scan=scanned(timedelta(days=2)))  # fmt: skip

    assert "held only 0 of" in refused.value.message and refused.value.requested == Decimal(2)
    assert (await check_ledger()).ok
