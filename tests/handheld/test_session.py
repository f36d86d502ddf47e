"""The sign-in flow against a real server, without a window."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from handheld.logic.session import DEFAULT_SERVER_URL, HandheldConfig, Session

if TYPE_CHECKING:
    from tests.handheld.conftest import DemoServer


@pytest.fixture
def session() -> Iterator[Session]:
    session = Session()
    yield session
    session.sign_out()


def test_signs_in_with_the_demo_credentials(server: DemoServer, session: Session) -> None:
    result = session.sign_in(server.url, server.username, server.password)

    assert result.ok, result.message
    assert session.signed_in
    assert session.username == server.username
    assert session.client.token
    assert session.server_url == server.url


def test_accepts_a_server_address_without_scheme(server: DemoServer, session: Session) -> None:
    result = session.sign_in(server.url.removeprefix("http://") + "/", server.username, server.password)

    assert result.ok, result.message
    assert session.server_url == server.url


def test_wrong_password_is_refused_with_a_message(server: DemoServer, session: Session) -> None:
    result = session.sign_in(server.url, server.username, "not-the-password")

    assert not result.ok
    assert result.message and "Traceback" not in result.message
    assert not session.signed_in


def test_unknown_user_is_refused_like_a_wrong_password(server: DemoServer) -> None:
    wrong_user = Session().sign_in(server.url, "nobody-by-this-name", server.password)
    wrong_password = Session().sign_in(server.url, server.username, "not-the-password")

    assert not wrong_user.ok
    assert wrong_user.message == wrong_password.message


def test_empty_fields_are_asked_for_before_calling_the_server(closed_port_url: str, session: Session) -> None:
    no_user = session.sign_in(closed_port_url, "  ", "secret")
    no_password = session.sign_in(closed_port_url, "demo", "")

    assert (no_user.ok, no_user.field, no_user.message) == (False, "username", "Enter your username.")
    assert (no_password.ok, no_password.field, no_password.message) == (False, "password", "Enter your password.")


def test_unreachable_server_gives_a_clear_message(closed_port_url: str, session: Session) -> None:
    result = session.sign_in(closed_port_url, "demo", "demo-password")

    assert not result.ok
    assert result.field == "server_url"
    assert result.message.startswith(f"Cannot reach the server at {closed_port_url}")
    assert not session.signed_in


def test_an_address_that_is_not_a_url_is_refused() -> None:
    result = Session().sign_in("ftp://warehouse", "demo", "demo-password")

    assert not result.ok
    assert result.field == "server_url"
    assert "not a valid server address" in result.message


def test_signing_out_forgets_the_token(server: DemoServer) -> None:
    session = Session()
    session.sign_in(server.url, server.username, server.password)

    session.sign_out()

    assert not session.signed_in
    assert session.username is None


def test_config_comes_from_the_environment() -> None:
    config = HandheldConfig.from_env(
        {
            "STOREKEEPER_HANDHELD_SERVER": "http://wms.example:8000",
            "STOREKEEPER_HANDHELD_USERNAME": "picker",
            "STOREKEEPER_HANDHELD_PASSWORD": "pw",
            "STOREKEEPER_HANDHELD_DEVICE": "scanner-07",
        }
    )

    assert config == HandheldConfig("http://wms.example:8000", "picker", "pw", "scanner-07")
    assert "pw" not in repr(config)


def test_config_defaults_to_the_local_server_and_the_hostname() -> None:
    config = HandheldConfig.from_env({})

    assert (config.server_url, config.username, config.password) == (DEFAULT_SERVER_URL, "", "")
    assert config.device == (platform.node() or "handheld")


def test_the_logic_and_the_client_import_without_kivy() -> None:
    probe = (
        "import sys, handheld, handheld.client, handheld.logic.session, handheld.logic.scan; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))"
    )

    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)

    assert done.stdout.strip() == "[]"
