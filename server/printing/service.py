"""Print templates, and documents rendered with them."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.commands import Audited, Command, Effect, Write, execute
from server.errors import Invalid, NotFound
from server.partners.models import Store
from server.printing import pdf
from server.printing.logo import check_logo
from server.printing.models import ADDRESS, FOOTER, PrintTemplate
from server.printing.view import COLUMNS, DEFAULT_COLUMNS, PrintedDocument, Template
from server.text import Code, column_length

STORE_CODE = Code("store code", column_length(Store, "code"))


def _template(row: PrintTemplate | None) -> Template:
    if row is None:
        return Template()
    return Template(logo=bytes(row.logo) if row.logo else None, address=row.address, footer=row.footer,
                    columns=tuple(row.columns) or DEFAULT_COLUMNS)  # fmt: skip


async def template_for(store_id: int) -> Template:
    """The store's template; the default (no logo, the store's address, every usual column) when it has none."""
    return _template(await PrintTemplate.get_or_none(store_id=store_id))


async def render_document(document: PrintedDocument, store_id: int) -> bytes:
    """``document`` as a PDF in its store's template. Drawing is CPU work (about 5 ms a line): it runs
    in a thread so the server keeps answering meanwhile."""
    template = await template_for(store_id)
    return await asyncio.to_thread(pdf.render, document, template)


def check_columns(columns: Sequence[str], field: str = "columns") -> tuple[str, ...]:
    """The columns in the order given: each a known one, none twice, at least one."""
    if not columns or len(columns) > len(COLUMNS):
        raise Invalid(f"A template shows 1 to {len(COLUMNS)} columns.", field=field)
    for index, column in enumerate(columns):
        if not isinstance(column, str) or column not in COLUMNS:
            raise Invalid(f"The columns are some of {', '.join(COLUMNS)}.", field=(field, index))
        if column in columns[:index]:
            raise Invalid("A column is shown once.", field=(field, index))
    return tuple(str(column) for column in columns)


@dataclass(frozen=True)
class SetPrintTemplate(Command):
    operation = "print_template.set"
    store: str
    logo_sha256: str | None  # the logo itself stays out of the audit log and the idempotency record
    address: str
    footer: str
    columns: tuple[str, ...]


async def _store(code: str) -> Store:
    key = STORE_CODE.key(code)
    store = await Store.get_or_none(code=key) if key is not None else None
    if store is None:
        raise NotFound("There is no such store.", field="store")
    return store


async def set_template(
    store_code: str,
    logo: bytes | None,
    address: str,
    footer: str,
    columns: Sequence[str],
    *,
    actor_id: int | None,
    idempotency_key: str | None = None,
) -> PrintTemplate:
    """Replace the store's template: its logo (None: none), the address it prints (empty: the store's
    own), the footer on every page and the line columns, in order."""
    store_key = STORE_CODE.clean(store_code, "store")
    logo = check_logo(logo) if logo is not None else None
    clean_address = ADDRESS.optional(address, "address") or ""
    clean_footer = FOOTER.optional(footer, "footer") or ""
    chosen = check_columns(columns)
    digest = hashlib.sha256(logo).hexdigest() if logo is not None else None
    command = SetPrintTemplate(store_key, digest, clean_address, clean_footer, chosen)

    async def run(write: Write) -> PrintTemplate:
        # The store's row is locked first, so two first templates of one store do not both insert.
        store = await Store.filter(code=store_key).using_db(write.conn).select_for_update().first()
        if store is None:
            raise NotFound("There is no such store.", field="store")
        values: dict[str, Any] = {"logo": logo, "address": clean_address, "footer": clean_footer,
                                  "columns": list(chosen)}  # fmt: skip
        row = await PrintTemplate.filter(store_id=store.id).using_db(write.conn).first()
        if row is None:
            return await PrintTemplate.create(store_id=store.id, **values, using_db=write.conn)
        await PrintTemplate.filter(id=row.id).using_db(write.conn).update(**values)
        await row.refresh_from_db(using_db=write.conn)
        return row

    async def recall(stored: dict[str, Any]) -> PrintTemplate:
        return await PrintTemplate.get(id=stored["print_template_id"])

    def remember(row: PrintTemplate) -> dict[str, Any]:
        return {"print_template_id": row.id}

    effect = Effect(run, lambda row: Audited("print_template", store_key), remember, recall)
    done = await execute(command, effect, actor_id=actor_id, idempotency_key=idempotency_key)
    return done.result


async def template_row(store_code: str) -> tuple[Store, PrintTemplate | None]:
    """The store and its template row (None: it prints with the default), for the API."""
    store = await _store(store_code)
    return store, await PrintTemplate.get_or_none(store_id=store.id)


def as_template(row: PrintTemplate | None) -> Template:
    """What a stored row prints as (the default when there is none)."""
    return _template(row)
