"""A small synchronous GraphQL-over-HTTP client for the handheld.

Calls block, so the screens run them off the UI thread. Every failure surfaces as a ``ClientError``
subclass: ``TransportError`` when no GraphQL answer came back (``Unreachable`` when the server could
not be reached or did not answer in time: worth trying again later), ``GraphQLError`` when it
answered with errors, ``NotSignedIn`` when it wants a (new) token.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

import httpx

ACCEPT = "application/graphql-response+json, application/json;q=0.9"
# A handheld on a warehouse's Wi-Fi: a server that does not take the connection in a few seconds is
# away, and one that takes it but does not answer is treated the same, a little later.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 6.0


class ClientError(Exception):
    """Something went wrong talking to the server; ``message`` is fit to show to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidServerURL(ClientError):
    """The server address cannot be used as an HTTP URL."""


class TransportError(ClientError):
    """No GraphQL answer: the server could not be reached, or answered with something else."""


class Unreachable(TransportError):
    """The server could not be reached or did not answer in time: the same request may work later."""


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


@dataclass(frozen=True)
class UserError:
    """One of a mutation payload's ``errors``: only ``code`` and ``message`` are relied on.

    ``field`` is the input path at fault, whether the server sends it as one name (``"quantity"``)
    or as a path (``["input", "quantity"]``); ``field_name`` is its last part.
    """

    code: str
    message: str
    field: tuple[str, ...] = ()

    @property
    def field_name(self) -> str | None:
        return self.field[-1] if self.field else None

    @classmethod
    def from_json(cls, raw: Any) -> UserError:
        if not isinstance(raw, dict):
            return cls("ERROR", str(raw))
        field = raw.get("field")
        if isinstance(field, str):
            path: tuple[str, ...] = (field,) if field else ()
        elif isinstance(field, list):
            path = tuple(str(part) for part in field if part is not None)
        else:
            path = ()
        return cls(str(raw.get("code") or "ERROR"), str(raw.get("message") or "The server refused this."), path)


def user_errors(payload: Any) -> list[UserError]:
    """The ``errors`` of a mutation payload (a list of ``UserError``s on the server)."""
    raw = payload.get("errors") if isinstance(payload, dict) else None
    return [UserError.from_json(error) for error in raw or []] if isinstance(raw, list) else []


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
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server_url = normalize_server_url(server_url)
        self.endpoint = self.server_url + "/graphql"
        self.token = token
        headers = {"Accept": ACCEPT, "User-Agent": f"storekeeper-handheld ({device or platform.node() or 'unknown'})"}
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one operation and return its ``data``; raise ``ClientError`` on any failure."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.post(
                self.endpoint, json={"query": document, "variables": variables or {}}, headers=headers
            )
        except httpx.TimeoutException:
            raise Unreachable(f"The server at {self.server_url} did not answer in time.") from None
        except httpx.HTTPError as error:
            raise Unreachable(f"Cannot reach the server at {self.server_url} ({_describe(error)}).") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) and response.status_code == 401:
            raise NotSignedIn([{"message": "The server asks to sign in again."}])
        if not isinstance(body, dict):
            status = response.status_code
            message = f"The server at {self.server_url} answered HTTP {status} without a GraphQL response."
            # A proxy's 502/503/504 while the server restarts: the request may go through later.
            raise (Unreachable if status in (502, 503, 504) else TransportError)(message)
        errors = body.get("errors")
        if errors:
            errors = errors if isinstance(errors, list) else [{"message": str(errors)}]
            failure = GraphQLError(errors)
            if response.status_code == 401 or "UNAUTHENTICATED" in failure.codes:
                raise NotSignedIn(errors)
            raise failure
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
