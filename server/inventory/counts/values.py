"""What a count's differences are worth before they are booked: the product's unit cost in the warehouse as
``server.inventory.valuation.books.unit_costs`` reads it (the bucket's average, else its last cost). The
approval's moves fix the real value."""

from __future__ import annotations

from decimal import Decimal

from server.inventory.valuation.books import money


def value_of(difference: Decimal, unit_cost: Decimal) -> Decimal:
    return money(difference * unit_cost)
