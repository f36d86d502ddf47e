"""What a printed document shows, as plain values: the documents area fills these, the PDF draws them.

Amounts come already rounded to the currency's places; printing shows Decimals as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


@dataclass(frozen=True)
class PrintedLine:
    position: int
    sku: str
    name: str
    quantity: Decimal
    unit: str
    price: Decimal
    discount_percent: Decimal
    tax_percent: Decimal
    net: Decimal
    gross: Decimal


@dataclass(frozen=True)
class PrintedDocument:
    title: str  # "Invoice", "Purchase order" ...
    number: str | None  # None while a draft is not numbered yet
    state: str
    business_date: date
    store_name: str
    store_address: str
    party_name: str | None
    party_address: str | None
    currency: str
    lines: list[PrintedLine]
    net: Decimal
    tax: Decimal
    gross: Decimal
    notes: str = ""
    details: tuple[str, ...] = ()  # what the document's area adds under its date ("Valid until: 2026-12-24")
    priced: bool = True  # False: no price columns and no totals, whatever the template shows


class Column(StrEnum):
    """A column of the line table a template may show."""

    POSITION = "position"
    SKU = "sku"
    NAME = "name"
    QUANTITY = "quantity"
    UNIT = "unit"
    PRICE = "price"
    DISCOUNT = "discount"
    TAX = "tax"
    NET = "net"
    GROSS = "gross"


MONEY_COLUMNS = frozenset({Column.PRICE, Column.DISCOUNT, Column.TAX, Column.NET, Column.GROSS})

# Every column, in the usual order, with its heading.
COLUMNS: dict[str, str] = {
    Column.POSITION: "#",
    Column.SKU: "SKU",
    Column.NAME: "Item",
    Column.QUANTITY: "Qty",
    Column.UNIT: "Unit",
    Column.PRICE: "Price",
    Column.DISCOUNT: "Disc.%",
    Column.TAX: "Tax%",
    Column.NET: "Net",
    Column.GROSS: "Gross",
}
DEFAULT_COLUMNS: tuple[str, ...] = ("position", "sku", "name", "quantity", "unit", "price", "discount", "tax", "net")


@dataclass(frozen=True)
class Template:
    """A store's template as the renderer uses it (``server.printing.service.template_for``)."""

    logo: bytes | None = None
    address: str = ""  # empty: the document's store address
    footer: str = ""
    columns: tuple[str, ...] = field(default=DEFAULT_COLUMNS)


def value(line: PrintedLine, column: str) -> int | str | Decimal:
    """What ``line`` shows in ``column``."""
    values: dict[str, int | str | Decimal] = {
        "position": line.position,
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit": line.unit,
        "price": line.price,
        "discount": line.discount_percent,
        "tax": line.tax_percent,
        "net": line.net,
        "gross": line.gross,
    }
    return values[column]
