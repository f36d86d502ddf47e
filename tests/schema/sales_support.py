"""What the sales tests share: a store selling from two warehouses, a customer, and calls over GraphQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from server.catalog.service import ProductDetails, create_product
from server.inventory.check import check_ledger
from server.inventory.locations import create_location, create_warehouse
from server.inventory.reservation_check import check_reservations
from server.partners.models import Party
from server.partners.stores import StoreDetails, create_store
from tests.conftest import Actor, GraphQLClient, unique

ERRORS = "errors { field code message }"
GROUPS = "fulfillmentGroups { warehouse lines(first: 5) { position sku quantity shipped reserved waiting } }"
DETAILS = f"""salesOrder {{ channel externalReference warehouse shippingPolicy reservation priority promisedOn
  fulfillment payment invoicing paid balanceDue revision
  lines {{ position ordered cancelled shipped returned open }} {GROUPS} }}"""
ORDER = f"id number type state version actions net tax gross {DETAILS} lines {{ position sku quantity price }}"
CREATE = f"""mutation C($input: CreateSalesOrderInput!) {{
  createSalesOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
CONFIRM = f"""mutation C($input: SalesOrderActionInput!) {{
  confirmSalesOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
CANCEL = f"""mutation C($input: SalesOrderActionInput!) {{
  cancelSalesOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
CANCEL_REMAINING = f"""mutation C($input: CancelSalesOrderRemainingInput!) {{
  cancelSalesOrderRemaining(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
AMEND = f"""mutation A($input: AmendSalesOrderInput!) {{
  amendSalesOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
RESERVE = f"""mutation R($input: SalesOrderActionInput!) {{
  reserveSalesOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
RELEASE = f"""mutation R($input: SalesOrderActionInput!) {{
  releaseSalesOrder(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
MOVE_GROUP = f"""mutation M($input: MoveFulfillmentGroupInput!) {{
  moveFulfillmentGroup(input: $input) {{ document {{ {ORDER} }} {ERRORS} }} }}"""
SET_POLICY = f"""mutation P($input: SetSalesPolicyInput!) {{
  setSalesPolicy(input: $input) {{ store maxDiscountPercent {ERRORS} }} }}"""
RECEIVE_STOCK = (
    f"""mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ moves {{ id }} {ERRORS} }} }}"""
)
ORDERS = """query O($filter: SalesOrderFilter) { salesOrders(filter: $filter, first: 50) {
  edges { node { id number state } } } }"""
AVAILABILITY = """query A($sku: String!) { availability(sku: $sku) { reserved available
  warehouses { warehouseCode onHand reserved available } } }"""


@dataclass
class Shop:
    """A store in EUR selling from two warehouses (``first`` before ``second``), each with one bin, a product, and
    a customer without a credit limit."""

    store: str
    first: str
    second: str
    first_bin: str
    second_bin: str
    sku: str
    customer: str


async def make_shop(admin: Actor, *, credit_limit: Decimal | None = None) -> Shop:
    first, second = unique("WH"), unique("WH")
    bins = []
    for warehouse in (first, second):
        await create_warehouse(warehouse, "Sales warehouse", actor_id=admin.user_id)
        code = unique("BIN")
        await create_location(warehouse, code, code, actor_id=admin.user_id)
        bins.append(code)
    sku = unique("SOLD")
    await create_product(sku, ProductDetails(name="Sold widget"), actor_id=admin.user_id)
    store = unique("S")[:12]
    await create_store(store, StoreDetails(name="Shop", currency="EUR", warehouses=[first, second]),
                       actor_id=admin.user_id)  # fmt: skip
    customer = await Party.create(code=unique("CUS"), name="Ada", roles=["customer"], credit_limit=credit_limit)
    return Shop(store, first, second, bins[0], bins[1], sku, customer.code)


def key() -> str:
    return str(uuid.uuid4())


async def call(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    return (await graphql.run(query, {"input": input}, token=actor.token))[name]  # type: ignore[no-any-return]


async def ok(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = await call(graphql, query, name, actor, **input)
    assert payload["errors"] == [], payload
    return payload


async def stock(graphql: GraphQLClient, actor: Actor, sku: str, bin_: str, quantity: str) -> None:
    await ok(graphql, RECEIVE_STOCK, "receiveStock", actor, sku=sku, locationCode=bin_, quantity=quantity,
             unitCost="5", idempotencyKey=key())  # fmt: skip


async def draft(graphql: GraphQLClient, actor: Actor, shop: Shop, lines: list[dict[str, Any]],
                **header: Any) -> dict[str, Any]:  # fmt: skip
    payload = await ok(graphql, CREATE, "createSalesOrder", actor, customer=header.pop("customer", shop.customer),
                       store=shop.store, lines=lines, **header)  # fmt: skip
    return payload["document"]  # type: ignore[no-any-return]


async def confirmed(graphql: GraphQLClient, actor: Actor, shop: Shop, lines: list[dict[str, Any]],
                    **header: Any) -> dict[str, Any]:  # fmt: skip
    order = await draft(graphql, actor, shop, lines, **header)
    return (await ok(graphql, CONFIRM, "confirmSalesOrder", actor, id=order["id"]))["document"]  # type: ignore[no-any-return]


def groups(order: dict[str, Any]) -> dict[str, list[tuple[int, str, str, str]]]:
    """Per warehouse: (position, quantity, reserved, waiting) of each of its lines."""
    return {g["warehouse"]: [(line["position"], line["quantity"], line["reserved"], line["waiting"])
                             for line in g["lines"]] for g in order["salesOrder"]["fulfillmentGroups"]}  # fmt: skip


async def assert_invariants() -> None:
    ledger, reservations = await check_ledger(), await check_reservations()
    assert ledger.ok, ledger.problems
    assert reservations.ok, reservations.problems
