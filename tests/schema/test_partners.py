"""Partners over GraphQL, as a client sees them: parties and their search, customer classes, stores
and employees."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.inventory.locations import create_warehouse
from server.partners.models import Contact, Party, Store
from tests.conftest import Actor, GraphQLClient, Place, SQLLog, make_actor, unique

PARTY_FIELDS = """
  code name roles taxId currency notes marks creditLimit taxExempt leadTimeDays overReceiptPercent
  minimumOrderValue isArchived customerClass { code name }
  paymentTerms { netDays endOfMonth discountDays discountPercent }
  contacts { name phone email } addresses { kind street city postalCode region country }
"""
CREATE_PARTY = f"""
mutation C($input: CreatePartyInput!) {{
  createParty(input: $input) {{ party {{ {PARTY_FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE_PARTY = f"""
mutation U($input: UpdatePartyInput!) {{
  updateParty(input: $input) {{ party {{ {PARTY_FIELDS} }} errors {{ field code message }} }}
}}"""
ARCHIVE_PARTY = """
mutation A($code: String!) { archiveParty(input: {code: $code}) { party { isArchived } errors { code } } }"""
CREATE_CLASS = """
mutation C($input: CreateCustomerClassInput!) {
  createCustomerClass(input: $input) { customerClass { code name } errors { field code } }
}"""
PARTIES = """
query P($filter: PartyFilter, $first: Int) {
  parties(filter: $filter, first: $first) {
    edges { node { code name contacts { phone email } addresses { city } customerClass { code } } }
  }
}"""
PARTY = "query P($code: String!) { party(code: $code) { code name } }"
CREATE_STORE = """
mutation S($input: CreateStoreInput!) {
  createStore(input: $input) {
    store { code name address currency taxRounding warehouses { code } } errors { field code message }
  }
}"""
UPDATE_STORE = """
mutation S($input: UpdateStoreInput!) {
  updateStore(input: $input) { store { code taxRounding warehouses { code } } errors { field code } }
}"""
STORE = "query S($code: String!) { store(code: $code) { code currency warehouses { code } } }"
CREATE_EMPLOYEE = """
mutation E($input: CreateEmployeeInput!) {
  createEmployee(input: $input) { employee { username name stores { code } } errors { field code } }
}"""
UPDATE_EMPLOYEE = """
mutation E($input: UpdateEmployeeInput!) {
  updateEmployee(input: $input) { employee { username name stores { code } } errors { field code } }
}"""
EMPLOYEES = """
query E($store: String) { employees(store: $store, first: 50) { edges { node { username stores { code } } } } }"""


def party_input(**change: Any) -> dict[str, Any]:
    return {"code": unique("P"), "name": "Acme Trading", "roles": ["CUSTOMER"], **change}


async def create_party(graphql: GraphQLClient, admin: Actor, **change: Any) -> dict[str, Any]:
    answer = (await graphql.run(CREATE_PARTY, {"input": party_input(**change)}, token=admin.token))["createParty"]
    assert answer["errors"] == [], answer
    return answer["party"]


async def found(graphql: GraphQLClient, token: str, search: str, **filters: Any) -> list[str]:
    variables = {"filter": {"search": search, **filters}, "first": 50}
    edges = (await graphql.run(PARTIES, variables, token=token))["parties"]["edges"]
    return [edge["node"]["code"] for edge in edges]


async def test_a_party_with_every_fact_reads_back_as_it_was_written(graphql: GraphQLClient, admin: Actor) -> None:
    klass = unique("VIP")
    created = await graphql.run(CREATE_CLASS, {"input": {"code": klass.lower(), "name": "VIP"}}, token=admin.token)
    assert created["createCustomerClass"] == {"customerClass": {"code": klass, "name": "VIP"}, "errors": []}
    party = await create_party(
        graphql, admin, roles=["SUPPLIER", "CUSTOMER"], taxId="ESB12345678", currency="eur",
        paymentTerms={"netDays": 30, "endOfMonth": True, "discountDays": 10, "discountPercent": "2.5"},
        notes="Ring twice.\nDeliveries before noon.", marks=["vip", "north"], customerClass=klass,
        creditLimit="1500.50", taxExempt=True, leadTimeDays=7, overReceiptPercent="5", minimumOrderValue="250",
        contacts=[{"name": "Ana", "phone": "+34 600 11 22 33", "email": "Ana@Example.com"}],
        addresses=[{"kind": "BILLING", "street": "Calle Mayor 1", "city": "Madrid", "postalCode": "28013",
                    "country": "es"}],
    )  # fmt: skip
    assert party["roles"] == ["CUSTOMER", "SUPPLIER"]
    assert (party["currency"], party["creditLimit"], party["minimumOrderValue"]) == ("EUR", "1500.5000", "250.0000")
    assert party["paymentTerms"] == {"netDays": 30, "endOfMonth": True, "discountDays": 10, "discountPercent": "2.50"}
    assert party["notes"] == "Ring twice.\nDeliveries before noon." and party["marks"] == ["vip", "north"]
    assert party["customerClass"] == {"code": klass, "name": "VIP"}
    assert party["contacts"] == [{"name": "Ana", "phone": "+34 600 11 22 33", "email": "ana@example.com"}]
    assert party["addresses"] == [{"kind": "BILLING", "street": "Calle Mayor 1", "city": "Madrid",
                                   "postalCode": "28013", "region": "", "country": "ES"}]  # fmt: skip


async def test_an_update_changes_roles_and_replaces_the_lists(graphql: GraphQLClient, admin: Actor) -> None:
    party = await create_party(graphql, admin, contacts=[{"name": "A"}, {"name": "B"}], creditLimit="100")
    change = {"code": party["code"], "roles": ["CARRIER", "CUSTOMER"], "contacts": [{"name": "C"}],
              "creditLimit": "", "addresses": [], "paymentTerms": {"netDays": 15}}  # fmt: skip
    updated = (await graphql.run(UPDATE_PARTY, {"input": change}, token=admin.token))["updateParty"]
    assert updated["errors"] == []
    assert updated["party"]["roles"] == ["CUSTOMER", "CARRIER"]
    assert updated["party"]["contacts"] == [{"name": "C", "phone": None, "email": None}]
    assert updated["party"]["creditLimit"] is None and updated["party"]["paymentTerms"]["netDays"] == 15
    renamed = await graphql.run(UPDATE_PARTY, {"input": {"code": party["code"], "name": "New"}}, token=admin.token)
    assert renamed["updateParty"]["party"]["contacts"] == [{"name": "C", "phone": None, "email": None}]
    assert renamed["updateParty"]["party"]["roles"] == ["CUSTOMER", "CARRIER"]
    no_roles = await graphql.run(UPDATE_PARTY, {"input": {"code": party["code"], "roles": []}}, token=admin.token)
    assert [(e["field"], e["code"]) for e in no_roles["updateParty"]["errors"]] == [(["input", "roles"], "INVALID")]


async def test_phone_search_ignores_how_the_number_is_written(graphql: GraphQLClient, admin: Actor) -> None:
    a, b = (f"6{uuid.uuid4().int % 10**8:08d}" for _ in range(2))  # this test's own numbers
    spaced = await create_party(
        graphql, admin, contacts=[{"name": "A", "phone": f"+34 {a[:3]} {a[3:5]} {a[5:7]} {a[7:]}"}]
    )
    plain = await create_party(graphql, admin, contacts=[{"name": "B", "phone": b}])
    assert await found(graphql, admin.token, a) == [spaced["code"]]
    assert await found(graphql, admin.token, f"{a[:3]}-{a[3:5]}-{a[5:7]}-{a[7:]}") == [spaced["code"]]
    assert await found(graphql, admin.token, f"+34 {b[:3]} {b[3:5]} {b[5:7]} {b[7:]}") == [plain["code"]]
    assert await found(graphql, admin.token, f"({b[:3]}) {b[3:5]}.{b[5:7]}.{b[7:]}") == [plain["code"]]


async def test_email_search_finds_any_case(graphql: GraphQLClient, admin: Actor) -> None:
    box = f"buyer.{uuid.uuid4().hex[:8]}"
    party = await create_party(graphql, admin, contacts=[{"name": "A", "email": f"{box}@Shop.example"}])
    assert await found(graphql, admin.token, f"{box.upper()}@shop") == [party["code"]]
    assert await found(graphql, admin.token, box, role="SUPPLIER") == []
    assert await found(graphql, admin.token, box, role="CUSTOMER") == [party["code"]]


async def test_archived_parties_leave_the_list(graphql: GraphQLClient, admin: Actor) -> None:
    party = await create_party(graphql, admin)
    archived = await graphql.run(ARCHIVE_PARTY, {"code": party["code"]}, token=admin.token)
    assert archived["archiveParty"] == {"party": {"isArchived": True}, "errors": []}
    assert await found(graphql, admin.token, party["code"]) == []
    assert await found(graphql, admin.token, party["code"], includeArchived=True) == [party["code"]]
    assert (await graphql.run(PARTY, {"code": party["code"]}, token=admin.token))["party"]["code"] == party["code"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contacts": [{"name": "A"}, {"name": "B"}, {"name": "C", "email": "c@"}]}, ["contacts", "2", "email"]),
        ({"contacts": [{"name": "A", "phone": "600 11 22 33 ext 4"}]}, ["contacts", "0", "phone"]),
        ({"contacts": [{"name": "A", "phone": "12 34"}]}, ["contacts", "0", "phone"]),
        ({"contacts": [{"name": "A", "phone": "\uff16\uff10\uff10112233"}]}, ["contacts", "0", "phone"]),  # full-width
        ({"contacts": [{"name": "A\x00"}]}, ["contacts", "0", "name"]),
        ({"contacts": [{"name": "A"}] * 21}, ["contacts"]),
        (
            {"addresses": [{"kind": "SHIPPING", "street": "S", "city": "C", "country": "XX"}]},
            ["addresses", "0", "country"],
        ),
        (
            {"addresses": [{"kind": "SHIPPING", "street": "S", "city": "C", "country": "ESP"}]},
            ["addresses", "0", "country"],
        ),
        (
            {"addresses": [{"kind": "SHIPPING", "street": "", "city": "C", "country": "ES"}]},
            ["addresses", "0", "street"],
        ),
        ({"currency": "EURO"}, ["currency"]),
        ({"currency": "\u20ac"}, ["currency"]),
        ({"creditLimit": "-1"}, ["creditLimit"]),
        ({"creditLimit": "1e3"}, ["creditLimit"]),
        ({"creditLimit": "0.00001"}, ["creditLimit"]),
        ({"creditLimit": "9" * 30}, ["creditLimit"]),
        ({"creditLimit": 12.5}, ["creditLimit"]),
        ({"overReceiptPercent": "100.01"}, ["overReceiptPercent"]),
        ({"leadTimeDays": -1}, ["leadTimeDays"]),
        ({"paymentTerms": {"netDays": 100000}}, ["paymentTerms", "netDays"]),
        ({"paymentTerms": {"discountPercent": "-2"}}, ["paymentTerms", "discountPercent"]),
        ({"marks": ["ok", "\u202eevil"]}, ["marks", "1"]),
        ({"name": "x" * 500_000}, ["name"]),
        ({"name": "Acme\x00"}, ["name"]),
        ({"notes": "n" * 500_000}, ["notes"]),
        ({"contacts": [{"name": "A", "email": "e" * 500_000 + "@example.com"}]}, ["contacts", "0", "email"]),
        ({"contacts": [{"name": "A", "phone": "6" * 500_000}]}, ["contacts", "0", "phone"]),
        ({"code": "A B"}, ["code"]),
        ({"code": "\x00"}, ["code"]),
        ({"roles": []}, ["roles"]),
        ({"customerClass": "NO-SUCH-CLASS"}, ["customerClass"]),
        ({"idempotencyKey": "k" * 10_000}, ["idempotencyKey"]),
    ],
)
async def test_bad_input_names_its_field_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, change: dict[str, Any], field: list[str]
) -> None:
    variables = {"input": party_input(**change)}
    before = (await Party.all().count(), await Contact.all().count())
    response = await graphql.post(CREATE_PARTY, variables, admin.token)
    assert response.status_code == 200
    answer = response.json()["data"]["createParty"]
    assert answer["party"] is None
    assert [(error["field"], error["code"]) for error in answer["errors"]] in (
        [(["input", *field], "INVALID")],
        [(["input", *field], "NOT_FOUND")],
    )
    assert len(answer["errors"][0]["message"]) < 300  # a long input does not come back in the message
    assert (await Party.all().count(), await Contact.all().count()) == before


async def test_a_ten_megabyte_request_is_refused_before_it_is_read(graphql: GraphQLClient, admin: Actor) -> None:
    code = unique("P")
    variables = {"input": party_input(code=code, name="x" * 10_000_000)}
    response = await graphql.post(CREATE_PARTY, variables, admin.token)
    assert response.status_code == 413
    assert not await Party.exists(code=code)


@pytest.mark.parametrize("search", ["\x00", "x" * 500_000, "%", "_", "\u200b", "'; DROP TABLE party; --"])
async def test_hostile_searches_find_nothing(graphql: GraphQLClient, admin: Actor, search: str) -> None:
    await create_party(graphql, admin)
    assert await found(graphql, admin.token, search) == []
    for query in (PARTY, STORE):
        answer = await graphql.run(query, {"code": search}, token=admin.token)
        assert list(answer.values()) == [None]
    employees = await graphql.run(EMPLOYEES, {"store": search}, token=admin.token)
    assert employees["employees"]["edges"] == []


async def test_a_viewer_reads_parties_but_cannot_write_them(
    graphql: GraphQLClient, admin: Actor, viewer: Actor
) -> None:
    party = await create_party(graphql, admin)
    assert await found(graphql, viewer.token, party["code"]) == [party["code"]]
    code = unique("P")
    for query, variables in (
        (CREATE_PARTY, {"input": party_input(code=code)}),
        (CREATE_STORE, {"input": {"code": code[:16], "name": "S", "currency": "EUR"}}),
        (CREATE_CLASS, {"input": {"code": code, "name": "C"}}),
    ):
        body = (await graphql.post(query, variables, viewer.token)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await Party.exists(code=code) and not await Store.exists(code=code[:16])


async def test_a_retried_create_answers_the_first_party(graphql: GraphQLClient, admin: Actor) -> None:
    variables = {"input": party_input(idempotencyKey=str(uuid.uuid4()), contacts=[{"name": "Once"}])}
    first = (await graphql.run(CREATE_PARTY, variables, token=admin.token))["createParty"]
    again = (await graphql.run(CREATE_PARTY, variables, token=admin.token))["createParty"]
    assert first["errors"] == [] and again == first
    assert await Party.filter(code=first["party"]["code"]).count() == 1
    assert await Contact.filter(party__code=first["party"]["code"]).count() == 1
    twice = await graphql.run(CREATE_PARTY, {"input": party_input(code=first["party"]["code"])}, token=admin.token)
    assert twice["createParty"]["errors"][0]["code"] == "ALREADY_EXISTS"


async def test_a_store_with_two_warehouses_and_an_employee_of_two_stores(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    second = unique("WH")
    await create_warehouse(second, "Second", actor_id=admin.user_id)
    north, south = unique("N")[:12], unique("S")[:12]
    given = {"code": north.lower(), "name": "North", "address": "Calle 1\n28013 Madrid", "currency": "eur",
             "warehouses": [second, place.warehouse.lower()]}  # fmt: skip
    store = (await graphql.run(CREATE_STORE, {"input": given}, token=admin.token))["createStore"]
    assert store["errors"] == []
    assert store["store"] == {
        "code": north, "name": "North", "address": "Calle 1\n28013 Madrid", "currency": "EUR",
        "taxRounding": "PER_LINE", "warehouses": [{"code": code} for code in sorted([place.warehouse, second])],
    }  # fmt: skip
    other = {"code": south, "name": "South", "currency": "USD"}
    assert (await graphql.run(CREATE_STORE, {"input": other}, token=admin.token))["createStore"]["errors"] == []
    clerk = await make_actor("clerk")
    hired = {"username": clerk.username, "stores": [south, north]}
    employee = (await graphql.run(CREATE_EMPLOYEE, {"input": hired}, token=admin.token))["createEmployee"]
    assert employee["errors"] == []
    assert employee["employee"] == {
        "username": clerk.username, "name": clerk.username, "stores": [{"code": c} for c in sorted([north, south])]
    }  # fmt: skip
    of_north = (await graphql.run(EMPLOYEES, {"store": north}, token=admin.token))["employees"]["edges"]
    assert [edge["node"]["username"] for edge in of_north] == [clerk.username]
    moved = {"username": clerk.username, "name": "Clerk", "stores": [south]}
    answer = (await graphql.run(UPDATE_EMPLOYEE, {"input": moved}, token=admin.token))["updateEmployee"]
    assert answer["employee"] == {"username": clerk.username, "name": "Clerk", "stores": [{"code": south}]}
    assert (await graphql.run(EMPLOYEES, {"store": north}, token=admin.token))["employees"]["edges"] == []
    again = await graphql.run(CREATE_EMPLOYEE, {"input": {"username": clerk.username}}, token=admin.token)
    assert again["createEmployee"]["errors"] == [{"field": ["input", "username"], "code": "ALREADY_EXISTS"}]


async def test_store_input_is_checked_before_anything_is_written(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    code = unique("S")[:12]
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"currency": "EU"}, ["currency"]),
        ({"code": "MAIN/1"}, ["code"]),  # it goes into document numbers and file names
        ({"code": "x" * 17}, ["code"]),
        ({"warehouses": [place.warehouse, "NO-SUCH-WH"]}, ["warehouses", "1"]),
        ({"warehouses": [place.warehouse, place.warehouse.lower()]}, ["warehouses", "1"]),
        ({"address": "a\x00"}, ["address"]),
    ]
    for change, field in cases:
        variables = {"input": {"code": code, "name": "S", "currency": "EUR", **change}}
        answer = (await graphql.run(CREATE_STORE, variables, token=admin.token))["createStore"]
        assert [e["field"] for e in answer["errors"]] == [["input", *field]], change
    assert not await Store.exists(code=code)
    await graphql.run(CREATE_STORE, {"input": {"code": code, "name": "S", "currency": "EUR"}}, token=admin.token)
    change = {"code": code, "taxRounding": "PER_DOCUMENT", "warehouses": [place.warehouse]}
    updated = await graphql.run(UPDATE_STORE, {"input": change}, token=admin.token)
    assert updated["updateStore"] == {"store": {"code": code, "taxRounding": "PER_DOCUMENT",
                                                "warehouses": [{"code": place.warehouse}]}, "errors": []}  # fmt: skip
    read = await graphql.run(STORE, {"code": code.lower()}, token=admin.token)
    assert read["store"] == {"code": code, "currency": "EUR", "warehouses": [{"code": place.warehouse}]}


async def test_queries_for_a_page_of_parties_do_not_grow_with_its_size(
    graphql: GraphQLClient, admin: Actor, sql_log: SQLLog
) -> None:
    tag = unique("QP")
    klass = unique("QC")
    await graphql.run(CREATE_CLASS, {"input": {"code": klass, "name": "Q"}}, token=admin.token)
    for n in range(12):
        await create_party(
            graphql, admin, code=f"{tag}-{n:02d}", customerClass=klass,
            contacts=[{"name": "A", "phone": f"+34 699 00 00 {n:02d}"}, {"name": "B"}],
            addresses=[{"kind": "BILLING", "street": "S", "city": "C", "country": "ES"}],
        )  # fmt: skip
    counts = []
    for size in (1, 4, 12):
        sql_log.statements.clear()
        data = await graphql.run(PARTIES, {"filter": {"search": tag}, "first": size}, token=admin.token)
        edges = data["parties"]["edges"]
        assert len(edges) == size
        assert all(len(e["node"]["contacts"]) == 2 and e["node"]["customerClass"] == {"code": klass} for e in edges)
        counts.append(len(sql_log.statements))
    assert counts[0] == counts[1] == counts[2], counts


async def test_a_party_is_a_node_a_viewer_can_fetch(graphql: GraphQLClient, admin: Actor, viewer: Actor) -> None:
    party = await create_party(graphql, admin, contacts=[{"name": "Ann"}])
    listed = await graphql.run(
        "query P($code: String!) { parties(filter: {search: $code}) { edges { node { id } } } }",
        {"code": party["code"]},
        token=viewer.token,
    )
    node_id = listed["parties"]["edges"][0]["node"]["id"]
    node = await graphql.run(
        "query N($id: ID!) { node(id: $id) { ... on Party { code contacts { name } } } }",
        {"id": node_id},
        token=viewer.token,
    )
    assert node["node"] == {"code": party["code"], "contacts": [{"name": "Ann"}]}
