"""The window's keys to ``KeyCapture``: a wedge scanner's codes arrive whatever holds the focus.

Key events are caught at the window, ahead of any widget. While a text field has the focus (the
sign-in form), a person's keys go on to it; a burst is a scan, and the field gets back the text it
had before the burst, so a scan never lands in the password field.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from kivy.core.window import Window
from kivy.uix.textinput import TextInput

from handheld.logic.capture import Captured, KeyCapture, KeyResult


class WedgeInput:
    """Calls ``on_code(captured, guarded)`` for every complete code and ``on_typing(text)`` as keys come."""

    def __init__(
        self,
        capture: KeyCapture,
        focused_field: Callable[[], TextInput | None],
        on_code: Callable[[Captured, bool], None],
        on_typing: Callable[[str], None],
    ) -> None:
        self.capture = capture
        self._focused_field = focused_field
        self._on_code = on_code
        self._on_typing = on_typing
        self._snapshot: tuple[TextInput, str, int] | None = None
        self._field: TextInput | None = None

    def bind(self) -> None:
        # Bound after the system keyboard, so called before it: a swallowed key never reaches a widget.
        Window.bind(on_key_down=self._key_down, on_key_up=self._key_up, on_textinput=self._text)

    def _guard(self) -> None:
        field = self._focused_field()
        if field is not self._field:  # the focus moved: what was typed belonged to the other field
            self.capture.clear()
            self._field = field
        self.capture.guarded = field is not None

    def _key_down(
        self, _window: object, key: int, _scancode: int, codepoint: str | None, modifiers: Sequence[str]
    ) -> bool:
        self._guard()
        return self._handle(self.capture.key_down(key, codepoint, modifiers, time.monotonic()))

    def _key_up(self, _window: object, key: int, *_args: object) -> bool:
        self._guard()
        return self._handle(self.capture.key_up(key, time.monotonic()))

    def _text(self, _window: object, text: str) -> bool:
        self._guard()
        return self._handle(self.capture.text(text, time.monotonic()))

    def _handle(self, result: KeyResult) -> bool:
        guarded = self.capture.guarded
        if result.started and self._field is not None:
            self._snapshot = (self._field, self._field.text, self._field.cursor_index())
        if result.captured is not None:
            if guarded and self._snapshot is not None:
                field, text, cursor = self._snapshot
                field.text = text  # the burst typed into the field before it was known to be a scan
                field.cursor = field.get_cursor_from_index(cursor)
            self._snapshot = None
            self._on_code(result.captured, guarded)
        self._on_typing("" if guarded else self.capture.text_so_far)
        return result.swallow
