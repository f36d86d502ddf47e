from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.catalog import models, packagings, service, units


class CatalogLoaders:
    @cached_property
    def products(self) -> DataLoader[int, models.Product | None]:
        return by_id(service.products_by_ids)

    @cached_property
    def barcodes(self) -> DataLoader[int, list[models.Barcode]]:
        return grouped(service.barcodes_by_product, [])

    @cached_property
    def units_named(self) -> DataLoader[str, models.Unit | None]:
        async def load(names: list[str]) -> list[models.Unit | None]:
            found = await units.units_named(None, names)
            return [found.get(name) for name in names]

        return DataLoader(load_fn=load)

    @cached_property
    def units_in_category(self) -> DataLoader[int, list[models.Unit]]:
        return grouped(units.units_by_category, [])

    @cached_property
    def reference_units(self) -> DataLoader[int, models.Unit | None]:
        return grouped(units.reference_units, None)

    @cached_property
    def packagings(self) -> DataLoader[int, list[models.Packaging]]:
        return grouped(packagings.packagings_by_product, [])

    @cached_property
    def packaging_barcodes(self) -> DataLoader[int, list[models.Barcode]]:
        return grouped(packagings.barcodes_by_packaging, [])
