"""Hostile input and races against the commerce kernel: documents, number series, approval rules,
attachments and mail, parties, money and units. Every answer is a UserError, an empty result or a
refusal GraphQL itself makes (a value that is not of the argument's type), never a bug; bad input
writes nothing; a race books once."""

from __future__ import annotations

import asyncio
import base64
import datetime
import random
import string
from decimal import Decimal
from typing import Any

import pytest
from strawberry import relay

from server.documents.models import Attachment, Document
from server.errors import ErrorCode
from server.inventory.check import check_ledger
from server.inventory.models import StockMove
from server.mail.models import OutboxMessage
from tests.conftest import Actor, GraphQLClient, Place, unique

BIG = "x" * 500_000  # under the 1 MiB body limit, over every column
KNOWN_CODES = {code.value for code in ErrorCode}

DOCUMENT_FIELDS = "id type number state version store currency rate gross lines { sku quantity baseQuantity lot }"
ERRORS = "errors { field code message }"
CREATE = f"""
mutation C($input: CreateDocumentInput!) {{ createDocument(input: $input) {{
  document {{ {DOCUMENT_FIELDS} }} {ERRORS} }} }}"""
UPDATE = f"""
mutation U($input: UpdateDocumentInput!) {{ updateDocument(input: $input) {{
  document {{ {DOCUMENT_FIELDS} }} {ERRORS} }} }}"""
ACT = f"""
mutation A($input: TransitionDocumentInput!) {{
  transitionDocument(input: $input) {{ document {{ {DOCUMENT_FIELDS} }} {ERRORS} }} }}"""
REVERSE = f"""
mutation R($input: ReverseDocumentInput!) {{ reverseDocument(input: $input) {{
  document {{ {DOCUMENT_FIELDS} }} {ERRORS} }} }}"""
SEND = f"""
mutation S($input: SendDocumentInput!) {{ sendDocument(input: $input) {{ document {{ id }} {ERRORS} }} }}"""
ATTACH = f"""
mutation T($input: AttachToDocumentInput!) {{
  attachToDocument(input: $input) {{ document {{ id attachments {{ id name size }} }} {ERRORS} }} }}"""
DETACH = f"""
mutation D($input: RemoveDocumentAttachmentInput!) {{
  removeDocumentAttachment(input: $input) {{ document {{ id attachments {{ id }} }} {ERRORS} }} }}"""
SERIES = f"""
mutation S($input: SetNumberSeriesInput!) {{ setNumberSeries(input: $input) {{ pattern gapless {ERRORS} }} }}"""
APPROVAL = f"""
mutation S($input: SetApprovalRuleInput!) {{ setApprovalRule(input: $input) {{ threshold {ERRORS} }} }}"""
DOCUMENTS = """
query Q($f: DocumentFilter, $first: Int, $after: String) {
  documents(filter: $f, first: $first, after: $after) { edges { node { id } } } }"""
DOCUMENT = "query D($id: ID!) { document(id: $id) { id state } }"
ARCHIVE = "mutation A($sku: String!) { archiveProduct(input: {sku: $sku}) { errors { code } } }"
CREATE_PARTY = f"""
mutation P($input: CreatePartyInput!) {{ createParty(input: $input) {{ party {{ code }} {ERRORS} }} }}"""
PARTIES = """
query P($f: PartyFilter, $first: Int) { parties(filter: $f, first: $first) { edges { node { code } } } }"""
RATE = f"""
mutation R($input: SetExchangeRateInput!) {{ setExchangeRate(input: $input) {{ exchangeRate {{ rate }} {ERRORS} }} }}"""
PRICE = """
query P($sku: String!, $q: Decimal!, $party: String, $unit: String, $currency: String) {
  price(sku: $sku, quantity: $q, partyCode: $party, unit: $unit, currency: $currency) { price source } }"""
PRICE_LIST = f"""
mutation L($input: CreatePriceListInput!) {{ createPriceList(input: $input) {{ priceList {{ code }} {ERRORS} }} }}"""
PRICE_ITEMS = f"""
mutation I($input: SetPriceListItemsInput!) {{ setPriceListItems(input: $input) {{ itemCount {ERRORS} }} }}"""
CONVERT = """
query C($sku: String!, $q: Decimal!, $unit: String) {
  convertQuantity(sku: $sku, quantity: $q, unit: $unit) { baseQuantity unit } }"""
PACKAGINGS = f"""
mutation P($input: SetProductPackagingsInput!) {{
  setProductPackagings(input: $input) {{ product {{ sku }} {ERRORS} }} }}"""


# Helpers


def _no_bug(status: int, body: dict[str, Any]) -> None:
    """No 500, and every GraphQL error is either a domain error with its code or GraphQL's own
    refusal of a value that is not of the argument's type."""
    assert status < 500, body
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        message = error.get("message", "")
        typed = "invalid value" in message or "cannot represent" in message or "Expected value of type" in message
        assert code in KNOWN_CODES or typed, error


async def _post(graphql: GraphQLClient, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    response = await graphql.post(query, variables, token)
    body = response.json()
    _no_bug(response.status_code, body)
    return body  # type: ignore[no-any-return]


async def _payload(graphql: GraphQLClient, query: str, name: str, token: str, /, **input: Any) -> dict[str, Any]:
    """The mutation's payload; a request-level refusal (bad type) comes back as {"refused": ...}."""
    body = await _post(graphql, query, {"input": input}, token)
    if body.get("errors"):
        return {"refused": body["errors"], "errors": body["errors"]}
    return body["data"][name]  # type: ignore[no-any-return]


def _line(place: Place, **change: Any) -> dict[str, Any]:
    return {"sku": place.sku, "quantity": "1", "location": place.bin_a, **change}


async def _create(graphql: GraphQLClient, token: str, store: str, lines: list[dict[str, Any]],
                  type: str = "stock.inbound", **header: Any) -> dict[str, Any]:  # fmt: skip
    payload = await _payload(graphql, CREATE, "createDocument", token, type=type, store=store, lines=lines, **header)
    assert payload["errors"] == [], payload
    return payload["document"]  # type: ignore[no-any-return]


async def _act(graphql: GraphQLClient, token: str, document: dict[str, Any], action: str, **extra: Any) -> Any:
    return await _payload(graphql, ACT, "transitionDocument", token, id=document["id"], action=action, **extra)


async def _done(graphql: GraphQLClient, token: str, store: str, lines: list[dict[str, Any]],
                **kw: Any) -> dict[str, Any]:  # fmt: skip
    document = await _create(graphql, token, store, lines, **kw)
    assert (await _act(graphql, token, document, "confirm"))["errors"] == []
    posted = await _act(graphql, token, document, "post")
    assert posted["errors"] == [], posted
    return posted["document"]  # type: ignore[no-any-return]


def _row_id(document: dict[str, Any]) -> int:
    return int(relay.GlobalID.from_id(document["id"]).node_id)


async def _counts() -> tuple[int, int, int, int]:
    return (await Document.all().count(), await StockMove.all().count(), await Attachment.all().count(),
            await OutboxMessage.all().count())  # fmt: skip


async def _other_store(place: Place, admin: Actor, currency: str = "EUR") -> str:
    from server.partners.stores import StoreDetails, create_store

    code = unique("T")[:12]
    await create_store(code, StoreDetails(name="Other", currency=currency, warehouses=[place.warehouse]),
                       actor_id=admin.user_id)  # fmt: skip
    return code


async def _fresh_currency(admin: Actor) -> str:
    from server.errors import AlreadyExists
    from server.money.rates import create_currency

    while True:
        code = "Q" + "".join(random.choices(string.ascii_uppercase, k=2))
        try:
            await create_currency(code, f"Test {code}", 2, actor_id=admin.user_id)
        except AlreadyExists:
            continue
        return code


def _gid(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


BAD_DOCUMENT_IDS = [
    "",
    "not base64 at all \x00",
    _gid("Product", "1"),
    _gid("Document", "0"),
    _gid("Document", "-1"),
    _gid("Document", "1e3"),
    _gid("Document", "9223372036854775808"),  # beyond BIGINT
    _gid("Document", "9" * 40),
    _gid("Document", "9223372036854775807"),  # the largest BIGINT: no such document
    _gid("Document", "\x00"),
    base64.b64encode(b"Document:\xff\xfe").decode(),  # not UTF-8
    "x" * 500_000,
]


# Documents: hostile header and lines


@pytest.mark.parametrize(
    "header",
    [
        {"notes": "a\x00b"},
        {"notes": BIG},
        {"notes": "\u202egnp.exe"},
        {"party": BIG},
        {"party": "\u200b"},
        {"currency": BIG},
        {"currency": "eu\x00"},
        {"reason": BIG},
        {"reason": "opening\x00"},
        {"marks": ["ok", "\x00"]},
        {"marks": ["m"] * 10_000},
        {"marks": [BIG]},
        {"type": BIG},
        {"type": "stock.inbound\x00"},
        {"store": BIG},
        {"store": "\x00"},
        {"businessDate": "2030-02-30"},
        {"businessDate": "0000-01-01"},
        {"businessDate": 20300101},
        {"idempotencyKey": BIG},
        {"idempotencyKey": "\x00"},
        {"currency": 978},
        {"notes": 12},
        {"pricesIncludeTax": "yes"},
    ],
)
async def test_a_hostile_header_is_a_user_error_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, header: dict[str, Any]
) -> None:
    before = await _counts()
    given = {"type": "stock.inbound", "store": store, "lines": [_line(place)], **header}
    payload = await _payload(graphql, CREATE, "createDocument", admin.token, **given)
    assert payload.get("document") is None and payload["errors"], payload
    assert await _counts() == before


@pytest.mark.parametrize(
    "change",
    [
        {"sku": BIG},
        {"sku": "\x00"},
        {"quantity": 5},
        {"quantity": 0.5},
        {"quantity": "1e3"},
        {"quantity": "0"},
        {"quantity": "-0"},
        {"quantity": "1" + "0" * 30},
        {"quantity": "9" * 499_000},
        {"quantity": "0.00001"},
        {"quantity": "NaN"},
        {"quantity": "Infinity"},
        {"quantity": "١٢"},  # Arabic-Indic digits
        {"quantity": {"value": "1"}},
        {"quantity": ["1"]},
        {"quantity": None},
        {"price": 2.5},
        {"price": "-1"},
        {"price": "1" + "0" * 13},
        {"price": "0.00001"},
        {"discountPercent": "100.01"},
        {"discountPercent": "-5"},
        {"discountPercent": 10},
        {"unit": BIG},
        {"unit": "pcs\x00"},
        {"unit": "kg"},  # another category
        {"location": BIG},
        {"location": "\x00"},
        {"lot": "L\x00"},
        {"lot": BIG},
        {"notes": "\x00"},
        {"notes": BIG},
        {"expiresOn": "2030-01-01"},  # without a lot
        {"expiresOn": "31/12/2030"},
    ],
)
async def test_a_hostile_line_is_a_user_error_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, change: dict[str, Any]
) -> None:
    before = await _counts()
    payload = await _payload(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store,
                             lines=[_line(place, **change)])  # fmt: skip
    assert payload.get("document") is None and payload["errors"], payload
    if "refused" not in payload:
        assert payload["errors"][0]["field"][:3] == ["input", "lines", "0"], payload
    assert await _counts() == before


async def test_more_lines_than_a_document_has_are_refused(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    before = await _counts()
    payload = await _payload(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store,
                             lines=[{"sku": "A", "quantity": "1"}] * 2001)  # fmt: skip
    assert payload["errors"][0]["field"] == ["input", "lines"]
    assert await _counts() == before


async def test_thousands_of_bad_lines_report_a_bounded_list(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    payload = await _payload(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=store,
                             lines=[_line(place, quantity="-1")] * 2000)  # fmt: skip
    assert 1 <= len(payload["errors"]) <= 50


@pytest.mark.parametrize("raw", BAD_DOCUMENT_IDS)
async def test_an_id_that_names_no_document_is_a_user_error_everywhere(
    graphql: GraphQLClient, admin: Actor, raw: str
) -> None:
    before = await _counts()
    calls = [
        (UPDATE, "updateDocument", {"id": raw, "version": 1, "notes": "x"}),
        (ACT, "transitionDocument", {"id": raw, "action": "confirm"}),
        (REVERSE, "reverseDocument", {"id": raw}),
        (SEND, "sendDocument", {"id": raw, "to": ["a@example.com"]}),
        (ATTACH, "attachToDocument", {"id": raw, "name": "a.txt", "contentType": "text/plain",
                                      "contentBase64": "aGk="}),
        (DETACH, "removeDocumentAttachment", {"id": raw, "attachment": "1"}),
    ]  # fmt: skip
    for query, name, given in calls:
        payload = await _payload(graphql, query, name, admin.token, **given)
        assert payload.get("document") is None and payload["errors"], (name, payload)
        assert payload["errors"][0]["code"] in {"INVALID", "NOT_FOUND"}, (name, payload)
    read = await _post(graphql, DOCUMENT, {"id": raw}, admin.token)
    assert read.get("data") is None or read["data"]["document"] is None
    node = await _post(graphql, "query N($id: ID!) { node(id: $id) { id } }", {"id": raw}, admin.token)
    if raw != _gid("Product", "1"):  # a product's id names a product, rightly
        assert node.get("data") is None or node["data"]["node"] is None
    assert await _counts() == before


@pytest.mark.parametrize(
    "given",
    [
        {"version": 2**31},
        {"version": -(2**31) - 1},
        {"version": "1"},
        {"version": 1.5},
        {"action": BIG},
        {"action": "post\x00"},
        {"action": ""},
        {"action": 7},
        {"idempotencyKey": BIG},
    ],
)
async def test_a_hostile_transition_changes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, given: dict[str, Any]
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    payload = await _payload(graphql, ACT, "transitionDocument", admin.token,
                             **{"id": draft["id"], "action": "confirm", **given})  # fmt: skip
    assert payload.get("document") is None and payload["errors"], payload
    assert (await Document.get(id=_row_id(draft))).state == "draft"


async def test_an_edit_with_a_stale_or_impossible_version_is_stale_and_changes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    confirmed = (await _act(graphql, admin.token, draft, "confirm"))["document"]
    reopened = (await _act(graphql, admin.token, confirmed, "reopen"))["document"]
    assert reopened["version"] == 3
    for version in (1, 2, 0, -1, 2**31 - 1, -(2**31)):
        edit = await _payload(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=version,
                              notes="late", lines=[_line(place, quantity="99")])  # fmt: skip
        assert edit["document"] is None and edit["errors"][0]["code"] == "STALE", (version, edit)
        act = await _act(graphql, admin.token, draft, "confirm", version=version)
        assert act["errors"][0]["code"] == "STALE"
    row = await Document.get(id=_row_id(draft))
    assert (row.version, row.notes, row.state) == (3, "", "draft")


async def test_a_retried_update_replays_and_does_not_bump_the_version_twice(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    key = unique("upd")
    given = {"id": draft["id"], "version": 1, "notes": "once", "idempotencyKey": key,
             "businessDate": "2031-05-06", "lines": [_line(place, quantity="2", expiresOn=None)]}  # fmt: skip
    first = await _payload(graphql, UPDATE, "updateDocument", admin.token, **given)
    again = await _payload(graphql, UPDATE, "updateDocument", admin.token, **given)
    assert first["errors"] == [] and again["errors"] == [], (first, again)
    assert again["document"]["id"] == first["document"]["id"]
    assert (await Document.get(id=_row_id(draft))).version == 2


async def test_a_retried_post_replays_and_books_once(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place, quantity="5")])
    await _act(graphql, admin.token, draft, "confirm")
    key = unique("post")
    first = await _act(graphql, admin.token, draft, "post", idempotencyKey=key)
    again = await _act(graphql, admin.token, draft, "post", idempotencyKey=key)
    assert first["errors"] == [] and again["errors"] == [], (first, again)
    assert again["document"]["number"] == first["document"]["number"]
    assert await StockMove.filter(document_id=_row_id(draft)).count() == 1
    reused = await _act(graphql, admin.token, draft, "cancel", idempotencyKey=key)
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert (await check_ledger()).ok


async def test_a_retried_reversal_replays_and_reverses_once(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    done = await _done(graphql, admin.token, store, [_line(place, quantity="4")])
    key = unique("rev")
    first = await _payload(graphql, REVERSE, "reverseDocument", admin.token, id=done["id"], idempotencyKey=key)
    again = await _payload(graphql, REVERSE, "reverseDocument", admin.token, id=done["id"], idempotencyKey=key)
    assert first["errors"] == [] and again["errors"] == [], (first, again)
    assert first["document"]["id"] == again["document"]["id"]
    assert await Document.filter(reverses_id=_row_id(done)).count() == 1
    assert (await check_ledger()).ok


async def test_a_document_without_lines_posts_and_reverses_or_is_refused_never_a_bug(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    empty = await _create(graphql, admin.token, store, [])
    confirmed = await _act(graphql, admin.token, empty, "confirm")
    assert "refused" not in confirmed
    if confirmed["errors"]:
        return
    posted = await _act(graphql, admin.token, empty, "post")
    assert "refused" not in posted, posted
    if posted["errors"] == []:
        reversed_ = await _payload(graphql, REVERSE, "reverseDocument", admin.token, id=empty["id"])
        assert "refused" not in reversed_, reversed_
    assert (await check_ledger()).ok


async def test_a_done_document_refuses_every_edit_and_a_cancelled_one_every_action(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    done = await _done(graphql, admin.token, store, [_line(place, quantity="3")])
    for action in ("post", "confirm", "reopen", "cancel"):
        assert (await _act(graphql, admin.token, done, action))["errors"][0]["code"] == "ILLEGAL_TRANSITION"
    draft = await _create(graphql, admin.token, store, [_line(place)])
    await _act(graphql, admin.token, draft, "cancel")
    assert (await _payload(graphql, REVERSE, "reverseDocument", admin.token, id=draft["id"]))["errors"][0][
        "code"
    ] == "ILLEGAL_TRANSITION"
    assert await StockMove.filter(document_id=_row_id(done)).count() == 1


# Posting what changed since it was confirmed


async def test_posting_a_receipt_of_a_product_archived_after_confirm_is_refused_and_books_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place, quantity="2"), _line(place, quantity="3")])
    await _act(graphql, admin.token, draft, "confirm")
    assert (await _post(graphql, ARCHIVE, {"sku": place.sku}, admin.token))["data"]["archiveProduct"]["errors"] == []
    refused = await _act(graphql, admin.token, draft, "post")
    assert refused["document"] is None
    assert [e["field"] for e in refused["errors"]] == [["input", "lines", "0", "sku"], ["input", "lines", "1", "sku"]]
    row = await Document.get(id=_row_id(draft))
    assert (row.state, row.number) == ("confirmed", None)
    assert await StockMove.filter(document_id=row.id).count() == 0


async def test_a_lot_tracked_receipt_line_without_a_lot_is_refused_at_posting_with_its_path(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [
        _line(place, sku=place.lot_sku, lot="L1", quantity="2"), _line(place, sku=place.lot_sku, quantity="1"),
    ])  # fmt: skip
    await _act(graphql, admin.token, draft, "confirm")
    refused = await _act(graphql, admin.token, draft, "post")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID", ["input", "lines", "1", "lot"])]
    assert await StockMove.filter(document_id=_row_id(draft)).count() == 0
    assert (await Document.get(id=_row_id(draft))).number is None


async def test_a_lot_tracked_issue_without_a_lot_takes_stock_and_its_reversal_returns_the_same_lots(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await _done(graphql, admin.token, store, [_line(place, sku=place.lot_sku, lot="A", quantity="2"),
                                              _line(place, sku=place.lot_sku, lot="B", quantity="2")])  # fmt: skip
    out = await _done(graphql, admin.token, store, [_line(place, sku=place.lot_sku, quantity="3")],
                      type="stock.outbound")  # fmt: skip
    back = await _payload(graphql, REVERSE, "reverseDocument", admin.token, id=out["id"])
    assert back["errors"] == [], back
    assert (await check_ledger()).ok


async def test_an_issue_of_an_unknown_lot_is_a_user_error(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    await _done(graphql, admin.token, store, [_line(place, sku=place.lot_sku, lot="A", quantity="2")])
    out = await _create(graphql, admin.token, store, [_line(place, sku=place.lot_sku, lot="NOPE")],
                        type="stock.outbound")  # fmt: skip
    await _act(graphql, admin.token, out, "confirm")
    refused = await _act(graphql, admin.token, out, "post")
    assert refused["document"] is None and refused["errors"][0]["field"][:3] == ["input", "lines", "0"], refused


async def test_a_reversal_of_a_receipt_whose_stock_is_gone_is_refused_and_books_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    done = await _done(graphql, admin.token, store, [_line(place, quantity="5")])
    await _done(graphql, admin.token, store, [_line(place, quantity="4")], type="stock.outbound")
    moves = await StockMove.all().count()
    refused = await _payload(graphql, REVERSE, "reverseDocument", admin.token, id=done["id"])
    assert refused["document"] is None and refused["errors"][0]["code"] == "INSUFFICIENT_STOCK", refused
    assert await StockMove.all().count() == moves
    assert await Document.filter(reverses_id=_row_id(done)).count() == 0


# Currencies without a rate


async def test_a_document_in_a_currency_without_a_rate_cannot_be_confirmed_and_stays_a_draft(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    currency = await _fresh_currency(admin)
    shop = await _other_store(place, admin, currency)
    draft = await _create(graphql, admin.token, shop, [_line(place, price="2")])
    assert draft["currency"] == currency
    refused = await _act(graphql, admin.token, draft, "confirm")
    assert refused["document"] is None and refused["errors"][0]["code"] == "NOT_FOUND", refused
    row = await Document.get(id=_row_id(draft))
    assert (row.state, row.rate, row.version) == ("draft", None, 1)

    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    rate = await _payload(graphql, RATE, "setExchangeRate", admin.token, currency=currency, validFrom=tomorrow,
                          rate="1.5")  # fmt: skip
    assert rate["errors"] == []
    assert (await _act(graphql, admin.token, draft, "confirm"))["errors"][0]["code"] == "NOT_FOUND"
    moved = await _payload(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=1,
                           businessDate=tomorrow)  # fmt: skip
    assert moved["errors"] == []
    confirmed = await _act(graphql, admin.token, draft, "confirm")
    assert confirmed["errors"] == [] and confirmed["document"]["rate"] == "1.50000000"


async def test_a_header_currency_without_a_rate_is_refused_at_confirm_in_the_payload(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    currency = await _fresh_currency(admin)
    draft = await _create(graphql, admin.token, store, [_line(place)], currency=currency.lower())
    assert draft["currency"] == currency
    refused = await _act(graphql, admin.token, draft, "confirm")
    assert refused["errors"] and refused["errors"][0]["code"] == "NOT_FOUND"


# Number series


@pytest.mark.parametrize(
    "pattern",
    [
        "IN-{year}",
        "{seq}{seq}",
        "{seq:0}",
        "{seq:00}",
        "{seq:9}",  # padded with spaces: a number with spaces in it
        "{seq:05d}",
        "{seq:099}",
        "{seq:>5}",
        "{seq!r}",
        "{seq!s:05}",
        "{ seq }",
        "{SEQ}",
        "{seq[0]}",
        "{seq.real}",
        "{}",
        "{0}",
        "{seq",
        "seq}",
        "}{seq}",
        "{seq:{year}}",
        "{year:04}-{seq}",
        "x" * 60 + "{seq}",
        "{store}{store}{store}{store}{seq:09}",
        "A\x00{seq}",
        "A\n{seq}",
        "\u202e{seq}",
        BIG,
        "",
        "   ",
    ],
)
async def test_a_bad_number_pattern_is_invalid_at_its_field_and_changes_nothing(
    graphql: GraphQLClient, admin: Actor, store: str, pattern: str
) -> None:
    from server.documents.models import NumberSeries

    before = await NumberSeries.filter(store__code=store).count()
    refused = await _payload(graphql, SERIES, "setNumberSeries", admin.token, store=store, type="stock.inbound",
                             pattern=pattern)  # fmt: skip
    assert refused["errors"] and refused["errors"][0]["field"] == ["input", "pattern"], refused
    assert await NumberSeries.filter(store__code=store).count() == before


@pytest.mark.parametrize("given", [{"store": "\x00"}, {"store": BIG}, {"type": BIG}, {"type": "stock.x\x00"},
                                   {"pattern": 5}, {"gapless": "yes"}])  # fmt: skip
async def test_set_number_series_refuses_hostile_store_and_type(
    graphql: GraphQLClient, admin: Actor, store: str, given: dict[str, Any]
) -> None:
    refused = await _payload(graphql, SERIES, "setNumberSeries", admin.token,
                             **{"store": store, "type": "stock.inbound", "pattern": "N{seq}", **given})  # fmt: skip
    assert refused["errors"], refused


@pytest.mark.parametrize("pattern", ["{seq}", "{{{seq}}}", "{type}/{seq:02}", "{month}{year}{seq}",
                                     "№ {seq}", "{store}-{type}-{seq:09}"])  # fmt: skip
async def test_a_number_pattern_at_its_edges_numbers_a_document(
    graphql: GraphQLClient, admin: Actor, place: Place, pattern: str
) -> None:
    shop = await _other_store(place, admin)
    ok = await _payload(graphql, SERIES, "setNumberSeries", admin.token, store=shop, type="stock.inbound",
                        pattern=pattern)  # fmt: skip
    assert ok["errors"] == [], ok
    done = await _done(graphql, admin.token, shop, [_line(place)])
    assert done["number"] and len(done["number"]) <= 64


async def test_two_stores_with_the_same_pattern_never_fail_a_posting(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    """A pattern without {store} numbers each store's documents on their own: the same number in two
    stores is two documents told apart by their store, never a failed posting."""
    pattern = f"{unique('N')[:10]}-{{seq}}"
    numbers = []
    for _ in range(2):
        shop = await _other_store(place, admin)
        set_ = await _payload(graphql, SERIES, "setNumberSeries", admin.token, store=shop, type="stock.inbound",
                              pattern=pattern)  # fmt: skip
        if set_["errors"]:
            assert set_["errors"][0]["field"] == ["input", "pattern"]
            continue
        document = await _create(graphql, admin.token, shop, [_line(place)])
        await _act(graphql, admin.token, document, "confirm")
        posted = await _act(graphql, admin.token, document, "post")
        assert "refused" not in posted, posted
        assert posted["errors"] == [], posted
        numbers.append((posted["document"]["store"], posted["document"]["number"]))
    assert len(numbers) == 2 and numbers[0][0] != numbers[1][0]
    assert numbers[0][1] == numbers[1][1] == pattern.replace("{seq}", "1")


async def test_a_monthly_pattern_without_a_year_never_fails_a_posting_a_year_later(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    shop = await _other_store(place, admin)
    ok = await _payload(graphql, SERIES, "setNumberSeries", admin.token, store=shop, type="stock.inbound",
                        pattern=f"{shop}/{{month}}/{{seq}}")  # fmt: skip
    if ok["errors"]:  # refusing it is fine too
        assert ok["errors"][0]["field"] == ["input", "pattern"]
        return
    numbers = []
    for day in ("2024-03-10", "2025-03-10"):
        document = await _create(graphql, admin.token, shop, [_line(place)], businessDate=day)
        await _act(graphql, admin.token, document, "confirm")
        posted = await _act(graphql, admin.token, document, "post")
        assert "refused" not in posted, posted
        assert posted["errors"] == [], posted
        numbers.append(posted["document"]["number"])
    assert numbers[0] != numbers[1]


async def test_changing_a_pattern_back_and_forth_never_gives_a_number_twice(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    shop = await _other_store(place, admin)
    numbers = []
    for pattern in (f"{shop}-{{seq}}", f"{shop}-{{year}}-{{seq}}", f"{shop}-{{seq}}", f"{shop}-{{seq:02}}"):
        ok = await _payload(graphql, SERIES, "setNumberSeries", admin.token, store=shop, type="stock.inbound",
                            pattern=pattern)  # fmt: skip
        assert ok["errors"] == []
        document = await _create(graphql, admin.token, shop, [_line(place)])
        await _act(graphql, admin.token, document, "confirm")
        posted = await _act(graphql, admin.token, document, "post")
        assert "refused" not in posted and posted["errors"] == [], posted
        numbers.append(posted["document"]["number"])
    assert len(set(numbers)) == len(numbers)


async def test_a_series_with_gaps_numbers_at_creation_and_a_failed_create_takes_no_number(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    shop = await _other_store(place, admin)
    ok = await _payload(graphql, SERIES, "setNumberSeries", admin.token, store=shop, type="stock.inbound",
                        pattern=f"{shop}-{{seq}}", gapless=False)  # fmt: skip
    assert ok == {"pattern": f"{shop}-{{seq}}", "gapless": False, "errors": []}
    first = await _create(graphql, admin.token, shop, [_line(place)])
    bad = await _payload(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store=shop,
                         lines=[_line(place, quantity="-1")])  # fmt: skip
    assert bad["errors"]
    second = await _create(graphql, admin.token, shop, [_line(place)])
    assert (first["number"], second["number"]) == (f"{shop}-1", f"{shop}-2")


# Approval rules


@pytest.mark.parametrize("threshold", [5, 5.5, "-1", "1e3", "1" + "0" * 30, "0.00001", "NaN", BIG, "\x00"])
async def test_a_hostile_approval_threshold_is_refused(
    graphql: GraphQLClient, admin: Actor, store: str, threshold: Any
) -> None:
    refused = await _payload(graphql, APPROVAL, "setApprovalRule", admin.token, store=store, type="stock.inbound",
                             threshold=threshold)  # fmt: skip
    assert refused["errors"] and refused.get("threshold") is None, refused


@pytest.mark.postgres
async def test_two_approval_rules_set_at_once_both_answer(graphql: GraphQLClient, admin: Actor, place: Place) -> None:
    shop = await _other_store(place, admin)
    answers = await asyncio.gather(*(
        _payload(graphql, APPROVAL, "setApprovalRule", admin.token, store=shop, type="stock.outbound",
                 threshold=str(10 + i))
        for i in range(4)
    ))  # fmt: skip
    assert all(a["errors"] == [] for a in answers), answers


# Races (PostgreSQL)


@pytest.mark.postgres
async def test_posting_one_document_twice_at_once_books_once(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place, quantity="5"), _line(place, quantity="2")])
    await _act(graphql, admin.token, draft, "confirm")
    answers = await asyncio.gather(*(_act(graphql, admin.token, draft, "post") for _ in range(4)))
    assert sorted(bool(a["errors"]) for a in answers) == [False, True, True, True], answers
    assert {a["errors"][0]["code"] for a in answers if a["errors"]} == {"ILLEGAL_TRANSITION"}
    assert await StockMove.filter(document_id=_row_id(draft)).count() == 2
    assert (await check_ledger()).ok


@pytest.mark.postgres
async def test_posting_with_the_same_key_at_once_books_once_and_replays(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place, quantity="5")])
    await _act(graphql, admin.token, draft, "confirm")
    key = unique("same")
    answers = await asyncio.gather(*(_act(graphql, admin.token, draft, "post", idempotencyKey=key) for _ in range(3)))
    assert all(a["errors"] == [] for a in answers), answers
    assert len({a["document"]["number"] for a in answers}) == 1
    assert await StockMove.filter(document_id=_row_id(draft)).count() == 1


@pytest.mark.postgres
async def test_reversing_one_document_twice_at_once_reverses_once(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    done = await _done(graphql, admin.token, store, [_line(place, quantity="6")])
    answers = await asyncio.gather(*(
        _payload(graphql, REVERSE, "reverseDocument", admin.token, id=done["id"]) for _ in range(4)
    ))  # fmt: skip
    assert sorted(bool(a["errors"]) for a in answers) == [False, True, True, True], answers
    assert await Document.filter(reverses_id=_row_id(done)).count() == 1
    assert (await check_ledger()).ok


@pytest.mark.postgres
async def test_an_edit_racing_a_confirm_is_stale_or_illegal_never_both_applied(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    edit, confirm = await asyncio.gather(
        _payload(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=1,
                 lines=[_line(place, quantity="50")]),
        _act(graphql, admin.token, draft, "confirm", version=1),
    )  # fmt: skip
    assert sorted([bool(edit["errors"]), bool(confirm["errors"])]) == [False, True], (edit, confirm)
    assert (await Document.get(id=_row_id(draft))).version == 2


@pytest.mark.postgres
async def test_many_postings_of_one_store_take_gapless_distinct_numbers(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    shop = await _other_store(place, admin)
    drafts = [await _create(graphql, admin.token, shop, [_line(place)]) for _ in range(6)]
    for draft in drafts:
        await _act(graphql, admin.token, draft, "confirm")
    answers = await asyncio.gather(*(_act(graphql, admin.token, d, "post") for d in drafts))
    numbers = sorted(a["document"]["number"] for a in answers)
    assert [n.rsplit("-", 1)[1] for n in numbers] == [f"{i:05d}" for i in range(1, 7)]


# Attachments and mail


@pytest.mark.parametrize(
    "given",
    [
        {"name": "a\x00.txt"},
        {"name": BIG},
        {"name": "../etc/passwd"},
        {"name": "a\\b.txt"},
        {"name": ""},
        {"name": "\u202etxt.exe"},
        {"contentType": "text/html"},
        {"contentType": "TEXT/PLAIN\x00"},
        {"contentType": BIG},
        {"contentBase64": "not base64!"},
        {"contentBase64": ""},
        {"contentBase64": "aGk=\n"},
        {"contentBase64": "A" * 700_004},
        {"contentBase64": 12},
        {"idempotencyKey": "\x00"},
    ],
)
async def test_a_hostile_attachment_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, given: dict[str, Any]
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    before = await _counts()
    refused = await _payload(graphql, ATTACH, "attachToDocument", admin.token, **{
        "id": draft["id"], "name": "a.txt", "contentType": "text/plain", "contentBase64": "aGk=", **given})  # fmt: skip
    assert refused.get("document") is None and refused["errors"], refused
    assert await _counts() == before


async def test_an_attachment_retried_with_its_key_is_kept_once_and_ids_of_others_are_not_found(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    one = await _create(graphql, admin.token, store, [_line(place)])
    other = await _create(graphql, admin.token, store, [_line(place)])
    key = unique("att")
    given = {"id": one["id"], "name": "note.txt", "contentType": "text/plain", "contentBase64": "aGk=",
             "idempotencyKey": key}  # fmt: skip
    first = await _payload(graphql, ATTACH, "attachToDocument", admin.token, **given)
    again = await _payload(graphql, ATTACH, "attachToDocument", admin.token, **given)
    assert first["errors"] == [] and again["errors"] == []
    assert len(again["document"]["attachments"]) == 1
    attachment = first["document"]["attachments"][0]["id"]
    for raw in (attachment, f" {attachment}", "0", "-1", "9" * 40, "9223372036854775808", "1e3", "\x00", BIG):
        payload = await _payload(graphql, DETACH, "removeDocumentAttachment", admin.token, id=other["id"],
                                 attachment=raw)  # fmt: skip
        assert payload["errors"] and payload["errors"][0]["code"] == "NOT_FOUND", (raw, payload)
    assert await Attachment.filter(document_id=_row_id(one)).count() == 1
    removed = await _payload(graphql, DETACH, "removeDocumentAttachment", admin.token, id=one["id"],
                             attachment=attachment)  # fmt: skip
    assert removed["errors"] == [] and removed["document"]["attachments"] == []


@pytest.mark.parametrize(
    "given",
    [
        {"to": ["\x00"]},
        {"to": ["a@example.com\r\nBcc: x@evil.example"]},
        {"to": ["a@example.com"] * 21},
        {"to": [BIG]},
        {"to": ["Name <a@example.com>"]},
        {"to": [5]},
        {"to": []},
        {"subject": "hi\r\nBcc: x@evil.example"},
        {"subject": BIG},
        {"subject": "\x00"},
        {"message": BIG},
        {"message": "a\x00b"},
        {"idempotencyKey": BIG},
    ],
)
async def test_a_hostile_send_is_refused_and_queues_nothing(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str, given: dict[str, Any]
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    before = await _counts()
    refused = await _payload(graphql, SEND, "sendDocument", admin.token,
                             **{"id": draft["id"], "to": ["a@example.com"], **given})  # fmt: skip
    assert refused.get("document") is None and refused["errors"], refused
    assert await _counts() == before


async def test_a_send_retried_with_its_key_queues_one_message(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    draft = await _create(graphql, admin.token, store, [_line(place)])
    key = unique("send")
    for _ in range(2):
        sent = await _payload(graphql, SEND, "sendDocument", admin.token, id=draft["id"], to=["a@example.com"],
                              subject="Ünïcode ✓", idempotencyKey=key)  # fmt: skip
        assert sent["errors"] == [], sent
    assert await OutboxMessage.filter(document_id=_row_id(draft)).count() == 1


async def test_a_send_of_a_store_with_a_long_name_is_an_answer(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.partners.stores import StoreDetails, create_store

    code = unique("L")[:12]
    await create_store(code, StoreDetails(name="N" * 255, currency="EUR", warehouses=[place.warehouse]),
                       actor_id=admin.user_id)  # fmt: skip
    draft = await _create(graphql, admin.token, code, [_line(place)])
    sent = await _payload(graphql, SEND, "sendDocument", admin.token, id=draft["id"], to=["a@example.com"])
    assert "refused" not in sent
    assert sent["errors"] == [], sent  # the subject it makes up itself must fit


# Document lists


@pytest.mark.parametrize(
    "variables",
    [
        {"f": {"type": BIG}},
        {"f": {"type": "\x00"}},
        {"f": {"state": BIG}},
        {"f": {"store": "\x00"}},
        {"f": {"store": BIG}},
        {"f": {"number": BIG}},
        {"f": {"number": "%"}},
        {"f": {"number": "_"}},
        {"f": {"number": "\x00"}},
        {"f": {"number": "\\"}},
        {"first": -1},
        {"first": 2**31},
        {"first": 10**6},
        {"after": "\x00"},
        {"after": BIG},
        {"after": base64.b64encode(b"cursor:99999999999999999999999").decode()},
        {"f": {"type": 5}},
    ],
)
async def test_a_hostile_document_filter_finds_nothing_or_is_refused(
    graphql: GraphQLClient, viewer: Actor, variables: dict[str, Any]
) -> None:
    body = await _post(graphql, DOCUMENTS, variables, viewer.token)
    if body.get("data") and body["data"].get("documents") is not None:
        wild = variables.get("f", {}).get("number") in {"%", "_", "\\"}
        assert wild or body["data"]["documents"]["edges"] == [] or "f" not in variables, body


async def test_a_number_search_of_a_wildcard_finds_only_numbers_holding_it(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, place: Place, store: str
) -> None:
    await _done(graphql, admin.token, store, [_line(place)])
    body = await _post(graphql, DOCUMENTS, {"f": {"number": "%", "store": store}}, viewer.token)
    assert body["data"]["documents"]["edges"] == []


# Partners


@pytest.mark.parametrize(
    "given",
    [
        {"code": "\x00"},
        {"code": BIG},
        {"name": BIG},
        {"name": "a\x00"},
        {"name": "\u200b"},
        {"roles": []},
        {"taxId": "\x00"},
        {"taxId": BIG},
        {"currency": "EURO"},
        {"currency": 978},
        {"notes": BIG},
        {"marks": ["m"] * 10_000},
        {"customerClass": "\x00"},
        {"creditLimit": 5},
        {"creditLimit": "-1"},
        {"creditLimit": "1" + "0" * 30},
        {"leadTimeDays": -1},
        {"leadTimeDays": 2**31},
        {"leadTimeDays": 10**6},
        {"overReceiptPercent": "1000"},
        {"minimumOrderValue": "1e9"},
        {"paymentTerms": {"netDays": -1}},
        {"paymentTerms": {"netDays": 2**31 - 1}},
        {"paymentTerms": {"discountPercent": "100.5"}},
        {"paymentTerms": {"discountPercent": 3}},
        {"contacts": [{"name": "A", "email": "\x00"}]},
        {"contacts": [{"name": "A", "phone": "1" * 500_000}]},
        {"contacts": [{"name": "A", "phone": "abc"}]},
        {"contacts": [{"name": "A"}] * 5000},
        {"addresses": [{"kind": "BILLING", "street": "S", "city": "C", "country": "XX"}]},
        {"addresses": [{"kind": "BILLING", "street": BIG, "city": "C", "country": "ES"}]},
        {"addresses": [{"kind": "BILLING", "street": "S", "city": "C", "country": "ES", "postalCode": "\x00"}]},
        {"idempotencyKey": BIG},
    ],
)
async def test_a_hostile_party_is_refused_and_writes_nothing(
    graphql: GraphQLClient, admin: Actor, given: dict[str, Any]
) -> None:
    from server.partners.models import Party

    before = await Party.all().count()
    refused = await _payload(graphql, CREATE_PARTY, "createParty", admin.token,
                             **{"code": unique("P")[:16], "name": "Acme", "roles": ["CUSTOMER"], **given})  # fmt: skip
    assert refused.get("party") is None and refused["errors"], refused
    assert await Party.all().count() == before


@pytest.mark.parametrize(
    "search",
    [
        "\x00",
        BIG,
        "%",
        "_",
        "\\",
        "'; DROP TABLE party; --",
        "+",
        "0",
        "0" * 20,
        "\u200b",
        "\uff11\uff12\uff13",
        "a" * 300,
    ],
)
async def test_a_hostile_party_search_finds_nothing_or_only_what_holds_it(
    graphql: GraphQLClient, viewer: Actor, search: str
) -> None:
    body = await _post(graphql, PARTIES, {"f": {"search": search}, "first": 5}, viewer.token)
    assert "errors" not in body, body
    if search in {"\x00", BIG, "\u200b", "a" * 300}:
        assert body["data"]["parties"]["edges"] == []


async def test_a_party_search_for_a_wildcard_does_not_match_everything(
    graphql: GraphQLClient, admin: Actor, viewer: Actor
) -> None:
    code = unique("WILD")[:16]
    created = await _payload(graphql, CREATE_PARTY, "createParty", admin.token, code=code, name="Plain name",
                             roles=["CUSTOMER"])  # fmt: skip
    assert created["errors"] == []
    for wildcard in ("%", "_"):
        body = await _post(graphql, PARTIES, {"f": {"search": wildcard}, "first": 500}, viewer.token)
        assert code not in [e["node"]["code"] for e in body["data"]["parties"]["edges"]], wildcard


# Money


@pytest.mark.parametrize(
    "given",
    [
        {"currency": "\x00"},
        {"currency": BIG},
        {"currency": "EUR"},  # the company currency: always 1
        {"currency": "ZZZ"},
        {"rate": 1.5},
        {"rate": "0"},
        {"rate": "-1"},
        {"rate": "1e3"},
        {"rate": "1" + "0" * 20},
        {"rate": "0.000000001"},
        {"rate": "NaN"},
        {"validFrom": "0000-01-01"},
        {"validFrom": "2030-13-01"},
        {"validFrom": 20300101},
    ],
)
async def test_a_hostile_exchange_rate_is_refused(graphql: GraphQLClient, admin: Actor, given: dict[str, Any]) -> None:
    from server.money.models import ExchangeRate

    before = await ExchangeRate.all().count()
    refused = await _payload(graphql, RATE, "setExchangeRate", admin.token,
                             **{"currency": "USD", "validFrom": "2030-01-01", "rate": "1.1", **given})  # fmt: skip
    assert refused.get("exchangeRate") is None and refused["errors"], refused
    assert await ExchangeRate.all().count() == before


@pytest.mark.parametrize(
    "variables",
    [
        {"q": 5},
        {"q": "-1"},
        {"q": "0"},
        {"q": "1" + "0" * 30},
        {"q": BIG},
        {"sku": "\x00"},
        {"sku": BIG},
        {"party": "\x00"},
        {"party": BIG},
        {"unit": "\x00"},
        {"unit": BIG},
        {"unit": "parsec"},
        {"currency": "\x00"},
        {"currency": BIG},
        {"currency": "ZZZ"},
    ],
)
async def test_a_hostile_price_question_is_an_error_with_its_code(
    graphql: GraphQLClient, viewer: Actor, place: Place, variables: dict[str, Any]
) -> None:
    await _post(graphql, PRICE, {"sku": place.sku, "q": "1", **variables}, viewer.token)


@pytest.mark.parametrize(
    "item",
    [
        {"sku": "\x00"},
        {"sku": BIG},
        {"unit": "\x00"},
        {"unit": BIG},
        {"price": 1},
        {"price": "-1"},
        {"price": "1" + "0" * 20},
        {"minQuantity": "-1"},
        {"minQuantity": 2},
        {"validFrom": "2030-01-02", "validTo": "2030-01-01"},
    ],
)
async def test_hostile_price_list_items_are_refused_and_keep_the_list(
    graphql: GraphQLClient, admin: Actor, place: Place, item: dict[str, Any]
) -> None:
    from server.money.models import PriceListItem

    code = unique("PL")[:16]
    created = await _payload(graphql, PRICE_LIST, "createPriceList", admin.token, code=code, name="List",
                             validFrom="2020-01-01")  # fmt: skip
    assert created["errors"] == [], created
    good = {"sku": place.sku, "unit": "pcs", "price": "1.5"}
    assert (await _payload(graphql, PRICE_ITEMS, "setPriceListItems", admin.token, priceListCode=code,
                           items=[good]))["errors"] == []  # fmt: skip
    refused = await _payload(graphql, PRICE_ITEMS, "setPriceListItems", admin.token, priceListCode=code,
                             items=[good, {**good, **item}])  # fmt: skip
    assert refused["errors"], refused
    assert await PriceListItem.filter(price_list__code=code).count() == 1


async def test_price_list_items_of_an_unknown_list_or_too_many_are_refused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    for code in ("\x00", BIG, "NO-SUCH-LIST"):
        refused = await _payload(graphql, PRICE_ITEMS, "setPriceListItems", admin.token, priceListCode=code,
                                 items=[{"sku": place.sku, "unit": "pcs", "price": "1"}])  # fmt: skip
        assert refused["errors"], refused
    many = [{"sku": "S", "unit": "u", "price": "1", "minQuantity": str(i)} for i in range(1001)]
    refused = await _payload(graphql, PRICE_ITEMS, "setPriceListItems", admin.token, priceListCode="X", items=many)
    assert refused["errors"]


# Units and packaging


@pytest.mark.parametrize(
    "variables",
    [
        {"q": 5},
        {"q": "-1"},
        {"q": "0"},
        {"q": "0.00001"},
        {"q": "1" + "0" * 12},
        {"q": BIG},
        {"q": {"x": 1}},
        {"sku": "\x00"},
        {"sku": BIG},
        {"unit": "\x00"},
        {"unit": BIG},
        {"unit": "kg"},
        {"unit": "parsec"},
        {"unit": "g"},
    ],
)
async def test_a_hostile_conversion_is_an_error_with_its_code(
    graphql: GraphQLClient, viewer: Actor, place: Place, variables: dict[str, Any]
) -> None:
    body = await _post(graphql, CONVERT, {"sku": place.sku, "q": "1", **variables}, viewer.token)
    assert body.get("errors"), body


async def test_a_conversion_that_rounds_to_nothing_or_past_the_ledger_is_refused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    from server.catalog.packagings import PackagingSpec, set_product_packagings

    await set_product_packagings(place.sku, [PackagingSpec("PALLET", "999999999999")], actor_id=admin.user_id)
    over = await _post(graphql, CONVERT, {"sku": place.sku, "q": "2", "unit": "pallet"}, admin.token)
    assert over["errors"][0]["extensions"]["code"] == "INVALID"
    line = await _payload(graphql, CREATE, "createDocument", admin.token, type="stock.inbound", store="X",
                          lines=[_line(place, quantity="2", unit="pallet")])  # fmt: skip
    assert line["errors"]


@pytest.mark.parametrize(
    "packaging",
    [
        {"code": "\x00", "quantity": "12"},
        {"code": BIG, "quantity": "12"},
        {"code": "pcs", "quantity": "12"},  # a unit's code
        {"code": "CASE", "quantity": 12},
        {"code": "CASE", "quantity": "0"},
        {"code": "CASE", "quantity": "-1"},
        {"code": "CASE", "quantity": "1" + "0" * 13},
        {"code": "CASE", "quantity": "0.00001"},
        {"code": "CASE", "quantity": "12", "name": "\x00"},
        {"code": "CASE", "quantity": "12", "barcodes": ["\x00"]},
        {"code": "CASE", "quantity": "12", "barcodes": ["4006381333932"]},  # bad check digit
        {"code": "CASE", "quantity": "12", "barcodes": ["1"] * 11},
    ],
)
async def test_a_hostile_packaging_is_refused_and_keeps_the_levels(
    graphql: GraphQLClient, admin: Actor, place: Place, packaging: dict[str, Any]
) -> None:
    from server.catalog.models import Packaging

    good = {"code": "INNER", "quantity": "6"}
    assert (await _payload(graphql, PACKAGINGS, "setProductPackagings", admin.token, sku=place.sku,
                           packagings=[good]))["errors"] == []  # fmt: skip
    refused = await _payload(graphql, PACKAGINGS, "setProductPackagings", admin.token, sku=place.sku,
                             packagings=[good, packaging])  # fmt: skip
    assert refused["errors"], refused
    assert [p.code for p in await Packaging.filter(product__sku=place.sku)] == ["INNER"]


async def test_packagings_of_an_unknown_product_or_too_many_are_refused(
    graphql: GraphQLClient, admin: Actor, place: Place
) -> None:
    for sku in ("\x00", BIG, "NO-SUCH-SKU"):
        refused = await _payload(graphql, PACKAGINGS, "setProductPackagings", admin.token, sku=sku,
                                 packagings=[{"code": "CASE", "quantity": "12"}])  # fmt: skip
        assert refused["errors"], refused
    many = [{"code": f"L{i}", "quantity": str(i + 1)} for i in range(11)]
    refused = await _payload(graphql, PACKAGINGS, "setProductPackagings", admin.token, sku=place.sku, packagings=many)
    assert refused["errors"][0]["field"] == ["input", "packagings"]
    dup = [{"code": "CASE", "quantity": "12"}, {"code": "case", "quantity": "6"}]
    refused = await _payload(graphql, PACKAGINGS, "setProductPackagings", admin.token, sku=place.sku, packagings=dup)
    assert refused["errors"][0]["field"] == ["input", "packagings", "1", "code"]


async def test_a_line_in_a_packaging_removed_after_the_draft_still_posts_its_base_quantity(
    graphql: GraphQLClient, admin: Actor, place: Place, store: str
) -> None:
    from server.catalog.packagings import PackagingSpec, set_product_packagings

    await set_product_packagings(place.sku, [PackagingSpec("BOX", "10")], actor_id=admin.user_id)
    draft = await _create(graphql, admin.token, store, [_line(place, quantity="2", unit="box")])
    await set_product_packagings(place.sku, [], actor_id=admin.user_id)
    header_only = await _payload(graphql, UPDATE, "updateDocument", admin.token, id=draft["id"], version=1,
                                 notes="reprice")  # fmt: skip
    assert "refused" not in header_only
    await _act(graphql, admin.token, draft, "confirm")
    posted = await _act(graphql, admin.token, draft, "post")
    assert posted["errors"] == [], posted
    assert posted["document"]["lines"][0]["baseQuantity"] == "20.0000"
    assert (await check_ledger()).ok


def test_the_helpers_know_every_code() -> None:
    assert {"INVALID", "NOT_FOUND", "STALE", "ILLEGAL_TRANSITION"} <= KNOWN_CODES
    assert Decimal("1") == 1
