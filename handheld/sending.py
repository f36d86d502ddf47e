"""Keeps the outbox moving: every second, while the server is away, asks (on a thread of its own)
whether it is back, and once it is, sends what waits on the network thread, in order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor

from kivy.clock import Clock
from kivy.logger import Logger

from handheld.logic.courier import REFUSED, SENT, Courier, Delivery
from handheld.logic.session import Session

PROBE_EVERY = 3.0  # seconds between "is the server back?" while offline


class Sender:
    """``on_sent(deliveries)`` on the UI thread after each round of sending."""

    def __init__(
        self,
        courier: Courier,
        session: Session,
        executor: Executor,
        prober: Executor,
        on_sent: Callable[[list[Delivery]], None],
    ) -> None:
        self.courier = courier
        self.session = session
        self._executor = executor
        self._prober = prober
        self._on_sent = on_sent
        self._probing = threading.Event()
        self._sending = False
        self._last_probe = 0.0

    def tick(self) -> None:
        """Called every second while someone works."""
        if not self.session.signed_in:
            return
        if not self.courier.online:
            now = Clock.get_boottime()
            if not self._probing.is_set() and now - self._last_probe >= PROBE_EVERY:
                self._last_probe = now
                self._probing.set()
                self._prober.submit(self._probe_in_background)
        elif not self._sending and self.courier.outbox.waiting(self.courier.server, self.courier.username):
            self.send_now()

    def _probe_in_background(self) -> None:
        try:
            back = self.courier.probe()
        finally:
            self._probing.clear()
        if back:
            Logger.info("Handheld: the server answers again")
            Clock.schedule_once(lambda _dt: self.send_now(), 0)

    def send_now(self) -> None:
        if self._sending:
            return
        self._sending = True
        if not self.courier.online:
            self._last_probe = 0.0  # "Send now" while offline: ask at the next tick

        def in_background() -> None:
            deliveries: list[Delivery] = []
            try:
                self.session.revoke_pending()
                deliveries = self.courier.drain()
            finally:
                Clock.schedule_once(lambda _dt: self._sent(deliveries), 0)

        self._executor.submit(in_background)

    def _sent(self, deliveries: list[Delivery]) -> None:
        self._sending = False
        for delivery in deliveries:
            if delivery.state == SENT:
                again = " (replayed)" if delivery.replayed else ""
                Logger.info(f"Handheld: sent: {delivery.entry.summary}{again}")
            elif delivery.state == REFUSED:
                reason = delivery.error.message if delivery.error else ""
                Logger.info(f"Handheld: refused: {delivery.entry.summary}: {reason}")
        self._on_sent(deliveries)
