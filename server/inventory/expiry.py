"""Expiry alerts: a lot whose alert date has come while stock of it is left in a bin is raised once
per lot and alert date, and one mail lists the new ones to ``Settings.expiry_alert_to``.

The nightly job (``workers.jobs.expiry_alerts``) calls ``raise_expiry_alerts``: the alerts and their
mail are written in one transaction, and the (lot, alert date) key keeps a rerun, or two runs at
once, from raising or mailing one twice. A lot given a later alert date is raised again then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.queryset import QuerySet

from server import sql
from server.clock import now, today
from server.commands import Audited, Command, Effect, Write, execute
from server.db import connection
from server.inventory import quantities
from server.inventory.models import ExpiryAlert, LocationKind
from server.mail import service as mail
from server.settings import get_settings

MAX_PER_RUN = 1000  # the rest are raised by the next run


@dataclass(frozen=True)
class RaiseExpiryAlerts(Command):
    operation = "stock.expiry_alerts"
    day: date


@dataclass(frozen=True)
class Raised:
    sku: str
    lot_code: str
    alert_on: date
    expires_on: date | None
    on_hand: Decimal


async def raise_expiry_alerts(day: date | None = None) -> list[Raised]:
    """Raise the alerts due on ``day`` (default: today) not raised yet; the new ones, mailed together."""
    on = day or today()
    due = await sql.fetch(
        connection(),
        "SELECT lot.id, lot.code, lot.alert_on, lot.expires_on, product.sku, SUM(quant.on_hand) AS on_hand"
        " FROM lot JOIN product ON product.id = lot.product_id JOIN quant ON quant.lot_id = lot.id"
        " JOIN location ON location.id = quant.location_id"
        f" WHERE lot.alert_on <= $1 AND location.kind = '{LocationKind.INTERNAL.value}'"
        " AND NOT EXISTS (SELECT 1 FROM expiry_alert WHERE expiry_alert.lot_id = lot.id"
        " AND expiry_alert.alert_on = lot.alert_on)"
        " GROUP BY lot.id, lot.code, lot.alert_on, lot.expires_on, product.sku"
        " HAVING SUM(CAST(quant.on_hand AS NUMERIC)) > 0 ORDER BY lot.alert_on, product.sku, lot.code LIMIT $2",
        on, MAX_PER_RUN,
    )  # fmt: skip
    if not due:
        return []

    async def run(write: Write) -> list[Raised]:
        raised_at, raised = now(), []
        for row in due:
            inserted = await sql.fetch(
                write.conn,
                "INSERT INTO expiry_alert (lot_id, alert_on, on_hand, raised_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (lot_id, alert_on) DO NOTHING RETURNING id",
                row["id"], sql.as_date(row["alert_on"]), quantities.from_db(row["on_hand"]), raised_at,
            )  # fmt: skip
            if inserted:  # else another run raised it meanwhile
                raised.append((int(inserted[0]["id"]), _raised(row)))
        recipients = list(get_settings().expiry_alert_to)
        if raised and recipients:
            message = await mail.enqueue(
                write.conn, to=recipients, subject=_subject([r for _, r in raised]),
                body=_body([r for _, r in raised]), attachments=[], document_id=None,
            )  # fmt: skip
            ids = [alert_id for alert_id, _ in raised]
            await sql.execute(
                write.conn, f"UPDATE expiry_alert SET mail_id = $1 WHERE id IN ({sql.placeholders(2, len(ids))})",
                message.id, *ids,
            )  # fmt: skip
        return [r for _, r in raised]

    effect = Effect(run, lambda raised: Audited("expiry_alerts", on.isoformat()) if raised else None)
    return (await execute(RaiseExpiryAlerts(on), effect, actor_id=None)).result


def _raised(row: dict[str, Any]) -> Raised:
    alert_on = sql.as_date(row["alert_on"])
    assert alert_on is not None, "only lots with an alert date are due"
    return Raised(
        sku=row["sku"], lot_code=row["code"], alert_on=alert_on, expires_on=sql.as_date(row["expires_on"]),
        on_hand=quantities.from_db(row["on_hand"]),
    )  # fmt: skip


def _subject(raised: list[Raised]) -> str:
    return f"{len(raised)} lot{'s' if len(raised) != 1 else ''} reached the alert date"


def _body(raised: list[Raised]) -> str:
    lines = ["These lots reached their alert date with stock left:", ""]
    for r in raised:
        expiry = f", expires {r.expires_on.isoformat()}" if r.expires_on else ""
        lines.append(f"- {r.sku} lot {r.lot_code}: {r.on_hand.normalize():f} on hand (alert {r.alert_on}{expiry})")
    return "\n".join(lines) + "\n"


def expiry_alerts() -> QuerySet[ExpiryAlert]:
    """Every alert raised, oldest first."""
    return ExpiryAlert.all().select_related("lot__product").order_by("id")


async def expiry_alerts_by_ids(ids: list[int]) -> list[ExpiryAlert]:
    return await ExpiryAlert.filter(id__in=ids).select_related("lot__product")
