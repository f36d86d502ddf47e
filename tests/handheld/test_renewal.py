"""The handheld renews its session before it ends, and keeps the new token for the next start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from handheld.logic.session import RENEW_WITHIN
from tests.handheld.conftest import DemoServer, sign_in, token_works


def test_a_session_far_from_its_end_is_kept_and_one_near_it_is_renewed(server: DemoServer) -> None:
    session = sign_in(server.url)
    old = session.client.token
    assert old is not None
    assert session.renew_if_due() is False  # a fresh session has hours left
    assert session.client.token == old

    later = datetime.now(UTC) + timedelta(hours=12) - RENEW_WITHIN / 2  # as if the shift had gone on
    assert session.renew_if_due(now=later) is True
    new = session.client.token
    assert new not in (None, old)
    assert session.store.get("token") == new  # a restart resumes with the new one
    assert token_works(server.url, new)
