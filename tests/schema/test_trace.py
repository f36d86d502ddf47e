"""Traceability over GraphQL: a lot followed from its receipt, through a pallet and two bins, to the
customer who got it; the origins and destinations a recall reads."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import Actor, GraphQLClient, Place, unique
from tests.schema.test_packages import CREATE, MOVE_PACKAGE, PACK, sscc

ERRORS = "errors { field code message }"
TRACE = """query T($sku: String!, $lot: String!, $only: TraceEnd, $first: Int, $after: String) {
  lotTrace(sku: $sku, lot: $lot, only: $only, first: $first, after: $after) {
    edges { node { kind quantity fromLocationCode toLocationCode fromPackageSscc toPackageSscc
                   documentType documentNumber partyCode partyName } }
    pageInfo { hasNextPage endCursor } } }"""
RECEIVE = f"""mutation R($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ {ERRORS} }} }}"""
CREATE_PARTY = f"""mutation C($input: CreatePartyInput!) {{ createParty(input: $input) {{ {ERRORS} }} }}"""
CREATE_DOCUMENT = f"""mutation C($input: CreateDocumentInput!) {{
  createDocument(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state number }} {ERRORS} }} }}"""


async def mutate(graphql: GraphQLClient, actor: Actor, query: str, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = next(iter((await graphql.run(query, {"input": input}, token=actor.token)).values()))
    assert payload["errors"] == [], payload
    return payload


async def steps(graphql: GraphQLClient, actor: Actor, sku: str, lot: str, **more: Any) -> list[dict[str, Any]]:
    data = await graphql.run(TRACE, {"sku": sku, "lot": lot, **more}, token=actor.token)
    return [edge["node"] for edge in data["lotTrace"]["edges"]]


async def test_a_lot_is_traced_from_its_supplier_through_a_pallet_to_its_customer(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    lot, customer, pallet = unique("LOT"), unique("C"), sscc()
    await mutate(graphql, admin, CREATE_PARTY, code=customer, name="Corner Shop", roles=["CUSTOMER"])
    await mutate(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity="6", lot=lot,
                 idempotencyKey=str(uuid.uuid4()))  # fmt: skip
    await mutate(graphql, admin, CREATE, sscc=pallet, kind="PALLET", locationCode=place.bin_a)
    await mutate(graphql, admin, PACK, sscc=pallet, lines=[{"sku": place.lot_sku, "quantity": "4", "lot": lot}],
                 idempotencyKey=str(uuid.uuid4()))  # fmt: skip
    await mutate(
        graphql, admin, MOVE_PACKAGE, sscc=pallet, toLocationCode=place.bin_b, idempotencyKey=str(uuid.uuid4())
    )
    line = {"sku": place.lot_sku, "quantity": "2", "location": place.bin_a, "lot": lot}
    created = await mutate(graphql, admin, CREATE_DOCUMENT, type="stock.outbound", store=store, party=customer,
                           lines=[line], reason="gift")  # fmt: skip
    document_id = created["document"]["id"]
    await mutate(graphql, admin, ACT, id=document_id, action="confirm")
    posted = await mutate(graphql, admin, ACT, id=document_id, action="post")
    number = posted["document"]["number"]

    trace = await steps(graphql, admin, place.lot_sku, lot.lower())  # codes are found as scanners send them

    assert [(s["kind"], s["quantity"], s["fromLocationCode"], s["toLocationCode"]) for s in trace] == [
        ("receive", "6.0000", "VIRTUAL/SUPPLIER", place.bin_a),
        ("pack", "4.0000", place.bin_a, place.bin_a),
        ("move", "4.0000", place.bin_a, place.bin_b),
        ("issue", "2.0000", place.bin_a, "VIRTUAL/CUSTOMER"),
    ]
    assert [(s["fromPackageSscc"], s["toPackageSscc"]) for s in trace] == [
        (None, None),
        (None, pallet),
        (pallet, pallet),
        (None, None),
    ]
    assert (trace[3]["documentType"], trace[3]["documentNumber"], trace[3]["partyCode"], trace[3]["partyName"]) == (
        "stock.outbound",
        number,
        customer,
        "Corner Shop",
    )
    origins = await steps(graphql, admin, place.lot_sku, lot, only="ORIGINS")
    destinations = await steps(graphql, admin, place.lot_sku, lot, only="DESTINATIONS")
    assert [(s["kind"], s["quantity"]) for s in origins] == [("receive", "6.0000")]
    assert [(s["partyCode"], s["quantity"]) for s in destinations] == [(customer, "2.0000")]


async def test_a_long_trace_pages_in_booking_order(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    lot = unique("LOT")
    for quantity in ("1", "2", "3"):
        await mutate(graphql, admin, RECEIVE, sku=place.lot_sku, locationCode=place.bin_a, quantity=quantity, lot=lot,
                     idempotencyKey=str(uuid.uuid4()))  # fmt: skip

    first = await graphql.run(TRACE, {"sku": place.lot_sku, "lot": lot, "first": 2}, token=admin.token)
    page = first["lotTrace"]
    rest = await steps(graphql, admin, place.lot_sku, lot, first=2, after=page["pageInfo"]["endCursor"])

    assert [e["node"]["quantity"] for e in page["edges"]] == ["1.0000", "2.0000"] and page["pageInfo"]["hasNextPage"]
    assert [s["quantity"] for s in rest] == ["3.0000"]


async def test_an_unknown_or_hostile_lot_is_not_found(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    for sku, lot in ((place.lot_sku, "NO-SUCH-LOT"), (place.lot_sku, "A\x00B"), ("X" * 100_000, "L"), ("", "")):
        response = await graphql.post(TRACE, {"sku": sku, "lot": lot}, token=admin.token)
        body = response.json()
        assert response.status_code == 200 and body["data"] is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"], body


async def test_who_got_a_lot_is_for_those_who_may_see_partners(graphql: GraphQLClient, place: Place) -> None:
    from server.auth.models import Role
    from server.auth.service import create_user, login

    role = await Role.create(name=unique("stock-only").lower(), permissions=["stock.view"])
    name = unique("stock").lower()
    await create_user(name, "correct horse battery", role.name)
    token = await login(name, "correct horse battery")

    refused = (await graphql.post(TRACE, {"sku": place.lot_sku, "lot": "L"}, token=token)).json()

    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
