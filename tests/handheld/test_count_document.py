"""Counting against a count document, blind, against a real server and without a window: counters of the
``counter`` role (catalog.view and stock.count only) on a count planned by the demo admin, each test on a
zone of its own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from handheld.client import GraphQLClient
from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL as CANCEL_KEY
from handheld.logic.count_document import CORRECT, CountDocumentFlow, OpenCount, offer
from handheld.logic.courier import SENT, WAITING
from handheld.logic.outbox import DOCUMENTS
from handheld.logic.scan import BAD, GOOD, WARN
from tests.handheld.conftest import CREATE_LOCATION, CREATE_PACKAGE, PACK_STOCK, Handheld, new_session, new_sscc
from tests.live_server import run_storekeeper

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoServer, RestartableServer

MUG_EAN = "5901234123457"  # MUG-WHITE
TSHIRT_EAN = "4006381333931"  # TSHIRT-RED-M
COUNTER_PASSWORD = "counter-password"

PLAN = """mutation P($input: PlanCountInput!) {
  planCount(input: $input) { count { id bins } errors { code message } } }"""
CANCEL = "mutation X($input: CountActionInput!) { cancelCount(input: $input) { errors { code message } } }"
# What a supervisor reads of a count: what the counters counted together, and what the books expected.
REVIEW = """query R($id: ID!, $bin: String) {
  stockCount(id: $id) { binsFinished lines(locationCode: $bin) { sku counted expected recountNeeded } } }"""
# What a supervisor reads of every line: the package it is in, and the recount.
LINES = """query L($id: ID!, $bin: String) {
  stockCount(id: $id) { lines(locationCode: $bin) { sku packageSscc counted recountNeeded recounted } } }"""
CREATE_WAREHOUSE = "mutation W($input: CreateWarehouseInput!) { createWarehouse(input: $input) { errors { code } } }"


def scanned(code: str) -> Captured:
    return Captured(code, by_scanner=True)


def typed(text: str) -> Captured:
    return Captured(text, by_scanner=False)


def ok(client: GraphQLClient, document: str, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter(client.execute(document, {"input": input}).values()))
    assert payload["errors"] == [], payload
    return payload


def counter(url: str, env: dict[str, str], workdir: Any) -> Handheld:
    """A handheld signed in as a new user of the ``counter`` role, in WH1."""
    username = f"counter-{uuid.uuid4().hex[:8]}"
    run_storekeeper(["createuser", "--username", username, "--password", COUNTER_PASSWORD, "--role", "counter"],
                    env, workdir)  # fmt: skip
    session = new_session(warehouse="WH1")
    result = session.sign_in(url, username, COUNTER_PASSWORD)
    assert result.ok, result.message
    return Handheld.on(session)


def receive(client: GraphQLClient, sku: str, bin_: str, quantity: int) -> None:
    receipt = {"sku": sku, "locationCode": bin_, "quantity": str(quantity), "idempotencyKey": str(uuid.uuid4())}
    assert client.execute(DOCUMENTS["receiveStock"], {"input": receipt})["receiveStock"]["errors"] == []


_planned: list[tuple[GraphQLClient, str]] = []


@pytest.fixture(autouse=True)
def _cancel_counts() -> Iterator[None]:
    """A count left open would be offered to the other tests' handhelds (the window's count of a bin)."""
    yield
    while _planned:
        client, count_id = _planned.pop()
        client.execute(CANCEL, {"input": {"id": count_id}})


def planned(
    client: GraphQLClient, *stock: tuple[str, int], warehouse: str = "WH1", cancelled: bool = True, **extra: Any
) -> tuple[str, str]:
    """A zone of its own with one bin holding ``stock``, and a (blind) count of it: (count id, bin); cancelled
    when the test ends unless told not to (the caller cancels it)."""
    zone = f"{warehouse}-Z{uuid.uuid4().hex[:5]}".upper()
    bin_ = f"{zone}-01"
    for code, parent in ((zone, None), (bin_, zone)):
        made = {"warehouseCode": warehouse, "code": code, "name": code, "parentCode": parent}
        assert client.execute(CREATE_LOCATION, {"input": made})["createLocation"]["errors"] == []
    for sku, quantity in stock:
        receive(client, sku, bin_, quantity)
    plan = {"storeCode": "MAIN", "warehouseCode": warehouse, "scope": "ZONE", "zoneCode": zone, **extra}
    count_id = str(ok(client, PLAN, **plan)["count"]["id"])
    if cancelled:
        _planned.append((client, count_id))
    return count_id, bin_


def review(client: GraphQLClient, count_id: str, bin_: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = client.execute(REVIEW, {"id": count_id, "bin": bin_})["stockCount"]
    return found


def flow_on(handheld: Handheld, count_id: str, device: str = "hh-doc") -> CountDocumentFlow:
    offered = [OpenCount(count_id, "", "ZONE", 2, 0)]
    flow = CountDocumentFlow(handheld.courier, warehouse="WH1", device=device, cache=handheld.cache, offered=offered)
    assert flow.pick(0).feedback == GOOD
    return flow


@pytest.fixture
def admin(handheld: Handheld) -> GraphQLClient:
    return handheld.session.client


@pytest.fixture
def counters(server: DemoServer) -> Iterator[list[Handheld]]:
    made = [counter(server.url, server.env, server.log.parent) for _ in range(2)]
    yield made


def test_two_handhelds_counting_one_bin_merge_their_counts(admin: GraphQLClient, counters: list[Handheld]) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 10))
    first, second = (flow_on(hh, count_id, f"hh-{n}") for n, hh in enumerate(counters))

    assert first.scan(scanned(bin_.lower())).feedback == GOOD
    for _ in range(3):
        assert first.scan(scanned(MUG_EAN)).feedback == GOOD, first.message
    second.scan(scanned(bin_))
    second.key("5")
    assert second.scan(scanned(MUG_EAN)).message == "+5 MUG-WHITE: you 5, all 8", "a quantity, then the item"
    again = first.scan(scanned(MUG_EAN))

    assert again.feedback == GOOD and again.message == "+1 MUG-WHITE: you 4, all 9"
    assert ("Counted", "MUG-WHITE: you 4, all 9", False) in first.fields()
    assert [(line["sku"], line["counted"]) for line in review(admin, count_id, bin_)["lines"]] == [
        ("MUG-WHITE", "9.0000")
    ]


def test_a_scan_the_outbox_sends_twice_counts_once(admin: GraphQLClient, counters: list[Handheld]) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 4))
    handheld = counters[0]
    flow = flow_on(handheld, count_id)
    flow.scan(scanned(bin_))
    done = flow.scan(scanned(MUG_EAN))
    assert done.done is not None and done.done.state == SENT

    # The same scan with its key once more: as when its answer was lost and the outbox sent it again.
    entry = done.done.entry
    handheld.outbox.add(entry.server, entry.username, entry.operation, entry.input, entry.summary)
    [again] = handheld.courier.drain()

    assert again.state == SENT and again.payload is not None
    assert (again.payload["line"]["myCount"], again.payload["line"]["counted"]) == ("1.0000", "1.0000")
    assert review(admin, count_id, bin_)["lines"][0]["counted"] == "1.0000"


def test_offline_scans_wait_and_are_sent_in_order_then_the_bin_is_finished(
    restartable: RestartableServer, tmp_path: Any
) -> None:
    admin = Handheld.signed_in(restartable.url).session.client
    count_id, bin_ = planned(admin, ("MUG-WHITE", 10), ("TSHIRT-RED-M", 2))
    handheld = counter(restartable.url, restartable.env, restartable.workdir)
    flow = flow_on(handheld, count_id)
    flow.scan(scanned(bin_))
    flow.scan(scanned(MUG_EAN))  # looked up once: known while offline
    flow.scan(scanned(TSHIRT_EAN))

    with restartable.stopped():
        flow.reset()
        assert flow.scan(scanned(bin_)).feedback == WARN, "a bin of the count is known offline"
        kept = [flow.scan(scanned(MUG_EAN)) for _ in range(2)]
        kept.append(flow.scan(typed("3")))  # typed and Enter: 3 more of the item scanned last
        flow.scan(scanned(TSHIRT_EAN))
        assert flow.confirm().feedback == WARN and flow.asking_finish
        finishing = flow.confirm()
        assert finishing.feedback == WARN and "finishing" in finishing.message

    assert all(k.feedback == WARN and k.done is not None and k.done.state == WAITING for k in kept), kept
    waiting = handheld.outbox.waiting(handheld.courier.server, handheld.courier.username)
    assert [(e.operation, e.input.get("sku"), e.input.get("quantity")) for e in waiting] == [
        ("recordCount", "MUG-WHITE", "1"), ("recordCount", "MUG-WHITE", "1"), ("recordCount", "MUG-WHITE", "3"),
        ("recordCount", "TSHIRT-RED-M", "1"), ("finishCountBin", None, None),
    ]  # fmt: skip
    assert handheld.courier.probe()
    assert [d.state for d in handheld.courier.drain()] == [SENT] * 5, "in order: the finish came last"
    lines = {line["sku"]: line["counted"] for line in review(admin, count_id, bin_)["lines"]}
    assert lines == {"MUG-WHITE": "6.0000", "TSHIRT-RED-M": "2.0000"}


def test_finishing_a_bin_asks_first_and_tells_a_blind_counter_nothing_of_the_books(
    admin: GraphQLClient, counters: list[Handheld]
) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 10), recountUnits="2")
    flow = flow_on(counters[0], count_id)
    assert flow.scan(scanned("WH1-A-01")).feedback == BAD and "not in this count" in flow.message
    flow.scan(scanned(bin_))
    flow.key("4")
    assert flow.confirm_label == "Finish bin", "a quantity with no item yet is added by the item's scan"
    flow.scan(scanned(MUG_EAN))
    left = flow.count.left if flow.count else -1

    asked = flow.confirm()
    assert asked.feedback == WARN and asked.message.startswith(f"Finish {bin_}?")
    assert flow.scan(scanned("SK:CANCEL")).message.startswith("Not finished")
    flow.confirm()
    done = flow.scan(scanned("SK:CONFIRM"))

    # 4 of 10 is over the threshold, but a blind count's counter is not told whether they matched the books
    assert done.feedback == GOOD and f"{bin_} finished: 1 lines." in done.message and "recount" not in done.message
    assert not [row for row in flow.fields() if row[0] == "Recount"]
    assert flow.count is not None and flow.count.left == left - 1
    assert review(admin, count_id)["binsFinished"] == 1
    assert flow.scan(scanned(bin_)).feedback == BAD and "finished" in flow.message


def test_a_counter_never_asks_for_an_expected_quantity(
    admin: GraphQLClient, counters: list[Handheld], monkeypatch: pytest.MonkeyPatch
) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 7), recountUnits="1")
    handheld = counters[0]
    client = handheld.session.client
    sent: list[str] = []
    execute = client.execute

    def recorded(document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        sent.append(document)
        return execute(document, variables)

    monkeypatch.setattr(client, "execute", recorded)
    flow = flow_on(handheld, count_id)
    flow.scan(scanned(bin_))
    flow.scan(scanned(MUG_EAN))
    flow.scan(typed("2"))
    flow.confirm()
    finished = flow.confirm()

    assert finished.feedback == GOOD, finished.message
    assert sent and not [document for document in sent if "expected" in document or "difference" in document]
    names = {re.findall(r"(?:query|mutation) (\w+)", document)[0] for document in sent}
    assert names == {"CountBins", "CountRecounts", "CountBinLines", "Resolve", "RecordCount", "FinishCountBin"}
    assert review(admin, count_id, bin_)["lines"][0]["expected"] == "7.0000", "the books knew, the counter did not"


def test_the_open_counts_are_offered_newest_first_and_the_only_one_is_taken(
    admin: GraphQLClient, counters: list[Handheld], handheld: Handheld
) -> None:
    warehouse = f"WC{uuid.uuid4().hex[:4]}".upper()
    ok(admin, CREATE_WAREHOUSE, code=warehouse, name="Counted")
    counter_courier = counters[0].courier

    assert offer(handheld.courier, warehouse=warehouse) == (None, None), "no count: the single-bin count stays"
    nothing, said = offer(counter_courier, warehouse=warehouse)
    assert nothing is not None and said is not None and said.feedback == BAD
    assert said.message == f"No open count in {warehouse}: ask for one to be planned."

    older, _ = planned(admin, ("MUG-WHITE", 1), warehouse=warehouse)
    only, said = offer(counter_courier, warehouse=warehouse)
    assert only is not None and only.count is not None and only.count.id == older and only.bins
    assert said is not None and said.feedback == GOOD and "2 of 2 bins left" in only.fields()[0][1]

    newer, _ = planned(admin, ("MUG-WHITE", 1), warehouse=warehouse)
    two, _ = offer(counter_courier, warehouse=warehouse)
    assert two is not None and two.count is None
    assert [count.id for count in two.offered] == [newer, older]
    assert [label for _, label, _ in two.choices()] == [count.short_label for count in two.offered]
    assert two.command("count:1").feedback == GOOD and two.count is not None and two.count.id == older


def lines_of(client: GraphQLClient, count_id: str, bin_: str) -> list[tuple[str, str | None, str | None, str | None]]:
    found = client.execute(LINES, {"id": count_id, "bin": bin_})["stockCount"]["lines"]
    return [(line["sku"], line["packageSscc"], line["counted"], line["recounted"]) for line in found]


def test_a_counter_corrects_a_miscounted_line_by_the_pad_with_a_confirm(
    admin: GraphQLClient, counters: list[Handheld]
) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 10))
    flow = flow_on(counters[0], count_id)
    flow.scan(scanned(bin_))
    for _ in range(3):
        flow.scan(scanned(MUG_EAN))
    assert (CORRECT, "Correct a line", False) in flow.choices()

    assert flow.command(CORRECT).message == "Correct MUG-WHITE: key what you counted of it in all, then confirm."
    for key in "02":
        flow.key(key)
    assert flow.confirm_label == "Set 2"
    asked = flow.confirm()
    assert asked.feedback == WARN and asked.message.startswith("Set your count of MUG-WHITE to 2 (you had 3)?")
    assert flow.scan(scanned("SK:CANCEL")).message.startswith("Not sent."), "the question first, the figure kept"
    flow.confirm()
    done = flow.confirm()

    assert done.feedback == GOOD and done.message == "Set: MUG-WHITE: you 2, all 2", done.message
    assert done.done is not None and done.done.entry.input["mode"] == "SET"
    assert lines_of(admin, count_id, bin_) == [("MUG-WHITE", None, "2.0000", None)]
    flow.command(CORRECT)  # nothing there after all: 0 is a figure
    flow.key("0")
    flow.confirm()
    assert flow.confirm().feedback == GOOD
    assert lines_of(admin, count_id, bin_) == [("MUG-WHITE", None, "0.0000", None)]
    assert flow.command(CANCEL_KEY).feedback  # back to counting by scans
    assert flow.scan(scanned(MUG_EAN)).message == "+1 MUG-WHITE: you 1, all 1"


def test_a_package_scanned_in_the_bin_counts_what_is_inside_it_and_each_write_carries_its_scan(
    admin: GraphQLClient, counters: list[Handheld]
) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 14))
    case = new_sscc()
    made = admin.execute(CREATE_PACKAGE, {"input": {"sscc": case, "kind": "CASE", "locationCode": bin_}})
    assert made["createPackage"]["errors"] == []
    packed = {"sscc": case, "lines": [{"sku": "MUG-WHITE", "quantity": "12"}], "idempotencyKey": str(uuid.uuid4())}
    assert admin.execute(PACK_STOCK, {"input": packed})["packStock"]["errors"] == []
    flow = flow_on(counters[0], count_id)
    assert flow.scan(scanned(case)).feedback == BAD, "a package is in a bin: the bin first"
    flow.scan(scanned(bin_))

    inside = flow.scan(scanned(case))
    assert inside.feedback == GOOD and inside.message.startswith(f"Counting inside {case}")
    for key in "12":
        flow.key(key)
    counted = flow.scan(scanned(MUG_EAN))
    flow.scan(scanned(bin_))  # the bin again: its loose stock
    loose = flow.scan(scanned(MUG_EAN))

    assert counted.message == f"+12 MUG-WHITE in {case}: you 12, all 12"
    assert loose.message == "+1 MUG-WHITE: you 1, all 1"
    assert set(lines_of(admin, count_id, bin_)) == {
        ("MUG-WHITE", None, "1.0000", None), ("MUG-WHITE", case, "12.0000", None),
    }  # fmt: skip
    for done in (counted.done, loose.done):
        assert done is not None and done.entry.input["scan"]["code"] == MUG_EAN and done.entry.input["scan"]["device"]


def test_a_bin_awaiting_a_recount_is_listed_to_another_counter_and_recounted_blind(
    admin: GraphQLClient, counters: list[Handheld]
) -> None:
    count_id, bin_ = planned(admin, ("MUG-WHITE", 10), recountUnits="2")
    first, second = counters
    counting = flow_on(first, count_id)
    counting.scan(scanned(bin_))
    counting.key("4")
    counting.scan(scanned(MUG_EAN))
    counting.confirm()
    assert counting.confirm().feedback == GOOD

    assert flow_on(first, count_id).to_recount == [], "its counter is not told that the bin differed"
    recounter = flow_on(second, count_id)
    assert f"To recount: {bin_}." in recounter.prompt
    assert ("To recount", f"{bin_}: MUG-WHITE", False) in recounter.fields()
    assert counting.scan(scanned(bin_)).feedback == BAD, "finished, and not the first counter's to recount"

    opened = recounter.scan(scanned(bin_))
    assert opened.feedback == GOOD and opened.message == f"Recount in {bin_}: scan the item (MUG-WHITE)."
    assert recounter.scan(scanned(TSHIRT_EAN)).feedback == BAD, "nothing of it is to be recounted"
    for _ in range(2):
        recounter.scan(scanned(MUG_EAN))
    assert recounter.message == "Recount MUG-WHITE: 2 so far; scan each, or key the number, then confirm."
    recounter.scan(typed("9"))  # the figure itself, typed: not added
    asked = recounter.confirm()
    assert asked.feedback == WARN and asked.message.startswith(f"Recount of MUG-WHITE in {bin_}: 9?")
    done = recounter.confirm()

    # nothing of the first count is shown, nor of the books
    assert (
        done.feedback == GOOD
        and done.message == f"Recounted MUG-WHITE in {bin_}: 9. Scan a bin of the count (1 of 2 left)."
    )
    assert lines_of(admin, count_id, bin_) == [("MUG-WHITE", None, "4.0000", "9.0000")]
    assert recounter.to_recount == [] and recounter.bin == ""
    assert recounter.scan(scanned(bin_)).feedback == BAD
