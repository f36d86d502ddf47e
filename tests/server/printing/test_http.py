"""A document's PDF at its URL: only for a logged-in user who may view documents."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from pypdf import PdfReader
from starlette.applications import Starlette
from starlette.routing import Route

from server.auth.models import Role
from server.partners.models import Store
from server.printing.http import pdf_endpoint
from server.printing.view import PrintedDocument
from tests.conftest import Actor, make_actor, unique
from tests.server.printing.test_pdf import document, line


@pytest.fixture
async def client(viewer: Actor) -> AsyncIterator[httpx.AsyncClient]:
    store = await Store.create(code=unique("ST"), name="Harbour Store", currency="EUR")
    printed = document([line(1, "MUG-1", "Mug")])

    async def load(document_id: int) -> tuple[PrintedDocument, int] | None:
        return (printed, store.id) if document_id == 42 else None

    app = Starlette(routes=[Route("/documents/{id:int}/pdf", pdf_endpoint(load), methods=["GET"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://storekeeper.test") as http:
        yield http


async def test_a_viewer_gets_the_pdf_of_a_document(client: httpx.AsyncClient, viewer: Actor) -> None:
    response = await client.get("/documents/42/pdf", headers={"authorization": f"Bearer {viewer.token}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'inline; filename="INV-MAIN-2026-00042.pdf"'
    assert response.headers["cache-control"] == "private, no-store"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "INV-MAIN-2026-00042" in text and "MUG-1" in text


@pytest.mark.parametrize("authorization", [None, "Bearer sk_s_not-a-token", "Basic dXNlcjpwYXNz", "Bearer"])
async def test_without_a_valid_token_there_is_no_pdf(client: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization else {}
    response = await client.get("/documents/42/pdf", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert not response.content.startswith(b"%PDF")


@pytest.mark.parametrize("path", ["/documents/41/pdf", "/documents/0/pdf", f"/documents/{2**80}/pdf"])
async def test_an_unknown_document_is_not_found(client: httpx.AsyncClient, viewer: Actor, path: str) -> None:
    response = await client.get(path, headers={"authorization": f"Bearer {viewer.token}"})
    assert response.status_code == 404


async def test_a_user_who_may_not_view_documents_gets_no_pdf(client: httpx.AsyncClient) -> None:
    role = unique("catalog-only").lower()
    await Role.create(name=role, permissions=["catalog.view"])
    outsider = await make_actor(role)
    response = await client.get("/documents/42/pdf", headers={"authorization": f"Bearer {outsider.token}"})
    assert response.status_code == 403
