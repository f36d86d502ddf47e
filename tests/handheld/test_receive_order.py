"""Receiving against a purchase order, without a window, against the demo server's orders: five cases of
red T-shirts from Northwind (60 pieces due) and two dozen notebooks (12 received, 12 due, tolerance 5%)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from handheld.client import GraphQLClient
from handheld.logic.courier import SENT, WAITING
from handheld.logic.outbox import Entry
from handheld.logic.receive_order import OrderReceiveFlow, offer
from handheld.logic.scan import BAD, GOOD, WARN
from tests.handheld.conftest import Handheld, on_hand
from tests.handheld.test_tasks import MUG_EAN, scanned, typed

if TYPE_CHECKING:
    from tests.handheld.conftest import RestartableServer

TSHIRT_EAN = "4006381333931"  # TSHIRT-RED-M, kept without lots; ordered by the case of 12
ORDERED = """
query Ordered($sku: String) {
  purchaseOrders(filter: {sku: $sku, warehouse: "WH1", open: true}, first: 5) {
    edges { node { number state purchaseOrder { lines(first: 10) { position ordered received due } } } }
  }
}
"""


def due_on_server(client: GraphQLClient, sku: str) -> tuple[str, Decimal]:
    """The number of the open order of ``sku`` in WH1 and what is still due of it."""
    [edge] = client.execute(ORDERED, {"sku": sku})["purchaseOrders"]["edges"]
    [line] = edge["node"]["purchaseOrder"]["lines"]
    return edge["node"]["number"], Decimal(line["due"])


def offered(handheld: Handheld, device: str = "hh-po") -> OrderReceiveFlow:
    flow, said = offer(handheld.courier, warehouse="WH1", device=device, cache=handheld.cache)
    assert flow is not None and said is not None, "the demo has open purchase orders in WH1"
    return flow


def number_of(flow: OrderReceiveFlow, sku: str) -> str:
    return next(order.number for order in flow.orders if any(line.sku == sku for line in order.lines))


@pytest.fixture
def flow(handheld: Handheld) -> OrderReceiveFlow:
    return offered(handheld)


def test_open_orders_are_offered_with_number_supplier_and_expected_day(flow: OrderReceiveFlow) -> None:
    tshirts = number_of(flow, "TSHIRT-RED-M")

    assert flow.order is None and flow.prompt.startswith("Choose or scan an order")
    choices = [label for _, label, _ in flow.choices()]
    assert any(label.startswith(f"{tshirts}\nNorthwind Traders, ") for label in choices), "number, supplier, day"
    assert choices[-1] == "Without an order"
    assert flow.command("order:none").feedback == "quiet" and flow.without_order


def test_a_product_scanned_before_an_order_is_chosen_is_received_without_one(flow: OrderReceiveFlow) -> None:
    outcome = flow.scan(scanned(MUG_EAN))

    assert (outcome.feedback, flow.without_order, flow.order) == ("quiet", True, None)
    assert flow.handed_over is not None and flow.handed_over.code == MUG_EAN, "the plain receipt takes the scan"


def test_two_cases_received_on_the_tshirt_order_add_24_and_leave_36_due(
    flow: OrderReceiveFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    number, due = due_on_server(client, "TSHIRT-RED-M")
    assert due == 60, "five cases of 12 on order, none received yet"
    before = on_hand(client, "TSHIRT-RED-M", "WH1-A-01")

    assert flow.scan(scanned(number.lower())).feedback == GOOD, "the order's number, as printed, chooses it"
    assert flow.scan(scanned(TSHIRT_EAN)).feedback == GOOD
    assert ("Due", "60 pcs (0 of 60 in)") in [(label, value) for label, value, _ in flow.fields()]
    assert flow.prompt == "Enter how many case of 12 on the pad."
    flow.key("2")
    flow.scan(scanned("WH1-A-01"))
    done = flow.scan(scanned("SK:CONFIRM"))

    assert done.feedback == GOOD and done.done is not None and done.done.state == SENT, done.message
    assert "36 pcs of TSHIRT-RED-M still due" in done.message
    assert on_hand(client, "TSHIRT-RED-M", "WH1-A-01") == before + 24
    assert due_on_server(client, "TSHIRT-RED-M") == (number, Decimal(36))
    assert flow.due("TSHIRT-RED-M") == 36, "the form's figures follow the server's"
    assert flow.order is not None and flow.order.number == number and flow.line is None, "ready for the next product"


def test_a_product_not_on_the_order_is_refused_in_plain_words(flow: OrderReceiveFlow) -> None:
    number = number_of(flow, "TSHIRT-RED-M")
    flow.scan(scanned(number))

    outcome = flow.scan(scanned(MUG_EAN))

    assert outcome.feedback == BAD and outcome.message == f"Not on {number}: MUG-WHITE was not ordered there."
    assert flow.line is None


def test_a_bin_left_to_the_server_is_the_order_lines_bin(flow: OrderReceiveFlow, handheld: Handheld) -> None:
    client = handheld.session.client
    number, due = due_on_server(client, "NOTEBOOK-A5")
    before = on_hand(client, "NOTEBOOK-A5", "WH1-A-02")
    flow.scan(scanned(number))
    flow.scan(scanned("NOTEBOOK-A5"))
    flow.scan(typed("2"))

    assert flow.prompt == "Scan the bin, or confirm to receive into the line's bin WH1-A-02."
    assert flow.confirm().feedback == GOOD
    assert on_hand(client, "NOTEBOOK-A5", "WH1-A-02") == before + 2
    assert due_on_server(client, "NOTEBOOK-A5") == (number, due - 2)


def test_an_over_receipt_is_refused_with_its_reason_and_the_form_kept_to_fix(
    flow: OrderReceiveFlow, handheld: Handheld
) -> None:
    client = handheld.session.client
    number, due = due_on_server(client, "NOTEBOOK-A5")
    flow.scan(scanned(number))
    flow.scan(scanned("NOTEBOOK-A5"))
    flow.scan(typed("500"))

    refused = flow.confirm()

    assert refused.feedback == BAD and refused.message.startswith("Refused: "), refused.message
    assert "tolerance 5.00%" in refused.message, "the reason says why"
    assert (flow.sku, flow.quantity.text) == ("NOTEBOOK-A5", "500") and handheld.outbox.entries() == []
    assert due_on_server(client, "NOTEBOOK-A5") == (number, due), "nothing was received"
    flow.key("clear")
    flow.key("1")
    assert flow.confirm().feedback == GOOD
    assert due_on_server(client, "NOTEBOOK-A5") == (number, due - 1)


def test_offline_the_orders_come_from_memory_and_a_receipt_waits_and_arrives_once(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    client = handheld.session.client
    online = offered(handheld, "hh-po-offline")
    number, due = due_on_server(client, "TSHIRT-RED-M")
    online.scan(scanned(number))
    assert online.scan(scanned(TSHIRT_EAN)).feedback == GOOD  # looked up once: known while offline
    online.scan(scanned("WH1-A-01"))
    before = on_hand(client, "TSHIRT-RED-M", "WH1-A-01")

    with restartable.stopped():
        again = Handheld.on(handheld.session)  # the app started again without the server
        flow, said = offer(again.courier, warehouse="WH1", device="hh-po-offline", cache=again.cache)
        assert flow is not None and said is not None and said.feedback == WARN
        assert said.message.startswith("Orders as of "), "the orders are marked as old"
        flow.scan(scanned(number))
        assert flow.order is not None and [line.sku for line in flow.order.lines] == ["TSHIRT-RED-M"]
        flow.scan(scanned(TSHIRT_EAN))
        flow.key("1")
        flow.scan(scanned("WH1-A-01"))
        kept = flow.confirm()

    assert kept.feedback == WARN and kept.done is not None and kept.done.state == WAITING, kept.message
    assert flow.due("TSHIRT-RED-M") == due - 12, "counted as received on the device while it waits"
    [entry] = again.outbox.waiting(again.courier.server, again.courier.username)
    assert entry.operation == "receivePurchaseOrder" and entry.scan_code == TSHIRT_EAN, "with the scan that caused it"
    assert again.courier.probe()
    [sent] = again.courier.drain()
    assert sent.state == SENT and again.courier.drain() == []
    assert on_hand(client, "TSHIRT-RED-M", "WH1-A-01") == before + 12
    assert due_on_server(client, "TSHIRT-RED-M") == (number, due - 12)
    # Sent again (its answer lost on the way): the same key books nothing more.
    replay = again.courier.outbox.add(again.courier.server, again.courier.username, entry.operation, entry.input,
                                      entry.summary)  # fmt: skip
    [again_sent] = again.courier.drain()
    assert again_sent.state == SENT and replay.input["idempotencyKey"] == entry.input["idempotencyKey"]
    assert on_hand(client, "TSHIRT-RED-M", "WH1-A-01") == before + 12
    assert flow.due("TSHIRT-RED-M") == due - 12


def test_a_receipt_refused_after_waiting_is_fixed_in_the_order_form(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    flow = offered(handheld, "hh-po-fix")
    number, due = due_on_server(handheld.session.client, "NOTEBOOK-A5")
    flow.scan(scanned(number))
    flow.scan(scanned("NOTEBOOK-A5"))
    with restartable.stopped():
        flow.scan(typed("900"))
        assert flow.confirm().feedback == WARN
    handheld.courier.probe()
    [refused] = handheld.courier.drain()
    assert refused.state == "refused" and refused.error is not None and refused.error.code == "OVER_RECEIPT"
    entry = handheld.outbox.get(refused.entry.id)
    assert isinstance(entry, Entry)

    flow.load(entry)
    assert (flow.sku, flow.quantity.text, flow.order and flow.order.number) == ("NOTEBOOK-A5", "900", number)
    flow.key("clear")
    flow.key("3")
    assert flow.confirm().feedback == GOOD
    assert handheld.outbox.entries() == []
    assert due_on_server(handheld.session.client, "NOTEBOOK-A5") == (number, due - 3)
