"""Everything the handheld says to the server goes through the courier: it knows whether the server
is there, sends the outbox in order, and does not make anyone wait on a server that is away.

Once a request fails for want of an answer (connection refused, a connect or read timeout), the
courier is offline: further lookups fail at once (the screens show cached answers) and writes go
straight into the outbox, until ``probe`` (run on its own thread, every few seconds) gets an answer.
Then ``drain`` sends what waited, oldest first, each with its idempotency key, so a write the
server got before its answer was lost is replayed, not booked twice.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from handheld.client import ClientError, GraphQLClient, GraphQLError, NotSignedIn, Unreachable, UserError, user_errors
from handheld.logic.outbox import Entry, Outbox
from handheld.logic.session import ME, Session

SENT, REFUSED, WAITING = "sent", "refused", "waiting"


class Offline(Unreachable):
    """Not tried: the server was away a moment ago and has not answered a probe since."""


@dataclass(frozen=True)
class Delivery:
    """What became of one outbox entry: ``sent`` (``payload`` is the server's), ``refused`` or ``waiting``."""

    entry: Entry
    state: str
    payload: dict[str, Any] | None = None
    error: UserError | None = None

    @property
    def replayed(self) -> bool:
        return bool(self.payload and self.payload.get("replayed"))


class Courier:
    """The one way to the server for lookups and writes; thread-safe."""

    def __init__(self, session: Session, outbox: Outbox) -> None:
        self.session = session
        self.outbox = outbox
        self.online = True
        self.needs_sign_in = False
        self.problem = ""
        self._lock = threading.RLock()

    @property
    def server(self) -> str:
        return self.session.server_url

    @property
    def username(self) -> str:
        return self.session.username

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Like ``GraphQLClient.execute``, but at once ``Offline`` while the server is away."""
        if not self.online:
            raise Offline(self.problem or "The server is not answering.")
        try:
            data = self._client().execute(document, variables)
        except Unreachable as error:
            self._went_offline(error.message)
            raise
        except NotSignedIn:
            self.needs_sign_in = True
            raise
        return data

    def _client(self) -> GraphQLClient:
        if not self.session.signed_in:
            raise NotSignedIn([{"message": "Sign in first."}])
        return self.session.client

    def _went_offline(self, problem: str) -> None:
        with self._lock:
            self.online = False
            self.problem = problem

    def probe(self) -> bool:
        """Is the server back? Asked on a thread of its own, so no scan waits for the answer."""
        try:
            self._client().execute(ME)
        except NotSignedIn:
            self.needs_sign_in = True
        except ClientError as error:
            self._went_offline(error.message)
            return False
        with self._lock:
            self.online, self.problem = True, ""
        return True

    def signed_in_again(self) -> None:
        with self._lock:
            self.needs_sign_in = False
            self.online, self.problem = True, ""

    def banner(self) -> tuple[str, bool]:
        """What the banner says about the outbox and the server (empty when all is well); True for an error."""
        waiting, refused = self.outbox.counts()
        if refused:
            return f"{refused} refused by the server: tap to fix" + (f" · {waiting} waiting" if waiting else ""), True
        if not self.online:
            return (f"Offline, {waiting} waiting" if waiting else "Offline: answers are from memory"), False
        return (f"{waiting} waiting to send" if waiting else ""), False

    def write(self, operation: str, input: dict[str, Any], summary: str) -> Delivery:
        """Put a write into the outbox, then send the outbox (this write last); what became of it."""
        return self.send(operation, input, summary)[0]

    def send(self, operation: str, input: dict[str, Any], summary: str) -> tuple[Delivery, list[Delivery]]:
        """Like ``write``, and also what became of the entries that waited before it (sent in the same go)."""
        entry = self.outbox.add(self.server, self.username, operation, input, summary)
        deliveries = self.drain()
        mine = next((delivery for delivery in deliveries if delivery.entry.id == entry.id), Delivery(entry, WAITING))
        return mine, deliveries

    def keep_scan(self, scan: dict[str, Any], summary: str) -> Entry:
        """A lookup that did not reach the server: sent later, for the server's scan log."""
        return self.outbox.add(self.server, self.username, "scanBarcode", scan, summary)

    def drain(self) -> list[Delivery]:
        """Send this user's waiting entries in order; stop at the first that gets no answer."""
        deliveries: list[Delivery] = []
        with self._lock:
            if not self.online or self.needs_sign_in or not self.session.signed_in:
                return deliveries
            for entry in self.outbox.waiting(self.server, self.username):
                delivery = self._send(entry)
                deliveries.append(delivery)
                if delivery.state == WAITING:
                    break
        return deliveries

    def _send(self, entry: Entry) -> Delivery:
        self.outbox.attempted(entry.id)
        try:
            data = self.execute(entry.document, entry.variables)
        except (Unreachable, NotSignedIn):
            return Delivery(entry, WAITING)
        except GraphQLError as error:  # the server could not take the request at all: no use repeating it
            refusal = UserError(next(iter(error.codes), "ERROR"), error.message)
            self.outbox.refused(entry.id, refusal)
            return Delivery(entry, REFUSED, error=refusal)
        except ClientError as error:
            self._went_offline(error.message)
            return Delivery(entry, WAITING)
        payload = data.get(entry.operation) or {}
        errors = user_errors(payload)
        if errors:
            self.outbox.refused(entry.id, errors[0])
            return Delivery(entry, REFUSED, payload, errors[0])
        self.outbox.sent(entry.id)
        return Delivery(entry, SENT, payload)
