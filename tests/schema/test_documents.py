"""The document kernel over GraphQL: stock in and out as documents, states, versions, approval, numbers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from schema import build_schema
from schema.websocket import SubscriptionApp
from server.documents.models import Document
from server.inventory.check import check_ledger
from server.inventory.models import StockMove
from server.inventory.stock import on_hand_by_product
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, make_actor, unique
from tests.schema.test_subscriptions_limits import Socket

DOCUMENT_FIELDS = """
  id type number state version reason store currency rate net tax gross actions approvedBy postedAt
  lines { position sku quantity unit baseQuantity location lot }
"""
CREATE = f"""
mutation C($input: CreateDocumentInput!) {{
  createDocument(input: $input) {{ document {{ {DOCUMENT_FIELDS} }} errors {{ field code message }} }}
}}"""
UPDATE = f"""
mutation U($input: UpdateDocumentInput!) {{
  updateDocument(input: $input) {{ document {{ {DOCUMENT_FIELDS} }} errors {{ field code message }} }}
}}"""
ACT = f"""
mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ {DOCUMENT_FIELDS} }} errors {{ field code message }} }}
}}"""
REVERSE = f"""
mutation R($input: ReverseDocumentInput!) {{
  reverseDocument(input: $input) {{
    document {{ {DOCUMENT_FIELDS} reverses {{ id number }} }} errors {{ field code message }} }}
}}"""
APPROVAL_RULE = """
mutation S($input: SetApprovalRuleInput!) { setApprovalRule(input: $input) { threshold errors { field code } } }"""
SERIES = """
mutation S($input: SetNumberSeriesInput!) {
  setNumberSeries(input: $input) { pattern errors { field code message } } }"""


async def _call(graphql: GraphQLClient, query: str, name: str, token: str, **input: Any) -> dict[str, Any]:
    return (await graphql.run(query, {"input": input}, token=token))[name]  # type: ignore[no-any-return]


async def _create(graphql: GraphQLClient, token: str, store: str, lines: list[dict[str, Any]],
                  type: str = "stock.inbound", **header: Any) -> dict[str, Any]:  # fmt: skip
    payload = await _call(graphql, CREATE, "createDocument", token, type=type, store=store, lines=lines, **header)
    assert payload["errors"] == [], payload
    return payload["document"]  # type: ignore[no-any-return]


async def _act(
    graphql: GraphQLClient, token: str, document: dict[str, Any], action: str, **extra: Any
) -> dict[str, Any]:
    return await _call(graphql, ACT, "transitionDocument", token, id=document["id"], action=action, **extra)


async def _done(
    graphql: GraphQLClient, token: str, store: str, lines: list[dict[str, Any]], **kw: Any
) -> dict[str, Any]:
    document = await _create(graphql, token, store, lines, **kw)
    assert (await _act(graphql, token, document, "confirm"))["errors"] == []
    posted = await _act(graphql, token, document, "post")
    assert posted["errors"] == [], posted
    return posted["document"]  # type: ignore[no-any-return]


async def _on_hand(sku: str) -> Decimal:
    return (await on_hand_by_product_sku(sku)) or Decimal(0)


async def on_hand_by_product_sku(sku: str) -> Decimal:
    from server.catalog.models import Product

    product = await Product.get(sku=sku)
    return (await on_hand_by_product([product.id])).get(product.id, Decimal(0))


async def test_goods_in_goes_draft_confirmed_done_and_books_every_line(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    lines = [
        {"sku": place.sku, "quantity": "5", "location": place.bin_a, "price": "2.50"},
        {"sku": place.lot_sku.lower(), "quantity": "3", "location": place.bin_b, "lot": "l-1",
         "expiresOn": "2099-01-31"},
    ]  # fmt: skip
    draft = await _create(graphql, admin.token, store, lines, reason="opening")
    assert (draft["state"], draft["number"], draft["version"]) == ("draft", None, 1)
    assert draft["actions"] == ["confirm", "cancel"]
    assert [line["sku"] for line in draft["lines"]] == [place.sku, place.lot_sku]
    assert await _on_hand(place.sku) == 0  # a draft books nothing

    confirmed = (await _act(graphql, admin.token, draft, "confirm"))["document"]
    assert (confirmed["state"], confirmed["rate"], confirmed["version"]) == ("confirmed", "1.00000000", 2)
    done = (await _act(graphql, admin.token, confirmed, "post", version=2))["document"]
    year = datetime.date.today().year
    assert done["state"] == "done" and done["number"] == f"IN-{store}-{year}-00001"
    assert done["actions"] == [] and done["postedAt"] is not None
    assert await _on_hand(place.sku) == 5 and await _on_hand(place.lot_sku) == 3

    row = await Document.get(number=done["number"])
    moves = await StockMove.filter(document_id=row.id).order_by("id")
    assert [(m.document_type, m.kind, m.reason, m.quantity) for m in moves] == [
        ("stock.inbound", "receive", "opening", Decimal(5)), ("stock.inbound", "receive", "opening", Decimal(3))
    ]  # fmt: skip
    assert all(m.document_line_id is not None for m in moves)
    assert (await check_ledger()).ok


async def test_an_action_the_state_does_not_allow_is_an_illegal_transition(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a}])
    refused = await _act(graphql, admin.token, draft, "post")
    assert refused["document"] is None
    assert refused["errors"][0]["code"] == "ILLEGAL_TRANSITION" and "confirm, cancel" in refused["errors"][0]["message"]
    cancelled = (await _act(graphql, admin.token, draft, "cancel"))["document"]
    assert cancelled["state"] == "cancelled"
    again = await _act(graphql, admin.token, draft, "confirm")
    assert again["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    unknown = await _act(graphql, admin.token, draft, "explode")
    assert unknown["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    assert await _on_hand(place.sku) == 0


async def test_an_edit_from_an_old_version_is_stale_and_changes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a}])
    first = await _call(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=1, notes="Clerk A",
                        lines=[{"sku": place.sku, "quantity": "4", "location": place.bin_a}])  # fmt: skip
    assert first["errors"] == [] and first["document"]["version"] == 2
    assert first["document"]["lines"][0]["quantity"] == "4.0000"
    second = await _call(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=1, notes="Clerk B")
    assert second["document"] is None
    assert second["errors"][0]["code"] == "STALE" and second["errors"][0]["field"] == ["input", "version"]
    row = await Document.get(id=int((await Document.filter(notes="Clerk A").first()).id))  # type: ignore[union-attr]
    assert (row.notes, row.version) == ("Clerk A", 2)
    stale_act = await _act(graphql, admin.token, draft, "confirm", version=1)
    assert stale_act["errors"][0]["code"] == "STALE"


async def test_a_done_document_cannot_be_edited(graphql: GraphQLClient, admin: Actor, place: Place, store: str) -> None:
    done = await _done(graphql, admin.token, store, [{"sku": place.sku, "quantity": "2", "location": place.bin_a}])
    edit = await _call(graphql, UPDATE, "updateDocument", admin.token, id=done["id"], version=done["version"],
                       lines=[{"sku": place.sku, "quantity": "200", "location": place.bin_a}])  # fmt: skip
    assert edit["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    assert await _on_hand(place.sku) == 2


async def test_goods_out_short_on_three_of_thirty_lines_reports_all_three_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await _done(graphql, admin.token, store, [{"sku": place.sku, "quantity": "100", "location": place.bin_a}])
    moves_before = await StockMove.all().count()
    lines = [{"sku": place.sku, "quantity": "1", "location": place.bin_a} for _ in range(30)]
    for short in (4, 17, 29):
        lines[short] = {"sku": place.sku, "quantity": "1", "location": place.bin_b}  # nothing in bin B
    outbound = await _create(graphql, admin.token, store, lines, type="stock.outbound", reason="damage")
    await _act(graphql, admin.token, outbound, "confirm")
    refused = await _act(graphql, admin.token, outbound, "post")
    assert refused["document"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("INSUFFICIENT_STOCK", ["input", "lines", str(i), "quantity"]) for i in (4, 17, 29)
    ]
    assert await StockMove.all().count() == moves_before
    assert await _on_hand(place.sku) == 100
    row = await Document.filter(type="stock.outbound", store__code=store).first()
    assert row is not None and (row.state, row.number) == ("confirmed", None)

    # Fixed, it posts, and takes the first number of the series: the failure consumed none.
    fixed = await _call(graphql, UPDATE, "updateDocument", admin.token, id=outbound["id"], version=row.version,
                        lines=lines[:4])  # fmt: skip
    assert fixed["errors"][0]["code"] == "ILLEGAL_TRANSITION"  # confirmed: reopen first
    reopened = (await _act(graphql, admin.token, outbound, "reopen"))["document"]
    await _call(graphql, UPDATE, "updateDocument", admin.token, id=outbound["id"], version=reopened["version"],
                lines=lines[:4])  # fmt: skip
    await _act(graphql, admin.token, outbound, "confirm")
    posted = (await _act(graphql, admin.token, outbound, "post"))["document"]
    assert posted["number"].endswith("-00001") and posted["number"].startswith(f"OUT-{store}-")
    assert await _on_hand(place.sku) == 96


async def test_a_reversal_takes_back_the_same_lots_and_points_at_the_original(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    done = await _done(graphql, admin.token, store, [
        {"sku": place.lot_sku, "quantity": "4", "location": place.bin_a, "lot": "A"},
        {"sku": place.lot_sku, "quantity": "6", "location": place.bin_a, "lot": "B"},
    ])  # fmt: skip
    out = await _done(graphql, admin.token, store, [{"sku": place.lot_sku, "quantity": "7", "location": place.bin_a}],
                      type="stock.outbound", reason="gift")  # fmt: skip
    assert await _on_hand(place.lot_sku) == 3
    reversal = await _call(graphql, REVERSE, "reverseDocument", admin.token, id=out["id"])
    assert reversal["errors"] == []
    document = reversal["document"]
    assert (document["type"], document["state"], document["reverses"]["id"]) == ("stock.inbound", "done", out["id"])
    assert await _on_hand(place.lot_sku) == 10
    moves = await StockMove.filter(document_id=int(await _row_id(document))).order_by("id").select_related("lot")
    assert sorted((m.lot.code, m.quantity) for m in moves) == [("A", Decimal(4)), ("B", Decimal(3))]  # type: ignore[union-attr]
    twice = await _call(graphql, REVERSE, "reverseDocument", admin.token, id=out["id"])
    assert twice["errors"][0]["code"] == "INVALID" and document["number"] in twice["errors"][0]["message"]
    draft = await _create(graphql, admin.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a}])
    not_done = await _call(graphql, REVERSE, "reverseDocument", admin.token, id=draft["id"])
    assert not_done["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    assert done["state"] == "done" and (await check_ledger()).ok


async def _row_id(document: dict[str, Any]) -> int:
    row = await Document.get(number=document["number"])
    return row.id


async def test_confirming_above_the_approval_threshold_needs_an_approver(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    rule = await _call(graphql, APPROVAL_RULE, "setApprovalRule", admin.token, store=store, type="stock.inbound",
                       threshold="100")  # fmt: skip
    assert rule == {"threshold": "100.0000", "errors": []}
    clerk = await make_actor("clerk")
    small = await _create(graphql, clerk.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a,
                                                         "price": "99"}])  # fmt: skip
    assert (await _act(graphql, clerk.token, small, "confirm"))["document"]["approvedBy"] is None
    big = await _create(graphql, clerk.token, store, [{"sku": place.sku, "quantity": "3", "location": place.bin_a,
                                                       "price": "50"}])  # fmt: skip
    refused = await _act(graphql, clerk.token, big, "confirm")
    assert (
        refused["errors"][0]["code"] == "APPROVAL_REQUIRED" and "documents.approve" in refused["errors"][0]["message"]
    )
    assert (await Document.get(id=await _id_of(big))).state == "draft"
    approved = (await _act(graphql, admin.token, big, "confirm"))["document"]
    assert (approved["state"], approved["approvedBy"]) == ("confirmed", admin.username)


async def _id_of(document: dict[str, Any]) -> int:
    from schema.documents.types import document_id

    return document_id(document["id"])


async def test_a_store_numbers_a_type_by_its_own_pattern(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    bad = await _call(graphql, SERIES, "setNumberSeries", admin.token, store=store, type="stock.inbound",
                      pattern="IN-{nope}-{seq}")  # fmt: skip
    assert bad["errors"][0]["field"] == ["input", "pattern"]
    no_seq = await _call(graphql, SERIES, "setNumberSeries", admin.token, store=store, type="stock.inbound",
                         pattern="IN-{year}")  # fmt: skip
    assert no_seq["errors"][0]["code"] == "INVALID"
    ok = await _call(graphql, SERIES, "setNumberSeries", admin.token, store=store, type="stock.inbound",
                     pattern="G{year}{month}/{seq:03}")  # fmt: skip
    assert ok["errors"] == []
    done = await _done(graphql, admin.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a}])
    today = datetime.date.today()
    assert done["number"] == f"G{today.year}{today.month:02d}/001"


async def test_bad_lines_are_all_reported_with_their_paths_and_nothing_is_written(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    before = await Document.all().count()
    lines = [
        {"sku": "NO-SUCH\x00SKU", "quantity": "1", "location": place.bin_a},
        {"sku": place.sku, "quantity": "-1", "location": place.bin_a},
        {"sku": place.sku, "quantity": "1", "location": "VIRTUAL/SUPPLIER"},
        {"sku": place.sku, "quantity": "1"},
        {"sku": place.sku, "quantity": "1", "location": place.bin_a, "lot": "X"},
        {"sku": place.sku, "quantity": "1", "location": place.bin_a, "notes": "x" * 100_000},
        {"sku": place.sku, "quantity": "1", "location": place.bin_a, "unit": "parsec"},
    ]
    payload = await _call(
        graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store, lines=lines
    )
    assert payload["document"] is None
    assert [e["field"][:3] for e in payload["errors"]] == [["input", "lines", str(i)] for i in range(7)]
    assert [e["field"][3] for e in payload["errors"]] == [
        "sku",
        "quantity",
        "location",
        "location",
        "lot",
        "notes",
        "unit",
    ]
    for header, field in (({"type": "stock.nothing"}, "type"), ({"store": "NO-STORE"}, "store"),
                          ({"reason": "theft"}, "reason"), ({"currency": "XXX"}, "currency"),
                          ({"party": "\x00"}, "party"), ({"marks": ["x" * 33]}, "marks")):  # fmt: skip
        given = {"type": "stock.inbound", "store": store, "lines": [], **header}
        refused = await _call(graphql, CREATE, "createDocument", admin.token, **given)
        assert refused["errors"][0]["field"][:2] == ["input", field], (header, refused)
    assert await Document.all().count() == before


async def test_a_retried_create_answers_the_same_document(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    lines = [{"sku": place.sku, "quantity": "1", "location": place.bin_a}]
    key = unique("key")
    first = await _create(graphql, admin.token, store, lines, idempotencyKey=key)
    again = await _create(graphql, admin.token, store, lines, idempotencyKey=key)
    assert first["id"] == again["id"]
    other = await _call(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store,
                        lines=[{**lines[0], "quantity": "2"}], idempotencyKey=key)  # fmt: skip
    assert other["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_a_viewer_reads_documents_but_cannot_write_them(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, store: str
) -> None:
    document = await _create(
        graphql, admin.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a}]
    )
    read = await graphql.run("query D($id: ID!) { document(id: $id) { state lines { sku } } }", {"id": document["id"]},
                             token=viewer.token)  # fmt: skip
    assert read["document"] == {"state": "draft", "lines": [{"sku": place.sku}]}
    refused = await graphql.post(ACT, {"input": {"id": document["id"], "action": "confirm"}}, token=viewer.token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await graphql.run('query { documents(filter: {state: "draft"}, first: 500) { edges { node { id } } } }',
                               token=viewer.token)  # fmt: skip
    assert document["id"] in [edge["node"]["id"] for edge in listed["documents"]["edges"]]
    nothing_query = "query F($f: DocumentFilter) { documents(filter: $f) { edges { node { id } } } }"
    nothing = await graphql.run(nothing_query, {"f": {"store": "\x00", "number": "x" * 100}}, token=viewer.token)
    assert nothing["documents"]["edges"] == []


async def test_subscribers_of_a_document_see_every_change_of_its_state(
    graphql: GraphQLClient, settings: Settings, admin: Actor, viewer: Actor, place: Place, store: str
) -> None:
    document = await _create(
        graphql, admin.token, store, [{"sku": place.sku, "quantity": "1", "location": place.bin_a}]
    )
    socket = await Socket(SubscriptionApp(build_schema(), settings)).open(viewer.token)
    try:
        watching = await socket.subscribe(
            "subscription W($id: ID!) { documentChanged(id: $id) { state version number } }", {"id": document["id"]}
        )

        async def next_state() -> dict[str, Any]:
            message = await socket.receive()
            assert message["type"] == "next" and message["id"] == watching, message
            return message["payload"]["data"]["documentChanged"]  # type: ignore[no-any-return]

        assert await next_state() == {"state": "draft", "version": 1, "number": None}
        await _act(graphql, admin.token, document, "confirm")
        assert (await next_state())["state"] == "confirmed"
        await _act(graphql, admin.token, document, "post")
        posted = await next_state()
        assert posted["state"] == "done" and posted["number"] is not None and posted["version"] == 3
    finally:
        await socket.close()


async def test_lines_in_cases_book_base_units_and_a_whole_unit_case_refuses_a_half(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    from server.catalog.packagings import PackagingSpec, set_product_packagings

    await set_product_packagings(place.sku, [PackagingSpec("CASE", "12")], actor_id=admin.user_id)
    half_case = [{"sku": place.sku, "quantity": "0.5", "unit": "case", "location": place.bin_a}]
    half = await _call(
        graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store, lines=half_case
    )
    assert [(e["code"], e["field"]) for e in half["errors"]] == [("INVALID", ["input", "lines", "0", "quantity"])]
    lines = [{"sku": place.sku, "quantity": "11", "unit": "case", "location": place.bin_a},
             {"sku": place.sku, "quantity": "12", "location": place.bin_a}]  # fmt: skip
    done = await _done(graphql, admin.token, store, lines)
    assert [(line["quantity"], line["unit"], line["baseQuantity"]) for line in done["lines"]] == [
        ("11.0000", "CASE", "132.0000"), ("12.0000", "pcs", "12.0000")
    ]  # fmt: skip
    assert await _on_hand(place.sku) == 144
