"""Packages over GraphQL: register a label, pack and unpack stock, nest a case on a pallet, move a pallet."""

from __future__ import annotations

import dataclasses

import strawberry

from schema.context import Info
from schema.inventory.package_types import Package, PackageKind
from schema.inventory.types import StockMove
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from schema.scanning.types import ScanInput
from server.auth.permissions import Permission
from server.inventory import package_packing, packages
from server.inventory.moves import Move
from server.inventory.package_contents import package_by_sscc, packages_by_ids

SSCC = "The package's SSCC: the 18 digits of its label (GS1 AI 00), the last a check digit."


@strawberry.input(description="A product (and lot) and how many base units of it.")
class PackLineInput:
    sku: str
    quantity: Decimal
    lot: str | None = strawberry.field(default=None, description="Without it, the removal strategy's order.")


@strawberry.input
class CreatePackageInput:
    sscc: str = strawberry.field(description=SSCC)
    kind: PackageKind
    location_code: str = strawberry.field(description="The bin it is in (its parent's, when it has one).")
    parent_sscc: str | None = strawberry.field(default=None, description="The package it is in or on (a pallet).")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class PackStockInput:
    sscc: str = strawberry.field(description=SSCC)
    lines: list[PackLineInput] = strawberry.field(
        description=f"Loose stock of the package's bin to put in it: 1 to {package_packing.MAX_LINES} lines."
    )
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    location_code: str | None = strawberry.field(
        default=None, description="Where the package is; an empty one is taken there first."
    )
    scan: ScanInput | None = None


@strawberry.input
class UnpackStockInput:
    sscc: str = strawberry.field(description=SSCC)
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    lines: list[PackLineInput] | None = strawberry.field(
        default=None,
        description=f"What to take out (up to {package_packing.MAX_LINES} lines); none: all the package itself holds"
        " (packages in it stay, with what they hold).",
    )
    scan: ScanInput | None = None


@strawberry.input
class NestPackageInput:
    sscc: str = strawberry.field(description=SSCC)
    parent_sscc: str | None = strawberry.field(
        description="The package to put it in or on, in the same bin; null takes it off the one it is on."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class MovePackageInput:
    sscc: str = strawberry.field(description=SSCC)
    to_location_code: str
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)
    from_location_code: str | None = strawberry.field(
        default=None,
        description="Where the package was when scanned: if it has moved since, STALE and nothing moves.",
    )
    scan: ScanInput | None = None


@strawberry.type
class PackagePayload(Payload):
    package: Package | None = None
    replayed: bool = strawberry.field(default=False, description="True when this answers a repeated idempotency key.")
    booked: strawberry.Private[list[Move]] = dataclasses.field(default_factory=list)

    @strawberry.field(
        description="The ledger entries written (one per product, lot and package), the first `first` of them (the"
        " server's page size at most)."
    )
    def moves(self, info: Info, first: int | None = None) -> list[StockMove]:
        return [StockMove.from_move(move) for move in self.booked[: page_window(info, first, None).limit]]


async def _shown(change: packages.PackageChange) -> PackagePayload:
    found = await packages_by_ids([change.package_id])
    return PackagePayload(package=Package.of(found[change.package_id]), replayed=change.replayed, booked=change.moves)


@strawberry.type
class PackagesQuery:
    @strawberry.field(
        permission_classes=[require(Permission.STOCK_VIEW)],
        description="The package with this SSCC (INVALID for a code that is no SSCC), null when none has it.",
    )
    async def package(self, info: Info, sscc: str) -> Package | None:
        found = await package_by_sscc(sscc)
        return Package.of(found) if found else None


@strawberry.type
class PackagesMutation:
    @mutation(Permission.STOCK_MOVE, description="Register a package's label in a bin, or on a pallet there.")
    async def create_package(self, info: Info, input: CreatePackageInput) -> PackagePayload:
        return await answer(
            PackagePayload,
            lambda: packages.create_package(
                input.sscc, input.kind.value, input.location_code, parent_sscc=input.parent_sscc,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Put loose stock of the package's bin into the package.")
    async def pack_stock(self, info: Info, input: PackStockInput) -> PackagePayload:
        return await answer(
            PackagePayload,
            lambda: package_packing.pack_stock(
                input.sscc, input.lines, location_code=input.location_code, actor_id=info.context.user_id,
                idempotency_key=input.idempotency_key, scan=input.scan.info() if input.scan else None,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Take stock out of a package: it becomes loose stock of its bin.")
    async def unpack_stock(self, info: Info, input: UnpackStockInput) -> PackagePayload:
        return await answer(
            PackagePayload,
            lambda: package_packing.unpack_stock(
                input.sscc, input.lines, actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
                scan=input.scan.info() if input.scan else None,
            ),
            _shown,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Put a package in or on another (a case on a pallet), or take it off.")
    async def nest_package(self, info: Info, input: NestPackageInput) -> PackagePayload:
        return await answer(
            PackagePayload,
            lambda: packages.nest_package(
                input.sscc, input.parent_sscc, actor_id=info.context.user_id, idempotency_key=input.idempotency_key
            ),
            _shown,
        )

    @mutation(
        Permission.STOCK_MOVE,
        description="Move a package, every package in it and all they hold to another bin, in one move set.",
    )
    async def move_package(self, info: Info, input: MovePackageInput) -> PackagePayload:
        return await answer(
            PackagePayload,
            lambda: packages.move_package(
                input.sscc, input.to_location_code, from_location_code=input.from_location_code,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
                scan=input.scan.info() if input.scan else None,
            ),
            _shown,
        )  # fmt: skip
