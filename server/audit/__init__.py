from server.audit.service import entry, record

__all__ = ["entry", "record"]
