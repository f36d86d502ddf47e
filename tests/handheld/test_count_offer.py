"""The open counts, their bins and the lines to recount, remembered on the device: a counter who loses the
network, or starts the app without it, keeps counting what was read last, shown as old."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handheld.logic.count_document import offer
from handheld.logic.courier import SENT, WAITING
from handheld.logic.scan import GOOD, WARN
from tests.handheld.conftest import Handheld
from tests.handheld.test_count_document import MUG_EAN, counter, lines_of, planned, scanned

if TYPE_CHECKING:
    from tests.handheld.conftest import RestartableServer


def test_open_counts_and_their_bins_are_offered_from_memory_when_the_server_is_away_and_the_writes_wait(
    restartable: RestartableServer, tmp_path: Any
) -> None:
    admin = Handheld.signed_in(restartable.url).session.client
    count_id, bin_ = planned(admin, ("MUG-WHITE", 10))
    handheld = counter(restartable.url, restartable.env, restartable.workdir)
    online, said = offer(handheld.courier, warehouse="WH1", device="hh-mem", cache=handheld.cache)
    assert online is not None and online.count is not None and online.count.id == count_id
    assert said is not None and said.feedback == GOOD
    online.scan(scanned(bin_))
    assert online.scan(scanned(MUG_EAN)).feedback == GOOD  # looked up once: known while offline

    with restartable.stopped():
        # The app started again without the server: the same device file, a new courier.
        again = Handheld.on(handheld.session)
        flow, said = offer(again.courier, warehouse="WH1", device="hh-mem", cache=again.cache)
        assert flow is not None and flow.count is not None and flow.count.id == count_id, "taken from memory"
        assert said is not None and said.feedback == WARN
        assert said.message.startswith("No connection: the count's bins as of ")
        assert flow.as_of is not None
        assert flow.scan(scanned("WH1-A-01")).feedback != GOOD, "not a bin of the count, as remembered"
        assert flow.scan(scanned(bin_)).feedback == WARN
        kept = [flow.scan(scanned(MUG_EAN)) for _ in range(2)]
        flow.confirm()
        finishing = flow.confirm()

    assert all(k.done is not None and k.done.state == WAITING for k in kept), kept
    assert "finishing" in finishing.message
    waiting = again.outbox.waiting(again.courier.server, again.courier.username)
    assert [(e.operation, e.input.get("quantity")) for e in waiting] == [
        ("recordCount", "1"), ("recordCount", "1"), ("finishCountBin", None),
    ]  # fmt: skip
    keys = [e.input["idempotencyKey"] for e in waiting]
    assert len(set(keys)) == 3
    assert again.courier.probe()
    assert [d.state for d in again.courier.drain()] == [SENT] * 3, "in order, each with its key"
    assert lines_of(admin, count_id, bin_) == [("MUG-WHITE", None, "3.0000", None)]
    back, _ = offer(again.courier, warehouse="WH1", cache=again.cache)
    assert back is not None and back.as_of is None and back.bins[bin_] is True, "read afresh once it is back"
