"""The scan screen: a focused input a keyboard-wedge scanner types into, and what the code is.

The flow itself is ``logic.scan.ScanFlow``; lookups run on the app's worker thread, one at a time
and in scan order, and come back to the UI thread through ``@mainthread``.
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from handheld.logic.scan import ScanFlow, ScanResult, format_quantity

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

READY_TITLE = "Ready to scan"
READY_SUBTITLE = "Scan a product, location or lot barcode."


class StockRowView(BoxLayout):
    """One line of the stock table (a RecycleView view: its data dicts set these)."""

    place = StringProperty("")
    place_detail = StringProperty("")
    lot = StringProperty("")
    onhand = StringProperty("")
    reserved = StringProperty("")
    available = StringProperty("")
    shaded = BooleanProperty(False)


class ScanScreen(Screen):
    """Dispatches ``on_result(result)`` after showing a scan, ``on_sign_out(message)`` to leave."""

    flow: ScanFlow | None = ObjectProperty(None, allownone=True)
    executor: Executor = ObjectProperty(None)
    pending = NumericProperty(0)
    user_text = StringProperty("")
    kind = StringProperty("")
    title = StringProperty(READY_TITLE)
    subtitle = StringProperty(READY_SUBTITLE)
    details_text = StringProperty("")
    message = StringProperty("")
    message_is_error = BooleanProperty(False)
    place_heading = StringProperty("Location")
    footer = StringProperty("")
    has_rows = BooleanProperty(False)

    __events__ = ("on_result", "on_sign_out")

    _waiting_for_focus = False

    def start(self, flow: ScanFlow, user_text: str) -> None:
        self.flow = flow
        self.user_text = user_text
        self._waiting_for_focus = True
        self._display(ScanResult("", "", READY_TITLE, READY_SUBTITLE))

    def on_enter(self, *_args: object) -> None:
        self.focus_input()

    def focus_input(self, *_args: object) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.ids.scan_input.focus = True

    def on_input_focus(self, focused: bool) -> None:
        # The scanner types into whatever holds the focus: never leave the input without it for long.
        if not focused:
            Clock.schedule_once(self.focus_input, 0.3)
        elif self._waiting_for_focus:
            self._waiting_for_focus = False
            Logger.info("Handheld: ready to scan")

    def submit(self, text: str) -> None:
        """Called on Enter: clear the input at once so the next scan can already be typed."""
        self.ids.scan_input.text = ""
        if self.flow is None:
            return
        self.pending += 1
        self.executor.submit(self._scan_in_background, self.flow, text)

    def _scan_in_background(self, flow: ScanFlow, text: str) -> None:
        try:
            result = flow.scan(text)
        except Exception as error:  # a bug must show up on screen, not kill the worker silently
            Logger.exception("Handheld: scan failed")
            result = ScanResult("ERROR", text.strip(), "Unexpected error", message=str(error))
        self._show(result)

    @mainthread
    def _show(self, result: ScanResult) -> None:
        self.pending -= 1
        if result.kind == "EMPTY":
            self.message, self.message_is_error = result.message, False
        else:
            self._display(result)
        self.focus_input()
        self.dispatch("on_result", result)
        if result.signed_out:
            self.dispatch("on_sign_out", result.message)

    def _display(self, result: ScanResult) -> None:
        self.kind = result.kind
        self.title = result.title
        self.subtitle = result.subtitle
        self.details_text = "\n".join(
            f"[color=66707f]{escape_markup(label)}[/color]  {escape_markup(value)}" for label, value in result.details
        )
        self.message = result.message
        self.message_is_error = result.kind in ("UNKNOWN", "ERROR")
        self.place_heading = result.place_heading
        self.ids.rows.data = [
            {
                "place": row.place,
                "place_detail": row.place_detail,
                "lot": row.lot or "-",
                "onhand": format_quantity(row.on_hand),
                "reserved": format_quantity(row.reserved),
                "available": format_quantity(row.available),
                "shaded": index % 2 == 1,
            }
            for index, row in enumerate(result.rows)
        ]
        self.has_rows = bool(result.rows)
        if result.kind in ("PRODUCT", "LOCATION", "LOT"):
            more = "  (more on the server)" if result.more_rows else ""
            self.footer = f"Total available: {format_quantity(result.total_available)}{more}"
        else:
            self.footer = ""

    def sign_out(self) -> None:
        self.dispatch("on_sign_out", "")

    def on_result(self, result: ScanResult) -> None:
        pass

    def on_sign_out(self, message: str) -> None:
        pass
