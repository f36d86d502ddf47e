"""Fulfillment over GraphQL: a warehouse's steps, pick lists (claims, waves, short picks), packing,
shipments, their labels and delivery notes."""

from __future__ import annotations

import base64
import datetime

import strawberry
from strawberry import relay

from schema.context import Info
from schema.documents.mutations import _shown
from schema.documents.types import Document, document_id
from schema.mutations import IDEMPOTENCY_KEY, Payload, answer, mutation
from schema.permissions import require
from schema.relay import page_window
from schema.scalars import Decimal
from schema.scanning.types import ScanInput
from server.auth.permissions import Permission
from server.documents.models import Document as DocumentRow
from server.errors import DomainError, Invalid
from server.sales import fulfillment_reads as reads
from server.sales import fulfillment_settings, labels, packing, picking, shipping
from server.sales.fulfillment_models import FulfillmentSetting

_VERSION = "The version you read (recommended): if it changed since, the action is STALE."


def _global(document_id_: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID("Document", str(document_id_))))


@strawberry.type(description="A line of a pick list: what to take from one bin (and lot) for one order.")
class PickListLine:
    position: int
    order: strawberry.ID = strawberry.field(description="The id of the sales order (a Document).")
    order_number: str
    sku: str
    location: str = strawberry.field(description="The bin to take it from.")
    lot: str | None
    quantity: Decimal = strawberry.field(description="To pick, in the product's base unit.")
    picked: Decimal
    short: Decimal = strawberry.field(description="Not found: booked to inventory loss, the order waits for it again.")
    reason: str | None = strawberry.field(description="Why it was short.")


@strawberry.type(description="A pick list beyond its document: its warehouse, its claim and its lines in bin order.")
class PickListDetails:
    id: strawberry.ID
    number: str
    state: str = strawberry.field(description="draft (to pick), done or cancelled.")
    version: int
    warehouse: str
    wave: bool = strawberry.field(description="Several orders picked in one round.")
    claimed_by: str | None = strawberry.field(description="The username of the picker who claimed it.")
    claimed_at: datetime.datetime | None
    all_lines: strawberry.Private[list[PickListLine]]

    @strawberry.field(
        description="Its lines in bin order: the first `first` (null: the server's page size) after the line at"
        " `afterPosition` (a list longer than a page is read page by page)."
    )
    def lines(self, info: Info, first: int | None = 100, after_position: int | None = None) -> list[PickListLine]:
        lines = self.all_lines
        if after_position is not None:
            lines = [line for line in lines if line.position > after_position]
        return lines[: page_window(info, first, None).limit]

    @classmethod
    def of(cls, view: reads.PickListView) -> PickListDetails:
        return cls(
            id=_global(view.id), number=view.number, state=view.state, version=view.version, warehouse=view.warehouse,
            wave=view.wave, claimed_by=view.claimed_by, claimed_at=view.claimed_at,
            all_lines=[PickListLine(position=ln.position, order=_global(ln.order_id), order_number=ln.order_number,
                                    sku=ln.sku, location=ln.location, lot=ln.lot, quantity=ln.quantity,  # type: ignore[arg-type]
                                    picked=ln.picked, short=ln.short, reason=ln.reason)  # type: ignore[arg-type]
                       for ln in view.lines],
        )  # fmt: skip


@strawberry.type(description="A line of a shipment: what leaves from one location (and lot).")
class ShipmentLineDetails:
    position: int
    sku: str
    location: str = strawberry.field(description="A bin (one step) or the output location (two or three steps).")
    lot: str | None
    quantity: Decimal
    packed: Decimal = strawberry.field(description="Of it, in packages.")


@strawberry.type(description="A package of a shipment.")
class ShipmentPackageDetails:
    number: int
    packaging: str = strawberry.field(description="The box type.")
    weight_kg: Decimal
    sscc: str | None


@strawberry.type(description="A shipment beyond its document: the order, how it ships, its lines and packages.")
class ShipmentDetails:
    id: strawberry.ID
    number: str
    state: str = strawberry.field(description="draft, done (shipped) or cancelled.")
    version: int
    order: strawberry.ID = strawberry.field(description="The id of the sales order (a Document).")
    order_number: str
    warehouse: str
    steps: int = strawberry.field(description="The warehouse's steps when it was made.")
    carrier: str | None = strawberry.field(description="The code of the carrier.")
    shipping_method: str | None
    tracking_number: str | None
    shipped_at: datetime.datetime | None
    all_lines: strawberry.Private[list[ShipmentLineDetails]]
    all_packages: strawberry.Private[list[ShipmentPackageDetails]]

    @strawberry.field(description="Its lines: the first `first` (null: the server's page size).")
    def lines(self, info: Info, first: int | None = 100) -> list[ShipmentLineDetails]:
        return self.all_lines[: page_window(info, first, None).limit]

    @strawberry.field(description="Its packages: the first `first` (null: the server's page size).")
    def packages(self, info: Info, first: int | None = 100) -> list[ShipmentPackageDetails]:
        return self.all_packages[: page_window(info, first, None).limit]

    @classmethod
    def of(cls, view: reads.ShipmentDetailsView) -> ShipmentDetails:
        return cls(
            id=_global(view.id), number=view.number, state=view.state, version=view.version,
            order=_global(view.order_id), order_number=view.order_number, warehouse=view.warehouse, steps=view.steps,
            carrier=view.carrier, shipping_method=view.shipping_method, tracking_number=view.tracking_number,
            shipped_at=view.shipped_at,
            all_lines=[ShipmentLineDetails(position=ln.position, sku=ln.sku, location=ln.location, lot=ln.lot,  # type: ignore[arg-type]
                                           quantity=ln.quantity, packed=ln.packed) for ln in view.lines],  # type: ignore[arg-type]
            all_packages=[ShipmentPackageDetails(number=p.number, packaging=p.packaging, weight_kg=p.weight_kg,  # type: ignore[arg-type]
                                                 sscc=p.sscc) for p in view.packages],
        )  # fmt: skip


@strawberry.type
class FulfillmentStepsPayload(Payload):
    warehouse: str | None = None
    steps: int | None = None
    output_location: str | None = strawberry.field(default=None, description="Where picked goods wait to ship.")


@strawberry.type
class PickListPayload(Payload):
    document: Document | None = None
    pick_list: PickListDetails | None = None


@strawberry.type
class ShipmentPayload(Payload):
    document: Document | None = None
    shipment: ShipmentDetails | None = None


@strawberry.type(description="A shipping label: ZPL text for a thermal printer, or a PDF (base64).")
class ShippingLabel:
    format: str
    content_type: str
    text: str | None = strawberry.field(description="The ZPL (format zpl).")
    content_base64: str | None = strawberry.field(description="The PDF, base64-encoded (format pdf).")


async def _pick_payload(row: DocumentRow) -> PickListPayload:
    shown = await _shown(row)
    view = await reads.pick_list_view(row.id)
    return PickListPayload(document=shown.document, pick_list=PickListDetails.of(view) if view else None)


async def _shipment_payload(row: DocumentRow) -> ShipmentPayload:
    shown = await _shown(row)
    view = await reads.shipment_details(row.id)
    return ShipmentPayload(document=shown.document, shipment=ShipmentDetails.of(view) if view else None)


@strawberry.input
class SetFulfillmentStepsInput:
    warehouse: str
    steps: int = strawberry.field(description="1: ship from the bins; 2: pick, ship; 3: pick, pack, ship.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CreatePickListInput:
    warehouse: str
    orders: list[strawberry.ID] = strawberry.field(description="Sales orders (Document ids); more than one: a wave.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class PickListActionInput:
    id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class PickedLineInput:
    position: int
    quantity: Decimal | None = strawberry.field(
        default=None, description="Found and picked, in the product's base unit (null: in full, as far as its order"
        " still holds it).",
    )  # fmt: skip
    reason: str | None = strawberry.field(default=None, description="Why less than asked: needed when short.")
    scan: ScanInput | None = strawberry.field(
        default=None, description="The scan that picked it: the line's moves are effective when it was scanned (a"
        " list finished offline and sent later too), and the scan is kept in the scan log with them. A scan from"
        " before the list was made (beyond a few minutes of clock skew) is INVALID, one in a closed period"
        " PERIOD_LOCKED.",
    )  # fmt: skip

    def picked(self, index: int) -> picking.PickedLine:
        try:
            scan = self.scan.info() if self.scan is not None else None
        except DomainError as error:  # "scan.scannedAt", said of this line
            raise error.at(("lines", index, *error.path)) from None
        return picking.PickedLine(self.position, self.quantity, self.reason, scan)


@strawberry.input
class ConfirmPicksInput:
    id: strawberry.ID
    lines: list[PickedLineInput] = strawberry.field(
        default_factory=list, description="Lines picked otherwise than in full; a line not named was picked in full."
    )
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class CreateShipmentInput:
    order: strawberry.ID = strawberry.field(description="The sales order (a Document id).")
    warehouse: str = strawberry.field(description="The warehouse of the fulfillment group it ships.")
    carrier: str | None = strawberry.field(default=None, description="The code of a party with the carrier role.")
    shipping_method: str | None = None
    tracking_number: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class PackedLineInput:
    position: int = strawberry.field(description="The shipment line's position.")
    quantity: Decimal


@strawberry.input
class PackageInput:
    packaging: str = strawberry.field(description="The box type, a code.")
    weight_kg: Decimal
    sscc: str | None = strawberry.field(default=None, description="The 18-digit SSCC on the box, if it has one.")
    lines: list[PackedLineInput]


@strawberry.input
class PackShipmentInput:
    id: strawberry.ID
    packages: list[PackageInput]
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


@strawberry.input
class ValidateShipmentInput:
    id: strawberry.ID
    tracking_number: str | None = strawberry.field(default=None, description="When the carrier gave it only now.")
    scan: ScanInput | None = strawberry.field(
        default=None, description="The scan that confirmed it on a handheld: its moves are effective when it was"
        " scanned (a shipment confirmed offline and sent later too), and the scan is kept in the scan log with them.",
    )  # fmt: skip
    version: int | None = strawberry.field(default=None, description=_VERSION)
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY)


def _approver(info: Info) -> bool:
    principal = info.context.principal
    return principal is not None and principal.can(Permission.DOCUMENTS_APPROVE)


def _orders(ids: list[strawberry.ID]) -> list[int]:
    if len(ids) > picking.MAX_ORDERS_PER_WAVE:
        raise Invalid(f"A wave picks at most {picking.MAX_ORDERS_PER_WAVE} orders.", field="orders")
    return [document_id(raw, ("orders", index)) for index, raw in enumerate(ids)]  # type: ignore[arg-type]


@strawberry.type
class FulfillmentMutation:
    @mutation(Permission.SALES_MANAGE, description="How a warehouse ships its orders: in 1, 2 or 3 steps.")
    async def set_fulfillment_steps(self, info: Info, input: SetFulfillmentStepsInput) -> FulfillmentStepsPayload:
        def shown(row: FulfillmentSetting) -> FulfillmentStepsPayload:
            output = row.output_location.code if row.output_location else None
            return FulfillmentStepsPayload(warehouse=row.warehouse.code, steps=row.steps, output_location=output)

        return await answer(
            FulfillmentStepsPayload,
            lambda: fulfillment_settings.set_steps(input.warehouse, input.steps, actor_id=info.context.user_id,
                                                   idempotency_key=input.idempotency_key),
            shown,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="A pick list of what orders hold reserved in a warehouse, in bin"
              " order; several orders make a wave.")  # fmt: skip
    async def create_pick_list(self, info: Info, input: CreatePickListInput) -> PickListPayload:
        return await answer(
            PickListPayload,
            lambda: picking.create_pick_list(input.warehouse, _orders(input.orders), actor_id=info.context.user_id,
                                             idempotency_key=input.idempotency_key),
            _pick_payload,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Claim an open pick list: nobody else may pick it (CLAIMED).")
    async def claim_pick_list(self, info: Info, input: PickListActionInput) -> PickListPayload:
        return await answer(
            PickListPayload,
            lambda: picking.claim_pick_list(document_id(input.id), actor_id=info.context.user_id,
                                            idempotency_key=input.idempotency_key),
            _pick_payload,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Give up one's claim on a pick list.")
    async def release_pick_list(self, info: Info, input: PickListActionInput) -> PickListPayload:
        return await answer(
            PickListPayload,
            lambda: picking.claim_pick_list(document_id(input.id), release=True, actor_id=info.context.user_id,
                                            idempotency_key=input.idempotency_key),
            _pick_payload,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Book what was picked to the output location; a short line needs"
              " a reason (what was not found goes to inventory loss and the order waits for it again).")  # fmt: skip
    async def confirm_picks(self, info: Info, input: ConfirmPicksInput) -> PickListPayload:
        return await answer(
            PickListPayload,
            lambda: picking.confirm_picks(
                document_id(input.id), [ln.picked(index) for index, ln in enumerate(input.lines)],
                version=input.version, actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _pick_payload,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="A draft shipment of what an order has ready in a warehouse.")
    async def create_shipment(self, info: Info, input: CreateShipmentInput) -> ShipmentPayload:
        return await answer(
            ShipmentPayload,
            lambda: shipping.create_shipment(
                document_id(input.order, "order"), input.warehouse,
                shipping.ShipmentHeader(input.carrier, input.shipping_method, input.tracking_number),
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shipment_payload,
        )  # fmt: skip

    @mutation(Permission.STOCK_MOVE, description="Pack a draft shipment into packages (box type, weight, SSCC).")
    async def pack_shipment(self, info: Info, input: PackShipmentInput) -> ShipmentPayload:
        return await answer(
            ShipmentPayload,
            lambda: packing.pack_shipment(
                document_id(input.id),
                [packing.PackageInput(p.packaging, p.weight_kg, p.sscc,
                                      tuple((ln.position, ln.quantity) for ln in p.lines)) for p in input.packages],
                version=input.version, actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shipment_payload,
        )  # fmt: skip

    @mutation(
        Permission.STOCK_MOVE,
        description="Ship it: booked to the customer with its cost of goods, the order raised and settled, the"
        " customer's credit checked again. Once: a second validation is refused.",
    )
    async def validate_shipment(self, info: Info, input: ValidateShipmentInput) -> ShipmentPayload:
        return await answer(
            ShipmentPayload,
            lambda: shipping.validate_shipment(
                document_id(input.id), version=input.version, tracking_number=input.tracking_number,
                can_approve=_approver(info), scan=input.scan.info() if input.scan is not None else None,
                actor_id=info.context.user_id, idempotency_key=input.idempotency_key,
            ),
            _shipment_payload,
        )  # fmt: skip


_VIEW = [require(Permission.SALES_VIEW)]


@strawberry.type
class FulfillmentQuery:
    @strawberry.field(permission_classes=_VIEW, description="How a warehouse ships: its steps (1 when never set).")
    async def fulfillment_steps(self, warehouse: str) -> FulfillmentStepsPayload:
        async def shown(found: tuple[object, fulfillment_settings.Steps]) -> FulfillmentStepsPayload:
            row, steps = found
            output = None
            if steps.output_location_id is not None:
                from server.inventory.models import Location

                output = (await Location.get(id=steps.output_location_id)).code
            return FulfillmentStepsPayload(warehouse=row.code, steps=steps.steps, output_location=output)  # type: ignore[attr-defined]

        return await answer(FulfillmentStepsPayload, lambda: fulfillment_settings.setting_of(warehouse), shown)

    @strawberry.field(permission_classes=_VIEW, description="A pick list with its lines (null: no such pick list).")
    async def pick_list(self, id: strawberry.ID) -> PickListDetails | None:
        try:
            key = document_id(id)
        except DomainError:
            return None
        view = await reads.pick_list_view(key)
        return PickListDetails.of(view) if view else None

    @strawberry.field(permission_classes=_VIEW, description="The open pick lists of a warehouse, unclaimed first.")
    async def open_pick_lists(self, info: Info, warehouse: str, first: int | None = 20) -> list[PickListDetails]:
        ids = await reads.open_pick_lists(warehouse, page_window(info, first, None).limit)
        return [PickListDetails.of(view) for i in ids if (view := await reads.pick_list_view(i)) is not None]

    @strawberry.field(permission_classes=_VIEW, description="A shipment with its lines and packages.")
    async def shipment(self, id: strawberry.ID) -> ShipmentDetails | None:
        try:
            key = document_id(id)
        except DomainError:
            return None
        view = await reads.shipment_details(key)
        return ShipmentDetails.of(view) if view else None

    @strawberry.field(permission_classes=_VIEW, description="The draft shipments of a warehouse, oldest first.")
    async def open_shipments(self, info: Info, warehouse: str, first: int | None = 20) -> list[ShipmentDetails]:
        ids = await reads.open_shipments(warehouse, page_window(info, first, None).limit)
        return [ShipmentDetails.of(view) for i in ids if (view := await reads.shipment_details(i)) is not None]

    @strawberry.field(permission_classes=_VIEW, description="The shipments of a sales order, oldest first.")
    async def shipments_of_order(self, info: Info, order: strawberry.ID, first: int | None = 20) -> list[
        ShipmentDetails
    ]:  # fmt: skip
        try:
            key = document_id(order, "order")
        except DomainError:
            return []
        ids = await reads.shipments_of(key, page_window(info, first, None).limit)
        return [ShipmentDetails.of(view) for i in ids if (view := await reads.shipment_details(i)) is not None]

    @strawberry.field(permission_classes=_VIEW, description="A shipment's label, one per package: zpl or pdf.")
    async def shipping_label(self, id: strawberry.ID, format: str = "zpl") -> ShippingLabel | None:
        try:
            key = document_id(id)
            labels.refuse_unknown_format(format)
            if format == "zpl":
                return ShippingLabel(format="zpl", content_type="application/zpl", text=await labels.label_text(key),
                                     content_base64=None)  # fmt: skip
            pdf = await labels.label_pdf(key)
        except DomainError:  # no such shipment, or a format there is not
            return None
        return ShippingLabel(format="pdf", content_type="application/pdf", text=None,
                             content_base64=base64.b64encode(pdf).decode())  # fmt: skip

    @strawberry.field(permission_classes=_VIEW, description="A shipment's delivery note as a PDF, base64-encoded.")
    async def delivery_note(self, id: strawberry.ID) -> str | None:
        try:
            key = document_id(id)
            pdf = await labels.delivery_note_pdf(key)
        except DomainError:
            return None
        return base64.b64encode(pdf).decode()
