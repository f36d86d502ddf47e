"""How fast a client may guess passwords, in this process.

Failed logins count per (username, client address), so an attacker elsewhere cannot lock a real
user out: after ``free_failures`` failures of a username from one address, each further attempt
from there must wait twice as long as the one before (1 s, 2 s, 4 s ... up to ``max_delay``). The
count is forgotten only after ``forget_after`` without a failure, so the delay keeps growing
however slowly someone guesses. Failures also count per address across usernames, and an address
that fails ``address_limit`` times within ``window_seconds`` (trying many usernames) is refused
until its oldest failure leaves the window. An IPv6 client is counted by its /64 network, which
one subscriber holds whole.

An attempt counts from the moment it starts, so a burst of concurrent guesses cannot slip past
while their hashes are being checked; a success takes its own attempt back and clears the
username's failures from that address. Unknown usernames count like known ones, so the refusal
tells nothing about which names exist.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from server.errors import DomainError, ErrorCode

UNKNOWN_ADDRESS = "-"  # calls from this process (the CLI, tests) have no client address


class TooManyAttempts(DomainError):
    code = ErrorCode.TOO_MANY_ATTEMPTS


@dataclass(frozen=True)
class Attempt:
    username: str
    address: str
    at: float


@dataclass
class _Streak:
    """Failures of one username from one address: how many, and when the last one began."""

    failures: int
    last: float


def client_key(address: str | None) -> str:
    """The address a count belongs to: an IPv4 address, an IPv6 /64 network, or UNKNOWN_ADDRESS."""
    if not address:
        return UNKNOWN_ADDRESS
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]  # not an IP (a unix socket's path, a test client): counted as given
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 5,
        first_delay: float = 1.0,
        max_delay: float = 900.0,
        forget_after: float = 3600.0,
        window_seconds: float = 900.0,
        address_limit: int = 50,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.forget_after = max(forget_after, max_delay)
        self.window_seconds = window_seconds
        self.address_limit = address_limit
        self.max_keys = max_keys
        self.clock = clock
        self._streaks: dict[tuple[str, str], _Streak] = {}
        self._by_address: dict[str, deque[float]] = {}

    @staticmethod
    def _username_key(username: object) -> str:
        # Usernames have at most 150 characters: longer ones exist nowhere and may share one count.
        return username.strip().casefold()[:300] if isinstance(username, str) else ""

    def delay_after(self, failures: int) -> float:
        """How long to wait after the last of ``failures`` failures before the next attempt."""
        if failures < self.free_failures:
            return 0.0
        return min(self.first_delay * 2 ** min(failures - self.free_failures, 32), self.max_delay)

    def _streak(self, pair: tuple[str, str], at: float) -> _Streak | None:
        streak = self._streaks.get(pair)
        if streak is not None and at - streak.last > self.forget_after:
            del self._streaks[pair]
            return None
        return streak

    def _recent(self, address: str, at: float) -> deque[float]:
        times = self._by_address.get(address)
        if times is None:
            return deque()
        while times and times[0] <= at - self.window_seconds:
            times.popleft()
        if not times:
            del self._by_address[address]
        return times

    def begin(self, username: object, address: str | None) -> Attempt:
        """Count an attempt; refuse it while this username or this address must wait."""
        attempt = Attempt(self._username_key(username), client_key(address), self.clock())
        pair = (attempt.username, attempt.address)
        streak = self._streak(pair, attempt.at)
        if streak is not None:
            ready = streak.last + self.delay_after(streak.failures)
            if attempt.at < ready:
                wait = max(1, math.ceil(ready - attempt.at))
                raise TooManyAttempts(
                    f"Too many failed logins for this username: try again in {wait} seconds.", field="username"
                )
        by_address = self._recent(attempt.address, attempt.at)
        if len(by_address) >= self.address_limit:
            wait = max(1, math.ceil(by_address[0] + self.window_seconds - attempt.at))
            raise TooManyAttempts(f"Too many failed logins from this address: try again in {wait} seconds.")
        self._make_room(attempt.at)
        if streak is None:
            self._streaks[pair] = _Streak(1, attempt.at)
        else:
            streak.failures, streak.last = streak.failures + 1, attempt.at
        self._by_address.setdefault(attempt.address, deque()).append(attempt.at)
        return attempt

    def failures(self, username: str, address: str | None) -> int:
        """How many failures (or attempts in flight) of this username from this address count now."""
        streak = self._streak((self._username_key(username), client_key(address)), self.clock())
        return streak.failures if streak else 0

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt was right: the username starts afresh from this address."""
        self._streaks.pop((attempt.username, attempt.address), None)
        times = self._by_address.get(attempt.address)
        if times is not None and attempt.at in times:
            times.remove(attempt.at)

    def _make_room(self, at: float) -> None:
        """Keep memory bounded. Forgotten first: what has expired; then the streaks with the fewest
        failures, so an attacker churning through names cannot wash out the count it is held to."""
        if len(self._streaks) >= self.max_keys:
            for pair in [p for p, s in self._streaks.items() if at - s.last > self.forget_after]:
                del self._streaks[pair]
        if len(self._streaks) >= self.max_keys:
            by_weight = sorted(self._streaks, key=lambda p: (self._streaks[p].failures, self._streaks[p].last))
            for pair in by_weight[: max(1, self.max_keys // 10)]:
                del self._streaks[pair]
        if len(self._by_address) >= self.max_keys:
            for address in list(self._by_address):
                self._recent(address, at)
        if len(self._by_address) >= self.max_keys:
            for address in list(self._by_address)[: max(1, self.max_keys // 10)]:
                del self._by_address[address]

    def clear(self) -> None:
        self._streaks.clear()
        self._by_address.clear()
