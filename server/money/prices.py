"""Which price applies to a line, and why: ``price(product, party, quantity, unit, date)``.

For a customer (or no party): the sales price lists in the party's currency (else the company's)
that are valid on the date and are for the customer's class or for everyone. A list for the class
comes first, then the higher priority, then the code; the first list that has a price for the
product in that unit, with a break at or below the quantity, gives it: its highest such break.

For a supplier: its supplier prices for the product in that unit, valid on the date: those in the
asked currency only, or else preferring the supplier's currency, then the company's; then the
highest break at or below the quantity, then the one that started last.

Each answer carries a sentence a clerk can read, saying where the price came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.expressions import Q

from server.catalog.models import SKU, Product
from server.errors import Invalid, NotFound
from server.money import amounts
from server.money.amounts import plain
from server.money.models import UNIT, PriceList, PriceListItem, SupplierPrice
from server.money.pricelists import PARTY_CODE
from server.money.rates import company_currency, currency_code, require_currency
from server.partners.models import Party, PartyRole
from server.text import shown

PRICE_LIST = "price_list"
SUPPLIER_PRICE = "supplier_price"
NONE = "none"


@dataclass(frozen=True)
class PriceAnswer:
    """The price of one unit; with ``source`` "none" there is no price (``price`` is 0 then: ask a person)."""

    price: Decimal
    currency: str
    prices_include_tax: bool
    source: str  # "price_list" | "supplier_price" | "none"
    price_list_code: str | None
    min_quantity: Decimal | None
    reason: str
    valid_from: date | None = None
    valid_to: date | None = None
    supplier_item_code: str | None = None
    pack_quantity: Decimal | None = None  # base units in one purchase unit (supplier prices)
    lead_time_days: int | None = None


def _valid_on(on: date) -> Q:
    return (Q(valid_from=None) | Q(valid_from__lte=on)) & (Q(valid_to=None) | Q(valid_to__gte=on))


def _later(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: date | None, b: date | None) -> date | None:
    return b if a is None else a if b is None else min(a, b)


def _validity(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "valid on any day"
    if end is None:
        return f"valid from {start}"
    return f"valid {start} to {end}" if start is not None else f"valid until {end}"


def _break(minimum: Decimal, unit: str) -> str:
    return f"break from {plain(minimum)} {unit}" if minimum > 0 else "any quantity"


def _list_title(price_list: PriceList) -> str:
    name = price_list.name
    return f"{name} {price_list.code}" if name.lower().endswith("list") else f"{name} list {price_list.code}"


async def _party(party_id: int | None) -> Party | None:
    if party_id is None:
        return None
    party = await Party.get_or_none(id=party_id)
    if party is None:
        raise NotFound("There is no such party.", field="party")
    return party


async def price(
    product_id: int,
    party_id: int | None,
    quantity: Decimal,
    unit: str,
    on: date,
    *,
    currency: str | None = None,
    purchase: bool | None = None,
    base_per_unit: Decimal | None = None,
) -> PriceAnswer:
    """The price that applies, and why. ``purchase``: ask the supplier prices (True) or the sales
    price lists (False); None decides by the party: a supplier that is not also a customer buys.
    ``base_per_unit``: base units in one ``unit``, so a supplier's price per another pack converts."""
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise NotFound("There is no such product.", field="product")
    unit_key = UNIT.key(unit)
    if unit_key is None:
        raise Invalid("The unit has 1 to 32 visible characters.", field="unit")
    party = await _party(party_id)
    roles = set(party.roles or []) if party is not None else set()
    if purchase is None:
        purchase = PartyRole.SUPPLIER.value in roles and PartyRole.CUSTOMER.value not in roles
    if purchase:
        answer = await supplier_price(product, party, quantity, unit_key, on, currency=currency)
        if answer.source == NONE and base_per_unit is not None:
            return await _converted_supplier_price(product, party, quantity, unit_key, base_per_unit, on, currency,
                                                   answer)  # fmt: skip
        return answer
    return await _sales_price(product, party, quantity, unit_key, on, currency=currency)


async def _converted_supplier_price(
    product: Product, party: Party | None, quantity: Decimal, unit: str, base_per_unit: Decimal, on: date,
    currency: str | None, none: PriceAnswer,
) -> PriceAnswer:  # fmt: skip
    """A supplier's price per another pack, as a price per ``unit``: pieces of a product priced per case of
    12 cost a twelfth of the case each (``none`` when the supplier prices it in no unit at all). The break
    that applies is the one the quantity reaches in base units."""
    wanted = currency_code(currency) if currency is not None else None
    if party is None:
        return none
    rows = await SupplierPrice.filter(_valid_on(on), supplier_id=party.id, product_id=product.id).select_related(
        "currency"
    )  # fmt: skip
    base_quantity = quantity * base_per_unit
    fitting = [r for r in rows if Decimal(r.pack_quantity) > 0
               and Decimal(r.min_quantity) * Decimal(r.pack_quantity) <= base_quantity
               and (wanted is None or r.currency.code == wanted)]  # fmt: skip
    if not fitting:
        return none
    home = await company_currency()
    preferred = [code for code in (party.currency, home) if code]

    def rank(r: SupplierPrice) -> tuple[int, Decimal, date, int]:
        place = preferred.index(r.currency.code) if r.currency.code in preferred else len(preferred)
        return (-place, -(Decimal(r.price) / Decimal(r.pack_quantity)), r.valid_from or date.min, r.id)

    row = max(fitting, key=rank)
    per_base = Decimal(row.price) / Decimal(row.pack_quantity)
    lead = row.lead_time_days if row.lead_time_days is not None else party.lead_time_days
    reason = (f"Supplier {party.code} price per {row.unit} ({plain(Decimal(row.pack_quantity))} {product.unit}),"
              f" {plain(per_base.quantize(Decimal('0.0001')))} per {product.unit}, as a price per {unit},"
              f" lead time {lead} days.")  # fmt: skip
    return PriceAnswer(
        price=(per_base * base_per_unit).quantize(Decimal("0.0001")), currency=row.currency.code,
        prices_include_tax=False, source=SUPPLIER_PRICE, price_list_code=None, min_quantity=Decimal(row.min_quantity),
        reason=reason, valid_from=row.valid_from, valid_to=row.valid_to, supplier_item_code=row.supplier_item_code,
        pack_quantity=Decimal(row.pack_quantity), lead_time_days=lead,
    )  # fmt: skip


async def price_for(
    sku: str,
    party_code: str | None,
    quantity: object,
    unit: str | None,
    on: date,
    *,
    currency: str | None = None,
    purchase: bool | None = None,
) -> PriceAnswer:
    """``price`` asked by codes, as a person does: unknown codes are NotFound on their field, the unit
    defaults to the product's own."""
    sku_key = SKU.key(sku)
    product = await Product.get_or_none(sku=sku_key) if sku_key else None
    if product is None:
        raise NotFound(f"There is no product with SKU {shown(sku)}.", field="sku")
    party_id = None
    if party_code is not None:
        party_key = PARTY_CODE.key(party_code)
        party = await Party.get_or_none(code=party_key) if party_key else None
        if party is None:
            raise NotFound(f"There is no party {shown(party_code)}.", field="partyCode")
        party_id = party.id
    amount = amounts.quantity(quantity)
    return await price(product.id, party_id, amount, product.unit if unit is None else unit, on,
                       currency=currency, purchase=purchase)  # fmt: skip


async def _sales_price(
    product: Product, party: Party | None, quantity: Decimal, unit: str, on: date, *, currency: str | None
) -> PriceAnswer:
    code = currency_code(currency) if currency is not None else (party.currency if party else None)
    found = await require_currency(code or await company_currency())
    class_id = party.customer_class_id if party is not None else None  # type: ignore[attr-defined]
    classes = Q(customer_class_id=None) | Q(customer_class_id=class_id) if class_id else Q(customer_class_id=None)
    lists = await PriceList.filter(classes, _valid_on(on), currency_id=found.id).select_related("customer_class")
    lists.sort(key=lambda p: (p.customer_class_id is None, -p.priority, p.code))  # type: ignore[attr-defined]
    items = await PriceListItem.filter(
        _valid_on(on), price_list_id__in=[p.id for p in lists], product_id=product.id, unit__iexact=unit
    )
    for price_list in lists:
        fitting = [i for i in items if i.price_list_id == price_list.id and Decimal(i.min_quantity) <= quantity]  # type: ignore[attr-defined]
        if not fitting:
            continue
        item = max(fitting, key=lambda i: (Decimal(i.min_quantity), i.valid_from or date.min, i.id))
        start = _later(price_list.valid_from, item.valid_from)
        end = _earlier(price_list.valid_to, item.valid_to)
        for_whom = f"customer class {price_list.customer_class.code}" if price_list.customer_class else "everyone"
        tax = "prices include tax" if price_list.prices_include_tax else "prices exclude tax"
        minimum = Decimal(item.min_quantity)
        reason = (f"{_list_title(price_list)} for {for_whom}, {_break(minimum, unit)}, {_validity(start, end)}; "
                  f"{tax}.")  # fmt: skip
        return PriceAnswer(
            price=Decimal(item.price), currency=found.code, prices_include_tax=price_list.prices_include_tax,
            source=PRICE_LIST, price_list_code=price_list.code, min_quantity=minimum, reason=reason,
            valid_from=start, valid_to=end,
        )  # fmt: skip
    whose = "everyone"
    if class_id and party is not None:
        await party.fetch_related("customer_class")
        whose = f"customer class {party.customer_class.code} or everyone"  # type: ignore[union-attr]
    reason = (f"No price list in {found.code} for {whose} valid on {on} has a price for {product.sku} per {unit} "
              f"at a quantity of {plain(quantity)}.")  # fmt: skip
    return PriceAnswer(Decimal(0), found.code, False, NONE, None, None, reason)


async def supplier_price(
    product: Product, party: Party | None, quantity: Decimal, unit: str, on: date, *, currency: str | None = None
) -> PriceAnswer:
    """What ``party`` charges for ``quantity`` of ``product`` in ``unit`` on ``on`` (see the module's docstring)."""
    wanted = currency_code(currency) if currency is not None else None
    home = await company_currency()
    if party is None or PartyRole.SUPPLIER.value not in (party.roles or []):
        reason = f"{party.code} is not a supplier: it has no supplier prices." if party else "No supplier was named."
        return PriceAnswer(Decimal(0), wanted or home, False, NONE, None, None, reason)
    rows = await SupplierPrice.filter(
        _valid_on(on), supplier_id=party.id, product_id=product.id, unit__iexact=unit
    ).select_related("currency")
    preferred = [code for code in (party.currency, home) if code]
    fitting = [r for r in rows if Decimal(r.min_quantity) <= quantity and (wanted is None or r.currency.code == wanted)]
    if not fitting:
        in_currency = f" in {wanted}" if wanted else ""
        reason = (f"{party.code} has no price{in_currency} for {product.sku} per {unit} valid on {on} "
                  f"at a quantity of {plain(quantity)}.")  # fmt: skip
        return PriceAnswer(Decimal(0), wanted or party.currency or home, False, NONE, None, None, reason)

    def rank(r: SupplierPrice) -> tuple[int, Decimal, date, int]:
        place = preferred.index(r.currency.code) if r.currency.code in preferred else len(preferred)
        return (-place, Decimal(r.min_quantity), r.valid_from or date.min, r.id)

    row = max(fitting, key=rank)
    minimum, pack = Decimal(row.min_quantity), Decimal(row.pack_quantity)
    lead = row.lead_time_days if row.lead_time_days is not None else party.lead_time_days
    item = f", their item {row.supplier_item_code}" if row.supplier_item_code else ""
    pack_text = f" ({plain(pack)} {product.unit} each)" if pack != 1 else ""
    reason = (f"Supplier {party.code} price{item}, per {unit}{pack_text}, {_break(minimum, unit)}, "
              f"{_validity(row.valid_from, row.valid_to)}, lead time {lead} days.")  # fmt: skip
    return PriceAnswer(
        price=Decimal(row.price), currency=row.currency.code, prices_include_tax=False, source=SUPPLIER_PRICE,
        price_list_code=None, min_quantity=minimum, reason=reason, valid_from=row.valid_from, valid_to=row.valid_to,
        supplier_item_code=row.supplier_item_code, pack_quantity=pack, lead_time_days=lead,
    )  # fmt: skip
