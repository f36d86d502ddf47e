"""Where mail goes: the SMTP server of ``STOREKEEPER_SMTP_URL``, and sending one message to it.

- ``smtp://[user:password@]host[:port]``: plain SMTP (port 25), no TLS: a relay on the same host or network.
- ``smtp+starttls://user:password@host[:port]``: SMTP upgraded with STARTTLS (port 587), the usual submission.
- ``smtps://user:password@host[:port]``: TLS from the first byte (port 465).

User and password are percent-encoded in the URL (``%40`` for ``@``). TLS checks the server's certificate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

SCHEMES = {"smtp": (25, False, False), "smtp+starttls": (587, True, False), "smtps": (465, False, True)}
TIMEOUT = 30.0  # seconds for each step of a conversation with the server


class SmtpUrlError(ValueError):
    """An SMTP URL the server cannot send with."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    start_tls: bool = False
    use_tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise SmtpUrlError(f"an SMTP URL starts with {', '.join(s + '://' for s in SCHEMES)}")
        try:
            port = parts.port
        except ValueError:
            raise SmtpUrlError("the SMTP port must be a number from 1 to 65535") from None
        if not parts.hostname:
            raise SmtpUrlError("an SMTP URL names a host: smtp://host:port")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise SmtpUrlError("an SMTP URL has no path, query or fragment")
        default_port, start_tls, use_tls = SCHEMES[parts.scheme]
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if password is not None and not username:
            raise SmtpUrlError("an SMTP URL with a password names its user too")
        return cls(parts.hostname, port or default_port, start_tls, use_tls, username, password)


class Connection:
    """One conversation with the SMTP server, for several messages; opened on the first one."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage, recipients: list[str]) -> dict[str, str]:
        """Hand ``message`` over; the recipients the server refused (some, not all), with its answers.

        Raises aiosmtplib's errors: ``SMTPResponseException`` (with ``code``) when the server refuses,
        ``SMTPRecipientsRefused`` when it refuses every recipient, ``OSError``/``SMTPException`` when
        it cannot be reached or the conversation breaks.
        """
        if self._client is None:
            server = self.server
            client = aiosmtplib.SMTP(hostname=server.host, port=server.port, username=server.username,
                                     password=server.password, use_tls=server.use_tls, start_tls=server.start_tls,
                                     timeout=TIMEOUT)  # fmt: skip
            try:
                await client.connect()
            except BaseException:
                client.close()
                raise
            self._client = client
        refused, _ = await self._client.send_message(message, recipients=recipients)
        return {address: f"{answer.code} {answer.message}" for address, answer in refused.items()}

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
