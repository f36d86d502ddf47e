"""Who works on this device, against which server and warehouse: sign in, resume after a restart,
sign out (the server revokes the token).

Plain Python, no Kivy. The server, device name, warehouse, username and token are kept in the
device's store, so a restart resumes the shift; an ``STOREKEEPER_HANDHELD_*`` variable, when set,
wins over what is stored.
"""

from __future__ import annotations

import codecs
import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from handheld.client import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    ClientError,
    GraphQLClient,
    InvalidServerURL,
    NotSignedIn,
    Unreachable,
    normalize_server_url,
    user_errors,
)
from handheld.logic.capture import ScannerSetup
from handheld.logic.store import DeviceStore

DEFAULT_SERVER_URL = "http://127.0.0.1:8000"

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token errors { field code message } }
}
"""
LOGOUT = "mutation Logout { logout }"
ME = "query Me { me { username } }"
SESSION_END = "query SessionEnd { me { expiresAt } }"
RENEW = "mutation Renew { renewSession { token expiresAt errors { field code message } } }"
# Renew when less than this is left: a shift outlasts a session, and a device may be offline a while.
RENEW_WITHIN = timedelta(hours=4)
WAREHOUSES = "query Warehouses { warehouses(first: 50) { edges { node { code name } } } }"
# Tokens whose logout the server has not heard yet (signed out while it was away).
TO_REVOKE = "tokens_to_revoke"


def _unescaped(value: str) -> str:
    # A prefix or suffix may be a control character: STOREKEEPER_HANDHELD_SCAN_PREFIX='\x02'.
    return codecs.decode(value, "unicode_escape") if "\\" in value else value


def _seconds(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


@dataclass(frozen=True)
class HandheldConfig:
    """What the handheld reads from ``STOREKEEPER_HANDHELD_*`` variables ("" where one is not set)."""

    server_url: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    device: str = ""
    warehouse: str = ""
    home: str = ""
    scanner: ScannerSetup = field(default_factory=ScannerSetup)
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandheldConfig:
        env = os.environ if env is None else env
        prefix = "STOREKEEPER_HANDHELD_"
        return cls(
            server_url=env.get(prefix + "SERVER", ""),
            username=env.get(prefix + "USERNAME", ""),
            password=env.get(prefix + "PASSWORD", ""),
            device=env.get(prefix + "DEVICE", ""),
            warehouse=env.get(prefix + "WAREHOUSE", "").strip().upper(),
            home=env.get(prefix + "HOME", ""),
            scanner=ScannerSetup(
                prefix=_unescaped(env.get(prefix + "SCAN_PREFIX", "")),
                suffix=_unescaped(env.get(prefix + "SCAN_SUFFIX", "")),
                gs_standin=_unescaped(env.get(prefix + "GS", "")),
            ),
            connect_timeout=_seconds(env.get(prefix + "CONNECT_TIMEOUT"), CONNECT_TIMEOUT),
            read_timeout=_seconds(env.get(prefix + "READ_TIMEOUT"), READ_TIMEOUT),
        )


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one sign-in attempt; ``field`` names the form field to blame, if any.

    Once signed in, ``warehouses`` lists the ones to choose from when none is chosen yet.
    """

    ok: bool
    message: str
    field: str | None = None
    warehouses: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Resumed:
    """What a restart found: ``signed_in`` (``offline`` when the server could not confirm it)."""

    signed_in: bool
    offline: bool = False
    message: str = ""


ClientFactory = Callable[..., GraphQLClient]


class Session:
    """Who is signed in, on which server and warehouse; hands out the client that carries the token."""

    def __init__(
        self,
        config: HandheldConfig | None = None,
        store: DeviceStore | None = None,
        *,
        client_factory: ClientFactory = GraphQLClient,
    ) -> None:
        self.config = config or HandheldConfig()
        self.store = store or DeviceStore.memory()
        self._client_factory = client_factory
        self._client: GraphQLClient | None = None

    # What the device remembers: the environment first, then the store.
    @property
    def server_url(self) -> str:
        return self.config.server_url or self.store.get("server_url") or DEFAULT_SERVER_URL

    @property
    def username(self) -> str:
        return self.config.username or self.store.get("username") or ""

    @property
    def device(self) -> str:
        return self.config.device or self.store.get("device") or platform.node() or "handheld"

    @property
    def warehouse(self) -> str:
        return self.store.get("warehouse") or self.config.warehouse

    @property
    def signed_in(self) -> bool:
        return self._client is not None and self._client.token is not None

    @property
    def client(self) -> GraphQLClient:
        if self._client is None or self._client.token is None:
            raise RuntimeError("not signed in")
        return self._client

    def _new_client(self, server_url: str, token: str | None = None) -> GraphQLClient:
        return self._client_factory(
            server_url, token=token, device=self.device,
            connect_timeout=self.config.connect_timeout, read_timeout=self.config.read_timeout,
        )  # fmt: skip

    def sign_in(self, server_url: str, username: str, password: str) -> SignInResult:
        """Log in with the form's values; never raises for a user or network mistake."""
        self._forget_client()
        username = username.strip()
        if not username:
            return SignInResult(False, "Enter your username.", "username")
        if not password:
            return SignInResult(False, "Enter your password.", "password")
        try:
            client = self._new_client(server_url)
        except ClientError as error:
            return SignInResult(False, error.message, "server_url")
        try:
            data = client.execute(LOGIN, {"input": {"username": username, "password": password}})
        except ClientError as error:
            client.close()
            return SignInResult(False, error.message, "server_url")
        payload = data.get("login") or {}
        token = payload.get("token")
        if not token:
            client.close()
            errors = user_errors(payload)
            if errors:
                return SignInResult(False, errors[0].message, errors[0].field_name)
            return SignInResult(False, "Sign-in failed.")
        client.token = token
        self._client = client
        if client.server_url != self.store.get("server_url") or username != self.store.get("username"):
            self.store.put("warehouse", None)  # another server or person: choose again
        for name, value in (("server_url", client.server_url), ("username", username), ("token", token)):
            self.store.put(name, value)
        self.store.put("device", self.device)
        warehouses = self.warehouses()
        codes = [code for code, _ in warehouses]
        wanted = self.warehouse if self.warehouse in codes else (codes[0] if len(codes) == 1 else "")
        self.store.put("warehouse", wanted or None)
        if wanted:
            return SignInResult(True, f"Signed in as {username} in {wanted}.")
        return SignInResult(True, f"Signed in as {username}: choose the warehouse.", warehouses=warehouses)

    def warehouses(self) -> tuple[tuple[str, str], ...]:
        """(code, name) of the warehouses the server has (none when it cannot say)."""
        try:
            edges = self.client.execute(WAREHOUSES).get("warehouses", {}).get("edges") or []
        except ClientError:
            return ()
        return tuple((edge["node"]["code"], edge["node"].get("name") or "") for edge in edges if edge.get("node"))

    def choose_warehouse(self, code: str) -> None:
        self.store.put("warehouse", code.strip().upper() or None)

    def resume(self) -> Resumed:
        """After a restart: carry on with the stored token if the server still takes it.

        When the server cannot be reached, the shift goes on offline with that token (writes wait in
        the outbox); when it refuses the token, the person signs in again (their username is kept).
        """
        token, stored_server = self.store.get("token"), self.store.get("server_url")
        if not token or not stored_server or not self.username or not self.warehouse:
            return Resumed(False)
        try:
            if self.config.server_url and normalize_server_url(self.config.server_url) != stored_server:
                return Resumed(False)  # the device was pointed at another server
            client = self._new_client(stored_server, token)
        except ClientError:
            return Resumed(False)
        try:
            client.execute(ME)
        except NotSignedIn:
            client.close()
            self.store.put("token", None)
            return Resumed(False, message="Your session has ended: enter your password to go on.")
        except Unreachable as error:
            self._client = client
            return Resumed(True, offline=True, message=error.message)
        except ClientError:
            client.close()
            return Resumed(False)
        self._client = client
        return Resumed(True)

    def renew_if_due(self, now: datetime | None = None) -> bool:
        """Trade the token for a new one when it ends within ``RENEW_WITHIN``; True when renewed.

        Asked on resume and every few minutes by the app. Offline it waits for the next chance; the
        server keeps the old token working two minutes after a renewal, so an answer lost on the way
        is asked for again with the token still held here.
        """
        if self._client is None or self._client.token is None:
            return False
        try:
            ends = (self._client.execute(SESSION_END).get("me") or {}).get("expiresAt")
            if not ends or datetime.fromisoformat(ends) - (now or datetime.now(UTC)) > RENEW_WITHIN:
                return False
            payload = self._client.execute(RENEW)["renewSession"]
        except ClientError:
            return False
        if not payload.get("token"):
            return False
        self._client.token = payload["token"]
        self.store.put("token", payload["token"])
        return True

    def expired(self) -> None:
        """The server refused the token: forget it, keep who and where."""
        self._forget_client()
        self.store.put("token", None)

    def sign_out(self) -> str:
        """End the session on the server too; while it is away, it is told on the next chance."""
        client, self._client = self._client, None
        self.store.put("token", None)
        if client is None or client.token is None:
            return "Signed out."
        try:
            client.execute(LOGOUT)
            return "Signed out."
        except NotSignedIn:
            return "Signed out."
        except ClientError:
            self.store.put_list(TO_REVOKE, [*self.store.get_list(TO_REVOKE), f"{client.server_url} {client.token}"])
            return "Signed out on this device; the server is told when it answers again."
        finally:
            client.close()

    def revoke_pending(self) -> int:
        """Tell the server about sign-outs it missed; how many are still to tell."""
        left = []
        for item in self.store.get_list(TO_REVOKE):
            server_url, _, token = item.partition(" ")
            try:
                with self._new_client(server_url, token) as client:
                    client.execute(LOGOUT)
            except (NotSignedIn, InvalidServerURL):
                pass  # already over, or nothing to tell
            except ClientError:
                left.append(item)
        self.store.put_list(TO_REVOKE, left)
        return len(left)

    def close(self) -> None:
        """Let go of the connection (the session stays valid on the server and in the store)."""
        self._forget_client()

    def _forget_client(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
