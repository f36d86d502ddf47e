"""A shipment on paper: its shipping label (PDF, and ZPL for thermal printers) and its delivery note (PDF).

A label is 4 x 6 inches (the size carriers and thermal printers take), one per package (one in all for a
shipment not packed): sender, ship-to address, carrier, method, tracking number as a barcode, the order
and shipment numbers, the package's number, weight and SSCC (as a GS1-128 barcode in ZPL). The delivery
note lists what the shipment holds, without prices, to travel with the goods.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from server.db import connection
from server.documents.models import Document, DocumentLine
from server.errors import Invalid, NotFound
from server.partners.models import Address, AddressKind, Party
from server.printing.pdf import FONT, FONT_FILE, printable
from server.sales.fulfillment_kinds import SHIPMENT
from server.sales.fulfillment_models import Shipment, ShipmentPackage
from server.sales.models import SalesOrder

LABEL_MM = (101.6, 152.4)  # 4 x 6 inches
_CODE39 = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")


@dataclass(frozen=True)
class Parcel:
    number: int
    packaging: str
    weight_kg: Decimal | None
    sscc: str | None


@dataclass(frozen=True)
class ShipmentView:
    """What a shipment's papers show."""

    number: str
    state: str
    order_number: str
    store_name: str
    store_address: str
    customer_name: str
    ship_to: list[str]
    carrier: str | None
    shipping_method: str | None
    tracking_number: str | None
    parcels: list[Parcel]
    lines: list[tuple[int, str, str, Decimal, str]]  # position, SKU, name, quantity, unit


async def shipment_view(document_id: int) -> ShipmentView:
    conn = connection()
    document = await Document.get_or_none(id=document_id, using_db=conn)
    if document is None or document.type != SHIPMENT:
        raise NotFound("There is no such shipment.", field="id")
    await document.fetch_related("store", "party")
    shipment = await Shipment.get(id=document.id).select_related("order", "carrier")
    order = await SalesOrder.get(id=shipment.order_id).select_related("ship_to")  # type: ignore[attr-defined]
    party_id: int = document.party_id  # type: ignore[attr-defined]
    address = (
        order.ship_to
        or await Address.filter(party_id=party_id, kind=AddressKind.SHIPPING).first()
        or await Address.filter(party_id=party_id).first()
    )
    party: Party = document.party  # type: ignore[assignment]
    ship_to = [party.name]
    if address is not None:
        ship_to += [address.street, f"{address.postal_code} {address.city}".strip(), address.region, address.country]
    packages = await ShipmentPackage.filter(shipment_id=document.id).order_by("number")
    parcels = [Parcel(p.number, p.packaging, Decimal(p.weight_kg), p.sscc) for p in packages] or [
        Parcel(1, "", None, None)]  # fmt: skip
    rows = await DocumentLine.filter(document_id=document.id).order_by("position").select_related("product")
    return ShipmentView(
        number=document.number or "", state=document.state, order_number=shipment.order.number or "",
        store_name=document.store.name, store_address=document.store.address, customer_name=party.name,
        ship_to=[line for line in ship_to if line], carrier=shipment.carrier.name if shipment.carrier else None,
        shipping_method=shipment.shipping_method, tracking_number=shipment.tracking_number, parcels=parcels,
        lines=[(r.position, r.product.sku, r.product.name, Decimal(r.quantity), r.unit) for r in rows],
    )  # fmt: skip


# ---- ZPL ----


def _zpl_text(value: str) -> str:
    """``value`` as ZPL field data: ^FH hex escapes for the characters ZPL reads as commands."""
    out = []
    for char in value:
        if char in "^~_" or ord(char) < 32:
            out.append("".join(f"_{byte:02X}" for byte in char.encode()))
        else:
            out.append(char)
    return "".join(out)


def _field(x: int, y: int, size: int, text: str) -> str:
    return f"^FO{x},{y}^A0N,{size},{size}^FH^FD{_zpl_text(text)}^FS"


def label_zpl(view: ShipmentView) -> str:
    """One ZPL label per package, 203 dpi, 4 x 6 inches, UTF-8 (^CI28)."""
    labels = []
    count = len(view.parcels)
    for parcel in view.parcels:
        parts = ["^XA", "^CI28", "^PW812", "^LL1218", _field(30, 30, 28, view.store_name)]
        parts += [_field(30, 65, 22, line) for line in view.store_address.splitlines()[:2]]
        parts += ["^FO20,130^GB772,3,3^FS", _field(30, 150, 30, "SHIP TO")]
        parts += [_field(30, 195 + 45 * i, 40, line) for i, line in enumerate(view.ship_to[:5])]
        parts += [
            "^FO20,430^GB772,3,3^FS",
            _field(30, 450, 30, " ".join(p for p in (view.carrier, view.shipping_method) if p) or "-"),
        ]
        if view.tracking_number:
            parts.append(f"^FO30,500^BY3^BCN,150,Y,N,N^FH^FD{_zpl_text(view.tracking_number)}^FS")
        parts.append(_field(30, 720, 26, f"Order {view.order_number}  Shipment {view.number}"))
        weight = f"  {parcel.weight_kg.normalize():f} kg" if parcel.weight_kg is not None else ""
        packaging = f"  {parcel.packaging}" if parcel.packaging else ""
        parts.append(_field(30, 760, 26, f"Package {parcel.number} of {count}{packaging}{weight}"))
        if parcel.sscc:
            parts.append(f"^FO30,820^BY3^BCN,160,N,N,N^FD>;>800{parcel.sscc}^FS")
            parts.append(_field(30, 990, 26, f"(00) {parcel.sscc}"))
        parts.append("^XZ")
        labels.append("\n".join(parts))
    return "\n".join(labels) + "\n"


# ---- PDF ----


def _pdf(format_: tuple[float, float] | str) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format=format_)
    pdf.add_font(FONT, "", str(FONT_FILE))
    pdf.set_font(FONT, size=10)
    pdf.set_creator("Storekeeper")
    return pdf


def _label_pdf(view: ShipmentView) -> bytes:
    pdf = _pdf(LABEL_MM)
    pdf.set_margins(5, 5, 5)
    pdf.set_auto_page_break(False)
    pdf.set_title(printable(f"Label {view.number}"))
    for parcel in view.parcels:
        pdf.add_page()
        pdf.set_font_size(9)
        pdf.multi_cell(0, 4, printable("\n".join([view.store_name, *view.store_address.splitlines()[:2]])),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        pdf.line(5, pdf.get_y() + 1, LABEL_MM[0] - 5, pdf.get_y() + 1)
        pdf.ln(3)
        pdf.set_font_size(9)
        pdf.cell(0, 5, "SHIP TO", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font_size(13)
        pdf.multi_cell(0, 6, printable("\n".join(view.ship_to[:5])), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.line(5, pdf.get_y() + 2, LABEL_MM[0] - 5, pdf.get_y() + 2)
        pdf.ln(5)
        pdf.set_font_size(11)
        pdf.cell(0, 6, printable(" ".join(p for p in (view.carrier, view.shipping_method) if p) or "-"),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        if view.tracking_number:
            if set(view.tracking_number) <= _CODE39:
                pdf.code39(f"*{view.tracking_number}*", x=6, y=pdf.get_y() + 1, w=0.6, h=18)
                pdf.set_y(pdf.get_y() + 21)
            pdf.cell(0, 6, printable(f"Tracking {view.tracking_number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font_size(9)
        pdf.cell(0, 5, printable(f"Order {view.order_number}   Shipment {view.number}"),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        weight = f"   {parcel.weight_kg.normalize():f} kg" if parcel.weight_kg is not None else ""
        pdf.cell(0, 5, printable(f"Package {parcel.number} of {len(view.parcels)}   {parcel.packaging}{weight}"),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        if parcel.sscc:
            pdf.interleaved2of5(parcel.sscc, x=6, y=pdf.get_y() + 2, w=0.45, h=16)
            pdf.set_y(pdf.get_y() + 19)
            pdf.cell(0, 5, f"SSCC (00) {parcel.sscc}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _delivery_note_pdf(view: ShipmentView) -> bytes:
    pdf = _pdf("A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_title(printable(f"Delivery note {view.number}"))
    pdf.add_page()
    pdf.set_font_size(16)
    pdf.cell(0, 9, printable(f"Delivery note {view.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font_size(9)
    pdf.multi_cell(0, 4.5, printable("\n".join([view.store_name, *view.store_address.splitlines()])),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    pdf.ln(4)
    pdf.set_font_size(10)
    pdf.multi_cell(0, 5, printable("Ship to:\n" + "\n".join(view.ship_to)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    facts = [f"Order {view.order_number}"]
    if view.carrier or view.shipping_method:
        facts.append(" ".join(p for p in (view.carrier, view.shipping_method) if p))
    if view.tracking_number:
        facts.append(f"Tracking {view.tracking_number}")
    facts.append(f"{len(view.parcels)} package(s)")
    pdf.multi_cell(0, 5, printable("   ".join(facts)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font_size(9)
    with pdf.table(
        col_widths=(8, 30, 80, 20, 14),
        text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT"),
        headings_style=FontFace(fill_color=(235, 235, 235)),
    ) as table:  # regular: the font has no bold
        table.row(["#", "SKU", "Item", "Qty", "Unit"])
        for position, sku, name, quantity, unit in view.lines:
            table.row([str(position), printable(sku), printable(name), f"{quantity.normalize():f}", printable(unit)])
    pdf.ln(12)
    pdf.cell(0, 5, "Received in good order: ______________________   Date: ____________")
    return bytes(pdf.output())


async def label_pdf(document_id: int) -> bytes:
    return await asyncio.to_thread(_label_pdf, await shipment_view(document_id))


async def delivery_note_pdf(document_id: int) -> bytes:
    return await asyncio.to_thread(_delivery_note_pdf, await shipment_view(document_id))


async def label_text(document_id: int) -> str:
    return label_zpl(await shipment_view(document_id))


def refuse_unknown_format(value: str) -> str:
    if value not in ("pdf", "zpl"):
        raise Invalid("A label is printed as pdf or zpl.", field="format")
    return value
