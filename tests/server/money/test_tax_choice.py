"""Which tax a line takes: its category's, else the company's default, none for an exempt party."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.catalog.models import Product
from server.errors import AlreadyExists, Invalid, NotFound
from server.money import service
from server.money.models import CategoryTax, TaxRate
from tests.conftest import Actor, unique
from tests.server.money.helpers import default_tax, new_party, new_product


async def _tax(code: str, percent: str, actor: Actor) -> str:
    await service.create_tax_rate(code, f"Tax {percent} %", percent, actor_id=actor.user_id)
    return code


async def test_a_product_takes_its_categorys_tax_else_the_default(admin: Actor) -> None:
    standard = await _tax(unique("STD")[:16], "21", admin)
    reduced = await _tax(unique("RED")[:16], "10", admin)
    category = unique("Food")
    food = await Product.get(sku=await new_product(admin.user_id, category=category))
    other = await Product.get(sku=await new_product(admin.user_id))
    await service.set_category_tax(category, reduced, actor_id=admin.user_id)
    customer = await new_party("customer")

    async with default_tax(standard, admin.user_id):
        assert await service.tax_for(food.id, customer.id) == service.TaxChoice(reduced, Decimal("10.0000"))
        assert await service.tax_for(other.id, customer.id) == service.TaxChoice(standard, Decimal("21.0000"))
        assert await service.tax_for(other.id, None) == service.TaxChoice(standard, Decimal("21.0000"))
        both = await service.taxes_for([food.id, other.id], customer.id)
        assert both == {
            food.id: service.TaxChoice(reduced, Decimal(10)),
            other.id: service.TaxChoice(standard, Decimal(21)),
        }

    async with default_tax(None, admin.user_id):
        assert await service.tax_for(other.id, customer.id) == service.TaxChoice(None, Decimal(0))

    await service.set_category_tax(category, None, actor_id=admin.user_id)  # back to the default
    assert not await CategoryTax.exists(category__name=category)


async def test_a_tax_exempt_party_pays_no_tax(admin: Actor) -> None:
    tax = await _tax(unique("VAT")[:16], "21", admin)
    product = await Product.get(sku=await new_product(admin.user_id))
    exempt = await new_party("customer", tax_exempt=True)
    async with default_tax(tax, admin.user_id):
        assert await service.tax_for(product.id, exempt.id) == service.TaxChoice(None, Decimal(0))


async def test_asking_for_an_unknown_product_or_party_is_not_found(admin: Actor) -> None:
    product = await Product.get(sku=await new_product(admin.user_id))
    with pytest.raises(NotFound) as no_product:
        await service.tax_for(2**31 - 1, None)
    assert no_product.value.field == "product"
    with pytest.raises(NotFound) as no_party:
        await service.tax_for(product.id, 2**31 - 1)
    assert no_party.value.field == "party"


@pytest.mark.parametrize(
    ("percent", "message"),
    [("100.5", "at most 100"), ("-1", "negative"), ("21.00001", "4 decimal places"), ("abc", "not a percent"),
     (21, "string of digits")],
)  # fmt: skip
async def test_a_tax_percent_is_0_to_100_with_4_places(admin: Actor, percent: object, message: str) -> None:
    code = unique("T")[:16]
    with pytest.raises(Invalid, match=message):
        await service.create_tax_rate(code, "Bad", percent, actor_id=admin.user_id)  # type: ignore[arg-type]
    assert not await TaxRate.exists(code=code)


async def test_tax_codes_are_unique_and_categories_must_exist(admin: Actor) -> None:
    code = await _tax(unique("DUP")[:16], "5.5", admin)
    with pytest.raises(AlreadyExists):
        await service.create_tax_rate(code.lower(), "Again", "5.5", actor_id=admin.user_id)
    with pytest.raises(NotFound) as no_category:
        await service.set_category_tax("No such category " + unique("X"), code, actor_id=admin.user_id)
    assert no_category.value.field == "category"
    with pytest.raises(NotFound) as no_tax:
        await service.set_default_tax("NOPE-" + unique("X")[:8], actor_id=admin.user_id)
    assert no_tax.value.field == "taxCode"
