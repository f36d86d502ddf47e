"""A document as a PDF: letterhead, the line table in the template's columns, totals, notes, and the
footer on every page. Drawn with fpdf2 (pure Python) in DejaVu Sans, embedded as a subset.

DejaVu Sans draws Latin (with every European accent), Greek, Cyrillic, Hebrew, Arabic letters and
more; a character it has no glyph for (Chinese, Japanese, Korean, emoji ...) is printed as its
accent-free base letter when that exists, else as "?", so no name can make a document unprintable.
Right-to-left scripts are printed in stored order, unshaped (fpdf2 shapes text only with uharfbuzz,
which we do not install).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from decimal import Decimal
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableHeadingsDisplay, XPos, YPos
from fpdf.fonts import FontFace

from server.printing.view import COLUMNS, MONEY_COLUMNS, PrintedDocument, Template, value

FONT_FILE = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
FONT = "DejaVuSans"
MISSING = "?"

# How wide each column is, relative to the others; amounts and quantities are right-aligned.
_WEIGHTS = {"position": 5, "sku": 14, "name": 30, "quantity": 8, "unit": 6, "price": 10, "discount": 8, "tax": 7,
            "net": 11, "gross": 11}  # fmt: skip
_RIGHT = {"position", "quantity", "price", "discount", "tax", "net", "gross"}
_MARGIN = 15.0  # mm
_LOGO_BOX = (60.0, 25.0)  # mm: the logo is scaled to fit, keeping its proportions
_GREY = (235, 235, 235)


@functools.cache
def _glyphs() -> frozenset[int]:
    with TTFont(FONT_FILE) as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """``text`` with what the font cannot draw replaced: an accented letter by its base letter, else "?"."""
    glyphs = _glyphs()
    out = []
    for char in text.replace("\r\n", "\n").replace("\t", " "):
        if ord(char) in glyphs or char == "\n":
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[:1]
        out.append(base if base and ord(base) in glyphs and unicodedata.category(base)[0] in "LNPS" else MISSING)
    return "".join(out)


def _amount(value: Decimal) -> str:
    return f"{value:f}"  # as given, never in exponent notation (1E+2)


class _Sheet(FPDF):
    """The page: a short running head after the first page, the template's footer on every page."""

    def __init__(self, running_head: str, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.add_font(FONT, "", str(FONT_FILE))
        self.set_font(FONT, size=9)
        self.running_head = running_head
        self.footer_text = footer
        self.footer_height = 0.0

    def start(self) -> None:
        """The first page, with room kept at the bottom of every page for the footer."""
        self.add_page()
        self.set_font_size(7)
        footer = self.footer_text
        lines = self.multi_cell(self.epw, 3.5, footer, dry_run=True, output="LINES") if footer else []
        assert isinstance(lines, list)
        self.footer_height = 3.5 * (len(lines) + 1) + 4  # the footer's lines, the page number, a gap
        self.set_font_size(9)
        self.set_auto_page_break(auto=True, margin=_MARGIN + self.footer_height)

    def header(self) -> None:
        if self.page_no() == 1:
            return  # the letterhead is drawn by render()
        self.set_font_size(8)
        self.set_text_color(90)
        self.cell(0, 5, self.running_head, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.set_font_size(9)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-(_MARGIN + self.footer_height - 2))
        self.set_draw_color(180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_font_size(7)
        self.set_text_color(90)
        if self.footer_text:
            self.multi_cell(0, 3.5, self.footer_text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 3.5, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)
        self.set_font_size(9)


def render(document: PrintedDocument, template: Template) -> bytes:
    """The document as a PDF (A4), laid out as the template says."""
    title = printable(document.title)
    number = printable(document.number) if document.number else "(not numbered yet)"
    pdf = _Sheet(running_head=f"{title} {number} ({printable(document.store_name)})",
                 footer=printable(template.footer))  # fmt: skip
    pdf.set_title(f"{title} {number}")
    pdf.set_creator("Storekeeper")
    pdf.start()
    _letterhead(pdf, document, template, title, number)
    if document.priced:
        _lines(pdf, document, template.columns)
        _totals(pdf, document)
    else:
        _lines(pdf, document, tuple(column for column in template.columns if column not in MONEY_COLUMNS))
    if document.notes.strip():
        pdf.ln(4)
        pdf.multi_cell(0, 4.5, printable(document.notes.strip()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _letterhead(pdf: _Sheet, document: PrintedDocument, template: Template, title: str, number: str) -> None:
    top = pdf.get_y()
    left_width = pdf.epw * 0.55
    if template.logo:
        pdf.image(io.BytesIO(template.logo), x=pdf.l_margin, y=top, w=_LOGO_BOX[0], h=_LOGO_BOX[1],
                  keep_aspect_ratio=True)  # fmt: skip
        pdf.set_xy(pdf.l_margin, top + _LOGO_BOX[1] + 2)
    pdf.set_font_size(11)
    pdf.multi_cell(left_width, 5.5, printable(document.store_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font_size(9)
    address = template.address or document.store_address
    if address:
        pdf.multi_cell(left_width, 4.5, printable(address), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()

    # Right: what the document is.
    right = pdf.l_margin + left_width + 5
    width = pdf.epw - left_width - 5
    pdf.set_xy(right, top)
    pdf.set_font_size(16)
    pdf.multi_cell(width, 8, title, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font_size(10)
    pdf.multi_cell(width, 5.5, f"No. {number}", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font_size(9)
    details = [f"Date: {document.business_date.isoformat()}", *map(printable, document.details),
               f"State: {printable(document.state)}", f"Currency: {printable(document.currency)}"]  # fmt: skip
    for detail in details:
        pdf.multi_cell(width, 4.5, detail, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 6)
    if document.party_name:
        pdf.set_text_color(90)
        pdf.cell(0, 4.5, "To", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.set_font_size(10)
        pdf.multi_cell(left_width, 5, printable(document.party_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font_size(9)
        if document.party_address:
            pdf.multi_cell(left_width, 4.5, printable(document.party_address), new_x=XPos.LMARGIN,
                           new_y=YPos.NEXT)  # fmt: skip
        pdf.ln(5)


def _lines(pdf: _Sheet, document: PrintedDocument, columns: tuple[str, ...]) -> None:
    pdf.set_font_size(8.5)
    pdf.set_draw_color(200)
    aligns = tuple("RIGHT" if column in _RIGHT else "LEFT" for column in columns)
    with pdf.table(
        col_widths=tuple(_WEIGHTS[column] for column in columns),
        text_align=aligns,
        headings_style=FontFace(fill_color=_GREY),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        repeat_headings=TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE,
        line_height=4.2,
        padding=(0.8, 1.2),
        v_align="TOP",
    ) as table:
        table.row([COLUMNS[column] for column in columns])
        for line in document.lines:
            row = table.row()
            for column in columns:
                shown = value(line, column)
                row.cell(_amount(shown) if isinstance(shown, Decimal) else printable(str(shown)))
    pdf.set_font_size(9)


def _totals(pdf: _Sheet, document: PrintedDocument) -> None:
    pdf.ln(4)
    label_width, value_width = 40.0, 40.0
    x = pdf.w - pdf.r_margin - label_width - value_width
    currency = printable(document.currency)
    rows = (("Net", document.net, 9.0), ("Tax", document.tax, 9.0), ("Total", document.gross, 11.0))
    for label, amount, size in rows:
        if pdf.will_page_break(6):
            pdf.add_page()
        pdf.set_x(x)
        pdf.set_font_size(size)
        pdf.cell(label_width, 6, label, align="R")
        pdf.cell(value_width, 6, f"{_amount(amount)} {currency}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font_size(9)
