"""Named permissions and the roles every installation starts with."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    CATALOG_VIEW = "catalog.view"
    CATALOG_MANAGE = "catalog.manage"
    STOCK_VIEW = "stock.view"
    STOCK_RECEIVE = "stock.receive"
    STOCK_ISSUE = "stock.issue"
    STOCK_MOVE = "stock.move"
    STOCK_ADJUST = "stock.adjust"
    WAREHOUSE_MANAGE = "warehouse.manage"
    JOBS_RUN = "jobs.run"
    USERS_MANAGE = "users.manage"
    PARTNERS_VIEW = "partners.view"
    PARTNERS_MANAGE = "partners.manage"
    STORES_MANAGE = "stores.manage"  # stores, employees, number series, approval rules, print templates
    PRICES_VIEW = "prices.view"
    PRICES_MANAGE = "prices.manage"  # currencies, rates, taxes, price lists
    DOCUMENTS_VIEW = "documents.view"
    DOCUMENTS_WRITE = "documents.write"
    DOCUMENTS_APPROVE = "documents.approve"
    PERIODS_MANAGE = "periods.manage"  # close (and reopen) periods


_FLOOR = [
    Permission.CATALOG_VIEW,
    Permission.STOCK_VIEW,
    Permission.STOCK_RECEIVE,
    Permission.STOCK_ISSUE,
    Permission.STOCK_MOVE,
    Permission.PARTNERS_VIEW,
    Permission.PRICES_VIEW,
    Permission.DOCUMENTS_VIEW,
    Permission.DOCUMENTS_WRITE,
]

DEFAULT_ROLES: dict[str, list[Permission]] = {
    "admin": list(Permission),
    "manager": [p for p in Permission if p != Permission.USERS_MANAGE],
    "clerk": [*_FLOOR, Permission.STOCK_ADJUST],
    "viewer": [p for p in Permission if p.value.endswith(".view")],
}
