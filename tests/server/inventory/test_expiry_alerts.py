"""The expiry_alerts job: lots reaching their alert date with stock left are raised once per lot and
date, listed by the expiryAlerts query, and mailed together to STOREKEEPER_EXPIRY_ALERT_TO through
the outbox, to a real SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from server.inventory.models import ExpiryAlert
from server.jobs.models import JobRecord, JobStatus
from server.mail import service as mail
from server.mail.models import OutboxMessage
from server.settings import Settings, use_settings
from tests.conftest import Actor, GraphQLClient, Place, unique
from tests.server.mail.smtp_server import MailServer
from workers.constants import EXPIRY_ALERTS
from workers.queue import InProcessQueue

RECEIVE = "mutation R($input: ReceiveStockInput!) { receiveStock(input: $input) { errors { code message } } }"
ISSUE = "mutation I($input: IssueStockInput!) { issueStock(input: $input) { errors { code message } } }"
ALERTS = """query A($first: Int, $after: String) {
  expiryAlerts(first: $first, after: $after) {
    edges { node { sku lotCode alertOn expiresOn onHand mailed } } pageInfo { endCursor } } }"""


@pytest.fixture
def mailed(settings: Settings) -> Iterator[MailServer]:
    """An SMTP server, running, that the settings send to, and an address for expiry alerts."""
    server = MailServer()
    server.start()
    use_settings(dataclasses.replace(settings, smtp_url=server.url, expiry_alert_to=("buyer@example.com",)))
    yield server
    server.stop()
    use_settings(settings)


async def run(queue: InProcessQueue, function: str) -> JobRecord:
    job_id = f"{function}:test:{uuid.uuid4()}"
    assert await queue.enqueue(function, job_id=job_id)
    await queue.wait()
    return await JobRecord.get(job_id=job_id)


async def post(graphql: GraphQLClient, admin: Actor, query: str, **input: Any) -> None:
    payload = next(iter((await graphql.run(query, {"input": input}, token=admin.token)).values()))
    assert payload["errors"] == [], payload


async def test_a_lot_at_its_alert_date_is_raised_and_mailed_once(
    mailed: MailServer, graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    today = date.today()
    due, later, gone = unique("DUE"), unique("LATER"), unique("GONE")
    for lot, alert_on in ((due, today), (later, today + timedelta(days=3)), (gone, today - timedelta(days=1))):
        await post(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="5", lot=lot,
                   expiresOn=(today + timedelta(days=10)).isoformat(), alertOn=alert_on.isoformat(),
                   idempotencyKey=str(uuid.uuid4()))  # fmt: skip
    await post(graphql, admin, ISSUE, sku=place.lot_sku, locationCode=place.bin_a, quantity="5", lot=gone,
               idempotencyKey=str(uuid.uuid4()))  # nothing left of it: nothing to look at  # fmt: skip
    queue = InProcessQueue()

    first = await run(queue, EXPIRY_ALERTS)
    again = await run(queue, EXPIRY_ALERTS)  # the next night, or a rerun after a crash

    assert (first.status, again.status) == (JobStatus.DONE, JobStatus.DONE)
    assert again.result == {"raised": 0}
    alerts = await ExpiryAlert.filter(lot__product__sku=place.lot_sku).prefetch_related("lot")
    assert [(a.lot.code, a.alert_on) for a in alerts] == [(due, today)]
    [message] = await OutboxMessage.filter(id=alerts[0].mail_id)
    assert message.to == ["buyer@example.com"] and f"{place.lot_sku} lot {due}: 5 on hand" in message.body
    assert later not in message.body and gone not in message.body

    await run(queue, mail.DELIVER_MAIL)
    [received] = mailed.inbox.with_id(message.message_id)
    assert received.message["Subject"].endswith("reached the alert date")

    data = await graphql.run(ALERTS, {"first": 100}, token=admin.token)
    listed = [edge["node"] for edge in data["expiryAlerts"]["edges"] if edge["node"]["sku"] == place.lot_sku]
    expires = (today + timedelta(days=10)).isoformat()
    assert listed == [{"sku": place.lot_sku, "lotCode": due, "alertOn": today.isoformat(), "expiresOn": expires,
                       "onHand": "5.0000", "mailed": True}]  # fmt: skip


async def test_without_an_address_the_alert_is_listed_and_nothing_is_mailed(
    settings: Settings, graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    lot = unique("QUIET")
    await post(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="1", lot=lot,
               alertOn=date.today().isoformat(), idempotencyKey=str(uuid.uuid4()))  # fmt: skip
    before = await OutboxMessage.all().count()

    await run(InProcessQueue(), EXPIRY_ALERTS)

    alert = await ExpiryAlert.get(lot__code=lot)
    assert alert.mail_id is None and await OutboxMessage.all().count() == before


async def test_two_runs_at_once_raise_and_mail_a_lot_once(
    mailed: MailServer, graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.inventory.expiry import raise_expiry_alerts

    lot = unique("TWICE")
    await post(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="2", lot=lot,
               alertOn=date.today().isoformat(), idempotencyKey=str(uuid.uuid4()))  # fmt: skip

    runs = await asyncio.gather(raise_expiry_alerts(), raise_expiry_alerts())

    assert sum(1 for raised in runs for alert in raised if alert.lot_code == lot) == 1
    alert = await ExpiryAlert.get(lot__code=lot)
    assert alert.mail_id is not None
    assert [m for m in await OutboxMessage.filter(body__contains=lot)] == [await OutboxMessage.get(id=alert.mail_id)]
