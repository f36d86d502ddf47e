"""The frame around every screen: the top bar (menu, task, who and where), the offline banner, and
the flash that colours the whole window after each answer."""

from __future__ import annotations

from pathlib import Path

from kivy.animation import Animation
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.widget import Widget

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class Flash(Widget):
    """A full-window colour that fades out; touches go through it."""

    colour = ListProperty([0, 0, 0, 0])

    def show(self, colour: tuple[float, float, float, float]) -> None:
        Animation.cancel_all(self)
        self.colour = list(colour)
        self.opacity = 0.55
        Animation(opacity=0, duration=0.7, t="in_quad").start(self)


class Shell(FloatLayout):
    """``on_menu`` when the menu button is pressed, ``on_banner_press`` when the banner is."""

    title = StringProperty("")
    who = StringProperty("")
    banner = StringProperty("")
    banner_is_error = BooleanProperty(False)
    chrome = BooleanProperty(False)  # the top bar, hidden on the sign-in screen

    __events__ = ("on_menu", "on_banner_press")

    @property
    def manager(self):  # type: ignore[no-untyped-def]
        return self.ids.manager

    def flash(self, colour: tuple[float, float, float, float]) -> None:
        self.ids.flash.show(colour)

    def on_menu(self) -> None:
        pass

    def on_banner_press(self) -> None:
        pass
