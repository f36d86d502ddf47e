"""One settings object, read from ``STOREKEEPER_*`` environment variables.

Bad configuration fails when the object is built, not on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "production", "test")
DEVELOPMENT_SECRET_KEY = "development-only-secret"


_NAMESPACE = re.compile(r"[A-Za-z0-9_-]{1,32}")


class ConfigurationError(ValueError):
    """A STOREKEEPER_* variable holds a value the server cannot run with."""


def _database_url(raw: str) -> str:
    # Tortoise names PostgreSQL "postgres://"; accept the spelling most tools print too.
    for prefix in ("postgresql://", "postgresql+asyncpg://"):
        if raw.startswith(prefix):
            return "postgres://" + raw[len(prefix) :]
    if not raw.startswith(("postgres://", "sqlite://")):
        raise ConfigurationError(f"STOREKEEPER_DATABASE_URL must be postgres://... or sqlite://..., not {raw!r}")
    return raw


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, not {value}")
    return value


def _addresses(raw: str) -> tuple[str, ...]:
    """Comma-separated addresses, blanks left out (checked in ``Settings.__post_init__``)."""
    return tuple(address.strip() for address in raw.split(",") if address.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://storekeeper.sqlite3"
    redis_url: str | None = None
    # Peppers token hashes; the development default only keeps tokens valid across restarts.
    secret_key: str = field(default=DEVELOPMENT_SECRET_KEY, repr=False)
    environment: str = "development"
    session_ttl: timedelta = timedelta(hours=12)
    idempotency_ttl: timedelta = timedelta(days=30)
    max_page_size: int = 100
    max_query_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    # What one operation may ask for: each field counts once per item of every list around it
    # (a connection counts its page size, a capped list its cap); see schema/cost.py.
    # 15 000 keeps the costliest accepted query near 0.4 s and 0.3 MB (docs/performance.md).
    max_query_cost: int = 15_000
    max_subscriptions_per_socket: int = 20
    max_subscriptions_per_user: int = 100
    database_pool_size: int = 10
    # Prefixes every Redis key and channel of this deployment, so deployments can share a Redis.
    # Empty means: derived from the database URL (one database, one deployment).
    redis_namespace: str = ""
    # Where mail goes (server/mail/smtp.py): smtp://, smtp+starttls:// or smtps://user:password@host:port.
    # None: mail waits in the outbox until it is set.
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "storekeeper@localhost"
    # Who is mailed the lots reaching their alert date (server/inventory/expiry.py); none: the
    # alerts are only listed (the expiryAlerts query).
    expiry_alert_to: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ConfigurationError(f"STOREKEEPER_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if self.production and (not self.secret_key.strip() or self.secret_key == DEVELOPMENT_SECRET_KEY):
            # However the settings were built: anyone can read the default in the source.
            raise ConfigurationError("STOREKEEPER_SECRET_KEY must be set in production (not the development default)")
        if self.idempotency_ttl < timedelta(days=7):
            raise ConfigurationError("idempotency keys must be kept at least 7 days: handhelds queue offline")
        if self.redis_namespace and not _NAMESPACE.fullmatch(self.redis_namespace):
            raise ConfigurationError("STOREKEEPER_REDIS_NAMESPACE has 1 to 32 letters, digits, '-' or '_'")
        from server.mail.addresses import valid_address
        from server.mail.smtp import SmtpServer, SmtpUrlError

        if self.smtp_url is not None:
            try:
                SmtpServer.from_url(self.smtp_url)
            except SmtpUrlError as error:
                raise ConfigurationError(f"STOREKEEPER_SMTP_URL: {error}") from None
        if not valid_address(self.mail_from):
            raise ConfigurationError("STOREKEEPER_MAIL_FROM must be a plain address: name@example.com")
        if len(self.expiry_alert_to) > 20 or not all(valid_address(a) for a in self.expiry_alert_to):
            raise ConfigurationError("STOREKEEPER_EXPIRY_ALERT_TO is up to 20 plain addresses, comma-separated")

    @property
    def namespace(self) -> str:
        """The Redis namespace in force: the configured one, or one derived from which database this
        is (host, port and name; not the user, password or options, which differ between a server
        and a worker of one deployment, or change when a password rotates)."""
        if self.redis_namespace:
            return self.redis_namespace
        url = urlsplit(self.database_url)
        where = f"{url.hostname}:{url.port or 5432}{url.path}" if self.dialect == "postgres" else url.netloc + url.path
        return "db-" + hashlib.sha256(where.encode()).hexdigest()[:12]

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def dialect(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite://") else "postgres"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = env.get("STOREKEEPER_ENV", "development")
        secret = env.get("STOREKEEPER_SECRET_KEY")
        return cls(
            database_url=_database_url(env.get("STOREKEEPER_DATABASE_URL") or cls.database_url),
            redis_url=env.get("STOREKEEPER_REDIS_URL") or None,
            secret_key=secret or cls.secret_key,
            environment=environment,
            session_ttl=timedelta(hours=_positive_int(env, "STOREKEEPER_SESSION_HOURS", 12)),
            idempotency_ttl=timedelta(days=_positive_int(env, "STOREKEEPER_IDEMPOTENCY_DAYS", 30)),
            max_page_size=_positive_int(env, "STOREKEEPER_MAX_PAGE_SIZE", 100),
            max_query_cost=_positive_int(env, "STOREKEEPER_MAX_QUERY_COST", cls.max_query_cost),
            max_subscriptions_per_socket=_positive_int(
                env, "STOREKEEPER_MAX_SUBSCRIPTIONS_PER_SOCKET", cls.max_subscriptions_per_socket
            ),
            max_subscriptions_per_user=_positive_int(
                env, "STOREKEEPER_MAX_SUBSCRIPTIONS_PER_USER", cls.max_subscriptions_per_user
            ),
            redis_namespace=env.get("STOREKEEPER_REDIS_NAMESPACE", ""),
            database_pool_size=_positive_int(env, "STOREKEEPER_DATABASE_POOL_SIZE", 10),
            smtp_url=env.get("STOREKEEPER_SMTP_URL") or None,
            mail_from=env.get("STOREKEEPER_MAIL_FROM") or cls.mail_from,
            expiry_alert_to=tuple(
                a.strip() for a in env.get("STOREKEEPER_EXPIRY_ALERT_TO", "").split(",") if a.strip()
            ),
        )


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    global _current
    if _current is None:
        _current = Settings.from_env()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Replace the process-wide settings (the CLI and tests build their own)."""
    global _current
    _current = settings
    return settings
