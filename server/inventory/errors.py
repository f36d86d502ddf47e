from __future__ import annotations

from decimal import Decimal

from server.errors import DomainError, ErrorCode


class InsufficientStock(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK

    def __init__(self, sku: str, location: str, available: Decimal, requested: Decimal) -> None:
        super().__init__(f"Only {available} of {sku} available in {location}; {requested} requested.", field="quantity")
        self.available = available
        self.requested = requested


class LotExpired(DomainError):
    code = ErrorCode.LOT_EXPIRED


class NotSellable(DomainError):
    code = ErrorCode.NOT_SELLABLE


class SerialInStock(DomainError):
    code = ErrorCode.SERIAL_IN_STOCK
