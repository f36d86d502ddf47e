"""Demo partners: two customer classes, customers, suppliers (one also a customer), a carrier, the
store MAIN and an employee for the demo user. Loading twice changes nothing: what exists is kept."""

from __future__ import annotations

from server.auth.models import User
from server.inventory.models import Warehouse
from server.partners import employees, stores
from server.partners.models import CustomerClass, Employee, Party, Store
from server.partners.service import (
    AddressDetails,
    ContactDetails,
    PartyDetails,
    PaymentTerms,
    create_customer_class,
    create_party,
)

DEMO_USERNAME = "demo"  # server.demo's user (not imported: server.demo loads this module)
DEMO_STORE = "MAIN"
DEMO_WAREHOUSES = ["WH1"]  # server.demo's warehouse, linked when it is there

_CLASSES = [("RETAIL", "Retail"), ("WHOLESALE", "Wholesale")]
_PARTIES = {
    "CUST-ANA": PartyDetails(
        name="Ana García", roles=["customer"], customer_class="RETAIL",
        contacts=[ContactDetails(name="Ana García", phone="+34 600 11 22 33", email="ana.garcia@example.com")],
        addresses=[AddressDetails(kind="billing", street="Calle Mayor 1", city="Madrid", postal_code="28013",
                                  country="ES")],
    ),
    "CUST-BISTRO": PartyDetails(
        name="Bistro Norte S.L.", roles=["customer"], customer_class="WHOLESALE", tax_id="ESB12345678",
        credit_limit="5000", payment_terms=PaymentTerms(net_days=30, end_of_month=True),
        contacts=[ContactDetails(name="Jon Etxeberria", phone="944 12 34 56", email="compras@bistronorte.example")],
        addresses=[
            AddressDetails(kind="billing", street="Gran Vía 20", city="Bilbao", postal_code="48001", country="ES"),
            AddressDetails(kind="shipping", street="Muelle 3", city="Bilbao", postal_code="48003", country="ES"),
        ],
    ),
    "SUP-NORTHWIND": PartyDetails(
        name="Northwind Traders", roles=["supplier"], currency="EUR", lead_time_days=7, over_receipt_percent="5",
        minimum_order_value="250", payment_terms=PaymentTerms(net_days=60, discount_days=10, discount_percent="2"),
        contacts=[ContactDetails(name="Sales desk", phone="+49 30 1234567", email="sales@northwind.example")],
        addresses=[AddressDetails(kind="billing", street="Hauptstraße 5", city="Berlin", postal_code="10115",
                                  country="DE")],
    ),
    "SUP-CONTOSO": PartyDetails(
        name="Contoso Ltd", roles=["supplier", "customer"], customer_class="WHOLESALE", currency="GBP",
        lead_time_days=14,
        contacts=[ContactDetails(name="Orders", email="orders@contoso.example")],
        addresses=[AddressDetails(kind="billing", street="1 Market Street", city="Leeds", postal_code="LS1 1AA",
                                  country="GB")],
    ),
    "CAR-SWIFT": PartyDetails(
        name="Swift Parcel", roles=["carrier"], marks=["next-day"],
        contacts=[ContactDetails(name="Dispatch", phone="+34 910 00 00 00", email="dispatch@swift.example")],
    ),
}  # fmt: skip


async def load_demo() -> None:
    """Add what of the demo partners is missing."""
    demo_user = await User.get_or_none(username=DEMO_USERNAME)
    actor_id = demo_user.id if demo_user else None
    for code, name in _CLASSES:
        if not await CustomerClass.exists(code=code):
            await create_customer_class(code, name, actor_id=actor_id)
    for code, details in _PARTIES.items():
        if not await Party.exists(code=code):
            await create_party(code, details, actor_id=actor_id)
    if not await Store.exists(code=DEMO_STORE):
        present = await Warehouse.filter(code__in=DEMO_WAREHOUSES).values_list("code", flat=True)
        store = stores.StoreDetails(
            name="Main store",
            address="Calle Mayor 1\n28013 Madrid",
            currency="EUR",
            warehouses=sorted(map(str, present)),
        )
        await stores.create_store(DEMO_STORE, store, actor_id=actor_id)
    if demo_user is not None and not await Employee.exists(user_id=demo_user.id):
        await employees.create_employee(demo_user.username, [DEMO_STORE], name="Demo", actor_id=actor_id)
