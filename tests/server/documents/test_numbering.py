"""Number series: gapless under concurrency (PostgreSQL), patterns and periods."""

from __future__ import annotations

import asyncio
import datetime
import uuid

import pytest

from server.documents import numbering, service
from server.documents.lines import LineInput
from server.documents.models import Document
from server.errors import Invalid, ManyErrors
from server.inventory import ledger
from tests.conftest import Actor, Place


async def _confirmed_outbound(place: Place, store: str, admin: Actor, quantity: str) -> int:
    document = await service.create_document(
        "stock.outbound", store, service.Header(reason="damage"),
        [LineInput(place.sku, quantity, location=place.bin_a)],
        actor_id=admin.user_id,
    )  # fmt: skip
    await service.act(document.id, "confirm", version=None, actor_id=admin.user_id)
    return document.id


@pytest.mark.postgres
async def test_fifty_concurrent_postings_of_one_gapless_series_take_exactly_1_to_50(
    place: Place, store: str, admin: Actor
) -> None:
    await ledger.receive(place.sku, place.bin_a, "1000", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    ids = [await _confirmed_outbound(place, store, admin, "1") for _ in range(50)]
    # Ten more that fail (more than the bin holds once the others took theirs) interleaved with them.
    failing = [await _confirmed_outbound(place, store, admin, "5000") for _ in range(10)]

    async def post(document_id: int) -> bool:
        try:
            await service.act(document_id, "post", version=None, actor_id=admin.user_id)
        except ManyErrors:
            return False
        return True

    outcomes = await asyncio.gather(*(post(i) for i in [*ids[:25], *failing, *ids[25:]]))
    assert outcomes.count(True) == 50
    numbers = sorted(d.number for d in await Document.filter(id__in=ids))  # type: ignore[type-var]
    year = datetime.date.today().year
    assert numbers == [f"OUT-{store}-{year}-{n:05d}" for n in range(1, 51)]
    assert await Document.filter(id__in=failing, number__isnull=False).count() == 0


def test_a_pattern_needs_one_seq_known_fields_and_short_numbers() -> None:
    assert numbering.check_pattern("PO-{store}-{year}-{seq:05}") == "PO-{store}-{year}-{seq:05}"
    for bad in ("PO-{year}", "{seq}{seq}", "PO-{who}-{seq}", "PO-{seq", "{year:4}{seq}", "{seq!r}", "X" * 60 + "{seq}"):
        with pytest.raises(Invalid):
            numbering.check_pattern(bad)


def test_a_counter_restarts_with_the_year_or_month_its_pattern_shows() -> None:
    day = datetime.date(2026, 3, 9)
    assert numbering.period_of("PO-{year}-{seq}", day) == "2026"
    assert numbering.period_of("PO-{year}{month}-{seq}", day) == "202603"
    assert numbering.period_of("PO-{seq}", day) == ""
    assert numbering.format_number("{type}/{store}/{year}{month}/{seq:04}", store="MAIN", document_type="stock.inbound",
                                   on=day, seq=7) == "INBOUND/MAIN/202603/0007"  # fmt: skip
