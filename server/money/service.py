"""Taxes: rates, the tax of each product category, the company's default tax, and which tax a line takes.

What the document kernel calls lives here or is re-exported here: ``company_currency``,
``currency_places``, ``require_currency``, ``rate_on`` (``server.money.rates``), ``tax_for``,
``taxes_for``, and ``price`` (``server.money.prices``); the arithmetic of totals is
``server.money.taxes.totals``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.models import CATEGORY_NAME, Category, Product
from server.commands import Audited, Command, Effect, Write, execute, row_effect
from server.errors import AlreadyExists, NotFound
from server.money import amounts
from server.money.models import COMPANY_ID, TAX_CODE, TAX_NAME, CategoryTax, Company, TaxRate
from server.money.rates import company_currency, currency_places, ensure_company, rate_on, require_currency
from server.partners.models import Party
from server.text import shown

__all__ = [
    "TaxChoice",
    "company_currency",
    "create_tax_rate",
    "currency_places",
    "ensure_company",
    "rate_on",
    "require_currency",
    "set_category_tax",
    "set_default_tax",
    "tax_for",
    "taxes_for",
]

NO_TAX = Decimal(0)


@dataclass(frozen=True)
class TaxChoice:
    """The tax a line takes: ``code`` None and 0 % when none applies (an exempt party, no tax set up)."""

    code: str | None
    percent: Decimal


async def taxes_for(product_ids: list[int], party_id: int | None) -> dict[int, TaxChoice]:
    """The tax of each product sold to (or bought from) ``party_id``: its category's, else the company's
    default; none at all for a tax-exempt party. Unknown products are NotFound (field ``product``)."""
    wanted = set(product_ids)
    products = {p.id: p for p in await Product.filter(id__in=wanted)} if wanted else {}
    if missing := wanted - products.keys():
        raise NotFound(f"There is no product with id {min(missing)}.", field="product")
    if party_id is not None:
        party = await Party.get_or_none(id=party_id)
        if party is None:
            raise NotFound("There is no such party.", field="party")
        if party.tax_exempt:
            return {product_id: TaxChoice(None, NO_TAX) for product_id in wanted}
    category_ids = {p.category_id for p in products.values() if p.category_id is not None}  # type: ignore[attr-defined]
    links = await CategoryTax.filter(category_id__in=category_ids).select_related("tax") if category_ids else []
    by_category = {link.category_id: link.tax for link in links}  # type: ignore[attr-defined]
    company = await Company.get_or_none(id=COMPANY_ID).select_related("default_tax")
    default = company.default_tax if company is not None else None
    choices: dict[int, TaxChoice] = {}
    for product in products.values():
        tax = by_category.get(product.category_id, default)  # type: ignore[attr-defined]
        choices[product.id] = TaxChoice(tax.code, Decimal(tax.percent)) if tax else TaxChoice(None, NO_TAX)
    return choices


async def tax_for(product_id: int, party_id: int | None) -> TaxChoice:
    """The tax of one product for ``party_id`` (see ``taxes_for``)."""
    return (await taxes_for([product_id], party_id))[product_id]


def tax_rates() -> QuerySet[TaxRate]:
    return TaxRate.all().order_by("code")


async def default_tax_id() -> int | None:
    company = await Company.get_or_none(id=COMPANY_ID)
    return company.default_tax_id if company is not None else None  # type: ignore[attr-defined]


async def categories_by_tax(tax_ids: list[int]) -> dict[int, list[str]]:
    """The names of the categories taxed at each rate, in alphabetical order (for dataloaders)."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for link in await CategoryTax.filter(tax_id__in=tax_ids).select_related("category").order_by("category__name"):
        grouped[link.tax_id].append(link.category.name)  # type: ignore[attr-defined]
    return grouped


@dataclass(frozen=True)
class CreateTaxRate(Command):
    operation = "tax_rate.create"
    code: str
    name: str
    percent: Decimal


@dataclass(frozen=True)
class SetCategoryTax(Command):
    operation = "category_tax.set"
    category: str
    tax: str | None


@dataclass(frozen=True)
class SetDefaultTax(Command):
    operation = "company.default_tax"
    tax: str | None


async def create_tax_rate(
    code: str, name: str, percent: Decimal | str, *, actor_id: int | None, idempotency_key: str | None = None
) -> TaxRate:
    """A tax rate; a rate that changes (VAT 19 % to 16 %) is a new rate the categories are moved to, so
    what documents stored keeps its meaning."""
    code, name = TAX_CODE.clean(code, "code"), TAX_NAME.clean(name, "name")
    value = amounts.percent(percent, "percent")

    async def run(write: Write) -> TaxRate:
        if await TaxRate.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The tax {code} exists.", field="code")
        return await TaxRate.create(code=code, name=name, percent=value, using_db=write.conn)

    effect = row_effect(run, TaxRate, "tax_rate")
    try:
        return (await execute(CreateTaxRate(code, name, value), effect, actor_id=actor_id,
                              idempotency_key=idempotency_key)).result  # fmt: skip
    except IntegrityError:
        raise AlreadyExists(f"The tax {code} exists.", field="code") from None


async def _tax(conn: BaseDBAsyncClient, code: str | None) -> TaxRate | None:
    if code is None:
        return None
    key = TAX_CODE.key(code)
    tax = await TaxRate.filter(code=key).using_db(conn).first() if key else None
    if tax is None:
        raise NotFound(f"There is no tax {shown(code)}.", field="taxCode")
    return tax


async def set_category_tax(category: str, tax_code: str | None, *, actor_id: int | None) -> Category:
    """Tax every product of ``category`` at ``tax_code``; None: at the company's default tax."""
    name = CATEGORY_NAME.key(category)
    command = SetCategoryTax(name or "", TAX_CODE.key(tax_code) if tax_code is not None else None)

    async def run(write: Write) -> Category:
        found = await Category.filter(name=name).using_db(write.conn).first() if name else None
        if found is None:
            raise NotFound(f"There is no category {shown(category)}.", field="category")
        tax = await _tax(write.conn, tax_code)
        await sql.lock_name(write.conn, f"category_tax:{found.id}")
        link = await CategoryTax.filter(category_id=found.id).using_db(write.conn).first()
        if tax is None and link is not None:
            await link.delete(using_db=write.conn)
        elif tax is not None and link is None:
            await CategoryTax.create(category_id=found.id, tax_id=tax.id, using_db=write.conn)
        elif tax is not None and link is not None:
            link.tax_id = tax.id  # type: ignore[attr-defined]
            await link.save(using_db=write.conn, update_fields=["tax_id"])
        return found

    return (await execute(command, Effect(run, lambda c: Audited("category", c.id)), actor_id=actor_id)).result


async def set_default_tax(tax_code: str | None, *, actor_id: int | None) -> TaxRate | None:
    """The tax of products whose category has none of its own; None: no tax."""
    command = SetDefaultTax(TAX_CODE.key(tax_code) if tax_code is not None else None)

    async def run(write: Write) -> TaxRate | None:
        tax = await _tax(write.conn, tax_code)
        updated = (
            await Company.filter(id=COMPANY_ID).using_db(write.conn).update(default_tax_id=tax.id if tax else None)
        )
        if not updated:
            raise NotFound("The company is not set up yet (storekeeper migrate).")
        return tax

    return (await execute(command, Effect(run, lambda _: Audited("company", COMPANY_ID)), actor_id=actor_id)).result
