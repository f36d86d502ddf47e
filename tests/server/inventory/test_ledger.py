"""The ledger's rules, through the service functions, on whichever database the run uses."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import sql
from server.errors import ErrorCode, Invalid, NotFound
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.errors import InsufficientStock
from server.inventory.ledger import IssueReason
from server.inventory.models import StockMove
from server.inventory.stock import stock_levels
from tests.conftest import Actor, Place, SQLLog


def key() -> str:
    return str(uuid.uuid4())


async def on_hand(sku: str, location: str) -> Decimal:
    return sum((level.on_hand for level in await stock_levels(sku=sku, location_code=location)), Decimal(0))


async def assert_ledger_balanced() -> None:
    report = await check_ledger()
    assert report.ok, report.problems


@pytest.mark.postgres
async def test_a_plain_receipt_sends_two_statements_and_its_guard_with_the_commit(
    place: Place, admin: Actor, sql_log: SQLLog
) -> None:
    # The hot path (issue 7, point 10; bench/scan_to_commit.py): every statement is a round trip, and the quant
    # and cost bucket are locked only by the last one, so receipts of a product queue on them the shortest time.
    await ledger.receive(place.sku, place.bin_a, "1", unit_cost="2", actor_id=admin.user_id, idempotency_key=key())
    sql_log.statements.clear()
    posting = await ledger.receive(place.sku, place.bin_a, "1", actor_id=admin.user_id, idempotency_key=key())
    lookup, last, guarded_commit = sql_log.statements  # and BEGIN: four round trips
    assert "FROM product, location" in lookup and "FROM period_lock" in lookup  # with the lock dates
    assert "nextval" in lookup and "FOR UPDATE" not in lookup  # the move's id; nothing locked for a write yet
    for write in ("INSERT INTO quant", "UPDATE cost_bucket", "INSERT INTO stock_move", "INSERT INTO audit_entry",
                  "INSERT INTO idempotency_record"):  # fmt: skip
        assert write in last
    assert last.index("INSERT INTO quant") < last.index("FOR UPDATE OF cost_bucket")  # quants before buckets
    # What waits for the stock is read after the locks, in the message that commits.
    assert "stock_demand" in guarded_commit and guarded_commit.endswith("; COMMIT")
    (move,) = posting.moves
    assert (move.unit_cost, move.value) == (Decimal("2.0000"), Decimal("2.0000"))  # returned by the last statement
    assert await on_hand(place.sku, place.bin_a) == Decimal(2)
    await assert_ledger_balanced()


async def test_every_kind_of_move_keeps_quants_equal_to_moves(place: Place, admin: Actor) -> None:
    who = {"actor_id": admin.user_id}
    await ledger.receive(place.sku, place.bin_a, "10", idempotency_key=key(), **who)
    await assert_ledger_balanced()
    await ledger.issue(place.sku, place.bin_a, "2", idempotency_key=key(), **who)
    await assert_ledger_balanced()
    await ledger.issue(place.sku, place.bin_a, "0.5", reason=IssueReason.SCRAP, idempotency_key=key(), **who)
    await assert_ledger_balanced()
    await ledger.move(place.sku, place.bin_a, place.bin_b, "3", idempotency_key=key(), **who)
    await assert_ledger_balanced()
    await ledger.adjust(place.sku, place.bin_b, "5", idempotency_key=key(), **who)  # found 2 more
    await assert_ledger_balanced()
    await ledger.adjust(place.sku, place.bin_a, "4", idempotency_key=key(), **who)  # 0.5 lost
    await assert_ledger_balanced()

    assert await on_hand(place.sku, place.bin_a) == Decimal("4")
    assert await on_hand(place.sku, place.bin_b) == Decimal("5")
    assert await on_hand(place.sku, place.warehouse) == Decimal("9")  # the warehouse includes its bins


async def test_a_count_that_matches_writes_no_move(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "3", idempotency_key=key(), actor_id=admin.user_id)
    posting = await ledger.adjust(place.sku, place.bin_a, "3", idempotency_key=key(), actor_id=admin.user_id)
    assert posting.moves == []


async def test_issuing_more_than_available_is_refused_and_writes_nothing(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "2", idempotency_key=key(), actor_id=admin.user_id)
    moves_before = await StockMove.filter(product__sku=place.sku).count()
    with pytest.raises(InsufficientStock) as refused:
        await ledger.issue(place.sku, place.bin_a, "2.0001", idempotency_key=key(), actor_id=admin.user_id)
    assert refused.value.code == ErrorCode.INSUFFICIENT_STOCK
    assert refused.value.available == Decimal("2")
    assert await StockMove.filter(product__sku=place.sku).count() == moves_before
    assert await on_hand(place.sku, place.bin_a) == Decimal("2")


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "", "NaN", "Infinity", "1e20", "1000000000000", "1.00001"])
async def test_bad_quantities_are_refused_and_write_nothing(place: Place, admin: Actor, quantity: str) -> None:
    with pytest.raises(Invalid) as refused:
        await ledger.receive(place.sku, place.bin_a, quantity, idempotency_key=key(), actor_id=admin.user_id)
    assert refused.value.field == "quantity"
    assert await StockMove.filter(product__sku=place.sku).count() == 0


async def test_unknown_sku_and_location_are_not_found(place: Place, admin: Actor) -> None:
    with pytest.raises(NotFound) as no_product:
        await ledger.receive("NO-SUCH-SKU", place.bin_a, "1", idempotency_key=key(), actor_id=admin.user_id)
    assert no_product.value.field == "sku"
    with pytest.raises(NotFound) as no_location:
        await ledger.receive(place.sku, "NO-SUCH-BIN", "1", idempotency_key=key(), actor_id=admin.user_id)
    assert no_location.value.field == "locationCode"


async def test_stock_cannot_be_put_in_a_warehouse_root_or_a_virtual_location(place: Place, admin: Actor) -> None:
    for code in (place.warehouse, "VIRTUAL/CUSTOMER"):
        with pytest.raises(Invalid, match="cannot hold stock"):
            await ledger.receive(place.sku, code, "1", idempotency_key=key(), actor_id=admin.user_id)


async def test_lot_tracked_products_need_a_lot_and_leave_first_expiring_first(place: Place, admin: Actor) -> None:
    who = {"actor_id": admin.user_id}
    with pytest.raises(Invalid) as no_lot:
        await ledger.receive(place.lot_sku, place.bin_a, "1", idempotency_key=key(), **who)
    assert no_lot.value.field == "lot"
    await ledger.receive(place.lot_sku, place.bin_a, "5", lot="LATE", expires_on=date(2031, 1, 1),
                         idempotency_key=key(), **who)  # fmt: skip
    await ledger.receive(place.lot_sku, place.bin_a, "3", lot="EARLY", expires_on=date(2030, 1, 1),
                         idempotency_key=key(), **who)  # fmt: skip

    posting = await ledger.issue(place.lot_sku, place.bin_a, "4", idempotency_key=key(), **who)

    assert [(m.lot_code, m.quantity) for m in posting.moves] == [("EARLY", Decimal("3")), ("LATE", Decimal("1"))]
    levels = {lvl.lot_code: lvl.on_hand for lvl in await stock_levels(sku=place.lot_sku, include_empty=True)}
    assert levels == {"EARLY": Decimal("0"), "LATE": Decimal("4")}
    await assert_ledger_balanced()


async def test_a_lot_keeps_its_expiry(place: Place, admin: Actor) -> None:
    who = {"actor_id": admin.user_id}
    await ledger.receive(place.lot_sku, place.bin_a, "1", lot="L1", expires_on=date(2030, 5, 1),
                         idempotency_key=key(), **who)  # fmt: skip
    with pytest.raises(Invalid) as refused:
        await ledger.receive(place.lot_sku, place.bin_a, "1", lot="L1", expires_on=date(2030, 6, 1),
                             idempotency_key=key(), **who)  # fmt: skip
    assert refused.value.field == "expiresOn"


async def test_archived_products_take_no_new_stock(place: Place, admin: Actor) -> None:
    from server.catalog.service import set_archived

    await set_archived(place.sku, True, actor_id=admin.user_id)
    with pytest.raises(Invalid, match="archived"):
        await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=key(), actor_id=admin.user_id)


async def test_the_quant_table_itself_refuses_negative_on_hand(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=key(), actor_id=admin.user_id)
    with pytest.raises(IntegrityError, match="quant_on_hand_not_negative"):
        async with in_transaction() as conn:
            await sql.execute(
                conn,
                "UPDATE quant SET on_hand = $1 WHERE product_id = (SELECT id FROM product WHERE sku = $2)",
                Decimal("-1"),
                place.sku,
            )
    assert await on_hand(place.sku, place.bin_a) == Decimal("1")


async def test_moves_cannot_be_zero_or_go_nowhere(place: Place, admin: Actor) -> None:
    posting = await ledger.receive(place.sku, place.bin_a, "1", idempotency_key=key(), actor_id=admin.user_id)
    move = posting.moves[0]
    for quantity, target, constraint in (
        (Decimal(0), move.to_location_id, "stock_move_quantity_positive"),
        (Decimal(1), move.from_location_id, "stock_move_locations_differ"),
    ):
        with pytest.raises(IntegrityError, match=constraint):
            async with in_transaction() as conn:
                await sql.execute(
                    conn,
                    "INSERT INTO stock_move (product_id, quantity, from_location_id, to_location_id, kind, created_at)"
                    " VALUES ($1, $2, $3, $4, 'receive', CURRENT_TIMESTAMP)",
                    move.product_id, quantity, move.from_location_id, target,
                )  # fmt: skip


async def test_the_ledger_check_names_a_quant_that_disagrees_with_its_moves(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "5", idempotency_key=key(), actor_id=admin.user_id)
    tamper = "UPDATE quant SET on_hand = $1 WHERE product_id = (SELECT id FROM product WHERE sku = $2)"
    async with in_transaction() as conn:
        await sql.execute(conn, tamper, Decimal("7"), place.sku)
    try:
        report = await check_ledger()
        assert not report.ok
        assert any("quant says 7.0000, moves say 5.0000" in problem for problem in report.problems)
    finally:
        async with in_transaction() as conn:
            await sql.execute(conn, tamper, Decimal("5"), place.sku)
    await assert_ledger_balanced()


async def test_a_product_not_tracked_by_lot_takes_no_lot(place: Place, admin: Actor) -> None:
    with pytest.raises(Invalid) as refused:
        await ledger.receive(place.sku, place.bin_a, "1", lot="L1", idempotency_key=key(), actor_id=admin.user_id)
    assert refused.value.field == "lot"


async def test_lot_tracking_cannot_change_while_the_product_has_stock(place: Place, admin: Actor) -> None:
    from server.catalog.service import ProductDetails, update_product

    await ledger.receive(place.sku, place.bin_a, "2", idempotency_key=key(), actor_id=admin.user_id)
    with pytest.raises(Invalid) as refused:
        await update_product(place.sku, ProductDetails(tracks_lots=True), actor_id=admin.user_id)
    assert refused.value.field == "tracksLots"
    await ledger.issue(place.sku, place.bin_a, "2", idempotency_key=key(), actor_id=admin.user_id)
    product = await update_product(place.sku, ProductDetails(tracks_lots=True), actor_id=admin.user_id)
    assert product.tracks_lots


async def test_a_count_that_matches_is_still_kept_with_its_scan(place: Place, admin: Actor) -> None:
    from server.audit.models import AuditEntry
    from server.scanning import ScanInfo
    from server.scanning.models import Scan

    await ledger.receive(place.sku, place.bin_a, "3", idempotency_key=key(), actor_id=admin.user_id)
    scan = ScanInfo(code=f"count-{place.bin_a}", device="hh-1")
    posting = await ledger.adjust(place.sku, place.bin_a, "3", idempotency_key=key(), actor_id=admin.user_id,
                                  scan=scan)  # fmt: skip
    assert posting.moves == []
    assert await Scan.filter(code=scan.code, move_id=None, user_id=admin.user_id).count() == 1
    counts = await AuditEntry.filter(action="stock.adjust", actor_id=admin.user_id)
    assert any(entry.data["sku"] == place.sku and entry.data["moves"] == [] for entry in counts)


async def test_the_ledger_check_proves_lot_tracking_holds(place: Place, admin: Actor) -> None:
    await ledger.receive(place.sku, place.bin_a, "5", idempotency_key=key(), actor_id=admin.user_id)
    flip = "UPDATE product SET tracks_lots = $1 WHERE sku = $2"
    async with in_transaction() as conn:  # behind the service's back, as a race once did
        await sql.execute(conn, flip, True, place.sku)
    try:
        report = await check_ledger()
        assert f"{place.sku} in {place.bin_a}: tracked by lot but held without one" in report.problems
    finally:
        async with in_transaction() as conn:
            await sql.execute(conn, flip, False, place.sku)
    await assert_ledger_balanced()


async def test_the_ledger_check_finds_stock_that_came_in_after_archiving(place: Place, admin: Actor) -> None:
    from server.catalog.service import set_archived

    await set_archived(place.sku, True, actor_id=admin.user_id)
    archived = "UPDATE product SET is_archived = $1 WHERE sku = $2"
    try:
        async with in_transaction() as conn:  # let one receipt slip past the rule
            await sql.execute(conn, archived, False, place.sku)
        await ledger.receive(place.sku, place.bin_a, "2", idempotency_key=key(), actor_id=admin.user_id)
        async with in_transaction() as conn:
            await sql.execute(conn, archived, True, place.sku)
        report = await check_ledger()
        assert any(p.startswith(f"{place.sku}: move #") and "after it was archived" in p for p in report.problems)
    finally:
        await set_archived(place.sku, False, actor_id=admin.user_id)
    await assert_ledger_balanced()


async def test_stock_received_before_archiving_is_no_problem(place: Place, admin: Actor) -> None:
    from server.catalog.service import set_archived

    await ledger.receive(place.sku, place.bin_a, "2", idempotency_key=key(), actor_id=admin.user_id)
    await set_archived(place.sku, True, actor_id=admin.user_id)
    await ledger.move(place.sku, place.bin_a, place.bin_b, "1", idempotency_key=key(), actor_id=admin.user_id)
    await ledger.issue(place.sku, place.bin_b, "1", idempotency_key=key(), actor_id=admin.user_id)
    await assert_ledger_balanced()


async def test_a_posting_drawing_from_more_lots_than_an_answer_lists_is_refused(
    place: Place, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.inventory import removal

    monkeypatch.setattr(removal, "MAX_LOTS_PER_POSTING", 3)
    for n in range(4):
        await ledger.receive(place.lot_sku, place.bin_a, "1", lot=f"L{n}", expires_on=date(2031, 1, n + 1),
                             idempotency_key=key(), actor_id=admin.user_id)  # fmt: skip
    with pytest.raises(Invalid) as refused:
        await ledger.issue(place.lot_sku, place.bin_a, "4", idempotency_key=key(), actor_id=admin.user_id)
    assert refused.value.field == "quantity" and "4 lots" in refused.value.message
    taken = await ledger.issue(place.lot_sku, place.bin_a, "3", idempotency_key=key(), actor_id=admin.user_id)
    assert [m.lot_code for m in taken.moves] == ["L0", "L1", "L2"]
    await assert_ledger_balanced()
