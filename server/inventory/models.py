"""The stock ledger's tables: warehouses, the location tree, lots, moves and quants."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.catalog.models import Category, Product
from server.text import LABEL_CODE, Code, Text, column_length

QUANTITY_DIGITS, QUANTITY_PLACES = 18, 4
NO_LOT = 0  # quants key "no lot" as 0: a NULL in a unique key lets duplicates in on PostgreSQL
NO_PACKAGE = 0  # likewise "in no package": loose stock


class LocationKind(StrEnum):
    VIEW = "view"  # a warehouse's root or a grouping node: holds no stock itself
    INTERNAL = "internal"  # a real place where stock sits (zone, aisle, bin)
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    INVENTORY_LOSS = "inventory_loss"
    SCRAP = "scrap"
    ASSEMBLY = "assembly"
    TRANSIT = "transit"


class LocationUsage(StrEnum):
    """What a real location is for: only storage sells by default (see ``sellable``)."""

    STORAGE = "storage"
    RECEIVING = "receiving"
    QUALITY_CONTROL = "quality_control"
    QUARANTINE = "quarantine"
    DAMAGED = "damaged"
    OUTPUT = "output"  # picked goods waiting to be packed and shipped (server/sales/fulfillment_settings.py)


class Mixing(StrEnum):
    """Which stock a location takes beside what it holds."""

    MIXED = "mixed"  # any products together
    SAME_PRODUCT = "same_product"  # one product (any of its lots) at a time
    EMPTY_ONLY = "empty_only"  # a posting only into an empty location


class Warehouse(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "warehouse"


class Location(Model):
    """A node of the location tree of a warehouse, or a virtual location (no warehouse)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=255)
    kind = fields.CharEnumField(LocationKind, max_length=16)
    warehouse: fields.ForeignKeyNullableRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="locations", null=True
    )
    parent: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="children", null=True
    )
    # Ids from the root down, "/3/8/21/": a subtree is a prefix match, without recursive queries.
    path = fields.CharField(max_length=255, default="/", db_index=True)
    # Stock in a location that is not sellable is on hand but never available to sell or reserve.
    sellable = fields.BooleanField(default=True, db_default=True)
    # Which stock leaves first from here and below: fifo, fefo or closest (server/inventory/removal.py).
    # Null: the parent's. A product's or its category's strategy comes first.
    removal_strategy = fields.CharField(max_length=8, null=True)
    usage = fields.CharEnumField(LocationUsage, max_length=16, default=LocationUsage.STORAGE, db_default="storage")
    # Limits on what the location holds, itself and every location under it (a zone's cap its bins), checked
    # on every posting into them (server/inventory/capacity.py).
    max_units = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, null=True)
    max_weight_kg = fields.DecimalField(max_digits=18, decimal_places=6, null=True)
    mixing = fields.CharEnumField(Mixing, max_length=16, default=Mixing.MIXED, db_default="mixed")
    # Whether a location above this one has limits: a posting here checks theirs too. Read with the location by
    # every posting, so one into a bin under no limited zone costs nothing (kept by server/inventory/zones.py).
    limits_above = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "location"


class Lot(Model):
    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField("storekeeper.Product", related_name="lots")
    code = fields.CharField(max_length=64)
    expires_on = fields.DateField(null=True)
    best_before_on = fields.DateField(null=True)
    # After this day the lot is past its removal date: never suggested or reserved, and taken only with
    # the permission stock.take_expired. Its expiry unless given, so a lot without either is never removed.
    removal_on = fields.DateField(null=True)
    alert_on = fields.DateField(null=True)  # when someone should look at what is left of it
    # For a serial (a lot of a serial-tracked product): the location its last move went to, a bin or a
    # virtual location such as the customer, written by every posting of it. Null for other lots.
    location_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lot"
        unique_together = (("product", "code"),)


class ExpiryAlert(Model):
    """A lot that reached its alert date with stock left, raised once per lot and alert date
    (server/inventory/expiry.py)."""

    id = fields.IntField(primary_key=True)
    lot: fields.ForeignKeyRelation[Lot] = fields.ForeignKeyField(
        "storekeeper.Lot", related_name="expiry_alerts", on_delete=fields.RESTRICT
    )
    alert_on = fields.DateField()
    on_hand = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)  # all bins, then
    raised_at = fields.DatetimeField()
    mail_id = fields.BigIntField(null=True)  # the outbox message that told of it; None: nobody to tell

    class Meta:
        table = "expiry_alert"
        unique_together = (("lot", "alert_on"),)


class StockMove(Model):
    """One append-only ledger entry: ``quantity`` left ``from_location`` and arrived in ``to_location``."""

    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="moves", on_delete=fields.RESTRICT
    )
    quantity = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    from_location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="moves_out", on_delete=fields.RESTRICT
    )
    to_location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="moves_in", on_delete=fields.RESTRICT
    )
    lot: fields.ForeignKeyNullableRelation[Lot] = fields.ForeignKeyField(
        "storekeeper.Lot", related_name="moves", null=True, on_delete=fields.RESTRICT
    )
    unit_cost = fields.DecimalField(max_digits=18, decimal_places=4, null=True)
    # What the move carried, fixed when booked (server/inventory/valuation): NULL only before valuation.
    value = fields.DecimalField(max_digits=30, decimal_places=4, null=True)
    kind = fields.CharField(max_length=16)  # receive | issue | move | adjust | pack | unpack
    reason = fields.CharField(max_length=255, null=True)
    document_type = fields.CharField(max_length=32, null=True)
    document_id = fields.BigIntField(null=True)
    document_line_id = fields.BigIntField(null=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="moves", null=True, on_delete=fields.RESTRICT
    )
    idempotency_key = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)  # when it was booked
    # When it happened (a scan: when the handheld scanned it; a document: its business date). Always
    # written; NULL only in rows booked before 0004, which that migration fills from created_at.
    effective_at = fields.DatetimeField(null=True, db_index=True)
    # The package the units left and the one they arrived in (NO_PACKAGE: loose), see server/inventory/packages.py.
    from_package_id = fields.IntField(default=NO_PACKAGE, db_default=NO_PACKAGE)
    to_package_id = fields.IntField(default=NO_PACKAGE, db_default=NO_PACKAGE)

    class Meta:
        table = "stock_move"
        # document_id: a transfer's receipt reads its document's moves (an index of its own, not db_index:
        # altering the column would rebuild the table on SQLite and drop the triggers of constraints.py).
        # lot_id: a partial index (lot_id IS NOT NULL) made by hand in migration 0008, for traces.
        indexes = (("product_id", "to_location_id"), ("product_id", "from_location_id"), ("document_id",))
        # CHECK quantity > 0 and from <> to (but for pack and unpack): see server/inventory/constraints.py


class Quant(Model):
    """On-hand and reserved quantity of a product in a real location, per lot (0 = no lot) and package (0 = none).

    A cache of the moves, kept in the same transaction, which ``check_ledger`` proves.
    """

    id = fields.BigIntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="quants", on_delete=fields.RESTRICT
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="quants", on_delete=fields.RESTRICT
    )
    lot_id = fields.IntField(default=NO_LOT)
    # The package holding the stock, at its location (server/inventory/packages.py). Postings of loose stock
    # (receipts, issues, moves, counts) never take it out of a package: only an unpack does.
    package_id = fields.IntField(default=NO_PACKAGE, db_default=NO_PACKAGE)
    on_hand = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)
    reserved = fields.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, default=0)
    # When the oldest stock still here came in (its effective time), for FIFO. Null: before it was kept.
    in_date = fields.DatetimeField(null=True)

    class Meta:
        table = "quant"
        unique_together = (("product", "location", "lot_id", "package_id"),)
        indexes = (("package_id",),)  # what a package holds, for a package's move
        # CHECK on_hand >= 0 and reserved >= 0: see server/inventory/constraints.py


class PackageKind(StrEnum):
    BOX = "box"
    CASE = "case"
    PALLET = "pallet"
    TOTE = "tote"


class Package(Model):
    """A box, case or pallet known by the SSCC on its label: what it holds are the quants that name it.

    A package may sit in another (cases on a pallet): every package nested in one is at its location,
    and so is all the stock they hold.
    """

    id = fields.IntField(primary_key=True)
    sscc = fields.CharField(max_length=18, unique=True)  # 18 digits, the last a GS1 check digit
    kind = fields.CharEnumField(PackageKind, max_length=16)
    parent: fields.ForeignKeyNullableRelation[Package] = fields.ForeignKeyField(
        "storekeeper.Package", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="packages", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "package"


class PeriodLock(Model):
    """Up to which day the periods are closed: for the company (warehouse 0) or one warehouse."""

    id = fields.IntField(primary_key=True)
    warehouse_id = fields.IntField(unique=True)  # 0: the company
    locked_until = fields.DateField(null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "period_lock"


class LedgerCheck(Model):
    """The stored outcome of one run of the ledger invariant check."""

    id = fields.IntField(primary_key=True)
    job_id = fields.CharField(max_length=128, null=True, unique=True)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    ok = fields.BooleanField()
    quants_checked = fields.IntField()
    problems: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]

    class Meta:
        table = "ledger_check"


class PutawayRule(Model):
    """Where received stock of a product, or of a category, goes in a warehouse: a zone or a bin.

    Rules are tried by ``sequence`` (lowest first), a product's before its category's.
    """

    id = fields.IntField(primary_key=True)
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="putaway_rules", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="putaway_rules", null=True, on_delete=fields.CASCADE
    )
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "storekeeper.Category", related_name="putaway_rules", null=True, on_delete=fields.CASCADE
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="putaway_rules", on_delete=fields.CASCADE
    )
    sequence = fields.IntField(default=10)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "putaway_rule"
        indexes = (("warehouse_id", "product_id"), ("warehouse_id", "category_id"))


# What a caller may send for each column (see server/text.py).
_LABEL_RULE = "letters, digits, '.', '_', '/' or '-', starting with a letter or digit"
WAREHOUSE_CODE = Code("warehouse code", column_length(Warehouse, "code"), LABEL_CODE, _LABEL_RULE)
LOCATION_CODE = Code("location code", column_length(Location, "code"), LABEL_CODE, _LABEL_RULE)
LOT_CODE = Code("lot code", column_length(Lot, "code"))
WAREHOUSE_NAME = Text("name", column_length(Warehouse, "name"))
LOCATION_NAME = Text("name", column_length(Location, "name"))
