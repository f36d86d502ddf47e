"""Sales price lists and supplier prices: writing them, and reading them back for the graph.

A list's items are replaced as a whole (``set_price_list_items``), as a supplier's prices are
(``set_supplier_prices``): what a person or an import sends is the list as it now stands. Two
rows that would price the same thing on the same day (same product, unit and quantity break,
overlapping periods; for suppliers the same currency too) are refused, so a price question has
one answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from server import sql
from server.catalog.models import SKU, Product
from server.commands import Audited, Command, Effect, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.money import amounts
from server.money.models import (
    CURRENCY_CODE,
    PRICE_LIST_CODE,
    PRICE_LIST_NAME,
    SUPPLIER_ITEM_CODE,
    UNIT,
    Currency,
    PriceList,
    PriceListItem,
    SupplierPrice,
)
from server.money.rates import company_currency, currency_code, require_currency
from server.partners.models import CustomerClass, Party, PartyRole
from server.text import Code, column_length, shown

MAX_ITEMS = 1000  # rows per call of set_price_list_items / set_supplier_prices
CLASS_CODE = Code("customer class code", column_length(CustomerClass, "code"))
PARTY_CODE = Code("party code", column_length(Party, "code"))


@dataclass
class PriceListDetails:
    """The editable facts of a price list; ``None`` leaves a fact as it is on update.

    ``customer_class``: a class code, or "" for a list that applies to everyone.
    ``valid_to``: use ``clear_valid_to`` to make an ending list open again.
    """

    name: str | None = None
    currency: str | None = None
    customer_class: str | None = None
    prices_include_tax: bool | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    clear_valid_to: bool = False
    priority: int | None = None


@dataclass(frozen=True)
class ItemInput:
    sku: str
    unit: str
    price: Any  # a money string, checked here
    min_quantity: Any = "0"
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class SupplierPriceInput:
    sku: str
    unit: str
    price: Any
    currency: str | None = None  # None: the supplier's currency, else the company's
    supplier_item_code: str | None = None
    pack_quantity: Any = "1"
    min_quantity: Any = "0"
    lead_time_days: int | None = None  # None: the supplier's usual lead time
    valid_from: date | None = None
    valid_to: date | None = None


def _clean_details(details: PriceListDetails) -> dict[str, Any]:
    given: dict[str, Any] = {}
    if details.name is not None:
        given["name"] = PRICE_LIST_NAME.clean(details.name, "name")
    if details.currency is not None:
        given["currency"] = currency_code(details.currency)
    if details.customer_class is not None:
        given["customer_class"] = (
            CLASS_CODE.clean(details.customer_class, "customerClass") if details.customer_class.strip() else None
        )
    if details.prices_include_tax is not None:
        given["prices_include_tax"] = bool(details.prices_include_tax)
    amounts.period(details.valid_from, details.valid_to)
    if details.valid_from is not None:
        given["valid_from"] = details.valid_from
    if details.valid_to is not None or details.clear_valid_to:
        given["valid_to"] = None if details.clear_valid_to else details.valid_to
    if details.priority is not None:
        given["priority"] = amounts.bounded_int(details.priority, 0, amounts.MAX_PRIORITY, "priority", "priority")
    return given


async def _apply(conn: BaseDBAsyncClient, price_list: PriceList, given: dict[str, Any]) -> None:
    for name, value in given.items():
        if name == "currency":
            price_list.currency = await require_currency(value, conn=conn)
        elif name == "customer_class":
            found = await CustomerClass.filter(code=value).using_db(conn).first() if value else None
            if value and found is None:
                raise NotFound(f"There is no customer class {value}.", field="customerClass")
            price_list.customer_class = found  # type: ignore[assignment]
        else:
            setattr(price_list, name, value)
    if price_list.valid_to is not None and price_list.valid_to < price_list.valid_from:
        raise Invalid(f"The list ends ({price_list.valid_to}) before it starts ({price_list.valid_from}).",
                      field="validTo")  # fmt: skip


@dataclass(frozen=True)
class CreatePriceList(Command):
    operation = "price_list.create"
    code: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class UpdatePriceList(Command):
    operation = "price_list.update"
    code: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class SetPriceListItems(Command):
    operation = "price_list.items"
    code: str
    items: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class SetSupplierPrices(Command):
    operation = "supplier_prices.set"
    party: str
    sku: str | None
    prices: tuple[tuple[Any, ...], ...]


def _list_effect(run: Any) -> Effect[PriceList]:
    return row_effect(run, PriceList, "price_list", related=("currency", "customer_class"))


async def create_price_list(
    code: str, details: PriceListDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> PriceList:
    """A sales price list; without a currency it is in the company currency, without a class for everyone."""
    code = PRICE_LIST_CODE.clean(code, "code")
    if details.name is None:
        raise Invalid("A price list needs a name.", field="name")
    if details.valid_from is None:
        raise Invalid("A price list needs the day it starts.", field="validFrom")
    given = _clean_details(details)
    home = await company_currency()

    async def run(write: Write) -> PriceList:
        if await PriceList.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The price list {code} exists.", field="code")
        price_list = PriceList(code=code)
        await _apply(write.conn, price_list, {"currency": home, **given})
        await price_list.save(using_db=write.conn)
        return price_list

    try:
        return (await execute(CreatePriceList(code, given), _list_effect(run), actor_id=actor_id,
                              idempotency_key=idempotency_key)).result  # fmt: skip
    except IntegrityError:
        raise AlreadyExists(f"The price list {code} exists.", field="code") from None


async def _locked_list(conn: BaseDBAsyncClient, code: str) -> PriceList:
    key = PRICE_LIST_CODE.key(code)
    found = await PriceList.select_for_update().using_db(conn).get_or_none(code=key) if key else None
    if found is None:
        raise NotFound(f"There is no price list {shown(code)}.", field="code")
    await found.fetch_related("currency", "customer_class", using_db=conn)
    return found


async def update_price_list(code: str, details: PriceListDetails, *, actor_id: int | None) -> PriceList:
    given = _clean_details(details)

    async def run(write: Write) -> PriceList:
        price_list = await _locked_list(write.conn, code)
        await _apply(write.conn, price_list, given)
        await price_list.save(using_db=write.conn)
        return price_list

    command = UpdatePriceList(PRICE_LIST_CODE.key(code) or "", given)
    return (await execute(command, _list_effect(run), actor_id=actor_id)).result


def _bounded(rows: Sequence[object], name: str) -> None:
    if len(rows) > MAX_ITEMS:
        raise Invalid(f"At most {MAX_ITEMS} rows are set at once.", field=name)


async def _products(skus: list[tuple[int, str]], name: str, field: str = "sku") -> dict[str, int]:
    """The product id of each SKU; NotFound at the first row naming none (``field`` "": at ``name`` itself)."""
    found = {p.sku: p.id for p in await Product.filter(sku__in=sorted({sku for _, sku in skus}))}
    for index, sku in skus:
        if sku not in found:
            raise NotFound(f"There is no product with SKU {sku}.", field=(name, index, field) if field else name)
    return found


def _overlaps(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> bool:
    return (a[1] is None or b[0] is None or b[0] <= a[1]) and (b[1] is None or a[0] is None or a[0] <= b[1])


def _refuse_overlaps(keys: list[tuple[Any, ...]], periods: list[tuple[date | None, date | None]], name: str) -> None:
    seen: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        for earlier in seen[key]:
            if _overlaps(periods[earlier], periods[index]):
                raise Invalid(f"Row {earlier} already prices this product, unit and break on some of these days.",
                              field=(name, index, "minQuantity"))  # fmt: skip
        seen[key].append(index)


def _clean_item(item: ItemInput, index: int) -> tuple[Any, ...]:
    at = ("items", index)
    period = amounts.period(item.valid_from, item.valid_to, (*at, "validTo"))
    return (SKU.clean(item.sku, (*at, "sku")), UNIT.clean(item.unit, (*at, "unit")),  # type: ignore[arg-type]
            amounts.quantity(item.min_quantity, (*at, "minQuantity"), allow_zero=True),
            amounts.money(item.price, (*at, "price")), *period)  # fmt: skip


async def set_price_list_items(code: str, items: Sequence[ItemInput], *, actor_id: int | None) -> tuple[PriceList, int]:
    """Replace every item of the list; answers the list and how many items it now has."""
    _bounded(items, "items")
    rows = [_clean_item(item, i) for i, item in enumerate(items)]
    _refuse_overlaps([row[:3] for row in rows], [(row[4], row[5]) for row in rows], "items")
    products = await _products([(i, row[0]) for i, row in enumerate(rows)], "items")

    async def run(write: Write) -> tuple[PriceList, int]:
        price_list = await _locked_list(write.conn, code)
        await PriceListItem.filter(price_list_id=price_list.id).using_db(write.conn).delete()
        await PriceListItem.bulk_create(
            [PriceListItem(price_list_id=price_list.id, product_id=products[sku], unit=unit, min_quantity=minimum,
                           price=price, valid_from=start, valid_to=end)
             for sku, unit, minimum, price, start, end in rows],
            using_db=write.conn,
        )  # fmt: skip
        return price_list, len(rows)

    command = SetPriceListItems(PRICE_LIST_CODE.key(code) or "", tuple(rows))
    effect = Effect(run, lambda done: Audited("price_list", done[0].id))
    return (await execute(command, effect, actor_id=actor_id)).result


def _clean_supplier_price(row: SupplierPriceInput, index: int) -> tuple[Any, ...]:
    at = ("prices", index)
    period = amounts.period(row.valid_from, row.valid_to, (*at, "validTo"))
    item_code = row.supplier_item_code
    lead = row.lead_time_days
    return (
        SKU.clean(row.sku, (*at, "sku")),  # type: ignore[arg-type]
        UNIT.clean(row.unit, (*at, "unit")),  # type: ignore[arg-type]
        amounts.quantity(row.min_quantity, (*at, "minQuantity"), allow_zero=True),
        currency_code(row.currency, (*at, "currency")) if row.currency is not None else None,
        amounts.money(row.price, (*at, "price")),
        amounts.quantity(row.pack_quantity, (*at, "packQuantity")),
        SUPPLIER_ITEM_CODE.clean(item_code, (*at, "supplierItemCode")) if item_code else None,  # type: ignore[arg-type]
        amounts.bounded_int(lead, 0, amounts.MAX_LEAD_TIME_DAYS, "lead time in days", (*at, "leadTimeDays"))
        if lead is not None else None,
        *period,
    )  # fmt: skip


async def _supplier(conn: BaseDBAsyncClient | None, code: str) -> Party:
    key = PARTY_CODE.key(code)
    query = Party.filter(code=key) if key else None
    party = await (query.using_db(conn) if conn else query).first() if query is not None else None
    if party is None:
        raise NotFound(f"There is no party {shown(code)}.", field="partyCode")
    if PartyRole.SUPPLIER.value not in (party.roles or []):
        raise Invalid(f"{party.code} is not a supplier.", field="partyCode")
    return party


async def set_supplier_prices(
    party_code: str, prices: Sequence[SupplierPriceInput], *, sku: str | None = None, actor_id: int | None
) -> int:
    """Replace a supplier's prices: all of them, or with ``sku`` only that product's (every row must then
    name it). Answers how many rows were written."""
    _bounded(prices, "prices")
    scope = SKU.clean(sku, "sku") if sku is not None else None
    rows = [_clean_supplier_price(row, i) for i, row in enumerate(prices)]
    for index, row in enumerate(rows):
        if scope is not None and row[0] != scope:
            raise Invalid(f"Only prices of {scope} are replaced here.", field=("prices", index, "sku"))
    party = await _supplier(None, party_code)
    default_currency = party.currency or await company_currency()
    rows = [(*row[:3], row[3] or default_currency, *row[4:]) for row in rows]
    _refuse_overlaps([row[:4] for row in rows], [(row[8], row[9]) for row in rows], "prices")
    products = await _products([(i, row[0]) for i, row in enumerate(rows)], "prices")
    if scope is not None and scope not in products:
        products.update(await _products([(0, scope)], "sku", field=""))
    currencies = {c.code: c.id for c in await Currency.filter(code__in={row[3] for row in rows})}
    for index, row in enumerate(rows):
        if row[3] not in currencies:
            raise NotFound(f"There is no currency {row[3]}.", field=("prices", index, "currency"))

    async def run(write: Write) -> int:
        await sql.lock_name(write.conn, f"supplier_prices:{party.id}")
        existing = SupplierPrice.filter(supplier_id=party.id).using_db(write.conn)
        await (existing.filter(product_id=products[scope]) if scope else existing).delete()
        await SupplierPrice.bulk_create(
            [SupplierPrice(supplier_id=party.id, product_id=products[s], unit=unit, min_quantity=minimum,
                           currency_id=currencies[cur], price=price, pack_quantity=pack, supplier_item_code=item_code,
                           lead_time_days=lead, valid_from=start, valid_to=end)
             for s, unit, minimum, cur, price, pack, item_code, lead, start, end in rows],
            using_db=write.conn,
        )  # fmt: skip
        return len(rows)

    command = SetSupplierPrices(party.code, scope, tuple(rows))
    return (await execute(command, Effect(run, lambda _: Audited("party", party.id)), actor_id=actor_id)).result


# Reads for the graph.


def price_lists(*, currency: str | None = None, customer_class: str | None = None) -> QuerySet[PriceList]:
    """Price lists, optionally of one currency or customer class ("" for the lists for everyone)."""
    query = PriceList.all().select_related("currency", "customer_class")
    if currency is not None:
        key = CURRENCY_CODE.key(currency)
        query = query.filter(currency__code=key) if key else query.filter(id__in=[])
    if customer_class is not None:
        if not customer_class.strip():
            query = query.filter(customer_class_id=None)
        elif (key := CLASS_CODE.key(customer_class)) is None:
            query = query.filter(id__in=[])
        else:
            query = query.filter(customer_class__code=key)
    return query


async def price_list_by_code(code: str) -> PriceList | None:
    key = PRICE_LIST_CODE.key(code)
    return await PriceList.get_or_none(code=key).select_related("currency", "customer_class") if key else None


def price_list_items(code: str, *, sku: str | None = None) -> QuerySet[PriceListItem]:
    """The items of a list (none for a code no list can have), optionally of one product."""
    key = PRICE_LIST_CODE.key(code)
    query = PriceListItem.filter(price_list__code=key) if key else PriceListItem.filter(id__in=[])
    if sku is not None:
        sku_key = SKU.key(sku)
        query = query.filter(product__sku=sku_key) if sku_key else query.filter(id__in=[])
    return query


def supplier_prices(party_code: str, *, sku: str | None = None) -> QuerySet[SupplierPrice]:
    """A supplier's prices (none for a code no party can have), optionally of one product."""
    key = PARTY_CODE.key(party_code)
    query = (
        SupplierPrice.filter(supplier__code=key).select_related("currency") if key else SupplierPrice.filter(id__in=[])
    )
    if sku is not None:
        sku_key = SKU.key(sku)
        query = query.filter(product__sku=sku_key) if sku_key else query.filter(id__in=[])
    return query


async def price_lists_by_ids(ids: list[int]) -> list[PriceList]:
    return await PriceList.filter(id__in=ids).select_related("currency", "customer_class")


async def price_list_items_by_ids(ids: list[int]) -> list[PriceListItem]:
    return await PriceListItem.filter(id__in=ids)


async def supplier_prices_by_ids(ids: list[int]) -> list[SupplierPrice]:
    return await SupplierPrice.filter(id__in=ids).select_related("currency")
