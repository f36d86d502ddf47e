from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from schema.loaders import by_id, grouped
from server.inventory.models import Warehouse
from server.partners import employees, lookups, models, stores


class PartnersLoaders:
    @cached_property
    def parties(self) -> DataLoader[int, models.Party | None]:
        return by_id(lookups.parties_by_ids)

    @cached_property
    def customer_classes(self) -> DataLoader[int, models.CustomerClass | None]:
        return by_id(lookups.customer_classes_by_ids)

    @cached_property
    def contacts(self) -> DataLoader[int, list[models.Contact]]:
        return grouped(lookups.contacts_by_party, [])

    @cached_property
    def addresses(self) -> DataLoader[int, list[models.Address]]:
        return grouped(lookups.addresses_by_party, [])

    @cached_property
    def stores(self) -> DataLoader[int, models.Store | None]:
        return by_id(stores.stores_by_ids)

    @cached_property
    def store_warehouses(self) -> DataLoader[int, list[Warehouse]]:
        return grouped(stores.warehouses_by_store, [])

    @cached_property
    def employees(self) -> DataLoader[int, models.Employee | None]:
        return by_id(employees.employees_by_ids)

    @cached_property
    def employee_stores(self) -> DataLoader[int, list[models.Store]]:
        return grouped(employees.stores_by_employee, [])
