"""Business dates and closed periods: every move keeps when it happened beside when it was booked,
and a posting effective in a closed period is refused."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any

import pytest

from server.inventory import ledger
from server.inventory.models import StockMove
from server.inventory.periods import PeriodLocked, set_period_lock
from tests.conftest import Actor, GraphQLClient, Place

RECEIVE = """
mutation R($input: ReceiveStockInput!) {
  receiveStock(input: $input) { moves { id quantity effectiveAt createdAt } errors { field code message } }
}"""
LOCK = """
mutation L($input: SetPeriodLockInput!) {
  setPeriodLock(input: $input) { lock { warehouse lockedUntil } errors { field code message } }
}"""
DOCUMENT = (
    """mutation C($input: CreateDocumentInput!) { createDocument(input: $input) { document { id } errors { code } } }"""
)
ACT = """mutation A($input: TransitionDocumentInput!) {
  transitionDocument(input: $input) { document { state number } errors { field code message } } }"""


def _receive(place: Place, quantity: str = "1", **extra: Any) -> dict[str, Any]:
    return {"input": {"sku": place.sku, "locationCode": place.bin_a, "quantity": quantity,
                      "idempotencyKey": str(uuid.uuid4()), **extra}}  # fmt: skip


async def _lock(graphql: GraphQLClient, token: str, until: str | None, warehouse: str | None = None) -> dict[str, Any]:
    variables = {"input": {"lockedUntil": until, **({"warehouse": warehouse} if warehouse else {})}}
    return (await graphql.run(LOCK, variables, token=token))["setPeriodLock"]  # type: ignore[no-any-return]


@pytest.fixture
async def open_periods(admin: Actor) -> Any:
    """Every test leaves the company's periods open, as it found them."""
    yield
    await set_period_lock(None, None, actor_id=admin.user_id)


async def test_a_scan_is_booked_when_it_was_scanned_and_a_closed_period_refuses_it(
    graphql: GraphQLClient, admin: Actor, place: Place, open_periods: None
) -> None:
    scanned = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)
    scan = {"code": place.sku, "scannedAt": scanned.isoformat()}
    booked = (await graphql.run(RECEIVE, _receive(place, scan=scan), token=admin.token))["receiveStock"]
    assert booked["errors"] == []
    (move,) = booked["moves"]
    assert datetime.datetime.fromisoformat(move["effectiveAt"]) == scanned.replace(microsecond=scanned.microsecond)
    assert datetime.datetime.fromisoformat(move["createdAt"]) > scanned + datetime.timedelta(days=2)

    two_days_ago = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
    assert (await _lock(graphql, admin.token, two_days_ago))["errors"] == []
    before = await StockMove.filter(product__sku=place.sku).count()
    late = (await graphql.run(RECEIVE, _receive(place, scan=scan), token=admin.token))["receiveStock"]
    assert late["moves"] == []
    assert late["errors"][0]["code"] == "PERIOD_LOCKED" and two_days_ago in late["errors"][0]["message"]
    assert await StockMove.filter(product__sku=place.sku).count() == before
    today = (await graphql.run(RECEIVE, _receive(place), token=admin.token))["receiveStock"]
    assert today["errors"] == []  # the correction goes into the open period


async def test_a_warehouse_closes_its_own_periods_and_a_document_dated_in_one_is_refused_at_post(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, open_periods: None
) -> None:
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    lock = await _lock(graphql, admin.token, yesterday, warehouse=place.warehouse.lower())
    assert lock == {"lock": {"warehouse": place.warehouse, "lockedUntil": yesterday}, "errors": []}
    listed = (await graphql.run("{ periodLocks { warehouse lockedUntil } }", token=admin.token))["periodLocks"]
    assert listed[0]["warehouse"] is None  # the company's first
    assert {"warehouse": place.warehouse, "lockedUntil": yesterday} in listed
    line = {"sku": place.sku, "quantity": "2", "location": place.bin_a}
    made = await graphql.run(DOCUMENT, {"input": {"type": "stock.inbound", "store": store, "businessDate": yesterday,
                                                  "lines": [line]}}, token=admin.token)  # fmt: skip
    document_id = made["createDocument"]["document"]["id"]
    for action in ("confirm", "post"):
        answer = await graphql.run(ACT, {"input": {"id": document_id, "action": action}}, token=admin.token)
    refused = answer["transitionDocument"]
    assert refused["errors"][0]["code"] == "PERIOD_LOCKED" and refused["document"] is None
    assert await StockMove.filter(product__sku=place.sku).count() == 0
    # Other warehouses are open: a receipt dated yesterday elsewhere is not this warehouse's business.
    await _lock(graphql, admin.token, None, warehouse=place.warehouse)
    posted = await graphql.run(ACT, {"input": {"id": document_id, "action": "post"}}, token=admin.token)
    assert posted["transitionDocument"]["document"]["state"] == "done"


async def test_bad_lock_requests_are_refused(graphql: GraphQLClient, admin: Actor, viewer: Actor) -> None:
    unknown = await _lock(graphql, admin.token, "2020-01-31", warehouse="NO-SUCH\x00")
    assert unknown["errors"][0]["field"] == ["input", "warehouse"]
    refused = await graphql.post(LOCK, {"input": {"lockedUntil": "2020-01-31"}}, token=viewer.token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    ahead = (await graphql.run(RECEIVE, {"input": {**_receive(Place("", "X", "", "X", ""))["input"],
                                                   "scan": {"code": "X", "scannedAt": future.isoformat()}}},
                               token=admin.token))["receiveStock"]  # fmt: skip
    assert ahead["errors"][0]["field"] == ["input", "scan", "scannedAt"]


@pytest.mark.postgres
async def test_postings_racing_the_closing_of_a_period_never_land_in_it(
    place: Place, admin: Actor, open_periods: None
) -> None:
    """A posting that read the old lock date commits before the new one is set; every posting that
    finishes after the period closed was refused."""
    from server.scanning import ScanInfo

    yesterday = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    finished: list[str] = []  # in the order the calls came back

    async def receive() -> None:
        try:
            await ledger.receive(place.sku, place.bin_a, "1", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()),
                                 scan=ScanInfo(place.sku, scanned_at=yesterday))  # fmt: skip
            finished.append("booked")
        except PeriodLocked:
            finished.append("refused")

    async def close() -> None:
        await asyncio.sleep(0.02)
        await set_period_lock(None, yesterday.date(), actor_id=admin.user_id)
        finished.append("closed")

    await asyncio.gather(*(receive() for _ in range(40)), close())
    after_closing = finished[finished.index("closed") + 1 :]
    assert "booked" not in after_closing, finished
    assert await StockMove.filter(product__sku=place.sku).count() == finished.count("booked")
