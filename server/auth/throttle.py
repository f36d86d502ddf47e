"""How fast a client may guess passwords, in this process.

Failed logins count per (username, client address), so an attacker elsewhere cannot lock a real
user out: after ``free_failures`` failures of a username from one address, each further attempt
from there must wait twice as long as the one before (1 s, 2 s, 4 s ... up to ``max_delay``).
Failures also count per address across usernames, and an address that fails ``address_limit``
times within the window (trying many usernames) is refused until its oldest failure leaves it.

An attempt counts from the moment it starts, so a burst of concurrent guesses cannot slip past
while their hashes are being checked; a success takes its own attempt back and clears the
username's failures from that address. Unknown usernames count like known ones, so the refusal
tells nothing about which names exist.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from server.errors import DomainError, ErrorCode

K = TypeVar("K")
UNKNOWN_ADDRESS = "-"  # calls from this process (the CLI, tests) have no client address


class TooManyAttempts(DomainError):
    code = ErrorCode.TOO_MANY_ATTEMPTS


@dataclass(frozen=True)
class Attempt:
    username: str
    address: str
    at: float


class _Failures(Generic[K]):
    """Failure times per key within a sliding window, bounded in the number of keys it tracks."""

    def __init__(self, window_seconds: float, max_keys: int) -> None:
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self.times: dict[K, deque[float]] = {}

    def recent(self, key: K, at: float) -> deque[float]:
        times = self.times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= at - self.window_seconds:
            times.popleft()
        if not times:
            del self.times[key]
        return times

    def add(self, key: K, at: float) -> None:
        if key not in self.times and len(self.times) >= self.max_keys:
            self._make_room(at)
        self.times.setdefault(key, deque()).append(at)

    def forget(self, key: K, at: float | None = None) -> None:
        times = self.times.get(key)
        if times is None:
            return
        if at is None:
            times.clear()
        elif at in times:
            times.remove(at)
        if not times:
            del self.times[key]

    def _make_room(self, at: float) -> None:
        for key in list(self.times):
            self.recent(key, at)
        if len(self.times) >= self.max_keys:  # still full: forget the keys tracked longest
            for key in list(self.times)[: max(1, self.max_keys // 10)]:
                del self.times[key]


class LoginThrottle:
    def __init__(
        self,
        *,
        free_failures: int = 5,
        first_delay: float = 1.0,
        max_delay: float = 900.0,
        window_seconds: float = 900.0,
        address_limit: int = 50,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.address_limit = address_limit
        self.clock = clock
        self._by_user: _Failures[tuple[str, str]] = _Failures(window_seconds, max_keys)
        self._by_address: _Failures[str] = _Failures(window_seconds, max_keys)

    @staticmethod
    def _username_key(username: object) -> str:
        # Usernames have at most 150 characters: longer ones exist nowhere and may share one count.
        return username.strip().casefold()[:300] if isinstance(username, str) else ""

    def delay_after(self, failures: int) -> float:
        """How long to wait after the last of ``failures`` failures before the next attempt."""
        if failures < self.free_failures:
            return 0.0
        return min(self.first_delay * 2 ** min(failures - self.free_failures, 32), self.max_delay)

    def begin(self, username: object, address: str | None) -> Attempt:
        """Count an attempt; refuse it while this username or this address must wait."""
        attempt = Attempt(self._username_key(username), address or UNKNOWN_ADDRESS, self.clock())
        pair = (attempt.username, attempt.address)
        failures = self._by_user.recent(pair, attempt.at)
        if failures:
            ready = failures[-1] + self.delay_after(len(failures))
            if attempt.at < ready:
                wait = max(1, math.ceil(ready - attempt.at))
                raise TooManyAttempts(
                    f"Too many failed logins for this username: try again in {wait} seconds.", field="username"
                )
        by_address = self._by_address.recent(attempt.address, attempt.at)
        if len(by_address) >= self.address_limit:
            wait = max(1, math.ceil(by_address[0] + self._by_address.window_seconds - attempt.at))
            raise TooManyAttempts(f"Too many failed logins from this address: try again in {wait} seconds.")
        self._by_user.add(pair, attempt.at)
        self._by_address.add(attempt.address, attempt.at)
        return attempt

    def failures(self, username: str, address: str | None) -> int:
        """How many failures (or attempts in flight) of this username from this address count now."""
        return len(self._by_user.recent((self._username_key(username), address or UNKNOWN_ADDRESS), self.clock()))

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt was right: the username starts afresh from this address."""
        self._by_user.forget((attempt.username, attempt.address))
        self._by_address.forget(attempt.address, attempt.at)

    def clear(self) -> None:
        self._by_user.times.clear()
        self._by_address.times.clear()
