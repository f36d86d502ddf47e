"""The reads of parties: the search behind ``parties``, and the batches dataloaders ask for."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from server.partners import checks
from server.partners.models import PARTY_NAME, Address, Contact, CustomerClass, Party, PartyRole
from server.text import Text

SEARCH = Text("search", PARTY_NAME.max_length)


def _nothing(query: QuerySet[Any]) -> QuerySet[Any]:
    return query.filter(id__in=[])


def find_parties(
    *, search: str | None = None, role: PartyRole | str | None = None, include_archived: bool = False
) -> QuerySet[Party]:
    """Parties whose code or name contains ``search`` (any case), or one of whose contacts has it in
    their email, or a phone number matching its digits (see ``_phone_match``); of one role if given.

    A search no party can match (too long, invisible characters) finds nothing rather than failing.
    """
    query = Party.all()
    if not include_archived:
        query = query.filter(is_archived=False)
    if role is not None:
        try:
            wanted = PartyRole(role)
        except ValueError:
            return _nothing(query)
        # Roles are a JSON list: its text holds the role in quotes on both databases.
        query = query.annotate(roles_text=RawSQL("CAST(roles AS VARCHAR(255))")).filter(
            roles_text__contains=f'"{wanted.value}"'
        )
    if search is not None and search.strip():
        term = SEARCH.key(search)
        if term is None:
            return _nothing(query)
        contacts = Q(email__contains=term.lower())
        if (digits := checks.search_digits(term)) is not None:
            contacts |= _phone_match(digits)
        matching = Subquery(Contact.filter(contacts).values("party_id"))
        query = query.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(id__in=matching))
    return query


def _phone_match(digits: str) -> Q:
    """A stored number containing the digits searched ("600112233" finds "+34 600 11 22 33"), and one
    the searched number ends with ("+34 600 11 22 33" finds "600 11 22 33", kept without its country
    code). A leading zero is left out of the first (a trunk prefix: "0600..." also finds "+34 600...")."""
    # A country code has 1 to 3 digits, written after "+" or "00": the number kept is at most 5 shorter.
    shortest = max(checks.MIN_PHONE_DIGITS, len(digits) - 5)
    suffixes = [digits[-n:] for n in range(shortest, min(len(digits), checks.MAX_PHONE_DIGITS) + 1)]
    contained = digits.lstrip("0") or digits
    match = Q(phone_digits__contains=contained if len(contained) >= 3 else digits)
    return match | Q(phone_digits__in=suffixes) if suffixes else match


def find_customer_classes() -> QuerySet[CustomerClass]:
    return CustomerClass.all()


async def parties_by_ids(ids: list[int]) -> list[Party]:
    return await Party.filter(id__in=ids)


async def customer_classes_by_ids(ids: list[int]) -> list[CustomerClass]:
    return await CustomerClass.filter(id__in=ids)


async def contacts_by_party(party_ids: list[int]) -> dict[int, list[Contact]]:
    """The contacts of each party, in the order they were given (for dataloaders)."""
    grouped: dict[int, list[Contact]] = defaultdict(list)
    for contact in await Contact.filter(party_id__in=party_ids).order_by("id"):
        grouped[contact.party_id].append(contact)  # type: ignore[attr-defined]
    return grouped


async def addresses_by_party(party_ids: list[int]) -> dict[int, list[Address]]:
    """The addresses of each party, in the order they were given (for dataloaders)."""
    grouped: dict[int, list[Address]] = defaultdict(list)
    for address in await Address.filter(party_id__in=party_ids).order_by("id"):
        grouped[address.party_id].append(address)  # type: ignore[attr-defined]
    return grouped
