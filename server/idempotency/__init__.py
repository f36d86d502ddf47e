from server.idempotency.service import IdempotencyKeyReused, Outcome, purge_expired, run, validate_key

__all__ = ["IdempotencyKeyReused", "Outcome", "purge_expired", "run", "validate_key"]
