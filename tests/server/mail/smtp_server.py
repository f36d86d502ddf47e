"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), which keeps what it received."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from server.mail.smtp import SmtpServer


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """The SMTP handler: answers ``reply`` to each message's data (a 250 takes it), and keeps what it took."""

    reply: str = "250 OK"
    sender_reply: str = "250 OK"
    received: list[Received] = field(default_factory=list)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.sender_reply.startswith("250"):
            envelope.mail_from = address
        return self.sender_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return self.reply

    def with_id(self, message_id: str) -> list[Received]:
        return [item for item in self.received if item.message["Message-ID"] == message_id]


class MailServer:
    """aiosmtpd's Controller on 127.0.0.1 at ``port``: started and stopped as a test needs."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def target(self) -> SmtpServer:
        return SmtpServer("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
