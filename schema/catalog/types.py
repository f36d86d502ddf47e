from __future__ import annotations

from decimal import Decimal as PyDecimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from schema.context import Info
from schema.nodes import Fetchable
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.catalog import models, service
from server.catalog.barcodes import MAX_BARCODES_PER_PRODUCT
from server.catalog.packagings import MAX_BARCODES_PER_PACKAGING, MAX_PACKAGINGS
from server.catalog.units import MAX_UNITS_PER_CATEGORY

if TYPE_CHECKING:
    from schema.inventory.types import StockLevel
    from schema.inventory.valuation import CostingMethod


Tracking = strawberry.enum(service.Tracking, name="Tracking", description="How a product's stock is told apart.")


@strawberry.type
class Barcode:
    code: str
    kind: str = strawberry.field(description="gtin or other")

    @classmethod
    def from_model(cls, row: models.Barcode) -> Barcode:
        return cls(code=row.code, kind=row.kind)


@strawberry.type(description="Units that convert into one another: count, weight, volume, length.")
class UnitCategory:
    code: str
    name: str
    id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.UnitCategory) -> UnitCategory:
        return cls(code=row.code, name=row.name, id=row.id)

    @strawberry.field(description="The unit the factors of the category's units are counted in (factor 1).")
    async def reference_unit(self, info: Info) -> str | None:
        unit = await info.context.loaders.catalog.reference_units.load(self.id)
        return unit.code if unit else None


@strawberry.type(description="A unit of measure. Codes are case-free: KG and kg are one unit.")
class Unit:
    code: str
    name: str
    category: UnitCategory
    factor: Decimal = strawberry.field(
        description="How many of its category's reference unit one of it is, exactly: 0.001 for g when kg is the"
        " reference. Quantities entered in it are converted to a product's base unit by the ratio of the two"
        " factors, rounded once to 4 places, half to even (docs/units.md)."
    )

    @classmethod
    def from_model(cls, row: models.Unit) -> Unit:
        return cls(
            code=row.code, name=row.name, category=UnitCategory.from_model(row.category),
            factor=PyDecimal(row.factor).normalize(),  # type: ignore[arg-type]
        )  # fmt: skip


@strawberry.type(description="A packaging level of a product (inner, case, pallet).")
class Packaging:
    code: str
    name: str | None
    quantity: Decimal = strawberry.field(description="Base units in one.")
    whole_units_only: bool = strawberry.field(description="Whether a quantity of it must be a whole number.")
    id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Packaging) -> Packaging:
        return cls(
            code=row.code, name=row.name, quantity=row.quantity,  # type: ignore[arg-type]
            whole_units_only=row.whole_units_only, id=row.id,
        )  # fmt: skip

    @strawberry.field(description=f"At most {MAX_BARCODES_PER_PACKAGING}: the catalog refuses more.")
    async def barcodes(self, info: Info) -> list[Barcode]:
        rows = await info.context.loaders.catalog.packaging_barcodes.load(self.id)
        return [Barcode.from_model(r) for r in rows]


@strawberry.type(description="A quantity in a unit or packaging level, and what it is in the product's base unit.")
class QuantityConversion:
    sku: str
    quantity: Decimal
    unit: str
    packaging: str | None = strawberry.field(description="The packaging level's code, when the unit is one.")
    base_quantity: Decimal
    base_unit: str


@strawberry.type
class Product(Fetchable, relay.Node):
    view_permission = Permission.CATALOG_VIEW
    id: relay.NodeID[int]
    sku: str
    name: str
    category: str | None
    brand: str | None
    unit: str
    color: str | None
    size: str | None
    material: str | None
    style: str | None
    tracks_lots: bool = strawberry.field(description="True for LOT and SERIAL tracking.")
    tracking: Tracking
    is_archived: bool
    weight_kg: Decimal | None = strawberry.field(
        description="Kilograms per base unit, for locations' weight limits; null: counts 0 there."
    )
    costing: strawberry.Private[str]

    @classmethod
    def from_model(cls, row: models.Product) -> Product:
        return cls(
            id=row.id,
            sku=row.sku,
            name=row.name,
            category=row.category.name if row.category else None,
            brand=row.brand.name if row.brand else None,
            unit=row.unit,
            color=row.color,
            size=row.size,
            material=row.material,
            style=row.style,
            tracks_lots=row.tracks_lots,
            tracking=Tracking(service.Tracking.of(row)),
            is_archived=row.is_archived,
            weight_kg=None if row.weight_kg is None else PyDecimal(row.weight_kg).normalize(),  # type: ignore[arg-type]
            costing=row.costing_method,
        )

    @strawberry.field(
        permission_classes=[require(Permission.COSTS_VIEW)],
        description="How its stock is valued: AVERAGE per warehouse, or FIFO layers (set with setCostingMethod).",
    )
    def costing_method(self) -> Annotated[CostingMethod, strawberry.lazy("schema.inventory.valuation")] | None:
        from schema.inventory.valuation import CostingMethod

        return CostingMethod(self.costing)

    @strawberry.field(description=f"At most {MAX_BARCODES_PER_PRODUCT}: the catalog refuses more.")
    async def barcodes(self, info: Info) -> list[Barcode]:
        rows = await info.context.loaders.catalog.barcodes.load(self.id)
        return [Barcode.from_model(r) for r in rows]

    @strawberry.field(description="The unit the product is counted in: what the ledger's quantities are in.")
    async def base_unit(self, info: Info) -> Unit | None:
        unit = await info.context.loaders.catalog.units_named.load(self.unit)
        return Unit.from_model(unit) if unit else None

    @strawberry.field(
        description="The units the product may be traded in besides its packaging levels: those of its base unit's"
        f" category (at most {MAX_UNITS_PER_CATEGORY})."
    )
    async def units(self, info: Info) -> list[Unit]:
        unit = await info.context.loaders.catalog.units_named.load(self.unit)
        if unit is None:
            return []
        rows = await info.context.loaders.catalog.units_in_category.load(unit.category_id)  # type: ignore[attr-defined]
        return [Unit.from_model(r) for r in rows]

    @strawberry.field(description=f"Its packaging levels, in order (at most {MAX_PACKAGINGS}).")
    async def packagings(self, info: Info) -> list[Packaging]:
        rows = await info.context.loaders.catalog.packagings.load(self.id)
        return [Packaging.from_model(r) for r in rows]

    @strawberry.field(
        description="Where the product is, per location and lot (empty locations left out), oldest first: the first"
        " `first` of them (10 unless asked; null means the server's page size, 100 unless configured, and more is"
        " clamped to it); page through all of them with the root `stockLevels(sku:)`. `onHand` counts every location."
        " Null without stock.view (a counter of a blind count reads no stock)."
    )
    async def stock_levels(
        self, info: Info, first: int | None = 10
    ) -> list[Annotated[StockLevel, strawberry.lazy("schema.inventory.types")]] | None:
        from schema.inventory.types import StockLevel

        if not _sees_stock(info):
            return None
        size = page_window(info, first, None).limit  # the connections' rule: negative is INVALID, more is clamped
        levels = await info.context.loaders.inventory.stock(size).load(self.id)
        return [StockLevel.from_level(level) for level in levels]

    @strawberry.field(description="On hand over all locations; null without stock.view.")
    async def on_hand(self, info: Info) -> Decimal | None:
        if not _sees_stock(info):
            return None
        return await info.context.loaders.inventory.on_hand.load(self.id)  # type: ignore[return-value]

    @classmethod
    async def fetch(cls, info: Info, ids: list[int]) -> dict[int, Any]:
        rows = await info.context.loaders.catalog.products.load_many(ids)
        return {r.id: cls.from_model(r) for r in rows if r}


@strawberry.type(name="ProductConnection")
class ProductConnection(relay.Connection[Product]):
    pass


def _sees_stock(info: Info) -> bool:
    principal = info.context.principal
    return principal is not None and principal.can(Permission.STOCK_VIEW)
