from server.audit.service import record

__all__ = ["record"]
