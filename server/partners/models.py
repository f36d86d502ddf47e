"""Parties (customers, suppliers, carriers: one table, several roles), customer classes, stores, employees."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from server.text import LABEL_CODE, Code, Text, column_length

if TYPE_CHECKING:
    from server.auth.models import User
    from server.inventory.models import Warehouse

MONEY_DIGITS, MONEY_PLACES = 18, 4  # amounts kept exactly; a document rounds to the currency when it totals


class PartyRole(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    CARRIER = "carrier"


class CustomerClass(Model):
    """A class of customers (retail, wholesale, VIP): it decides which sales price list applies."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "customer_class"


class Party(Model):
    """Anyone the merchant buys from, sells to or ships with: ``roles`` says which (several at once)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=255)
    roles: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    tax_id = fields.CharField(max_length=32, null=True)
    currency = fields.CharField(max_length=3, null=True)  # ISO 4217; None: the company currency
    # Payment terms: due ``net_days`` after the invoice date (or after the end of its month),
    # ``discount_percent`` off when paid within ``discount_days``.
    net_days = fields.IntField(default=0)
    end_of_month = fields.BooleanField(default=False)
    discount_days = fields.IntField(default=0)
    discount_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    notes = fields.TextField(default="")
    marks: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    # Customers
    customer_class: fields.ForeignKeyNullableRelation[CustomerClass] = fields.ForeignKeyField(
        "storekeeper.CustomerClass", related_name="parties", null=True, on_delete=fields.RESTRICT
    )
    credit_limit = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=True)
    tax_exempt = fields.BooleanField(default=False)
    # Suppliers
    lead_time_days = fields.IntField(default=0)
    over_receipt_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    minimum_order_value = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, default=0)
    # Supplier bills: how far a bill may stray from the order (price) and from what came (quantity) before it
    # is held for release, and whether the supplier bills before the goods arrive (billable: what was ordered).
    bill_quantity_tolerance_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    bill_price_tolerance_percent = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    bills_before_receipt = fields.BooleanField(default=False)
    is_archived = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    contacts: fields.ReverseRelation[Contact]
    addresses: fields.ReverseRelation[Address]

    class Meta:
        table = "party"


class Contact(Model):
    id = fields.IntField(primary_key=True)
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="contacts", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=255)
    phone = fields.CharField(max_length=32, null=True)  # as given
    phone_digits = fields.CharField(max_length=32, null=True, db_index=True)  # digits only, for search
    email = fields.CharField(max_length=254, null=True, db_index=True)  # lower case

    class Meta:
        table = "party_contact"


class AddressKind(StrEnum):
    BILLING = "billing"
    SHIPPING = "shipping"


class Address(Model):
    id = fields.IntField(primary_key=True)
    party: fields.ForeignKeyRelation[Party] = fields.ForeignKeyField(
        "storekeeper.Party", related_name="addresses", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(AddressKind, max_length=16)
    street = fields.CharField(max_length=255)
    city = fields.CharField(max_length=100)
    postal_code = fields.CharField(max_length=20, default="")
    region = fields.CharField(max_length=100, default="")
    country = fields.CharField(max_length=2)  # ISO 3166-1 alpha-2

    class Meta:
        table = "party_address"


class TaxRounding(StrEnum):
    PER_LINE = "per_line"
    PER_DOCUMENT = "per_document"


class Store(Model):
    """One of the merchant's shops or sites: its address, currency, warehouses and document settings."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)  # goes into document numbers: PO-{store}-...
    name = fields.CharField(max_length=255)
    address = fields.TextField(default="")
    currency = fields.CharField(max_length=3)
    tax_rounding = fields.CharEnumField(TaxRounding, max_length=16, default=TaxRounding.PER_LINE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store"


class StoreWarehouse(Model):
    id = fields.IntField(primary_key=True)
    store: fields.ForeignKeyRelation[Store] = fields.ForeignKeyField(
        "storekeeper.Store", related_name="warehouse_links", on_delete=fields.CASCADE
    )
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="store_links", on_delete=fields.RESTRICT
    )
    position = fields.SmallIntField(default=0)  # the store's order of its warehouses: sales allocate in it

    class Meta:
        table = "store_warehouse"
        unique_together = (("store", "warehouse"),)


class Employee(Model):
    """A user who works for one or more stores."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "storekeeper.User", related_name="employee", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "employee"


class EmployeeStore(Model):
    id = fields.IntField(primary_key=True)
    employee: fields.ForeignKeyRelation[Employee] = fields.ForeignKeyField(
        "storekeeper.Employee", related_name="store_links", on_delete=fields.CASCADE
    )
    store: fields.ForeignKeyRelation[Store] = fields.ForeignKeyField(
        "storekeeper.Store", related_name="employee_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "employee_store"
        unique_together = (("employee", "store"),)


# What a caller may send for each column (see server/text.py), and how many of each a party holds.
_LABEL_RULE = "letters, digits, '.', '_', '/' or '-', starting with a letter or digit"
# A store's code goes into document numbers (PO-MAIN-2026-00001) and file names: no '.' or '/'.
STORE_CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]*")
PARTY_CODE = Code("party code", column_length(Party, "code"), LABEL_CODE, _LABEL_RULE)
PARTY_NAME = Text("name", column_length(Party, "name"))
TAX_ID = Text("tax id", column_length(Party, "tax_id"))
NOTES = Text("notes", 4000, multiline=True)
MARK = Text("mark", 32)
MAX_MARKS = 20
MAX_CONTACTS = 20
MAX_ADDRESSES = 20
CUSTOMER_CLASS_CODE = Code("customer class code", column_length(CustomerClass, "code"), LABEL_CODE, _LABEL_RULE)
CUSTOMER_CLASS_NAME = Text("name", column_length(CustomerClass, "name"))
CONTACT_NAME = Text("contact name", column_length(Contact, "name"))
STREET = Text("street", column_length(Address, "street"))
CITY = Text("city", column_length(Address, "city"))
POSTAL_CODE = Text("postal code", column_length(Address, "postal_code"))
REGION = Text("region", column_length(Address, "region"))
STORE_CODE = Code(
    "store code", column_length(Store, "code"), STORE_CODE_PATTERN, "letters, digits, '_' or '-', starting with a"
    " letter or digit"
)  # fmt: skip
STORE_NAME = Text("name", column_length(Store, "name"))
STORE_ADDRESS = Text("address", 1000, multiline=True)
EMPLOYEE_NAME = Text("name", column_length(Employee, "name"))
MAX_WAREHOUSES_PER_STORE = 50
MAX_STORES_PER_EMPLOYEE = 50
