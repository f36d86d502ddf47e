"""Every document type there is: each area adds its kinds here."""

from __future__ import annotations

_loaded = False


def load() -> None:
    """Declare every document type (once): importing an area's kinds registers them."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from server.documents import stock, transfers  # noqa: F401  (each registers its document types)
    from server.inventory.counts import header  # noqa: F401
    from server.purchasing import bills, inquiries, orders, reads, receiving, returns  # noqa: F401
    from server.sales import orders as sales_orders  # noqa: F401
    from server.sales import quotations as sales_quotations  # noqa: F401
    from server.sales.fulfillment_kinds import PICK_KIND  # noqa: F401
    from server.sales.returns import RETURN_KIND  # noqa: F401
