"""Payments on sales orders: several per order, by any method, partial, and refunds.

Each payment or refund is a ``sales_payment`` row, written under the order's document lock
(``service.write_document``) in one command with its audit entry and idempotency record. In the same
transaction the order's ``paid`` becomes the sum of its rows (payments less refunds) and its payment
status follows from it: none, partial, paid, or refunded (all that was paid went back).

What is decided here:

- Every payment write takes an idempotency key; a retry replays the first booking. The key is kept on
  the row too, unique per order, so a retry after the key's record has expired, or the same key sent by
  another user, still finds the payment instead of booking it again.
- Over-payment is refused: a payment never takes ``paid`` above the order's total (the change a cashier
  hands back is not a payment). An order amended below what was paid shows a credit (a balance due
  below zero) until the difference is refunded.
- A refund never exceeds what was paid less earlier refunds.
- Payments are taken on draft, confirmed and completed orders (a counter sale is paid before it is
  confirmed); refunds on any order, a cancelled one included: what it was paid goes back.
- Amounts are in the order currency, with at most the currency's minor units (as the order's totals are
  rounded): 10.005 EUR is refused, never rounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from server.clock import today
from server.commands import Command, Write
from server.documents import service
from server.documents.kinds import CONFIRMED, DRAFT, IllegalTransition
from server.documents.models import Document
from server.errors import DomainError, Invalid
from server.idempotency.service import IdempotencyKeyReused, validate_key
from server.money.amounts import MONEY
from server.money.service import currency_places
from server.partners.models import PARTY_CODE
from server.sales.models import PaymentStatus, SalesOrder
from server.sales.orders import COMPLETED, choice, refuse_other_types, value_within
from server.sales.payment_models import PaymentKind, PaymentMethod, SalesPayment
from server.text import Text

REFERENCE = Text("reference", 64)
NOTE = Text("note", 2000, multiline=True)
PAYABLE = frozenset({DRAFT, CONFIRMED, COMPLETED})
ZERO = Decimal("0.0000")


@dataclass(frozen=True)
class BookSalesPayment(Command):
    operation = "sales_payment.book"
    document_id: int
    kind: str
    method: str
    amount: Decimal
    reference: str
    note: str
    key: str  # kept on the row: the same key on the same order is the same payment


@dataclass(frozen=True)
class Booked:
    payment: SalesPayment
    order: Document


async def book_payment(
    document_id: int, amount: object, method: str, *, refund: bool = False, reference: str | None = None,
    note: str | None = None, actor_id: int | None, idempotency_key: str | None,
) -> Booked:  # fmt: skip
    """Book a payment received for an order (``refund``: money paid back), in the order currency; the order's
    paid amount and payment status follow in the same transaction."""
    if idempotency_key is None:
        raise Invalid("A payment takes an idempotency key: money must never be booked twice.",
                      field="idempotencyKey")  # fmt: skip
    key = validate_key(idempotency_key)
    checked = MONEY.parse(amount, field="amount", allow_zero=False)
    kind = PaymentKind.REFUND if refund else PaymentKind.PAYMENT
    given_method = choice(PaymentMethod, method, "method")
    ref = (REFERENCE.optional(reference, "reference") or "") if reference is not None else ""
    text = (NOTE.optional(note, "note") or "") if note is not None else ""
    command = BookSalesPayment(document_id, kind.value, given_method.value, checked, ref, text, key)

    async def run(write: Write, document: Document) -> Document:
        refuse_other_types(document)
        earlier = await SalesPayment.get_or_none(order_id=document.id, idempotency_key=key, using_db=write.conn)
        if earlier is not None:
            _refuse_other_request(earlier, command)
            return document
        await book_within(write, document, kind, given_method, checked, reference=ref, note=text)
        return document

    try:  # the order's refusals (not found, not an order, cancelled) belong to the input that names it
        document = await service.write_document(command, document_id, None, run, actor_id=actor_id,
                                                idempotency_key=key)  # fmt: skip
    except DomainError as error:
        raise (error.at("order") if error.field == "id" else error) from None
    return Booked(await SalesPayment.get(order_id=document.id, idempotency_key=key), document)


def _refuse_other_request(earlier: SalesPayment, command: BookSalesPayment) -> None:
    same = (str(earlier.kind), str(earlier.method), Decimal(earlier.amount), earlier.reference, earlier.note) == (
        command.kind, command.method, command.amount, command.reference, command.note)  # fmt: skip
    if not same:
        raise IdempotencyKeyReused("This idempotency key booked another payment of this order: use a new key.",
                                   field="idempotencyKey")  # fmt: skip


async def book_within(
    write: Write, document: Document, kind: PaymentKind, method: PaymentMethod, amount: Decimal, *,
    reference: str = "", note: str = "",
) -> SalesPayment:  # fmt: skip
    """Book a payment or refund of an order locked by ``write``'s command (a return refunding what it takes
    back, say), and bring the order's paid amount and payment status to the sum of its rows."""
    assert write.idempotency_key is not None, "a payment is booked with an idempotency key"
    conn = write.conn
    currency = document.currency
    places = await currency_places(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(f"An amount in {currency} has at most {places} decimal places.", field="amount")
    paid, _ = await _sums(conn, document.id)
    gross = (await value_within(conn, document)).quantize(Decimal(1).scaleb(-places))
    shown = _in_places(places)
    if kind is PaymentKind.PAYMENT:
        if document.state not in PAYABLE:
            raise IllegalTransition(f"A {document.state} sales order takes no payment.", field="id")
        due = gross - paid
        if amount > due:
            raise Invalid(
                f"Only {shown(max(due, ZERO))} {currency} is due on this order (its total {shown(gross)} less"
                f" {shown(paid)} paid): a payment of {shown(amount)} would pay it more than its total.",
                field="amount",
            )
    elif amount > paid:
        raise Invalid(
            f"At most {shown(paid)} {currency} can be refunded: what was paid less earlier refunds.", field="amount"
        )
    # A customer's prepaid deposit (CRM) will be drawn on here, when ``method`` is the deposit.
    payment = await SalesPayment.create(
        order_id=document.id, kind=kind, method=method, amount=amount, currency=currency, reference=reference,
        note=note, received_on=today(), idempotency_key=write.idempotency_key, created_by_id=write.actor_id,
        using_db=conn,
    )  # fmt: skip
    await settle_within(conn, document)
    return payment


def _in_places(places: int) -> Callable[[Decimal], str]:
    step = Decimal(1).scaleb(-places)
    return lambda value: f"{Decimal(value).quantize(step):f}"


async def _sums(conn: BaseDBAsyncClient, document_id: int) -> tuple[Decimal, Decimal]:
    """What an order was paid (payments less refunds) and what was refunded; summed here, not in SQL, since
    SQLite keeps decimals as text."""
    rows = await SalesPayment.filter(order_id=document_id).using_db(conn).values_list("kind", "amount")
    payments = sum((Decimal(str(amount)) for kind, amount in rows if kind == PaymentKind.PAYMENT), ZERO)
    refunds = sum((Decimal(str(amount)) for kind, amount in rows if kind == PaymentKind.REFUND), ZERO)
    return payments - refunds, refunds


def status_of(paid: Decimal, gross: Decimal, refunded: Decimal) -> PaymentStatus:
    """The payment status of an order with this total: refunded once all that was paid went back."""
    if paid <= 0:
        return PaymentStatus.REFUNDED if refunded > 0 else PaymentStatus.NONE
    return PaymentStatus.PAID if paid >= gross else PaymentStatus.PARTIAL


async def settle_within(conn: BaseDBAsyncClient, document: Document) -> None:
    """Bring a locked order's paid amount and payment status to its payments and what it comes to (call it after
    an amendment or a cancellation changes that, too)."""
    paid, refunded = await _sums(conn, document.id)
    status = status_of(paid, await value_within(conn, document), refunded)
    await SalesOrder.filter(id=document.id).using_db(conn).update(paid=paid, payment=status)


# ---- reads ----


async def payments_of(order_ids: list[int]) -> dict[int, list[SalesPayment]]:
    """Per order, its payments and refunds, oldest first."""
    grouped: dict[int, list[SalesPayment]] = {i: [] for i in order_ids}
    for row in await SalesPayment.filter(order_id__in=order_ids).order_by("order_id", "id").select_related(
        "created_by"
    ):  # fmt: skip
        grouped[row.order_id].append(row)  # type: ignore[attr-defined]
    return grouped


async def payments_by_ids(ids: list[int]) -> list[SalesPayment]:
    return await SalesPayment.filter(id__in=ids).select_related("created_by")


def find_payments(
    *, customer: str | None = None, kind: str | None = None, method: str | None = None,
    received_from: date | None = None, received_to: date | None = None,
) -> QuerySet[SalesPayment]:  # fmt: skip
    """Payments and refunds matching every filter given, oldest first; a value nothing can have finds nothing."""
    query = SalesPayment.all().select_related("created_by")
    nothing = SalesPayment.filter(id__in=[])
    if customer is not None and customer.strip():
        code = PARTY_CODE.key(customer)
        if code is None:
            return nothing
        query = query.filter(order__party__code=code)
    for given, enum, column in ((kind, PaymentKind, "kind"), (method, PaymentMethod, "method")):
        if given is not None:
            if given not in {member.value for member in enum}:
                return nothing
            query = query.filter(**{column: given})
    if received_from is not None:
        query = query.filter(received_on__gte=received_from)
    if received_to is not None:
        query = query.filter(received_on__lte=received_to)
    return query
