"""The GraphQL graph: types, queries, mutations and subscriptions over the server's services."""

from __future__ import annotations

import functools
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig

from schema.auth.mutations import AuthMutation
from schema.auth.queries import AuthQuery
from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.context import Info
from schema.documents.mutations import DocumentsMutation
from schema.documents.queries import DocumentsQuery
from schema.documents.subscriptions import DocumentsSubscription
from schema.documents.transfers import TransfersMutation, TransfersQuery
from schema.extension import RequestExtension, runner
from schema.inputs import build_inputs_by_plan
from schema.inventory.counts import CountsMutation, CountsQuery
from schema.inventory.kits import KitsMutation, KitsQuery
from schema.inventory.losses import LossesQuery
from schema.inventory.mutations import InventoryMutation
from schema.inventory.packages import PackagesMutation, PackagesQuery
from schema.inventory.putaway import PutawayMutation, PutawayQuery
from schema.inventory.queries import InventoryQuery
from schema.inventory.replenishment import ReplenishmentMutation, ReplenishmentQuery
from schema.inventory.reservations import ReservationsMutation, ReservationsQuery
from schema.inventory.storage import StorageMutation
from schema.inventory.subscriptions import InventorySubscription
from schema.inventory.trace import TraceQuery
from schema.inventory.valuation import ValuationMutation, ValuationQuery
from schema.jobs.mutations import JobsMutation
from schema.money.mutations import MoneyMutation
from schema.money.queries import MoneyQuery
from schema.nodes import resolve_global_id
from schema.partners.mutations import PartnersMutation
from schema.partners.queries import PartnersQuery
from schema.policy import Policy
from schema.printing.mutations import PrintingMutation
from schema.printing.queries import PrintingQuery
from schema.production import is_bug
from schema.purchasing.bills import BillsMutation, BillsQuery
from schema.purchasing.inquiries import InquiriesMutation, InquiriesQuery
from schema.purchasing.landed import LandedCostsMutation, LandedCostsQuery
from schema.purchasing.mutations import PurchasingMutation
from schema.purchasing.planning import PlanningMutation, PlanningQuery
from schema.purchasing.queries import PurchasingQuery
from schema.purchasing.returns import PurchaseReturnsMutation
from schema.sales.bundles import BundlesMutation, BundlesQuery
from schema.sales.fulfillment import FulfillmentMutation, FulfillmentQuery
from schema.sales.mutations import SalesMutation
from schema.sales.payments import SalesPaymentsMutation, SalesPaymentsQuery
from schema.sales.promising import SalesAvailabilityQuery
from schema.sales.queries import SalesQuery
from schema.sales.quotations import SalesQuotationsMutation, SalesQuotationsQuery
from schema.sales.reserving import SalesReservingMutation
from schema.sales.returns import SalesReturnsMutation, SalesReturnsQuery
from schema.scalars import SCALARS
from schema.scanning.mutations import ScanningMutation
from schema.scanning.queries import ScanningQuery
from server.settings import get_settings


@strawberry.type
class Query(
    AuthQuery, CatalogQuery, DocumentsQuery, InventoryQuery, MoneyQuery, PartnersQuery, ScanningQuery, PrintingQuery,
    TransfersQuery, ReservationsQuery, PutawayQuery, ValuationQuery, PackagesQuery, TraceQuery, LossesQuery,
    CountsQuery,
    KitsQuery,
    ReplenishmentQuery,
    PurchasingQuery,
    InquiriesQuery,
    PlanningQuery,
    LandedCostsQuery,
    BillsQuery,
    SalesQuery,
    SalesPaymentsQuery,
    SalesQuotationsQuery,
    BundlesQuery,
    SalesAvailabilityQuery,
    FulfillmentQuery,
    SalesReturnsQuery,
):  # fmt: skip
    @strawberry.field(description="Any object by its global id (Relay).")
    async def node(self, info: Info, id: strawberry.ID) -> strawberry.relay.Node | None:
        return await resolve_global_id(info, id)


@strawberry.type
class Mutation(
    AuthMutation,
    CatalogMutation,
    DocumentsMutation,
    TransfersMutation,
    InventoryMutation,
    PackagesMutation,
    JobsMutation,
    MoneyMutation,
    PartnersMutation,
    ScanningMutation,
    PrintingMutation,
    ReservationsMutation,
    PutawayMutation,
    StorageMutation,
    ValuationMutation,
    CountsMutation,
    KitsMutation,
    ReplenishmentMutation,
    PurchasingMutation,
    InquiriesMutation,
    PlanningMutation,
    PurchaseReturnsMutation,
    LandedCostsMutation,
    BillsMutation,
    SalesMutation,
    SalesPaymentsMutation,
    SalesQuotationsMutation,
    BundlesMutation,
    SalesReservingMutation,
    FulfillmentMutation,
    SalesReturnsMutation,
):
    pass


@strawberry.type
class Subscription(DocumentsSubscription, InventorySubscription):
    pass


log = logging.getLogger("strawberry.execution")


class Schema(strawberry.Schema):
    def create_extensions_runner(self, execution_context: Any, extensions: list[Any]) -> Any:
        return runner(execution_context, extensions)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log bugs only, and briefly: a client's bad request or an expected refusal is its answer,
        not an incident (a flood of refused queries would flood the log), and a bug's entry holds
        its message (cut) and traceback, not the lines of the document it came from (a megabyte
        line, repeated for every error of a request)."""
        for error in errors:
            if is_bug(error):
                where = ".".join(str(key) for key in error.path or ()) or "-"
                log.error("%s (at %s)", error.message[:500], where, exc_info=error.original_error)


@functools.cache
def build_schema() -> strawberry.Schema:
    """The one schema of this process (Strawberry's relay fields cannot be built into two).

    Its limits come from the settings in force when it is first built. Its one extension is made per
    request; the parser and validation caches are shared by all requests.
    """
    settings = get_settings()
    policy = Policy.from_settings(settings)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[lambda: RequestExtension(policy)],
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    build_inputs_by_plan(schema)
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
