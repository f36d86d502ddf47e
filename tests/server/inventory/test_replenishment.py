"""Replenishment: pick bins at or below their minimum get a draft transfer from reserve up to their maximum,
which every rerun keeps up to date (and never doubles), and which moves the stock once it is posted."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from server.documents import service as documents
from server.documents.models import Document, DocumentLine
from server.inventory import ledger
from server.inventory.check import check_ledger
from server.inventory.locations import LocationSettings, create_location
from server.inventory.models import Quant
from server.inventory.replenishment import rules
from server.inventory.replenishment.models import ReplenishmentProposal
from server.inventory.replenishment.proposals import WarehouseRun, replenish
from server.jobs.models import JobRecord, JobStatus
from tests.conftest import Actor, Place, unique
from workers import jobs
from workers.constants import REPLENISH, cron_name
from workers.queue import InProcessQueue
from workers.schedule import DAILY
from workers.settings import cron_jobs

SOON, LATER = date.today() + timedelta(days=10), date.today() + timedelta(days=60)


@dataclass
class Site:
    """The place's warehouse laid out for picking: a pick zone with a pick bin, a reserve zone with two bins."""

    warehouse: str
    pick: str
    reserve_a: str  # sorts before reserve_b, as the lines of a proposal do
    reserve_b: str
    reserve_zone: str
    sku: str
    lot_sku: str


@pytest.fixture
async def site(place: Place, store: str, admin: Actor) -> Site:
    async def location(code: str, parent: str | None = None, **settings: object) -> str:
        await create_location(place.warehouse, code, code, parent_code=parent, settings=LocationSettings(**settings),  # type: ignore[arg-type]
                              actor_id=admin.user_id)  # fmt: skip
        return code

    pick_zone, reserve_zone = await location(unique("PICKZ")), await location(unique("RESZ"))
    suffix = uuid.uuid4().hex[:8].upper()
    return Site(
        warehouse=place.warehouse, pick=await location(f"P-{suffix}", pick_zone),
        reserve_a=await location(f"RA-{suffix}", reserve_zone), reserve_b=await location(f"RB-{suffix}", reserve_zone),
        reserve_zone=reserve_zone, sku=place.sku, lot_sku=place.lot_sku,
    )  # fmt: skip


async def receive(admin: Actor, sku: str, where: str, quantity: str, **lot: object) -> None:
    await ledger.receive(sku, where, quantity, actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()), **lot)  # type: ignore[arg-type]


async def issue(admin: Actor, sku: str, where: str, quantity: str) -> None:
    await ledger.issue(sku, where, quantity, actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))


async def run(site: Site) -> WarehouseRun:
    [outcome] = await replenish(site.warehouse)
    return outcome


async def lines_of(document_id: int) -> list[tuple[str, str, str, str | None, Decimal]]:
    rows = await DocumentLine.filter(document_id=document_id).order_by("position").select_related(
        "product", "location", "to_location")  # fmt: skip
    return [(r.product.sku, r.location.code, r.to_location.code, r.lot_code, r.base_quantity) for r in rows]  # type: ignore[union-attr]


async def on_hand(sku: str, where: str) -> Decimal:
    quants = await Quant.filter(product__sku=sku, location__code=where)
    return sum((q.on_hand for q in quants), Decimal(0))


async def test_a_pick_bin_at_its_minimum_gets_a_draft_transfer_to_its_maximum_first_expiring_lot_first(
    site: Site, admin: Actor
) -> None:
    await receive(admin, site.lot_sku, site.reserve_a, "10", lot="LATE", expires_on=LATER)
    await receive(admin, site.lot_sku, site.reserve_b, "4", lot="SOON", expires_on=SOON)
    await receive(admin, site.lot_sku, site.pick, "3", lot="LATE", expires_on=LATER)
    await rules.set_rule(site.pick, site.lot_sku, "3", "12", actor_id=admin.user_id)

    outcome = await run(site)

    assert outcome.changed and outcome.shortfalls == [] and outcome.document_id is not None
    document = await Document.get(id=outcome.document_id)
    assert (document.type, document.state, document.reason) == ("stock.transfer", "draft", "replenishment")
    assert await lines_of(document.id) == [  # the lot expiring first goes first, though it lies in the second bin
        (site.lot_sku, site.reserve_a, site.pick, "LATE", Decimal(5)),
        (site.lot_sku, site.reserve_b, site.pick, "SOON", Decimal(4)),
    ]


async def test_a_pick_bin_above_its_minimum_gets_nothing(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "50")
    await receive(admin, site.sku, site.pick, "4")
    await rules.set_rule(site.pick, site.sku, "3", "10", actor_id=admin.user_id)

    outcome = await run(site)

    assert (outcome.document_id, outcome.changed) == (None, False)


async def test_a_rerun_updates_its_own_draft_and_one_with_nothing_new_writes_nothing(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "50")
    await receive(admin, site.sku, site.pick, "2")
    await rules.set_rule(site.pick, site.sku, "2", "10", actor_id=admin.user_id)
    first = await run(site)
    version = (await Document.get(id=first.document_id)).version

    await issue(admin, site.sku, site.pick, "2")  # the bin is picked empty: it needs 10 now, not 8
    second = await run(site)
    third = await run(site)  # a rerun (as after a crash) with nothing new

    assert second.document_id == first.document_id and second.changed
    assert await lines_of(second.document_id) == [(site.sku, site.reserve_a, site.pick, None, Decimal(10))]  # type: ignore[arg-type]
    assert (await Document.get(id=first.document_id)).version == version + 1
    assert third.document_id == first.document_id and not third.changed
    assert (await Document.get(id=first.document_id)).version == version + 1
    assert await Document.filter(reason="replenishment", lines__to_location__code=site.pick).distinct().count() == 1


async def test_a_rerun_with_nothing_to_refill_cancels_its_own_draft(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "50")
    await rules.set_rule(site.pick, site.sku, "2", "10", actor_id=admin.user_id)
    first = await run(site)

    await receive(admin, site.sku, site.pick, "6")  # someone filled it by hand
    again = await run(site)

    assert (again.document_id, again.changed) == (None, True)
    assert (await Document.get(id=first.document_id)).state == "cancelled"
    assert (await ReplenishmentProposal.get(warehouse__code=site.warehouse)).document_id is None  # type: ignore[attr-defined]


async def test_a_confirmed_proposal_is_never_changed_and_counts_as_on_the_way(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "12")
    await receive(admin, site.sku, site.reserve_b, "20")
    await rules.set_rule(site.pick, site.sku, "4", "10", actor_id=admin.user_id)
    first = await run(site)
    assert await lines_of(first.document_id) == [(site.sku, site.reserve_a, site.pick, None, Decimal(10))]  # type: ignore[arg-type]
    confirmed = await documents.act(first.document_id, "confirm", version=None, actor_id=admin.user_id)  # type: ignore[arg-type]

    unchanged = await run(site)  # 0 on hand + 10 on the way: above the minimum
    await receive(admin, site.sku, site.pick, "1")
    await rules.set_rule(site.pick, site.sku, "12", "15", actor_id=admin.user_id)  # now 1 + 10 is below it
    topped_up = await run(site)

    assert (unchanged.document_id, unchanged.changed) == (None, False)
    again = await Document.get(id=first.document_id)
    assert (again.state, again.version) == ("confirmed", confirmed.version)
    assert await lines_of(first.document_id) == [(site.sku, site.reserve_a, site.pick, None, Decimal(10))]  # type: ignore[arg-type]
    assert topped_up.document_id not in (None, first.document_id)
    # 15 - (1 + 10) = 4, and the 10 the confirmed transfer takes from reserve A leave 2 there
    assert await lines_of(topped_up.document_id) == [  # type: ignore[arg-type]
        (site.sku, site.reserve_a, site.pick, None, Decimal(2)),
        (site.sku, site.reserve_b, site.pick, None, Decimal(2)),
    ]


async def test_a_draft_a_person_edited_is_theirs_and_left_alone(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "30")
    await rules.set_rule(site.pick, site.sku, "2", "10", actor_id=admin.user_id)
    first = await run(site)
    line = documents.LineInput(sku=site.sku, quantity="6", location=site.reserve_a, to_location=site.pick)
    edited = await documents.update_document(first.document_id, 1, documents.Header(), [line],  # type: ignore[arg-type]
                                             actor_id=admin.user_id)  # fmt: skip

    again = await run(site)  # 6 on the way in the edited draft: 6 is above the minimum

    assert (again.document_id, again.changed) == (None, False)
    assert (await Document.get(id=first.document_id)).version == edited.version
    assert await lines_of(first.document_id) == [(site.sku, site.reserve_a, site.pick, None, Decimal(6))]  # type: ignore[arg-type]


async def test_when_reserve_is_short_the_proposal_takes_what_is_there_and_reports_the_rest(
    site: Site, admin: Actor
) -> None:
    await receive(admin, site.sku, site.reserve_a, "3")
    await receive(admin, site.sku, site.reserve_b, "5")
    await rules.set_rule(site.pick, site.sku, "5", "20", actor_id=admin.user_id)

    outcome = await run(site)

    assert await lines_of(outcome.document_id) == [  # type: ignore[arg-type]
        (site.sku, site.reserve_a, site.pick, None, Decimal(3)),
        (site.sku, site.reserve_b, site.pick, None, Decimal(5)),
    ]
    assert [(s.location_code, s.sku, s.quantity) for s in outcome.shortfalls] == [(site.pick, site.sku, Decimal(12))]
    assert f"- {site.sku} for {site.pick}: 12" in (await Document.get(id=outcome.document_id)).notes


async def test_reserve_is_free_stock_in_sellable_storage_under_the_rules_source_and_never_another_pick_bin(
    site: Site, admin: Actor, place: Place
) -> None:
    quarantine = unique("QUAR")
    await create_location(site.warehouse, quarantine, quarantine, settings=LocationSettings(usage="quarantine"),
                          actor_id=admin.user_id)  # fmt: skip
    await receive(admin, site.sku, quarantine, "50")  # not for storage: never a source
    await receive(admin, site.sku, place.bin_a, "50")  # outside the rule's source zone
    await receive(admin, site.sku, site.reserve_a, "7")
    await receive(admin, site.sku, site.reserve_b, "9")
    await rules.set_rule(site.reserve_b, site.sku, "1", "20", actor_id=admin.user_id)  # B is a pick bin too
    await rules.set_rule(site.pick, site.sku, "0", "10", source_code=site.reserve_zone.lower(), actor_id=admin.user_id)

    outcome = await run(site)

    assert await lines_of(outcome.document_id) == [(site.sku, site.reserve_a, site.pick, None, Decimal(7))]  # type: ignore[arg-type]
    assert [(s.location_code, s.quantity) for s in outcome.shortfalls] == [(site.pick, Decimal(3))]


async def test_posting_the_proposal_moves_the_stock_and_the_next_run_proposes_nothing(site: Site, admin: Actor) -> None:
    await receive(admin, site.lot_sku, site.reserve_a, "8", lot="A", expires_on=LATER)
    await receive(admin, site.lot_sku, site.reserve_b, "8", lot="B", expires_on=SOON)
    await receive(admin, site.lot_sku, site.pick, "1", lot="B", expires_on=SOON)
    await rules.set_rule(site.pick, site.lot_sku, "2", "12", actor_id=admin.user_id)
    outcome = await run(site)
    document_id = outcome.document_id
    assert document_id is not None

    await documents.act(document_id, "confirm", version=None, actor_id=admin.user_id)
    done = await documents.act(document_id, "post", version=None, actor_id=admin.user_id)
    after = await run(site)

    assert done.state == "done"
    assert await on_hand(site.lot_sku, site.pick) == Decimal(12)
    assert (await on_hand(site.lot_sku, site.reserve_a), await on_hand(site.lot_sku, site.reserve_b)) == (
        Decimal(5), Decimal(0))  # fmt: skip
    assert (await check_ledger()).ok
    assert (after.document_id, after.changed) == (None, False)


@pytest.mark.postgres
async def test_two_runs_at_once_make_one_proposal(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "40")
    await rules.set_rule(site.pick, site.sku, "5", "25", actor_id=admin.user_id)

    first, second = await asyncio.gather(run(site), run(site))

    assert first.document_id == second.document_id is not None
    assert sorted([first.changed, second.changed]) == [False, True]
    proposals = await Document.filter(reason="replenishment", lines__to_location__code=site.pick).distinct()
    assert [p.id for p in proposals] == [first.document_id]
    assert await lines_of(first.document_id) == [(site.sku, site.reserve_a, site.pick, None, Decimal(25))]  # type: ignore[arg-type]


async def test_the_job_runs_daily_and_a_redelivered_run_doubles_nothing(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "40")
    await rules.set_rule(site.pick, site.sku, "5", "25", actor_id=admin.user_id)
    queue = InProcessQueue()
    job_id = f"{REPLENISH}:test:{uuid.uuid4()}"

    assert await queue.enqueue(REPLENISH, job_id=job_id, kwargs={"warehouse_code": site.warehouse})
    await queue.wait()
    record = await JobRecord.get(job_id=job_id)
    again = await jobs.replenish({"job_id": job_id}, warehouse_code=site.warehouse)  # as when a worker died after it

    assert record.status == JobStatus.DONE, record.error
    [first] = record.result["warehouses"]
    assert (first["lines"], first["changed"], first["short"]) == (1, True, [])
    assert (again["warehouses"][0]["document_id"], again["warehouses"][0]["changed"]) == (first["document_id"], False)
    assert await Document.filter(reason="replenishment", lines__to_location__code=site.pick).distinct().count() == 1
    assert REPLENISH in DAILY
    assert cron_name("test", REPLENISH) in {job.name for job in cron_jobs("test")}
