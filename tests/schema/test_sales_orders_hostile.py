"""A hostile review of the sales core over GraphQL: each test here failed before the fix it goes with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Actor, GraphQLClient
from tests.schema.sales_support import (
    AMEND,
    CANCEL_REMAINING,
    Shop,
    call,
    confirmed,
    make_shop,
    ok,
)
from tests.schema.test_sales_orders import seller

APPROVAL_RULE = """mutation S($input: SetApprovalRuleInput!) {
  setApprovalRule(input: $input) { threshold errors { field code } } }"""


@pytest.fixture
async def shop(admin: Actor) -> Shop:
    return await make_shop(admin)


def _line(sku: str, quantity: str, price: str = "10", position: int | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": sku, "quantity": quantity, "price": price}
    if position is not None:
        line["position"] = position
    return line


async def test_an_amendment_is_not_charged_for_what_was_cancelled_of_the_order(
    graphql: GraphQLClient, admin: Actor
) -> None:
    """Limit 1,000: an order of 500 + 400 has its 500 cancelled, a second order of 500 is confirmed (900 owed).
    Adding 10 to the first is 910, within the limit: no approval."""
    limited = await make_shop(admin, credit_limit=Decimal(1000))
    clerk = await seller()
    first = await confirmed(graphql, clerk, limited, [_line(limited.sku, "5", "100"), _line(limited.sku, "4", "100")],
                            currency="EUR")  # fmt: skip
    assert first["gross"] == "900.0000", first["gross"]
    cut = (await ok(graphql, CANCEL_REMAINING, "cancelSalesOrderRemaining", clerk, id=first["id"],
                    positions=[1]))["document"]  # fmt: skip
    await confirmed(graphql, clerk, limited, [_line(limited.sku, "5", "100")], currency="EUR")
    amended = await call(graphql, AMEND, "amendSalesOrder", clerk, id=first["id"], version=cut["version"],
                         lines=[_line(limited.sku, "5", "100", position=1), _line(limited.sku, "4", "100", position=2),
                                _line(limited.sku, "1", "10")])  # fmt: skip
    assert amended["errors"] == [], amended
    assert amended["document"]["salesOrder"]["balanceDue"] == "410.0000"
