"""Users, roles, passwords and bearer tokens."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError

from server.auth.models import Role, Token, User
from server.auth.permissions import DEFAULT_ROLES, Permission
from server.auth.throttle import LoginThrottle
from server.clock import now
from server.commands import Audited, Command, Effect, Write, execute
from server.errors import AlreadyExists, ErrorCode, Invalid, NotFound
from server.settings import get_settings
from server.text import LOGIN_NAME, Code, Opaque, Text, column_length

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-password")
_PRINCIPAL_TTL_SECONDS = 10.0
MAX_TOKEN_LENGTH = 128  # ours are 48 ASCII characters
# argon2 takes ~130 ms of CPU a call: it runs in worker threads, at most this many at once, so
# a burst of logins queues for the hasher instead of stalling the event loop (and every request).
_ARGON2_CONCURRENCY = 2
_argon2_gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None


def _argon2_slots() -> asyncio.Semaphore:
    """The semaphore of the running event loop (a process may run several loops one after another)."""
    global _argon2_gate
    loop = asyncio.get_running_loop()
    if _argon2_gate is None or _argon2_gate[0] is not loop:
        _argon2_gate = (loop, asyncio.Semaphore(_ARGON2_CONCURRENCY))
    return _argon2_gate[1]


async def _hash_password(password: str) -> str:
    async with _argon2_slots():
        return await asyncio.to_thread(_hasher.hash, password)


async def _password_matches(password_hash: str, password: str) -> bool:
    async with _argon2_slots():
        try:
            return await asyncio.to_thread(_hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user behind a token and what their role lets them do."""

    user_id: int
    username: str
    role: str
    permissions: frozenset[str]
    token_hash: str
    expires_at: datetime | None = None

    def can(self, permission: Permission | str) -> bool:
        return str(permission) in self.permissions


class LoginFailed(Invalid):
    code = ErrorCode.UNAUTHENTICATED


login_throttle = LoginThrottle()
USERNAME = Code(
    "username", column_length(User, "username"), LOGIN_NAME, "letters, digits, '.', '_', '@', '+' or '-'", str.lower
)
ROLE = Opaque("role", column_length(Role, "name"))
TOKEN_NAME = Text("token name", column_length(Token, "name"))
MIN_PASSWORD_LENGTH = 8
# argon2 pre-hashes any length, but a password is something a person types.
MAX_PASSWORD_LENGTH = 1024


def _hashable(password: object) -> bool:
    """A password argon2 can take: text of a sane length that encodes as UTF-8 (no lone surrogates)."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        password.encode()
    except UnicodeEncodeError:
        return False
    return True


async def ensure_default_roles() -> None:
    for name, permissions in DEFAULT_ROLES.items():
        role, created = await Role.get_or_create(name=name, defaults={"permissions": [str(p) for p in permissions]})
        if not created and set(role.permissions) != {str(p) for p in permissions}:
            role.permissions = sorted({*role.permissions, *(str(p) for p in permissions)})
            await role.save(update_fields=["permissions"])


def _validate_password(password: str) -> None:
    if not _hashable(password) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise Invalid(f"The password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.", field="password")


async def create_user(username: str, password: str, role: str, *, actor_id: int | None = None) -> User:
    username = USERNAME.clean(username, "username")
    _validate_password(password)
    role_key = ROLE.key(role)
    role_row = await Role.get_or_none(name=role_key) if role_key else None
    if role_row is None:
        raise NotFound(f"There is no role {role!r}.", field="role")
    password_hash = await _hash_password(password)

    async def run(write: Write) -> User:
        return await User.create(username=username, password_hash=password_hash, role=role_row, using_db=write.conn)

    effect = Effect(run, lambda user: Audited("user", user.id))
    try:
        return (await execute(CreateUser(username, role_row.name), effect, actor_id=actor_id)).result
    except IntegrityError:
        raise AlreadyExists(f"The username {username!r} is taken.", field="username") from None


@dataclass(frozen=True)
class CreateUser(Command):
    operation = "user.create"
    username: str
    role: str


@dataclass(frozen=True)
class IssueToken(Command):
    operation = "token.issue"
    kind: str  # session | api
    name: str


@dataclass(frozen=True)
class RevokeToken(Command):
    operation = "token.revoke"
    token: str  # the start of its hash: enough to find it in the audit log, useless to sign in


def _hash_token(token: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


async def _issue_token(user: User, kind: str, name: str, lifetime: timedelta | None) -> str:
    token = f"sk_{kind[0]}_{secrets.token_urlsafe(32)}"

    async def run(write: Write) -> Token:
        return await Token.create(
            user=user, kind=kind, name=name, token_hash=_hash_token(token),
            expires_at=None if lifetime is None else now() + lifetime, using_db=write.conn,
        )  # fmt: skip

    await execute(IssueToken(kind, name), Effect(run, lambda row: Audited("token", row.id)), actor_id=user.id)
    return token


async def login(username: str, password: str, *, address: str | None = None) -> str:
    """Check a person's password and give them a session token.

    Failures slow down further attempts of that username from that address, and of that address
    (``login_throttle``): TOO_MANY_ATTEMPTS says how long to wait. Whatever is sent, the answer
    takes as long as a real check, so it tells nothing about which usernames exist.
    """
    attempt = login_throttle.begin(username, address)
    key = USERNAME.key(username)
    user = await User.get_or_none(username=key, is_active=True) if key else None
    candidate = password if _hashable(password) else ""
    if not await _password_matches(user.password_hash if user else _DUMMY_HASH, candidate) or candidate != password:
        user = None
    if user is None:
        raise LoginFailed("Unknown username or wrong password.")
    login_throttle.succeeded(attempt)
    return await _issue_token(user, "session", "login", get_settings().session_ttl)


async def create_api_token(username: str, name: str) -> str:
    """A token for an integration (a marketplace, a script): it does not expire until revoked."""
    name = TOKEN_NAME.clean(name, "name")
    key = USERNAME.key(username)
    user = await User.get_or_none(username=key) if key else None
    if user is None:
        raise NotFound(f"There is no user {username!r}.", field="username")
    return await _issue_token(user, "api", name, None)


_principals: dict[str, tuple[float, Principal | None]] = {}


async def authenticate(token: str) -> Principal | None:
    """The principal a bearer token stands for, or None.

    Answers are cached for a few seconds per process, so a token revoked through another
    process may work that long (one revoked through this process stops at once).
    """
    if not isinstance(token, str) or not token.isascii() or len(token) > MAX_TOKEN_LENGTH:
        return None  # no token of ours looks like that (and a lone surrogate cannot even be hashed)
    return await _principal_for(_hash_token(token))


async def recheck(principal: Principal) -> Principal | None:
    """The principal again, as its token stands now: None once revoked, expired or its user disabled.

    For long-lived connections (WebSocket), which authenticate once and then run many operations.
    """
    return await _principal_for(principal.token_hash)


def _unexpired(principal: Principal | None) -> Principal | None:
    if principal is not None and principal.expires_at is not None and principal.expires_at <= now():
        return None
    return principal


async def _principal_for(token_hash: str) -> Principal | None:
    cached = _principals.get(token_hash)
    clock = time.monotonic()
    if cached is not None and cached[0] > clock:
        return _unexpired(cached[1])
    row = await Token.filter(token_hash=token_hash, revoked_at=None).select_related("user__role").first()
    principal = None
    if row is not None and row.user.is_active:
        principal = _unexpired(
            Principal(
                user_id=row.user.id,
                username=row.user.username,
                role=row.user.role.name,
                permissions=frozenset(row.user.role.permissions),
                token_hash=token_hash,
                expires_at=row.expires_at,
            )
        )
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[token_hash] = (clock + _PRINCIPAL_TTL_SECONDS, principal)
    return principal


# A renewed session's old token keeps working this long: a renewal whose answer was lost on the
# way (a handheld walking out of Wi-Fi) can be asked again with the token the device still holds.
RENEWAL_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class RenewSession(Command):
    operation = "token.renew"
    token: str  # the first 16 characters of the old token's hash


async def renew(principal: Principal) -> tuple[str, datetime | None]:
    """A new session token for the one the principal signed in with; the old one ends after
    ``RENEWAL_GRACE``. API tokens do not expire, so there is nothing to renew."""
    row = await Token.get_or_none(token_hash=principal.token_hash, revoked_at=None)
    if row is None or row.kind != "session":
        raise Invalid("Only a session is renewed: an API token does not expire.", field="token")
    token = f"sk_s_{secrets.token_urlsafe(32)}"
    lifetime = get_settings().session_ttl
    expires_at = now() + lifetime

    async def run(write: Write) -> Token:
        old_end = now() + RENEWAL_GRACE
        await (
            Token.filter(id=row.id)
            .using_db(write.conn)
            .update(expires_at=min(old_end, row.expires_at) if row.expires_at else old_end)
        )
        write.after_commit(lambda: _principals.pop(principal.token_hash, None))
        user_id: int = row.user_id  # type: ignore[attr-defined]
        return await Token.create(user_id=user_id, kind="session", name=row.name, token_hash=_hash_token(token),
                                  expires_at=expires_at, using_db=write.conn)  # fmt: skip

    await execute(RenewSession(principal.token_hash[:16]), Effect(run, lambda new: Audited("token", new.id)),
                  actor_id=principal.user_id)  # fmt: skip
    return token, expires_at


async def revoke(principal: Principal) -> None:
    """End the session (or API token) the principal signed in with."""

    async def run(write: Write) -> None:
        await Token.filter(token_hash=principal.token_hash).using_db(write.conn).update(revoked_at=now())
        write.after_commit(lambda: _principals.pop(principal.token_hash, None))

    effect = Effect(run, lambda _: Audited("token", principal.token_hash[:16]))
    await execute(RevokeToken(principal.token_hash[:16]), effect, actor_id=principal.user_id)
