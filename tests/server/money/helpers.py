"""Fresh rows for money tests, so tests sharing the session's database do not see each other's prices."""

from __future__ import annotations

import random
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.catalog.service import ProductDetails, create_product
from server.money import rates, service
from server.money.models import Currency
from server.partners.models import CustomerClass, Party
from tests.conftest import unique


async def new_currency(actor_id: int, minor_units: int = 2) -> str:
    """A currency no other test uses. Its code starts with J: the codes tests take for unknown ones (QZQ, VWR,
    XYZ ...) never do, so a random one cannot become them (it did once, and the company currency changed)."""
    while True:
        code = "J" + "".join(random.choices(string.ascii_uppercase, k=2))
        if not await Currency.exists(code=code):
            break
    await rates.create_currency(code, f"Test {code}", minor_units, actor_id=actor_id)
    return code


async def new_product(actor_id: int, category: str | None = None) -> str:
    sku = unique("SKU")
    await create_product(sku, ProductDetails(name="Priced thing", category=category), actor_id=actor_id)
    return sku


async def new_class() -> str:
    code = unique("CLASS")
    await CustomerClass.create(code=code, name=f"Class {code}")
    return code


async def new_party(
    *roles: str, customer_class: str | None = None, currency: str | None = None, tax_exempt: bool = False,
    lead_time_days: int = 0,
) -> Party:  # fmt: skip
    found = await CustomerClass.get(code=customer_class) if customer_class else None
    return await Party.create(
        code=unique("P"), name="Test party", roles=list(roles or ["customer"]), customer_class=found,
        currency=currency, tax_exempt=tax_exempt, lead_time_days=lead_time_days,
    )  # fmt: skip


@asynccontextmanager
async def default_tax(code: str | None, actor_id: int) -> AsyncIterator[None]:
    """The company's default tax set to ``code`` for the block, then put back."""
    from server.money.models import TaxRate

    before = await service.default_tax_id()
    await service.set_default_tax(code, actor_id=actor_id)
    try:
        yield
    finally:
        restored = await TaxRate.get(id=before) if before else None
        await service.set_default_tax(restored.code if restored else None, actor_id=actor_id)
