"""What the task screens (receive, move, count, issue) share: the form that scans fill, the prompt, the number
pad and Confirm. The flow is a ``logic.task.TaskFlow``; anything that may talk to the server runs
on the app's network thread and comes back through ``@mainthread``."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol

from kivy.clock import mainthread
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.screenmanager import Screen

from handheld.logic.capture import Captured
from handheld.logic.commands import CANCEL, CONFIRM
from handheld.logic.outbox import Entry
from handheld.logic.scan import BAD, QUIET
from handheld.logic.task import Outcome, TaskFlow
from handheld.screens import widgets  # noqa: F401  (NumberPad, BigButton)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class Offering(Protocol):
    """A flow that offers a choice as its screen opens (the open pick lists, the draft shipments)."""

    warehouse: str

    @property
    def offered(self) -> Sequence[object]: ...

    def look(self) -> Outcome: ...


class FormRow(BoxLayout):
    label = StringProperty("")
    value = StringProperty("")
    next_up = BooleanProperty(False)


class ChoiceButton(Button):
    """One answer of a choice the form needs (sale or scrap); pressing it is its command."""

    command = StringProperty("")
    chosen = BooleanProperty(False)


class TaskScreen(Screen):
    """Dispatches ``on_outcome(outcome)`` after every scan, key or confirmation."""

    flow: TaskFlow | None = ObjectProperty(None, allownone=True)
    executor: Executor = ObjectProperty(None)
    heading = StringProperty("")
    confirm_text = StringProperty("Confirm")
    message = StringProperty("")
    feedback = StringProperty(QUIET)
    typing = StringProperty("")
    busy = BooleanProperty(False)
    can_confirm = BooleanProperty(False)
    digits = BooleanProperty(True)
    stack_choices = BooleanProperty(False)

    __events__ = ("on_outcome",)
    _pending = 0

    def start(self, flow: TaskFlow) -> None:
        self.flow = flow
        self.refresh()

    def fix(self, entry: Entry) -> None:
        if self.flow is not None:
            self.flow.load(entry)
            self.feedback = BAD
            self.refresh()

    def refresh(self) -> None:
        if self.flow is None:
            return
        self.message = self.flow.message
        self.can_confirm = self.flow.ready and not self.busy
        self.digits = self.flow.takes_quantity
        self.stack_choices = self.flow.choices_stacked
        rows = self.ids.form
        rows.clear_widgets()
        for label, value, next_up in self.flow.fields():
            rows.add_widget(FormRow(label=label, value=value, next_up=next_up))
        choices = self.ids.choices
        choices.clear_widgets()
        for command, label, chosen in self.flow.choices():
            button = ChoiceButton(text=label, command=command, chosen=chosen)
            button.bind(on_release=lambda pressed: self.on_command(pressed.command))
            choices.add_widget(button)

    def on_scan(self, captured: Captured) -> None:
        if self.flow is not None:
            self._run(self.flow.scan, captured)

    def on_command(self, name: str) -> None:
        if name == CONFIRM:
            self.confirm()
        elif name == CANCEL:
            self.cancel()
        elif self.flow is not None:  # a choice of the form's (sale or scrap), by button or barcode
            self._run(self.flow.command, name)

    def on_pad_key(self, key: str) -> None:
        if self.flow is not None:
            self.flow.key(key)
            self.refresh()

    def confirm(self) -> None:
        # Even while a scan is being looked up: the network thread takes them in order, so a
        # confirmation right after the bin's scan confirms the form that scan completed.
        if self.flow is not None:
            self._run(self.flow.command, CONFIRM)

    def cancel(self) -> None:
        if self.flow is not None:
            self._done(self.flow.command(CANCEL))

    def _run(self, action: object, argument: object) -> None:
        self._pending += 1
        self.busy = True
        self.can_confirm = False
        self.executor.submit(self._in_background, action, argument)

    def _in_background(self, action: object, argument: object) -> None:
        try:
            outcome = action(argument)  # type: ignore[operator]
        except Exception as error:  # a bug must show up on screen, not kill the worker silently
            Logger.exception("Handheld: task step failed")
            outcome = Outcome(BAD, f"Unexpected error: {error}")
        self._done(outcome)

    @mainthread
    def _done(self, outcome: Outcome) -> None:
        self._pending = max(0, self._pending - 1)
        self.busy = self._pending > 0
        self.feedback = outcome.feedback
        self.refresh()
        self.message = outcome.message
        self.dispatch("on_outcome", outcome)

    def on_outcome(self, outcome: Outcome) -> None:
        pass

    def look_up(self, flow: Offering, what: str) -> None:
        """What the flow offers as the screen opens (``flow.look()``: open lists, draft shipments), read on the
        network thread; ``what`` names them in the log."""
        if self.executor is None:
            return
        self._pending += 1
        self.busy = True
        self.executor.submit(self._look, flow, what)

    def _look(self, flow: Offering, what: str) -> None:
        try:
            outcome = flow.look()
        except Exception as error:  # a bug must not leave the screen busy
            Logger.exception(f"Handheld: reading the {what} failed")
            outcome = Outcome(BAD, f"Unexpected error: {error}")
        else:
            Logger.info(f"Handheld: {len(flow.offered)} {what} in {flow.warehouse}")
        self._done(outcome)
