from __future__ import annotations

import strawberry

from schema.context import Info
from schema.partners.types import (
    CustomerClass,
    CustomerClassConnection,
    Employee,
    EmployeeConnection,
    Party,
    PartyConnection,
    PartyRole,
    Store,
    StoreConnection,
)
from schema.permissions import require
from schema.relay import page_window, paginate_queryset
from server.auth.permissions import Permission
from server.partners import employees, lookups, service, stores

VIEW = [require(Permission.PARTNERS_VIEW)]


@strawberry.input
class PartyFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Part of the code, the name or a contact's email (any case), or the digits of a contact's phone"
        ' ("600112233" finds "+34 600 11 22 33", and "+34 600 11 22 33" finds "600112233").',
    )
    role: PartyRole | None = None
    include_archived: bool = False


@strawberry.type
class PartnersQuery:
    @strawberry.field(permission_classes=VIEW, description="Customers, suppliers and carriers, oldest first.")
    async def parties(
        self,
        info: Info,
        filter: PartyFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> PartyConnection:
        window = page_window(info, first, after, last, before)
        filter = filter or PartyFilter()
        query = lookups.find_parties(search=filter.search, role=filter.role, include_archived=filter.include_archived)
        return await paginate_queryset(PartyConnection, query, window, Party.from_model)

    @strawberry.field(permission_classes=VIEW, description="The party with this code (archived or not).")
    async def party(self, info: Info, code: str) -> Party | None:
        row = await service.party_by_code(code)
        return Party.from_model(row) if row else None

    @strawberry.field(permission_classes=VIEW)
    async def customer_classes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CustomerClassConnection:
        window = page_window(info, first, after, last, before)
        query = lookups.find_customer_classes()
        return await paginate_queryset(CustomerClassConnection, query, window, CustomerClass.from_model)

    @strawberry.field(permission_classes=VIEW)
    async def stores(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> StoreConnection:
        window = page_window(info, first, after, last, before)
        return await paginate_queryset(StoreConnection, stores.find_stores(), window, Store.from_model)

    @strawberry.field(permission_classes=VIEW)
    async def store(self, info: Info, code: str) -> Store | None:
        row = await stores.store_by_code(code)
        return Store.from_model(row) if row else None

    @strawberry.field(permission_classes=VIEW, description="Employees, of one store when `store` (its code) is given.")
    async def employees(
        self,
        info: Info,
        store: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EmployeeConnection:
        window = page_window(info, first, after, last, before)
        query = employees.find_employees(store=store)
        return await paginate_queryset(EmployeeConnection, query, window, Employee.from_model)
