"""Purchase planning over GraphQL: reorder rules (hostile input refused before the database), suggestions read
without writing, and the planning job's draft orders, which a rerun keeps as they are."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from strawberry import relay

from server import sql
from server.catalog.packagings import PackagingSpec, set_product_packagings
from server.catalog.service import ProductDetails, create_product
from server.clock import now
from server.db import connection
from server.inventory import ledger
from server.jobs.models import JobRecord, JobStatus
from server.money.pricelists import SupplierPriceInput, set_supplier_prices
from server.partners.models import Party
from server.purchasing import planning_run
from server.scanning.service import ScanInfo
from tests.conftest import Actor, GraphQLClient, Place, unique

ERRORS = "errors { field code message }"
RULE = "rule { id warehouseCode sku minimum maximum safetyStock demandDays supplier }"
SET = f"mutation S($input: SetReorderRuleInput!) {{ setReorderRule(input: $input) {{ {RULE} {ERRORS} }} }}"
DELETE = f"""mutation D($input: DeleteReorderRuleInput!) {{
  deleteReorderRule(input: $input) {{ deletedId {ERRORS} }} }}"""
RUN = f"""mutation J($input: RunPurchasePlanningInput!) {{
  runPurchasePlanning(input: $input) {{ jobId enqueued {ERRORS} }} }}"""
RULES = """query L($warehouseCode: String, $sku: String) { reorderRules(warehouseCode: $warehouseCode, sku: $sku,
  first: 10) { edges { node { sku minimum maximum supplier } } } }"""
SUGGESTIONS = """query Q($warehouseCode: String!) { purchaseSuggestions(warehouseCode: $warehouseCode) {
  sku supplier unit packQuantity packs quantity need demandNeed minMaxNeed available incoming demand demandDays
  dailyDemand leadTimeDays noPrice reason } }"""
DOCUMENT = """query D($id: ID!) { document(id: $id) { id state version store party
  lines { sku quantity unit price } purchaseOrder { warehouse } } }"""
LINES = """query D($id: ID!) { document(id: $id) { lines { sku quantity unit price discountPercent notes } } }"""
UPDATE = f"""mutation U($input: UpdateDocumentInput!) {{
  updateDocument(input: $input) {{ document {{ version lines {{ sku quantity unit }} }} {ERRORS} }} }}"""
ACT = f"""mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ state }} {ERRORS} }} }}"""


@dataclass
class Buying:
    """Two suppliers and two products sold by the case of 12, for the place's warehouse and a store holding it."""

    place: Place
    store: str
    supplier: str  # 24.00 a case, 5 days
    other: str  # 30.00 a case of ACME's product, 2 days
    sku: str
    other_sku: str


@pytest.fixture
async def buying(place: Place, store: str, admin: Actor) -> Buying:
    skus = [unique("CASED"), unique("CASED")]
    for sku in skus:
        await create_product(sku, ProductDetails(name="Cased widget"), actor_id=admin.user_id)
        await set_product_packagings(sku, [PackagingSpec("case", "12")], actor_id=admin.user_id)
    supplier = await Party.create(code=unique("SUP"), name="Northwind", roles=["supplier"], currency="EUR",
                                  lead_time_days=5)  # fmt: skip
    other = await Party.create(code=unique("SUP"), name="Acme", roles=["supplier"], currency="EUR",
                               lead_time_days=2)  # fmt: skip
    await set_supplier_prices(supplier.code, [SupplierPriceInput(sku, "case", "24.00", pack_quantity="12")
                                              for sku in skus], actor_id=admin.user_id)  # fmt: skip
    await set_supplier_prices(other.code, [SupplierPriceInput(skus[1], "case", "30.00", pack_quantity="12")],
                              actor_id=admin.user_id)  # fmt: skip
    return Buying(place, store, supplier.code, other.code, skus[0], skus[1])


async def call(graphql: GraphQLClient, query: str, actor: Actor, **input: Any) -> dict[str, Any]:
    data = await graphql.run(query, {"input": input}, token=actor.token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


def errors(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(".".join(e["field"]), e["code"]) for e in payload["errors"]]


async def rule(graphql: GraphQLClient, actor: Actor, buying: Buying, sku: str, **given: Any) -> dict[str, Any]:
    payload = await call(graphql, SET, actor, warehouse=buying.place.warehouse, sku=sku, **given)
    assert payload["errors"] == [], payload
    return payload["rule"]  # type: ignore[no-any-return]


async def plan(graphql: GraphQLClient, actor: Actor, buying: Buying) -> dict[str, Any]:
    """Run planning of the place's warehouse through the mutation; the warehouse's outcome as the job recorded it."""
    asked = await call(graphql, RUN, actor, idempotencyKey=str(uuid.uuid4()), warehouseCode=buying.place.warehouse)
    assert asked["errors"] == [] and asked["enqueued"], asked
    await graphql.queue.wait()
    record = await JobRecord.get(job_id=asked["jobId"])
    assert record.status == JobStatus.DONE, record.error
    [outcome] = record.result["warehouses"]  # type: ignore[index]
    assert outcome["error"] is None, outcome
    return outcome  # type: ignore[no-any-return]


async def suggestions(graphql: GraphQLClient, actor: Actor, buying: Buying) -> dict[str, dict[str, Any]]:
    data = await graphql.run(SUGGESTIONS, {"warehouseCode": buying.place.warehouse}, token=actor.token)
    return {s["sku"]: s for s in data["purchaseSuggestions"]}


async def document(graphql: GraphQLClient, actor: Actor, document_id: int) -> dict[str, Any]:
    data = await graphql.run(DOCUMENT, {"id": relay.to_base64("Document", document_id)}, token=actor.token)
    return data["document"]  # type: ignore[no-any-return]


async def drafts_of(buying: Buying) -> list[tuple[int, str, str, str]]:
    """Every purchase order line into the place's warehouse: (order, state, SKU, quantity unit)."""
    rows = await sql.fetch(
        connection(),
        "SELECT d.id, d.state, p.sku, l.quantity, l.unit FROM document d JOIN purchase_order o ON o.id = d.id"
        " JOIN warehouse w ON w.id = o.warehouse_id JOIN document_line l ON l.document_id = d.id"
        " JOIN product p ON p.id = l.product_id WHERE w.code = $1 ORDER BY d.id, l.position",
        buying.place.warehouse,
    )
    return [(int(r["id"]), r["state"], r["sku"], f"{Decimal(str(r['quantity'])).normalize():f} {r['unit']}")
            for r in rows]  # fmt: skip


def orders(outcome: dict[str, Any]) -> list[tuple[str, int | None, int, bool]]:
    return [(o["supplier"], o["document_id"], o["lines"], o["changed"]) for o in outcome["orders"]]


async def test_a_min_max_rule_orders_up_to_the_maximum_in_whole_cases_from_the_cheapest_supplier(
    graphql: GraphQLClient, admin: Actor, buying: Buying, store: str
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    await rule(graphql, admin, buying, buying.other_sku, minimum="0", maximum="1")
    await rule(graphql, admin, buying, buying.other_sku, minimum="5", maximum="12", supplier=buying.other.lower())

    seen = await suggestions(graphql, admin, buying)
    first = seen[buying.sku]
    assert (first["supplier"], first["minMaxNeed"], first["need"], first["packs"], first["quantity"]) == (
        buying.supplier, "40.0000", "40.0000", "4.0000", "48.0000")  # fmt: skip
    assert "at or below the minimum 10: up to the maximum 40 is 40" in first["reason"]
    assert seen[buying.other_sku]["supplier"] == buying.other  # the rule's supplier, though it costs more
    assert await drafts_of(buying) == []  # suggestions write nothing

    outcome = await plan(graphql, admin, buying)
    assert outcome["no_price"] == [] and outcome["no_store"] is False
    made = {supplier: (document_id, lines) for supplier, document_id, lines, _ in orders(outcome)}
    assert {supplier: lines for supplier, (_, lines) in made.items()} == {buying.supplier: 1, buying.other: 1}
    draft = await document(graphql, admin, made[buying.supplier][0])
    assert (draft["state"], draft["party"], draft["store"], draft["purchaseOrder"]["warehouse"]) == (
        "draft", buying.supplier, store, buying.place.warehouse)  # fmt: skip
    assert draft["lines"] == [{"sku": buying.sku, "quantity": "4.0000", "unit": "CASE", "price": "24.0000"}]
    other = await document(graphql, admin, made[buying.other][0])
    assert other["lines"] == [{"sku": buying.other_sku, "quantity": "1.0000", "unit": "CASE", "price": "30.0000"}]


async def test_the_planning_job_run_twice_gives_the_same_drafts(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    await rule(graphql, admin, buying, buying.other_sku, minimum="10", maximum="30", safetyStock="6")
    first = await plan(graphql, admin, buying)
    lines = await drafts_of(buying)
    again = await plan(graphql, admin, buying)

    assert [changed for *_, changed in orders(first)] == [True]  # both products from the cheaper supplier
    assert [(s, d, n) for s, d, n, _ in orders(again)] == [(s, d, n) for s, d, n, _ in orders(first)]
    assert [changed for *_, changed in orders(again)] == [False]
    assert await drafts_of(buying) == lines
    assert sorted(line[2:] for line in lines) == sorted([(buying.sku, "4 CASE"), (buying.other_sku, "3 CASE")])
    assert len({line[0] for line in lines}) == 1


async def test_the_demand_of_the_window_times_the_lead_time_sets_the_suggestion(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    """30 sold in the last 10 days is 3 a day; with 5 days lead time and 3 safety stock, 18 are needed: 2 cases.
    The 60 sold 40 days ago are outside the window and count nothing."""
    bin_a = buying.place.bin_a
    # Received before the old sale: no move takes stock before it came.
    before_all = ScanInfo(buying.sku, scanned_at=now() - timedelta(days=41))
    await ledger.receive(buying.sku, bin_a, "95", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()),
                         scan=before_all)  # fmt: skip
    long_ago = ScanInfo(buying.sku, scanned_at=now() - timedelta(days=40))
    await ledger.issue(buying.sku, bin_a, "60", actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()),
                       scan=long_ago)  # fmt: skip
    for quantity in ("20", "10"):
        await ledger.issue(buying.sku, bin_a, quantity, actor_id=admin.user_id, idempotency_key=str(uuid.uuid4()))
    await rule(graphql, admin, buying, buying.sku, safetyStock="3", demandDays=10)

    seen = (await suggestions(graphql, admin, buying))[buying.sku]
    assert (seen["demand"], seen["demandDays"], seen["dailyDemand"], seen["leadTimeDays"], seen["available"]) == (
        "30.0000", 10, "3.0000", 5, "5.0000")  # fmt: skip
    assert (seen["demandNeed"], seen["minMaxNeed"], seen["need"], seen["packs"], seen["quantity"]) == (
        "13.0000", "0.0000", "13.0000", "2.0000", "24.0000")  # fmt: skip
    assert seen["reason"].startswith("Demand 30 over 10 days (3 a day) x lead time 5 days + safety stock 3"
                                     " - available 5 - incoming 0 = 13.")  # fmt: skip


async def test_an_edited_draft_line_is_kept_and_counted_as_incoming(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    await rule(graphql, admin, buying, buying.other_sku, minimum="10", maximum="20")
    outcome = await plan(graphql, admin, buying)
    [(_, document_id, _, _)] = orders(outcome)
    draft = await document(graphql, admin, document_id)
    edited = [{"sku": buying.sku, "quantity": "3", "unit": "case"},
              {"sku": buying.other_sku, "quantity": "2", "unit": "case"}]  # fmt: skip
    changed = await call(graphql, UPDATE, admin, id=draft["id"], version=draft["version"], lines=edited)
    assert changed["errors"] == [], changed
    # The other product's line still says exactly what the job proposed (2 cases at the supplier's price): the job's.
    await rule(graphql, admin, buying, buying.sku, minimum="30", maximum="40")

    seen = await suggestions(graphql, admin, buying)
    assert (seen[buying.sku]["incoming"], seen[buying.sku]["packs"]) == ("36.0000", "0.0000")
    again = await plan(graphql, admin, buying)
    assert orders(again) == [(buying.supplier, document_id, 1, False)]
    assert [line[2:] for line in await drafts_of(buying)] == [(buying.sku, "3 CASE"), (buying.other_sku, "2 CASE")]

    await rule(graphql, admin, buying, buying.sku, minimum="40", maximum="60")  # 36 is below: 24 more wanted
    wanted = await plan(graphql, admin, buying)
    assert wanted["held"] == [buying.sku]  # the person's line holds the product: the job does not add to it
    assert [line[2:] for line in await drafts_of(buying)] == [(buying.sku, "3 CASE"), (buying.other_sku, "2 CASE")]


async def test_a_rerun_changes_its_own_line_and_writes_a_persons_line_back_as_it_was(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    [(_, document_id, _, _)] = orders(await plan(graphql, admin, buying))
    draft = await document(graphql, admin, document_id)
    lines = [
        {"sku": buying.sku, "quantity": "4", "unit": "CASE"},  # the job's, unchanged
        {"sku": buying.place.sku, "quantity": "7", "price": "1.50", "discountPercent": "10", "notes": "Mine"},
    ]
    added = await call(graphql, UPDATE, admin, id=draft["id"], version=draft["version"], lines=lines)
    assert added["errors"] == [], added
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="60")

    assert orders(await plan(graphql, admin, buying)) == [(buying.supplier, document_id, 1, True)]
    data = await graphql.run(LINES, {"id": relay.to_base64("Document", document_id)}, token=admin.token)
    assert data["document"]["lines"] == [
        {"sku": buying.sku, "quantity": "5.0000", "unit": "CASE", "price": "24.0000", "discountPercent": "0.00",
         "notes": ""},
        {"sku": buying.place.sku, "quantity": "7.0000", "unit": "pcs", "price": "1.5000", "discountPercent": "10.00",
         "notes": "Mine"},
    ]  # fmt: skip


async def test_a_confirmed_order_counts_as_incoming_and_is_not_ordered_again(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    [(_, document_id, _, _)] = orders(await plan(graphql, admin, buying))
    draft = await document(graphql, admin, document_id)
    confirmed = await call(graphql, ACT, admin, id=draft["id"], action="confirm")
    assert confirmed["errors"] == [] and confirmed["document"]["state"] == "confirmed"

    seen = (await suggestions(graphql, admin, buying))[buying.sku]
    assert (seen["incoming"], seen["packs"]) == ("48.0000", "0.0000")
    again = await plan(graphql, admin, buying)
    assert orders(again) == []
    assert await drafts_of(buying) == [(document_id, "confirmed", buying.sku, "4 CASE")]


async def test_lines_are_whole_packs_and_at_least_the_suppliers_minimum(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    minimum_five = SupplierPriceInput(buying.sku, "case", "20.00", pack_quantity="12", min_quantity="5")
    await set_supplier_prices(buying.other, [minimum_five], actor_id=admin.user_id)
    await rule(graphql, admin, buying, buying.sku, minimum="0", maximum="13", supplier=buying.other)
    await rule(graphql, admin, buying, buying.other_sku, minimum="0", maximum="13", supplier=buying.supplier)

    seen = await suggestions(graphql, admin, buying)
    assert [(seen[s]["need"], seen[s]["packs"], seen[s]["quantity"]) for s in (buying.sku, buying.other_sku)] == [
        ("13.0000", "5.0000", "60.0000"), ("13.0000", "2.0000", "24.0000")]  # fmt: skip
    assert "whole packs, at least 5" in seen[buying.sku]["reason"]
    await plan(graphql, admin, buying)
    assert sorted(line[2:] for line in await drafts_of(buying)) == sorted(
        [(buying.sku, "5 CASE"), (buying.other_sku, "2 CASE")])  # fmt: skip


async def test_a_product_no_supplier_has_a_price_for_is_reported(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    await rule(graphql, admin, buying, buying.place.sku, minimum="1", maximum="5")
    seen = (await suggestions(graphql, admin, buying))[buying.place.sku]
    assert (seen["noPrice"], seen["supplier"], seen["need"], seen["packs"]) == (True, None, "5.0000", "0.0000")
    assert "No supplier has a valid price" in seen["reason"]
    outcome = await plan(graphql, admin, buying)
    assert (outcome["no_price"], outcome["orders"]) == ([buying.place.sku], [])


async def test_the_same_key_asks_for_one_run(graphql: GraphQLClient, admin: Actor, buying: Buying) -> None:
    key = str(uuid.uuid4())
    asked = await call(graphql, RUN, admin, idempotencyKey=key, warehouseCode=buying.place.warehouse.lower())
    again = await call(graphql, RUN, admin, idempotencyKey=key, warehouseCode=buying.place.warehouse)
    await graphql.queue.wait()
    assert (asked["enqueued"], again["enqueued"], again["jobId"]) == (True, False, asked["jobId"])
    assert (await JobRecord.get(job_id=asked["jobId"])).kwargs == {"warehouse_code": buying.place.warehouse}


async def test_a_draft_of_the_job_no_longer_needed_is_cancelled(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    [(_, document_id, _, _)] = orders(await plan(graphql, admin, buying))
    await ledger.receive(buying.sku, buying.place.bin_a, "50", actor_id=admin.user_id,
                         idempotency_key=str(uuid.uuid4()))  # fmt: skip
    assert orders(await plan(graphql, admin, buying)) == [(buying.supplier, None, 0, True)]
    assert (await document(graphql, admin, document_id))["state"] == "cancelled"


async def test_rules_are_set_changed_listed_and_deleted_by_those_who_manage_purchasing(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, buying: Buying
) -> None:
    made = await rule(graphql, admin, buying, buying.sku.lower(), minimum="2", maximum="10")
    changed = await rule(graphql, admin, buying, buying.sku, minimum="0", maximum="12.5", safetyStock="1",
                         demandDays=60, supplier=buying.supplier)  # fmt: skip
    assert changed["id"] == made["id"]
    assert (changed["minimum"], changed["maximum"], changed["safetyStock"], changed["demandDays"],
            changed["supplier"]) == ("0.0000", "12.5000", "1.0000", 60, buying.supplier)  # fmt: skip
    listed = await graphql.run(RULES, {"warehouseCode": buying.place.warehouse}, token=admin.token)
    assert [e["node"]["sku"] for e in listed["reorderRules"]["edges"]] == [buying.sku]
    nowhere = await graphql.run(RULES, {"sku": "\x00" * 500}, token=admin.token)
    assert nowhere["reorderRules"]["edges"] == []

    for query, variables in ((SET, {"input": {"warehouse": buying.place.warehouse, "sku": buying.sku}}),
                             (SUGGESTIONS, {"warehouseCode": buying.place.warehouse}),
                             (RUN, {"input": {"idempotencyKey": str(uuid.uuid4())}})):  # fmt: skip
        refused = await graphql.post(query, variables, viewer.token)
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    deleted = await call(graphql, DELETE, admin, warehouse=buying.place.warehouse, sku=buying.sku)
    assert deleted["errors"] == [] and deleted["deletedId"] == made["id"]
    again = await call(graphql, DELETE, admin, warehouse=buying.place.warehouse, sku=buying.sku)
    assert errors(again) == [("input.sku", "NOT_FOUND")]
    for warehouse, sku, field in (("\x00", buying.sku, "warehouse"), (buying.place.warehouse, "S\x00", "sku"),
                                  ("W" * 10_000, buying.sku, "warehouse")):  # fmt: skip
        unknown = await call(graphql, DELETE, admin, warehouse=warehouse, sku=sku)
        assert errors(unknown) == [(f"input.{field}", "NOT_FOUND")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"minimum": "-1"}, ("input.minimum", "INVALID")),
        ({"maximum": "-5"}, ("input.maximum", "INVALID")),
        ({"safetyStock": "-0.5"}, ("input.safetyStock", "INVALID")),
        ({"minimum": "20", "maximum": "10"}, ("input.maximum", "INVALID")),
        ({"minimum": "NaN"}, ("input.minimum", "INVALID")),
        ({"maximum": 5}, ("input.maximum", "INVALID")),
        ({"maximum": "1e3"}, ("input.maximum", "INVALID")),
        ({"demandDays": 0}, ("input.demandDays", "INVALID")),
        ({"demandDays": 367}, ("input.demandDays", "INVALID")),
        ({"warehouse": "W\x00"}, ("input.warehouse", "NOT_FOUND")),
        ({"warehouse": "NO-SUCH-WH"}, ("input.warehouse", "NOT_FOUND")),
        ({"sku": "S\x00KU"}, ("input.sku", "NOT_FOUND")),
        ({"sku": "S" * 5000}, ("input.sku", "NOT_FOUND")),
        ({"supplier": "SUP\x00"}, ("input.supplier", "NOT_FOUND")),
        ({"supplier": "NO-SUCH-SUPPLIER"}, ("input.supplier", "NOT_FOUND")),
    ],
)
async def test_hostile_or_wrong_rules_are_refused_at_their_field(
    graphql: GraphQLClient, admin: Actor, buying: Buying, change: dict[str, Any], expected: tuple[str, str]
) -> None:
    given = {"warehouse": buying.place.warehouse, "sku": buying.sku, "minimum": "2", "maximum": "10", **change}
    payload = await call(graphql, SET, admin, **given)
    assert (payload["rule"], errors(payload)) == (None, [expected])


async def test_a_party_that_is_no_supplier_is_refused_and_an_unknown_warehouse_is_not_planned(
    graphql: GraphQLClient, admin: Actor, buying: Buying
) -> None:
    customer = await Party.create(code=unique("CUS"), name="Walk-in", roles=["customer"])
    payload = await call(graphql, SET, admin, warehouse=buying.place.warehouse, sku=buying.sku, supplier=customer.code)
    assert errors(payload) == [("input.supplier", "INVALID")]
    refused = await call(graphql, RUN, admin, idempotencyKey=str(uuid.uuid4()), warehouseCode="\x00")
    assert errors(refused) == [("input.warehouseCode", "NOT_FOUND")]
    body = (await graphql.post(SUGGESTIONS, {"warehouseCode": "NO-SUCH-WH"}, admin.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.postgres
async def test_two_runs_at_once_make_one_draft(
    graphql: GraphQLClient, admin: Actor, buying: Buying, sql_log: Any
) -> None:
    await rule(graphql, admin, buying, buying.sku, minimum="10", maximum="40")
    warehouse_id = await planning_run.warehouse_id_of(buying.place.warehouse)
    runs = await asyncio.gather(*(planning_run.plan_warehouse(warehouse_id, buying.place.warehouse)
                                  for _ in range(4)))  # fmt: skip
    assert sorted(len(r.orders) for r in runs) == [1, 1, 1, 1]
    assert sorted(r.changed for r in runs) == [False, False, False, True]
    assert [line[1:] for line in await drafts_of(buying)] == [("draft", buying.sku, "4 CASE")]
    assert any("pg_advisory_xact_lock" in s for s in sql_log.statements)
    assert any("FROM planned_order" in s and "FOR UPDATE" in s for s in sql_log.statements)
