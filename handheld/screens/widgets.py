"""Widgets the screens share: the big number pad, a confirmation and the task menu.

Layout lives in ``widgets.kv``; these classes only dispatch what the person asked for.
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class NumberPad(BoxLayout):
    """Digits, point, back and clear, with Cancel and Confirm beside them.

    Dispatches ``on_key(key)``, ``on_confirm`` and ``on_cancel``.
    """

    confirm_text = StringProperty("Confirm")
    can_confirm = BooleanProperty(False)
    digits = BooleanProperty(True)  # False: nothing to type (a pallet moves whole), Cancel and Confirm stay

    __events__ = ("on_key", "on_confirm", "on_cancel")

    def on_key(self, key: str) -> None:
        pass

    def on_confirm(self) -> None:
        pass

    def on_cancel(self) -> None:
        pass


class ConfirmDialog(ModalView):
    """A question with two big answers; also answered by the SK:CONFIRM and SK:CANCEL barcodes."""

    question = StringProperty("")
    detail = StringProperty("")
    yes_text = StringProperty("Yes")
    no_text = StringProperty("No")

    __events__ = ("on_answer",)

    def answer(self, yes: bool) -> None:
        self.dismiss()
        self.dispatch("on_answer", yes)

    def on_answer(self, yes: bool) -> None:
        pass


class TaskMenu(ModalView):
    """The tasks, the outbox and signing out: ``on_choice(name)``."""

    waiting_text = StringProperty("Waiting to send")
    user_text = StringProperty("")

    __events__ = ("on_choice",)

    def choose(self, name: str) -> None:
        self.dismiss()
        self.dispatch("on_choice", name)

    def on_choice(self, name: str) -> None:
        pass
