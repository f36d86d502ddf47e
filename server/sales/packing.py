"""Packing a shipment (the third step): its goods into packages, each with a box type, a weight and,
when the box carries one, an SSCC label (checked as ``server.inventory.packages`` checks it).

Packing books no stock: the goods stay in the output location, on the shipment, until it is validated
(then they leave for the customer). Packing again replaces the packages. A warehouse that ships in three
steps validates a shipment only when every line is packed in full; in two steps packing is optional (the
label then shows the packages and weights).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from server.commands import Command, Write
from server.documents import service
from server.documents.kinds import DRAFT, IllegalTransition
from server.documents.models import Document, DocumentLine
from server.errors import DomainError, Invalid, ManyErrors, NotFound
from server.inventory import quantities
from server.inventory.packages import clean_sscc
from server.sales.fulfillment_kinds import SHIPMENT
from server.sales.fulfillment_models import PackedLine, ShipmentLine, ShipmentPackage
from server.text import Code

PACKAGING = Code("packaging (box type)", 32)
MAX_PACKAGES = 100
MAX_WEIGHT_KG = Decimal(100_000)
WEIGHT_STEP = Decimal("0.001")


@dataclass(frozen=True)
class PackageInput:
    packaging: str
    weight_kg: object
    sscc: str | None = None
    lines: tuple[tuple[int, object], ...] = ()  # (shipment line position, quantity in base units)


@dataclass(frozen=True)
class PackShipment(Command):
    operation = "shipment.pack"
    document_id: int
    version: int | None
    packages: tuple[tuple[str, Decimal, str | None, tuple[tuple[int, Decimal], ...]], ...]


def _checked(given: list[PackageInput]) -> tuple[tuple[str, Decimal, str | None, tuple[tuple[int, Decimal], ...]], ...]:
    if not given or len(given) > MAX_PACKAGES:
        raise Invalid(f"Give 1 to {MAX_PACKAGES} packages.", field="packages")
    problems: list[DomainError] = []
    checked = []
    for index, package in enumerate(given):
        at = ("packages", index)
        try:
            packaging = PACKAGING.clean(package.packaging, (*at, "packaging"))
            weight = quantities.parse(package.weight_kg, field=(*at, "weightKg"))
            if weight > MAX_WEIGHT_KG or weight != weight.quantize(WEIGHT_STEP):
                raise Invalid(f"A weight is in kg, up to {MAX_WEIGHT_KG} with at most 3 decimals.",
                              field=(*at, "weightKg"))  # fmt: skip
            sscc = clean_sscc(package.sscc, (*at, "sscc")) if package.sscc is not None and package.sscc.strip() \
                else None  # fmt: skip
            if not package.lines or len(package.lines) > 2000:
                raise Invalid("Say what goes into the package: 1 to 2000 lines.", field=(*at, "lines"))
            contents = []
            for j, (position, quantity) in enumerate(package.lines):
                if not isinstance(position, int) or isinstance(position, bool) or not 0 < position <= 2000:
                    raise NotFound("The shipment has no such line.", field=(*at, "lines", j, "position"))
                contents.append((position, quantities.parse(quantity, field=(*at, "lines", j, "quantity"))))
            checked.append((packaging, weight, sscc, tuple(contents)))
        except DomainError as error:
            problems.append(error)
    ssccs = [p[2] for p in checked if p[2] is not None]
    if len(set(ssccs)) != len(ssccs):
        problems.append(Invalid("Each package has its own SSCC.", field="packages"))
    if problems:
        raise ManyErrors(problems)
    return tuple(checked)


async def pack_shipment(document_id: int, packages: list[PackageInput], *, version: int | None,
                        actor_id: int | None, idempotency_key: str | None = None) -> Document:  # fmt: skip
    """Put the draft shipment's goods into ``packages`` (replacing any packed before); no line packs more than
    it ships."""
    command = PackShipment(document_id, version, _checked(packages))

    async def run(write: Write, document: Document) -> Document:
        if document.type != SHIPMENT:
            raise Invalid("This document is not a shipment.", field="id")
        if document.state != DRAFT:
            raise IllegalTransition(f"A {document.state} shipment is not packed.", field="id")
        conn = write.conn
        rows = {row.position: row for row in await DocumentLine.filter(document_id=document.id).using_db(conn)}
        lines = {line.id: line for line in await ShipmentLine.filter(shipment_id=document.id).using_db(conn)}
        packed: dict[int, Decimal] = defaultdict(Decimal)
        problems: list[DomainError] = []
        for i, (_, _, _, contents) in enumerate(command.packages):
            for j, (position, quantity) in enumerate(contents):
                row = rows.get(position)
                if row is None:
                    problems.append(NotFound(f"The shipment has no line {position}.",
                                             field=("packages", i, "lines", j, "position")))  # fmt: skip
                    continue
                packed[row.id] += quantity
                ships = quantities.from_db(lines[row.id].quantity)
                if packed[row.id] > ships:
                    problems.append(Invalid(f"Line {position} ships {ships.normalize():f}: more cannot be packed.",
                                            field=("packages", i, "lines", j, "quantity")))  # fmt: skip
        if problems:
            raise ManyErrors(problems)
        await ShipmentPackage.filter(shipment_id=document.id).using_db(conn).delete()
        for number, (packaging, weight, sscc, contents) in enumerate(command.packages, start=1):
            package = await ShipmentPackage.create(shipment_id=document.id, number=number, packaging=packaging,
                                                   weight_kg=weight, sscc=sscc, using_db=conn)  # fmt: skip
            await PackedLine.bulk_create([PackedLine(package_id=package.id, line_id=rows[position].id,
                                                     quantity=quantity) for position, quantity in contents],
                                         using_db=conn)  # fmt: skip
        document.version += 1
        document.updated_by_id = write.actor_id  # type: ignore[attr-defined]
        await document.save(using_db=conn, update_fields=["version", "updated_by_id", "updated_at"])
        return document

    return await service.write_document(command, document_id, version, run, actor_id=actor_id,
                                        idempotency_key=idempotency_key)  # fmt: skip
