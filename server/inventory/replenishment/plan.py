"""What to refill: pure decisions over what ``stock`` read, so they read (and test) without a database.

A pick bin needs a refill when its level (on hand plus what is on its way to it) is at or below its
minimum: enough to bring the level to its maximum. The refill comes from reserve stock in the order of the
product's removal strategy (FEFO, FIFO, closest to the pick bin), never more than is free there (on hand
less reserved less what open transfers will take out); what reserve lacks is the refill's ``short``.
Pick bins share the reserve: a bin refilled first leaves less for the next, in the order given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from server.inventory.removal import Candidate, RemovalStrategy, ordered

ZERO = Decimal("0.0000")


@dataclass(frozen=True)
class PickFace:
    """A rule with its pick bin's stock: where a product is picked and the level it is kept at."""

    rule_id: int
    location_id: int
    location_code: str
    path: str
    product_id: int
    sku: str
    minimum: Decimal
    maximum: Decimal
    on_hand: Decimal
    on_the_way: Decimal  # open transfers into the bin this run did not make
    source_path: str  # the subtree refills come from: the rule's source, else the whole warehouse
    strategy: RemovalStrategy
    # Units the bin can still take, every product together (None: no unit limit): a bin's limit set after its
    # rule caps the refill, which the posting would refuse above it.
    room: Decimal | None = None

    @property
    def level(self) -> Decimal:
        return self.on_hand + self.on_the_way

    @property
    def need(self) -> Decimal:
        if self.level > self.minimum:
            return ZERO
        wanted = self.maximum - self.level
        return max(min(wanted, self.room), ZERO) if self.room is not None else wanted


@dataclass(frozen=True)
class Outgoing:
    """What an open transfer will take out of a bin: of one lot, or (``lot_code`` None) as the posting picks."""

    location_id: int
    product_id: int
    lot_code: str | None
    quantity: Decimal


@dataclass(frozen=True)
class Portion:
    source_id: int
    source_code: str
    lot_code: str | None
    quantity: Decimal


@dataclass(frozen=True)
class Refill:
    face: PickFace
    portions: tuple[Portion, ...]
    short: Decimal  # what the reserve could not give of the need

    @property
    def quantity(self) -> Decimal:
        return sum((portion.quantity for portion in self.portions), ZERO)


def free_stock(reserve: dict[int, list[Candidate]], outgoing: Iterable[Outgoing]) -> dict[int, Decimal]:
    """What each reserve quant can still give, by quant id: available less what open transfers will take out
    of it. A transfer naming no lot takes as its posting would: the first to expire, else the oldest, first."""
    free = {c.quant_id: c.available for candidates in reserve.values() for c in candidates}
    for out in outgoing:
        in_bin = [c for c in reserve.get(out.product_id, ()) if c.location_id == out.location_id]
        if out.lot_code is not None:
            in_bin = [c for c in in_bin if c.lot_code == out.lot_code]
        remaining = out.quantity
        for candidate in ordered(in_bin, RemovalStrategy.FEFO, ""):  # without dates FEFO is FIFO
            take = min(free[candidate.quant_id], remaining)
            free[candidate.quant_id] -= take
            remaining -= take
    return free


def plan(
    faces: list[PickFace], reserve: dict[int, list[Candidate]], outgoing: list[Outgoing], day: date
) -> list[Refill]:
    """The refill of every face that needs one, in the order of ``faces``; ``reserve``: the quants refills may
    come from, by product."""
    left = free_stock(reserve, outgoing)
    pick_bins: dict[int, set[int]] = defaultdict(set)
    for face in faces:
        pick_bins[face.product_id].add(face.location_id)
    refills = []
    for face in faces:
        need = face.need
        if need <= 0:
            continue
        usable = [
            c for c in reserve.get(face.product_id, ())
            if c.path.startswith(face.source_path) and c.location_id not in pick_bins[face.product_id]
            and c.eligible(None, day)
        ]  # fmt: skip
        portions, remaining = [], need
        for candidate in ordered(usable, face.strategy, face.path):
            take = min(left[candidate.quant_id], remaining)
            if take > 0:
                portions.append(Portion(candidate.location_id, candidate.location_code, candidate.lot_code, take))
                left[candidate.quant_id] -= take
                remaining -= take
            if remaining == 0:
                break
        refills.append(Refill(face, tuple(portions), remaining))
    return refills
