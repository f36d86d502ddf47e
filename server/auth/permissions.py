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
    STOCK_RESERVE = "stock.reserve"  # reserve and release stock for a document line (a sales order's)
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
    COSTS_VIEW = "costs.view"  # unit costs and values of moves, stock value, the stock card
    COSTS_MANAGE = "costs.manage"  # revaluations, a product's costing method
    STOCK_TAKE_EXPIRED = "stock.take_expired"  # take a lot past its removal date by naming it
    STOCK_COUNT = "stock.count"  # scan into a count, finish its bins, recount: never told what is expected
    COUNTS_MANAGE = "counts.manage"  # plan counts, see what is expected and what differs, approve or cancel
    PURCHASING_VIEW = "purchasing.view"  # purchase orders, what they have come to, receipts
    PURCHASING_MANAGE = "purchasing.manage"  # make, send, amend and close purchase orders
    SALES_VIEW = "sales.view"  # sales orders, their fulfillment groups and reservations
    SALES_MANAGE = "sales.manage"  # make, confirm, amend, cancel and reserve sales orders; the store's sales policy
    BILLS_RELEASE = "bills.release"  # release a supplier bill the three-way match held (outside its tolerances)


_FLOOR = [
    Permission.CATALOG_VIEW,
    Permission.STOCK_VIEW,
    Permission.STOCK_RECEIVE,
    Permission.STOCK_ISSUE,
    Permission.STOCK_MOVE,
    Permission.STOCK_RESERVE,
    Permission.PARTNERS_VIEW,
    Permission.PRICES_VIEW,
    Permission.DOCUMENTS_VIEW,
    Permission.DOCUMENTS_WRITE,
    Permission.STOCK_COUNT,
    Permission.PURCHASING_VIEW,
    Permission.SALES_VIEW,
]

DEFAULT_ROLES: dict[str, list[Permission]] = {
    "admin": list(Permission),
    "manager": [p for p in Permission if p != Permission.USERS_MANAGE],
    "clerk": [*_FLOOR, Permission.STOCK_ADJUST],
    # Counts blind: scans what is on the shelf and reads nothing of the books, not even stock levels.
    "counter": [Permission.CATALOG_VIEW, Permission.STOCK_COUNT],
    # Costs are sensitive: a viewer sees stock, not what it is worth.
    "viewer": [p for p in Permission if p.value.endswith(".view") and p != Permission.COSTS_VIEW],
}
