"""Which price applies to a line, and why: price lists, quantity breaks, validity, classes, supplier prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from server.catalog.models import Product
from server.errors import Invalid, NotFound
from server.money import prices
from server.money.models import PriceListItem, SupplierPrice
from server.money.pricelists import (
    MAX_ITEMS,
    ItemInput,
    PriceListDetails,
    SupplierPriceInput,
    create_price_list,
    set_price_list_items,
    set_supplier_prices,
    update_price_list,
)
from tests.conftest import Actor, unique
from tests.server.money.helpers import new_class, new_currency, new_party, new_product

D = Decimal
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


async def price_list(
    actor: Actor, items: list[ItemInput], *, name: str = "Test", customer_class: str | None = None,
    currency: str | None = None, include_tax: bool = False, priority: int = 0,
    valid: tuple[date, date | None] = YEAR,
) -> str:  # fmt: skip
    code = unique("PL")
    details = PriceListDetails(name=name, currency=currency, customer_class=customer_class,
                               prices_include_tax=include_tax, valid_from=valid[0], valid_to=valid[1],
                               priority=priority)  # fmt: skip
    await create_price_list(code, details, actor_id=actor.user_id)
    await set_price_list_items(code, items, actor_id=actor.user_id)
    return code


async def ask(
    sku: str, party_id: int | None, quantity: str, on: date, unit: str = "pcs", **kw: object
) -> prices.PriceAnswer:
    product = await Product.get(sku=sku)
    return await prices.price(product.id, party_id, D(quantity), unit, on, **kw)  # type: ignore[arg-type]


async def test_the_highest_break_at_or_below_the_quantity_applies_and_says_so(admin: Actor) -> None:
    sku, wholesale = await new_product(admin.user_id), await new_class()
    code = await price_list(admin, [ItemInput(sku, "pcs", "8.00"), ItemInput(sku, "pcs", "7.50", "10"),
                                    ItemInput(sku, "pcs", "7.00", "50")],
                            name="Wholesale", customer_class=wholesale)  # fmt: skip
    bistro = await new_party("customer", customer_class=wholesale)
    on = date(2026, 3, 1)

    assert [(await ask(sku, bistro.id, q, on)).price for q in ("1", "9.9999", "10", "49", "50", "1000")] == [
        D("8.0000"), D("8.0000"), D("7.5000"), D("7.5000"), D("7.0000"), D("7.0000")]  # fmt: skip
    answer = await ask(sku, bistro.id, "12", on)
    assert answer == prices.PriceAnswer(
        price=D("7.5"), currency="EUR", prices_include_tax=False, source="price_list", price_list_code=code,
        min_quantity=D(10), valid_from=YEAR[0], valid_to=YEAR[1],
        reason=f"Wholesale list {code} for customer class {wholesale}, break from 10 pcs, valid 2026-01-01 to "
               "2026-12-31; prices exclude tax.",
    )  # fmt: skip


async def test_a_list_for_the_customers_class_comes_before_one_for_everyone(admin: Actor) -> None:
    sku, vip = await new_product(admin.user_id), await new_class()
    everyone = await price_list(admin, [ItemInput(sku, "pcs", "10.00"), ItemInput(sku, "case", "110.00")],
                                name="Retail", include_tax=True, priority=100)  # fmt: skip
    for_vip = await price_list(admin, [ItemInput(sku, "pcs", "9.00")], customer_class=vip, priority=0)
    vip_customer, walk_in = await new_party("customer", customer_class=vip), await new_party("customer")
    on = date(2026, 6, 1)

    assert (await ask(sku, vip_customer.id, "1", on)).price_list_code == for_vip
    assert (await ask(sku, walk_in.id, "1", on)).price_list_code == everyone
    assert (await ask(sku, None, "1", on)).price_list_code == everyone
    by_case = await ask(sku, vip_customer.id, "1", on, unit="case")  # the class list has no case price
    assert (by_case.price_list_code, by_case.price, by_case.prices_include_tax) == (everyone, D(110), True)
    assert by_case.reason == f"Retail list {everyone} for everyone, any quantity, valid 2026-01-01 to 2026-12-31;" \
                             " prices include tax."  # fmt: skip


async def test_among_lists_for_the_same_customers_the_higher_priority_wins(admin: Actor) -> None:
    sku, group = await new_product(admin.user_id), await new_class()
    await price_list(admin, [ItemInput(sku, "pcs", "5.00")], customer_class=group, priority=1)
    preferred = await price_list(admin, [ItemInput(sku, "pcs", "6.00")], customer_class=group, priority=2)
    customer = await new_party("customer", customer_class=group)

    answer = await ask(sku, customer.id, "1", date(2026, 2, 1))
    assert (answer.price_list_code, answer.price) == (preferred, D(6))


async def test_only_lists_and_items_valid_on_the_day_count(admin: Actor) -> None:
    sku, group = await new_product(admin.user_id), await new_class()
    lasting = await price_list(admin, [ItemInput(sku, "pcs", "8.00")], customer_class=group,
                               valid=(date(2026, 1, 1), None))  # fmt: skip
    june = [ItemInput(sku, "pcs", "5.00", "0", date(2026, 6, 1), date(2026, 6, 30))]
    june_offer = await price_list(admin, june, customer_class=group, priority=9, valid=YEAR)
    customer = await new_party("customer", customer_class=group)

    assert (await ask(sku, customer.id, "1", date(2026, 5, 31))).price_list_code == lasting
    in_june = await ask(sku, customer.id, "1", date(2026, 6, 1))
    assert (in_june.price_list_code, in_june.valid_from, in_june.valid_to) == (june_offer, date(2026, 6, 1),
                                                                               date(2026, 6, 30))  # fmt: skip
    assert "valid 2026-06-01 to 2026-06-30" in in_june.reason
    assert (await ask(sku, customer.id, "1", date(2026, 7, 1))).price_list_code == lasting
    assert "valid from 2026-01-01" in (await ask(sku, customer.id, "1", date(2030, 1, 1))).reason
    before = await ask(sku, customer.id, "1", date(2025, 12, 31))
    assert (before.source, before.price) == ("none", D(0))
    assert before.reason == (f"No price list in EUR for customer class {group} or everyone valid on 2025-12-31 has a"
                             f" price for {sku} per pcs at a quantity of 1.")  # fmt: skip


async def test_prices_are_in_the_partys_currency_or_the_one_asked(admin: Actor) -> None:
    sku, other = await new_product(admin.user_id), await new_currency(admin.user_id)
    in_euros = await price_list(admin, [ItemInput(sku, "pcs", "10")])
    in_other = await price_list(admin, [ItemInput(sku, "pcs", "12")], currency=other)
    abroad, home = await new_party("customer", currency=other), await new_party("customer")
    on = date(2026, 4, 1)

    assert ((await ask(sku, abroad.id, "1", on)).price_list_code, (await ask(sku, abroad.id, "1", on)).currency) == (
        in_other, other)  # fmt: skip
    assert (await ask(sku, home.id, "1", on)).price_list_code == in_euros
    assert (await ask(sku, home.id, "1", on, currency=other.lower())).price_list_code == in_other
    with pytest.raises(NotFound):
        await ask(sku, home.id, "1", on, currency="QZX")


async def test_a_supplier_is_priced_from_its_supplier_prices(admin: Actor) -> None:
    sku = await new_product(admin.user_id)
    supplier = await new_party("supplier", lead_time_days=7)
    await set_supplier_prices(supplier.code, [
        SupplierPriceInput(sku, "pcs", "5.50", supplier_item_code="nw-1"),
        SupplierPriceInput(sku, "pcs", "5.00", min_quantity="100", supplier_item_code="nw-1"),
        SupplierPriceInput(sku, "case", "60", pack_quantity="12", lead_time_days=5, supplier_item_code="nw-12",
                           valid_from=date(2026, 1, 1)),
        SupplierPriceInput(sku, "pcs", "4.80", currency="GBP"),
    ], actor_id=admin.user_id)  # fmt: skip
    on = date(2026, 3, 1)

    small = await ask(sku, supplier.id, "10", on)
    assert (small.source, small.price, small.currency, small.lead_time_days) == ("supplier_price", D("5.5"), "EUR", 7)
    assert (await ask(sku, supplier.id, "150", on)).price == D(5)
    assert (await ask(sku, supplier.id, "1", on, currency="GBP")).price == D("4.8")
    case = await ask(sku, supplier.id, "2", on, unit="case")
    assert (case.price, case.pack_quantity, case.lead_time_days, case.supplier_item_code) == (D(60), D(12), 5, "NW-12")
    assert case.reason == (f"Supplier {supplier.code} price, their item NW-12, per case (12 pcs each), any quantity, "
                           "valid from 2026-01-01, lead time 5 days.")  # fmt: skip
    assert (await ask(sku, supplier.id, "1", date(2025, 1, 1), unit="case")).source == "none"


async def test_a_party_that_both_buys_and_sells_is_priced_by_the_side_asked(admin: Actor) -> None:
    sku = await new_product(admin.user_id)
    both = await new_party("supplier", "customer")
    await price_list(admin, [ItemInput(sku, "pcs", "10")])
    await set_supplier_prices(both.code, [SupplierPriceInput(sku, "pcs", "6")], actor_id=admin.user_id)
    on = date(2026, 8, 1)

    assert (await ask(sku, both.id, "1", on)).source == "price_list"
    assert (await ask(sku, both.id, "1", on, purchase=True)).price == D(6)
    customer = await new_party("customer")
    not_a_supplier = await ask(sku, customer.id, "1", on, purchase=True)
    assert not_a_supplier.reason == f"{customer.code} is not a supplier: it has no supplier prices."


async def test_replacing_items_refuses_two_prices_for_the_same_thing_and_keeps_the_old_ones(admin: Actor) -> None:
    sku = await new_product(admin.user_id)
    code = await price_list(admin, [ItemInput(sku, "pcs", "10")])
    bad_batches = [
        ([ItemInput(sku, "pcs", "9"), ItemInput(sku, "pcs", "8", "0", date(2026, 2, 1), date(2026, 2, 28))],
         ("items", 1, "minQuantity"), Invalid),
        ([ItemInput(sku, "pcs", "9"), ItemInput("NO-SUCH-" + sku, "pcs", "8")], ("items", 1, "sku"), NotFound),
        ([ItemInput(sku, "pcs", "9.12345")], ("items", 0, "price"), Invalid),
        ([ItemInput(sku, "pcs", "-9")], ("items", 0, "price"), Invalid),
        ([ItemInput(sku, "pcs", "9", "-1")], ("items", 0, "minQuantity"), Invalid),
        ([ItemInput(sku, "p\x00cs", "9")], ("items", 0, "unit"), Invalid),
        ([ItemInput(sku, "pcs", "9", "0", date(2026, 3, 1), date(2026, 2, 1))], ("items", 0, "validTo"), Invalid),
        ([ItemInput(sku, "pcs", "1")] * (MAX_ITEMS + 1), "items", Invalid),
    ]  # fmt: skip
    for items, field, error in bad_batches:
        with pytest.raises(error) as refused:
            await set_price_list_items(code, items, actor_id=admin.user_id)
        assert refused.value.field == field
    assert [i.price for i in await PriceListItem.filter(price_list__code=code)] == [D(10)]

    # the same product, unit and break over periods that do not overlap is fine
    await set_price_list_items(code, [ItemInput(sku, "pcs", "9", "0", date(2026, 1, 1), date(2026, 1, 31)),
                                      ItemInput(sku, "pcs", "8", "0", date(2026, 2, 1), None)],
                               actor_id=admin.user_id)  # fmt: skip
    assert (await ask(sku, None, "1", date(2026, 2, 1))).price == D(8)


async def test_price_lists_check_their_facts(admin: Actor) -> None:
    for details, field, error in [
        (PriceListDetails(name="X", valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1)), "validTo", Invalid),
        (PriceListDetails(name="X", valid_from=date(2026, 1, 1), customer_class="NOPE-" + unique("C")), "customerClass",
         NotFound),
        (PriceListDetails(name="X", valid_from=date(2026, 1, 1), currency="QZQ"), "currency", NotFound),
        (PriceListDetails(name="X", valid_from=date(2026, 1, 1), priority=1001), "priority", Invalid),
        (PriceListDetails(name="\u202e", valid_from=date(2026, 1, 1)), "name", Invalid),
        (PriceListDetails(name="X"), "validFrom", Invalid),
    ]:  # fmt: skip
        with pytest.raises(error) as refused:
            await create_price_list(unique("PL"), details, actor_id=admin.user_id)
        assert refused.value.field == field
    code = unique("PL")
    ending = PriceListDetails(name="Ending", valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30))
    await create_price_list(code, ending, actor_id=admin.user_id)
    with pytest.raises(Invalid):  # ends before it starts, given the start it has
        await update_price_list(code, PriceListDetails(valid_to=date(2025, 1, 1)), actor_id=admin.user_id)
    reopened = await update_price_list(code, PriceListDetails(clear_valid_to=True, priority=3), actor_id=admin.user_id)
    assert (reopened.valid_to, reopened.priority, reopened.name) == (None, 3, "Ending")


async def test_supplier_prices_are_a_suppliers_and_can_be_replaced_per_product(admin: Actor) -> None:
    first, second = await new_product(admin.user_id), await new_product(admin.user_id)
    supplier, customer = await new_party("supplier"), await new_party("customer")
    with pytest.raises(Invalid, match="not a supplier"):
        await set_supplier_prices(customer.code, [SupplierPriceInput(first, "pcs", "1")], actor_id=admin.user_id)
    both = [SupplierPriceInput(first, "pcs", "1"), SupplierPriceInput(second, "pcs", "2")]
    await set_supplier_prices(supplier.code, both, actor_id=admin.user_id)

    await set_supplier_prices(
        supplier.code, [SupplierPriceInput(first, "pcs", "1.5")], sku=first, actor_id=admin.user_id
    )
    rows = await SupplierPrice.filter(supplier_id=supplier.id).order_by("price").values_list("price", flat=True)
    assert [D(r) for r in rows] == [D("1.5"), D(2)]
    with pytest.raises(Invalid) as outside:
        await set_supplier_prices(supplier.code, [SupplierPriceInput(second, "pcs", "3")], sku=first,
                                  actor_id=admin.user_id)  # fmt: skip
    assert outside.value.field == ("prices", 0, "sku")
    for row, field in [
        (SupplierPriceInput(first, "pcs", "1", pack_quantity="0"), "packQuantity"),
        (SupplierPriceInput(first, "pcs", "1", lead_time_days=-1), "leadTimeDays"),
        (SupplierPriceInput(first, "pcs", "1", currency="E"), "currency"),
        (SupplierPriceInput(first, "pcs", "1", supplier_item_code="has space"), "supplierItemCode"),
    ]:
        with pytest.raises(Invalid) as refused:
            await set_supplier_prices(supplier.code, [row], actor_id=admin.user_id)
        assert refused.value.field == ("prices", 0, field)
