# ruff: noqa: F811  (the site fixture is imported from tests/server/inventory/test_replenishment.py)
"""Review races on PostgreSQL (branch kits-review): a replenishment run while a person confirms or edits its
draft, and a kit's list changed while its kits are taken apart. ``DEFECT`` in a name: fails on purpose."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from server.documents import service as documents
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, ManyErrors
from server.inventory import assembly
from server.inventory.kits import ComponentSpec, set_kit_components
from server.inventory.replenishment import rules
from tests.conftest import Actor, Place
from tests.server.inventory.test_kits import invariants, key, kit_of, product
from tests.server.inventory.test_kits import receive as receive_at_cost
from tests.server.inventory.test_replenishment import (  # noqa: F401 - the fixture
    Site,
    issue,
    receive,
    run,
    site,
)

pytestmark = pytest.mark.postgres


async def _coming(site: Site) -> Decimal:
    """What open transfers bring to the pick bin."""
    lines = await DocumentLine.filter(to_location__code=site.pick, document__state__in=["draft", "confirmed"])
    return sum((line.base_quantity for line in lines), Decimal(0))


async def test_a_run_while_a_person_confirms_its_draft_never_doubles(site: Site, admin: Actor) -> None:
    await receive(admin, site.sku, site.reserve_a, "100")
    await rules.set_rule(site.pick, site.sku, "2", "10", actor_id=admin.user_id)
    for _ in range(5):
        first = await run(site)
        assert first.document_id is not None
        await issue(admin, site.sku, site.reserve_a, "1")  # something changed: the run would rewrite its draft
        outcomes = await asyncio.gather(
            run(site),
            documents.act(first.document_id, "confirm", version=None, actor_id=admin.user_id),
            return_exceptions=True,
        )
        assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError | ManyErrors)]
        assert await _coming(site) <= Decimal(10), "more than the maximum is on its way"
        for document in await Document.filter(reason="replenishment", state__in=["draft", "confirmed"]):
            await documents.act(document.id, "cancel", version=None, actor_id=admin.user_id)


async def test_a_list_changed_while_kits_are_taken_apart_keeps_the_books_exact(admin: Actor, place: Place) -> None:
    a, c = await product(admin), await product(admin)
    await receive_at_cost(admin, a, place.bin_a, "10", "3")
    kit = await kit_of(admin, [(a, "1")])
    await assembly.assemble(kit, "10", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                            idempotency_key=key())  # fmt: skip
    work = [assembly.disassemble(kit, "1", from_location=place.bin_b, to_location=place.bin_a,
                                 actor_id=admin.user_id, idempotency_key=key()) for _ in range(5)]  # fmt: skip
    work.append(set_kit_components(kit, [ComponentSpec(c, "2")], actor_id=admin.user_id))
    outcomes = await asyncio.gather(*work, return_exceptions=True)
    assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError | ManyErrors)]
    await invariants()


async def test_a_run_while_a_person_edits_its_draft_never_doubles(site: Site, admin: Actor) -> None:
    from server.documents.lines import LineInput
    from server.documents.service import Header, update_document

    await receive(admin, site.sku, site.reserve_a, "100")
    await rules.set_rule(site.pick, site.sku, "2", "10", actor_id=admin.user_id)
    for _ in range(5):
        first = await run(site)
        assert first.document_id is not None
        version = (await Document.get(id=first.document_id)).version
        await issue(admin, site.sku, site.reserve_a, "1")
        edit = update_document(first.document_id, version, Header(notes="mine"),
                               [LineInput(sku=site.sku, quantity="6", location=site.reserve_a, to_location=site.pick)],
                               actor_id=admin.user_id)  # fmt: skip
        outcomes = await asyncio.gather(run(site), edit, return_exceptions=True)
        assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError | ManyErrors)]
        await run(site)  # a rerun after either outcome
        # the person's 6 (above the minimum: nothing more) or the run's 10; never both
        assert await _coming(site) in (Decimal(6), Decimal(10)), "what is on its way is not the need"
        for document in await Document.filter(reason="replenishment", state__in=["draft", "confirmed"]):
            await documents.act(document.id, "cancel", version=None, actor_id=admin.user_id)


async def test_an_assembly_racing_the_kits_archiving_never_brings_in_an_archived_kit(
    admin: Actor, place: Place
) -> None:
    from server.catalog.service import set_archived

    a = await product(admin)
    await receive_at_cost(admin, a, place.bin_a, "20", "1")
    kit = await kit_of(admin, [(a, "1")])
    work = [assembly.assemble(kit, "1", from_location=place.bin_a, to_location=place.bin_b, actor_id=admin.user_id,
                              idempotency_key=key()) for _ in range(6)]  # fmt: skip
    work.insert(3, set_archived(kit, True, actor_id=admin.user_id))
    outcomes = await asyncio.gather(*work, return_exceptions=True)
    assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError | ManyErrors)]
    await invariants()
