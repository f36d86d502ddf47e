# ruff: noqa: F811  (the buying fixture is imported from tests/schema/test_purchasing.py)
"""Landed costs over GraphQL: freight, duty, insurance spread over receipts by value, quantity or weight."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from server import sql
from server.catalog.service import ProductDetails, create_product
from server.db import connection
from server.money.rates import set_exchange_rate
from server.partners.models import Party
from tests.conftest import Actor, GraphQLClient, make_actor, unique
from tests.schema.test_purchase_returns import ISSUE, _books_balance, _card, _received, _value
from tests.schema.test_purchasing import (  # noqa: F401 - the fixture
    ERRORS,
    Buying,
    _call,
    _confirmed,
    _key,
    _receive,
    buying,
)
from tests.server.money.helpers import new_currency

SHARES = "receiptNumber position sku quantity basis amount unitCostBefore unitCostAfter revalued costOfGoods"
COST = f"id kind party reference reason amount currency rate amountCompany split shares(first: 10) {{ {SHARES} }}"
ADD = f"""mutation L($input: AddLandedCostInput!) {{ addLandedCost(input: $input) {{ landedCost {{ {COST} }}
  {ERRORS} }} }}"""
OF_RECEIPT = f"""query Q($receipt: ID!) {{ landedCosts(receipt: $receipt) {{ {COST} }} }}"""
VALUE_ON = """query V($sku: String!, $onDate: Date) { stockValue(sku: $sku, onDate: $onDate) { quantity value } }"""


async def _carrier() -> str:
    return (await Party.create(code=unique("CARRIER"), name="Fast Freight", roles=["supplier"])).code


async def _add(graphql: GraphQLClient, actor: Actor, receipts: list[str], amount: str, split: str, *,
               key: str | None = None, **more: Any) -> dict[str, Any]:  # fmt: skip
    given = {"party": await _carrier(), "kind": "FREIGHT", **more}
    payload = await _call(graphql, ADD, "addLandedCost", actor, receipts=receipts, amount=amount, split=split,
                          idempotencyKey=key or _key(), **given)  # fmt: skip
    await _books_balance()
    return payload


def _shares(payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s["amount"], s["unitCostBefore"], s["unitCostAfter"]) for s in payload["landedCost"]["shares"]]


async def test_forty_by_value_over_receipts_worth_100_and_300_is_10_and_30(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, small = await _received(graphql, admin, buying, "50")  # 50 x 2.00 = 100
    _, large = await _received(graphql, admin, buying, "100", price="3.00")  # 300
    assert await _value(graphql, admin, buying.sku) == ("150.0000", "400.0000")
    done = await _add(graphql, admin, [small["id"], large["id"]], "40", "VALUE", reference="INV-77",
                      reason="Sea freight")  # fmt: skip
    assert done["errors"] == [], done
    cost = done["landedCost"]
    assert (cost["kind"], cost["amount"], cost["currency"], cost["amountCompany"], cost["split"]) == (
        "FREIGHT", "40.0000", "EUR", "40.0000", "VALUE")  # fmt: skip
    assert [(s["receiptNumber"], s["basis"]) for s in cost["shares"]] == [
        (small["number"], "100.000000"), (large["number"], "300.000000")]  # fmt: skip
    assert _shares(done) == [("10.0000", "2.0000", "2.2000"), ("30.0000", "3.0000", "3.3000")]
    assert [(s["revalued"], s["costOfGoods"]) for s in cost["shares"]] == [("10.0000", "0.0000"),
                                                                           ("30.0000", "0.0000")]  # fmt: skip
    assert await _value(graphql, admin, buying.sku) == ("150.0000", "440.0000")
    found = (await graphql.run(OF_RECEIPT, {"receipt": large["id"]}, token=admin.token))["landedCosts"]
    assert [c["id"] for c in found] == [cost["id"]] and _shares({"landedCost": found[0]}) == _shares(done)


async def test_by_quantity_the_shares_are_rounded_to_the_cent_and_the_last_takes_the_rest(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    receipts = [(await _received(graphql, admin, buying, "1"))[1]["id"] for _ in range(3)]
    done = await _add(graphql, admin, receipts, "10", "QUANTITY", kind="DUTY")
    assert done["errors"] == [], done
    assert [s["amount"] for s in done["landedCost"]["shares"]] == ["3.3300", "3.3300", "3.3400"]
    assert await _value(graphql, admin, buying.sku) == ("3.0000", "16.0000")  # 6.00 + 10.00


async def test_by_weight_heavier_goods_carry_more_and_goods_without_weight_are_refused(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    light, heavy = unique("LIGHT"), unique("HEAVY")
    await create_product(light, ProductDetails(name="Feather", weight_kg="1"), actor_id=admin.user_id)
    await create_product(heavy, ProductDetails(name="Anvil", weight_kg="3"), actor_id=admin.user_id)
    _, first = await _received(graphql, admin, buying, "10", sku=light)
    _, second = await _received(graphql, admin, buying, "10", sku=heavy)
    done = await _add(graphql, admin, [first["id"], second["id"]], "20", "WEIGHT", kind="INSURANCE")
    assert done["errors"] == [], done
    assert _shares(done) == [("5.0000", "2.0000", "2.5000"), ("15.0000", "2.0000", "3.5000")]

    _, weightless = await _received(graphql, admin, buying, "5")
    refused = await _add(graphql, admin, [weightless["id"]], "20", "WEIGHT")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", ["input", "split"])]


async def test_on_a_receipt_partly_sold_the_rest_is_revalued_and_the_sold_part_is_cost_of_goods(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, receipt = await _received(graphql, admin, buying, "10", price="10.00")
    sold = await _call(graphql, ISSUE, "issueStock", admin, sku=buying.sku, locationCode=buying.place.bin_a,
                       quantity="4", idempotencyKey=_key())  # fmt: skip
    assert sold["errors"] == []
    # A receipt and a sale of three days ago: purchase receipts are dated the day they are booked, so their
    # moves are put back in time here, as the books would hold a receipt booked then.
    days_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)
    await sql.execute(
        connection(), "UPDATE stock_move SET effective_at = $1 WHERE product_id = (SELECT id FROM product"
        " WHERE sku = $2)", days_ago, buying.sku,
    )  # fmt: skip
    earlier = {"sku": buying.sku, "onDate": days_ago.date().isoformat()}
    before = (await graphql.run(VALUE_ON, earlier, token=admin.token))["stockValue"]
    assert before == {"quantity": "6.0000", "value": "60.0000"}

    done = await _add(graphql, admin, [receipt["id"]], "20", "QUANTITY")
    assert done["errors"] == [], done
    share = done["landedCost"]["shares"][0]
    assert (share["amount"], share["unitCostAfter"], share["revalued"], share["costOfGoods"]) == (
        "20.0000", "12.0000", "12.0000", "8.0000")  # fmt: skip
    assert await _value(graphql, admin, buying.sku) == ("6.0000", "72.0000")
    assert (await graphql.run(VALUE_ON, earlier, token=admin.token))["stockValue"] == before
    # The sale's cost of goods stays as booked; the adjustment is its own line, dated now.
    assert [c["unitCost"] for c in await _card(graphql, admin, buying.sku)][:2] == ["10.0000", "10.0000"]


async def test_a_landed_cost_in_another_currency_is_spread_at_the_rate_of_the_day(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    code = await new_currency(admin.user_id)
    await set_exchange_rate(code, datetime.date(2000, 1, 1), Decimal("0.5"), actor_id=admin.user_id)
    _, receipt = await _received(graphql, admin, buying, "4")
    done = await _add(graphql, admin, [receipt["id"]], "10", "QUANTITY", currency=code)
    assert done["errors"] == [], done
    assert (done["landedCost"]["amountCompany"], _shares(done)) == ("5.0000", [("5.0000", "2.0000", "3.2500")])


async def test_a_replay_spreads_once_and_bad_input_writes_nothing(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    order, receipt = await _received(graphql, admin, buying, "10")
    key, party = _key(), await _carrier()
    first = await _add(graphql, admin, [receipt["id"]], "5", "QUANTITY", key=key, party=party)
    again = await _add(graphql, admin, [receipt["id"]], "5", "QUANTITY", key=key, party=party)
    assert first["landedCost"]["id"] == again["landedCost"]["id"]
    other = await _add(graphql, admin, [receipt["id"]], "6", "QUANTITY", key=key, party=party)
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await _value(graphql, admin, buying.sku) == ("10.0000", "25.0000")

    async def refused(receipts: list[str], amount: str = "5", **more: Any) -> list[tuple[str, list[str]]]:
        payload = await _add(graphql, admin, receipts, amount, "QUANTITY", **more)
        assert payload.get("landedCost") is None, payload
        return [(e["code"], e["field"]) for e in payload["errors"]]

    assert await refused([]) == [("INVALID", ["input", "receipts"])]
    assert await refused([receipt["id"]], "-5") == [("INVALID", ["input", "amount"])]
    assert await refused([receipt["id"]], "0") == [("INVALID", ["input", "amount"])]
    assert await refused([receipt["id"], "RG9jdW1lbnQ6OTk5OTk5OTk5"]) == [("NOT_FOUND", ["input", "receipts", "1"])]
    assert await refused([order["id"]]) == [("NOT_FOUND", ["input", "receipts", "0"])]  # an order is no receipt
    assert await refused(["\x00"]) == [("INVALID", ["input", "receipts", "0"])]
    assert await refused([receipt["id"], receipt["id"]]) == [("INVALID", ["input", "receipts"])]
    assert await refused([receipt["id"]], party="\x00bad") == [("INVALID", ["input", "party"])]
    assert await refused([receipt["id"]], party="NOBODY") == [("NOT_FOUND", ["input", "party"])]
    assert await refused([receipt["id"]], reason="why\x00") == [("INVALID", ["input", "reason"])]
    assert await refused([receipt["id"]], reference="r" * 100_000) == [("INVALID", ["input", "reference"])]
    assert await refused([receipt["id"]], currency="\x00\x00") != []
    assert await refused([receipt["id"]], currency="ZZZ") == [("NOT_FOUND", ["input", "currency"])]
    assert await _value(graphql, admin, buying.sku) == ("10.0000", "25.0000")
    found = (await graphql.run(OF_RECEIPT, {"receipt": receipt["id"]}, token=admin.token))["landedCosts"]
    assert len(found) == 1


async def test_landed_costs_need_the_costs_manage_permission(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    _, receipt = await _received(graphql, admin, buying, "1")
    clerk = await make_actor("clerk")
    denied = await graphql.post(ADD, {"input": {"receipts": [receipt["id"]], "kind": "FREIGHT", "party": "X",
                                                "amount": "1", "split": "VALUE", "idempotencyKey": _key()}},
                                clerk.token)  # fmt: skip
    assert denied.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The receipts of an order that is still open take a landed cost too.
    order = await _confirmed(graphql, admin, buying, [{"sku": buying.sku, "quantity": "10", "price": "1"}])
    part = await _receive(graphql, admin, {"order": order["id"], "position": 1, "quantity": "4"})
    assert (await _add(graphql, admin, [part["receipt"]["id"]], "2", "VALUE"))["errors"] == []


def test_two_cents_over_four_equal_moves_are_one_cent_each_to_two_never_a_negative_share() -> None:
    from server.purchasing.landed import _Move, _spread

    moves = [_Move(i, 1, i, 1, Decimal(1), Decimal(1), Decimal(1)) for i in range(4)]
    _spread(moves, Decimal("0.02"), Decimal("0.01"), "quantity")
    assert [m.share for m in moves] == [Decimal(0), Decimal(0), Decimal("0.01"), Decimal("0.01")]
