"""The session against a real server, without a window: sign in, what the device keeps, a restart,
signing out (the server revokes the token), the warehouse."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from handheld.client import GraphQLClient, UserError, user_errors
from handheld.logic.capture import ScannerSetup
from handheld.logic.session import DEFAULT_SERVER_URL, ME, TO_REVOKE, HandheldConfig, Session
from handheld.logic.store import DeviceStore
from tests.handheld.conftest import new_session, sign_in, token_works

if TYPE_CHECKING:
    from pathlib import Path

    from tests.handheld.conftest import DemoServer, RestartableServer

CREATE_WAREHOUSE = """
mutation W($input: CreateWarehouseInput!) { createWarehouse(input: $input) { warehouse { code } errors { code } } }
"""


@pytest.fixture
def session() -> Iterator[Session]:
    session = new_session()
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
    wrong_user = new_session().sign_in(server.url, "nobody-by-this-name", server.password)
    wrong_password = new_session().sign_in(server.url, server.username, "not-the-password")

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
    result = new_session().sign_in("ftp://warehouse", "demo", "demo-password")

    assert not result.ok
    assert result.field == "server_url"
    assert "not a valid server address" in result.message


@pytest.mark.parametrize(
    ("field", "path"), [("password", ("password",)), (["input", "password"], ("input", "password"))]
)
def test_a_refusal_names_its_field_whether_the_server_sends_a_name_or_a_path(field: object, path: tuple[str]) -> None:
    refusal = {"token": None, "errors": [{"field": field, "code": "INVALID", "message": "Too long."}]}
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json={"data": {"login": refusal}}))
    session = Session(client_factory=lambda url, **kw: GraphQLClient(url, transport=transport, **kw))

    result = session.sign_in("http://wms.example", "demo", "x" * 2000)

    assert (result.ok, result.field, result.message) == (False, "password", "Too long.")
    assert user_errors(refusal) == [UserError("INVALID", "Too long.", path)]


def test_server_user_warehouse_device_and_token_are_kept_on_the_device(server: DemoServer, tmp_path: Path) -> None:
    store = DeviceStore.in_folder(tmp_path)
    sign_in(server.url, store, device="scanner-07")

    kept = dict(store.rows("SELECT name, value FROM setting"))

    assert {name: kept[name] for name in ("server_url", "username", "device", "warehouse")} == {
        "server_url": server.url, "username": "demo", "device": "scanner-07", "warehouse": "WH1"
    }  # fmt: skip
    assert kept["token"] and server.password not in json.dumps(kept)
    assert (tmp_path / "handheld.sqlite3").stat().st_mode & 0o077 == 0, "the token is for this user's eyes only"


def test_a_restart_carries_on_with_the_kept_token(server: DemoServer, tmp_path: Path) -> None:
    first = sign_in(server.url, DeviceStore.in_folder(tmp_path))
    token = first.client.token

    after_restart = new_session(DeviceStore.in_folder(tmp_path))
    resumed = after_restart.resume()

    assert (resumed.signed_in, resumed.offline) == (True, False)
    assert (after_restart.client.token, after_restart.username, after_restart.warehouse) == (token, "demo", "WH1")
    assert after_restart.client.execute(ME)["me"]["username"] == "demo"


def test_a_restart_after_the_server_ended_the_session_asks_for_the_password_only(
    server: DemoServer, tmp_path: Path
) -> None:
    first = sign_in(server.url, DeviceStore.in_folder(tmp_path))
    with GraphQLClient(server.url, token=first.client.token) as elsewhere:
        elsewhere.execute("mutation { logout }")

    after_restart = new_session(DeviceStore.in_folder(tmp_path))
    resumed = after_restart.resume()

    assert not resumed.signed_in
    assert "enter your password" in resumed.message
    assert (after_restart.username, after_restart.server_url) == ("demo", server.url)


def test_a_restart_while_the_server_is_away_carries_on_offline(restartable: RestartableServer, tmp_path: Path) -> None:
    sign_in(restartable.url, DeviceStore.in_folder(tmp_path))

    with restartable.stopped():
        resumed = new_session(DeviceStore.in_folder(tmp_path)).resume()

    assert (resumed.signed_in, resumed.offline) == (True, True)


def test_signing_out_revokes_the_token_on_the_server(server: DemoServer) -> None:
    session = sign_in(server.url)
    token = session.client.token
    assert token and token_works(server.url, token)

    message = session.sign_out()

    assert message == "Signed out."
    assert not session.signed_in
    assert not token_works(server.url, token), "the server must no longer take the token"


def test_signing_out_while_the_server_is_away_revokes_the_token_when_it_is_back(
    restartable: RestartableServer,
) -> None:
    session = sign_in(restartable.url)
    token = session.client.token
    assert token

    with restartable.stopped():
        message = session.sign_out()
        assert "when it answers again" in message
        assert session.revoke_pending() == 1

    assert session.revoke_pending() == 0
    assert session.store.get_list(TO_REVOKE) == []
    assert not token_works(restartable.url, token)


def test_signing_out_keeps_who_and_where_but_not_the_token(server: DemoServer) -> None:
    session = sign_in(server.url)

    session.sign_out()

    assert (session.signed_in, session.store.get("token")) == (False, None)
    assert (session.username, session.warehouse) == ("demo", "WH1")


def test_with_several_warehouses_the_worker_chooses_one_and_it_is_kept(server: DemoServer) -> None:
    admin = sign_in(server.url)
    code = f"WH-{uuid.uuid4().hex[:6]}".upper()
    admin.client.execute(CREATE_WAREHOUSE, {"input": {"code": code, "name": "Overflow"}})

    session = new_session()
    result = session.sign_in(server.url, "demo", "demo-password")
    assert result.ok and ("WH1", "Main warehouse") in result.warehouses and code in dict(result.warehouses)
    assert session.warehouse == ""
    session.choose_warehouse(code.lower())

    again = session.sign_in(server.url, "demo", "demo-password")

    assert (again.warehouses, session.warehouse) == ((), code)


def test_config_comes_from_the_environment() -> None:
    config = HandheldConfig.from_env(
        {
            "STOREKEEPER_HANDHELD_SERVER": "http://wms.example:8000",
            "STOREKEEPER_HANDHELD_USERNAME": "picker",
            "STOREKEEPER_HANDHELD_PASSWORD": "pw",
            "STOREKEEPER_HANDHELD_DEVICE": "scanner-07",
            "STOREKEEPER_HANDHELD_WAREHOUSE": "wh1",
            "STOREKEEPER_HANDHELD_SCAN_PREFIX": "\\x02",
            "STOREKEEPER_HANDHELD_SCAN_SUFFIX": "#",
            "STOREKEEPER_HANDHELD_GS": "~",
            "STOREKEEPER_HANDHELD_CONNECT_TIMEOUT": "1.5",
        }
    )

    assert (config.server_url, config.username, config.password, config.device, config.warehouse) == (
        "http://wms.example:8000", "picker", "pw", "scanner-07", "WH1"
    )  # fmt: skip
    assert config.scanner == ScannerSetup(prefix="\x02", suffix="#", gs_standin="~")
    assert config.connect_timeout == 1.5
    assert "pw" not in repr(config)


def test_config_defaults_to_the_local_server_and_the_hostname() -> None:
    session = Session(HandheldConfig.from_env({}))

    assert (session.server_url, session.username, session.warehouse) == (DEFAULT_SERVER_URL, "", "")
    assert session.device == (platform.node() or "handheld")


def test_the_logic_and_the_client_import_without_kivy() -> None:
    probe = (
        "import sys, handheld, handheld.client; "
        "import handheld.logic.session, handheld.logic.scan, handheld.logic.capture, handheld.logic.courier, "
        "handheld.logic.receive, handheld.logic.move, handheld.logic.feedback; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'kivy'))"
    )

    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)

    assert done.stdout.strip() == "[]"
