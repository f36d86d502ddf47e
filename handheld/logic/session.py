"""The sign-in flow: settings from the environment, the login mutation, the signed-in client.

Plain Python, no Kivy: the login screen only forwards the form and shows the result.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from handheld.client import ClientError, GraphQLClient

DEFAULT_SERVER_URL = "http://127.0.0.1:8000"

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token errors { field code message } }
}
"""


@dataclass(frozen=True)
class HandheldConfig:
    """What the handheld reads from ``STOREKEEPER_HANDHELD_*`` variables."""

    server_url: str = DEFAULT_SERVER_URL
    username: str = ""
    password: str = field(default="", repr=False)
    device: str = field(default_factory=lambda: platform.node() or "handheld")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandheldConfig:
        env = os.environ if env is None else env
        return cls(
            server_url=env.get("STOREKEEPER_HANDHELD_SERVER") or DEFAULT_SERVER_URL,
            username=env.get("STOREKEEPER_HANDHELD_USERNAME", ""),
            password=env.get("STOREKEEPER_HANDHELD_PASSWORD", ""),
            device=env.get("STOREKEEPER_HANDHELD_DEVICE") or platform.node() or "handheld",
        )


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one sign-in attempt; ``field`` names the form field to blame, if any."""

    ok: bool
    message: str
    field: str | None = None


ClientFactory = Callable[..., GraphQLClient]


class Session:
    """Who is signed in, on which server; hands out the client that carries the token."""

    def __init__(self, config: HandheldConfig | None = None, *, client_factory: ClientFactory = GraphQLClient) -> None:
        self.config = config or HandheldConfig()
        self._client_factory = client_factory
        self._client: GraphQLClient | None = None
        self.username: str | None = None

    @property
    def signed_in(self) -> bool:
        return self._client is not None and self._client.token is not None

    @property
    def client(self) -> GraphQLClient:
        if self._client is None or self._client.token is None:
            raise RuntimeError("not signed in")
        return self._client

    @property
    def server_url(self) -> str | None:
        return self._client.server_url if self._client else None

    def sign_in(self, server_url: str, username: str, password: str) -> SignInResult:
        """Log in with the form's values; never raises for a user or network mistake."""
        self.sign_out()
        username = username.strip()
        if not username:
            return SignInResult(False, "Enter your username.", "username")
        if not password:
            return SignInResult(False, "Enter your password.", "password")
        try:
            client = self._client_factory(server_url, device=self.config.device)
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
            errors = payload.get("errors") or []
            if errors:
                first = errors[0]
                return SignInResult(False, first.get("message") or "Sign-in failed.", first.get("field") or None)
            return SignInResult(False, "Sign-in failed.")
        client.token = token
        self._client = client
        self.username = username
        return SignInResult(True, f"Signed in as {username}.")

    def sign_out(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self.username = None
