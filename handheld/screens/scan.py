"""The lookup screen: scan anything, see what it is and where its stock is in the chosen warehouse.

There is no text field: the app hands every captured code to ``on_scan``. The flow itself is
``logic.scan.ScanFlow``; lookups run on the app's network thread, one at a time and in scan order,
and come back to the UI thread through ``@mainthread``. While one is pending, the last answer is
greyed out and the code being looked up is echoed.
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from kivy.clock import mainthread
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from handheld.logic.capture import Captured
from handheld.logic.resolution import display_code
from handheld.logic.scan import QUIET, ScanFlow, ScanResult, StockRow, format_quantity
from handheld.screens import widgets  # noqa: F401  (BigButton)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

READY_TITLE = "Ready to scan"
READY_SUBTITLE = "Scan a product, bin, lot or pallet barcode."
MAX_ROWS_SHOWN = 50


class StockRowView(BoxLayout):
    """One place (or SKU) with its available quantity, and its lot, expiry and on-hand below."""

    place = StringProperty("")
    detail = StringProperty("")
    available = StringProperty("")
    shaded = BooleanProperty(False)


class ScanScreen(Screen):
    """Dispatches ``on_result(result)`` after showing a scan."""

    flow: ScanFlow | None = ObjectProperty(None, allownone=True)
    executor: Executor = ObjectProperty(None)
    pending = NumericProperty(0)
    typing = StringProperty("")
    echo = StringProperty("")
    kind = StringProperty("")
    feedback = StringProperty(QUIET)
    title = StringProperty(READY_TITLE)
    subtitle = StringProperty(READY_SUBTITLE)
    big_number = StringProperty("")
    big_caption = StringProperty("")
    details_text = StringProperty("")
    message = StringProperty("")
    as_of = StringProperty("")
    footer = StringProperty("")

    __events__ = ("on_result",)

    def start(self, flow: ScanFlow) -> None:
        self.flow = flow
        self._display(ScanResult("", "", READY_TITLE, READY_SUBTITLE))
        self.echo = ""

    def on_scan(self, captured: Captured) -> None:
        if self.flow is None:
            return
        if not captured.code.strip():
            self.echo = "Nothing was scanned: scan a barcode."
            return
        self.pending += 1
        self.echo = f"Looking up {display_code(captured.code)}…"
        self.executor.submit(self._scan_in_background, self.flow, captured)

    def _scan_in_background(self, flow: ScanFlow, captured: Captured) -> None:
        try:
            result = flow.scan(captured.code, symbology=captured.symbology)
        except Exception as error:  # a bug must show up on screen, not kill the worker silently
            Logger.exception("Handheld: scan failed")
            result = ScanResult("ERROR", captured.code, "Unexpected error", message=str(error), feedback="bad")
        self._show(result)

    @mainthread
    def _show(self, result: ScanResult) -> None:
        self.pending -= 1
        self.echo = f"Scanned {result.echo}" + (f"  ({result.as_of})" if result.as_of else "")
        self._display(result)
        self.dispatch("on_result", result)

    def _display(self, result: ScanResult) -> None:
        self.kind = result.kind
        self.feedback = result.feedback
        self.title = result.title
        self.subtitle = result.subtitle
        self.big_number = result.big_number
        where = f"in {result.warehouse}" if result.warehouse else ""
        self.big_caption = f"available {where}".strip() if result.big_number else ""
        self.details_text = "\n".join(
            f"[color=5f6b7a]{escape_markup(label)}[/color]  {escape_markup(value)}" for label, value in result.details
        )
        self.message = result.message
        self.as_of = f"Offline: as of {result.as_of}" if result.as_of else ""
        rows = self.ids.rows
        rows.clear_widgets()
        for index, row in enumerate(result.rows[:MAX_ROWS_SHOWN]):
            rows.add_widget(_row_view(row, index))
        hidden = len(result.rows) - MAX_ROWS_SHOWN
        more = result.more_rows or hidden > 0
        self.footer = "More on the server: narrow the search." if more else ""

    def on_result(self, result: ScanResult) -> None:
        pass


def _row_view(row: StockRow, index: int) -> StockRowView:
    place = row.place + (f" ({row.place_detail})" if row.place_detail else "")
    parts = [f"lot {row.lot}"] if row.lot else []
    parts += [f"exp {row.expires_on}"] if row.expires_on else []
    parts += [f"on hand {format_quantity(row.on_hand)}", f"reserved {format_quantity(row.reserved)}"]
    return StockRowView(
        place=place, detail=" · ".join(parts), available=format_quantity(row.available), shaded=index % 2 == 1
    )
