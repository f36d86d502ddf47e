"""Parties (customers, suppliers, carriers: one party may be several) and customer classes.

The search and the dataloaders' reads are in ``server.partners.lookups``; stores and employees in
``server.partners.stores`` and ``server.partners.employees``, whose lookups the document kernel
calls are re-exported here, so the kernel asks one module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from server.commands import Command, Write, execute, row_effect
from server.errors import AlreadyExists, Invalid, NotFound
from server.partners import checks
from server.partners.checks import Field
from server.partners.employees import stores_of_user
from server.partners.models import (
    CITY,
    CONTACT_NAME,
    CUSTOMER_CLASS_CODE,
    CUSTOMER_CLASS_NAME,
    MARK,
    MAX_ADDRESSES,
    MAX_CONTACTS,
    MAX_MARKS,
    MONEY_DIGITS,
    MONEY_PLACES,
    NOTES,
    PARTY_CODE,
    PARTY_NAME,
    POSTAL_CODE,
    REGION,
    STREET,
    TAX_ID,
    Address,
    AddressKind,
    Contact,
    CustomerClass,
    Party,
    PartyRole,
)
from server.partners.stores import require_store, store_by_code
from server.text import shown, storable

__all__ = [
    "party_by_code",
    "require_party",
    "require_store",
    "store_by_code",
    "stores_of_user",
]

MAX_MONEY = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES)  # what NUMERIC(18, 4) holds before the point


@dataclass
class ContactDetails:
    name: str
    phone: str | None = None
    email: str | None = None


@dataclass
class AddressDetails:
    kind: AddressKind | str
    street: str
    city: str
    country: str
    postal_code: str | None = None
    region: str | None = None


@dataclass
class PaymentTerms:
    """Due ``net_days`` after the invoice date (after the end of its month with ``end_of_month``);
    ``discount_percent`` off when paid within ``discount_days``."""

    net_days: int = 0
    end_of_month: bool = False
    discount_days: int = 0
    discount_percent: object = "0"


@dataclass
class PartyDetails:
    """The editable facts of a party; ``None`` leaves a fact as it is on update, and an empty string
    clears an optional one (tax id, currency, customer class, credit limit). Lists replace the whole
    list: contacts, addresses, marks, roles."""

    name: str | None = None
    roles: list[PartyRole | str] | None = None
    tax_id: str | None = None
    currency: str | None = None
    payment_terms: PaymentTerms | None = None
    notes: str | None = None
    marks: list[str] | None = None
    customer_class: str | None = None
    credit_limit: object = None
    tax_exempt: bool | None = None
    lead_time_days: int | None = None
    over_receipt_percent: object = None
    minimum_order_value: object = None
    bill_quantity_tolerance_percent: object = None
    bill_price_tolerance_percent: object = None
    bills_before_receipt: bool | None = None
    contacts: list[ContactDetails] | None = None
    addresses: list[AddressDetails] | None = None


def money(value: object, field: Field, label: str) -> Decimal:
    return checks.decimal(value, field, label=label, places=MONEY_PLACES, below=MAX_MONEY)


def _roles(values: object) -> list[str]:
    given = checks.bounded_list(values, "roles", most=len(PartyRole), label="roles")
    roles = {checks.choice(PartyRole, value, ("roles", i)) for i, value in enumerate(given)}
    if not roles:
        raise Invalid("A party has at least one role: customer, supplier or carrier.", field="roles")
    return [role.value for role in PartyRole if role in roles]  # one order, whatever order they came in


def _marks(values: object) -> list[str]:
    marks: list[str] = []
    for i, value in enumerate(checks.bounded_list(values, "marks", most=MAX_MARKS, label="marks")):
        mark = checks.text(MARK, value, ("marks", i))
        if mark not in marks:
            marks.append(mark)
    return marks


def _contact(contact: ContactDetails, i: int) -> dict[str, object]:
    at: tuple[str | int, ...] = ("contacts", i)
    phone, digits = checks.phone(contact.phone, (*at, "phone")) if checks.given(contact.phone) else (None, None)
    return {
        "name": checks.text(CONTACT_NAME, contact.name, (*at, "name")),
        "phone": phone,
        "phone_digits": digits,
        "email": checks.email(contact.email, (*at, "email")) if checks.given(contact.email) else None,
    }


def _address(address: AddressDetails, i: int) -> dict[str, object]:
    at: tuple[str | int, ...] = ("addresses", i)
    return {
        "kind": checks.choice(AddressKind, address.kind, (*at, "kind")).value,
        "street": checks.text(STREET, address.street, (*at, "street")),
        "city": checks.text(CITY, address.city, (*at, "city")),
        "postal_code": checks.optional_text(POSTAL_CODE, address.postal_code or "", (*at, "postalCode")) or "",
        "region": checks.optional_text(REGION, address.region or "", (*at, "region")) or "",
        "country": checks.country(address.country, (*at, "country")),
    }


def _terms(terms: PaymentTerms) -> dict[str, object]:
    at = "paymentTerms"
    return {
        "net_days": checks.days(terms.net_days, (at, "netDays")),
        "end_of_month": bool(terms.end_of_month),
        "discount_days": checks.days(terms.discount_days, (at, "discountDays")),
        "discount_percent": checks.percent(terms.discount_percent, (at, "discountPercent"), "discount"),
    }


def _clean(details: PartyDetails) -> dict[str, object]:
    """Every fact given, checked; the keys are the columns (and contacts, addresses) they go to."""
    given: dict[str, object] = {}
    if details.name is not None:
        given["name"] = PARTY_NAME.clean(details.name, "name")
    if details.roles is not None:
        given["roles"] = _roles(details.roles)
    if details.tax_id is not None:
        given["tax_id"] = TAX_ID.optional(details.tax_id, "taxId")
    if details.currency is not None:
        given["currency"] = checks.currency(details.currency, "currency") if checks.given(details.currency) else None
    if details.payment_terms is not None:
        given.update(_terms(details.payment_terms))
    if details.notes is not None:
        given["notes"] = NOTES.optional(checks.lines(details.notes), "notes") or ""
    if details.marks is not None:
        given["marks"] = _marks(details.marks)
    if details.customer_class is not None:
        given["customer_class"] = (
            CUSTOMER_CLASS_CODE.clean(details.customer_class, "customerClass")
            if checks.given(details.customer_class)
            else None
        )
    if details.credit_limit is not None:
        given["credit_limit"] = (
            money(details.credit_limit, "creditLimit", "credit limit") if checks.given(details.credit_limit) else None
        )
    if details.tax_exempt is not None:
        given["tax_exempt"] = bool(details.tax_exempt)
    if details.lead_time_days is not None:
        given["lead_time_days"] = checks.days(details.lead_time_days, "leadTimeDays", "lead time")
    if details.over_receipt_percent is not None:
        given["over_receipt_percent"] = checks.percent(
            details.over_receipt_percent, "overReceiptPercent", "over-receipt tolerance"
        )
    if details.minimum_order_value is not None:
        given["minimum_order_value"] = money(details.minimum_order_value, "minimumOrderValue", "minimum order value")
    if details.bill_quantity_tolerance_percent is not None:
        given["bill_quantity_tolerance_percent"] = checks.percent(
            details.bill_quantity_tolerance_percent, "billQuantityTolerancePercent", "bill quantity tolerance"
        )
    if details.bill_price_tolerance_percent is not None:
        given["bill_price_tolerance_percent"] = checks.percent(
            details.bill_price_tolerance_percent, "billPriceTolerancePercent", "bill price tolerance"
        )
    if details.bills_before_receipt is not None:
        given["bills_before_receipt"] = bool(details.bills_before_receipt)
    if details.contacts is not None:
        contacts = checks.bounded_list(details.contacts, "contacts", most=MAX_CONTACTS, label="contacts")
        given["contacts"] = [_contact(contact, i) for i, contact in enumerate(contacts)]  # type: ignore[arg-type]
    if details.addresses is not None:
        addresses = checks.bounded_list(details.addresses, "addresses", most=MAX_ADDRESSES, label="addresses")
        given["addresses"] = [_address(address, i) for i, address in enumerate(addresses)]  # type: ignore[arg-type]
    return given


@dataclass(frozen=True)
class CreateCustomerClass(Command):
    operation = "customer_class.create"
    code: str
    name: str


@dataclass(frozen=True)
class CreateParty(Command):
    operation = "party.create"
    code: str
    facts: dict[str, object] = field(default_factory=dict)  # checked, as ``_clean`` answers them


@dataclass(frozen=True)
class UpdateParty(Command):
    operation = "party.update"
    code: str
    facts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ArchiveParty(Command):
    operation = "party.archive"
    code: str
    archived: bool


async def create_customer_class(
    code: str, name: str, *, actor_id: int | None, idempotency_key: str | None = None
) -> CustomerClass:
    """A class of customers; the money area's price lists say which prices each class gets."""
    code, name = CUSTOMER_CLASS_CODE.clean(code, "code"), CUSTOMER_CLASS_NAME.clean(name, "name")

    async def run(write: Write) -> CustomerClass:
        if await CustomerClass.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The customer class {code} exists.", field="code")
        return await CustomerClass.create(code=code, name=name, using_db=write.conn)

    effect = row_effect(run, CustomerClass, "customer_class")
    try:
        done = await execute(
            CreateCustomerClass(code, name), effect, actor_id=actor_id, idempotency_key=idempotency_key
        )
    except IntegrityError:  # a concurrent create of the same code won the race
        raise AlreadyExists(f"The customer class {code} exists.", field="code") from None
    return done.result


async def _apply(conn: BaseDBAsyncClient, party: Party, given: dict[str, object]) -> None:
    """Copy the checked facts onto ``party``, then replace its contacts and addresses if given."""
    for name, value in given.items():
        if name == "customer_class":
            found = await CustomerClass.filter(code=value).using_db(conn).first() if value else None
            if value and found is None:
                raise NotFound(f"There is no customer class {value}.", field="customerClass")
            party.customer_class_id = found.id if found else None  # type: ignore[attr-defined]
        elif name not in ("contacts", "addresses"):
            setattr(party, name, value)
    await party.save(using_db=conn)
    if "contacts" in given:
        await Contact.filter(party_id=party.id).using_db(conn).delete()
        rows = [Contact(party_id=party.id, **c) for c in given["contacts"]]  # type: ignore[attr-defined]
        if rows:
            await Contact.bulk_create(rows, using_db=conn)
    if "addresses" in given:
        await Address.filter(party_id=party.id).using_db(conn).delete()
        places = [Address(party_id=party.id, **a) for a in given["addresses"]]  # type: ignore[attr-defined]
        if places:
            await Address.bulk_create(places, using_db=conn)


async def _party_write(
    command: Command, run: Callable[[Write], Awaitable[Party]], actor_id: int | None, key: str | None
) -> Party:
    return (await execute(command, row_effect(run, Party, "party"), actor_id=actor_id, idempotency_key=key)).result


async def create_party(
    code: str, details: PartyDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> Party:
    """A customer, supplier or carrier (or several at once)."""
    code = PARTY_CODE.clean(code, "code")
    if details.name is None:
        raise Invalid("A party needs a name.", field="name")
    if details.roles is None:
        raise Invalid("A party has at least one role: customer, supplier or carrier.", field="roles")
    given = _clean(details)

    async def run(write: Write) -> Party:
        if await Party.filter(code=code).using_db(write.conn).exists():
            raise AlreadyExists(f"The party {code} exists.", field="code")
        party = Party(code=code)
        await _apply(write.conn, party, given)
        return party

    try:
        return await _party_write(CreateParty(code, given), run, actor_id, idempotency_key)
    except IntegrityError:
        raise AlreadyExists(f"The party {code} exists.", field="code") from None


async def _locked(conn: BaseDBAsyncClient, code: str) -> Party:
    key = PARTY_CODE.key(code)
    party = await Party.select_for_update().using_db(conn).get_or_none(code=key) if key else None
    if party is None:
        raise NotFound(f"There is no party {shown(code)}.", field="code")
    return party


async def update_party(
    code: str, details: PartyDetails, *, actor_id: int | None, idempotency_key: str | None = None
) -> Party:
    """Change the facts given; contacts and addresses, when given, replace the party's lists."""
    given = _clean(details)

    async def run(write: Write) -> Party:
        party = await _locked(write.conn, code)
        await _apply(write.conn, party, given)
        return party

    return await _party_write(
        UpdateParty(PARTY_CODE.key(code) or storable(code[:100]), given), run, actor_id, idempotency_key
    )


async def set_archived(code: str, archived: bool, *, actor_id: int | None, idempotency_key: str | None = None) -> Party:
    """Archive (or restore) a party: it keeps its documents, leaves the lists and takes no new documents."""

    async def run(write: Write) -> Party:
        party = await _locked(write.conn, code)
        if party.is_archived != archived:
            party.is_archived = archived
            await party.save(using_db=write.conn, update_fields=["is_archived", "updated_at"])
        return party

    command = ArchiveParty(PARTY_CODE.key(code) or storable(code[:100]), bool(archived))
    return await _party_write(command, run, actor_id, idempotency_key)


async def party_by_code(code: str) -> Party | None:
    """The party with this code (archived or not), or None; a string no code can be finds none."""
    key = PARTY_CODE.key(code)
    return await Party.get_or_none(code=key) if key else None


async def require_party(conn: BaseDBAsyncClient, code: str, *, field: Field, role: PartyRole | None = None) -> Party:
    """The party a write names, on the write's transaction: NotFound when there is none, Invalid when
    it is archived or lacks ``role`` (an order to a party that is no supplier)."""
    key = PARTY_CODE.key(code)
    party = await Party.filter(code=key).using_db(conn).first() if key else None
    if party is None:
        raise NotFound(f"There is no party {shown(code)}.", field=field)
    if party.is_archived:
        raise Invalid(f"The party {party.code} is archived.", field=field)
    if role is not None and role.value not in party.roles:
        raise Invalid(f"The party {party.code} is no {role.value}.", field=field)
    return party
