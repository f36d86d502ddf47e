"""STOREKEEPER_SMTP_URL, STOREKEEPER_MAIL_FROM and STOREKEEPER_EXPIRY_ALERT_TO: read at start-up, a bad
one stops the server there."""

from __future__ import annotations

import pytest

from server.mail.smtp import SmtpServer
from server.settings import ConfigurationError, Settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.internal", SmtpServer("relay.internal", 25)),
        ("smtp://relay.internal:2525", SmtpServer("relay.internal", 2525)),
        ("smtp+starttls://shop%40example.com:p%3Ass@smtp.example.com",
         SmtpServer("smtp.example.com", 587, start_tls=True, username="shop@example.com", password="p:ss")),
        ("smtps://shop:secret@smtp.example.com:4650", SmtpServer("smtp.example.com", 4650, use_tls=True,
                                                                 username="shop", password="secret")),
    ],
)  # fmt: skip
def test_the_three_forms_of_the_smtp_url(url: str, expected: SmtpServer) -> None:
    settings = Settings.from_env({"STOREKEEPER_SMTP_URL": url})
    assert settings.smtp_url == url
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://smtp.example.com", "smtp://", "smtp://host:99999", "smtp://host:port", "smtp://host/path",
     "smtp://host?x=1", "smtp://:password@host", "relay.internal:25"],
)  # fmt: skip
def test_a_bad_smtp_url_stops_the_server_at_start_up(url: str) -> None:
    with pytest.raises(ConfigurationError, match="STOREKEEPER_SMTP_URL"):
        Settings.from_env({"STOREKEEPER_SMTP_URL": url})


def test_the_password_stays_out_of_the_settings_repr() -> None:
    settings = Settings.from_env({"STOREKEEPER_SMTP_URL": "smtps://shop:hunter2-secret@smtp.example.com"})
    assert "hunter2-secret" not in repr(settings)
    assert "hunter2-secret" not in repr(SmtpServer.from_url(settings.smtp_url or ""))


@pytest.mark.parametrize("sender", ["Shop <shop@example.com>", "shop@example.com\r\nBcc: x@example.com", "shop"])
def test_the_sender_is_a_plain_address(sender: str) -> None:
    with pytest.raises(ConfigurationError, match="STOREKEEPER_MAIL_FROM"):
        Settings.from_env({"STOREKEEPER_MAIL_FROM": sender})
    assert Settings.from_env({"STOREKEEPER_MAIL_FROM": "shop@example.com"}).mail_from == "shop@example.com"


def test_expiry_alerts_go_to_plain_addresses_comma_separated() -> None:
    settings = Settings.from_env({"STOREKEEPER_EXPIRY_ALERT_TO": " buyer@example.com, ,warehouse@example.com "})
    assert settings.expiry_alert_to == ("buyer@example.com", "warehouse@example.com")
    assert Settings.from_env({}).expiry_alert_to == ()
    for bad in ("buyer@example.com\r\nBcc: x@example.com", "Buyer <buyer@example.com>", ",".join(["a@b.co"] * 21)):
        with pytest.raises(ConfigurationError, match="STOREKEEPER_EXPIRY_ALERT_TO"):
            Settings.from_env({"STOREKEEPER_EXPIRY_ALERT_TO": bad})
