"""A small synchronous GraphQL-over-HTTP client for the handheld.

Calls block, so the screens run them off the UI thread. Every failure surfaces as a ``ClientError``
subclass: ``TransportError`` when the server cannot be reached or does not answer GraphQL,
``GraphQLError`` when it answers with errors.
"""

from __future__ import annotations

import platform
from typing import Any

import httpx

ACCEPT = "application/graphql-response+json, application/json;q=0.9"
DEFAULT_TIMEOUT = 10.0


class ClientError(Exception):
    """Something went wrong talking to the server; ``message`` is fit to show to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidServerURL(ClientError):
    """The server address cannot be used as an HTTP URL."""


class TransportError(ClientError):
    """The server could not be reached, or answered with something that is not GraphQL."""


class GraphQLError(ClientError):
    """The server answered, with errors (``errors`` is the response's list, as sent)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        messages = [str(error.get("message", "")) for error in errors if isinstance(error, dict)]
        super().__init__("; ".join(message for message in messages if message) or "The server reported an error.")
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {
            str(error.get("extensions", {}).get("code"))
            for error in self.errors
            if isinstance(error, dict) and isinstance(error.get("extensions"), dict) and "code" in error["extensions"]
        }


class NotSignedIn(GraphQLError):
    """The server wants a (valid) token: HTTP 401, or an UNAUTHENTICATED error."""


def normalize_server_url(raw: str) -> str:
    """``host:8000`` → ``http://host:8000``; refuse anything that is not an http(s) URL with a host."""
    text = raw.strip().rstrip("/")
    if not text:
        raise InvalidServerURL("Enter the server address, e.g. http://127.0.0.1:8000.")
    if "://" not in text:
        text = "http://" + text
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise InvalidServerURL(f"{raw.strip()!r} is not a valid server address.") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidServerURL(f"{raw.strip()!r} is not a valid server address (use http://host:port).")
    return text


class GraphQLClient:
    """Posts GraphQL documents to ``<server>/graphql``, with a bearer token once signed in."""

    def __init__(
        self,
        server_url: str,
        *,
        token: str | None = None,
        device: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server_url = normalize_server_url(server_url)
        self.endpoint = self.server_url + "/graphql"
        self.token = token
        headers = {"Accept": ACCEPT, "User-Agent": f"storekeeper-handheld ({device or platform.node() or 'unknown'})"}
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one operation and return its ``data``; raise ``ClientError`` on any failure."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.post(
                self.endpoint, json={"query": document, "variables": variables or {}}, headers=headers
            )
        except httpx.TimeoutException:
            raise TransportError(f"The server at {self.server_url} did not answer in time.") from None
        except httpx.HTTPError as error:
            raise TransportError(f"Cannot reach the server at {self.server_url} ({_describe(error)}).") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) and response.status_code == 401:
            raise NotSignedIn([{"message": "The server asks to sign in again."}])
        if not isinstance(body, dict):
            raise TransportError(
                f"The server at {self.server_url} answered HTTP {response.status_code} without a GraphQL response."
            )
        errors = body.get("errors")
        if errors:
            errors = errors if isinstance(errors, list) else [{"message": str(errors)}]
            error = GraphQLError(errors)
            if response.status_code == 401 or "UNAUTHENTICATED" in error.codes:
                raise NotSignedIn(errors)
            raise error
        data = body.get("data")
        if not isinstance(data, dict):
            raise TransportError(f"The server at {self.server_url} answered HTTP {response.status_code} without data.")
        return data

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "connection refused or host not found"
    return str(error) or type(error).__name__
