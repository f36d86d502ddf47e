"""Kits over GraphQL: a bill of materials per kit (server/inventory/kits.py), assembly and disassembly
(server/inventory/assembly.py)."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.inventory.types import StockMove
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.scalars import Decimal
from server.auth.permissions import Permission
from server.inventory import assembly, kits
from server.inventory.ledger import Posting


@strawberry.type(description="A component of a kit: how many base units of it go into one kit.")
class KitComponent:
    sku: str
    quantity: Decimal


@strawberry.type(description="A kit's bill of materials; a product without components is no kit.")
class Kit:
    sku: str
    components: list[KitComponent] = strawberry.field(
        description=f"In their order (at most {kits.MAX_KIT_COMPONENTS}); the last takes a disassembly's rounding."
    )

    @classmethod
    def of(cls, kit: kits.Kit) -> Kit:
        return cls(sku=kit.sku, components=[KitComponent(sku=c.sku, quantity=c.quantity) for c in kit.components])  # type: ignore[arg-type]


@strawberry.input
class KitComponentInput:
    sku: str
    quantity: Decimal = strawberry.field(description="Base units of the component in one kit.")


@strawberry.input
class SetKitComponentsInput:
    sku: str = strawberry.field(description="The kit.")
    components: list[KitComponentInput] = strawberry.field(
        description=f"Every component, in order (at most {kits.MAX_KIT_COMPONENTS}): it replaces the list; none:"
        " the product is no kit any more. A kit never contains itself, directly or through another kit."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class KitComponentLotInput:
    sku: str = strawberry.field(description="A component of the kit, tracked by lot.")
    lot: str


@strawberry.input
class AssembleKitInput:
    sku: str = strawberry.field(description="The kit.")
    quantity: Decimal = strawberry.field(description="Kits to build, in the kit's base unit.")
    from_location_code: str = strawberry.field(description="The bin the components are taken from.")
    to_location_code: str = strawberry.field(description="The bin the kits go to, in the same warehouse.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    lot: str | None = strawberry.field(default=None, description="The kits' lot, when the kit is tracked by lot.")
    component_lots: list[KitComponentLotInput] = strawberry.field(
        default_factory=list, description="The lot to take of a component; without one, the removal rule picks."
    )


@strawberry.input
class DisassembleKitInput:
    sku: str = strawberry.field(description="The kit.")
    quantity: Decimal = strawberry.field(description="Kits to take apart, in the kit's base unit.")
    from_location_code: str = strawberry.field(description="The bin the kits are taken from.")
    to_location_code: str = strawberry.field(description="The bin the components go to, in the same warehouse.")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    lot: str | None = strawberry.field(default=None, description="The kits' lot to take; without one, the removal"
                                       " rule picks.")  # fmt: skip
    component_lots: list[KitComponentLotInput] = strawberry.field(
        default_factory=list, description="The lot each component tracked by lot goes back into (needed for those)."
    )


@strawberry.type
class KitPayload(Payload):
    kit: Kit | None = None


@strawberry.type
class KitAssemblyPayload(Payload):
    moves: list[StockMove] = strawberry.field(
        default_factory=list,
        description="The ledger entries written: the components' and the kits', through the assembly location"
        f" (one per lot, at most {assembly.MAX_MOVES}). A component short of stock is INSUFFICIENT_STOCK at"
        " quantity, every one at once.",
    )
    replayed: bool = strawberry.field(default=False, description="True when this answers a repeated idempotency key.")

    @classmethod
    def of(cls, posting: Posting) -> KitAssemblyPayload:
        return cls(moves=[StockMove.from_move(m) for m in posting.moves], replayed=posting.replayed)


def _lots(given: list[KitComponentLotInput]) -> list[tuple[str, str]]:
    return [(entry.sku, entry.lot) for entry in given]


@strawberry.type
class KitsQuery:
    @strawberry.field(
        permission_classes=[require(Permission.CATALOG_VIEW)],
        description="The bill of materials of a product: its components (none: it is no kit).",
    )
    async def kit(self, sku: str) -> Kit:
        return Kit.of(await kits.kit_components(sku))


@strawberry.type
class KitsMutation:
    @mutation(Permission.CATALOG_MANAGE, description="Set a kit's bill of materials: its components, replaced whole.")
    async def set_kit_components(self, info: Info, input: SetKitComponentsInput) -> KitPayload:
        return await answer(
            KitPayload,
            lambda: kits.set_kit_components(
                input.sku, [kits.ComponentSpec(c.sku, c.quantity) for c in input.components],
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            lambda kit: KitPayload(kit=Kit.of(kit)),
        )  # fmt: skip

    @mutation(
        Permission.STOCK_ADJUST,
        description="Build kits from their components in one posting: the kits are worth exactly what the"
        " components took out.",
    )
    async def assemble_kit(self, info: Info, input: AssembleKitInput) -> KitAssemblyPayload:
        return await answer(
            KitAssemblyPayload,
            lambda: assembly.assemble(
                input.sku, input.quantity, from_location=input.from_location_code, to_location=input.to_location_code,
                lot=input.lot, component_lots=_lots(input.component_lots), actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            KitAssemblyPayload.of,
        )  # fmt: skip

    @mutation(
        Permission.STOCK_ADJUST,
        description="Take kits apart in one posting: the components share the kits' value by what each is worth"
        " now, the last taking the rounding, so they add up to it exactly.",
    )
    async def disassemble_kit(self, info: Info, input: DisassembleKitInput) -> KitAssemblyPayload:
        return await answer(
            KitAssemblyPayload,
            lambda: assembly.disassemble(
                input.sku, input.quantity, from_location=input.from_location_code, to_location=input.to_location_code,
                lot=input.lot, component_lots=_lots(input.component_lots), actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key,
            ),
            KitAssemblyPayload.of,
        )  # fmt: skip
