"""Packaging levels and their barcodes, through the service functions and the scanner's lookup."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

import pytest
from biip.checksums import gs1_standard_check_digit

from server import scanning
from server.catalog.demo import DEMO_PACKAGING, load_demo_packaging
from server.catalog.models import Barcode, Packaging, Product
from server.catalog.packagings import MAX_PACKAGINGS, PackagingSpec, set_product_packagings
from server.catalog.service import ProductDetails, create_product, update_product
from server.errors import AlreadyExists, DomainError, ErrorCode, Invalid
from server.inventory.locations import create_location
from tests.conftest import Actor, Place, unique


def gtin(indicator: str = "1") -> str:
    """A random GTIN-14 with its check digit, in the restricted-circulation range no real product uses."""
    body = indicator + "2" + "".join(random.choice("0123456789") for _ in range(11))
    return body + str(gs1_standard_check_digit(body))


async def packed(actor: Actor, *specs: PackagingSpec, barcodes: list[str] | None = None) -> Product:
    sku = unique("P")
    row = await create_product(sku, ProductDetails(name="Mug", barcodes=barcodes or []), actor_id=actor.user_id)
    await set_product_packagings(sku, list(specs), actor_id=actor.user_id)
    return row


async def refused(sku: str, specs: list[PackagingSpec], actor: Actor) -> DomainError:
    with pytest.raises(DomainError) as error:
        await set_product_packagings(sku, specs, actor_id=actor.user_id)
    return error.value


async def test_a_case_barcode_resolves_to_the_product_and_twelve_units(admin: Actor) -> None:
    case = gtin()
    row = await packed(admin, PackagingSpec("INNER", "6"), PackagingSpec("CASE", "12", "Case of 12", barcodes=[case]))
    found = await scanning.resolve(case)
    assert found.kind is scanning.CodeKind.PRODUCT and found.product and found.product.sku == row.sku
    assert found.packaging and (found.packaging.code, found.packaging.quantity) == ("CASE", Decimal("12"))
    assert found.quantity == Decimal("12")
    in_brackets = await scanning.resolve(f"(01){case}(10)L1")
    assert in_brackets.product and in_brackets.product.sku == row.sku and in_brackets.quantity == Decimal("12")
    counted = await scanning.resolve(f"(02){case}(37)3")  # three cases on a pallet label
    assert counted.packaging and counted.quantity == Decimal("36")


async def test_a_product_barcode_still_answers_the_product_alone(admin: Actor) -> None:
    each, case = gtin("0")[1:], gtin()
    row = await packed(admin, PackagingSpec("CASE", "12", barcodes=[case]), barcodes=[each])
    found = await scanning.resolve(each)
    assert found.product and found.product.sku == row.sku and found.packaging is None and found.quantity is None
    assert (await scanning.resolve(f"(02){gtin('0')[1:]}(37)5")).product is None  # no such GTIN
    assert (await scanning.resolve(f"(01)0{each}(30)5")).quantity == Decimal("5")  # a count of eaches


async def test_free_form_packaging_codes_resolve_too(admin: Actor) -> None:
    code = unique("CASE-LABEL")
    row = await packed(admin, PackagingSpec("PALLET", "480.5", whole_units_only=False, barcodes=[code.lower()]))
    found = await scanning.resolve(code)
    assert found.product and found.product.sku == row.sku and found.quantity == Decimal("480.5")


async def test_levels_are_replaced_with_their_barcodes(admin: Actor) -> None:
    case, pallet = gtin(), gtin("3")
    row = await packed(
        admin, PackagingSpec("CASE", "12", barcodes=[case]), PackagingSpec("PALLET", "480", barcodes=[pallet])
    )
    await set_product_packagings(row.sku, [PackagingSpec("CASE", "24", barcodes=[case])], actor_id=admin.user_id)
    levels = await Packaging.filter(product_id=row.id)
    assert [(p.code, p.quantity, p.position) for p in levels] == [("CASE", Decimal("24"), 1)]
    assert (await scanning.resolve(case)).quantity == Decimal("24")
    assert (await scanning.resolve(pallet)).product is None
    other = await packed(admin, PackagingSpec("PALLET", "100", barcodes=[pallet]))  # the freed code is free
    assert (await scanning.resolve(pallet)).product.sku == other.sku  # type: ignore[union-attr]
    await set_product_packagings(row.sku, [], actor_id=admin.user_id)
    assert not await Packaging.exists(product_id=row.id) and (await scanning.resolve(case)).product is None


async def test_changing_a_products_barcodes_keeps_its_case_barcodes(admin: Actor) -> None:
    case = gtin()
    row = await packed(admin, PackagingSpec("CASE", "12", barcodes=[case]), barcodes=[gtin("0")])
    await update_product(row.sku, ProductDetails(barcodes=[gtin("0")]), actor_id=admin.user_id)
    assert (await scanning.resolve(case)).quantity == Decimal("12")
    with pytest.raises(AlreadyExists) as taken:  # nor can the product take its case's code as its own
        await update_product(row.sku, ProductDetails(barcodes=[case]), actor_id=admin.user_id)
    assert "a packaging level of this product" in taken.value.message


async def test_a_packaging_barcode_is_unique_against_every_code_a_scan_could_find(admin: Actor, place: Place) -> None:
    each = gtin("0")
    neighbour = await packed(admin, PackagingSpec("CASE", "6", barcodes=[gtin()]), barcodes=[each])
    row = await create_product(unique("P"), ProductDetails(name="Mine"), actor_id=admin.user_id)
    taken = [
        each,  # another product's barcode
        each[1:],  # the same GTIN in another spelling
        (await Barcode.get(packaging__product_id=neighbour.id)).code,  # another product's case
        neighbour.sku,  # another product's SKU
        place.bin_a,  # a location
    ]
    for index, code in enumerate(taken):
        error = await refused(
            row.sku, [PackagingSpec("INNER", "2"), PackagingSpec("CASE", "12", barcodes=[code])], admin
        )
        assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, ("packagings", 1, "barcodes")), (index, error)
    assert not await Packaging.exists(product_id=row.id)  # nothing of a refused write is kept
    free_form = unique("BOX")
    await set_product_packagings(row.sku, [PackagingSpec("BOX", "3", barcodes=[free_form])], actor_id=admin.user_id)
    with pytest.raises(AlreadyExists):  # and no location or SKU can take it afterwards
        await create_location(place.warehouse, free_form, "Bin", actor_id=admin.user_id)
    with pytest.raises(AlreadyExists):
        await create_product(free_form, ProductDetails(name="Clash"), actor_id=admin.user_id)


@pytest.mark.parametrize(
    ("specs", "field"),
    [
        ([PackagingSpec("CASE", "0")], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", "-12")], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", "1.00001")], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", "twelve")], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", 12)], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", "9" * 13)], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", "1" * 10_000)], ("packagings", 0, "quantity")),
        ([PackagingSpec("CASE", "12"), PackagingSpec("case", "24")], ("packagings", 1, "code")),
        ([PackagingSpec("CA SE", "12")], ("packagings", 0, "code")),
        ([PackagingSpec("C\x00", "12")], ("packagings", 0, "code")),
        ([PackagingSpec("C" * 17, "12")], ("packagings", 0, "code")),
        ([PackagingSpec("-CASE", "12")], ("packagings", 0, "code")),
        ([PackagingSpec("DOZEN", "12")], ("packagings", 0, "code")),  # a unit's code
        ([PackagingSpec("CASE", "12", "\u202eevil")], ("packagings", 0, "name")),
        ([PackagingSpec("CASE", "12", barcodes=["15901234123455"])], ("packagings", 0, "barcodes")),  # check digit
        ([PackagingSpec("CASE", "12", barcodes=["A\x00"])], ("packagings", 0, "barcodes")),
        ([PackagingSpec("CASE", "12", barcodes=["X" * 65])], ("packagings", 0, "barcodes")),
        ([PackagingSpec("CASE", "12", barcodes=[f"B{n}" for n in range(11)])], ("packagings", 0, "barcodes")),
        ([PackagingSpec("A", "1", barcodes=["DUP"]), PackagingSpec("B", "2", barcodes=["dup"])],
         ("packagings", 1, "barcodes")),
        ([PackagingSpec(f"L{n}", "1") for n in range(MAX_PACKAGINGS + 1)], "packagings"),
    ],
)  # fmt: skip
async def test_levels_are_checked_before_anything_is_written(
    admin: Actor, specs: list[PackagingSpec], field: object
) -> None:
    row = await packed(admin, PackagingSpec("KEPT", "5"))
    error = await refused(row.sku, specs, admin)
    assert error.code is ErrorCode.INVALID and error.field == field
    assert [p.code for p in await Packaging.filter(product_id=row.id)] == ["KEPT"]


async def test_an_unknown_product_has_no_levels_to_set(admin: Actor) -> None:
    for sku in ("NO-SUCH", "x" * 10_000, "A\x00"):
        error = await refused(sku, [PackagingSpec("CASE", "12")], admin)
        assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "sku")


async def test_a_unit_cannot_take_a_packaging_levels_code(admin: Actor) -> None:
    from server.catalog.units import create_unit

    code = unique("BX")[:12]
    await packed(admin, PackagingSpec(code, "10"))
    with pytest.raises(AlreadyExists) as taken:
        await create_unit(code.lower(), "Box", "count", "10", actor_id=admin.user_id)
    assert taken.value.field == "code"


async def test_a_retry_with_the_same_key_sets_the_levels_once(admin: Actor) -> None:
    row = await create_product(unique("P"), ProductDetails(name="Mug"), actor_id=admin.user_id)
    key, specs = str(uuid.uuid4()), [PackagingSpec("CASE", "12", barcodes=[gtin()])]
    for _ in range(2):
        assert (await set_product_packagings(row.sku, specs, actor_id=admin.user_id, idempotency_key=key)).id == row.id
    assert await Packaging.filter(product_id=row.id).count() == 1
    with pytest.raises(DomainError) as reused:
        await set_product_packagings(row.sku, [PackagingSpec("CASE", "6")], actor_id=admin.user_id, idempotency_key=key)
    assert reused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED


async def test_demo_packaging_is_loaded_once(admin: Actor) -> None:
    for sku in DEMO_PACKAGING:
        if not await Product.exists(sku=sku):
            await create_product(sku, ProductDetails(name="Demo"), actor_id=admin.user_id)
    await load_demo_packaging(admin.user_id)
    await load_demo_packaging(admin.user_id)
    mug = await Product.get(sku="MUG-WHITE")
    assert [(p.code, p.quantity) for p in await Packaging.filter(product_id=mug.id).order_by("position")] == [
        ("INNER", Decimal(6)), ("CASE", Decimal(12))
    ]  # fmt: skip
    found = await scanning.resolve("15901234123454")
    assert found.product and found.product.sku == "MUG-WHITE" and found.quantity == Decimal("12")


async def test_whole_units_only_is_the_default(admin: Actor) -> None:
    from server.catalog.units import to_base

    row = await packed(admin, PackagingSpec("CASE", "12"))
    with pytest.raises(Invalid) as error:
        await to_base(None, row, Decimal("0.5"), "CASE", field="quantity")
    assert error.value.field == "quantity"


@pytest.mark.postgres
async def test_two_products_racing_for_one_case_barcode_leave_it_to_one(admin: Actor) -> None:
    import asyncio

    case = gtin()
    rows = [await create_product(unique("R"), ProductDetails(name="Racer"), actor_id=admin.user_id) for _ in range(4)]
    outcomes = await asyncio.gather(
        *(set_product_packagings(r.sku, [PackagingSpec("CASE", "12", barcodes=[case])], actor_id=admin.user_id)
          for r in rows),
        return_exceptions=True,
    )  # fmt: skip
    won = [o for o in outcomes if isinstance(o, Product)]
    assert len(won) == 1 and all(isinstance(o, AlreadyExists) for o in outcomes if o not in won), outcomes
    assert await Barcode.filter(normalized=case).count() == 1
    assert (await scanning.resolve(case)).product.sku == won[0].sku  # type: ignore[union-attr]
