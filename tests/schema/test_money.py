"""Currencies, rates, taxes and prices over GraphQL, as a client sees them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.money.models import Currency, ExchangeRate, PriceList, PriceListItem, TaxRate
from tests.conftest import Actor, GraphQLClient, unique
from tests.server.money.helpers import new_class, new_currency, new_party, new_product

CREATE_CURRENCY = """
mutation C($input: CreateCurrencyInput!) {
  createCurrency(input: $input) { currency { code name minorUnits } errors { field code message } }
}"""
SET_RATE = """
mutation R($input: SetExchangeRateInput!) {
  setExchangeRate(input: $input) { exchangeRate { currency validFrom rate } errors { field code message } }
}"""
RATE = "query R($c: String!, $on: Date) { exchangeRate(currency: $c, on: $on) { currency on rate validFrom } }"
SET_COMPANY_CURRENCY = """
mutation S($c: String!) { setCompanyCurrency(input: {currency: $c}) { currency { code } errors { field code } } }"""
CREATE_TAX = """
mutation T($input: CreateTaxRateInput!) {
  createTaxRate(input: $input) { taxRate { code name percent isDefault } errors { field code message } }
}"""
SET_CATEGORY_TAX = """
mutation S($input: SetCategoryTaxInput!) { setCategoryTax(input: $input) { category taxCode errors { field code } } }"""
TAX_RATES = "{ taxRates(first: 100) { code percent categories(first: 5) } }"
CREATE_LIST = """
mutation L($input: CreatePriceListInput!) {
  createPriceList(input: $input) {
    priceList { code name currency customerClass pricesIncludeTax validFrom validTo priority }
    errors { field code message }
  }
}"""
SET_ITEMS = """
mutation I($input: SetPriceListItemsInput!) {
  setPriceListItems(input: $input) { priceList { code } itemCount errors { field code message } }
}"""
ITEMS = """
query I($code: String!, $first: Int) {
  priceListItems(priceListCode: $code, first: $first) {
    edges { node { sku unit minQuantity price validFrom validTo } } pageInfo { hasNextPage }
  }
}"""
PRICE = """
query P($sku: String!, $party: String, $q: Decimal!, $unit: String, $on: Date, $purchase: Boolean) {
  price(sku: $sku, partyCode: $party, quantity: $q, unit: $unit, on: $on, purchase: $purchase) {
    price currency pricesIncludeTax source priceListCode minQuantity reason leadTimeDays supplierItemCode
  }
}"""
SET_SUPPLIER_PRICES = """
mutation S($input: SetSupplierPricesInput!) {
  setSupplierPrices(input: $input) { partyCode count errors { field code message } }
}"""
SUPPLIER_PRICES = """
query S($party: String!) {
  supplierPrices(partyCode: $party, first: 10) { edges { node { sku unit packQuantity price currency } } }
}"""


async def _list(graphql: GraphQLClient, admin: Actor, **fields: Any) -> str:
    code = unique("PL")
    body = {"code": code, "name": "Test", "validFrom": "2026-01-01", **fields}
    result = (await graphql.run(CREATE_LIST, {"input": body}, token=admin.token))["createPriceList"]
    assert result["errors"] == [], result
    return code


async def test_a_viewer_reads_prices_but_cannot_change_them(graphql: GraphQLClient, viewer: Actor) -> None:
    refused = (await graphql.post(CREATE_CURRENCY, {"input": {"code": "VWR", "name": "No"}}, viewer.token)).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "prices.manage" in refused["errors"][0]["message"]
    assert not await Currency.exists(code="VWR")

    data = await graphql.run(
        "{ companyCurrency { code minorUnits } currencies(first: 100) { code } }", token=viewer.token
    )
    assert data["companyCurrency"] == {"code": "EUR", "minorUnits": 2}
    assert {"EUR", "USD", "GBP", "JPY"} <= {c["code"] for c in data["currencies"]}


async def test_a_rate_set_over_the_api_is_the_one_in_force_from_its_day(graphql: GraphQLClient, admin: Actor) -> None:
    code = await new_currency(admin.user_id)
    for day, rate in (("2026-01-01", "0.9"), ("2026-03-01", "0.95")):
        result = await graphql.run(SET_RATE, {"input": {"currency": code.lower(), "validFrom": day, "rate": rate}},
                                   token=admin.token)  # fmt: skip
        assert result["setExchangeRate"]["errors"] == []
    assert result["setExchangeRate"]["exchangeRate"] == {"currency": code, "validFrom": "2026-03-01",
                                                         "rate": "0.95000000"}  # fmt: skip

    on_the_day = await graphql.run(RATE, {"c": code, "on": "2026-03-01"}, token=admin.token)
    assert on_the_day["exchangeRate"] == {"currency": code, "on": "2026-03-01", "rate": "0.95000000",
                                          "validFrom": "2026-03-01"}  # fmt: skip
    before = (await graphql.post(RATE, {"c": code, "on": "2025-12-31"}, admin.token)).json()
    assert before["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert before["errors"][0]["message"] == f"No exchange rate of {code} is in force on 2025-12-31."
    home = await graphql.run(RATE, {"c": "EUR", "on": "2026-01-01"}, token=admin.token)
    assert home["exchangeRate"]["rate"] == "1" and home["exchangeRate"]["validFrom"] is None


async def test_the_company_currency_cannot_become_an_unknown_one(graphql: GraphQLClient, admin: Actor) -> None:
    for bad, code in (("QZQ", "NOT_FOUND"), ("EURO", "INVALID"), ("\x00", "INVALID")):
        result = (await graphql.run(SET_COMPANY_CURRENCY, {"c": bad}, token=admin.token))["setCompanyCurrency"]
        assert result == {"currency": None, "errors": [{"field": ["input", "currency"], "code": code}]}
    assert (await graphql.run("{ companyCurrency { code } }", token=admin.token))["companyCurrency"]["code"] == "EUR"


async def test_a_category_tax_is_listed_with_its_rate(graphql: GraphQLClient, admin: Actor) -> None:
    tax = unique("RED")[:16]
    body = {"code": tax, "name": "Reduced", "percent": "10", "idempotencyKey": str(uuid.uuid4())}
    created = await graphql.run(CREATE_TAX, {"input": body}, token=admin.token)
    assert created["createTaxRate"] == {"taxRate": {"code": tax, "name": "Reduced", "percent": "10.0000",
                                                    "isDefault": False}, "errors": []}  # fmt: skip
    category = unique("Food")
    await new_product(admin.user_id, category=category)
    linked = await graphql.run(SET_CATEGORY_TAX, {"input": {"category": category, "taxCode": tax.lower()}},
                               token=admin.token)  # fmt: skip
    assert linked["setCategoryTax"] == {"category": category, "taxCode": tax, "errors": []}
    rates = {t["code"]: t for t in (await graphql.run(TAX_RATES, token=admin.token))["taxRates"]}
    assert rates[tax] == {"code": tax, "percent": "10.0000", "categories": [category]}


async def test_a_price_answer_says_which_list_and_break_applied(graphql: GraphQLClient, admin: Actor) -> None:
    sku, wholesale = await new_product(admin.user_id), await new_class()
    code = await _list(graphql, admin, name="Wholesale", customerClass=wholesale.lower(), validTo="2026-12-31",
                       priority=5)  # fmt: skip
    items = [{"sku": sku.lower(), "unit": "pcs", "price": "8"}, {"sku": sku, "unit": "pcs", "price": "7.5",
                                                                "minQuantity": "10"}]  # fmt: skip
    done = await graphql.run(SET_ITEMS, {"input": {"priceListCode": code, "items": items}}, token=admin.token)
    assert done["setPriceListItems"] == {"priceList": {"code": code}, "itemCount": 2, "errors": []}
    customer = await new_party("customer", customer_class=wholesale)

    answer = (await graphql.run(PRICE, {"sku": sku, "party": customer.code, "q": "12", "on": "2026-05-01"},
                                token=admin.token))["price"]  # fmt: skip
    assert answer == {
        "price": "7.5000", "currency": "EUR", "pricesIncludeTax": False, "source": "PRICE_LIST", "priceListCode": code,
        "minQuantity": "10.0000", "leadTimeDays": None, "supplierItemCode": None,
        "reason": f"Wholesale list {code} for customer class {wholesale}, break from 10 pcs, valid 2026-01-01 to "
                  "2026-12-31; prices exclude tax.",
    }  # fmt: skip
    none = (await graphql.run(PRICE, {"sku": sku, "q": "1", "on": "2026-05-01"}, token=admin.token))["price"]
    assert (none["price"], none["source"]) == (None, "NONE")
    listed = (await graphql.run(ITEMS, {"code": code, "first": 1}, token=admin.token))["priceListItems"]
    assert listed["edges"] == [{"node": {"sku": sku, "unit": "pcs", "minQuantity": "0.0000", "price": "8.0000",
                                         "validFrom": None, "validTo": None}}]  # fmt: skip
    assert listed["pageInfo"]["hasNextPage"] is True


async def test_a_suppliers_prices_over_the_api(graphql: GraphQLClient, admin: Actor) -> None:
    sku, supplier = await new_product(admin.user_id), await new_party("supplier", lead_time_days=3)
    prices = [{"sku": sku, "unit": "case", "price": "60", "packQuantity": "12", "supplierItemCode": "AB-12"}]
    done = await graphql.run(SET_SUPPLIER_PRICES, {"input": {"partyCode": supplier.code.lower(), "prices": prices}},
                             token=admin.token)  # fmt: skip
    assert done["setSupplierPrices"] == {"partyCode": supplier.code, "count": 1, "errors": []}
    listed = await graphql.run(SUPPLIER_PRICES, {"party": supplier.code}, token=admin.token)
    assert listed["supplierPrices"]["edges"] == [{"node": {"sku": sku, "unit": "case", "packQuantity": "12.0000",
                                                           "price": "60.0000", "currency": "EUR"}}]  # fmt: skip
    answer = (await graphql.run(PRICE, {"sku": sku, "party": supplier.code, "q": "1", "unit": "case"},
                                token=admin.token))["price"]  # fmt: skip
    assert (answer["source"], answer["price"], answer["leadTimeDays"], answer["supplierItemCode"]) == (
        "SUPPLIER_PRICE", "60.0000", 3, "AB-12")  # fmt: skip


HUGE = "A" * 500_000  # the request body is capped at 1 MB; the service tests send 10 MB


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"code": "P\x00L"}, ["input", "code"], "INVALID"),
        ({"code": HUGE}, ["input", "code"], "INVALID"),
        ({"name": "\u200b"}, ["input", "name"], "INVALID"),
        ({"currency": "€€€"}, ["input", "currency"], "INVALID"),
        ({"currency": "QZQ"}, ["input", "currency"], "NOT_FOUND"),
        ({"customerClass": HUGE}, ["input", "customerClass"], "INVALID"),
        ({"validTo": "2025-12-31"}, ["input", "validTo"], "INVALID"),
        ({"priority": -1}, ["input", "priority"], "INVALID"),
    ],
)
async def test_a_bad_price_list_is_refused_and_nothing_written(
    graphql: GraphQLClient, admin: Actor, change: dict[str, Any], field: list[str], code: str
) -> None:
    before = await PriceList.all().count()
    body = {"code": unique("PL"), "name": "Bad", "validFrom": "2026-01-01", **change}
    result = (await graphql.run(CREATE_LIST, {"input": body}, token=admin.token))["createPriceList"]
    assert result["priceList"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, code)]
    assert await PriceList.all().count() == before


@pytest.mark.parametrize(
    ("item", "field", "code"),
    [
        ({"price": "-1"}, "price", "INVALID"),
        ({"price": "1e5"}, "price", "INVALID"),
        ({"price": "0.00001"}, "price", "INVALID"),
        ({"price": "9" * 100}, "price", "INVALID"),
        ({"price": 12}, "price", "INVALID"),  # a JSON number, not the documented string
        ({"minQuantity": "-0"}, "minQuantity", "INVALID"),
        ({"unit": ""}, "unit", "INVALID"),
        ({"unit": HUGE}, "unit", "INVALID"),
        ({"sku": "NO-SUCH-SKU-AT-ALL"}, "sku", "NOT_FOUND"),
        ({"sku": "MUG\u202eWHITE"}, "sku", "INVALID"),
        ({"validFrom": "2026-02-01", "validTo": "2026-01-01"}, "validTo", "INVALID"),
    ],
)
async def test_a_bad_item_is_refused_at_its_index_and_the_list_keeps_its_items(
    graphql: GraphQLClient, admin: Actor, item: dict[str, Any], field: str, code: str
) -> None:
    sku = await new_product(admin.user_id)
    price_list = await _list(graphql, admin)
    good = {"sku": sku, "unit": "pcs", "price": "5"}
    await graphql.run(SET_ITEMS, {"input": {"priceListCode": price_list, "items": [good]}}, token=admin.token)

    items = [{"sku": sku, "unit": "kg", "price": "1"}, {**good, **item}]
    result = (await graphql.run(SET_ITEMS, {"input": {"priceListCode": price_list, "items": items}},
                                token=admin.token))["setPriceListItems"]  # fmt: skip
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", "items", "1", field], code)]
    assert await PriceListItem.filter(price_list__code=price_list).count() == 1


async def test_more_than_a_thousand_items_are_refused(graphql: GraphQLClient, admin: Actor) -> None:
    price_list = await _list(graphql, admin)
    items = [{"sku": "X", "unit": "pcs", "price": "1"}] * 1001
    result = (await graphql.run(SET_ITEMS, {"input": {"priceListCode": price_list, "items": items}},
                                token=admin.token))["setPriceListItems"]  # fmt: skip
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", "items"], "INVALID")]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"sku": "\x00", "q": "1"}, "NOT_FOUND"),
        ({"sku": HUGE, "q": "1"}, "NOT_FOUND"),
        ({"sku": "{sku}", "party": HUGE, "q": "1"}, "NOT_FOUND"),
        ({"sku": "{sku}", "q": "-1"}, "INVALID"),
        ({"sku": "{sku}", "q": "0"}, "INVALID"),
        ({"sku": "{sku}", "q": "1" * 50}, "INVALID"),
        ({"sku": "{sku}", "q": "1", "unit": "\x00"}, "INVALID"),
    ],
)
async def test_a_price_question_no_answer_can_fit_is_refused(
    graphql: GraphQLClient, admin: Actor, variables: dict[str, Any], code: str
) -> None:
    sku = await new_product(admin.user_id)
    variables = {k: v.replace("{sku}", sku) if isinstance(v, str) and len(v) < 100 else v for k, v in variables.items()}
    body = (await graphql.post(PRICE, variables, admin.token)).json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_lookups_with_strings_no_row_can_hold_find_nothing(graphql: GraphQLClient, admin: Actor) -> None:
    query = """
    query Q($s: String!) {
      priceList(code: $s) { code }
      priceLists(filter: {currency: $s, customerClass: $s}, first: 5) { edges { node { code } } }
      priceListItems(priceListCode: $s, sku: $s, first: 5) { edges { node { sku } } }
      supplierPrices(partyCode: $s, sku: $s) { edges { node { sku } } }
      exchangeRates(currency: $s, first: 5) { edges { node { rate } } }
    }"""
    for hostile in ("\x00", HUGE, "\u202e", "  "):
        data = await graphql.run(query, {"s": hostile}, token=admin.token)
        assert data == {"priceList": None, "priceLists": {"edges": []}, "priceListItems": {"edges": []},
                        "supplierPrices": {"edges": []}, "exchangeRates": {"edges": []}}  # fmt: skip


async def test_bad_rates_and_taxes_write_nothing(graphql: GraphQLClient, admin: Actor) -> None:
    code = await new_currency(admin.user_id)
    for rate in ("0", "-1", "1.123456789", "abc", "1" * 30):
        result = (await graphql.run(SET_RATE, {"input": {"currency": code, "validFrom": "2026-01-01", "rate": rate}},
                                    token=admin.token))["setExchangeRate"]  # fmt: skip
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", "rate"], "INVALID")]
    assert not await ExchangeRate.exists(currency__code=code)
    bad_date = await graphql.post(SET_RATE, {"input": {"currency": code, "validFrom": "2026-02-30", "rate": "1"}},
                                  admin.token)  # fmt: skip
    assert bad_date.status_code == 200 and "errors" in bad_date.json()  # refused by the Date scalar
    for percent in ("101", "-5", "10.12345", "", "NaN"):
        tax = unique("T")[:16]
        result = (await graphql.run(CREATE_TAX, {"input": {"code": tax, "name": "T", "percent": percent}},
                                    token=admin.token))["createTaxRate"]  # fmt: skip
        assert [(e["field"], e["code"]) for e in result["errors"]] == [(["input", "percent"], "INVALID")]
        assert not await TaxRate.exists(code=tax)
