"""Print templates over GraphQL, as a store manager sets them, and what documents then print with."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from server.audit.models import AuditEntry
from server.partners.models import Store
from server.printing import service
from server.printing.logo import MAX_BYTES
from server.printing.models import PrintTemplate
from server.printing.view import DEFAULT_COLUMNS, Template
from tests.conftest import Actor, GraphQLClient, unique
from tests.server.printing.test_pdf import document, line, png

SET = """
mutation S($input: SetPrintTemplateInput!) {
  setPrintTemplate(input: $input) {
    template { store custom logo address footer columns }
    errors { field code message }
  }
}"""
GET = "query G($store: String!) { printTemplate(store: $store) { store custom logo address footer columns } }"


@pytest.fixture
async def store() -> Store:
    return await Store.create(code=unique("ST"), name="Harbour Store", address="Quay 1\nPort Town", currency="EUR")


def image(kind: str, width: int = 40, height: int = 20) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def set_template(graphql: GraphQLClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    result = await graphql.run(SET, {"input": fields}, token=actor.token)
    return result["setPrintTemplate"]


async def test_a_store_without_a_template_prints_with_the_default(
    graphql: GraphQLClient, viewer: Actor, store: Store
) -> None:
    assert await service.template_for(store.id) == Template()
    shown = (await graphql.run(GET, {"store": store.code}, token=viewer.token))["printTemplate"]
    assert shown == {
        "store": store.code,
        "custom": False,
        "logo": None,
        "address": "",
        "footer": "",
        "columns": [column.upper() for column in DEFAULT_COLUMNS],
    }


async def test_a_manager_sets_logo_address_footer_and_columns_and_documents_print_with_them(
    graphql: GraphQLClient, admin: Actor, viewer: Actor, store: Store
) -> None:
    logo = image("PNG")
    answer = await set_template(
        graphql,
        admin,
        store=store.code.lower(),
        logo=b64(logo),
        address="Quay 1\nPort Town",
        footer="Harbour Store Ltd · VAT GB123",
        columns=["NAME", "QUANTITY", "GROSS"],
    )
    assert answer["errors"] == []
    expected = {
        "store": store.code,
        "custom": True,
        "logo": b64(logo),
        "address": "Quay 1\nPort Town",
        "footer": "Harbour Store Ltd · VAT GB123",
        "columns": ["NAME", "QUANTITY", "GROSS"],
    }
    assert answer["template"] == expected
    assert (await graphql.run(GET, {"store": store.code}, token=viewer.token))["printTemplate"] == expected

    template = await service.template_for(store.id)
    assert template == Template(
        logo=logo,
        address="Quay 1\nPort Town",
        footer="Harbour Store Ltd · VAT GB123",
        columns=("name", "quantity", "gross"),
    )
    pdf = await service.render_document(document([line(1, "MUG-1", "Mug")]), store.id)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Harbour Store Ltd · VAT GB123" in text and "Mug" in text
    assert "MUG-1" not in text  # no SKU column


async def test_setting_it_again_replaces_it_and_no_logo_removes_the_logo(
    graphql: GraphQLClient, admin: Actor, store: Store
) -> None:
    await set_template(graphql, admin, store=store.code, logo=b64(image("JPEG")), footer="first")
    answer = await set_template(graphql, admin, store=store.code, footer="second", columns=["SKU"])
    assert answer["template"]["logo"] is None and answer["template"]["footer"] == "second"
    assert await PrintTemplate.filter(store_id=store.id).count() == 1


async def test_the_logo_stays_out_of_the_audit_log_and_a_retry_answers_the_first_result(
    graphql: GraphQLClient, admin: Actor, store: Store
) -> None:
    key, logo = str(uuid.uuid4()), image("PNG")
    first = await set_template(graphql, admin, store=store.code, logo=b64(logo), idempotencyKey=key)
    again = await set_template(graphql, admin, store=store.code, logo=b64(logo), idempotencyKey=key)
    assert again == first
    entries = await AuditEntry.filter(action="print_template.set", object_id=store.code)
    assert len(entries) == 1
    assert b64(logo) not in str(entries[0].data)
    assert len(entries[0].data["logo_sha256"]) == 64


@pytest.mark.parametrize(
    ("logo", "why"),
    [
        (b64(b"hello, not an image"), "must be a PNG or JPEG"),
        (b64(image("GIF")), "must be a PNG or JPEG"),
        (b64(image("PNG")[:60]), "must be a PNG or JPEG"),  # cut short: the header reads, the pixels do not
        (b64(image("PNG", 5000, 10)), "4000 by 4000"),
        (b64(b"\x89PNG" + bytes(MAX_BYTES - 2)), "512 KiB"),  # decoded, then refused
        ("not base64!", "base64"),
        ("A" * (MAX_BYTES * 4 // 3 + 100), "512 KiB"),  # refused before decoding
        ("Ä" * 100, "base64"),
    ],
)
async def test_a_bad_logo_is_refused_and_nothing_changes(
    graphql: GraphQLClient, admin: Actor, store: Store, logo: str, why: str
) -> None:
    answer = await set_template(graphql, admin, store=store.code, logo=logo, footer="changed")
    assert answer["template"] is None
    [error] = answer["errors"]
    assert (error["field"], error["code"]) == (["input", "logo"], "INVALID")
    assert why in error["message"]
    assert not await PrintTemplate.filter(store_id=store.id).exists()


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"columns": []}, ["input", "columns"]),
        ({"columns": ["SKU", "NAME", "SKU"]}, ["input", "columns", "2"]),
        ({"footer": "x" * 501}, ["input", "footer"]),
        ({"footer": "nul \x00 byte"}, ["input", "footer"]),
        ({"address": "a" * 900_000}, ["input", "address"]),
        ({"address": "bidi \u202e override"}, ["input", "address"]),
    ],
)
async def test_bad_fields_are_refused_with_their_path(
    graphql: GraphQLClient, admin: Actor, store: Store, fields: dict[str, Any], path: list[str]
) -> None:
    answer = await set_template(graphql, admin, store=store.code, **fields)
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(path, "INVALID")]
    assert not await PrintTemplate.filter(store_id=store.id).exists()


@pytest.mark.parametrize(
    ("code", "why"),
    [("NO-SUCH-STORE", "NOT_FOUND"), ("", "INVALID"), ("x" * 100_000, "INVALID"), ("nul\x00", "INVALID")],
)
async def test_a_store_that_does_not_exist_or_cannot_is_refused(
    graphql: GraphQLClient, admin: Actor, code: str, why: str
) -> None:
    answer = await set_template(graphql, admin, store=code)
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [(["input", "store"], why)]
    assert (await graphql.run(GET, {"store": code}, token=admin.token))["printTemplate"] is None


async def test_only_a_store_manager_sets_a_template(graphql: GraphQLClient, viewer: Actor, store: Store) -> None:
    body = (await graphql.post(SET, {"input": {"store": store.code, "footer": "mine"}}, token=viewer.token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await PrintTemplate.filter(store_id=store.id).exists()
    anonymous = await graphql.post(GET, {"store": store.code})
    assert anonymous.status_code == 401


def test_the_default_template_prints_every_usual_column() -> None:
    assert DEFAULT_COLUMNS == ("position", "sku", "name", "quantity", "unit", "price", "discount", "tax", "net")
    assert png()  # the shared helper draws a logo
