"""The outbox screen: what waits to be sent, and what the server refused with its reason. A refused
write can be fixed (it opens in its task screen), sent again as it is, or dropped."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from handheld.logic.outbox import FIXED_ON, REFUSED, Entry, Outbox
from handheld.screens import widgets  # noqa: F401  (BigButton)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class EntryView(BoxLayout):
    summary = StringProperty("")
    detail = StringProperty("")
    refused = BooleanProperty(False)
    fixable = BooleanProperty(False)
    entry: Entry | None = ObjectProperty(None, allownone=True)

    __events__ = ("on_fix", "on_retry", "on_drop")

    def on_fix(self) -> None:
        pass

    def on_retry(self) -> None:
        pass

    def on_drop(self) -> None:
        pass


class WaitingScreen(Screen):
    """Dispatches ``on_fix(entry)``, ``on_retry(entry)``, ``on_drop(entry)`` and ``on_send_now``."""

    outbox: Outbox | None = ObjectProperty(None, allownone=True)
    heading = StringProperty("Waiting to send")
    summary = StringProperty("")
    typing = StringProperty("")

    __events__ = ("on_fix", "on_retry", "on_drop", "on_send_now")
    _shown: tuple[tuple[int, str, int], ...] | None = None

    def on_pre_enter(self, *_args: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        if self.outbox is None:
            return
        entries = self.outbox.entries()
        shown = tuple((entry.id, entry.state, entry.attempts) for entry in entries)
        if shown == self._shown:  # rebuilt only when it changed: a finger may be on a button
            return
        self._shown = shown
        box = self.ids.entries
        box.clear_widgets()
        for entry in entries:
            view = EntryView(
                entry=entry, summary=entry.summary, detail=_detail(entry), refused=entry.state == REFUSED,
                fixable=entry.state == REFUSED and entry.operation in FIXED_ON,
            )  # fmt: skip
            for event in ("on_fix", "on_retry", "on_drop"):
                view.bind(**{event: lambda v, event=event: self.dispatch(event, v.entry)})
            box.add_widget(view)
        waiting = sum(entry.state != REFUSED for entry in entries)
        refused = len(entries) - waiting
        self.summary = "Nothing waits: everything was sent." if not entries else (
            f"{waiting} waiting, {refused} refused. Waiting ones are sent in order when the server answers."
        )  # fmt: skip

    def on_fix(self, entry: Entry) -> None:
        pass

    def on_retry(self, entry: Entry) -> None:
        pass

    def on_drop(self, entry: Entry) -> None:
        pass

    def on_send_now(self) -> None:
        pass


def _detail(entry: Entry) -> str:
    made = datetime.fromisoformat(entry.created_at).astimezone().strftime("%H:%M")
    who = f"by {entry.username} at {made}"
    if entry.state == REFUSED and entry.error is not None:
        return f"Refused: {entry.error.message} ({who})"
    tries = f", tried {entry.attempts}x" if entry.attempts else ""
    return f"Waiting ({who}{tries})"
