"""Packaging levels of a product (inner, case, pallet): how many base units one holds, whether it
is traded in whole units only, and the barcodes printed on it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from tortoise.exceptions import IntegrityError

from server import sql
from server.catalog.barcodes import ProductCode, classify
from server.catalog.models import PACKAGING_CODE, PACKAGING_NAME, SKU, UNIT_CODE, Barcode, Packaging, Product
from server.catalog.service import _locked, _product_write, _replace_barcodes
from server.catalog.units import decimal_input, unit_named
from server.commands import Command, Write
from server.errors import AlreadyExists, DomainError, Invalid
from server.text import storable

MAX_PACKAGINGS = 10  # each, inner, case, layer, pallet ... a short list, never paged
MAX_BARCODES_PER_PACKAGING = 10

T = TypeVar("T")
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class PackagingSpec:
    """A packaging level as a caller gives it; checked by ``set_product_packagings``."""

    code: str
    quantity: object  # base units in one: a string of digits, or a Decimal
    name: str | None = None
    whole_units_only: bool = True
    barcodes: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Level:
    """A packaging level as checked: code in capitals, quantity at the ledger's scale, barcodes classified."""

    code: str
    name: str | None
    quantity: Decimal
    whole_units_only: bool
    barcodes: tuple[ProductCode, ...]


@dataclass(frozen=True)
class SetPackagings(Command):
    operation = "product.set_packagings"
    sku: str
    packagings: tuple[Level, ...]


def _at(path: Path, check: Callable[[], T]) -> T:
    """``check()``, its refusal pointed at ``path`` (the specs of server.text name one field)."""
    try:
        return check()
    except DomainError as error:
        error.field = path
        raise


def _level(index: int, spec: PackagingSpec) -> Level:
    def at(name: str) -> Path:
        return ("packagings", index, name)

    code = _at(at("code"), lambda: PACKAGING_CODE.clean(spec.code, "code"))
    name = _at(at("name"), lambda: PACKAGING_NAME.optional(spec.name, "name")) if spec.name is not None else None
    quantity = decimal_input(spec.quantity, field=at("quantity"))
    if len(spec.barcodes) > MAX_BARCODES_PER_PACKAGING:
        raise Invalid(f"A packaging level has at most {MAX_BARCODES_PER_PACKAGING} barcodes.", field=at("barcodes"))
    barcodes = tuple(_at(at("barcodes"), lambda given=given: classify(given)) for given in spec.barcodes)  # type: ignore[misc]
    return Level(code, name, quantity, bool(spec.whole_units_only), barcodes)


def _checked(specs: Sequence[PackagingSpec]) -> tuple[Level, ...]:
    if len(specs) > MAX_PACKAGINGS:
        raise Invalid(f"A product has at most {MAX_PACKAGINGS} packaging levels.", field="packagings")
    levels = tuple(_level(index, spec) for index, spec in enumerate(specs))
    codes: set[str] = set()
    barcodes: set[str] = set()
    for index, level in enumerate(levels):
        if level.code in codes:
            raise Invalid(f"The packaging level {level.code} is given twice.", field=("packagings", index, "code"))
        codes.add(level.code)
        for barcode in level.barcodes:
            if barcode.normalized in barcodes:
                raise Invalid(f"The barcode {barcode.code} is given twice.", field=("packagings", index, "barcodes"))
            barcodes.add(barcode.normalized)
    return levels


async def set_product_packagings(
    sku: str, specs: Sequence[PackagingSpec], *, actor_id: int | None, idempotency_key: str | None = None
) -> Product:
    """Replace the packaging levels of ``sku`` and their barcodes with ``specs``, in that order.

    A level's code is unique in the product and is never a unit's code, so a line's unit names one
    thing; its barcodes are claimed as the product's own are (no location, SKU or other barcode has them)."""
    levels = _checked(specs)

    async def run(write: Write) -> Product:
        product = await _locked(write.conn, sku)
        for index, level in enumerate(levels):
            await sql.lock_name(write.conn, f"unit:{UNIT_CODE.key(level.code) or level.code}")
            if await unit_named(write.conn, level.code) is not None:
                raise Invalid(f"{level.code} is the code of a unit: a packaging level cannot share it.",
                              field=("packagings", index, "code"))  # fmt: skip
        await Barcode.filter(product_id=product.id, packaging_id__isnull=False).using_db(write.conn).delete()
        await Packaging.filter(product_id=product.id).using_db(write.conn).delete()
        for index, level in enumerate(levels):
            packaging = await Packaging.create(
                product=product, code=level.code, name=level.name, quantity=level.quantity,
                whole_units_only=level.whole_units_only, position=index + 1, using_db=write.conn,
            )  # fmt: skip
            await _replace_barcodes(write.conn, product, list(level.barcodes), packaging=packaging,
                                    field=("packagings", index, "barcodes"))  # fmt: skip
        return product

    command = SetPackagings(SKU.key(sku) or storable(sku), levels)
    try:
        return await _product_write(command, run, actor_id, idempotency_key)
    except IntegrityError:  # a concurrent write took one of the barcodes first
        raise AlreadyExists("One of the barcodes was just taken by something else.", field="packagings") from None


async def packagings_by_product(product_ids: list[int]) -> dict[int, list[Packaging]]:
    """The packaging levels of each product, in their order (for dataloaders)."""
    grouped: dict[int, list[Packaging]] = defaultdict(list)
    for row in await Packaging.filter(product_id__in=product_ids).order_by("product_id", "position"):
        grouped[row.product_id].append(row)  # type: ignore[attr-defined]
    return grouped


async def barcodes_by_packaging(packaging_ids: list[int]) -> dict[int, list[Barcode]]:
    """The barcodes of each packaging level, in the order they were given (for dataloaders)."""
    grouped: dict[int, list[Barcode]] = defaultdict(list)
    for row in await Barcode.filter(packaging_id__in=packaging_ids).order_by("id"):
        grouped[row.packaging_id].append(row)  # type: ignore[attr-defined]
    return grouped
