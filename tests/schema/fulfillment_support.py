"""What the fulfillment tests share: GraphQL documents and steps from a confirmed order to goods shipped."""

from __future__ import annotations

from typing import Any

from server.partners.models import Party
from tests.conftest import Actor, GraphQLClient, unique
from tests.schema.sales_support import ERRORS, Shop, call, key, ok

PICK_LIST = """document { id number state version } pickList { id number state version wave claimedBy
  lines(first: 50) { position orderNumber sku location lot quantity picked short reason } }"""
SHIPMENT = """document { id number state version party } shipment { id number state version orderNumber warehouse
  steps carrier shippingMethod trackingNumber shippedAt lines(first: 50) { position sku location lot quantity packed }
  packages(first: 10) { number packaging weightKg sscc } }"""
STEPS = f"""mutation S($input: SetFulfillmentStepsInput!) {{
  setFulfillmentSteps(input: $input) {{ warehouse steps outputLocation {ERRORS} }} }}"""
CREATE_PICK = (
    f"""mutation P($input: CreatePickListInput!) {{ createPickList(input: $input) {{ {PICK_LIST} {ERRORS} }} }}"""
)
CLAIM = f"""mutation C($input: PickListActionInput!) {{ claimPickList(input: $input) {{ {PICK_LIST} {ERRORS} }} }}"""
RELEASE_CLAIM = (
    f"""mutation C($input: PickListActionInput!) {{ releasePickList(input: $input) {{ {PICK_LIST} {ERRORS} }} }}"""
)
CONFIRM_PICKS = (
    f"""mutation C($input: ConfirmPicksInput!) {{ confirmPicks(input: $input) {{ {PICK_LIST} {ERRORS} }} }}"""
)
CREATE_SHIPMENT = (
    f"""mutation S($input: CreateShipmentInput!) {{ createShipment(input: $input) {{ {SHIPMENT} {ERRORS} }} }}"""
)
PACK = f"""mutation P($input: PackShipmentInput!) {{ packShipment(input: $input) {{ {SHIPMENT} {ERRORS} }} }}"""
VALIDATE = (
    f"""mutation V($input: ValidateShipmentInput!) {{ validateShipment(input: $input) {{ {SHIPMENT} {ERRORS} }} }}"""
)
ORDER = """query O($id: ID!) { document(id: $id) { state version salesOrder { fulfillment
  lines { position ordered cancelled shipped open }
  fulfillmentGroups { warehouse lines(first: 10) { position sku quantity shipped reserved waiting } } } } }"""
LEVELS = """query L($sku: String!, $warehouse: String!) { stockLevels(sku: $sku, warehouseCode: $warehouse, first: 50) {
  edges { node { locationCode onHand reserved available } } } }"""
MOVES = """query M($sku: String!) { stockMoves(sku: $sku, first: 100) { edges { node { quantity fromLocationCode
  toLocationCode kind reason unitCost } } } }"""
LABEL = """query L($id: ID!, $format: String!) { shippingLabel(id: $id, format: $format) { format contentType text
  contentBase64 } }"""
NOTE = """query N($id: ID!) { deliveryNote(id: $id) }"""


async def steps(graphql: GraphQLClient, actor: Actor, warehouse: str, count: int) -> dict[str, Any]:
    return await ok(graphql, STEPS, "setFulfillmentSteps", actor, warehouse=warehouse, steps=count,
                    idempotencyKey=key())  # fmt: skip


async def pick_list(graphql: GraphQLClient, actor: Actor, warehouse: str, *orders: str) -> dict[str, Any]:
    return await ok(graphql, CREATE_PICK, "createPickList", actor, warehouse=warehouse, orders=list(orders),
                    idempotencyKey=key())  # fmt: skip


async def picked(graphql: GraphQLClient, actor: Actor, list_id: str, lines: list[dict[str, Any]] | None = None
                 ) -> dict[str, Any]:  # fmt: skip
    return await ok(graphql, CONFIRM_PICKS, "confirmPicks", actor, id=list_id, lines=lines or [],
                    idempotencyKey=key())  # fmt: skip


async def shipment(graphql: GraphQLClient, actor: Actor, order: str, warehouse: str, **header: Any) -> dict[str, Any]:
    return await ok(graphql, CREATE_SHIPMENT, "createShipment", actor, order=order, warehouse=warehouse,
                    idempotencyKey=key(), **header)  # fmt: skip


async def validated(graphql: GraphQLClient, actor: Actor, shipment_id: str, **extra: Any) -> dict[str, Any]:
    return await ok(graphql, VALIDATE, "validateShipment", actor, id=shipment_id, idempotencyKey=key(), **extra)


async def order_state(graphql: GraphQLClient, actor: Actor, order_id: str) -> dict[str, Any]:
    return (await graphql.run(ORDER, {"id": order_id}, token=actor.token))["document"]  # type: ignore[no-any-return]


async def levels(graphql: GraphQLClient, actor: Actor, sku: str, warehouse: str) -> dict[str, tuple[str, str, str]]:
    """By location: (on hand, reserved, available)."""
    found = await graphql.run(LEVELS, {"sku": sku, "warehouse": warehouse}, token=actor.token)
    return {e["node"]["locationCode"]: (e["node"]["onHand"], e["node"]["reserved"], e["node"]["available"])
            for e in found["stockLevels"]["edges"]}  # fmt: skip


async def carrier() -> str:
    return (await Party.create(code=unique("CAR"), name="Swift Parcels", roles=["carrier"])).code


async def refused(graphql: GraphQLClient, query: str, name: str, actor: Actor, **input: Any) -> dict[str, Any]:
    payload = await call(graphql, query, name, actor, **input)
    assert payload["errors"], payload
    return payload["errors"][0]  # type: ignore[no-any-return]


def shop_lines(shop: Shop, *quantities: str, skus: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"sku": (skus or [shop.sku] * len(quantities))[i], "quantity": q, "price": "10"}
            for i, q in enumerate(quantities)]  # fmt: skip
