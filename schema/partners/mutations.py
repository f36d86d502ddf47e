from __future__ import annotations

from decimal import Decimal as PyDecimal

import strawberry

from schema.context import Info
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.partners.types import AddressKind, CustomerClass, Employee, Party, PartyRole, Store, TaxRounding
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.partners import employees, service, stores


@strawberry.input
class CreateCustomerClassInput:
    code: str
    name: str
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ContactInput:
    name: str
    phone: str | None = strawberry.field(
        default=None, description="6 to 15 digits, with spaces, '+', '-', '(', ')' or '.' as you like to write it."
    )
    email: str | None = None

    def details(self) -> service.ContactDetails:
        return service.ContactDetails(name=self.name, phone=self.phone, email=self.email)


@strawberry.input
class AddressInput:
    kind: AddressKind
    street: str
    city: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, such as ES.")
    postal_code: str | None = None
    region: str | None = None

    def details(self) -> service.AddressDetails:
        return service.AddressDetails(
            kind=self.kind, street=self.street, city=self.city, country=self.country, postal_code=self.postal_code,
            region=self.region,
        )  # fmt: skip


@strawberry.input(description="Replaces the party's payment terms as a whole.")
class PaymentTermsInput:
    net_days: int = strawberry.field(default=0, description="0 to 3650.")
    end_of_month: bool = False
    discount_days: int = strawberry.field(default=0, description="0 to 3650.")
    discount_percent: Decimal = strawberry.field(
        default=Decimal(PyDecimal(0)), description="0 to 100, two places at most."
    )

    def terms(self) -> service.PaymentTerms:
        return service.PaymentTerms(
            net_days=self.net_days, end_of_month=self.end_of_month, discount_days=self.discount_days,
            discount_percent=self.discount_percent,
        )  # fmt: skip


@strawberry.input
class PartyFields:
    name: str | None = None
    roles: list[PartyRole] | None = strawberry.field(default=None, description="At least one.")
    tax_id: str | None = strawberry.field(default=None, description='"" clears it.')
    currency: str | None = strawberry.field(default=None, description='ISO 4217 (EUR); "" for the company\'s.')
    payment_terms: PaymentTermsInput | None = None
    notes: str | None = None
    marks: list[str] | None = strawberry.field(default=None, description="Tags of at most 32 characters, 20 at most.")
    customer_class: str | None = strawberry.field(default=None, description='Its code; "" for none.')
    credit_limit: Decimal | None = strawberry.field(default=None, description='"" for no limit.')
    tax_exempt: bool | None = None
    lead_time_days: int | None = None
    over_receipt_percent: Decimal | None = None
    minimum_order_value: Decimal | None = None
    bill_quantity_tolerance_percent: Decimal | None = None
    bill_price_tolerance_percent: Decimal | None = None
    bills_before_receipt: bool | None = None
    contacts: list[ContactInput] | None = strawberry.field(default=None, description="Replaces every contact.")
    addresses: list[AddressInput] | None = strawberry.field(default=None, description="Replaces every address.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)

    def details(self) -> service.PartyDetails:
        contacts, addresses = self.contacts, self.addresses
        return service.PartyDetails(
            name=self.name,
            roles=list(self.roles) if self.roles is not None else None,
            tax_id=self.tax_id,
            currency=self.currency,
            payment_terms=self.payment_terms.terms() if self.payment_terms is not None else None,
            notes=self.notes,
            marks=self.marks,
            customer_class=self.customer_class,
            credit_limit=self.credit_limit,
            tax_exempt=self.tax_exempt,
            lead_time_days=self.lead_time_days,
            over_receipt_percent=self.over_receipt_percent,
            minimum_order_value=self.minimum_order_value,
            bill_quantity_tolerance_percent=self.bill_quantity_tolerance_percent,
            bill_price_tolerance_percent=self.bill_price_tolerance_percent,
            bills_before_receipt=self.bills_before_receipt,
            contacts=[c.details() for c in contacts] if contacts is not None else None,
            addresses=[a.details() for a in addresses] if addresses is not None else None,
        )


@strawberry.input
class CreatePartyInput(PartyFields):
    code: str
    name: str  # type: ignore[assignment]
    roles: list[PartyRole]  # type: ignore[assignment]


@strawberry.input
class UpdatePartyInput(PartyFields):
    code: str = strawberry.field(description="The party to change (codes do not change).")


@strawberry.input
class ArchivePartyInput:
    code: str
    archived: bool = True
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class StoreFields:
    name: str | None = None
    address: str | None = None
    currency: str | None = strawberry.field(default=None, description="ISO 4217, such as EUR.")
    tax_rounding: TaxRounding | None = None
    warehouses: list[str] | None = strawberry.field(default=None, description="Their codes; replaces the list.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)

    def details(self) -> stores.StoreDetails:
        return stores.StoreDetails(
            name=self.name, address=self.address, currency=self.currency, tax_rounding=self.tax_rounding,
            warehouses=self.warehouses,
        )  # fmt: skip


@strawberry.input
class CreateStoreInput(StoreFields):
    code: str = strawberry.field(description="Short: it goes into the numbers of the store's documents.")
    name: str  # type: ignore[assignment]
    currency: str  # type: ignore[assignment]


@strawberry.input
class UpdateStoreInput(StoreFields):
    code: str = strawberry.field(description="The store to change (codes do not change).")


@strawberry.input
class CreateEmployeeInput:
    username: str = strawberry.field(description="The user who becomes an employee.")
    name: str | None = strawberry.field(default=None, description="As shown on documents; the username if not given.")
    stores: list[str] = strawberry.field(default_factory=list, description="The codes of the stores they work for.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class UpdateEmployeeInput:
    username: str
    name: str | None = None
    stores: list[str] | None = strawberry.field(default=None, description="Replaces the list of their stores.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.type
class CustomerClassPayload(Payload):
    customer_class: CustomerClass | None = None


@strawberry.type
class PartyPayload(Payload):
    party: Party | None = None


@strawberry.type
class StorePayload(Payload):
    store: Store | None = None


@strawberry.type
class EmployeePayload(Payload):
    employee: Employee | None = None


@strawberry.type
class PartnersMutation:
    @mutation(Permission.PARTNERS_MANAGE)
    async def create_customer_class(self, info: Info, input: CreateCustomerClassInput) -> CustomerClassPayload:
        return await answer(
            CustomerClassPayload,
            lambda: service.create_customer_class(input.code, input.name, actor_id=info.context.user_id,
                                                  idempotency_key=input.idempotency_key),
            lambda row: CustomerClassPayload(customer_class=CustomerClass.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.PARTNERS_MANAGE)
    async def create_party(self, info: Info, input: CreatePartyInput) -> PartyPayload:
        return await answer(
            PartyPayload,
            lambda: service.create_party(input.code, input.details(), actor_id=info.context.user_id,
                                         idempotency_key=input.idempotency_key),
            lambda row: PartyPayload(party=Party.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.PARTNERS_MANAGE)
    async def update_party(self, info: Info, input: UpdatePartyInput) -> PartyPayload:
        return await answer(
            PartyPayload,
            lambda: service.update_party(input.code, input.details(), actor_id=info.context.user_id,
                                         idempotency_key=input.idempotency_key),
            lambda row: PartyPayload(party=Party.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.PARTNERS_MANAGE, description="Archived parties leave the lists and take no new documents.")
    async def archive_party(self, info: Info, input: ArchivePartyInput) -> PartyPayload:
        return await answer(
            PartyPayload,
            lambda: service.set_archived(input.code, input.archived, actor_id=info.context.user_id,
                                         idempotency_key=input.idempotency_key),
            lambda row: PartyPayload(party=Party.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.STORES_MANAGE)
    async def create_store(self, info: Info, input: CreateStoreInput) -> StorePayload:
        return await answer(
            StorePayload,
            lambda: stores.create_store(input.code, input.details(), actor_id=info.context.user_id,
                                        idempotency_key=input.idempotency_key),
            lambda row: StorePayload(store=Store.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.STORES_MANAGE)
    async def update_store(self, info: Info, input: UpdateStoreInput) -> StorePayload:
        return await answer(
            StorePayload,
            lambda: stores.update_store(input.code, input.details(), actor_id=info.context.user_id,
                                        idempotency_key=input.idempotency_key),
            lambda row: StorePayload(store=Store.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.STORES_MANAGE)
    async def create_employee(self, info: Info, input: CreateEmployeeInput) -> EmployeePayload:
        return await answer(
            EmployeePayload,
            lambda: employees.create_employee(input.username, input.stores, name=input.name,
                                              actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            lambda row: EmployeePayload(employee=Employee.from_model(row)),
        )  # fmt: skip

    @mutation(Permission.STORES_MANAGE)
    async def update_employee(self, info: Info, input: UpdateEmployeeInput) -> EmployeePayload:
        return await answer(
            EmployeePayload,
            lambda: employees.update_employee(input.username, name=input.name, stores=input.stores,
                                              actor_id=info.context.user_id, idempotency_key=input.idempotency_key),
            lambda row: EmployeePayload(employee=Employee.from_model(row)),
        )  # fmt: skip
