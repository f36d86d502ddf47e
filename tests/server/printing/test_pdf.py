"""Rendering: what a reader of the PDF finds in it (its text, read back with pypdf)."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal

from PIL import Image
from pypdf import PdfReader

from server.printing.pdf import printable, render
from server.printing.view import PrintedDocument, PrintedLine, Template


def line(position: int, sku: str = "", name: str = "") -> PrintedLine:
    return PrintedLine(
        position=position,
        sku=sku or f"SKU-{position:04d}",
        name=name or f"Widget {position}",
        quantity=Decimal("2.5000"),
        unit="pcs",
        price=Decimal("10.00"),
        discount_percent=Decimal("5"),
        tax_percent=Decimal("20"),
        net=Decimal("23.75"),
        gross=Decimal("28.50"),
    )


def document(lines: list[PrintedLine], *, party: str = "Acme Trading", notes: str = "") -> PrintedDocument:
    return PrintedDocument(
        title="Invoice",
        number="INV-MAIN-2026-00042",
        state="posted",
        business_date=date(2026, 3, 1),
        store_name="Main Street Store",
        store_address="1 Main Street\n12345 Springfield",
        party_name=party,
        party_address="ul. Piotrkowska 1\n90-001 Łódź",
        currency="EUR",
        lines=lines,
        net=Decimal("47.50"),
        tax=Decimal("9.50"),
        gross=Decimal("57.00"),
        notes=notes,
    )


def png(width: int = 300, height: int = 100) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_document_shows_its_number_lines_totals_notes_and_footer() -> None:
    lines = [line(1, "MUG-WHITE", "White mug"), line(2, "TEE-BLACK-L", "T-shirt, black, L")]
    template = Template(logo=png(), footer="Main Street Store Ltd · VAT DE123456789")
    text = "\n".join(pages(render(document(lines, notes="Pay within 14 days."), template)))

    for expected in (
        "Invoice",
        "INV-MAIN-2026-00042",
        "2026-03-01",
        "Main Street Store",
        "12345 Springfield",
        "Acme Trading",
        "90-001 Łódź",
        "MUG-WHITE",
        "White mug",
        "TEE-BLACK-L",
        "T-shirt, black, L",
        "47.50 EUR",
        "9.50 EUR",
        "57.00 EUR",
        "Pay within 14 days.",
        "Main Street Store Ltd · VAT DE123456789",
        "Page 1 of 1",
    ):
        assert expected in text, expected


def test_the_template_address_replaces_the_store_address() -> None:
    text = pages(render(document([line(1)]), Template(address="Head office\nHarbour Road 9")))[0]
    assert "Harbour Road 9" in text
    assert "12345 Springfield" not in text


def test_a_name_the_font_cannot_draw_prints_with_question_marks_instead_of_failing() -> None:
    party = "Łódź 株式会社 Ελληνικά Кириллица"
    text = pages(render(document([line(1, name="Teacup 🍵")], party=party), Template()))[0]
    assert "Łódź ???? Ελληνικά Кириллица" in text  # Latin, Greek and Cyrillic print as they are
    assert "Teacup ?" in text


def test_printable_keeps_what_the_font_draws_and_falls_back_to_base_letters() -> None:
    assert printable("Smørrebrød Łódź") == "Smørrebrød Łódź"
    assert printable("株") == "?"
    assert printable("a\r\nb\tc") == "a\nb c"


def test_decimals_print_as_given_never_in_exponent_notation() -> None:
    exact = PrintedLine(
        1,
        "S",
        "N",
        Decimal("1E+2"),
        "pcs",
        Decimal("0E-8"),
        Decimal(0),
        Decimal(0),
        Decimal("100.00"),
        Decimal("100.00"),
    )
    text = pages(render(document([exact]), Template(columns=("sku", "quantity", "price"))))[0]
    assert "100" in text and "0.00000000" in text
    assert "E+2" not in text


def test_a_template_shows_only_its_columns_in_its_order() -> None:
    text = pages(render(document([line(1)]), Template(columns=("name", "gross", "sku"))))[0]
    headings = next(row for row in text.splitlines() if "Item" in row)
    assert headings.split() == ["Item", "Gross", "SKU"]
    assert "28.50" in text and "Widget 1" in text and "SKU-0001" in text
    for hidden in ("Qty", "Price", "Net", "Tax%", "Disc.%", "23.75"):
        assert hidden not in text.replace("Net 47.50", "").replace("Tax 9.50", ""), hidden


def test_two_hundred_lines_flow_over_pages_each_with_the_footer_and_headings() -> None:
    lines = [line(position) for position in range(1, 201)]
    texts = pages(render(document(lines), Template(footer="Thank you for your business")))

    assert len(texts) >= 4
    for number, text in enumerate(texts, start=1):
        assert "Thank you for your business" in text
        assert f"Page {number} of {len(texts)}" in text
        assert "SKU" in text and "Qty" in text  # the table's headings repeat on every page
    everything = "\n".join(texts)
    assert all(f"SKU-{position:04d}" in everything for position in range(1, 201))
    assert "INV-MAIN-2026-00042" in texts[-1]  # later pages name the document too
    assert "57.00 EUR" in texts[-1]


def test_a_long_footer_gets_room_at_the_bottom_of_every_page() -> None:
    footer = " ".join(["Main Street Store Ltd, registered in Springfield, VAT DE123456789."] * 6)
    texts = pages(render(document([line(position) for position in range(1, 80)]), Template(footer=footer)))
    assert len(texts) >= 2
    for text in texts:
        assert "registered in Springfield" in text
        assert text.count("SKU-00") > 0


def test_a_draft_without_number_or_party_still_prints() -> None:
    draft = dataclasses.replace(document([]), number=None, state="draft", party_name=None, party_address=None)
    text = pages(render(draft, Template()))[0]
    assert "(not numbered yet)" in text and "State: draft" in text
    assert "To" not in text.split()
