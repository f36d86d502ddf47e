"""Packages as the API shows them (here, not beside the mutations: ``resolveBarcode`` names one too)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as PyDecimal

import strawberry

from schema.catalog.types import Product
from schema.context import Info
from schema.inventory.types import Location
from schema.relay import page_window
from schema.scalars import Decimal
from server.inventory import models
from server.inventory.package_contents import PackageView, children_of, contents_of, packages_by_ids

PackageKind = strawberry.enum(models.PackageKind, name="PackageKind")


@strawberry.type(description="One product and lot in a package, with the packages inside it.")
class PackageContent:
    sku: str
    lot_code: str | None
    quantity: Decimal
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_model(await info.context.loaders.catalog.products.load(self.product_id))


@strawberry.type(description="A box, case or pallet known by the SSCC on its label, and what it holds.")
class Package:
    sscc: str
    kind: PackageKind
    created_at: datetime
    package_id: strawberry.Private[int]
    parent_id: strawberry.Private[int | None]
    location_id: strawberry.Private[int]

    @classmethod
    def of(cls, view: PackageView) -> Package:
        return cls(
            sscc=view.sscc, kind=PackageKind(view.kind), created_at=view.created_at, package_id=view.id,
            parent_id=view.parent_id, location_id=view.location_id,
        )  # fmt: skip

    @strawberry.field(description="Where it is: so are every package in it and all they hold.")
    async def location(self, info: Info) -> Location:
        return Location.from_model(await info.context.loaders.inventory.locations.load(self.location_id))

    @strawberry.field(description="The package it is in or on (a case's pallet); null when none.")
    async def parent(self) -> Package | None:
        if self.parent_id is None:
            return None
        found = await packages_by_ids([self.parent_id])
        return Package.of(found[self.parent_id]) if self.parent_id in found else None

    @strawberry.field(
        description="The packages directly in or on it, the first `first` of them (the server's page size at most)."
    )
    async def children(self, info: Info, first: int | None = None) -> list[Package]:
        limit = page_window(info, first, None).limit
        return [Package.of(child) for child in await children_of(self.package_id, limit=limit)]

    @strawberry.field(
        description="What it holds with the packages in it, per product and lot: the first `first` (the server's"
        " page size at most), by SKU."
    )
    async def contents(self, info: Info, first: int | None = None) -> list[PackageContent]:
        limit = page_window(info, first, None).limit
        return [
            PackageContent(sku=c.sku, lot_code=c.lot_code, quantity=c.quantity, product_id=c.product_id)  # type: ignore[arg-type]
            for c in (await contents_of(self.package_id))[:limit]
        ]

    @strawberry.field(description="Base units it holds with the packages in it, all products together.")
    async def total(self) -> Decimal:
        return Decimal(sum((c.quantity for c in await contents_of(self.package_id)), PyDecimal(0)))
