"""The receive screen: scan the product or its GS1 label, the quantity, the bin; confirm.
The flow is ``logic.receive.ReceiveFlow``; the layout is the task screen's (``task.kv``)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from handheld.screens.task import TaskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ReceiveScreen(TaskScreen):
    pass
