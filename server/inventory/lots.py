"""Lots and their dates: what a receipt may say of a lot, and who may take one past its removal date.

A lot keeps the dates it first came with (expiry, best-before, removal, alert); a later receipt
naming other dates is refused rather than silently changing stock already on the shelf. Its
removal date is its expiry unless given: past it (``removal_on < today``) the lot is never
suggested or reserved, and taking it by naming it needs ``stock.take_expired``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient

from server.auth.models import User
from server.auth.permissions import Permission
from server.clock import today
from server.errors import DomainError, Field, Invalid, ManyErrors
from server.inventory.errors import LotExpired
from server.inventory.locations import VIRTUAL_LOCATIONS
from server.inventory.models import LocationKind, Lot

if TYPE_CHECKING:
    from server.inventory.posting import Entry


@dataclass(frozen=True)
class LotDates:
    """The dates a receipt gives its lot; None says nothing (the lot's own, or none for a new lot)."""

    expires_on: date | None = None
    best_before_on: date | None = None
    removal_on: date | None = None
    alert_on: date | None = None

    @property
    def given(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def for_new_lot(self) -> LotDates:
        """What a new lot is created with: the removal date defaults to the expiry."""
        removal_on = self.removal_on if self.removal_on is not None else self.expires_on
        return LotDates(self.expires_on, self.best_before_on, removal_on, self.alert_on)

    def conflicts(self, stored: LotDates, lot_code: str) -> list[DomainError]:
        """A date this receipt gives that differs from the lot's own, each at its input field."""
        return [
            Invalid(
                f"The lot {lot_code} is recorded with {_TITLES[f.name]} {getattr(stored, f.name)}, not {given}.",
                field=_INPUT_NAMES[f.name],
            )
            for f in fields(self)
            if (given := getattr(self, f.name)) is not None and getattr(stored, f.name) != given
        ]


# Columns of the lot table, in the order of ``LotDates``.
DATE_COLUMNS = tuple(f.name for f in fields(LotDates))
_INPUT_NAMES = {"expires_on": "expiresOn", "best_before_on": "bestBeforeOn", "removal_on": "removalOn",
                "alert_on": "alertOn"}  # fmt: skip
_TITLES = {"expires_on": "expiry", "best_before_on": "best-before date", "removal_on": "removal date",
           "alert_on": "alert date"}  # fmt: skip


_SCRAP = VIRTUAL_LOCATIONS[LocationKind.SCRAP][0]  # the scrap location's code


def scraps(entry: Entry) -> bool:
    """Whether the entry sends stock to the scrap location, whatever the reason it gives."""
    return entry.target.code == _SCRAP


def refuse_dates_without_lot(dates: LotDates) -> None:
    """Dates belong to a lot: a receipt giving one without a lot says something it cannot mean."""
    for f in fields(dates):
        if getattr(dates, f.name) is not None:
            raise Invalid(f"The {_TITLES[f.name]} belongs to a lot: give the lot it is printed with.",
                          field=_INPUT_NAMES[f.name])  # fmt: skip


def past_removal(removal_on: date | None) -> bool:
    return removal_on is not None and removal_on < today()


async def refuse_taking_expired(
    conn: BaseDBAsyncClient, entries: list[Entry], actor_id: int | None, *, at: list[Field]
) -> None:
    """Refuse entries that take a lot past its removal date by naming it, unless the actor may.

    A count (``adjust``) and scrapping are exempt: they are how expired stock leaves the shelf.
    ``at[i]`` is where entry ``i``'s error is told. The actor's permission is read only when an
    expired lot is met, so the postings of fresh stock pay nothing for this rule.
    """
    taking = [
        (index, entry)
        for index, entry in enumerate(entries)
        if entry.lot is not None and entry.source.holds_stock and entry.kind != "adjust"
        and past_removal(entry.lot.removal_on) and not scraps(entry)
    ]  # fmt: skip
    if not taking or await actor_may(conn, actor_id, Permission.STOCK_TAKE_EXPIRED):
        return
    problems: list[DomainError] = [
        LotExpired(
            f"The lot {entry.lot.code} of {entry.product.sku} is past its removal date ({entry.lot.removal_on}):"
            " taking it needs the permission stock.take_expired (or scrap it).",
            field=at[index],
        )
        for index, entry in taking
        if entry.lot is not None
    ]
    if len(problems) == 1:
        raise problems[0]
    raise ManyErrors(problems)


async def refuse_moving_expired(
    conn: BaseDBAsyncClient, what: str, removal_on_by_lot: dict[int, date | None], actor_id: int | None, *, at: Field
) -> None:
    """A package holding a lot past its removal date moves only for an actor who may take expired
    stock, as a move of that lot out of its bin would (``refuse_taking_expired``)."""
    expired = sorted(lot_id for lot_id, removal_on in removal_on_by_lot.items() if past_removal(removal_on))
    if not expired or await actor_may(conn, actor_id, Permission.STOCK_TAKE_EXPIRED):
        return
    codes = ", ".join(lot.code for lot in await Lot.filter(id__in=expired).using_db(conn).order_by("code"))
    raise LotExpired(
        f"The {what} holds stock past its removal date (lot {codes}): moving it needs the permission"
        " stock.take_expired (or unpack and scrap that stock).",
        field=at,
    )


async def actor_may(conn: BaseDBAsyncClient, actor_id: int | None, permission: Permission) -> bool:
    """Whether the user's role grants ``permission`` (read in the posting's transaction); nobody's does not."""
    if actor_id is None:
        return False
    user = await User.filter(id=actor_id).using_db(conn).select_related("role").first()
    return user is not None and user.is_active and str(permission) in user.role.permissions


async def lots_by_ids(ids: list[int]) -> list[Lot]:
    return await Lot.filter(id__in=ids)
