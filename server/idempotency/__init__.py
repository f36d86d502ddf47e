from server.idempotency.service import (
    Claim,
    IdempotencyKeyReused,
    Replay,
    claim,
    purge_expired,
    remember,
    validate_key,
)

__all__ = ["Claim", "IdempotencyKeyReused", "Replay", "claim", "purge_expired", "remember", "validate_key"]
