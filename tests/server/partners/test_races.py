"""Writes of parties and employees racing each other, on PostgreSQL (SQLite runs one writer at a time)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from server.errors import AlreadyExists
from server.partners import service
from server.partners.employees import create_employee
from server.partners.models import Contact, Employee, Party
from server.partners.service import ContactDetails, PartyDetails
from tests.conftest import Actor, make_actor, unique

pytestmark = pytest.mark.postgres

AT_ONCE = 12


async def _created(action: Awaitable[object]) -> bool:
    try:
        await action
    except AlreadyExists:
        return False
    return True


async def test_one_of_many_creates_of_a_code_wins_and_the_others_hear_it_exists(admin: Actor) -> None:
    code = unique("RACE")
    details = PartyDetails(name="Racer", roles=["customer"], contacts=[ContactDetails(name="A")])
    outcomes = await asyncio.gather(
        *(_created(service.create_party(code, details, actor_id=admin.user_id)) for _ in range(AT_ONCE))
    )
    assert outcomes.count(True) == 1
    assert await Party.filter(code=code).count() == 1
    assert await Contact.filter(party__code=code).count() == 1


async def test_contact_lists_replaced_at_once_are_never_mixed(admin: Actor) -> None:
    party = await service.create_party(
        unique("RACE"), PartyDetails(name="R", roles=["supplier"]), actor_id=admin.user_id
    )
    lists = [[ContactDetails(name=f"{n}-{i}") for i in range(3)] for n in range(AT_ONCE)]
    await asyncio.gather(
        *(service.update_party(party.code, PartyDetails(contacts=c), actor_id=admin.user_id) for c in lists)
    )
    names = await Contact.filter(party_id=party.id).order_by("id").values_list("name", flat=True)
    assert list(names) in [[c.name for c in contacts] for contacts in lists]


async def test_a_user_becomes_an_employee_once(admin: Actor) -> None:
    clerk = await make_actor("clerk")
    outcomes = await asyncio.gather(
        *(_created(create_employee(clerk.username, [], actor_id=admin.user_id)) for _ in range(AT_ONCE))
    )
    assert outcomes.count(True) == 1
    assert await Employee.filter(user_id=clerk.user_id).count() == 1
