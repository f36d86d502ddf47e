"""Users, roles, passwords and bearer tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server import audit
from server.auth.models import Role, Token, User
from server.auth.permissions import DEFAULT_ROLES, Permission
from server.clock import now
from server.errors import AlreadyExists, ErrorCode, Invalid, NotFound
from server.settings import get_settings

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-password")
_PRINCIPAL_TTL_SECONDS = 10.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user behind a token and what their role lets them do."""

    user_id: int
    username: str
    role: str
    permissions: frozenset[str]
    token_hash: str

    def can(self, permission: Permission | str) -> bool:
        return str(permission) in self.permissions


class LoginFailed(Invalid):
    code = ErrorCode.UNAUTHENTICATED


async def ensure_default_roles() -> None:
    for name, permissions in DEFAULT_ROLES.items():
        role, created = await Role.get_or_create(name=name, defaults={"permissions": [str(p) for p in permissions]})
        if not created and set(role.permissions) != {str(p) for p in permissions}:
            role.permissions = sorted({*role.permissions, *(str(p) for p in permissions)})
            await role.save(update_fields=["permissions"])


def _validate_password(password: str) -> None:
    if len(password) < 8:
        raise Invalid("The password must have at least 8 characters.", field="password")


async def create_user(username: str, password: str, role: str, *, actor_id: int | None = None) -> User:
    username = username.strip()
    if not username or len(username) > 150:
        raise Invalid("The username must have 1 to 150 characters.", field="username")
    _validate_password(password)
    role_row = await Role.get_or_none(name=role)
    if role_row is None:
        raise NotFound(f"There is no role {role!r}.", field="role")
    try:
        async with in_transaction() as conn:
            user = await User.create(
                username=username, password_hash=_hasher.hash(password), role=role_row, using_db=conn
            )
            await audit.record(
                conn,
                actor_id=actor_id,
                action="user.create",
                object_type="user",
                object_id=user.id,
                data={"username": username, "role": role},
            )
    except IntegrityError:
        raise AlreadyExists(f"The username {username!r} is taken.", field="username") from None
    return user


def _hash_token(token: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


async def _issue_token(user: User, kind: str, name: str, lifetime: timedelta | None) -> str:
    token = f"sk_{kind[0]}_{secrets.token_urlsafe(32)}"
    async with in_transaction() as conn:
        row = await Token.create(
            user=user,
            kind=kind,
            name=name,
            token_hash=_hash_token(token),
            expires_at=None if lifetime is None else now() + lifetime,
            using_db=conn,
        )
        await audit.record(
            conn, actor_id=user.id, action=f"token.{kind}", object_type="token", object_id=row.id, data={"name": name}
        )
    return token


async def login(username: str, password: str) -> str:
    """Check a person's password and give them a session token."""
    user = await User.get_or_none(username=username.strip(), is_active=True)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise LoginFailed("Unknown username or wrong password.")
    return await _issue_token(user, "session", "login", get_settings().session_ttl)


async def create_api_token(username: str, name: str) -> str:
    """A token for an integration (a marketplace, a script): it does not expire until revoked."""
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(f"There is no user {username!r}.", field="username")
    return await _issue_token(user, "api", name, None)


_principals: dict[str, tuple[float, Principal | None]] = {}


async def authenticate(token: str) -> Principal | None:
    """The principal a bearer token stands for, or None.

    Answers are cached for a few seconds per process, so a revoked token may work that long.
    """
    token_hash = _hash_token(token)
    cached = _principals.get(token_hash)
    clock = time.monotonic()
    if cached is not None and cached[0] > clock:
        return cached[1]
    row = await Token.filter(token_hash=token_hash, revoked_at=None).select_related("user__role").first()
    principal = None
    if row is not None and row.user.is_active and (row.expires_at is None or row.expires_at > now()):
        principal = Principal(
            user_id=row.user.id,
            username=row.user.username,
            role=row.user.role.name,
            permissions=frozenset(row.user.role.permissions),
            token_hash=token_hash,
        )
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[token_hash] = (clock + _PRINCIPAL_TTL_SECONDS, principal)
    return principal


async def revoke(principal: Principal) -> None:
    """End the session (or API token) the principal signed in with."""
    async with in_transaction() as conn:
        await Token.filter(token_hash=principal.token_hash).using_db(conn).update(revoked_at=now())
        await audit.record(
            conn,
            actor_id=principal.user_id,
            action="token.revoke",
            object_type="token",
            object_id=principal.token_hash[:16],
        )
    _principals.pop(principal.token_hash, None)
