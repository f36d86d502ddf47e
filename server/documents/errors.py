from __future__ import annotations

from server.errors import DomainError, ErrorCode


class Stale(DomainError):
    """The document changed since the caller read it: two clerks never overwrite each other."""

    code = ErrorCode.STALE


class ApprovalRequired(DomainError):
    code = ErrorCode.APPROVAL_REQUIRED
