"""A document's PDF at an authenticated URL, for browsers, print servers and scripts.

The app mounts it with the documents area's loader, e.g.
``Route("/documents/{id:int}/pdf", pdf_endpoint(documents.printed), methods=["GET"])``.
The caller sends ``Authorization: Bearer <token>`` (as for /graphql) and needs documents.view;
tokens never travel in the URL, where proxies and logs would keep them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.auth.permissions import Permission
from server.auth.service import authenticate
from server.printing.service import render_document
from server.printing.view import PrintedDocument

# A document's id → what it prints and the id of its store; None when there is no such document.
Loader = Callable[[int], Awaitable[tuple[PrintedDocument, int] | None]]
_LARGEST_ID = 2**63 - 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _refused(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers)


def filename(document: PrintedDocument, document_id: int) -> str:
    """``INV-MAIN-2026-00042.pdf``: the number, reduced to characters safe in any header and file system."""
    stem = _UNSAFE.sub("-", document.number or "").strip("-.")[:100]
    return f"{stem or f'document-{document_id}'}.pdf"


def pdf_endpoint(load: Loader) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        principal = await authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            return _refused(401, "Log in: send Authorization: Bearer <token>.", {"WWW-Authenticate": "Bearer"})
        if not principal.can(Permission.DOCUMENTS_VIEW):
            return _refused(403, f"You need the {Permission.DOCUMENTS_VIEW.value} permission.")
        try:
            document_id = int(request.path_params["id"])
        except (KeyError, TypeError, ValueError):
            return _refused(404, "There is no such document.")
        found = await load(document_id) if 0 < document_id <= _LARGEST_ID else None
        if found is None:
            return _refused(404, "There is no such document.")
        document, store_id = found
        pdf = await render_document(document, store_id)
        headers = {
            "Content-Disposition": f'inline; filename="{filename(document, document_id)}"',
            "Cache-Control": "private, no-store",  # a document may change state: always the current one
        }
        return Response(pdf, media_type="application/pdf", headers=headers)

    return endpoint
