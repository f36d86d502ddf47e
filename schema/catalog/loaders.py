from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.catalog import models, service


class CatalogLoaders:
    @cached_property
    def products(self) -> DataLoader[int, models.Product | None]:
        return by_id(service.products_by_ids)

    @cached_property
    def barcodes(self) -> DataLoader[int, list[models.Barcode]]:
        return grouped(service.barcodes_by_product, [])
