"""A check of what is on screen, for tests and for whoever changes a layout: text that does not fit
its label, touch targets under 56dp, a text field that would open the on-screen keyboard."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput
from kivy.uix.widget import Widget

MIN_TARGET_DP = 56


def problems(root: Widget, *, text_fields_allowed: bool) -> list[str]:
    """What is wrong with the widgets that are showing under ``root`` (empty when nothing is)."""
    found: list[str] = []
    for widget in root.walk(restrict=True):
        if not _showing(widget):
            continue
        if isinstance(widget, TextInput) and not text_fields_allowed:
            found.append(f"a text field ({widget.hint_text or widget.text!r}) would bring up the keyboard")
        if isinstance(widget, Button) and not widget.disabled and min(widget.size) < dp(MIN_TARGET_DP) - 0.5:
            found.append(f"button {widget.text!r} is {widget.width / dp(1):.0f}x{widget.height / dp(1):.0f}dp")
        if isinstance(widget, Label) and widget.text and widget.texture_size[0] > 0:
            tw, th = widget.texture_size
            if widget.shorten or widget.text_size[0] is None:  # one line: does all of the text fit?
                tw = max(tw, widget._label.get_extents(widget.text)[0])
            if tw > widget.width + 1 or th > widget.height + 1:
                box = f"{widget.width:.0f}x{widget.height:.0f}px"
                found.append(f"{widget.text[:40]!r} is cut: {tw:.0f}x{th:.0f}px in {box}")
    return found


def _showing(widget: Widget) -> bool:
    node: Widget | None = widget
    while node is not None:
        if node.opacity == 0 or node.width <= 0 or node.height <= 0:
            return False
        parent = node.parent
        node = parent if isinstance(parent, Widget) else None
    return True
