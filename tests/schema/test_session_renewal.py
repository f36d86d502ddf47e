"""Renewing a session: a new token, the old one ending shortly after (so a lost answer can be asked again)."""

from __future__ import annotations

import datetime

from server.auth import service as auth
from server.auth.models import Token
from tests.conftest import PASSWORD, Actor, GraphQLClient, make_actor

RENEW = "mutation { renewSession { token expiresAt errors { code field message } } }"
ME = "{ me { username expiresAt } }"


async def test_a_renewed_session_has_a_new_token_and_the_old_one_ends_two_minutes_later(
    graphql: GraphQLClient,
) -> None:
    clerk = await make_actor("clerk")
    before = (await graphql.run(ME, token=clerk.token))["me"]
    assert before["username"] == clerk.username and before["expiresAt"] is not None
    renewed = (await graphql.run(RENEW, token=clerk.token))["renewSession"]
    assert renewed["errors"] == [] and renewed["token"] != clerk.token
    new_end = datetime.datetime.fromisoformat(renewed["expiresAt"])
    assert new_end > datetime.datetime.fromisoformat(before["expiresAt"]) - datetime.timedelta(seconds=5)

    assert (await graphql.run(ME, token=renewed["token"]))["me"]["username"] == clerk.username
    old = await Token.get(token_hash=auth._hash_token(clerk.token))
    assert old.expires_at is not None
    assert old.expires_at - auth.now() <= auth.RENEWAL_GRACE  # still works now, not for long
    assert (await graphql.run(ME, token=clerk.token))["me"]["username"] == clerk.username

    # The answer was lost: the device asks again with the token it still holds.
    again = (await graphql.run(RENEW, token=clerk.token))["renewSession"]
    assert again["errors"] == [] and again["token"] not in (clerk.token, renewed["token"])


async def test_an_api_token_is_not_renewed(graphql: GraphQLClient, admin: Actor) -> None:
    token = await auth.create_api_token(admin.username, "integration")
    refused = (await graphql.run(RENEW, token=token))["renewSession"]
    assert refused["token"] is None and refused["errors"][0]["code"] == "INVALID"
    assert (await graphql.run(ME, token=token))["me"]["expiresAt"] is None


async def test_a_revoked_session_cannot_renew_itself(graphql: GraphQLClient) -> None:
    clerk = await make_actor("clerk")
    assert (await graphql.run("mutation { logout }", token=clerk.token))["logout"] is True
    refused = await graphql.post(RENEW, token=clerk.token)
    assert refused.status_code == 401
    assert await auth.login(clerk.username, PASSWORD)  # a new sign-in still works
