"""What a document type declares: its states, its transitions, and what happens when it is posted.

A later area (purchase orders, receipts, invoices) is a ``DocumentKind`` and a posting function;
the kernel does the rest (numbers, approval, versions, totals, audit, events, PDF, mail).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from server.errors import DomainError, ErrorCode, Invalid
from server.partners.models import PartyRole
from server.text import shown

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

    from server.commands import Write
    from server.documents.models import Document, DocumentLine

DRAFT, CONFIRMED, DONE, CANCELLED = "draft", "confirmed", "done", "cancelled"


class IllegalTransition(DomainError):
    code = ErrorCode.ILLEGAL_TRANSITION


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str


# What posting a document does inside the transition's transaction (book stock, say).
Poster = Callable[["Write", "Document", "list[DocumentLine]"], Awaitable[None]]
# What an area checks before any action on its locked document, generic or its own (a purchase order with a
# bill is not cancelled): it raises a DomainError to refuse. Called with the action's name.
Guard = Callable[["Write", "Document", str], Awaitable[None]]
# What an area prints under the document's date beyond the kernel's columns ("Valid until: ..."), as lines.
PrintedDetails = Callable[["BaseDBAsyncClient", "Document"], Awaitable[list[str]]]


@dataclass(frozen=True)
class DocumentKind:
    type: str  # "stock.inbound"
    title: str  # printed on the PDF
    prefix: str  # of the default number series: IN-{store}-{year}-{seq:05}
    transitions: tuple[Transition, ...]
    initial: str = DRAFT
    editable: frozenset[str] = frozenset({DRAFT})
    confirm: str = "confirm"  # the action that checks approval rules and fixes the exchange rate
    post: str = "post"  # the action that numbers a gapless series and runs ``poster``
    poster: Poster | None = None
    party_role: PartyRole | None = None  # the role the party must have, when the type has one
    party_required: bool = False
    purchase: bool = False  # prices from supplier price lists (True) or sales price lists
    reasons: tuple[str, ...] = ()  # allowed values of ``reason``; the first is the default
    lines_need_location: bool = False
    lines_need_target: bool = False  # each line names where the stock goes (``to_location``): a transfer's
    # Actions that take input the generic transition does not carry (what a transfer's receipt brought):
    # their area runs them through ``service.transition`` with what they book, the generic one refuses them.
    own_actions: frozenset[str] = frozenset()
    reversed_as: str | None = None  # the type of the document that reverses a posted one
    # The mutation that makes documents of this type, when they carry more than the kernel's tables hold
    # (a purchase order's warehouse): the generic createDocument refuses them and names it.
    made_by: str | None = None
    # Numbered when made (its default series may have gaps), not when first posted: a purchase order
    # needs its number before the supplier sees it.
    numbered_when_made: bool = False
    guard: Guard | None = None
    printed_details: PrintedDetails | None = None
    priced: bool = True  # False: its PDF shows no prices or totals (a request for quotation asks for them)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def states(self) -> tuple[str, ...]:
        seen = [self.initial]
        for transition in self.transitions:
            for state in (*sorted(transition.sources), transition.target):
                if state not in seen:
                    seen.append(state)
        return tuple(seen)

    def target_of(self, state: str, action: str) -> str:
        """Where ``action`` takes a document in ``state``; ILLEGAL_TRANSITION when it cannot."""
        for transition in self.transitions:
            if transition.action == action and state in transition.sources:
                return transition.target
        allowed = ", ".join(self.actions_from(state)) or "none"
        raise IllegalTransition(
            f"A {state} {self.title.lower()} cannot {shown(action, 30)}: the actions allowed now are {allowed}.",
            field="action",
        )

    def actions_from(self, state: str) -> list[str]:
        return [t.action for t in self.transitions if state in t.sources]


_KINDS: dict[str, DocumentKind] = {}
MAX_STATES = MAX_REASONS = 16  # what a type may declare (the API's list caps rely on it)


def register(kind: DocumentKind) -> DocumentKind:
    assert kind.type not in _KINDS, f"{kind.type} is declared twice"
    assert len(kind.states) <= MAX_STATES and len(kind.transitions) <= MAX_STATES and len(kind.reasons) <= MAX_REASONS
    _KINDS[kind.type] = kind
    return kind


def _declared() -> None:
    """Every area's kinds, declared on first use (``server.documents.registry``): not when this module or the
    kernel's service is imported, since the areas import the kernel and each other while they load."""
    from server.documents import registry

    registry.load()


def kind_of(document_type: str, *, field: str = "type") -> DocumentKind:
    _declared()
    if document_type not in _KINDS:
        known = ", ".join(sorted(_KINDS))
        raise Invalid(f"There is no document type {shown(document_type, 40)}; the types are {known}.", field=field)
    return _KINDS[document_type]


def all_kinds() -> list[DocumentKind]:
    _declared()
    return [_KINDS[name] for name in sorted(_KINDS)]


def simple_flow(*, cancellable_from: frozenset[str] = frozenset({DRAFT, CONFIRMED})) -> tuple[Transition, ...]:
    """draft → confirmed → done, and cancelled from draft or confirmed; back to draft from confirmed."""
    return (
        Transition("confirm", frozenset({DRAFT}), CONFIRMED),
        Transition("reopen", frozenset({CONFIRMED}), DRAFT),
        Transition("post", frozenset({CONFIRMED}), DONE),
        Transition("cancel", cancellable_from, CANCELLED),
    )
