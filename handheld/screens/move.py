"""The move (put-away) screen: scan the bin to take from, the item, the quantity, the bin to put it
in; confirm. The flow is ``logic.move.MoveFlow``; the layout is the task screen's (``task.kv``)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from handheld.screens.task import TaskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class MoveScreen(TaskScreen):
    pass
