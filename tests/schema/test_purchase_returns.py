# ruff: noqa: F811  (the buying fixture is imported from tests/schema/test_purchasing.py)
"""Returns to the supplier over GraphQL: refund or replace, at the cost received, never more than came or is here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.inventory.check import check_ledger
from server.inventory.valuation.check import valuation_problems
from tests.conftest import Actor, GraphQLClient, make_actor, unique
from tests.schema.test_purchasing import (  # noqa: F401 - the fixture
    ACT,
    CLOSE,
    ERRORS,
    PROGRESS,
    Buying,
    _call,
    _confirmed,
    _key,
    _ok,
    _on_hand,
    _receive,
    buying,
)

RETURN = f"""mutation RS($input: ReturnToSupplierInput!) {{
  returnToSupplier(input: $input) {{
    supplierReturn {{ id number type state reason notes party lines {{ position unit baseQuantity location lot }} }}
    orders {{ {PROGRESS} }} {ERRORS} }} }}"""
VALUE = """query V($sku: String!) { stockValue(sku: $sku) { quantity value } }"""
CARD = """query C($sku: String!) { stockCard(sku: $sku, first: 50) { edges { node { moveId kind reason quantity
  unitCost value } } } }"""
REVALUE = f"""mutation RV($input: RevalueStockMoveInput!) {{ revalueStockMove(input: $input) {{ {ERRORS} }} }}"""
METHOD = f"""mutation SM($input: SetCostingMethodInput!) {{ setCostingMethod(input: $input) {{ {ERRORS} }} }}"""
ISSUE = f"""mutation I($input: IssueStockInput!) {{ issueStock(input: $input) {{ {ERRORS} }} }}"""


async def _books_balance() -> None:
    """The ledger invariant and the valuation's: quants and buckets equal what the moves say."""
    report = await check_ledger()
    assert report.ok, report.problems
    assert await valuation_problems() == []


async def _return(graphql: GraphQLClient, actor: Actor, receipt: str, mode: str, *lines: dict[str, Any],
                  key: str | None = None, reason: str = "Damaged in transit") -> dict[str, Any]:  # fmt: skip
    payload = await _call(graphql, RETURN, "returnToSupplier", actor, receipt=receipt, mode=mode, lines=list(lines),
                          reason=reason, idempotencyKey=key or _key())  # fmt: skip
    await _books_balance()
    return payload


async def _received(
    graphql: GraphQLClient, admin: Actor, buying: Buying, quantity: str, *, sku: str | None = None,
    price: str = "2.00", **line: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """A confirmed order of ``quantity`` pieces at ``price`` each, all received: (the order as it is now, the
    receipt)."""
    order = await _confirmed(graphql, admin, buying, [{"sku": sku or buying.sku, "quantity": quantity, "price": price}])
    done = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": quantity, **line})
    assert done["errors"] == [], done
    return done["orders"][0], done["receipt"]


async def _value(graphql: GraphQLClient, actor: Actor, sku: str) -> tuple[str, str]:
    found = (await graphql.run(VALUE, {"sku": sku}, token=actor.token))["stockValue"]
    return found["quantity"], found["value"]


async def _card(graphql: GraphQLClient, actor: Actor, sku: str) -> list[dict[str, Any]]:
    edges = (await graphql.run(CARD, {"sku": sku}, token=actor.token))["stockCard"]["edges"]
    return [edge["node"] for edge in edges]


async def test_a_refund_lowers_what_is_here_and_is_not_due_again(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order, receipt = await _received(graphql, admin, buying, "24")
    assert order["state"] == "received"
    assert await _value(graphql, admin, buying.sku) == ("24.0000", "48.0000")  # 2.00 a piece

    done = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "4"})
    assert done["errors"] == [], done
    back = done["supplierReturn"]
    assert (back["type"], back["state"], back["reason"], back["notes"], back["party"]) == (
        "purchase.return", "done", "refund", "Damaged in transit", buying.supplier)  # fmt: skip
    assert back["number"].startswith("RS-")
    assert [(r["baseQuantity"], r["location"]) for r in back["lines"]] == [("4.0000", buying.place.bin_a)]
    after = done["orders"][0]
    assert after["state"] == "received"  # refunded goods do not come again
    assert after["purchaseOrder"]["lines"][0] | {"position": 1} == {
        "position": 1, "ordered": "24.0000", "received": "24.0000", "returned": "4.0000", "cancelled": "0.0000",
        "billed": "0.0000", "due": "0.0000",
    }  # fmt: skip
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "20.0000"}
    assert await _value(graphql, admin, buying.sku) == ("20.0000", "40.0000")
    card = await _card(graphql, admin, buying.sku)
    assert [(c["kind"], c["reason"], c["quantity"], c["unitCost"]) for c in card] == [
        ("receive", "purchase", "24.0000", "2.0000"), ("issue", "supplier_return", "-4.0000", "2.0000")]  # fmt: skip
    # No more receipts than the supplier's tolerance on what was ordered: refunded units are not a gap to fill.
    over = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "3"})
    assert [e["code"] for e in over["errors"]] == ["OVER_RECEIPT"]


async def test_no_more_goes_back_than_the_receipt_line_brought_less_what_went_back(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, receipt = await _received(graphql, admin, buying, "10")
    assert (await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "6"}))["errors"] == []
    refused = await _return(graphql, admin, receipt["id"], "REPLACE", {"position": 1, "quantity": "3"},
                            {"position": 1, "quantity": "2"})  # fmt: skip
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("OVER_RETURN", ["input", "lines", "1", "quantity"])]  # fmt: skip
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "4.0000"}
    # In the receipt line's unit: a case is 12, more than the 4 left.
    cases = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "1", "unit": "case"})
    assert [e["code"] for e in cases["errors"]] == ["OVER_RETURN"]
    rest = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "4"})
    assert rest["errors"] == [] and rest["orders"][0]["purchaseOrder"]["lines"][0]["returned"] == "10.0000"
    assert await _on_hand(graphql, admin, buying.sku) == {}


async def test_a_replacement_makes_the_quantity_due_again_and_the_order_partly_received(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order, receipt = await _received(graphql, admin, buying, "10")
    done = await _return(graphql, admin, receipt["id"], "REPLACE", {"position": 1, "quantity": "3"})
    assert done["errors"] == [], done
    after = done["orders"][0]
    assert after["state"] == "partially_received"
    line = after["purchaseOrder"]["lines"][0]
    assert (line["received"], line["returned"], line["due"]) == ("10.0000", "3.0000", "3.0000")
    replaced = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "3"})
    assert replaced["errors"] == [] and replaced["orders"][0]["state"] == "received"
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "10.0000"}

    # All of a received order going back to be replaced: nothing here, all of it due.
    _, whole = await _received(graphql, admin, buying, "2")
    gone = await _return(graphql, admin, whole["id"], "REPLACE", {"position": 1, "quantity": "2"})
    assert gone["orders"][0]["state"] == "partially_received"
    assert gone["orders"][0]["purchaseOrder"]["lines"][0]["due"] == "2.0000"


async def test_a_closed_order_takes_a_return_for_a_refund_only(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order, receipt = await _received(graphql, admin, buying, "5")
    await _ok(graphql, CLOSE, "closePurchaseOrder", admin, id=order["id"])
    refused = await _return(graphql, admin, receipt["id"], "REPLACE", {"position": 1, "quantity": "1"})
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("ILLEGAL_TRANSITION", ["input", "mode"])]
    refund = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "1"})
    assert refund["errors"] == [] and refund["orders"][0]["state"] == "closed"


async def test_goods_leave_at_the_cost_they_came_in_at_not_the_average(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, cheap = await _received(graphql, admin, buying, "10")  # 2.00
    await _received(graphql, admin, buying, "10", price="4.00")
    assert await _value(graphql, admin, buying.sku) == ("20.0000", "60.0000")  # average 3.00
    done = await _return(graphql, admin, cheap["id"], "REFUND", {"position": 1, "quantity": "5"})
    assert done["errors"] == []
    assert await _value(graphql, admin, buying.sku) == ("15.0000", "50.0000")  # 5 x 2.00 left

    # After a revaluation of the receipt's move, at its current cost.
    receipt_move = (await _card(graphql, admin, buying.sku))[0]["moveId"]
    revalued = await _call(graphql, REVALUE, "revalueStockMove", admin, moveId=receipt_move, unitCost="2.5",
                           idempotencyKey=_key())  # fmt: skip
    assert revalued["errors"] == []
    _, value = await _value(graphql, admin, buying.sku)
    again = await _return(graphql, admin, cheap["id"], "REFUND", {"position": 1, "quantity": "2"})
    assert again["errors"] == []
    _, left = await _value(graphql, admin, buying.sku)
    assert float(value) - float(left) == 5.0  # 2 x 2.50
    assert (await _card(graphql, admin, buying.sku))[-1]["unitCost"] == "2.5000"


async def test_under_fifo_the_goods_leave_from_their_own_receipts_layer(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    method = await _call(graphql, METHOD, "setCostingMethod", admin, sku=buying.sku, costingMethod="FIFO")
    assert method["errors"] == []
    await _received(graphql, admin, buying, "10")  # 2.00, the oldest layer
    _, dear = await _received(graphql, admin, buying, "10", price="4.00")
    done = await _return(graphql, admin, dear["id"], "REFUND", {"position": 1, "quantity": "5"})
    assert done["errors"] == []
    assert await _value(graphql, admin, buying.sku) == ("15.0000", "40.0000")  # 10 x 2.00 and 5 x 4.00 left
    assert (await _card(graphql, admin, buying.sku))[-1]["value"] == "-20.0000"


async def test_a_returned_serial_leaves_and_comes_back_only_by_a_new_receipt(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    from server.catalog.service import ProductDetails, create_product

    sku = unique("SERIAL")
    await create_product(sku, ProductDetails(name="Scanner", tracking="serial"), actor_id=admin.user_id)
    serials = [unique("SN"), unique("SN")]
    _, receipt = await _received(graphql, admin, buying, "2", sku=sku, price="100", serials=serials)
    position = next(i + 1 for i, line in enumerate(receipt["lines"]) if line["lot"] == serials[0])
    done = await _return(graphql, admin, receipt["id"], "REPLACE", {"position": position, "quantity": "1"})
    assert done["errors"] == [], done
    assert [r["lot"] for r in done["supplierReturn"]["lines"]] == [serials[0]]
    twice = await _return(graphql, admin, receipt["id"], "REPLACE", {"position": position, "quantity": "1"})
    assert [e["code"] for e in twice["errors"]] == ["OVER_RETURN"]
    order = done["orders"][0]
    back = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "1",
                                           "serials": serials[:1]})  # fmt: skip
    assert back["errors"] == [] and back["orders"][0]["state"] == "received"
    await _books_balance()


async def test_what_is_no_longer_in_the_bin_cannot_go_back_and_nothing_is_written(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, receipt = await _received(graphql, admin, buying, "10")
    sold = await _call(graphql, ISSUE, "issueStock", admin, sku=buying.sku, locationCode=buying.place.bin_a,
                       quantity="8", idempotencyKey=_key())  # fmt: skip
    assert sold["errors"] == []
    short = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "5"})
    assert [(e["code"], e["field"]) for e in short["errors"]] == [
        ("INSUFFICIENT_STOCK", ["input", "lines", "0", "quantity"])]  # fmt: skip
    elsewhere = await _return(graphql, admin, receipt["id"], "REFUND",
                              {"position": 1, "quantity": "1", "location": buying.place.bin_b})  # fmt: skip
    assert [e["code"] for e in elsewhere["errors"]] == ["INSUFFICIENT_STOCK"]
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "2.0000"}
    ok = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "2"})
    assert ok["errors"] == [] and ok["orders"][0]["purchaseOrder"]["lines"][0]["returned"] == "2.0000"


async def test_bad_input_is_refused_before_anything_is_written(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order, receipt = await _received(graphql, admin, buying, "5")

    async def codes(receipt_id: str, *lines: dict[str, Any], **more: Any) -> list[tuple[str, list[str]]]:
        payload = await _return(graphql, admin, receipt_id, "REFUND", *lines, **more)
        assert payload.get("supplierReturn") is None
        return [(e["code"], e["field"]) for e in payload["errors"]]

    assert await codes(receipt["id"]) == [("INVALID", ["input", "lines"])]
    assert await codes(receipt["id"], {"position": 7, "quantity": "1"}) == [
        ("NOT_FOUND", ["input", "lines", "0", "position"])]  # fmt: skip
    assert await codes(receipt["id"], {"position": 1, "quantity": "-1"}) == [
        ("INVALID", ["input", "lines", "0", "quantity"])]  # fmt: skip
    assert await codes(receipt["id"], {"position": 1, "quantity": "1"}, reason="bad\x00reason") == [
        ("INVALID", ["input", "reason"])]  # fmt: skip
    assert await codes(receipt["id"], {"position": 1, "quantity": "1"}, reason="x" * 100_000) == [
        ("INVALID", ["input", "reason"])]  # fmt: skip
    assert await codes(order["id"], {"position": 1, "quantity": "1"}) == [("NOT_FOUND", ["input", "receipt"])]
    assert await codes("RG9jdW1lbnQ6OTk5OTk5OTk5", {"position": 1, "quantity": "1"}) == [
        ("NOT_FOUND", ["input", "receipt"])]  # fmt: skip
    assert (await codes("\x00", {"position": 1, "quantity": "1"}))[0][1] == ["input", "receipt"]
    assert await codes(receipt["id"], {"position": 1, "quantity": "1", "location": "NOWHERE-" + "Z" * 10}) == [
        ("NOT_FOUND", ["input", "lines", "0", "location"])]  # fmt: skip
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "5.0000"}


async def test_a_replayed_return_books_once_and_a_clerk_may_not_return(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, receipt = await _received(graphql, admin, buying, "5")
    key = _key()
    first = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "2"}, key=key)
    again = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "2"}, key=key)
    assert first["supplierReturn"]["number"] == again["supplierReturn"]["number"]
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "3.0000"}
    reused = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "1"}, key=key)
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    clerk = await make_actor("clerk")
    denied = await graphql.post(RETURN, {"input": {"receipt": receipt["id"], "mode": "REFUND", "reason": "x",
                                                   "lines": [], "idempotencyKey": _key()}}, clerk.token)  # fmt: skip
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_return_is_made_only_by_its_mutation(graphql: GraphQLClient, admin: Actor, buying: Buying) -> None:
    generic = await _call(graphql, "mutation D($input: CreateDocumentInput!) { createDocument(input: $input)"
                          f" {{ {ERRORS} }} }}", "createDocument", admin, type="purchase.return", store=buying.store,
                          party=buying.supplier, lines=[{"sku": buying.sku, "quantity": "1"}])  # fmt: skip
    assert [(e["code"], e["field"]) for e in generic["errors"]] == [("INVALID", ["input", "type"])]
    _, receipt = await _received(graphql, admin, buying, "1")
    done = await _return(graphql, admin, receipt["id"], "REFUND", {"position": 1, "quantity": "1"})
    booked = await _call(graphql, ACT, "transitionDocument", admin, id=done["supplierReturn"]["id"], action="book")
    assert [e["code"] for e in booked["errors"]] == ["ILLEGAL_TRANSITION"]


@pytest.mark.postgres
async def test_returns_at_once_of_one_receipt_line_take_back_no_more_than_it_brought(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, receipt = await _received(graphql, admin, buying, "10")
    answers = await asyncio.gather(*(
        _call(graphql, RETURN, "returnToSupplier", admin, receipt=receipt["id"], mode=mode, reason="Wrong colour",
              lines=[{"position": 1, "quantity": "3"}], idempotencyKey=_key())
        for mode in ("REFUND", "REPLACE") * 4
    ))  # fmt: skip
    codes = [tuple(e["code"] for e in a["errors"]) for a in answers]
    assert codes.count(()) == 3 and codes.count(("OVER_RETURN",)) == 5
    assert await _on_hand(graphql, admin, buying.sku) == {buying.place.bin_a: "1.0000"}
    await _books_balance()
