from server.idempotency.service import (
    IdempotencyKeyReused,
    Replay,
    Request,
    probe,
    purge_expired,
    store,
    stored,
    validate_key,
)

__all__ = ["IdempotencyKeyReused", "Replay", "Request", "probe", "purge_expired", "store", "stored", "validate_key"]
