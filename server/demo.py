"""Demo data for a first start: a warehouse with bins, products with barcodes, some stock, a user, and the
commerce core (parties, a store, money, packaging, documents)."""

from __future__ import annotations

from decimal import Decimal

from server.auth.models import User
from server.auth.service import create_user
from server.catalog.service import ProductDetails, create_product
from server.inventory import ledger
from server.inventory.locations import create_location, create_warehouse

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"

_PRODUCTS = [
    ("TSHIRT-RED-M", "T-shirt, red, M", "4006381333931", "Apparel", "Northwind",
     {"color": "red", "size": "M", "material": "cotton"}),
    ("TSHIRT-BLU-L", "T-shirt, blue, L", "9780201379624", "Apparel", "Northwind",
     {"color": "blue", "size": "L", "material": "cotton"}),
    ("MUG-WHITE", "Mug, white, 300 ml", "5901234123457", "Kitchen", "Contoso",
     {"color": "white", "material": "ceramic"}),
    ("COFFEE-1KG", "Coffee beans, 1 kg", "96385074", "Grocery", "Contoso", {"style": "dark roast"}),
    # No stock of its own: the demo documents bring it in (see server/documents/demo.py).
    ("NOTEBOOK-A5", "Notebook, A5, dotted", "5901234123464", "Stationery", "Contoso", {"size": "A5"}),
]  # fmt: skip
_BINS = [("WH1-A", "Zone A", None), ("WH1-A-01", "Bin A-01", "WH1-A"), ("WH1-A-02", "Bin A-02", "WH1-A"),
         ("WH1-B", "Zone B", None), ("WH1-B-01", "Bin B-01", "WH1-B")]  # fmt: skip
_STOCK = [("TSHIRT-RED-M", "WH1-A-01", "24", None), ("TSHIRT-BLU-L", "WH1-A-02", "12", None),
          ("MUG-WHITE", "WH1-B-01", "40", None), ("COFFEE-1KG", "WH1-B-01", "15", "L2026-11")]  # fmt: skip


async def seed_demo() -> bool:
    """Load the demo once; False when it is already there."""
    if await User.exists(username=DEMO_USERNAME):
        return False
    user = await create_user(DEMO_USERNAME, DEMO_PASSWORD, "admin")
    await create_warehouse("WH1", "Main warehouse", actor_id=user.id)
    for code, name, parent in _BINS:
        await create_location("WH1", code, name, parent_code=parent, actor_id=user.id)
    for sku, name, gtin, category, brand, attributes in _PRODUCTS:
        await create_product(
            sku,
            ProductDetails(name=name, barcodes=[gtin], category=category, brand=brand,
                           tracks_lots=sku == "COFFEE-1KG", **attributes),
            actor_id=user.id,
        )  # fmt: skip
    for sku, bin_code, quantity, lot in _STOCK:
        await ledger.receive(
            sku, bin_code, Decimal(quantity), lot=lot, actor_id=user.id, idempotency_key=f"demo:{sku}:{bin_code}"
        )
    await load_commerce_demo(user.id)
    return True


async def load_commerce_demo(user_id: int) -> None:
    """Parties, the MAIN store, currencies, taxes, price lists, packaging levels, documents in every state and
    purchase orders."""
    from server.catalog.demo import load_demo_packaging
    from server.documents.demo import load_demo as load_documents
    from server.money.demo import load_demo as load_money
    from server.partners.demo import load_demo as load_partners
    from server.purchasing.demo import load_demo as load_purchasing

    await load_partners()
    await load_money()
    await load_demo_packaging(actor_id=user_id)
    await load_documents(user_id)
    await load_purchasing(user_id)
