QUEUE_NAME = "storekeeper:queue"
CHECK_LEDGER = "check_ledger"
PURGE_IDEMPOTENCY_KEYS = "purge_idempotency_keys"
SWEEP_LOST_JOBS = "sweep_lost_jobs"
