"""Receiving a delivery against purchase orders, without a window, against the demo server: serials on the
order receipt, several orders of one supplier in one receipt, and orders the first read does not bring (the
21st open order, an order of 150 lines). Each test buys into a warehouse of its own, through a store and a
supplier of its own, so the demo's orders in WH1 (and the other tests') stay as they were."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from handheld.client import GraphQLClient
from handheld.logic.capture import GS
from handheld.logic.courier import SENT
from handheld.logic.purchase_orders import ORDERS_READ
from handheld.logic.receive import ReceiveFlow
from handheld.logic.receive_order import OrderReceiveFlow, offer
from handheld.logic.scan import BAD, GOOD
from tests.handheld.conftest import Handheld, on_hand
from tests.handheld.test_pick import CREATE_PRODUCT, ean13, ok
from tests.handheld.test_receive_order import TSHIRT_EAN
from tests.handheld.test_tasks import scanned, typed

if TYPE_CHECKING:
    from tests.handheld.conftest import RestartableServer

ERRORS = "errors { field code message }"
CREATE_WAREHOUSE = f"mutation W($input: CreateWarehouseInput!) {{ createWarehouse(input: $input) {{ {ERRORS} }} }}"
CREATE_LOCATION = f"mutation L($input: CreateLocationInput!) {{ createLocation(input: $input) {{ {ERRORS} }} }}"
CREATE_STORE = f"mutation S($input: CreateStoreInput!) {{ createStore(input: $input) {{ {ERRORS} }} }}"
CREATE_PARTY = f"mutation P($input: CreatePartyInput!) {{ createParty(input: $input) {{ {ERRORS} }} }}"
CREATE_ORDER = f"""mutation C($input: CreatePurchaseOrderInput!) {{
  createPurchaseOrder(input: $input) {{ document {{ id number }} {ERRORS} }} }}"""
CONFIRM = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state }} {ERRORS} }} }}"""
PROGRESS = """
query Progress($id: ID!, $after: Int) {
  document(id: $id) { purchaseOrder { lines(first: 100, afterPosition: $after) { position received due } } }
}
"""
SERIALS = """
query Serials($sku: String) { stockLevels(sku: $sku, first: 10) { edges { node { locationCode lotCode onHand } } } }
"""


@dataclass(frozen=True)
class Buying:
    """A warehouse with one bin, bought into by a store of its own from a supplier of its own."""

    warehouse: str
    bin: str
    store: str
    supplier: str


@dataclass(frozen=True)
class Ordered:
    id: str
    number: str


def new_buying(client: GraphQLClient, supplier: str | None = None) -> Buying:
    tag = uuid.uuid4().hex[:5].upper()
    warehouse, bin_, store = f"WR{tag}", f"WR{tag}-01", f"R{tag}"
    ok(client, CREATE_WAREHOUSE, code=warehouse, name=f"Receiving {tag}")
    ok(client, CREATE_LOCATION, warehouseCode=warehouse, code=bin_, name="Dock")
    ok(client, CREATE_STORE, code=store, name=f"Store {tag}", currency="EUR", warehouses=[warehouse])
    return Buying(warehouse, bin_, store, supplier or new_supplier(client))


def new_supplier(client: GraphQLClient) -> str:
    tag = uuid.uuid4().hex[:5].upper()
    ok(client, CREATE_PARTY, code=f"SUP-{tag}", name=f"Supplier {tag}", roles=["SUPPLIER"])
    return f"SUP-{tag}"


def new_product(client: GraphQLClient, tracking: str = "NONE") -> tuple[str, str]:
    """A product of its own (SKU, EAN-13)."""
    sku, ean = f"RCV-{uuid.uuid4().hex[:6]}".upper(), ean13()
    ok(client, CREATE_PRODUCT, sku=sku, name=f"Receiving test {sku}", barcodes=[ean], tracking=tracking)
    return sku, ean


def new_order(client: GraphQLClient, buying: Buying, lines: list[tuple[str, int]], expected_on: str) -> Ordered:
    """A confirmed purchase order of ``(sku, pieces)`` lines, received into the warehouse's bin."""
    made = ok(
        client, CREATE_ORDER, supplier=buying.supplier, store=buying.store, warehouse=buying.warehouse,
        receiveInto=buying.bin, expectedOn=expected_on,
        lines=[{"sku": sku, "quantity": str(quantity), "price": "1.00"} for sku, quantity in lines],
    )["document"]  # fmt: skip
    ok(client, CONFIRM, id=made["id"], action="confirm")
    return Ordered(made["id"], made["number"])


def progress(client: GraphQLClient, order: Ordered, position: int) -> tuple[Decimal, Decimal]:
    """(received, due) of the order's line at ``position``, as the server has it."""
    lines = client.execute(PROGRESS, {"id": order.id, "after": position - 1})["document"]["purchaseOrder"]["lines"]
    line = lines[0]
    assert line["position"] == position
    return Decimal(line["received"]), Decimal(line["due"])


def serials_in(client: GraphQLClient, sku: str, bin_: str) -> dict[str, Decimal]:
    edges = client.execute(SERIALS, {"sku": sku})["stockLevels"]["edges"]
    return {edge["node"]["lotCode"]: Decimal(edge["node"]["onHand"]) for edge in edges
            if edge["node"]["locationCode"] == bin_}  # fmt: skip


def offered(handheld: Handheld, buying: Buying, **kwargs: Any) -> OrderReceiveFlow:
    flow, said = offer(handheld.courier, warehouse=buying.warehouse, device="hh-delivery", **kwargs)
    assert flow is not None and said is not None, "the warehouse has open orders"
    return flow


def gs1(ean: str, serial: str) -> str:
    """A GS1 label: the product's GTIN (01) and a serial (21), with the separator a scanner sends after it."""
    return f"010{ean}21{serial}{GS}"


@pytest.fixture(scope="module")
def client(handheld: Handheld) -> GraphQLClient:
    return handheld.session.client


# Serials.


def test_a_serial_product_is_received_one_unit_per_serial_from_its_gs1_codes(
    handheld: Handheld, client: GraphQLClient
) -> None:
    buying = new_buying(client)
    sku, ean = new_product(client, "SERIAL")
    order = new_order(client, buying, [(sku, 3)], "2030-01-10")
    first, second = f"SN{uuid.uuid4().hex[:8]}".upper(), f"SN{uuid.uuid4().hex[:8]}".upper()
    flow = offered(handheld, buying)
    flow.scan(scanned(order.number))

    assert flow.scan(scanned(gs1(ean, first))).feedback == GOOD
    assert ("Serial", first, False) in flow.fields() and flow.quantity.text == "1", "one unit per serial"
    assert flow.prompt.startswith("Scan the bin, or confirm")
    one = flow.confirm()
    assert one.feedback == GOOD and one.done is not None and one.done.state == SENT, one.message
    assert flow.scan(scanned(gs1(ean, second))).feedback == GOOD
    assert flow.confirm().feedback == GOOD

    assert serials_in(client, sku, buying.bin) == {first: 1, second: 1}
    assert progress(client, order, 1) == (2, 1)
    assert flow.due(sku) == 1


def test_the_same_serial_twice_in_one_receipt_is_refused_on_the_device(
    handheld: Handheld, client: GraphQLClient
) -> None:
    buying = new_buying(client)
    sku, ean = new_product(client, "SERIAL")
    order = new_order(client, buying, [(sku, 3)], "2030-01-10")
    serial = f"SN{uuid.uuid4().hex[:8]}".upper()
    flow = offered(handheld, buying)
    flow.scan(scanned(order.number))
    flow.scan(scanned(gs1(ean, serial)))
    assert flow.confirm().feedback == GOOD
    sent_before = len(handheld.outbox.entries())

    again = flow.scan(scanned(gs1(ean, serial)))

    assert again.feedback == BAD and again.message.startswith(f"{serial} of {sku} is already in this receipt"), again
    assert flow.lot == "" and not flow.ready, "the serial is not taken"
    assert len(handheld.outbox.entries()) == sent_before and serials_in(client, sku, buying.bin) == {serial: 1}


def test_a_serial_product_scanned_without_a_serial_asks_for_it_and_takes_one_unit(
    handheld: Handheld, client: GraphQLClient
) -> None:
    buying = new_buying(client)
    sku, ean = new_product(client, "SERIAL")
    order = new_order(client, buying, [(sku, 2)], "2030-01-10")
    serial = f"SN{uuid.uuid4().hex[:8]}".upper()
    flow = offered(handheld, buying)
    flow.scan(scanned(order.number))

    flow.scan(scanned(ean))
    assert flow.prompt == "Scan the serial (its own label, or type it)."
    assert flow.key("5") == "1", "a serial is one unit: the pad cannot make it more"
    assert flow.scan(scanned(serial)).feedback == GOOD, "the serial's own label"
    assert flow.confirm().feedback == GOOD
    flow.scan(scanned(ean))
    twice = flow.scan(scanned(serial))
    assert twice.feedback == BAD and "already in this receipt" in twice.message

    assert serials_in(client, sku, buying.bin) == {serial: 1}
    assert progress(client, order, 1) == (1, 1)


def test_the_plain_receipt_refuses_a_serial_it_just_received(handheld: Handheld, client: GraphQLClient) -> None:
    buying = new_buying(client)
    sku, ean = new_product(client, "SERIAL")
    serial = f"SN{uuid.uuid4().hex[:8]}".upper()
    flow = ReceiveFlow(handheld.courier, warehouse=buying.warehouse, device="hh-delivery", cache=handheld.cache)
    flow.scan(scanned(gs1(ean, serial)))
    flow.scan(scanned(buying.bin))
    assert flow.quantity.text == "1" and flow.confirm().feedback == GOOD

    again = flow.scan(scanned(gs1(ean, serial)))

    assert again.feedback == BAD and "already in this receipt" in again.message
    assert serials_in(client, sku, buying.bin) == {serial: 1}


# Several orders of one supplier.


def test_a_delivery_of_two_orders_books_the_soonest_order_first_then_the_next(
    handheld: Handheld, client: GraphQLClient
) -> None:
    buying = new_buying(client)
    sku, ean = new_product(client)
    later = new_order(client, buying, [(sku, 4)], "2030-02-01")
    sooner = new_order(client, buying, [(sku, 3)], "2030-01-15")  # made second, expected first
    flow = offered(handheld, buying)

    assert flow.scan(scanned(later.number)).feedback == GOOD
    taken = flow.scan(scanned(sooner.number))
    assert taken.feedback == GOOD and [order.number for order in flow.taken] == [sooner.number, later.number]
    flow.scan(scanned(ean))
    assert flow.order is not None and flow.order.number == sooner.number, "the soonest order has it due"
    flow.scan(typed("2"))
    assert flow.confirm().feedback == GOOD
    assert (progress(client, sooner, 1), progress(client, later, 1)) == ((2, 1), (0, 4))

    flow.scan(scanned(ean))
    flow.scan(typed("3"))  # 1 still due on the sooner order, the other 2 on the later one
    split = flow.confirm()
    assert split.feedback == GOOD and split.done is not None and split.done.state == SENT, split.message
    assert (progress(client, sooner, 1), progress(client, later, 1)) == ((3, 0), (2, 2))

    flow.scan(scanned(ean))
    assert flow.order is not None and flow.order.number == later.number, "then the next"
    flow.scan(typed("2"))
    assert flow.confirm().feedback == GOOD
    assert (progress(client, sooner, 1), progress(client, later, 1)) == ((3, 0), (4, 0))
    assert on_hand(client, sku, buying.bin) == 7


def test_a_second_order_is_taken_by_its_button_and_another_suppliers_or_warehouses_is_refused(
    handheld: Handheld, client: GraphQLClient
) -> None:
    buying = new_buying(client)
    sku, _ = new_product(client)
    first = new_order(client, buying, [(sku, 1)], "2030-01-15")
    second = new_order(client, buying, [(sku, 1)], "2030-01-20")
    another = new_supplier(client)
    foreign = new_order(client, dataclasses.replace(buying, supplier=another), [(sku, 1)], "2030-01-01")
    elsewhere = new_order(client, new_buying(client, buying.supplier), [(sku, 1)], "2030-01-10")
    flow = offered(handheld, buying)

    flow.scan(scanned(first.number))
    assert [label for _, label, _ in flow.choices()] == [f"+ {second.number}"], "the supplier's other open order"
    flow.command(flow.choices()[0][0])
    assert [order.number for order in flow.taken] == [first.number, second.number] and flow.choices() == []
    refused = flow.scan(scanned(foreign.number))
    assert refused.feedback == BAD and refused.message.startswith(f"{foreign.number} is from Supplier "), refused
    far = flow.scan(scanned(elsewhere.number))
    assert far.feedback == BAD and far.message.startswith(f"{elsewhere.number} goes to warehouse WR"), far.message
    assert [order.number for order in flow.taken] == [first.number, second.number]


def test_a_product_on_none_of_the_orders_is_refused_in_plain_words(handheld: Handheld, client: GraphQLClient) -> None:
    buying = new_buying(client)
    sku, _ = new_product(client)
    first = new_order(client, buying, [(sku, 1)], "2030-01-15")
    second = new_order(client, buying, [(sku, 1)], "2030-01-20")
    flow = offered(handheld, buying)
    flow.scan(scanned(first.number))
    flow.scan(scanned(second.number))

    refused = flow.scan(scanned(TSHIRT_EAN))

    assert refused.feedback == BAD
    assert refused.message == f"Not on {first.number} or {second.number}: TSHIRT-RED-M was not ordered there."


# Orders the first read does not bring.


def test_an_open_order_beyond_those_read_is_found_by_its_number(handheld: Handheld, client: GraphQLClient) -> None:
    buying = new_buying(client)
    sku, ean = new_product(client)
    orders = [new_order(client, buying, [(sku, 2)], f"2030-03-{day:02}") for day in range(1, ORDERS_READ + 2)]
    flow = offered(handheld, buying)
    last = orders[-1]
    assert last.number not in [order.number for order in flow.orders], "read are the first 20 only"

    found = flow.scan(scanned(last.number.lower()))

    assert found.feedback == GOOD and flow.order is not None and flow.order.number == last.number, found.message
    flow.scan(scanned(ean))
    flow.scan(typed("2"))
    assert flow.confirm().feedback == GOOD
    assert progress(client, last, 1) == (2, 0)


def test_an_order_of_150_lines_is_received_on_its_last_line(handheld: Handheld, client: GraphQLClient) -> None:
    buying = new_buying(client)
    filler, _ = new_product(client)
    sku, ean = new_product(client)
    order = new_order(client, buying, [(filler, 1)] * 149 + [(sku, 5)], "2030-01-10")
    flow = offered(handheld, buying)
    flow.scan(scanned(order.number))
    assert flow.order is not None and len(flow.order.lines) == 150, "read whole"

    flow.scan(scanned(ean))
    assert flow.line is not None and flow.line.position == 150
    flow.scan(typed("2"))
    done = flow.confirm()

    assert done.feedback == GOOD and done.done is not None and done.done.state == SENT, done.message
    assert progress(client, order, 150) == (2, 3)
    assert flow.due(sku) == 3, "the form's figures follow the server's, on line 150 too"
    assert "3 pcs of " in done.message


def test_offline_a_product_found_by_its_sku_does_not_take_the_serial_of_a_label_scanned_before(
    restartable: RestartableServer,
) -> None:
    handheld = Handheld.signed_in(restartable.url)
    buying = new_buying(handheld.session.client)
    sku, ean = new_product(handheld.session.client, "SERIAL")
    flow = ReceiveFlow(handheld.courier, warehouse=buying.warehouse, device="hh-delivery", cache=handheld.cache)
    flow.scan(scanned(gs1(ean, "SN-FIRST")))
    flow.scan(scanned(buying.bin))
    assert flow.confirm().feedback == GOOD

    with restartable.stopped():
        found = flow.scan(typed(sku))
        assert found.feedback == GOOD, found.message

        assert (flow.sku, flow.lot) == (sku, ""), "the old label's serial is not this unit's"
        assert flow.prompt == "Scan the serial (its own label, or type it)."
