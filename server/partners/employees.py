"""Employees: users who work for one or more stores (what they may do is their role's business;
which stores they work for decides where their documents go and whose figures they see)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from server.auth.models import User
from server.auth.service import USERNAME
from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.partners import checks
from server.partners.models import (
    EMPLOYEE_NAME,
    MAX_STORES_PER_EMPLOYEE,
    STORE_CODE,
    Employee,
    EmployeeStore,
    Store,
)
from server.text import shown, storable


@dataclass(frozen=True)
class CreateEmployee(Command):
    operation = "employee.create"
    username: str
    name: str | None
    stores: tuple[str, ...]


@dataclass(frozen=True)
class UpdateEmployee(Command):
    operation = "employee.update"
    username: str
    name: str | None
    stores: tuple[str, ...] | None


def _store_codes(stores: object) -> tuple[str, ...]:
    given = checks.bounded_list(stores, "stores", most=MAX_STORES_PER_EMPLOYEE, label="stores")
    codes = [checks.text(STORE_CODE, code, ("stores", i)) for i, code in enumerate(given)]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            raise Invalid(f"The store {code} is given twice.", field=("stores", i))
    return tuple(codes)


async def _link(conn: BaseDBAsyncClient, employee: Employee, codes: tuple[str, ...]) -> None:
    """Make ``codes`` the employee's stores."""
    found = {s.code: s for s in await Store.filter(code__in=codes).using_db(conn)} if codes else {}
    for i, code in enumerate(codes):
        if code not in found:
            raise NotFound(f"There is no store {code}.", field=("stores", i))
    await EmployeeStore.filter(employee_id=employee.id).using_db(conn).delete()
    links = [EmployeeStore(employee_id=employee.id, store_id=found[code].id) for code in codes]
    if links:
        await EmployeeStore.bulk_create(links, using_db=conn)


async def _employee_write(
    command: Command, run: Callable[[Write], Awaitable[Employee]], actor_id: int | None, key: str | None
) -> Employee:
    effect = row_effect(run, Employee, "employee", related=("user",))
    return (await execute(command, effect, actor_id=actor_id, idempotency_key=key)).result


async def create_employee(
    username: str,
    stores: list[str],
    *,
    name: str | None = None,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Employee:
    """Make a user an employee of ``stores`` (their codes); ``name`` defaults to the username."""
    user_key = USERNAME.clean(username, "username")
    shown_name = EMPLOYEE_NAME.optional(name, "name") if name is not None else None
    codes = _store_codes(stores)

    async def run(write: Write) -> Employee:
        user = await User.filter(username=user_key).using_db(write.conn).first()
        if user is None:
            raise NotFound(f"There is no user {user_key}.", field="username")
        if await Employee.filter(user_id=user.id).using_db(write.conn).exists():
            raise AlreadyExists(f"{user_key} is an employee already.", field="username")
        employee = await Employee.create(user=user, name=shown_name or user.username, using_db=write.conn)
        await _link(write.conn, employee, codes)
        return employee

    try:
        return await _employee_write(CreateEmployee(user_key, shown_name, codes), run, actor_id, idempotency_key)
    except IntegrityError:
        raise AlreadyExists(f"{user_key} is an employee already.", field="username") from None


async def update_employee(
    username: str,
    *,
    name: str | None = None,
    stores: list[str] | None = None,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> Employee:
    """Rename an employee, or make ``stores`` (when given) the whole list of stores they work for."""
    shown_name = EMPLOYEE_NAME.clean(name, "name") if name is not None else None
    codes = _store_codes(stores) if stores is not None else None
    user_key = USERNAME.key(username)

    async def run(write: Write) -> Employee:
        user = await User.filter(username=user_key).using_db(write.conn).first() if user_key else None
        employee = (
            await Employee.select_for_update().using_db(write.conn).get_or_none(user_id=user.id) if user else None
        )
        if user is None or employee is None:
            raise NotFound(f"There is no employee {shown(username)}.", field="username")
        employee.user = user
        if shown_name is not None and shown_name != employee.name:
            employee.name = shown_name
            await employee.save(using_db=write.conn, update_fields=["name"])
        if codes is not None:
            await _link(write.conn, employee, codes)
        return employee

    command = UpdateEmployee(user_key or storable(username[:100]), shown_name, codes)
    return await _employee_write(command, run, actor_id, idempotency_key)


def find_employees(*, store: str | None = None) -> QuerySet[Employee]:
    """Every employee, or those of one store; a code no store can have finds none."""
    query = Employee.all().select_related("user")
    if store is not None:
        key = STORE_CODE.key(store)
        query = query.filter(store_links__store__code=key) if key else query.filter(id__in=[])
    return query


async def employee_by_username(username: str) -> Employee | None:
    key = USERNAME.key(username)
    return await Employee.get_or_none(user__username=key).select_related("user") if key else None


async def employees_by_ids(ids: list[int]) -> list[Employee]:
    return await Employee.filter(id__in=ids).select_related("user")


async def stores_of_user(user_id: int) -> list[Store]:
    """The stores the user works for, by code; none for a user who is no employee."""
    return await Store.filter(employee_links__employee__user_id=user_id).order_by("code")


async def stores_by_employee(employee_ids: list[int]) -> dict[int, list[Store]]:
    """The stores of each employee, by code (for dataloaders)."""
    links = await EmployeeStore.filter(employee_id__in=employee_ids).select_related("store").order_by("store__code")
    grouped: dict[int, list[Store]] = defaultdict(list)
    for link in links:
        grouped[link.employee_id].append(link.store)  # type: ignore[attr-defined]
    return grouped
