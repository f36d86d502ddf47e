"""Money on documents: the rate of the document's date fixed at confirmation, prices from price lists."""

from __future__ import annotations

import datetime
from typing import Any

from server.catalog.service import ProductDetails, update_product
from server.money.pricelists import ItemInput, PriceListDetails, create_price_list, set_price_list_items
from server.money.rates import set_exchange_rate
from server.money.service import create_tax_rate, set_category_tax
from tests.conftest import Actor, GraphQLClient, Place, unique

CREATE = """mutation C($input: CreateDocumentInput!) { createDocument(input: $input) {
  document { id version rate currency net tax gross lines { price taxPercent net tax gross } }
  errors { field code message } } }"""
ACT = """mutation A($input: TransitionDocumentInput!) { transitionDocument(input: $input) {
  document { state rate } errors { field code message } } }"""


async def _create(graphql: GraphQLClient, admin: Actor, **input: Any) -> dict[str, Any]:
    payload = (await graphql.run(CREATE, {"input": input}, token=admin.token))["createDocument"]
    assert payload["errors"] == [], payload
    return payload["document"]  # type: ignore[no-any-return]


async def test_confirming_keeps_the_rate_of_the_documents_date_and_a_later_rate_does_not_touch_it(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    day = datetime.date(2031, 5, 5)
    await set_exchange_rate("USD", datetime.date(2031, 5, 1), "0.9", actor_id=admin.user_id)
    line = {"sku": place.sku, "quantity": "1", "location": place.bin_a, "price": "10"}
    document = await _create(graphql, admin, type="stock.inbound", store=store, currency="USD",
                              businessDate=day.isoformat(), lines=[line])  # fmt: skip
    assert (document["currency"], document["rate"]) == ("USD", None)  # a draft keeps no rate yet
    confirmed = await graphql.run(ACT, {"input": {"id": document["id"], "action": "confirm"}}, token=admin.token)
    assert confirmed["transitionDocument"]["document"]["rate"] == "0.90000000"
    await set_exchange_rate("USD", datetime.date(2031, 5, 3), "0.8", actor_id=admin.user_id)
    read = await graphql.run("query D($id: ID!) { document(id: $id) { rate } }", {"id": document["id"]},
                             token=admin.token)  # fmt: skip
    assert read["document"]["rate"] == "0.90000000"
    later = await _create(graphql, admin, type="stock.inbound", store=store, currency="USD",
                          businessDate=day.isoformat(), lines=[line])  # fmt: skip
    again = await graphql.run(ACT, {"input": {"id": later["id"], "action": "confirm"}}, token=admin.token)
    assert again["transitionDocument"]["document"]["rate"] == "0.80000000"
    early = await _create(graphql, admin, type="stock.inbound", store=store, currency="USD",
                          businessDate="1999-01-01", lines=[line])  # fmt: skip
    no_rate = await graphql.run(ACT, {"input": {"id": early["id"], "action": "confirm"}}, token=admin.token)
    assert no_rate["transitionDocument"]["errors"][0]["code"] == "NOT_FOUND"


async def test_a_line_without_a_price_takes_the_list_price_converted_to_the_documents_tax_basis(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    category, tax, price_list = unique("Cat"), unique("T")[:16], unique("PL")[:32]
    await update_product(place.sku, ProductDetails(category=category), actor_id=admin.user_id)
    await create_tax_rate(tax, "Reduced", "10", actor_id=admin.user_id)
    await set_category_tax(category, tax, actor_id=admin.user_id)
    await create_price_list(price_list, PriceListDetails(name="Shelf prices", currency="EUR", customer_class="",
                                                         prices_include_tax=True, valid_from=datetime.date(2020, 1, 1)),
                            actor_id=admin.user_id)  # fmt: skip
    await set_price_list_items(price_list, [ItemInput(place.sku, "pcs", "11")], actor_id=admin.user_id)

    lines = [{"sku": place.sku, "quantity": "3", "location": place.bin_a}]
    excluding = await _create(graphql, admin, type="stock.outbound", store=store, reason="sample", lines=lines)
    assert excluding["lines"] == [{"price": "10.0000", "taxPercent": "10.0000", "net": "30.0000", "tax": "3.0000",
                                   "gross": "33.0000"}]  # fmt: skip
    assert (excluding["net"], excluding["tax"], excluding["gross"]) == ("30.0000", "3.0000", "33.0000")
    including = await _create(graphql, admin, type="stock.outbound", store=store, reason="sample", lines=lines,
                              pricesIncludeTax=True)  # fmt: skip
    assert including["lines"][0]["price"] == "11.0000" and including["gross"] == "33.0000"
