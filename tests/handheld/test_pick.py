"""Picking a sales pick list, without a window, against a real server: each test makes its own products, bins
and sales order in WH1 (set to ship in two steps), confirms the order and has the server make its pick list,
then picks it from the handheld and checks the list and the stock as the server has them."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from handheld.client import GraphQLClient
from handheld.logic.commands import DAMAGED
from handheld.logic.courier import SENT, WAITING
from handheld.logic.pick import PickFlow
from handheld.logic.pick_lists import LINES_READ, LISTS_READ
from handheld.logic.scan import BAD, GOOD, QUIET, WARN
from tests.handheld.conftest import Handheld, new_bin, new_session, on_hand
from tests.handheld.test_tasks import scanned, typed
from tests.live_server import run_storekeeper

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoServer, RestartableServer

ERRORS = "errors { field code message }"
STEPS = f"mutation S($input: SetFulfillmentStepsInput!) {{ setFulfillmentSteps(input: $input) {{ steps {ERRORS} }} }}"
CREATE_PRODUCT = f"mutation P($input: CreateProductInput!) {{ createProduct(input: $input) {{ {ERRORS} }} }}"
CREATE_ORDER = (
    f"mutation C($input: CreateSalesOrderInput!) {{ createSalesOrder(input: $input) {{ document {{ id }} {ERRORS} }} }}"
)
CONFIRM_ORDER = f"""mutation C($input: SalesOrderActionInput!) {{
  confirmSalesOrder(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
PICK_LINES = "lines { position sku location lot quantity picked short reason }"
CREATE_PICK_LIST = f"""mutation P($input: CreatePickListInput!) {{
  createPickList(input: $input) {{ pickList {{ id number {PICK_LINES} }} {ERRORS} }} }}"""
CANCEL_REMAINING = f"""mutation C($input: CancelSalesOrderRemainingInput!) {{
  cancelSalesOrderRemaining(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
PICK_LIST = f"query L($id: ID!) {{ pickList(id: $id) {{ state claimedBy {PICK_LINES} }} }}"
CLERK_PASSWORD = "clerk-password"


def ok(client: GraphQLClient, document: str, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter(client.execute(document, {"input": input}).values()))
    assert payload["errors"] == [], payload
    return payload


def ean13() -> str:
    """A fresh in-store EAN-13 (prefix 2) with its check digit."""
    body = "2" + "".join(random.choice("0123456789") for _ in range(11))
    weighted = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(body))
    return body + str(-weighted % 10)


@dataclass(frozen=True)
class Item:
    sku: str
    ean: str
    bin: str
    lot: str | None


@dataclass(frozen=True)
class Picking:
    """A pick list of one order: its id and number, and the items it takes, by SKU."""

    id: str
    number: str
    order: str
    items: dict[str, Item]


def new_item(client: GraphQLClient, quantity: int, *, lot: str | None = None) -> Item:
    """A product of its own with ``quantity`` of it (in ``lot``) in a bin of its own."""
    sku, ean = f"PICK-{uuid.uuid4().hex[:6]}".upper(), ean13()
    made = {"sku": sku, "name": f"Pick test {sku}", "barcodes": [ean], "tracksLots": lot is not None}
    ok(client, CREATE_PRODUCT, **made)
    return Item(sku, ean, new_bin(client, (sku, quantity, lot)), lot)


def new_pick_list(client: GraphQLClient, *wanted: tuple[Item, int]) -> Picking:
    """An order for ``wanted`` (item, quantity), confirmed (its stock reserved), and its pick list in WH1."""
    ok(client, STEPS, warehouse="WH1", steps=2, idempotencyKey=str(uuid.uuid4()))
    lines = [{"sku": item.sku, "quantity": str(quantity), "price": "10"} for item, quantity in wanted]
    order = ok(client, CREATE_ORDER, customer="CUST-ANA", store="MAIN", lines=lines)["document"]["id"]
    ok(client, CONFIRM_ORDER, id=order)
    made = ok(client, CREATE_PICK_LIST, warehouse="WH1", orders=[order], idempotencyKey=str(uuid.uuid4()))
    return Picking(made["pickList"]["id"], made["pickList"]["number"], order, {item.sku: item for item, _ in wanted})


def on_server(client: GraphQLClient, picking: Picking) -> dict[str, Any]:
    found: dict[str, Any] = client.execute(PICK_LIST, {"id": picking.id})["pickList"]
    return found


def picker(handheld: Handheld, device: str = "hh-pick") -> PickFlow:
    flow = PickFlow(handheld.courier, warehouse="WH1", device=device, cache=handheld.cache)
    flow.look()
    return flow


def clerk(url: str, env: dict[str, str], workdir: Any, warehouse: str = "WH1") -> Handheld:
    """A handheld signed in as a new user of the ``clerk`` role (who may move stock and read sales)."""
    username = f"picker-{uuid.uuid4().hex[:8]}"
    run_storekeeper(["createuser", "--username", username, "--password", CLERK_PASSWORD, "--role", "clerk"],
                    env, workdir)  # fmt: skip
    session = new_session(warehouse=warehouse)
    result = session.sign_in(url, username, CLERK_PASSWORD)
    assert result.ok, result.message
    return Handheld.on(session)


def gs1(item: Item, lot: str) -> str:
    return f"010{item.ean}10{lot}"


@pytest.fixture
def admin(handheld: Handheld) -> GraphQLClient:
    return handheld.session.client


def test_a_list_is_claimed_walked_in_bin_order_with_a_short_line_and_booked_on_the_server(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    shirts, coffee = new_item(admin, 5), new_item(admin, 4, lot="LOT-A")
    picking = new_pick_list(admin, (shirts, 3), (coffee, 2))
    flow = picker(handheld)
    assert any(picking.number in label for _, label, _ in flow.choices()) or len(flow.offered) > 3

    claimed = flow.scan(scanned(picking.number.lower()))  # its number, as printed on its paper

    assert claimed.feedback == GOOD and claimed.message.startswith(f"{picking.number} is yours: 2 lines"), claimed
    assert on_server(admin, picking)["claimedBy"] == "demo"
    first, second = sorted(picking.items.values(), key=lambda item: item.bin)
    assert flow.prompt == f"Line 1 of 2: go to {first.bin} and scan the bin.", "the lines come in bin order"

    for item in (first, second):
        wrong = flow.scan(scanned(second.bin if item is first else first.bin))
        assert (wrong.feedback, wrong.message) == (BAD, f"Wrong bin: go to {item.bin}.")
        assert flow.scan(scanned(item.bin.lower())).feedback == GOOD
        if item is shirts:
            assert flow.scan(scanned(coffee.ean)).message.startswith(f"Wrong item: that is {coffee.sku}.")
            assert flow.scan(scanned(shirts.ean)).feedback == GOOD
            assert flow.prompt == "Take 3: confirm, or key how many you found."
            assert flow.scan(scanned("SK:CONFIRM")).message.startswith(f"Picked 3 x {shirts.sku}.")
        else:
            wrong_lot = flow.scan(scanned(gs1(coffee, "LOT-B")))
            assert (wrong_lot.feedback, wrong_lot.message) == (BAD, f"Wrong lot: LOT-B. Take lot LOT-A of {item.sku}.")
            assert flow.scan(scanned(gs1(coffee, "lot-a"))).feedback == GOOD, "lots are case-free, as on the server"
            flow.key("1")  # one of two found: keyed over the 2 the pad showed
            asked = flow.scan(scanned("SK:CONFIRM"))
            assert (asked.feedback, asked.message) == (WARN, "1 of 2 is short: tap why.")
            assert [label for _, label, _ in flow.choices()] == ["Missing", "Damaged", "Expired"]
            short = flow.command(DAMAGED)
            assert short.message.startswith(f"Short: 1 of 2 x {coffee.sku} lot LOT-A, damaged.")

    assert flow.prompt == "All 2 lines done, 1 short: Finish books them." and flow.confirm_label == "Finish"
    done = flow.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD and done.done is not None and done.done.state == SENT, done.message
    assert done.message.startswith(f"Done: Pick {picking.number}: 2 lines, 1 short.")
    assert flow.pick_list is None and all(item.id != picking.id for item in flow.offered)
    booked = on_server(admin, picking)
    assert booked["state"] == "done"
    assert {(ln["sku"], ln["picked"], ln["short"], ln["reason"]) for ln in booked["lines"]} == {
        (shirts.sku, "3.0000", "0.0000", None), (coffee.sku, "1.0000", "1.0000", "Damaged"),
    }  # fmt: skip
    assert (on_hand(admin, shirts.sku, shirts.bin), on_hand(admin, shirts.sku, "WH1-OUTPUT")) == (2, 3)
    # One picked to the output location, one not found booked to inventory loss: two left in the bin.
    assert (on_hand(admin, coffee.sku, coffee.bin), on_hand(admin, coffee.sku, "WH1-OUTPUT")) == (2, 1)


def test_a_list_another_picker_claimed_is_shown_as_taken_and_their_claim_is_refused_in_plain_words(
    handheld: Handheld, admin: GraphQLClient, server: DemoServer
) -> None:
    mugs = new_item(admin, 6)
    picking = new_pick_list(admin, (mugs, 2))
    mine = picker(handheld)
    assert mine.scan(scanned(picking.number)).feedback == GOOD
    other = clerk(server.url, server.env, server.log.parent)
    theirs = picker(other, "hh-pick-2")
    listed = next(item for item in theirs.offered if item.id == picking.id)
    assert listed.label(other.session.username) == f"{picking.number}\ntaken by demo"

    refused = theirs.scan(scanned(picking.number))

    assert refused.feedback == BAD and refused.message.startswith("Taken: demo claimed this pick list at ")
    assert refused.message.endswith("UTC: pick another."), refused.message
    assert theirs.pick_list is None and on_server(admin, picking)["claimedBy"] == "demo"
    # Given up on the first handheld, the list is the other picker's to claim.
    released = mine.scan(scanned("SK:RELEASE"))
    assert released.feedback == GOOD and released.message.startswith(f"Released {picking.number}."), released
    theirs.look()
    assert theirs.scan(scanned(picking.number)).feedback == GOOD
    assert on_server(admin, picking)["claimedBy"] == other.session.username


def test_a_short_line_wants_a_reason_and_cancel_steps_back_a_line_at_a_time(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    mugs = new_item(admin, 6)
    picking = new_pick_list(admin, (mugs, 2))
    flow = picker(handheld)
    flow.scan(scanned(picking.number))

    assert flow.scan(scanned(mugs.ean)).message == f"Scan the bin {mugs.bin} first."
    flow.scan(scanned(mugs.bin))
    assert flow.scan(typed("3")).feedback == BAD, "nothing to key before the item is scanned"
    flow.scan(scanned(mugs.sku.lower()))  # the SKU, case-free
    flow.scan(typed("3"))
    assert flow.confirm().message == "Line 1 asks for 2: no more."
    assert flow.command(DAMAGED).feedback == BAD, "3 is not short"
    flow.command("short")
    assert flow.prompt == f"Short of {mugs.sku}: key how many you found (0: none), then tap why."
    assert flow.confirm().feedback == BAD, "a short line needs its reason"
    assert flow.command("missing").message.startswith(f"Short: 0 of 2 x {mugs.sku}, not in the bin.")
    assert flow.line is None
    back = flow.scan(scanned("SK:CANCEL"))
    assert (back.feedback, flow.line is not None) == (QUIET, True) and back.message.startswith("Line 1 is to pick")
    left = flow.scan(scanned("SK:CANCEL"))
    assert left.message.startswith(f"Left {picking.number}: it stays yours until you release it.")
    assert on_server(admin, picking)["state"] == "draft"
    assert flow.scan(scanned(picking.number)).feedback == GOOD, "claimed again by its picker: harmless"
    assert flow.scan(scanned("SK:RELEASE")).feedback == GOOD


def test_a_list_claimed_online_is_picked_in_a_dead_zone_and_its_picks_arrive_once_the_server_is_back(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    admin = handheld.session.client
    shirts, coffee = new_item(admin, 5), new_item(admin, 3, lot="LOT-C")
    picking = new_pick_list(admin, (shirts, 2), (coffee, 3))
    flow = picker(handheld)
    assert flow.scan(scanned(picking.number)).feedback == GOOD

    with restartable.stopped():
        for item in sorted(picking.items.values(), key=lambda it: it.bin):
            assert flow.scan(scanned(item.bin)).feedback == GOOD
            assert flow.scan(scanned(item.ean)).feedback == GOOD, "looked up as the list was claimed"
            if item.lot:
                assert flow.scan(scanned(item.lot)).feedback == GOOD
            assert flow.confirm().feedback == GOOD
        kept = flow.confirm()
        assert kept.feedback == WARN and kept.done is not None and kept.done.state == WAITING, kept.message
        assert kept.message.startswith(f"No connection: {picking.number} is kept, and sent when the server is back")
        # The app restarting in the dead zone still has it waiting; the device offers nothing to pick twice.
        assert all(item.id != picking.id for item in picker(handheld).offered)

    handheld.courier.probe()
    [sent] = handheld.courier.drain()
    assert sent.state == SENT, sent
    booked = on_server(admin, picking)
    assert booked["state"] == "done" and all(ln["short"] == "0.0000" for ln in booked["lines"])
    assert on_hand(admin, shirts.sku, "WH1-OUTPUT") == 2 and on_hand(admin, coffee.sku, "WH1-OUTPUT", "LOT-C") == 3
    # Sent twice (its answer lost on the way): replayed, not booked again.
    again = handheld.outbox.add(restartable.url, "demo", "confirmPicks", sent.entry.input, sent.entry.summary)
    [replayed] = handheld.courier.drain()
    assert replayed.entry.id == again.id and replayed.state == SENT
    assert on_hand(admin, shirts.sku, "WH1-OUTPUT") == 2


def test_a_finish_refused_after_waiting_is_fixed_in_the_list_and_booked(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    mugs, shirts = new_item(admin, 6), new_item(admin, 6)
    picking = new_pick_list(admin, (mugs, 2), (shirts, 1))
    flow = picker(handheld)
    flow.scan(scanned(picking.number))
    for item in sorted(picking.items.values(), key=lambda it: it.bin):
        flow.scan(scanned(item.bin))
        flow.scan(scanned(item.ean))
        if item is mugs:
            flow.scan(typed("1"))
            flow.confirm()
            flow.command(DAMAGED)
        else:
            flow.confirm()
    handheld.courier.online = False  # a dead zone: the finish waits in the outbox
    assert flow.confirm().feedback == WARN
    # Meanwhile the customer takes the mugs off the order: the one found "damaged" is more than it holds now.
    ok(admin, CANCEL_REMAINING, id=picking.order, positions=[1])
    handheld.courier.probe()
    [refused] = handheld.courier.drain()
    assert refused.state == "refused" and refused.error is not None
    assert f"holds only 0 of {mugs.sku} now" in refused.error.message, refused.error
    stored = handheld.outbox.get(refused.entry.id)
    assert stored is not None

    flow.load(stored)  # Fix, on Waiting to send

    assert flow.pick_list is not None and flow.pick_list.id == picking.id and flow.line is None
    mug_line = next(line for line in flow.pick_list.lines if line.sku == mugs.sku)
    assert (f"Line {mug_line.position}", f"2 x {mugs.sku} from {mugs.bin}: 1 found, damaged", False) in flow.fields()
    while flow.line is None or flow.line.sku != mugs.sku:  # back to the mugs' line
        flow.scan(scanned("SK:CANCEL"))
    flow.scan(scanned(mugs.bin))
    flow.command("short")  # none taken: the order wants none now
    flow.command("missing")
    while flow.line is not None:  # the lines after it, again
        flow.scan(scanned(flow.line.location))
        flow.scan(scanned(flow.line.sku))
        flow.confirm()
    fixed = flow.confirm()

    assert fixed.feedback == GOOD and fixed.done is not None and fixed.done.entry.id == stored.id, fixed.message
    assert handheld.outbox.get(stored.id) is None
    assert on_server(admin, picking)["state"] == "done"
    assert (on_hand(admin, mugs.sku, mugs.bin), on_hand(admin, mugs.sku, "WH1-OUTPUT")) == (Decimal(6), Decimal(0))
    assert on_hand(admin, shirts.sku, "WH1-OUTPUT") == Decimal(1)


def test_an_app_restarted_mid_list_takes_it_up_where_it_was(handheld: Handheld, admin: GraphQLClient) -> None:
    mugs, shirts = new_item(admin, 6), new_item(admin, 6)
    picking = new_pick_list(admin, (mugs, 2), (shirts, 1))
    flow = picker(handheld)
    flow.scan(scanned(picking.number))
    first = flow.line
    assert first is not None
    flow.scan(scanned(first.location))
    flow.scan(scanned(first.sku))
    flow.confirm()

    again = PickFlow(handheld.courier, warehouse="WH1", device="hh-pick", cache=handheld.cache)  # the app restarted
    resumed = again.look()

    assert resumed.feedback == GOOD and resumed.message.startswith(f"Back to {picking.number}. Line 2 of 2: go to ")
    assert again.picks == flow.picks and again.line == flow.line
    assert again.scan(scanned("SK:RELEASE")).feedback == WARN, "a line is done: asked first"
    assert again.confirm().message.startswith(f"Released {picking.number}.")
    assert picker(handheld).pick_list is None, "released: nothing to take up"


SCAN_LOG = """query S($device: String!) { scans(device: $device, first: 100) { edges { node { code
  move { sku effectiveAt createdAt } } } } }"""
MOVES = """query M($sku: String!) { stockMoves(sku: $sku, first: 100) { edges { node { reason toLocationCode
  effectiveAt createdAt } } } }"""
CANCEL_LIST = """mutation C($input: TransitionDocumentInput!) { transitionDocument(input: $input) {
  document { state } errors { field code message } } }"""


def picks_of(client: GraphQLClient, sku: str) -> list[dict[str, Any]]:
    edges = client.execute(MOVES, {"sku": sku})["stockMoves"]["edges"]
    return [edge["node"] for edge in edges if edge["node"]["reason"] in ("pick", "short_pick")]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_picks_finished_offline_are_booked_when_they_were_scanned_not_when_the_server_got_them(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    admin = handheld.session.client
    shirts, mugs = new_item(admin, 5), new_item(admin, 4)
    picking = new_pick_list(admin, (shirts, 2), (mugs, 3))
    device = f"hh-{uuid.uuid4().hex[:8]}"
    flow = picker(handheld, device)
    assert flow.scan(scanned(picking.number)).feedback == GOOD

    with restartable.stopped():
        scanned_at: dict[str, datetime] = {}
        for item in sorted(picking.items.values(), key=lambda it: it.bin):
            flow.scan(scanned(item.bin))
            before = datetime.now(UTC)
            assert flow.scan(scanned(item.ean)).feedback == GOOD
            scanned_at[item.sku] = before.replace(microsecond=before.microsecond // 1000 * 1000)  # sent in ms
            if item is mugs:  # one of three found: a short line keeps its scan too
                flow.key("1")
                flow.confirm()
                flow.command(DAMAGED)
            else:
                assert flow.confirm().feedback == GOOD
            time.sleep(0.3)  # the two scans apart
        assert flow.pick_list is not None
        skus = {line.position: line.sku for line in flow.pick_list.lines}
        kept = flow.confirm()
        assert kept.done is not None and kept.done.state == WAITING, kept.message
        finished = datetime.now(UTC)
        time.sleep(1.5)  # the finish waits: the server gets it well after the scans
    sent = {skus[line["position"]]: line["scan"] for line in kept.done.entry.input["lines"]}
    assert sent.keys() == {shirts.sku, mugs.sku} and {scan["device"] for scan in sent.values()} == {device}

    handheld.courier.probe()
    [delivered] = handheld.courier.drain()

    assert delivered.state == SENT, delivered
    for item in (shirts, mugs):
        moves = picks_of(admin, item.sku)
        assert moves, item
        for move in moves:
            effective, created = when(move["effectiveAt"]), when(move["createdAt"])
            assert effective == when(sent[item.sku]["scannedAt"]), (item, move)
            assert scanned_at[item.sku] <= effective <= finished, (item, move)
            assert created - effective > timedelta(seconds=1), "booked at the scan, not when it arrived"
    assert {m["reason"] for m in picks_of(admin, mugs.sku)} == {"pick", "short_pick"}
    logged = client_scans(admin, device)
    assert {(scan["code"], scan["move"]["sku"]) for scan in logged} == {(shirts.ean, shirts.sku), (mugs.ean, mugs.sku)}
    for scan in logged:
        assert when(scan["move"]["effectiveAt"]) <= finished
    # Sent again (its answer lost on the way): nothing booked or logged twice.
    handheld.outbox.add(restartable.url, "demo", "confirmPicks", delivered.entry.input, delivered.entry.summary)
    [replayed] = handheld.courier.drain()
    assert replayed.state == SENT and len(client_scans(admin, device)) == 2
    assert len(picks_of(admin, shirts.sku)) == 1


def client_scans(client: GraphQLClient, device: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in client.execute(SCAN_LOG, {"device": device})["scans"]["edges"]]


def test_a_list_of_more_lines_than_a_page_is_read_walked_to_its_end_and_booked_whole(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    size = LINES_READ + 21
    sku, ean = f"PICK-{uuid.uuid4().hex[:6]}".upper(), ean13()
    ok(admin, CREATE_PRODUCT, sku=sku, name=f"Long list {sku}", barcodes=[ean])
    bins = sorted(new_bin(admin, (sku, 1, None)) for _ in range(size))  # one in each: one line per bin
    item = Item(sku, ean, bins[0], None)
    picking = new_pick_list(admin, (item, size))
    assert len(on_server(admin, picking)["lines"]) == LINES_READ, "a page of lines is what one query reads"
    flow = picker(handheld)

    claimed = flow.scan(scanned(picking.number))

    assert claimed.feedback == GOOD and claimed.message.startswith(f"{picking.number} is yours: {size} lines.")
    assert flow.pick_list is not None and [line.location for line in flow.pick_list.lines] == bins
    for place, bin_ in enumerate(bins, 1):
        assert flow.prompt == f"Line {place} of {size}: go to {bin_} and scan the bin."
        flow.scan(scanned(bin_))
        flow.scan(scanned(ean))
        assert flow.confirm().feedback == GOOD
    done = flow.confirm()

    assert done.feedback == GOOD and done.message.startswith(f"Done: Pick {picking.number}: {size} lines."), done
    assert on_server(admin, picking)["state"] == "done"
    assert on_hand(admin, sku, "WH1-OUTPUT") == size and all(on_hand(admin, sku, b) == 0 for b in bins[-3:])


def test_a_list_past_the_twenty_offered_is_found_by_scanning_its_number(
    handheld: Handheld, admin: GraphQLClient
) -> None:
    mugs = new_item(admin, LISTS_READ + 1)
    lists = [new_pick_list(admin, (mugs, 1)) for _ in range(LISTS_READ + 1)]
    flow = picker(handheld)
    last = lists[-1]
    assert len(flow.offered) == LISTS_READ and all(item.id != last.id for item in flow.offered), "not offered"
    try:
        unknown = flow.scan(scanned("PK-NO-SUCH-LIST"))
        assert (unknown.feedback, unknown.message.split(". ")[0]) == (BAD, "No open pick list PK-NO-SUCH-LIST in WH1")

        claimed = flow.scan(scanned(last.number.lower()))

        assert claimed.feedback == GOOD and claimed.message.startswith(f"{last.number} is yours: 1 lines."), claimed
        assert on_server(admin, last)["claimedBy"] == "demo"
        flow.scan(scanned(mugs.bin))
        flow.scan(scanned(mugs.ean))
        flow.confirm()
        assert flow.confirm().feedback == GOOD and on_server(admin, last)["state"] == "done"
    finally:  # the others are not left open for the other tests of this server
        for other in lists[:-1]:
            cancelled = admin.execute(CANCEL_LIST, {"input": {"id": other.id, "action": "cancel"}})
            assert cancelled["transitionDocument"]["errors"] == [], cancelled
